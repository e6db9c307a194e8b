// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Short episodes that recur at their time of day (core/recur.c): a job of
 * 15 or 20 minutes every day, narrower than the profiles can draw, alerts
 * on its first days and then no more, at 5 min, 1 min, 10 s and 1 s; a one-point
 * spike every day is no job and keeps alerting; an anomaly at another
 * hour, the job moved to another hour, and a lasting shift at the job's
 * hour still alert; and the rules of the remembered starts at their edges. */
#include <math.h>
#include <string.h>

#include "detect_run.h"
#include "rng.h"
#include "core/recur.h"

#define DAYS 14
#define DAY 86400.0

static double job_at, job_min, moved_day = DAYS, moved_at, extra_at = -1, extra_min;
static double job_high = 80;
/* The shortest alert of the last run_days (s, from its start to its end). */
static double shortest;

/* 20, and job_high while the job runs (from job_at hours for job_min minutes, from
 * moved_at from moved_day on) or the extra run (extra_at s, extra_min). */
static double job(double ts)
{
	double from = floor((ts - T0) / DAY) >= moved_day ? moved_at : job_at;
	double m = fmod(ts, DAY) / 60 - from * 60;

	if (extra_at >= 0 && ts >= extra_at && ts < extra_at + extra_min * 60)
		return job_high;
	return m >= 0 && m < job_min ? job_high : 20;
}

/* Runs DAYS days of shape with 1 % noise; the alerts each day, and where
 * the alerts started (up to 64). */
static void run_days(double (*shape)(double), int dt, uint64_t seed, int *per_day, double *at)
{
	struct detect d;
	struct run r = { 0 };
	struct rng g = { seed };
	double ts = T0, since = 0;
	int i, n = (int)(DAYS * DAY) / dt;

	detect__init(&d);
	memset(per_day, 0, DAYS * sizeof(*per_day));
	shortest = INFINITY;
	for (i = 0; i < n; i++, ts += dt) {
		int before = r.starts;
		bool was = detect__firing(&d);

		feed(&d, &r, ts, shape(ts) * (1 + 0.01 * rng_normal(&g)));
		if (r.starts > before) {
			if (r.starts <= 64 && at)
				at[r.starts - 1] = ts;
			per_day[(int)((ts - T0) / DAY)]++;
			since = ts;
		}
		if (was && !detect__firing(&d))
			shortest = fmin(shortest, ts - since);
	}
	CHECK(r.mismatch == 0 && r.stale == 0);
}

static int sum_days(const int *per_day, int from, int to)
{
	int n = 0;

	for (; from < to; from++)
		n += per_day[from];
	return n;
}

/* A job of 15 or 20 minutes from 09:00 or 02:15 every day, at 5 min, 1 min
 * and 10 s, three seeds: it alerts on its first two runs past the warm-up
 * (02:15 on the first day is in it at 5 min), no more, none from day 3.
 * Before core/recur.c it alerted about every other day for two weeks, the
 * budget's rate (a 15 min job is half a 30 min bin: the profiles draw it
 * as half its height, and the level forecast stays in force); at 10 s the
 * 20 minute job did until adopt_s (100 points were adopted before it ended). */
static void test_daily_job(void)
{
	static const double at[2] = { 9, 2.25 }, len[2] = { 15, 20 };
	static const int dts[3] = { 300, 60, 10 };
	int per_day[DAYS], a, l, t, seed, first = 0, more = 0, late = 0;

	for (a = 0; a < 2; a++)
		for (l = 0; l < 2; l++)
			for (t = 0; t < 3; t++)
				for (seed = 1; seed <= 3; seed++) {
					job_at = at[a];
					job_min = len[l];
					run_days(job, dts[t], (uint64_t)(100 * a + 10 * l + t * 5 + seed),
						 per_day, NULL);
					first += per_day[0] + per_day[1] > 0;
					more += sum_days(per_day, 0, DAYS) > 2;
					late += sum_days(per_day, 3, DAYS);
				}
	CHECK(first == 36);
	CHECK(more == 0);
	CHECK(late == 0);
}

/* At the agent's 1 s, jobs of 15 and 40 minutes from 02:15, and a 15 minute
 * one of 5 sigmas (20 -> 21 in 1 % noise): the same. Before adopt_s, 100
 * points (100 s) adopted each run as a lasting change before it ended, and
 * its end was a drop: the 15 minute job alerted on 6 of its first 7 days.
 * Before a run needed calm_n explained points in a row to end below a
 * minute, the 5 sigma job, whose points fall under `calm` one in a
 * thousand, ended its runs by chance within a minute, too short for a job:
 * it alerted every day. */
static void test_daily_job_1s(void)
{
	static const double len[3] = { 15, 40, 15 }, high[3] = { 80, 80, 21 };
	int per_day[DAYS], l;

	job_at = 2.25;
	for (l = 0; l < 3; l++) {
		job_min = len[l];
		job_high = high[l];
		run_days(job, 1, (uint64_t)(70 + l), per_day, NULL);
		CHECK(per_day[0] + per_day[1] > 0);
		CHECK(sum_days(per_day, 0, DAYS) <= 2);
		CHECK(sum_days(per_day, 3, DAYS) == 0);
	}
	job_high = 80;
}

/* The job on working days only (T0 is a Thursday): Monday's run, three
 * days after Friday's, is as due as Tuesday's. */
static double weekday_job(double ts)
{
	int dow = (int)(floor(ts / DAY) + 3) % 7; /* 0 = Monday */

	return dow < 5 ? job(ts) : 20;
}

