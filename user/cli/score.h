/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * telltale score: runs one exported univariate series (CSV timestamp,value,
 * more columns allowed) through the detector and alert lifecycle the agent
 * uses at its defaults, and writes timestamp,value,anomaly_score,alert and
 * the further columns for every input line.
 */
#ifndef TT_SCORE_H
#define TT_SCORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"

struct score_summary {
	uint64_t lines;
	uint64_t points;  /* scored points */
	uint64_t missing; /* rows with an empty, nan or null value: written, not scored */
	uint64_t malformed;
	uint64_t alerts;
	uint64_t comments; /* lines starting with '#' (InfluxDB's annotations, a note) */
};

/* Scores in with the detector and anomaly alert policy of cfg, writing CSV
 * to out (the four columns, then the input's columns after its value) and
 * malformed-line messages to err. Returns 0, 2 when strict stopped at a
 * malformed line, or a negative errno. */
int score__run(FILE *in, FILE *out, FILE *err, const char *name, bool strict,
	       const struct core_config *cfg, struct score_summary *sum);

/* "telltale score [--strict] [--config PATH] FILE|-". Returns the exit status: 0, 1 on
 * errors, 2 on usage or a malformed line under --strict. */
int score__main(int argc, char **argv);

#endif /* TT_SCORE_H */
