// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Measures detector variants on seeded synthetic series: detection rate and
 * delay per anomaly type, and false alerts per day of 1 s points on pure
 * noise, both at the point level (score >= 0.5) and through the alert
 * lifecycle the agent uses. The numbers in docs/detectors.md come from here:
 *   build/tools/detect_eval [trials]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alert.h"
#include "core/core.h"
#include "core/detect.h"
#include "../tests/unit/rng.h"

#define WARM 600
#define AFTER 150

enum noise { N_GAUSS, N_T3, N_AR1, N_POIS, N_COUNT };
static const char *const noise_names[N_COUNT] = { "gauss", "student-t3", "ar1-0.6",
						  "poisson-2" };

enum anom { A_SPIKE, A_SHIFT3, A_SHIFT5, A_TREND05, A_TREND02, A_COUNT };
static const char *const anom_names[A_COUNT] = { "spike 8sd", "shift +3sd", "shift +5sd",
						 "trend .05sd/pt", "trend .02sd/pt" };

static double severe = 2.0; /* the agent's default: no single-point firing */

struct variant {
	const char *name;
	struct detect_config cfg;
};

struct noise_gen {
	struct rng r;
	double ar;
};

/* One noise draw with unit standard deviation. */
static double draw(struct noise_gen *g, int kind)
{
	switch (kind) {
	case N_T3:
		return rng_student(&g->r, 3);
	case N_AR1:
		g->ar = 0.6 * g->ar + 0.8 * rng_normal(&g->r);
		return g->ar;
	case N_POIS:
		return ((double)rng_poisson(&g->r, 2.0) - 2.0) / sqrt(2.0);
	}
	return rng_normal(&g->r);
}

static double anomaly(int kind, int i)
{
	switch (kind) {
	case A_SPIKE:
		return i == 0 ? 8 : 0;
	case A_SHIFT3:
		return 3;
	case A_SHIFT5:
		return 5;
	case A_TREND05:
		return 0.05 * i;
	case A_TREND02:
		return 0.02 * i;
	}
	return 0;
}

static double value(int noise, double z)
{
	/* Poisson is a count with mean 2: keep it on its integer grid. */
	if (noise == N_POIS)
		return 2.0 + z * sqrt(2.0);
	return 100 + 5 * z;
}

struct tally {
	int point_hits, alert_hits;
	double point_delay, alert_delay;
};

static void trial(const struct variant *v, const struct alert_policy *pol, int noise, int kind,
		  uint64_t seed, struct tally *t)
{
	struct noise_gen g = { .r = { seed } };
	struct alert_state a = { 0 };
	struct detect d;
	int i, point = -1, alert = -1;
	double s, sd = noise == N_POIS ? 1 : 1;

	detect__init(&d);
	for (i = 0; i < WARM; i++) {
		s = detect__update(&d, &v->cfg, value(noise, draw(&g, noise)));
		alert__observe(&a, pol, s >= 0.5, s >= severe, i);
	}
	/* Only an alert that starts after the onset counts. */
	if (a.phase == ALERT_FIRING)
		alert__expire(&a);
	for (i = 0; i < AFTER; i++) {
		s = detect__update(&d, &v->cfg, value(noise, draw(&g, noise) + sd * anomaly(kind, i)));
		if (s >= 0.5 && point < 0)
			point = i;
		if (alert__observe(&a, pol, s >= 0.5, s >= severe, WARM + i) == ALERT_EV_FIRING &&
		    alert < 0)
			alert = i;
	}
	if (point >= 0) {
		t->point_hits++;
		t->point_delay += point;
	}
	if (alert >= 0) {
		t->alert_hits++;
		t->alert_delay += alert;
	}
}

