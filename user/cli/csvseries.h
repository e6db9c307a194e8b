/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Lines of an exported univariate series, as `telltale score` reads them:
 * timestamp and value first, any further columns passed through.
 */
#ifndef TT_CSVSERIES_H
#define TT_CSVSERIES_H

#include <stdbool.h>
#include <stdio.h>

/* What the first line sets for the whole file. */
struct csv_format {
	char delim;	 /* ',', or tab or ';' when the line has no comma outside quotes */
	unsigned fields; /* the first line's fields (names the columns passed through) */
};

/* One line's fields, pointing into the line. */
struct csv_row {
	char *ts_text, *val_text; /* trimmed, one pair of quotes removed */
	char *rest;		  /* the fields after the value, as read; NULL if none */
	double ts;		  /* seconds since the epoch */
	double v;		  /* NAN for a missing value */
};

/* Parses "YYYY-MM-DD HH:MM:SS", ISO 8601 ("T", optional fraction, "Z" or
 * +HH:MM), epoch seconds, or epoch milliseconds (numbers from 1e11 on) into
 * seconds since the epoch. Returns 0 or -EINVAL. */
int csv__parse_ts(const char *s, double *ts);

/* Whether a value field stands for a missing point: empty, "nan" or "null"
 * in any case. */
bool csv__missing(const char *val_text);

/* The delimiter and field count of a file's first line. */
void csv__format_of(const char *line, struct csv_format *f);

/* Splits a line (no newline) in place and parses its timestamp and value; a
 * missing value gives v = NAN; the fields after the value, however many,
 * are row->rest. Returns 0, or -EINVAL with *why set (fewer than two
 * fields, a bad timestamp or value). */
int csv__parse_line(char *line, const struct csv_format *f, struct csv_row *row, const char **why);

/* For a header row (as csv__parse_line split it; rest is not touched): where
 * its names put the timestamp (timestamp, time, ts, date, datetime) or the
 * value (value, val, y) in other columns than the first and the second,
 * which are what score reads, a message saying so into buf; else NULL. */
const char *csv__misplaced(const struct csv_row *header, const struct csv_format *f, char *buf,
			   size_t n);

/* Writes the fields of row->rest, each after a comma, as CSV. Returns 0 or
 * -EIO. */
int csv__write_rest(FILE *out, char *rest, const struct csv_format *f);

#endif /* TT_CSVSERIES_H */
