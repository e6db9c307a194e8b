// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The streaming detector: quiet on noise, constants and repeating cycles,
 * one episode per anomaly, a refractory time, the score's threshold is the
 * episode start, lasting level changes adopted, gaps noted. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/detect.h"
#include "rng.h"

#define T0 1767225600.0 /* 2026-01-01 00:00:00 UTC, a Thursday */

static struct detect_config cfg;

/* Counts what a run of points did. */
struct run {
	int starts;	 /* episodes started */
	int high;	 /* points scored >= DETECT_THRESHOLD */
	int high_quiet;	 /* ... outside an episode and its refractory time */
	int mismatch;	 /* starts without a high score, or high quiet points without a start */
	int stale;	 /* points that scored without adding to the sum of surprise */
	double last;	 /* last score */
};

/* One point, checking that an episode starts exactly where the score
 * reaches the threshold: outside an episode and its refractory time, and
 * that no point reaches it within them. */
static void feed(struct detect *d, struct run *r, double ts, double x)
{
	bool was = detect__firing(d), refr = d->refractory > 0, warm = d->n >= cfg.warmup;
	float before = fmaxf(d->sum_up, d->sum_down);
	double s = detect__update(d, &cfg, ts, x);
	bool started = !was && detect__firing(d);

	r->last = s;
	if (isnan(s))
		return;
	/* Only a point that adds evidence scores (or one that starts an
	 * episode, whose sum then restarts). */
	r->stale += s > 0 && !started && fmaxf(d->sum_up, d->sum_down) <= before;
	r->starts += started;
	r->high += s >= DETECT_THRESHOLD;
	if (!was && !refr && warm) {
		r->high_quiet += s >= DETECT_THRESHOLD;
		r->mismatch += started != (s >= DETECT_THRESHOLD);
	} else {
		/* In an episode or its refractory time nothing starts, and the
		 * score stays below the threshold. */
		r->mismatch += started || (warm && s >= DETECT_THRESHOLD);
	}
}

static void noise(struct detect *d, struct run *r, struct rng *g, double *ts, int n, double dt,
		  double mu, double sigma)
{
	int i;

	for (i = 0; i < n; i++, *ts += dt)
		feed(d, r, *ts, mu + sigma * rng_normal(g));
}

static void test_quiet(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 7 };
	double ts = T0;
	int i;

	detect__init(&d);
	for (i = 0; i < 1000; i++, ts += 1)
		feed(&d, &r, ts, 42.0);
	CHECK(r.high == 0 && r.starts == 0);
	CHECK_NEAR(detect__expected(&d), 42.0, 1e-9);
	/* A day of Gaussian noise at 1 s: a handful of episodes at most
	 * (docs/detectors.md measures the rate). */
	detect__init(&d);
	memset(&r, 0, sizeof(r));
	noise(&d, &r, &g, &ts, 86400, 1, 100, 5);
	CHECK(r.starts <= 3);
	CHECK(r.mismatch == 0 && r.stale == 0);
	CHECK(d.season.mode == SEASON_NONE);
}

static void test_spike(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 8 };
	double ts = T0, before;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 2000, 60, 100, 5);
	r.starts = 0;
	before = detect__expected(&d);
	feed(&d, &r, ts, 100 + 5 * 40);
	ts += 60;
	CHECK(r.last >= DETECT_THRESHOLD);
	CHECK(r.starts == 1 && detect__firing(&d) && d.why == DETECT_SPIKE);
	/* Not learnt: the forecast did not move toward the spike. */
	noise(&d, &r, &g, &ts, 1, 60, 100, 5);
	CHECK(fabs(detect__expected(&d) - before) < 2.0);
	/* calm_n normal points in a row end it. */
	for (int i = 0; i < 100 && detect__firing(&d); i++)
		noise(&d, &r, &g, &ts, 1, 60, 100, 5);
	CHECK(!detect__firing(&d) && d.last_end == DETECT_END_EXPLAINED);
	CHECK(r.starts == 1 && r.mismatch == 0 && r.stale == 0);
}

