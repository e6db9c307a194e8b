// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer target: bytes as one CSV line through score__parse_line, then as
 * a whole series through score__run (header, gaps, the detector and the
 * alert logic). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/score.h"

static FILE *devnull;
static struct core_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	core__default_config(&cfg);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct score_summary sum;
	char *line = malloc(size + 1), *ts_text, *val_text;
	const char *why = NULL;
	double ts, v;
	FILE *in;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (score__parse_line(line, &ts_text, &ts, &val_text, &v, &why) < 0 && (!why || !*why))
		abort(); /* every refusal has a reason */
	free(line);
	if (!size)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	score__run(in, devnull, devnull, "fuzz", false, &cfg, &sum);
	fclose(in);
	return 0;
}