static void test_weekday_job(void)
{
	int per_day[DAYS], seed;

	job_at = 9;
	job_min = 15;
	for (seed = 1; seed <= 3; seed++) {
		run_days(weekday_job, 300, (uint64_t)(50 + seed), per_day, NULL);
		CHECK(sum_days(per_day, 0, DAYS) <= 2);
		CHECK(sum_days(per_day, 2, DAYS) == 0);
	}
}

/* A one-point spike at 00:01 every day, at 1 min: no job (a spike may be the
 * anomaly that recurs, and then someone wants to hear of it), so it goes on
 * alerting at the budget's rate after its second day. */
static double spike(double ts)
{
	return fabs(fmod(ts, DAY) - 60) < 1 ? 80 : 20;
}

static void test_daily_spike(void)
{
	int per_day[DAYS];

	run_days(spike, 60, 7, per_day, NULL);
	CHECK(sum_days(per_day, 2, DAYS) >= 4);
}

/* The job from 09:00 every day; on day 9 a 20 min run from 15:00 too: that
 * alerts. From day 8 the job runs from 13:00 instead: its first run there
 * alerts, and from its third day there it is quiet again. */
static void test_other_hours(void)
{
	int per_day[DAYS], i, n;
	double at[64];

	job_at = 9;
	job_min = 15;
	extra_at = T0 + 9 * DAY + 15 * 3600;
	extra_min = 20;
	run_days(job, 300, 41, per_day, at);
	n = sum_days(per_day, 0, DAYS);
	for (i = 0; i < n && i < 64 && !(at[i] >= extra_at && at[i] < extra_at + 1800); i++)
		;
	CHECK(i < n && i < 64);
	CHECK(per_day[9] == 1);
	extra_at = -1;

	moved_day = 8;
	moved_at = 13;
	run_days(job, 300, 43, per_day, NULL);
	CHECK(per_day[8] >= 1);
	CHECK(sum_days(per_day, 10, DAYS) == 0);
	moved_day = DAYS;
}

/* The job from 09:00 every day; from day 8 at 09:00 the series stays at 80
 * for good (a deploy at the job's hour). Its run starts as the job's, quiet,
 * and alerts once it has outlasted any job's run (an hour), at 5 min, 10 s
 * and 1 s; before, it was adopted without an alert. Its alert then lasts
 * until it is adopted (at 10 s and 1 s it resolved at the next point). */
static double job_then_shift(double ts)
{
	return ts >= T0 + 8 * DAY + 9 * 3600 ? 80 : job(ts);
}

static void test_shift_at_job_hour(void)
{
	int per_day[DAYS], seed, i, n;
	double at[64], from = T0 + 8 * DAY + 9 * 3600;

	job_at = 9;
	job_min = 15;
	for (seed = 1; seed <= 5; seed++) {
		run_days(job_then_shift, seed <= 2 ? 300 : seed <= 4 ? 10 : 1, (uint64_t)(60 + seed),
			 per_day, at);
		n = sum_days(per_day, 0, DAYS);
		for (i = 0; i < n && i < 64 && !(at[i] >= from && at[i] <= from + 3900); i++)
			;
		CHECK(i < n && i < 64);
		CHECK(per_day[8] == 1);
		CHECK(shortest >= 10 * 60);
	}
}

/* The remembered starts at their edges. */
static void test_recur_rules(void)
{
	struct recur r;
	double t = T0 + 20 * DAY + 9 * 3600;

	memset(&r, 0, sizeof(r));
	recur__note(&r, t - 2 * DAY, 599, true); /* too short: a spike */
	recur__note(&r, t - DAY, 900, true);
	CHECK(!recur__due(&r, t, true));
	recur__note(&r, t - 2 * DAY, 600, true);
	CHECK(recur__due(&r, t, true));
	CHECK(!recur__due(&r, t, false));
	/* Within 90 minutes of their time of day (in 4 min steps). */
	CHECK(recur__due(&r, t + 85 * 60, true) && recur__due(&r, t - 85 * 60, true));
	CHECK(!recur__due(&r, t + 95 * 60, true) && !recur__due(&r, t - 95 * 60, true));
	/* Both must lie 1 to RECUR_DAYS days back. */
	CHECK(recur__due(&r, t + (RECUR_DAYS - 2) * DAY, true));
	CHECK(!recur__due(&r, t + (RECUR_DAYS - 1) * DAY, true));
	CHECK(!recur__due(&r, t - DAY, true));
	/* An hour long is for the profiles to learn; a new start replaces the
	 * older one. */
	recur__note(&r, t - 3 * DAY, 3600, true);
	CHECK(recur__due(&r, t, true));
	CHECK(!recur__due(&r, t + (RECUR_DAYS - 1) * DAY, true));
	recur__note(&r, t, 1200, true);
	CHECK(recur__due(&r, t + (RECUR_DAYS - 1) * DAY, true));
	CHECK(!recur__due(&r, t + RECUR_DAYS * DAY, true));
	/* A drop in place of the older: a rise is not due. */
	recur__note(&r, t + DAY, 1200, false);
	CHECK(!recur__due(&r, t + 2 * DAY, true));
}

int main(void)
{
	detect__default_config(&cfg);
	test_recur_rules();
	test_daily_job();
	test_daily_job_1s();
	test_weekday_job();
	test_shift_at_job_hour();
	test_daily_spike();
	test_other_hours();
	return check_done("test_recur");
}