/* A shift of +8 sigma for 60 points (shorter than adopt): one episode, one
 * high score (its start), nothing when it ends. */
static void test_one_per_episode(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 9 };
	double ts = T0;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 3000, 300, 50, 2);
	r = (struct run){ 0 };
	noise(&d, &r, &g, &ts, 60, 300, 66, 2);
	CHECK(r.starts == 1);
	CHECK(r.high == 1);
	CHECK(detect__firing(&d));
	noise(&d, &r, &g, &ts, 500, 300, 50, 2);
	CHECK(r.starts == 1);
	CHECK(!detect__firing(&d) && d.last_end == DETECT_END_EXPLAINED);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

static void test_refractory(void)
{
	struct detect_config keep = cfg;
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 10 };
	double ts = T0;
	unsigned i;

	cfg.budget_step = 0; /* the refractory time alone */
	cfg.refractory = 20;
	detect__init(&d);
	noise(&d, &r, &g, &ts, 3000, 1, 10, 1);
	r.starts = 0;
	feed(&d, &r, ts++, 60);
	for (i = 0; i < 100 && detect__firing(&d); i++)
		feed(&d, &r, ts++, 10 + rng_normal(&g));
	CHECK(r.starts == 1 && !detect__firing(&d));
	/* Within the refractory time a second spike starts nothing and scores
	 * just below the threshold... */
	feed(&d, &r, ts++, 60);
	CHECK(r.starts == 1 && r.last < DETECT_THRESHOLD && r.last > 0.49);
	for (i = 0; i < cfg.refractory; i++)
		feed(&d, &r, ts++, 10 + rng_normal(&g));
	CHECK(d.refractory == 0);
	/* ... after it one does. */
	feed(&d, &r, ts++, 60);
	CHECK(r.starts == 2);
	CHECK(r.mismatch == 0 && r.stale == 0);
	cfg = keep;
}

/* A deploy doubles the level for good: one alert, the level adopted after
 * `adopt` points, quiet from then on at the new level. */
static void test_adopt(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 11 };
	double ts = T0;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 2000, 1, 200, 10);
	r = (struct run){ 0 };
	noise(&d, &r, &g, &ts, (int)cfg.adopt + 10, 1, 400, 20);
	CHECK(r.starts == 1);
	CHECK(!detect__firing(&d) && d.last_end == DETECT_END_ADOPTED);
	noise(&d, &r, &g, &ts, 20000, 1, 400, 20);
	CHECK(r.starts == 1);
	CHECK_NEAR(detect__expected(&d), 400, 20);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* A business day's rate: 200 at night, a 30 min ramp to 2,000 at 09:00, a
 * 30 min fall at 18:00. */
static double business_day(double ts)
{
	double h = fmod(ts, 86400) / 3600;

	if (h < 9 || h >= 18.5)
		return 200;
	if (h < 9.5)
		return 200 + 1800 * (h - 9) / 0.5;
	if (h < 18)
		return 2000;
	return 2000 - 1800 * (h - 18) / 0.5;
}

/* A day (since the epoch) the business week keeps as a holiday, -1 none. */
static double holiday = -1;

/* The business week: business days Monday to Friday, 300 all weekend and on
 * the holiday. */
static double business(double ts)
{
	int dow = (int)(floor(ts / 86400) + 3) % 7; /* 0 = Monday */

	return dow >= 5 || floor(ts / 86400) == holiday ? 300 : business_day(ts);
}

/* Feeds n points of the business week every dt s from *ts on, with noise of
 * this share of the value (sd). */
static void feed_week(struct detect *d, struct run *r, struct rng *g, double *ts, int n, int dt,
		      double noise)
{
	int i;

	for (i = 0; i < n; i++, *ts += dt)
		feed(d, r, *ts, business(*ts) * (1 + noise * rng_normal(g)));
}

