// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The streaming detector: quiet on noise and constants, catches spikes,
 * level shifts and trend changes, honours its direction. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/detect.h"
#include "rng.h"

static struct detect_config cfg;

/* Feeds n points of N(mu, sigma); returns how many scored >= 0.5. */
static int noise(struct detect *d, struct rng *r, int n, double mu, double sigma)
{
	int i, hits = 0;

	for (i = 0; i < n; i++)
		hits += detect__update(d, &cfg, mu + sigma * rng_normal(r)) >= 0.5;
	return hits;
}

/* Points until the score reaches 0.5 while f(i) is fed, -1 if never in n. */
static int delay(struct detect *d, struct rng *r, int n, double base, double sigma,
		 double step, double slope)
{
	int i;

	for (i = 0; i < n; i++)
		if (detect__update(d, &cfg, base + step + slope * i + sigma * rng_normal(r)) >= 0.5)
			return i;
	return -1;
}

static void test_quiet(void)
{
	struct detect d;
	struct rng r = { 7 };
	int i, bad = 0;
	double s;

	detect__init(&d);
	for (i = 0; i < 1000; i++) {
		s = detect__update(&d, &cfg, 42.0);
		bad += !(s == 0);
	}
	CHECK(bad == 0);
	CHECK_NEAR(detect__expected(&d), 42.0, 1e-9);
	detect__init(&d);
	/* 20,000 Gaussian points: per-point bound crossings must be rare. */
	CHECK(noise(&d, &r, 20000, 100, 5) < 20);
	CHECK(detect__update(&d, &cfg, NAN) == 0);
	CHECK(isfinite(detect__expected(&d)));
}

static void test_spike(void)
{
	struct detect d;
	struct rng r = { 8 };
	double s, before;

	detect__init(&d);
	noise(&d, &r, 500, 100, 5);
	before = detect__expected(&d);
	s = detect__update(&d, &cfg, 100 + 15 * 5);
	CHECK(s > 0.9);
	CHECK(d.why == DETECT_SPIKE);
	/* Clipping keeps one spike from dragging the baseline. */
	CHECK(fabs(detect__expected(&d) - before) < 2.0);
	s = detect__update(&d, &cfg, 100);
	CHECK(s < 0.5);
}

static void test_shift_and_trend(void)
{
	struct detect d;
	struct rng r = { 9 };
	int t;

	detect__init(&d);
	noise(&d, &r, 1000, 100, 5);
	/* +3 sigma level shift: too small for the spike bound, CUSUM finds it. */
	t = delay(&d, &r, 100, 100, 5, 15, 0);
	CHECK(t >= 0 && t <= 20);
	CHECK(d.why != 0);

	detect__init(&d);
	noise(&d, &r, 1000, 100, 5);
	/* A ramp starting at 0.1 sigma per point. */
	t = delay(&d, &r, 300, 100, 5, 0, 0.5);
	CHECK(t >= 0 && t <= 80);

	/* A steady trend is learnt, then is not an anomaly. */
	detect__init(&d);
	CHECK(delay(&d, &r, 1000, 100, 5, 0, 0.05) < 0 || d.n > 200);
}

static void test_direction(void)
{
	struct detect_config up = cfg;
	struct detect d;
	struct rng r = { 10 };

	up.dir = DETECT_UP;
	detect__init(&d);
	for (int i = 0; i < 500; i++)
		detect__update(&d, &up, 100 + 5 * rng_normal(&r));
	CHECK(detect__update(&d, &up, 20) == 0);
	CHECK(detect__update(&d, &up, 200) > 0.9);
}

static void test_score_map(void)
{
	CHECK_NEAR(detect__score_of(1), 0.5, 1e-12);
	CHECK(detect__score_of(0) == 0);
	CHECK(detect__score_of(-3) == 0);
	CHECK(detect__score_of(100) == 1);
	CHECK(detect__score_of(2) > detect__score_of(1.5));
	CHECK(strcmp(detect__why_name(DETECT_TREND), "trend") == 0);
	CHECK(sizeof(struct detect) <= 56);
}

int main(void)
{
	detect__default_config(&cfg);
	test_quiet();
	test_spike();
	test_shift_and_trend();
	test_direction();
	test_score_map();
	return check_done("test_detect");
}
