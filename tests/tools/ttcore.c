// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The core's commands without the BPF side: "ttcore replay ..." and
 * "ttcore score ...", exactly as "telltale replay/score" run them, for
 * machines where the agent cannot be built. */
#include <stdio.h>
#include <string.h>

#include "cli/replay.h"
#include "cli/score.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "replay"))
		return replay__main(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "score"))
		return score__main(argc - 1, argv + 1);
	fprintf(stderr, "usage: ttcore replay|score [--strict] FILE|-\n");
	return 2;
}