/* ... at 5 min with 5 % noise. */
static void feed_business(struct detect *d, struct run *r, struct rng *g, double *ts, int n)
{
	feed_week(d, r, g, ts, n, 300, 0.05);
}

static void test_seasonal(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 12 };
	double ts = T0 - 3 * 86400; /* a Monday */
	int i;

	/* Noise-free: 20, jumping to 80 at 06:00 and back at 18:00, at 5 min.
	 * Two days to learn; then ten days without an episode. */
	detect__init(&d);
	for (i = 0; i < 2 * 288; i++, ts += 300)
		feed(&d, &r, ts, fmod(ts, 86400) >= 6 * 3600 && fmod(ts, 86400) < 18 * 3600 ? 80 : 20);
	r = (struct run){ 0 };
	for (i = 0; i < 10 * 288; i++, ts += 300)
		feed(&d, &r, ts, fmod(ts, 86400) >= 6 * 3600 && fmod(ts, 86400) < 18 * 3600 ? 80 : 20);
	CHECK(r.starts == 0);
	CHECK(d.season.mode != SEASON_NONE);

	/* The business week at 5 min: two weeks to learn, then two quiet. */
	detect__init(&d);
	ts = T0 - 3 * 86400;
	feed_business(&d, &r, &g, &ts, 14 * 288);
	r = (struct run){ 0 };
	feed_business(&d, &r, &g, &ts, 14 * 288);
	CHECK(r.starts == 0);
	CHECK(d.season.mode == SEASON_WEEKLY);
	/* A Tuesday 11:00 outage to 300 is still found. */
	while (fmod(ts, 86400) != 11 * 3600 || ((int)(floor(ts / 86400) + 3) % 7) != 1)
		feed_business(&d, &r, &g, &ts, 1);
	r = (struct run){ 0 };
	for (i = 0; i < 6; i++, ts += 300)
		feed(&d, &r, ts, 300 * (1 + 0.05 * rng_normal(&g)));
	CHECK(r.starts == 1);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* Business weeks, each series with its own noise, none alerts in its weeks
 * 3 to 6: ten series at 5 min, five at 1 min (the example), with 5 %
 * noise and without (an exactly repeating series), and two at 1 h. The week
 * profile of hourly corrections to the day profile this replaced alerted in
 * those weeks at 1 min (53 alerts in ten series) and without noise (3 a
 * series a week), at the ramps and the weekends' midnights; without the
 * band's allowance for the profiles' bend, the exactly repeating week at 1
 * min still alerted at its 09:00 ramp. */
static void business_quiet(int series, int dt, double noise, int start)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 99 };
	double ts;
	int s, day = 86400 / dt;

	for (s = 0; s < series; s++) {
		detect__init(&d);
		ts = T0 + (start - 3) * 86400.0; /* a Monday and start days */
		feed_week(&d, &r, &g, &ts, 14 * day, dt, noise);
		r.starts = 0;
		feed_week(&d, &r, &g, &ts, 28 * day, dt, noise);
		CHECK(r.starts == 0);
		CHECK(d.season.mode == SEASON_WEEKLY);
	}
	CHECK(r.mismatch == 0 && r.stale == 0);
}

static void test_seasonal_weeks(void)
{
	business_quiet(10, 300, 0.05, 0);
	business_quiet(5, 60, 0.05, 0);
	business_quiet(3, 300, 0, 0);
	business_quiet(1, 60, 0, 0);
	business_quiet(2, 3600, 0.05, 0);
	/* From a Thursday: the first weekend learnt as working days until the
	 * kinds part, which each weekday's swing, learnt once a week against
	 * a profile that moves daily, made last weeks before their swings were
	 * held to an average of 1 (5 min, in a scratch harness: 80 alerts in weeks
	 * 3-6 of ten). */
	business_quiet(10, 300, 0.05, 3);
	/* From a Friday and from a Sunday: the first days were all of the
	 * first kind until three had been, so the first weekend was learnt as
	 * working days and the kinds parted a week late (weeks 3-6 at 5 min:
	 * 18 and 6 alerts of ten series, scratch harness). The first day's own
	 * roughness now stands for a typical distance, and the second day may
	 * part. */
	business_quiet(10, 300, 0.05, 4);
	business_quiet(10, 300, 0.05, 6);
}

