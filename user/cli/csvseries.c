// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Lines of an exported series: the delimiter its first line sets, timestamps
 * in the forms exports use, missing values, the columns a header names, and
 * the others, which `telltale score` passes through as they come.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/csvseries.h"

/* n digits at s into *v. */
static bool digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

static int parse_zone(const char *p, double *off)
{
	int hh, mm, sign;

	*off = 0;
	if (!*p || !strcmp(p, "Z"))
		return 0;
	if ((p[0] != '+' && p[0] != '-') || !digits(p + 1, 2, &hh))
		return -EINVAL;
	sign = p[0] == '-' ? -1 : 1;
	p += 3;
	if (*p == ':')
		p++;
	if (!digits(p, 2, &mm) || p[2] || hh > 23 || mm > 59)
		return -EINVAL;
	*off = sign * (hh * 3600.0 + mm * 60.0);
	return 0;
}

/* The time of day after a date: "THH:MM", then ":SS" and ".fraction" if
 * there; *p is moved past it. Nothing at all is midnight. */
static int parse_clock(const char **p, int *h, int *mi, int *se, double *frac)
{
	const char *q = *p;
	char *end;

	*h = *mi = *se = 0;
	*frac = 0;
	if (!*q)
		return 0;
	if ((*q != 'T' && *q != ' ') || !digits(q + 1, 2, h) || q[3] != ':' || !digits(q + 4, 2, mi))
		return -EINVAL;
	q += 6;
	if (*q == ':') {
		if (!digits(q + 1, 2, se))
			return -EINVAL;
		q += 3;
		if (*q == '.') {
			if (!isdigit((unsigned char)q[1]))
				return -EINVAL;
			*frac = strtod(q, &end);
			q = end;
		}
	}
	*p = q;
	return 0;
}

/* ISO 8601's calendar forms: "YYYY-MM-DD", then optionally a time of day
 * (minutes, seconds, a fraction; "T" or a space before it) and a zone. */
static int parse_calendar(const char *s, double *ts)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se;
	const char *p = s + 10;
	double frac, off;

	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return -EINVAL;
	if (parse_clock(&p, &h, &mi, &se, &frac) || parse_zone(p, &off))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*ts = (double)timegm(&tm) + frac - off;
	return 0;
}

int csv__parse_ts(const char *s, double *ts)
{
	char *end;
	double v;

	if (strlen(s) >= 10 && s[4] == '-')
		return parse_calendar(s, ts);
	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v) || end == s)
		return -EINVAL;
	/* From 1e11 on a number is milliseconds: in seconds it would be past
	 * the year 5000, in milliseconds it is after March 1973. */
	*ts = fabs(v) >= 1e11 ? v / 1000 : v;
	return 0;
}

bool csv__missing(const char *val_text)
{
	return !*val_text || !strcasecmp(val_text, "nan") || !strcasecmp(val_text, "null");
}

/* The field starting at s ends at the first delimiter outside double
 * quotes, or at the end of the line. */
static char *field_end(char *s, char delim)
{
	bool quoted = false;

	for (; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == delim && !quoted)
			return s;
	}
	return s;
}

static unsigned count_fields(const char *line, char delim)
{
	char *s = (char *)line;
	unsigned n = 1;

	while (*(s = field_end(s, delim))) {
		n++;
		s++;
	}
	return n;
}

void csv__format_of(const char *line, struct csv_format *f)
{
	/* The first of these that splits the line outside quotes. */
	static const char delims[] = { ',', '\t', ';' };
	unsigned i;

	f->delim = ',';
	for (i = 0; i < sizeof(delims); i++)
		if (count_fields(line, delims[i]) >= 2) {
			f->delim = delims[i];
			break;
		}
	f->fields = count_fields(line, f->delim);
	f->ts_col = 0;
	f->val_col = 1;
	snprintf(f->too_few, sizeof(f->too_few), "expected at least two fields: timestamp,value");
}

/* Trims blanks and one pair of double quotes around a field, in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		e[-1] = 0;
		s++;
	}
	return s;
}

/* Cuts the field at *s off the line: returns it, moves *s past it. */
static char *next_field(char **s, char delim)
{
	char *start = *s, *end = field_end(start, delim);

	*s = *end ? end + 1 : end;
	*end = 0;
	return start;
}

