// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Checks the alerts telltale replay printed for a generated scenario against
 * its labels and prints one row of the scenario table. For scenario a it also
 * runs the two naive alternatives on the same latency series: a static
 * threshold and the univariate detector alone.
 *
 *   scencheck SCENARIO LABELS ALERTS STREAM
 *
 * Exit status 0 when the scenario's expectation holds, 1 when not.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "out/emit.h"
#include "cli/replay.h"

#define MAX_FIRING 4096

struct labels {
	double start, interval, onset, end, cross;
	int series;
};

struct firing {
	double ts;
	char kind[16], metric[40];
	int port; /* -1 for host metrics */
};

static void read_labels(const char *path, struct labels *l)
{
	char key[32], line[128];
	double v;
	FILE *f = fopen(path, "r");

	memset(l, 0, sizeof(*l));
	l->onset = l->end = l->cross = NAN;
	l->interval = 1;
	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %lf", key, &v) != 2)
			continue;
		if (!strcmp(key, "start_ts"))
			l->start = v;
		else if (!strcmp(key, "interval_s"))
			l->interval = v;
		else if (!strcmp(key, "onset_ts"))
			l->onset = v;
		else if (!strcmp(key, "end_ts"))
			l->end = v;
		else if (!strcmp(key, "cross_ts"))
			l->cross = v;
		else if (!strcmp(key, "series"))
			l->series = (int)v;
	}
	fclose(f);
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(it) ? it->valuestring : "";
}

/* Reads the firing lines; counts resolved lines per kind+metric in *resolved. */
static int read_alerts(const char *path, struct firing *fs, int *resolved_cpu)
{
	char line[8192];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		exit(2);
	}
	*resolved_cpu = 0;
	while (fgets(line, sizeof(line), f)) {
		cJSON *o = cJSON_Parse(line), *svc;

		if (!o || strcmp(str(o, "type"), "alert")) {
			cJSON_Delete(o);
			continue;
		}
		if (!strcmp(str(o, "state"), "resolved")) {
			*resolved_cpu += !strcmp(str(o, "metric"), "cpu_pct");
		} else if (n < MAX_FIRING && !cJSON_GetObjectItem(o, "renotify")) {
			line__parse_iso8601(str(o, "ts"), &fs[n].ts);
			snprintf(fs[n].kind, sizeof(fs[n].kind), "%s", str(o, "kind"));
			snprintf(fs[n].metric, sizeof(fs[n].metric), "%s", str(o, "metric"));
			svc = cJSON_GetObjectItem(o, "service");
			fs[n].port = svc ? cJSON_GetObjectItem(svc, "port")->valueint : -1;
			n++;
		}
		cJSON_Delete(o);
	}
	fclose(f);
	return n;
}

/* Whether firing f is what scenario sc is about. */
static bool expected(char sc, const struct firing *f, const struct labels *l)
{
	bool lat = !strcmp(f->kind, "anomaly") && f->port == 8080 &&
		   !strncmp(f->metric, "latency_", 8);

	switch (sc) {
	case 'b':
	case 'c':
		return lat && f->ts >= l->onset;
	case 'd':
		return !strcmp(f->kind, "threshold") && !strcmp(f->metric, "cpu_pct");
	case 'e':
		/* Crossing 80 % on the way up is a correct threshold alert too. */
		return !strcmp(f->metric, "mem_pct") && f->ts >= l->onset;
	}
	return false;
}

/* Scenario a: what a static latency threshold (1.5x the first 10 minutes'
 * mean, held 3 intervals, cleared at 1.3x) and the univariate detector alone
 * would have done on the main service's mean latency. */
