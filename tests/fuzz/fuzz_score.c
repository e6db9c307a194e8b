// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer target: bytes as one CSV line through csv__parse_line, then as
 * a whole series through score__run (header, gaps, the detector and the
 * alert logic). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csvseries.h"
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
	char *line = malloc(size + 1);
	const char *why = NULL;
	struct csv_format fmt;
	struct csv_row row;
	FILE *in;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	csv__format_of(line, &fmt);
	if (csv__parse_line(line, &fmt, &row, &why) < 0 && (!why || !*why))
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
