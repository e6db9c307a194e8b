// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The detector on weekly cycles (core/week.c): business weeks quiet after
 * two weeks at 10 s to 1 h, with noise and without, whatever day they
 * start on; a holiday; a week whose every day has its own swing; a week
 * in its users' hours across a daylight-saving change. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect_run.h"
#include "rng.h"

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

/* The daily jump (20, 80 from 12:00 to 18:00) with 1 % noise, and
 * a working day's step (100 at night, 500 from 09:00 to 18:00, 350 over
 * lunch) with 3 %: from the third day on no alert, at 5 min and 1 min. The
 * day profile's lessons were clipped toward an empty bin's neighbours and
 * the selection bounded each forecast's errors at its own scale: the level
 * forecast stayed in force, and each alerted every day for a week. */
static double jump(double ts)
{
	double h = fmod(ts, 86400) / 3600;

	return h >= 12 && h < 18 ? 80 : 20;
}

static double workday(double ts)
{
	double h = fmod(ts, 86400) / 3600;

	return 100 + (h >= 9 && h < 18 ? 400 : 0) - (h >= 12 && h < 13 ? 150 : 0);
}

static int alerts_from_day3(double (*shape)(double), double noise, int dt, uint64_t seed)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { seed };
	double ts = T0;
	int i, n = 14 * 86400 / dt;

	detect__init(&d);
	for (i = 0; i < n; i++, ts += dt) {
		if (i == 3 * 86400 / dt)
			r.starts = 0;
		feed(&d, &r, ts, shape(ts) * (1 + noise * rng_normal(&g)));
	}
	CHECK(d.season.mode != SEASON_NONE);
	CHECK(r.mismatch == 0 && r.stale == 0);
	return r.starts;
}

static void test_noisy_step(void)
{
	CHECK(alerts_from_day3(jump, 0.01, 300, 3) == 0);
	CHECK(alerts_from_day3(workday, 0.03, 300, 4) == 0);
	CHECK(alerts_from_day3(workday, 0.03, 60, 5) == 0);
}

/* Daily jumps from 20 to 80 shorter than the issue's, at round times, 1 %
 * noise: an hour from 06:30, an hour from 21:00, three hours from 21:00 to
 * midnight, and a nightly job's 30 minutes from 02:00, at 5 min and at 1
 * min, three seeds each: from the third day on no alert. Bins centred on
 * the hours mixed both sides of each step, a line between their centres
 * drew a jump as a ramp and a one-bin job as a triangle, the first day's
 * squared errors, bounded at the warm-up's scales, outweighed the rest for
 * days, and an adopted episode moved the day profile's level with the
 * level's: the level forecast stayed in force, and these raised 5-10
 * alerts each in their two weeks (bench/detection/jumps.py and
 * docs/detectors.md, "Short daily jumps"). */
static double jump_from, jump_hours;

static double short_jump(double ts)
{
	double h = fmod(ts, 86400) / 3600 - jump_from;

	return h >= 0 && h < jump_hours ? 80 : 20;
}

static void test_short_jumps(void)
{
	static const double at[4][2] = { { 6.5, 1 }, { 21, 1 }, { 21, 3 }, { 2, 0.5 } };
	int j, seed, late = 0;

	for (j = 0; j < 4; j++) {
		jump_from = at[j][0];
		jump_hours = at[j][1];
		for (seed = 1; seed <= 3; seed++) {
			late += alerts_from_day3(short_jump, 0.01, 300, 10 + seed);
			late += alerts_from_day3(short_jump, 0.01, 60, 20 + seed);
		}
	}
	CHECK(late == 0);
}

/* A working week of steps, not ramps, at 1 min with 1 % noise: 200 at
 * night, 2,000 from 09:00 to 18:00 on working days, 300 at weekends. Its
 * third and fourth weeks raise no alert; before the weekly profile held
 * its steps as the day profile does, it alerted there 2-3 times (and 5
 * times before the bins began at the hours). */
static double step_week(double ts)
{
	int dow = (int)(floor(ts / 86400) + 3) % 7; /* 0 = Monday */
	double h = fmod(ts, 86400) / 3600;

	return dow >= 5 ? 300 : h >= 9 && h < 18 ? 2000 : 200;
}

static void test_week_of_steps(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 31 };
	double ts;
	int s, i, late = 0;

	for (s = 0; s < 3; s++) {
		detect__init(&d);
		ts = T0 - 3 * 86400; /* a Monday */
		for (i = 0; i < 28 * 1440; i++, ts += 60) {
			if (i == 14 * 1440)
				r.starts = 0;
			feed(&d, &r, ts, step_week(ts) * (1 + 0.01 * rng_normal(&g)));
		}
		late += r.starts;
		CHECK(d.season.mode == SEASON_WEEKLY);
	}
	CHECK(late == 0);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* Whether an alert at ts is where a cycle that is not learnt alerts: within
 * 90 minutes of a business day's ramps, or of a weekend's first or last
 * midnight. */
static bool at_the_cycle(double ts)
{
	double h = fmod(ts, 86400) / 3600;
	int dow = (int)(floor(ts / 86400) + 3) % 7; /* 0 = Monday */
	bool ramp = fabs(h - 9.25) <= 1.5 || fabs(h - 18.25) <= 1.5;
	bool midnight = h <= 1.5 || h >= 22.5;

	return (dow < 5 && ramp) || ((dow == 5 || dow == 0) && midnight);
}

