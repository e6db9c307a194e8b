// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The log-linear histogram: slots invert, and percentiles read from it are
 * within 10 % of the exact ones for the shapes latency takes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "agent/collect.h"
#include "agent/hist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void test_slots_invert(void)
{
	uint64_t ns;
	uint32_t slot, prev = 0;
	int bad = 0;

	for (ns = 0; ns < (1ull << 40); ns = ns < 4096 ? ns + 1 : ns + ns / 37) {
		slot = tt_hist_slot(ns);
		if (slot >= TT_HIST_SLOTS || slot < prev)
			bad++;
		/* Below the top slot, a value lies inside its slot's bounds. */
		if (slot < TT_HIST_SLOTS - 1 && (ns < hist__slot_lo(slot) || ns >= hist__slot_hi(slot)))
			bad++;
		prev = slot;
	}
	CHECK(bad == 0);
	CHECK(tt_hist_slot(0) == 0);
	CHECK(tt_hist_slot(~0ull) == TT_HIST_SLOTS - 1);
	/* Bucket width is at most 1/8 of its lower bound above the linear part. */
	for (slot = TT_HIST_SUB; slot < TT_HIST_SLOTS - 1; slot++)
		if ((double)(hist__slot_hi(slot) - hist__slot_lo(slot)) >
		    (double)hist__slot_lo(slot) / TT_HIST_SUB + 0.5)
			bad++;
	CHECK(bad == 0);
}

/* Fills the histogram and a sorted copy of n draws from gen. */
static void check_quantiles(const char *name, double (*gen)(void), int n)
{
	static uint64_t hist[TT_HIST_SLOTS], vals[200000];
	const double qs[] = { 0.5, 0.9, 0.99 };
	int i;

	memset(hist, 0, sizeof(hist));
	for (i = 0; i < n; i++) {
		vals[i] = (uint64_t)gen();
		hist[tt_hist_slot(vals[i])]++;
	}
	qsort(vals, n, sizeof(vals[0]), cmp_u64);
	for (i = 0; i < 3; i++) {
		double exact = (double)vals[(int)(qs[i] * n) - 1];
		double got = hist__quantile(hist, qs[i]);

		if (fabs(got - exact) > 0.10 * exact)
			fprintf(stderr, "%s q%.2f: exact %.0f got %.0f\n", name, qs[i], exact, got);
		CHECK(fabs(got - exact) <= 0.10 * exact);
	}
	CHECK(hist__max(hist) >= (double)vals[n - 1]);
}

static double gen_uniform(void) { return 5000 + 95000 * uniform(); }		  /* 5..100 us */
static double gen_exp(void) { return 2000 - 30000 * log(1 - uniform()); }	  /* long tail */
static double gen_lognormal(void)
{
	double u1 = uniform() + 1e-12, u2 = uniform();
	double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

	return exp(log(80000) + 0.8 * z); /* median 80 us */
}
static double gen_bimodal(void) { return uniform() < 0.8 ? 20000 + 2000 * uniform() : 3e6 + 1e6 * uniform(); }
static double gen_slow(void) { return 2e9 + 1e9 * uniform(); } /* seconds */

static void test_quantiles(void)
{
	check_quantiles("uniform", gen_uniform, 100000);
	check_quantiles("exponential", gen_exp, 100000);
	check_quantiles("lognormal", gen_lognormal, 100000);
	check_quantiles("bimodal", gen_bimodal, 100000);
	check_quantiles("slow", gen_slow, 1000);
}

static void test_empty(void)
{
	uint64_t hist[TT_HIST_SLOTS] = { 0 };

	CHECK(hist__quantile(hist, 0.5) == 0);
	CHECK(hist__max(hist) == 0);
}

/* Deltas of two cumulative readings: counters subtract, percentiles come
 * from the interval's own counts, the maximum is exact when it is new. */
static void test_delta(void)
{
	static struct svc_reading prev, cur;
	struct svc_sample s;

	memset(&prev, 0, sizeof(prev));
	prev.requests = 100;
	prev.lat_sum_ns = 100 * 1000000ull;
	prev.lat_max_ns = 5000000;
	prev.hist[tt_hist_slot(1000000)] = 100;
	prev.opened = 10;
	prev.closed = 4;
	cur = prev;
	cur.requests += 10;
	cur.lat_sum_ns += 10 * 50000ull;
	cur.hist[tt_hist_slot(50000)] += 10;
	cur.opened += 2;
	cur.adopted = 1;
	cur.closed += 3;
	cur.resets = 1;
	memset(&s, 0, sizeof(s));
	collect__delta(&prev, &cur, 2.0, &s);
	CHECK(s.requests == 10);
	CHECK_NEAR(s.rps, 5.0, 1e-9);
	CHECK_NEAR(s.lat_mean_us, 50.0, 1e-9);
	CHECK_NEAR(s.lat_p50_us, 50.0, 5.0);
	CHECK(s.lat_max_us <= 5000.0 && s.lat_max_us >= s.lat_p99_us);
	CHECK(s.opened == 2 && s.closed == 3 && s.resets == 1);
	CHECK(s.active == 12 + 1 - 7);

	/* A new all-time maximum is reported exactly. */
	cur.lat_max_ns = 7777000;
	cur.requests++;
	cur.lat_sum_ns += 7777000;
	cur.hist[tt_hist_slot(7777000)]++;
	collect__delta(&prev, &cur, 1.0, &s);
	CHECK_NEAR(s.lat_max_us, 7777.0, 1e-9);

	/* No requests: no latency, and no division by zero. */
	collect__delta(&cur, &cur, 1.0, &s);
	CHECK(!s.has_latency && s.requests == 0 && s.rps == 0);
}

int main(void)
{
	test_slots_invert();
	test_quantiles();
	test_empty();
	test_delta();
	return check_done("test_hist");
}
