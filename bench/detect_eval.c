// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Measures detector variants on seeded synthetic series: detection rate and
 * delay per anomaly type (an episode, i.e. an alert, starting after the
 * onset), and false alerts per day of 1 s points on pure noise. The numbers
 * in docs/detectors.md come from here:
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

#define T0 1767225600.0 /* timestamps: 1 s points from 2026-01-01 */

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
	int alert_hits;
	double alert_delay;
};

static void trial(const struct variant *v, int noise, int kind, uint64_t seed, struct tally *t)
{
	struct noise_gen g = { .r = { seed } };
	struct detect d;
	int i, alert = -1;
	bool was;

	detect__init(&d);
	for (i = 0; i < WARM; i++)
		detect__update(&d, &v->cfg, T0 + i, value(noise, draw(&g, noise)));
	/* Only an episode that starts after the onset counts. */
	for (i = 0; i < AFTER; i++) {
		was = detect__firing(&d);
		detect__update(&d, &v->cfg, T0 + WARM + i,
			       value(noise, draw(&g, noise) + anomaly(kind, i)));
		if (!was && detect__firing(&d) && alert < 0)
			alert = i;
	}
	if (alert >= 0) {
		t->alert_hits++;
		t->alert_delay += alert;
	}
}

/* Episodes (alerts) per 86,400 points (a day at 1 s) of pure noise. */
static double false_alarms(const struct variant *v, int noise, long n)
{
	struct noise_gen g = { .r = { 4242 + (uint64_t)noise } };
	struct detect d;
	long i, alerts = 0;
	bool was;

	detect__init(&d);
	for (i = 0; i < n; i++) {
		was = detect__firing(&d);
		detect__update(&d, &v->cfg, T0 + (double)i, value(noise, draw(&g, noise)));
		alerts += !was && detect__firing(&d);
	}
	return alerts * 86400.0 / n;
}

/* key=value overrides of the base configuration, for tuning runs. */
static void override(struct detect_config *c, const char *arg)
{
	double v = atof(strchr(arg, '=') ? strchr(arg, '=') + 1 : "0");

	if (!strncmp(arg, "alpha=", 6))
		c->alpha = v;
	else if (!strncmp(arg, "k=", 2))
		c->allowance = v;
	else if (!strncmp(arg, "h=", 2))
		c->level = v;
	else if (!strncmp(arg, "budget=", 7))
		c->budget_step = v;
	else if (!strncmp(arg, "eta=", 4))
		c->tail_eta = v;
	else if (!strncmp(arg, "sa=", 3))
		c->scale_alpha = v;
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
	v[0] = (struct variant){ "default", base };
	v[1] = (struct variant){ "no budget", base };
	v[1].cfg.budget_step = 0;
	v[2] = (struct variant){ "normal tail", base };
	v[2].cfg.tail_eta = 0;
	v[3] = (struct variant){ "allowance 3", base };
	v[3].cfg.allowance = 3;
	v[4] = (struct variant){ "allowance 1.5", base };
	v[4].cfg.allowance = 1.5;
	v[5] = (struct variant){ "no seasons", base };
	v[5].cfg.seasonal = false;
	*n = 6;
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 200, nv, vi, ni, ai, k;
	struct variant v[8];
	long fa_n = argc > 2 ? atol(argv[2]) : 864000;

	if (trials < 1)
		trials = 1;
	variants(v, &nv, argc, argv);
	printf("# %d trials per cell, warm-up %d points, window %d points;\n", trials, WARM, AFTER);
	printf("# cells: episodes (alerts) started within the window %% / mean delay, points\n");
	for (ni = 0; ni < N_COUNT; ni++) {
		printf("\n## noise: %s\n%-16s", noise_names[ni], "variant");
		for (ai = 0; ai < A_COUNT; ai++)
			printf(" | %-23s", anom_names[ai]);
		printf(" | FA alerts/day\n");
		for (vi = 0; vi < nv; vi++) {
			printf("%-16s", v[vi].name);
			for (ai = 0; ai < A_COUNT; ai++) {
				struct tally t = { 0 };

				for (k = 0; k < trials; k++)
					trial(&v[vi], ni, ai, (uint64_t)(1000003 * k + 7919 * ai + ni + 1),
					      &t);
				printf(" | %3.0f%% %5.1f          ", 100.0 * t.alert_hits / trials,
				       t.alert_hits ? t.alert_delay / t.alert_hits : NAN);
			}
			printf(" | %13.2f\n", false_alarms(&v[vi], ni, fa_n));
		}
	}
	return 0;
}
