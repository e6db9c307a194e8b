// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The latency model: recovers known coefficients, survives collinear and
 * constant features, flags latency its load does not explain, restarts when
 * it degenerates. */
#include <errno.h>
#include <math.h>

#include "check.h"
#include "core/model.h"
#include "rng.h"

static double rel_err(double got, double want)
{
	return fabs(got - want) / fabs(want);
}

/* latency = 50 + 0.05 rps + 0.8 cpu + 1.5 db; p99 = 120 + 0.2 rps + 2 cpu + 4 db. */
static void test_recovers_coefficients(void)
{
	static const double want[2][4] = { { 50, 0.05, 0.8, 1.5 }, { 120, 0.2, 2.0, 4.0 } };
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	struct rng r = { 1 };
	double x[3], y[2], coef[MODEL_MAX_K];
	int i, o, resets = 0;

	model__default_config(&cfg);
	model__init(&m, 3);
	for (i = 0; i < 4000; i++) {
		/* The load mean drifts upward, so the normalisation moves many times. */
		x[0] = 100 + i * 0.5 + 900 * rng_unif(&r);
		x[1] = 10 + 80 * rng_unif(&r);
		x[2] = floor(50 * rng_unif(&r));
		for (o = 0; o < 2; o++)
			y[o] = want[o][0] + want[o][1] * x[0] + want[o][2] * x[1] +
			       want[o][3] * x[2] + 0.5 * rng_normal(&r);
		resets += model__update(&m, &cfg, x, y, &p) == 1;
	}
	CHECK(resets == 0);
	CHECK(p.ready);
	for (o = 0; o < 2; o++) {
		model__coef(&m, (unsigned)o, coef);
		for (i = 0; i < 4; i++) {
			CHECK_NEAR(rel_err(coef[i], want[o][i]), 0, 0.02);
			if (rel_err(coef[i], want[o][i]) > 0.02)
				fprintf(stderr, "  output %d coefficient %d\n", o, i);
		}
		CHECK(model__r2(&m, (unsigned)o) > 0.99);
	}
}

/* cpu is an exact multiple of rps and db never moves: the split between
 * rps and cpu is not identifiable, but the prediction must stay right and
 * the covariance bounded and finite. */
static void test_collinear_and_constant(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	struct rng r = { 2 };
	double x[3], y[2], worst = 0;
	int i, a, ret, resets = 0, bounded = 1;

	model__default_config(&cfg);
	model__init(&m, 3);
	for (i = 0; i < 20000; i++) {
		x[0] = 500 + 400 * sin(i / 50.0) + 20 * rng_normal(&r);
		x[1] = 0.02 * x[0];
		x[2] = 7;
		y[0] = 80 + 0.1 * x[0] + rng_normal(&r);
		y[1] = 2 * y[0];
		ret = model__update(&m, &cfg, x, y, &p);
		resets += ret == 1;
		if (i > 1000 && fabs(p.expected[0] - y[0]) > worst)
			worst = fabs(p.expected[0] - y[0]);
		for (a = 0; a < 4; a++)
			bounded &= m.P[a][a] > 0 && m.P[a][a] <= cfg.p_max * 1.000001;
	}
	CHECK(resets == 0);
	CHECK(bounded);
	/* Noise is 1: a wrong fit along the collinear direction would miss by
	 * tens of microseconds at the load extremes. */
	CHECK(worst < 6);
	CHECK(fabs(p.z[0]) < 6);
}

/* Trained at varying load, then latency x3 at unchanged load. */
static void test_flags_unexplained_latency(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	struct rng r = { 3 };
	double x[1], y[2];
	int i;

	model__default_config(&cfg);
	model__init(&m, 1);
	for (i = 0; i < 600; i++) {
		x[0] = 1000 + 300 * rng_normal(&r);
		y[0] = 100 + 0.05 * x[0] + 2 * rng_normal(&r);
		y[1] = 3 * y[0];
		model__update(&m, &cfg, x, y, &p);
	}
	CHECK(p.ready);
	CHECK(fabs(p.z[0]) < 4);
	/* Load doubles, latency follows the relation: no alarm. */
	x[0] = 2000;
	y[0] = 100 + 0.05 * 2000;
	y[1] = 3 * y[0];
	model__update(&m, &cfg, x, y, &p);
	CHECK(fabs(p.z[0]) < 3);
	CHECK_NEAR(p.expected[0], 200, 6);
	/* Same load as usual, latency x3. */
	x[0] = 1000;
	y[0] = 3 * 150;
	y[1] = 3 * y[0];
	model__update(&m, &cfg, x, y, &p);
	CHECK(p.z[0] > 20);
	CHECK(p.z[1] > 20);
	CHECK_NEAR(p.expected[0], 150, 5);
}

