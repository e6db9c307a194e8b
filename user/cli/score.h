/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * telltale score: runs one exported univariate series (CSV timestamp,value)
 * through the detector and alert lifecycle the agent uses at its defaults,
 * and writes timestamp,value,anomaly_score,alert for every input line.
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
};

/* Parses "YYYY-MM-DD HH:MM:SS", ISO 8601 ("T", optional fraction, "Z" or
 * +HH:MM) or epoch seconds into seconds since the epoch. Returns 0 or
 * -EINVAL. */
int score__parse_ts(const char *s, double *ts);

/* Whether a value field stands for a missing point: empty, "nan" or "null"
 * in any case. */
bool score__missing(const char *val_text);

/* Splits a CSV line (no newline) into its timestamp and value fields, in
 * place, and parses them; a missing value gives *v = NAN. Returns 0, or
 * -EINVAL with *why set. */
int score__parse_line(char *line, char **ts_text, double *ts, char **val_text, double *v,
		      const char **why);

/* Scores in with the detector and anomaly alert policy of cfg, writing CSV to out and malformed-line messages to err. Returns
 * 0, 2 when strict stopped at a malformed line, or a negative errno. */
int score__run(FILE *in, FILE *out, FILE *err, const char *name, bool strict,
	       const struct core_config *cfg, struct score_summary *sum);

/* "telltale score [--strict] [--config PATH] FILE|-". Returns the exit status: 0, 1 on
 * errors, 2 on usage or a malformed line under --strict. */
int score__main(int argc, char **argv);

#endif /* TT_SCORE_H */
