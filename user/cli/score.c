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
#include <time.h>

#include "core/core.h"
#include "cli/offline.h"
#include "cli/score.h"

#define MAX_LINE (1u << 20)

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

static int parse_calendar(const char *s, double *ts)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se;
	const char *p = s + 19;
	double frac = 0, off;
	char *end;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]))
			return -EINVAL;
		frac = strtod(p, &end);
		p = end;
	}
	if (parse_zone(p, &off))
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

int score__parse_ts(const char *s, double *ts)
{
	char *end;
	double v;

	if (strlen(s) >= 19 && s[4] == '-')
		return parse_calendar(s, ts);
	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno || !isfinite(v) || end == s)
		return -EINVAL;
	*ts = v;
	return 0;
}

/* Trims blanks and one pair of double quotes around a field. */
static char *field(char *s)
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

int score__parse_line(char *line, char **ts_text, double *ts, char **val_text, double *v,
		      const char **why)
{
	char *comma = strchr(line, ','), *end;

	*ts_text = *val_text = line + strlen(line);
	if (!comma || strchr(comma + 1, ',')) {
		*why = "expected two fields: timestamp,value";
		return -EINVAL;
	}
	*comma = 0;
	*ts_text = field(line);
	*val_text = field(comma + 1);
	if (score__parse_ts(*ts_text, ts)) {
		*why = "timestamp: not YYYY-MM-DD HH:MM:SS, ISO 8601 or epoch seconds";
		return -EINVAL;
	}
	if (score__missing(*val_text)) {
		*v = NAN;
		return 0;
	}
	errno = 0;
	*v = strtod(*val_text, &end);
	if (*end || errno == ERANGE || !isfinite(*v)) {
		*why = "value: not a finite number";
		return -EINVAL;
	}
	return 0;
}

bool score__missing(const char *val_text)
{
	return !*val_text || !strcasecmp(val_text, "nan") || !strcasecmp(val_text, "null");
}

struct scorer {
	struct core_config cfg;
	struct alert_policy policy;
	struct detect det;
	struct alert_state al;
};

static int score_point(struct scorer *s, FILE *out, const char *ts_text, double ts,
		       const char *val_text, double v, struct score_summary *sum)
{
	double sc = detect__update(&s->det, &s->cfg.detect, ts, v);
	bool fire;
	int ev;

	/* A missing point: its row, no score, no alert, and the alert state
	 * is not asked about it. */
	if (isnan(sc)) {
		sum->missing++;
		return fprintf(out, "%s,%s,,0\n", ts_text, val_text) < 0 ? -EIO : 0;
	}
	ev = alert__observe(&s->al, &s->policy, detect__firing(&s->det), false, ts);
	fire = ev == ALERT_EV_FIRING || ev == ALERT_EV_RENOTIFY;
	sum->points++;
	sum->alerts += fire;
	/* Rounded down, not to nearest: a row reads >= 0.5 exactly when its
	 * score reached the threshold (0.49996 would print as 0.5000). */
	if (fprintf(out, "%s,%s,%.4f,%d\n", ts_text, val_text, floor(sc * 1e4) / 1e4,
		    fire ? 1 : 0) < 0)
		return -EIO;
	return 0;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* Returns 0, 1 for a malformed line (why set), or a negative errno. */
static int one_line(struct scorer *s, FILE *out, char *line, size_t len, bool first,
		    struct score_summary *sum, const char **why)
{
	char *ts_text, *val_text;
	double ts, v;

	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (strlen(line) != len) {
		*why = "NUL byte in line";
		return 1;
	}
	if (len > MAX_LINE) {
		*why = "line longer than 1 MiB";
		return 1;
	}
	if (blank(line))
		return 0;
	if (score__parse_line(line, &ts_text, &ts, &val_text, &v, why)) {
		/* The first line may be a header: its value is not a number. */
		if (first && *val_text && !isdigit((unsigned char)*val_text) &&
		    !strchr("+-.", *val_text))
			return 0;
		return 1;
	}
	return score_point(s, out, ts_text, ts, val_text, v, sum);
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
	if (fprintf(out, "timestamp,value,anomaly_score,alert\n") < 0)
		return -EIO;
	while ((len = getline(&line, &cap, in)) >= 0) {
		sum->lines++;
		ret = one_line(&s, out, line, (size_t)len, sum->lines == 1, sum, &why);
		if (ret < 0)
			break;
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

	ret = offline__args("score", "Reads CSV timestamp,value and writes "
				     "timestamp,value,anomaly_score,alert.", argc, argv, &a);
	if (ret >= 0)
		return ret;
	ret = score__run(a.in, stdout, stderr, a.name, a.strict, &a.core, &sum);
	fprintf(stderr,
		"telltale score: %llu lines, %llu points, %llu missing, %llu alerts, %llu malformed\n",
		(unsigned long long)sum.lines, (unsigned long long)sum.points,
		(unsigned long long)sum.missing, (unsigned long long)sum.alerts,
		(unsigned long long)sum.malformed);
	return offline__finish(&a, ret);
}