/* A week whose every day has its own swing: a daily wave from 200 that
 * peaks at noon, 1.25 times as high on Mondays as midweek, 0.85 on
 * Fridays, 0.35 and 0.25 at the weekend. Two kinds of day draw the
 * weekend and the working days; each day of the week's swing over its
 * kind's draws the rest: at 5 min sixty series raise 22 alerts in weeks
 * 3-10 (16-22 over three seeds; the kinds alone 27-35, the hourly
 * corrections before them 78). */
static double varied_week(double ts)
{
	static const double swing[7] = { 1.25, 1.1, 1, 1, 0.85, 0.35, 0.25 };
	int dow = (int)(floor(ts / 86400) + 3) % 7; /* 0 = Monday */
	double h = fmod(ts, 86400) / 3600;

	return 200 + 1000 * swing[dow] * (1 - cos(2 * M_PI * h / 24));
}

static void test_varied_week(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 23 };
	double ts;
	int s, i, young = 0, late = 0;

	for (s = 0; s < 60; s++) {
		detect__init(&d);
		ts = T0 - 3 * 86400; /* a Monday */
		for (i = 0; i < 70 * 288; i++, ts += 300) {
			if (i == 14 * 288)
				young = r.starts;
			feed(&d, &r, ts, varied_week(ts) * (1 + 0.05 * rng_normal(&g)));
		}
		late += r.starts - young;
	}
	CHECK(late <= 24);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* A holiday, a Wednesday of the fourth week that looks like a weekend day:
 * today's points tell it a weekend day within its first hour, so it raises
 * no alert at 5 min (the hourly week profile alerted at 09:00 when the
 * ramp did not come), and next Wednesday is a business day again. */
static void test_holiday(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 5 };
	double ts;
	int s;

	for (s = 0; s < 10; s++) {
		detect__init(&d);
		ts = T0 - 3 * 86400; /* a Monday */
		holiday = floor(ts / 86400) + 23;
		feed_business(&d, &r, &g, &ts, 21 * 288);
		r.starts = 0;
		feed_business(&d, &r, &g, &ts, 14 * 288);
		CHECK(r.starts == 0);
		CHECK(d.season.mode == SEASON_WEEKLY);
	}
	holiday = -1;
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* A young series whose daily cycle has a sharp night trough: the trough is an
 * episode on the first nights, before the profile knows it. The profiles and
 * the selection learn within episodes too, so from the fourth day on no
 * night alerts (the detector that froze them there kept alerting: 5 in these
 * eleven days). */
static void test_young_cycle(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 7 };
	double ts = T0, h;
	int i, empty = 0;

	detect__init(&d);
	for (i = 0; i < 14 * 288; i++, ts += 300) {
		if (i == 3 * 288)
			r = (struct run){ 0 };
		h = fmod(ts, 86400) / 3600;
		feed(&d, &r, ts, 0.6 - 0.45 * exp(-pow((h - 3) / 1.5, 2)) + 0.02 * rng_normal(&g));
	}
	CHECK(r.starts == 0);
	CHECK(r.mismatch == 0 && r.stale == 0);
	CHECK(d.season.mode != SEASON_NONE);
	for (i = 0; i < SEASON_DAY_BINS; i++)
		empty += d.season.day[i] == INT16_MIN;
	CHECK(empty == 0);
}

/* A clean daily cycle (amplitude 10 sd, 5 min): on day 28 the forecast is
 * within 0.6 of the truth on average (0.32). Profiles that learnt only from
 * the forecast's level, which follows what they do not know yet, were
 * still 0.91 off. */
