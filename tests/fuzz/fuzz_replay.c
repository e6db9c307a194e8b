// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer target: bytes as one line through replay__parse_line, then as a
 * whole file through replay__run (every line parsed, intervals grouped and
 * run through the anomaly core). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/replay.h"

static FILE *devnull;
static struct core_config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	devnull = fopen("/dev/null", "w");
	core__default_config(&cfg);
	/* A small core: allocated per input, and more services than it holds
	 * take the overflow path. */
	cfg.max_series = 16;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_summary sum;
	struct replay_rec rec;
	const char *why;
	char *line = malloc(size + 1);
	FILE *in;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	why = NULL;
	if (replay__parse_line(line, &rec, &why) < 0 && (!why || !*why))
		abort(); /* every refusal has a reason */
	free(line);
	if (!size)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	replay__run(in, devnull, devnull, "fuzz", false, &cfg, &sum);
	fclose(in);
	return 0;
}