/* Business weeks, each series with its own noise, quiet in its weeks 3 to 6:
 * ten series at 5 min, five at 1 min (the example), with 5 % noise
 * and without (an exactly repeating series), and two at 1 h. The week
 * profile of hourly corrections to the day profile this replaced alerted in
 * those weeks at 1 min (53 alerts in ten series) and without noise (3 a
 * series a week), at the ramps and the weekends' midnights; without the
 * band's allowance for the profiles' bend, the exactly repeating week at 1
 * min still alerted at its 09:00 ramp. Quiet is: no alert at all without
 * noise; with it, none where a cycle not learnt alerts and at most one
 * elsewhere in 20 series-weeks (a run of +3 sd noise: the 5 series at 1 min
 * here raised one on a Thursday at 15:00 of week 3 once the daily profile
 * waited for a whole day of errors; 40 more series of each build, none). */
static void business_quiet(int series, int dt, double noise, int start)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 99 };
	double ts;
	int s, i, before, day = 86400 / dt, cycle = 0, late = 0;

	for (s = 0; s < series; s++) {
		detect__init(&d);
		ts = T0 + (start - 3) * 86400.0; /* a Monday and start days */
		feed_week(&d, &r, &g, &ts, 14 * day, dt, noise);
		r.starts = 0;
		for (i = 0; i < 28 * day; i++) {
			before = r.starts;
			feed_week(&d, &r, &g, &ts, 1, dt, noise);
			cycle += r.starts > before && at_the_cycle(ts - dt);
		}
		late += r.starts;
		CHECK(d.season.mode == SEASON_WEEKLY);
	}
	CHECK(cycle == 0);
	CHECK(noise > 0 ? late <= series * 4 / 20 : late == 0);
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

/* A city's trips every 30 min (bench/detection/cityweek.py): a working
 * day's morning and evening peaks from a night of 2,000, a weekend's late
 * night out and one peak at 14:00, noise 5 % of the value. */
static double city_trips(double ts)
{
	int dow = (int)(floor(ts / 86400) + 3) % 7; /* 0 = Monday */
	double h = fmod(ts, 86400) / 3600;

	if (dow < 5)
		return 8000 + 12000 * exp(-pow((h - 8.5) / 1.5, 2)) +
		       15000 * exp(-pow((h - 19) / 3, 2)) - 6000 * exp(-pow((h - 4) / 1.5, 2));
	return 12000 + 8000 * exp(-pow((h - 14) / 4, 2)) + 6000 * exp(-pow((h - 1) / 2, 2));
}

/* The second weekend: its days have been the weekend's kind once, so their
 * votes still say working day, and its first points (a weekend night, twice
 * a working one) alerted before the day's own points could tell its kind:
 * 20 series raised 33 alerts there. A day of the week that lately changed
 * kind is judged by the nearer kind's forecast: none. */
static void test_second_weekend(void)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 41 };
	double ts;
	int s, i, before, second = 0;

	for (s = 0; s < 20; s++) {
		detect__init(&d);
		ts = T0 - 3 * 86400; /* a Monday */
		for (i = 0; i < 21 * 48; i++, ts += 1800) {
			before = r.starts;
			feed(&d, &r, ts, city_trips(ts) * (1 + 0.05 * rng_normal(&g)));
			second += r.starts > before && i >= 12 * 48 && i < 14 * 48;
		}
	}
	CHECK(second == 0);
	CHECK(r.mismatch == 0 && r.stale == 0);
}

/* The offset of the process's zone (TZ) from UTC at ts, s. */
static double zone_offset(double ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	return localtime_r(&t, &tm) ? (double)tm.tm_gmtoff : 0;
}

#define MARCH_1	      1772323200.0 /* 2026-03-01 00:00 UTC, a Sunday */
#define SPRING_CHANGE 1774746000.0 /* 2026-03-29 01:00 UTC: Europe/Berlin goes to UTC+2 */

/* Alerts after the change, over three series of seven weeks at 5 min of
 * the business week in Berlin hours, the profiles in UTC or in the zone. */
static int users_zone_alerts(bool local)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { 31 };
	double ts;
	int i, s, before, late = 0;

	cfg.season.local = local;
	for (s = 0; s < 3; s++) {
		detect__init(&d);
		for (i = 0, ts = MARCH_1; i < 49 * 288; i++, ts += 300) {
			before = r.starts;
			feed(&d, &r, ts,
			     business(ts + zone_offset(ts)) * (1 + 0.05 * rng_normal(&g)));
			late += ts >= SPRING_CHANGE && r.starts > before;
		}
	}
	cfg.season.local = false;
	CHECK(r.mismatch == 0 && r.stale == 0);
	return late;
}

/* Traffic that keeps its users' hours moves by an hour in UTC at a
 * daylight-saving change: with the profiles in UTC the week's ramps then
 * come early for weeks and alert; with them in the users' zone
 * (detector.timezone) nothing moves. Without the zone's file (Debian's
 * tzdata) TZ falls back to UTC, and the first check fails. */
static void test_users_zone(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	CHECK(zone_offset(SPRING_CHANGE - 1) == 3600 && zone_offset(SPRING_CHANGE) == 7200);
	CHECK(users_zone_alerts(false) >= 5);
	CHECK(users_zone_alerts(true) == 0);
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	detect__default_config(&cfg);
	test_seasonal();
	test_noisy_step();
	test_short_jumps();
	test_week_of_steps();
	test_seasonal_weeks();
	test_holiday();
	test_varied_week();
	test_second_weekend();
	test_users_zone();
	return check_done("test_week");
}
