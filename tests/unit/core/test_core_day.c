// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The latency model and the service's daily schedule, at the core: a
 * nightly job's slowdown (less than an hour) and a nightly batch window's
 * (three hours) at the same load alert on their first two nights only; a
 * slowdown that lasts past them, or adds to them, or comes at the daily
 * peak, still alerts. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/core.h"
#include "rng.h"
#include "server_sample.h"

/* Firings of the alerts on metrics named from `metric` on, per day. */
struct per_day {
	const char *metric;
	int firing[8];
	double first[8];     /* s after midnight of the day's first firing */
	bool outlasted[8];   /* a firing said a job's run outlasted any job's */
	double t0;
	double ts;
};

static int on_firing_day(const cJSON *line, void *ctx)
{
	struct per_day *pd = ctx;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(line, "metric");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(line, "state");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(line, "details"), "detector");
	int day = (int)((pd->ts - pd->t0) / 86400);

	if (!cJSON_IsString(m) || strncmp(m->valuestring, pd->metric, strlen(pd->metric)) ||
	    !cJSON_IsString(st) || strcmp(st->valuestring, "firing") || day < 0 || day >= 8)
		return 0;
	if (!pd->firing[day]++)
		pd->first[day] = fmod(pd->ts - pd->t0, 86400);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(det, "job_outlasted")))
		pd->outlasted[day] = true;
	return 0;
}

/* One interval of a server on port 8080 at t s from pd->t0: rps requests/s
 * and a mean latency of `mean` us give or take 3 %, its p99 2.2 times that
 * give or take 3 %, the host's CPU at 20 % give or take 1. */
static void step(struct core *c, struct per_day *pd, double t, double dt, double rps,
		 double mean, struct rng *r)
{
	struct host_sample h = { .interval_s = dt, .mem_pct = 40, .load1 = 1 };
	struct svc_sample s;

	server_sample(&s, pd->t0 + t, dt, rps, mean, r);
	h.ts = pd->ts = s.ts;
	h.cpu_pct = 20 + rng_normal(r);
	core__step(c, &h, &s, 1, "t", on_firing_day, pd);
}

/* A core at its defaults, and pd cleared to count its alerts on metrics
 * named from `metric` on, from 2026-01-01 00:00 UTC. */
static struct core *start(struct per_day *pd, const char *metric)
{
	struct core_config cfg;

	core__default_config(&cfg);
	memset(pd, 0, sizeof(*pd));
	pd->metric = metric;
	pd->t0 = 1767225600.0;
	return core__new(&cfg);
}

/* A nightly job (a backup) makes a server at a steady 500 requests/s three
 * times slower from 02:15 for 15 minutes (or, with `drops`, serve 300
 * requests/s), for `days` days at 1 s; from day `stays` on the job's change
 * that starts then lasts (a deploy at the job's hour). pd->metric says
 * which alerts to count. */
static void nightly_job(int days, int stays, bool drops, struct per_day *pd)
{
	struct core *c = start(pd, pd->metric);
	struct rng r = { 36 };
	long i;

	for (i = 0; i < days * 86400L; i++) {
		double m = (double)(i % 86400) / 60 - 135;
		bool job = (m >= 0 && m < 15) || i >= stays * 86400L + 135 * 60;
		double rps = (job && drops ? 300 : 500) + 5 * rng_normal(&r);

		step(c, pd, (double)i, 1, rps, job && !drops ? 300 : 100, &r);
	}
	core__free(c);
}

/* The model sees no load to explain the job, so it alerted every night (2
 * firings, mean and p99, on each of 8). The latency detectors know it for
 * a job's run at its time of day from the third night (core/recur.h), and
 * the model now follows them: 2, 2, then none. A slowdown at the job's hour
 * that outlasts any job's run (an hour) alerts then. A job that lowers the
 * request rate is the rps detector's own, which alerts on drops: the same,
 * and its late alert says why it is late. */
static void test_nightly_job(void)
{
	struct per_day pd = { .metric = "latency_" };

	nightly_job(5, 5, false, &pd);
	CHECK(pd.firing[0] >= 1);
	CHECK(pd.firing[2] + pd.firing[3] + pd.firing[4] == 0);
	nightly_job(5, 4, false, &pd);
	CHECK(pd.firing[2] + pd.firing[3] == 0);
	CHECK(pd.firing[4] >= 1);
	CHECK(pd.first[4] >= 3.25 * 3600 && pd.first[4] < 3.5 * 3600);
	pd.metric = "rps";
	nightly_job(5, 4, true, &pd);
	CHECK(pd.firing[0] == 1);
	CHECK(pd.firing[2] + pd.firing[3] == 0 && !pd.outlasted[0]);
	CHECK(pd.firing[4] == 1 && pd.outlasted[4]);
	CHECK(pd.first[4] >= 3.25 * 3600 && pd.first[4] < 3.3 * 3600);
}

/* A service whose load follows the day (300 +- 200 requests/s, peak at
 * 14:00) and whose latency follows its load, at 10 s for 7 days; every
 * night from 01:00 to 04:00 a batch window makes it 1.5 times slower at
 * the same load, a time of day the load does not explain. From day `from`
 * at hour `at` a lasting slowdown of `extra` (a factor) adds to it. */
static void nightly_window(int from, double at, double extra, struct per_day *pd)
{
	struct core *c = start(pd, "latency_");
	struct rng r = { 37 };
	long i;

	for (i = 0; i < 7 * 8640L; i++) {
		double t = 10.0 * (double)i, hour = fmod(t, 86400) / 3600;
		double slow = (hour > 1 && hour < 4 ? 1.5 : 1) *
			      (t >= (from * 24 + at) * 3600 ? extra : 1);
		double rps = 300 + 200 * sin(2 * M_PI * (hour - 8) / 24) + 5 * rng_normal(&r);

		step(c, pd, t, 10, rps, (60 + 0.08 * rps) * slow, &r);
	}
	core__free(c);
}

/* Before the latency detector's day profile reached the model, the window
 * alerted on every night (2 firings, mean and p99, on each of 7). */
static void test_nightly_window(void)
{
	struct per_day pd;
	int d;

	nightly_window(7, 0, 1, &pd);
	CHECK(pd.firing[0] >= 1);
	for (d = 2; d < 7; d++)
		CHECK(pd.firing[d] == 0);
	/* A slowdown of 1.5 from 14:00 on day 4, at the daily peak, as the
	 * model alone sees it (it alerts on 30 % and more: anomaly_z, min_rel_scale). */
	nightly_window(4, 14, 1.5, &pd);
	CHECK(pd.firing[4] >= 1 && pd.first[4] >= 14 * 3600 && pd.first[4] < 14.1 * 3600);
	CHECK(pd.firing[2] + pd.firing[3] == 0);
	/* One from 02:00 on day 4, in the window, that adds to it. */
	nightly_window(4, 2, 1.3, &pd);
	CHECK(pd.firing[4] >= 1 && pd.first[4] >= 2 * 3600 && pd.first[4] < 2.1 * 3600);
}

int main(void)
{
	test_nightly_job();
	test_nightly_window();
	return check_done("test_core_day");
}
