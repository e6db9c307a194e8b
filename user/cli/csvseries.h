/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Lines of an exported univariate series, as `telltale score` reads them:
 * timestamp and value (first and second, or where a header names them), any
 * other columns passed through.
 */
#ifndef TT_CSVSERIES_H
#define TT_CSVSERIES_H

#include <stdbool.h>
#include <stdio.h>

/* The furthest column a header may name the timestamp or the value in. */
#define CSV_NAMED_MAX 16

/* What the first line sets for the whole file. */
struct csv_format {
	char delim;	 /* ',', or tab or ';' when the line has no comma outside quotes */
	unsigned fields; /* the first line's fields (names the columns passed through) */
	unsigned ts_col, val_col; /* 0-based: 0 and 1 unless a header names others */
	char too_few[80];	  /* why a line with too few fields for them is refused */
};

/* One line's fields, pointing into the line. */
struct csv_row {
	char *ts_text, *val_text; /* trimmed, one pair of quotes removed */
	/* The fields passed through, in order: those before the later of the
	 * two columns read (trimmed), then the rest after it, as read. */
	char *lead[CSV_NAMED_MAX];
	unsigned n_lead;
	char *rest; /* NULL if none */
	double ts;  /* seconds since the epoch */
	double v;   /* NAN for a missing value */
};

/* Parses "YYYY-MM-DD HH:MM:SS", ISO 8601 ("T", seconds and a fraction
 * optional, "Z" or +HH:MM; a date alone is its midnight), epoch seconds, or
 * epoch milliseconds (numbers from 1e11 on) into seconds since the epoch.
 * Returns 0 or -EINVAL. */
int csv__parse_ts(const char *s, double *ts);

/* Whether a value field stands for a missing point: empty, "nan" or "null"
 * in any case. */
bool csv__missing(const char *val_text);

/* The delimiter and field count of a file's first line; the timestamp in
 * its first column, the value in its second. */
void csv__format_of(const char *line, struct csv_format *f);

/* Where the first line's names put the timestamp (timestamp, time, ts, date,
 * datetime, _time) and the value (value, val, y, _value: InfluxDB's), any
 * case: the first column of
 * each name. One that is not named takes the first of columns 1 and 2 the
 * other leaves. A line of no such names (data, a header of other names)
 * changes nothing. Returns 0, or -EINVAL with a message in buf for a name
 * past column CSV_NAMED_MAX. */
int csv__columns(const char *line, struct csv_format *f, char *buf, size_t n);

/* Splits a line (no newline) in place and parses its timestamp and value; a
 * missing value gives v = NAN; the other fields, however many, are passed
 * through (row->lead, row->rest). Returns 0, or -EINVAL with *why set (too
 * few fields, a bad timestamp or value). */
int csv__parse_line(char *line, const struct csv_format *f, struct csv_row *row, const char **why);

/* Writes the fields passed through, each after a comma, as CSV. Returns 0 or
 * -EIO. */
int csv__write_passed(FILE *out, const struct csv_row *row, const struct csv_format *f);

#endif /* TT_CSVSERIES_H */