/* False alerts per 86,400 points of pure noise. */
static void false_alarms(const struct variant *v, const struct alert_policy *pol, int noise,
			 long n, double *points_per_day, double *alerts_per_day)
{
	struct noise_gen g = { .r = { 4242 + (uint64_t)noise } };
	struct alert_state a = { 0 };
	struct detect d;
	long i, points = 0, alerts = 0;
	double s;

	detect__init(&d);
	for (i = 0; i < n; i++) {
		s = detect__update(&d, &v->cfg, value(noise, draw(&g, noise)));
		points += s >= 0.5;
		alerts += alert__observe(&a, pol, s >= 0.5, s >= severe, (double)i) ==
			  ALERT_EV_FIRING;
	}
	*points_per_day = points * 86400.0 / n;
	*alerts_per_day = alerts * 86400.0 / n;
}

/* key=value overrides of the base configuration, for tuning runs. */
static void override(struct detect_config *c, const char *arg)
{
	double v = atof(strchr(arg, '=') ? strchr(arg, '=') + 1 : "0");

	if (!strncmp(arg, "alpha=", 6))
		c->alpha = v;
	else if (!strncmp(arg, "z=", 2))
		c->z_spike = v;
	else if (!strncmp(arg, "k=", 2))
		c->cusum_k = v;
	else if (!strncmp(arg, "h=", 2))
		c->cusum_h = v;
	else if (!strncmp(arg, "tz=", 3))
		c->trend_z = v;
	else if (!strncmp(arg, "bf=", 3))
		c->beta_fast = v;
	else if (!strncmp(arg, "bs=", 3))
		c->beta_slow = v;
	else if (!strncmp(arg, "sa=", 3))
		c->scale_alpha = v;
	else if (!strncmp(arg, "severe=", 7))
		severe = v;
	else
		fprintf(stderr, "ignored: %s\n", arg);
}

static void variants(struct variant *v, int *n, int argc, char **argv)
{
	struct detect_config base;
	int i;

	detect__default_config(&base);
	for (i = 3; i < argc; i++)
		override(&base, argv[i]);
	v[0] = (struct variant){ "ewma-z", base };
	v[0].cfg.robust = false;
	v[0].cfg.components = DETECT_SPIKE;
	v[1] = (struct variant){ "robust-z", base };
	v[1].cfg.components = DETECT_SPIKE;
	v[2] = (struct variant){ "robust-z+cusum", base };
	v[2].cfg.components = DETECT_SPIKE | DETECT_SHIFT;
	v[3] = (struct variant){ "holt-z+trend", base };
	v[3].cfg.components = DETECT_SPIKE | DETECT_TREND;
	v[4] = (struct variant){ "full (default)", base };
	*n = 5;
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 200, nv, vi, ni, ai, k;
	struct alert_policy pol;
	struct variant v[8];
	long fa_n = argc > 2 ? atol(argv[2]) : 864000;

	if (trials < 1)
		trials = 1;
	alert__default_policy(&pol, ALERT_ANOMALY);
	variants(v, &nv, argc, argv);
	printf("# %d trials per cell, warm-up %d points, window %d points;\n", trials, WARM, AFTER);
	printf("# cells: point detection %% / mean delay | alert detection %% / mean delay\n");
	for (ni = 0; ni < N_COUNT; ni++) {
		printf("\n## noise: %s\n%-16s", noise_names[ni], "variant");
		for (ai = 0; ai < A_COUNT; ai++)
			printf(" | %-23s", anom_names[ai]);
		printf(" | FA points/day | FA alerts/day\n");
		for (vi = 0; vi < nv; vi++) {
			double fp, fa;

			printf("%-16s", v[vi].name);
			for (ai = 0; ai < A_COUNT; ai++) {
				struct tally t = { 0 };

				for (k = 0; k < trials; k++)
					trial(&v[vi], &pol, ni, ai,
					      (uint64_t)(1000003 * k + 7919 * ai + ni + 1), &t);
				printf(" | %3.0f%% %5.1f %3.0f%% %5.1f ",
				       100.0 * t.point_hits / trials,
				       t.point_hits ? t.point_delay / t.point_hits : NAN,
				       100.0 * t.alert_hits / trials,
				       t.alert_hits ? t.alert_delay / t.alert_hits : NAN);
			}
			false_alarms(&v[vi], &pol, ni, fa_n, &fp, &fa);
			printf(" | %13.1f | %13.2f\n", fp, fa);
		}
	}
	return 0;
}