static int parse_value(const char *text, double *v, const char **why)
{
	char *end;

	if (csv__missing(text)) {
		*v = NAN;
		return 0;
	}
	/* Not errno's ERANGE: on underflow strtod returns the subnormal
	 * value (or 0), a finite number like any other; on overflow, an
	 * infinity, which isfinite refuses. */
	*v = strtod(text, &end);
	if (end == text || *end || !isfinite(*v)) {
		/* "5,3" from a semicolon file: a spreadsheet's decimal comma. */
		bool comma = *end == ',' && end > text && isdigit((unsigned char)end[-1]) &&
			     isdigit((unsigned char)end[1]);

		*why = comma ? "value: not a finite number (a decimal comma? write 5.3, not 5,3)"
			     : "value: not a finite number";
		return -EINVAL;
	}
	return 0;
}

int csv__parse_line(char *line, const struct csv_format *f, struct csv_row *row, const char **why)
{
	unsigned last = f->ts_col > f->val_col ? f->ts_col : f->val_col, i;
	char *s = line, *one;
	bool more;

	row->ts_text = row->val_text = line + strlen(line);
	row->rest = NULL;
	row->n_lead = 0;
	for (i = 0; i <= last; i++) {
		more = *field_end(s, f->delim) != 0;
		if (!more && i < last) {
			*why = f->too_few;
			return -EINVAL;
		}
		one = trim(next_field(&s, f->delim));
		if (i == f->ts_col)
			row->ts_text = one;
		else if (i == f->val_col)
			row->val_text = one;
		else
			row->lead[row->n_lead++] = one;
	}
	if (more)
		row->rest = s;
	if (csv__parse_ts(row->ts_text, &row->ts)) {
		*why = "timestamp: not YYYY-MM-DD HH:MM:SS, ISO 8601 or epoch (milli)seconds";
		return -EINVAL;
	}
	return parse_value(row->val_text, &row->v, why);
}

/* Whether a header field names one of names (any case). */
static bool named(const char *field, const char *const *names)
{
	for (; *names; names++)
		if (!strcasecmp(field, *names))
			return true;
	return false;
}

int csv__columns(const char *line, struct csv_format *f, char *buf, size_t n)
{
	static const char *const ts_names[] = { "timestamp", "time", "ts", "date", "datetime",
						"_time", NULL };
	static const char *const val_names[] = { "value", "val", "y", "_value", NULL };
	char *copy = strdup(line), *s = copy, *one;
	int ts_at = -1, val_at = -1, col, last;

	for (col = 0; s && *s; col++) {
		one = trim(next_field(&s, f->delim));
		if (ts_at < 0 && named(one, ts_names))
			ts_at = col;
		else if (val_at < 0 && named(one, val_names))
			val_at = col;
	}
	free(copy);
	if (ts_at >= CSV_NAMED_MAX || val_at >= CSV_NAMED_MAX) {
		snprintf(buf, n, "the header names the %s in column %d: score reads them from the "
			 "first %d columns; move it there",
			 ts_at >= CSV_NAMED_MAX ? "timestamp" : "value",
			 (ts_at >= CSV_NAMED_MAX ? ts_at : val_at) + 1, CSV_NAMED_MAX);
		return -EINVAL;
	}
	/* The one not named takes the first of the usual two left over. */
	if (ts_at < 0 && val_at >= 0)
		ts_at = val_at == 0;
	if (val_at < 0 && ts_at >= 0)
		val_at = ts_at == 1 ? 0 : 1;
	if (ts_at < 0)
		return 0;
	f->ts_col = (unsigned)ts_at;
	f->val_col = (unsigned)val_at;
	last = ts_at > val_at ? ts_at : val_at;
	if (last > 1)
		snprintf(f->too_few, sizeof(f->too_few),
			 "expected at least %d fields: the header names the %s in column %d",
			 last + 1, last == ts_at ? "timestamp" : "value", last + 1);
	return 0;
}

static int write_field(FILE *out, const char *one)
{
	const char *p;

	/* Out of a tab or semicolon file, a field holding a comma or a quote
	 * is quoted the CSV way, so the columns stay columns. */
	if (!strpbrk(one, ",\"\n"))
		return fprintf(out, ",%s", one) < 0 ? -EIO : 0;
	if (fputs(",\"", out) == EOF)
		return -EIO;
	for (p = one; *p; p++)
		if ((*p == '"' && fputc('"', out) == EOF) || fputc(*p, out) == EOF)
			return -EIO;
	return fputc('"', out) == EOF ? -EIO : 0;
}

int csv__write_passed(FILE *out, const struct csv_row *row, const struct csv_format *f)
{
	char *s = row->rest;
	unsigned i;
	bool more;

	for (i = 0; i < row->n_lead; i++)
		if (write_field(out, row->lead[i]))
			return -EIO;
	if (!s)
		return 0;
	do {
		more = *field_end(s, f->delim) != 0;
		if (write_field(out, trim(next_field(&s, f->delim))))
			return -EIO;
	} while (more);
	return 0;
}
