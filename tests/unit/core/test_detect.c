// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The streaming detector: quiet on noise, constants and repeating cycles,
 * one episode per anomaly, a refractory time, the score's threshold is the
 * episode start, lasting level changes adopted, gaps noted. The weekly
 * cycles are test_week's. */
#include <math.h>
#include <string.h>

#include "detect_run.h"
#include "rng.h"

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

/* The budget's raise is bounded by the sum's cap: past (cap - 1) x level,
 * three episodes' worth, no surprise reaches the raised level, and the series
 * is muted until the raise decays (docs/detectors.md, item 10). Four spikes
 * two hours apart at 5 min alert; a fifth, far larger, does not; two days
 * later one does. */
static void test_budget_mute(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 12 };
	double ts = T0;
	int k;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 3000, 300, 100, 5);
	r.starts = 0;
	for (k = 0; k < 4; k++) {
		feed(&d, &r, ts, 300);
		ts += 300;
		noise(&d, &r, &g, &ts, 23, 300, 100, 5);
	}
	CHECK(r.starts == 4);
	CHECK(d.boost > (cfg.cap - 1) * cfg.level);
	feed(&d, &r, ts, 600);
	ts += 300;
	CHECK(r.starts == 4 && r.last < DETECT_THRESHOLD);
	noise(&d, &r, &g, &ts, 2 * 288, 300, 100, 5);
	CHECK(d.boost < (cfg.cap - 1) * cfg.level);
	feed(&d, &r, ts, 300);
	CHECK(r.starts == 5);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* Level changes that last are not a cycle: a series of noise, two weeks
 * old, whose level then changes five times, 12.5 hours apart at 5 min,
 * alerts at each change and at no other point, and keeps to its level
 * forecast. The profiles learn within an episode, and the episode's points
 * once chose the weekly profile here, which had learnt the changed hours as
 * a kind of day: the next day's forecast fell toward the old level, and the
 * series alerted hours before its fourth change. */
static void test_lasting_changes(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 13 };
	double ts = T0;
	int k, i, before;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 15 * 288, 300, 100, 5);
	r.starts = 0;
	for (k = 0; k < 5; k++) {
		for (i = 0; i < 150; i++, ts += 300) {
			before = r.starts;
			feed(&d, &r, ts, (k % 2 ? 100 : 150) + 5 * rng_normal(&g));
			if (r.starts > before)
				CHECK(i < 3);
		}
		CHECK(r.starts == k + 1);
	}
	CHECK(d.mode == SEASON_NONE);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* A deploy doubles the level for good: one alert, the level adopted after
 * `adopt` points and `adopt_s` seconds, quiet from then on at the new level. */
static void test_adopt(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 11 };
	double ts = T0;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 2000, 1, 200, 10);
	r = (struct run){ 0 };
	/* At 1 s adopt_s comes after adopt points: the alert holds until then
	 * (a nightly job's run must end before it, core/recur.h). */
	noise(&d, &r, &g, &ts, (int)cfg.adopt_s - 10, 1, 400, 20);
	CHECK(r.starts == 1 && detect__firing(&d));
	noise(&d, &r, &g, &ts, 20, 1, 400, 20);
	CHECK(r.starts == 1);
	CHECK(!detect__firing(&d) && d.last_end == DETECT_END_ADOPTED);
	noise(&d, &r, &g, &ts, 20000, 1, 400, 20);
	CHECK(r.starts == 1);
	CHECK_NEAR(detect__expected(&d), 400, 20);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* A constant that never moved, then x: the number of alerts in the 50 points
 * from its step on, and whether the step itself starts one. */
static int flat_then(double before, double after, bool *at_step)
{
	struct detect d;
	struct run r = { 0 };
	double ts = T0;
	int i;

	detect__init(&d);
	for (i = 0; i < 3000; i++, ts += 300)
		feed(&d, &r, ts, before);
	CHECK(r.starts == 0);
	for (i = 0; i < 50; i++, ts += 300) {
		feed(&d, &r, ts, after);
		if (!i)
			*at_step = r.starts == 1;
	}
	CHECK(r.mismatch == 0 && r.stale == 0);
	return r.starts;
}

/* A setting that never moved steps: one alert, at the step. The resolution,
 * the least step seen, is learnt after the point is judged; learnt before,
 * the step was its own resolution and never alerted. A count that sat at 0
 * for days and counts 1 has moved by its least step: no alert; at 5 and
 * then 10 it has moved by five, and at 5 and then 8 by three, which is no
 * resolution: a surprising step does not teach it. */
static void test_flat_step(void)
{
	bool at_step = false;

	CHECK(flat_then(0.25, 0.3, &at_step) == 1 && at_step);
	CHECK(flat_then(5, 5.5, &at_step) == 1 && at_step);
	CHECK(flat_then(0, 1, &at_step) == 0);
	CHECK(flat_then(5, 10, &at_step) == 1);
	CHECK(flat_then(5, 8, &at_step) == 1);
}

/* Noise that comes back after a flat stretch (a stuck sensor, an idle
 * service), or that grows for good: one alert. The episode's noise is adopted
 * with its level and the sums start again; before, the old, smaller scale
 * made a new episode at once after every adoption: 4 alerts, and 2. */
static void test_new_noise(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 12 };
	double ts = T0;
	int i;

	detect__init(&d);
	for (i = 0; i < 2000; i++, ts += 300)
		feed(&d, &r, ts, 5.0);
	noise(&d, &r, &g, &ts, 2000, 300, 5, 0.5);
	CHECK(r.starts == 1);
	detect__init(&d);
	r = (struct run){ 0 };
	noise(&d, &r, &g, &ts, 2000, 300, 50, 1);
	r.starts = 0;
	noise(&d, &r, &g, &ts, 2000, 300, 50, 4);
	CHECK(r.starts == 1);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* A first sample of 1e6 on a series of 100 +- 5 (a counter's reset): the
 * warm-up's averages take it at most WARM_CLIP scales' worth, so a +12 sd
 * spike 250 points later is found (before, the scale was 15,000 for days). */
static void test_warm_outlier(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 13 };
	double ts = T0;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 50, 300, 100, 5);
	feed(&d, &r, ts, 1e6);
	ts += 300;
	noise(&d, &r, &g, &ts, 249, 300, 100, 5);
	CHECK(r.starts == 0);
	feed(&d, &r, ts, 160);
	CHECK(r.starts == 1 && r.last >= DETECT_THRESHOLD);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* Values at the edge of a double (an export's +-1e300, 1.7e308) are judged
 * as the extremes they are and leave the state finite: they once made it
 * NaN, and the series never scored again. */
static void test_huge_values(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 14 };
	double ts = T0;
	int i;

	detect__init(&d);
	noise(&d, &r, &g, &ts, 300, 60, 100, 5);
	feed(&d, &r, ts, 1e300);
	ts += 60;
	CHECK(r.starts == 1 && r.last >= DETECT_THRESHOLD);
	for (i = 0; i < 200; i++, ts += 60)
		feed(&d, &r, ts, i % 2 ? 1e300 : -1e300);
	noise(&d, &r, &g, &ts, 300, 60, 100, 5);
	CHECK(isfinite(detect__expected(&d)) && isfinite(detect__sigma(&d)));
	CHECK(isfinite(r.last));
	feed(&d, &r, ts, 1.7e308);
	CHECK(isfinite(r.last) && r.last >= DETECT_THRESHOLD);
	CHECK(r.mismatch == 0);
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
	test_budget_mute();
	test_lasting_changes();
	test_adopt();
	test_flat_step();
	test_new_noise();
	test_warm_outlier();
	test_huge_values();
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
