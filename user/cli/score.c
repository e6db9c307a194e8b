// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The series gets the detector configuration every agent series starts from
 * (both directions, since the metric is unknown) and the agent's anomaly
 * alert policy: alert is 1 exactly where the agent would print "firing".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "cli/csvseries.h"
#include "cli/offline.h"
#include "cli/score.h"

struct scorer {
	struct core_config cfg;
	struct alert_policy policy;
	struct detect det;
	struct alert_state al;
	struct csv_format fmt; /* set by the first line that is not blank */
	bool started;	       /* that line was seen, the header written */
	bool misread;	       /* ... a header naming a column score does not read */
	char why[256];	       /* the message of that header */
};

static int end_row(FILE *out, const struct scorer *s, const struct csv_row *row)
{
	if (csv__write_passed(out, row, &s->fmt))
		return -EIO;
	return fputc('\n', out) == EOF ? -EIO : 0;
}

static int score_point(struct scorer *s, FILE *out, struct csv_row *row,
		       struct score_summary *sum)
{
	double sc = detect__update(&s->det, &s->cfg.detect, row->ts, row->v);
	bool fire;
	int ev;

	/* A missing point: its row, no score, no alert, and the alert state
	 * is not asked about it. */
	if (isnan(sc)) {
		sum->missing++;
		if (fprintf(out, "%s,%s,,0", row->ts_text, row->val_text) < 0)
			return -EIO;
		return end_row(out, s, row);
	}
	ev = alert__observe(&s->al, &s->policy, detect__firing(&s->det), false, row->ts);
	fire = ev == ALERT_EV_FIRING || ev == ALERT_EV_RENOTIFY;
	sum->points++;
	sum->alerts += fire;
	/* Rounded down, not to nearest: a row reads >= 0.5 exactly when its
	 * score reached the threshold (0.49996 would print as 0.5000). */
	if (fprintf(out, "%s,%s,%.4f,%d", row->ts_text, row->val_text, floor(sc * 1e4) / 1e4,
		    fire ? 1 : 0) < 0)
		return -EIO;
	return end_row(out, s, row);
}

/* The output's header: the four columns, then the input header's names of
 * the columns passed through (column3, ... when it has no header). The
 * timestamp and value columns keep score's names whatever the input's. */
static int write_header(FILE *out, const struct scorer *s, struct csv_row *header)
{
	unsigned i;

	if (fputs("timestamp,value,anomaly_score,alert", out) == EOF)
		return -EIO;
	if (header)
		return end_row(out, s, header);
	for (i = 3; i <= s->fmt.fields; i++)
		if (fprintf(out, ",column%u", i) < 0)
			return -EIO;
	return fputc('\n', out) == EOF ? -EIO : 0;
}

/* Whether a line split with the file's columns is a header: its value
 * field is text (not a number, not a missing value). */
static bool is_header(const struct csv_row *row)
{
	const char *v = row->val_text;

	return *v && !isdigit((unsigned char)*v) && !strchr("+-.", *v) && !csv__missing(v);
}

/* The first line of two fields or more sets the delimiter; it is a header
 * if its second field is text, and a header's names may then move the
 * timestamp and the value to other columns. It is parsed on copies (a parse
 * cuts the line up); the line itself is left for the row it may be. */
static int first_line(struct scorer *s, FILE *out, const char *line, bool *header,
		      const char **why)
{
	struct csv_row row;
	char *copy = strdup(line);
	int ret;

	s->started = true;
	if (!copy)
		return -ENOMEM;
	*header = csv__parse_line(copy, &s->fmt, &row, why) && is_header(&row);
	free(copy);
	if (!*header)
		return write_header(out, s, NULL);
	if (csv__columns(line, &s->fmt, s->why, sizeof(s->why))) {
		*why = s->why;
		s->misread = true;
		return 1;
	}
	copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	csv__parse_line(copy, &s->fmt, &row, why);
	ret = write_header(out, s, &row);
	free(copy);
	return ret;
}

/* Returns 0, 1 for a malformed line (why set), or a negative errno. */
static int one_line(struct scorer *s, FILE *out, char *line, size_t len,
		    struct score_summary *sum, const char **why)
{
	struct csv_row row;
	bool header = false;
	int ret;

	switch (offline__line(line, len, sum->lines == 1, why)) {
	case OFFLINE_LINE_BAD:
		return 1;
	case OFFLINE_LINE_BLANK:
		return 0;
	case OFFLINE_LINE_OK:
		break;
	}
	/* A comment is no row, and before the header it is not the header. */
	if (line[strspn(line, " \t")] == '#') {
		sum->comments++;
		return 0;
	}
	if (!s->started) {
		/* A line of one field (a comment, a title) is malformed and
		 * sets nothing. */
		csv__format_of(line, &s->fmt);
		if (s->fmt.fields < 2) {
			*why = "expected at least two fields: timestamp,value";
			return 1;
		}
		ret = first_line(s, out, line, &header, why);
		if (ret || header)
			return ret;
	}
	if (csv__parse_line(line, &s->fmt, &row, why))
		return 1;
	return score_point(s, out, &row, sum);
}

int score__run(FILE *in, FILE *out, FILE *err, const char *name, bool strict,
	       const struct core_config *cfg, struct score_summary *sum)
{
	struct scorer s = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why = "";
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	s.cfg = *cfg;
	core__detector_policy(cfg, &s.policy);
	detect__init(&s.det);
	while ((len = getline(&line, &cap, in)) >= 0) {
		sum->lines++;
		ret = one_line(&s, out, line, (size_t)len, sum, &why);
		if (ret < 0)
			break;
		if (ret > 0 && s.misread) {
			fprintf(err, "%s:%llu: %s\n", name, (unsigned long long)sum->lines, why);
			ret = 2;
			break;
		}
		if (ret > 0) {
			sum->malformed++;
			fprintf(err, "%s:%llu: malformed line skipped: %s\n", name,
				(unsigned long long)sum->lines, why);
			if (strict) {
				ret = 2;
				break;
			}
			ret = 0;
		}
	}
	if (!ret && ferror(in))
		ret = -EIO;
	/* Empty input still gets its header. */
	if (!ret && !s.started)
		ret = write_header(out, &s, NULL);
	free(line);
	if (!ret && fflush(out))
		ret = -EIO;
	return ret;
}

int score__main(int argc, char **argv)
{
	struct score_summary sum;
	struct offline_args a;
	int ret;

	ret = offline__args("score",
			    "Reads CSV timestamp,value[,more columns] (or where a header names "
			    "them) and writes "
			    "timestamp,value,anomaly_score,alert[,the same columns].",
			    argc, argv, &a);
	if (ret >= 0)
		return ret;
	ret = score__run(a.in, stdout, stderr, a.name, a.strict, &a.core, &sum);
	fprintf(stderr,
		"telltale score: %llu lines, %llu points, %llu missing, %llu alerts, %llu malformed, "
		"%llu comments\n",
		(unsigned long long)sum.lines, (unsigned long long)sum.points,
		(unsigned long long)sum.missing, (unsigned long long)sum.alerts,
		(unsigned long long)sum.malformed, (unsigned long long)sum.comments);
	return offline__finish(&a, ret);
}