/* A fault that starts at a load the model has never seen (an unsure
 * prediction) lasts 10 samples; afterwards the model still predicts the
 * healthy relation: the fault was not learnt as the new normal. */
static void test_fault_not_learnt(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	struct rng r = { 7 };
	double x[2], y[2];
	int i;

	model__default_config(&cfg);
	model__init(&m, 2);
	for (i = 0; i < 300; i++) {
		x[0] = 400 + 10 * rng_normal(&r); /* steady load */
		x[1] = 20 + 2 * rng_normal(&r);	  /* host CPU % */
		y[0] = 1000 + 0.5 * x[0] + 2 * x[1] + 5 * rng_normal(&r);
		y[1] = 2 * y[0];
		model__update(&m, &cfg, x, y, &p);
	}
	/* CPU jumps to a level never seen and the service is 4x slower. */
	for (i = 0; i < 10; i++) {
		x[0] = 400 + 10 * rng_normal(&r);
		x[1] = 60 + 2 * rng_normal(&r);
		y[0] = 4 * 1280;
		y[1] = 2 * y[0];
		model__update(&m, &cfg, x, y, &p);
	}
	CHECK(p.z[0] > 6);
	/* Healthy again at the usual load: predicted as before the fault. */
	x[0] = 400;
	x[1] = 20;
	y[0] = 1000 + 0.5 * 400 + 2 * 20;
	y[1] = 2 * y[0];
	model__update(&m, &cfg, x, y, &p);
	CHECK(rel_err(p.expected[0], 1240) < 0.05);
	CHECK(fabs(p.z[0]) < 4);
}

static void test_degenerate_restart(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	double x[2] = { 10, 20 }, y[2] = { 100, 200 };
	int i, ret, restarted = 0;

	model__default_config(&cfg);
	model__init(&m, 2);
	for (i = 0; i < 100; i++) {
		x[0] = 10 + i % 7;
		model__update(&m, &cfg, x, y, &p);
	}
	x[1] = NAN;
	CHECK(model__update(&m, &cfg, x, y, &p) == -EINVAL);
	/* Finite but absurd targets teach the fit nothing (past warm-up a huge
	 * one is an anomaly's; a latency below zero is bad input), and it goes
	 * on as it was. */
	x[1] = 20;
	for (i = 0; i < 5; i++) {
		y[0] = i % 2 ? 1.7e308 : -1.7e308;
		restarted |= model__update(&m, &cfg, x, y, &p) == 1;
	}
	y[0] = 100;
	CHECK(!restarted);
	model__update(&m, &cfg, x, y, &p);
	CHECK_NEAR(p.expected[0], 100, 1);
	/* Taught them (no rejection), the residuals overflow to infinity and
	 * the fit restarts. The features survive far worse, since
	 * normalisation absorbs them. */
	cfg.reject_z = 0;
	for (i = 0; i < 5 && !restarted; i++) {
		y[0] = i % 2 ? 1.7e308 : -1.7e308;
		ret = model__update(&m, &cfg, x, y, &p);
		restarted = ret == 1;
	}
	y[0] = 100;
	CHECK(restarted);
	CHECK(m.resets == 1);
	/* And it works again afterwards. */
	for (i = 0; i < 200; i++) {
		x[0] = 10 + i % 7;
		ret = model__update(&m, &cfg, x, y, &p);
	}
	CHECK(ret == 0);
	CHECK_NEAR(p.expected[0], 100, 1);
	CHECK(m.n > cfg.warmup);
}

/*
 * The live test's double load (e2e/anomaly, failed once in CI): a service
 * steady at 400 requests/s, host CPU at 3 %, is slowed 4x three times; the
 * first interval of each slowdown completes 7 % fewer requests, and the
 * model learns the two samples before its alert fires (pending, it
 * learns). Clipped at huber_k, those samples still taught a slope of
 * latency falling with load, so when a second client doubled the load the
 * fit expected -600..+135 us of a healthy 1,050 us: false alerts, and for
 * hundreds of samples. A sample as far off as an alert's teaches nothing
 * now; no sample of the double load may be a verdict of "slow".
 */