static void naive(const char *stream, int *thr_fires, int *det_fires)
{
	struct rule_threshold rule = { .hold = 3 };
	struct alert_state ta = { 0 }, da = { 0 };
	struct alert_policy tp, dp;
	struct core_config cfg;
	struct detect_config dc;
	struct replay_rec rec;
	struct detect d;
	double base = 0, lat;
	char *line = NULL;
	size_t cap = 0;
	const char *why;
	long n = 0;
	FILE *f = fopen(stream, "r");

	*thr_fires = *det_fires = 0;
	if (!f)
		return;
	core__default_config(&cfg);
	dc = cfg.detect;
	dc.dir = DETECT_UP;
	dc.min_scale = 1;
	core__detector_policy(&cfg, &dp);
	tp = cfg.policy[ALERT_THRESHOLD];
	tp.m = tp.n = rule.hold;
	detect__init(&d);
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (replay__parse_line(line, &rec, &why) != REPLAY_METRICS ||
		    rec.svc.id.port != 8080 || rec.svc.id.role != TT_ROLE_SERVER ||
		    !rec.svc.has_latency)
			continue;
		lat = rec.svc.lat_mean_us;
		if (++n <= 600) {
			base += lat / 600;
			rule.fire = 1.5 * base * 600 / n;
			rule.clear = 1.3 * base * 600 / n;
		}
		*thr_fires += alert__observe(&ta, &tp, rules__breach(&rule, lat, ta.phase == ALERT_FIRING),
					     false, rec.svc.ts) == ALERT_EV_FIRING;
		detect__update(&d, &dc, rec.svc.ts, lat);
		*det_fires += alert__observe(&da, &dp, detect__firing(&d), false, rec.svc.ts) ==
			      ALERT_EV_FIRING;
	}
	free(line);
	fclose(f);
}

int main(int argc, char **argv)
{
	static struct firing fs[MAX_FIRING];
	int n, i, j, det = 0, fa = 0, resolved_cpu, worst = 0, thr, uni;
	double ttd = NAN;
	struct labels l;
	char sc, extra[160] = "", when[40];
	bool ok;

	if (argc != 5) {
		fprintf(stderr, "usage: scencheck SCENARIO LABELS ALERTS STREAM\n");
		return 2;
	}
	sc = argv[1][0];
	read_labels(argv[2], &l);
	n = read_alerts(argv[3], fs, &resolved_cpu);
	for (i = 0; i < n; i++) {
		if (!expected(sc, &fs[i], &l)) {
			fa++;
			continue;
		}
		det++;
		if (isnan(ttd) && strcmp(fs[i].kind, "threshold"))
			ttd = (fs[i].ts - l.onset) / l.interval + 1;
		else if (isnan(ttd) && sc == 'd')
			ttd = (fs[i].ts - l.onset) / l.interval + 1;
	}
	switch (sc) {
	case 'a':
		naive(argv[4], &thr, &uni);
		snprintf(extra, sizeof(extra), "static threshold fired %d, univariate detector fired %d",
			 thr, uni);
		ok = n == 0 && thr > 0 && uni > 0;
		break;
	case 'b':
		ok = det > 0 && fa == 0 && ttd <= 3;
		break;
	case 'c':
		ok = det > 0 && fa == 0;
		break;
	case 'd':
		ok = det == 1 && resolved_cpu == 1 && fa == 0;
		snprintf(extra, sizeof(extra), "%d firing, %d resolved", det, resolved_cpu);
		break;
	case 'e':
		ok = false;
		for (i = 0; i < n; i++)
			if (!strcmp(fs[i].kind, "forecast") && fs[i].ts < l.cross) {
				ok = fa == 0;
				ttd = (fs[i].ts - l.onset) / l.interval + 1;
				snprintf(extra, sizeof(extra), "forecast %.0f s before the crossing",
					 l.cross - fs[i].ts);
				break;
			}
		break;
	default:
		/* Every firing is false; at most one per series per day. */
		fa = n;
		for (i = 0; i < n; i++) {
			int same = 0;

			for (j = 0; j < n; j++)
				same += fs[j].port == fs[i].port;
			worst = same > worst ? same : worst;
		}
		ok = worst <= 1;
		snprintf(extra, sizeof(extra), "%d series, at most %d per series", l.series, worst);
		break;
	}
	if (isnan(ttd))
		snprintf(when, sizeof(when), "-");
	else
		snprintf(when, sizeof(when), "%.0f intervals", ttd);
	printf("| %c | %d | %d | %s | %s | %s |\n", sc, det, fa, when, extra[0] ? extra : "-",
	       ok ? "pass" : "FAIL");
	return ok ? 0 : 1;
}