static void test_profile_converges(void)
{
	struct detect d;
	struct rng g = { 21 };
	double ts = T0, err = 0, truth;
	int i, n = 0;

	detect__init(&d);
	for (i = 0; i < 28 * 288; i++, ts += 300) {
		truth = 100 + 30 * sin(2 * M_PI * fmod(ts, 86400) / 86400);
		detect__update(&d, &cfg, ts, truth + 3 * rng_normal(&g));
		if (i >= 27 * 288) {
			err += fabs(detect__expected(&d) - truth);
			n++;
		}
	}
	CHECK(d.season.mode != SEASON_NONE);
	CHECK(err / n < 0.6);
}

/* A young daily cycle: a +15 sd spike at 21:00 on days 3 to 7 is found.
 * The day profile learns from a slow level from the start, so it knows the
 * cycle after a few days; learnt from the forecast's own level it knew a
 * part of it, and the band stayed wide enough to hide these spikes. */
static void test_young_cycle_spikes(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 22 };
	double ts = T0, truth;
	int i, spikes = 0;

	detect__init(&d);
	for (i = 0; i < 8 * 288; i++, ts += 300) {
		bool spike = i >= 3 * 288 && i % 288 == 252;

		truth = 100 + 30 * sin(2 * M_PI * fmod(ts, 86400) / 86400);
		feed(&d, &r, ts, truth + 3 * rng_normal(&g) + (spike ? 45 : 0));
		spikes += spike;
	}
	CHECK(spikes == 5);
	CHECK(r.starts == spikes && r.mismatch == 0 && r.stale == 0);
}

/* A business day every day at 1 min: until the profile knows them, the
 * ramps are episodes long enough to be adopted, and the slow level the day
 * profile learns from must not follow them round the cycle (it went from
 * 200 to 4,000 within a week when it took adopted shifts). */
static void test_slow_level_stays(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 23 };
	double ts = T0, lo = INFINITY, hi = -INFINITY;
	int i;

	detect__init(&d);
	for (i = 0; i < 7 * 1440; i++, ts += 60) {
		feed(&d, &r, ts, business_day(ts) * (1 + 0.05 * rng_normal(&g)));
		if (i >= 1440) {
			lo = fmin(lo, d.slow);
			hi = fmax(hi, d.slow);
		}
	}
	CHECK(d.adopted > 0);
	CHECK(lo > 150 && hi < 2100);
}

/* After a long gap only the level starts again (scale, tail and cycles
 * stay): ten points on, a spike is found, where a whole new warm-up would be
 * blind for 100 points. A gap within the first warm-up starts that over. */
static void test_gap_rewarm(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 14 };
	double ts = T0;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 50, 60, 100, 5);
	ts += 86400;
	noise(&d, &r, &g, &ts, 1, 60, 100, 5);
	CHECK(d.restarts == 1 && d.n == 1);
	noise(&d, &r, &g, &ts, 500, 60, 100, 5);
	ts += 86400;
	r = (struct run){ 0 };
	noise(&d, &r, &g, &ts, 20, 60, 250, 5);
	CHECK(d.restarts == 2 && r.starts == 0 && r.mismatch == 0 && r.stale == 0);
	CHECK_NEAR(detect__expected(&d), 250, 5);
	feed(&d, &r, ts, 250 + 20 * 5);
	CHECK(r.starts == 1 && r.mismatch == 0 && r.stale == 0);
}

/* A long gap after which the series is where it was: its level goes on
 * and its points are judged at once, so a spike two points after the
 * silence is found (a restarted level would be blind for ten). */
static void test_gap_goes_on(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 15 };
	double ts = T0;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 500, 60, 100, 5);
	ts += 3 * 3600;
	r = (struct run){ 0 };
	noise(&d, &r, &g, &ts, 2, 60, 100, 5);
	CHECK(d.restarts == 1 && r.starts == 0);
	feed(&d, &r, ts, 100 + 20 * 5);
	CHECK(r.starts == 1 && r.mismatch == 0 && r.stale == 0);
}