static void test_double_load_after_slowdowns(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	double x[2], y[2];
	int seed, i, judged_bad = 0, judged = 0;

	model__default_config(&cfg);
	for (seed = 1; seed <= 50; seed++) {
		struct rng r = { (uint64_t)seed };

		model__init(&m, 2);
		for (i = 0; i < 300; i++) {
			bool dbl = i >= 100, slow = i >= 65 && i < 95 && (i - 65) % 10 < 6;

			x[0] = (dbl ? 800 : 400) * (1 + 0.01 * rng_normal(&r));
			x[1] = (dbl ? 10 : 3) + rng_normal(&r);
			y[0] = (dbl ? 1050 : slow ? 4000 : 1000) * (1 + 0.01 * rng_normal(&r));
			/* A slowdown's first interval completes fewer requests. */
			if (slow && (i - 65) % 10 == 0)
				x[0] *= 0.93;
			if (i == 100) {
				x[0] = 600;
				x[1] = 7;
			}
			y[1] = 1.5 * y[0];
			model__hold(&m, &cfg, slow && (i - 65) % 10 >= 2);
			model__update(&m, &cfg, x, y, &p);
			if (!dbl || !p.ready || p.settling)
				continue;
			judged++;
			judged_bad += p.z[0] >= 6 || p.z[1] >= 6;
		}
	}
	CHECK(judged_bad == 0);
	/* Every sample of the double load judged but the last slowdown's settling. */
	CHECK(judged >= 50 * 185);
}

/* A rate slope learnt by chance from +-1 req/s (here -3 us per req/s, all
 * the fit can see) is taken to twice the load: the straight line says -200
 * us. The expected latency stays at the fastest the service was, and the
 * healthy latency there is no alert. */
static void test_expected_floor(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	struct rng r = { 11 };
	double x[1], y[2], low = 1e9;
	int i;

	model__default_config(&cfg);
	model__init(&m, 1);
	for (i = 0; i < 600; i++) {
		x[0] = 400 + (i % 2 ? 1 : -1);
		y[0] = 1000 - 3 * (x[0] - 400) + 2 * rng_normal(&r);
		y[1] = 1.5 * y[0];
		low = fmin(low, y[0]);
		model__update(&m, &cfg, x, y, &p);
	}
	CHECK(p.ready);
	x[0] = 800;
	y[0] = 1000;
	y[1] = 1500;
	model__update(&m, &cfg, x, y, &p);
	CHECK(p.expected[0] >= low - 0.01); /* the floor is a float */
	CHECK(p.expected[0] < 1000);
	CHECK(p.expected[1] >= 1.5 * low - 0.01);
	CHECK(p.z[0] < 3 && p.z[1] < 3);
	/* The same service four times slower at its usual load still alerts. */
	x[0] = 400;
	y[0] = 4000;
	y[1] = 6000;
	model__update(&m, &cfg, x, y, &p);
	CHECK(p.z[0] > 20 && p.z[1] > 20);
}

/* A service that became twice as fast for good (a deploy, a warm cache) is
 * learnt: a sample far below the prediction is no slowdown to keep out of
 * the fit, and one never learnt would leave the old latency as the normal,
 * so a slowdown back to it would pass unseen. */
static void test_speedup_learnt(void)
{
	struct model_config cfg;
	struct model_pred p;
	struct model m;
	struct rng r = { 13 };
	double x[1], y[2];
	int i;

	model__default_config(&cfg);
	model__init(&m, 1);
	for (i = 0; i < 2600; i++) {
		x[0] = 400 * (1 + 0.02 * rng_normal(&r));
		y[0] = (i < 600 ? 1000 : 500) * (1 + 0.02 * rng_normal(&r));
		y[1] = 1.5 * y[0];
		model__update(&m, &cfg, x, y, &p);
	}
	CHECK(fabs(p.expected[0] - 500) < 50);
	CHECK(fabs(p.z[0]) < 6 && fabs(p.z[1]) < 6);
	/* Back at the old latency: a slowdown now. */
	x[0] = 400;
	y[0] = 1000;
	y[1] = 1500;
	model__update(&m, &cfg, x, y, &p);
	CHECK(p.z[0] > 6 && p.z[1] > 6);
}

int main(void)
{
	test_recovers_coefficients();
	test_collinear_and_constant();
	test_flags_unexplained_latency();
	test_fault_not_learnt();
	test_degenerate_restart();
	test_double_load_after_slowdowns();
	test_expected_floor();
	test_speedup_learnt();
	return check_done("test_model");
}
