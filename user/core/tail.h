/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The learnt upper tail of a series' standardised residuals, as two running
 * quantiles, and the surprise of a residual under it: -log10 of its tail
 * probability, so a series whose noise is heavy-tailed (latency, counts,
 * spiky gauges) is not surprised by its own noise, and a quiet one is by
 * less. Stochastic-approximation quantiles: fixed memory, robust to the
 * anomalies themselves (a quantile moves by bounded steps).
 */
#ifndef TT_TAIL_H
#define TT_TAIL_H

#include <math.h>

/* Tail probabilities the two quantiles stand for. */
#define TAIL_P1 0.05
#define TAIL_P2 0.005

struct tail {
	float q1; /* z exceeded with probability TAIL_P1 */
	float q2; /* ... TAIL_P2 */
};

/* log10(1 / TAIL_P1), log10(TAIL_P1 / TAIL_P2) */
#define TAIL_X1 1.30103
#define TAIL_DX 1.0
/* The normal's q2 - q1: the learnt tail is never lighter than the
 * exponential through the normal's quantiles. Discrete series (counts, whose
 * quantiles collapse onto one value) would otherwise find the next count
 * infinitely surprising. */
#define TAIL_MIN_GAP 0.9309f

/* Inline: every detector asks four times a point, and a call each was a
 * tenth of the core's instructions. */

/* Starts at the normal distribution's quantiles (1.645, 2.576). */
static inline void tail__init(struct tail *t)
{
	t->q1 = 1.6449f;
	t->q2 = 2.5758f;
}

/* Surprise of z: -log10 P(Z >= z) under the learnt tail; 0 for z <= 0, then
 * linear in z through log10(1/TAIL_P1) at q1 and log10(1/TAIL_P2) at q2 and
 * on beyond q2 at the same slope (an exponential tail through the two
 * quantiles: heavier than the normal's, so it errs on the quiet side). */
static inline double tail__surprise(const struct tail *t, double z)
{
	if (!(z > 0))
		return 0;
	if (z <= t->q1)
		return TAIL_X1 * z / t->q1;
	return TAIL_X1 + TAIL_DX * (z - t->q1) / (t->q2 - t->q1);
}

/* Moves both quantiles toward z's by one step of size eta (in z units,
 * times the quantiles' spread). */
static inline void tail__learn(struct tail *t, double z, double eta)
{
	/* Steps scale with the spread, so the quantiles settle at the same
	 * relative speed whatever the tail's width. */
	double spread = t->q2 - t->q1;
	float step = (float)(eta * (spread > 0.2 ? spread : 0.2));

	if (!isfinite(z))
		return;
	t->q1 += step * ((z > t->q1) - (float)TAIL_P1);
	t->q2 += step * ((z > t->q2) - (float)TAIL_P2);
	if (t->q1 < 0.3f)
		t->q1 = 0.3f;
	if (t->q2 < t->q1 + TAIL_MIN_GAP)
		t->q2 = t->q1 + TAIL_MIN_GAP;
}

#endif /* TT_TAIL_H */