static void test_gaps(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 13 };
	double ts = T0, e;
	uint32_t n;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 500, 60, 100, 5);
	n = d.n;
	e = detect__expected(&d);
	CHECK(isnan(detect__update(&d, &cfg, ts, NAN)));
	ts += 60;
	CHECK(d.gaps == 1 && d.n == n && detect__expected(&d) == e);
	/* A few missing points: the series goes on where it was. */
	ts += 5 * 60;
	noise(&d, &r, &g, &ts, 10, 60, 100, 5);
	CHECK(d.restarts == 0 && d.n == n + 10);
	/* A silence of a day, and the level has moved: warm-up again, no
	 * alert for the move. */
	ts += 86400;
	r = (struct run){ 0 };
	noise(&d, &r, &g, &ts, 200, 60, 300, 5);
	CHECK(d.restarts == 1);
	CHECK(r.starts == 0);
	CHECK_NEAR(detect__expected(&d), 300, 10);
	/* Irregular timestamps: 30 to 90 s apart, still quiet. */
	r = (struct run){ 0 };
	for (n = 0; n < 3000; n++) {
		feed(&d, &r, ts, 300 + 5 * rng_normal(&g));
		ts += 30 + 60 * rng_unif(&g);
	}
	CHECK(r.starts <= 1);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

static void test_direction(void)
{
	struct detect_config keep = cfg;
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 14 };
	double ts = T0;

	cfg.dir = DETECT_UP;
	detect__init(&d);
	noise(&d, &r, &g, &ts, 2000, 1, 100, 5);
	r.starts = 0;
	feed(&d, &r, ts++, 20);
	CHECK(r.last < DETECT_THRESHOLD && r.starts == 0);
	feed(&d, &r, ts++, 300);
	CHECK(r.last >= DETECT_THRESHOLD && r.starts == 1);
	cfg = keep;
}

/* A surprise short of an alert scores on its point, not on the quiet points
 * after it while the sum runs down. */
static void test_score_onset(void)
{
	struct detect d, at;
	struct run r = { 0 };
	struct rng g = { 12 };
	double ts = T0, k;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 2000, 60, 100, 5);
	for (k = 2; k < 8; k += 0.1) {
		at = d;
		feed(&at, &r, ts, 100 + 5 * k);
		if (r.last > 0.3)
			break;
	}
	CHECK(r.last > 0.3 && r.last < DETECT_THRESHOLD);
	feed(&at, &r, ts + 60, 100);
	CHECK(fmaxf(at.sum_up, at.sum_down) > 0);
	CHECK(r.last == 0);
	CHECK(r.stale == 0 && r.mismatch == 0);
}

static void test_score_map(void)
{
	CHECK(detect__score_of(&cfg, 0) == 0);
	CHECK_NEAR(detect__score_of(&cfg, cfg.level), DETECT_THRESHOLD, 1e-12);
	CHECK_NEAR(detect__score_of(&cfg, 2 * cfg.level), 0.75, 1e-12);
	CHECK(strcmp(detect__why_name(DETECT_SHIFT), "shift") == 0);
	/* Fixed memory: the profiles are most of it. */
	CHECK(sizeof(struct detect) <= 768);
}

int main(void)
{
	detect__default_config(&cfg);
	test_quiet();
	test_spike();
	test_one_per_episode();
	test_refractory();
	test_adopt();
	test_seasonal();
	test_seasonal_weeks();
	test_holiday();
	test_varied_week();
	test_young_cycle();
	test_gaps();
	test_young_cycle_spikes();
	test_slow_level_stays();
	test_gap_rewarm();
	test_gap_goes_on();
	test_profile_converges();
	test_direction();
	test_score_onset();
	test_score_map();
	return check_done("test_detect");
}
