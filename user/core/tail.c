// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>

#include "core/tail.h"

/* fmax without the NaN rules libm keeps it out of line for. */
static inline double max2(double a, double b)
{
	return a > b ? a : b;
}

/* log10(1 / TAIL_P1), log10(TAIL_P1 / TAIL_P2) */
#define X1 1.30103
#define DX 1.0
/* The normal's q2 - q1: the learnt tail is never lighter than the
 * exponential through the normal's quantiles. Discrete series (counts, whose
 * quantiles collapse onto one value) would otherwise find the next count
 * infinitely surprising. */
#define MIN_GAP 0.9309f

void tail__init(struct tail *t)
{
	t->q1 = 1.6449f;
	t->q2 = 2.5758f;
}

double tail__surprise(const struct tail *t, double z)
{
	if (!(z > 0))
		return 0;
	if (z <= t->q1)
		return X1 * z / t->q1;
	return X1 + DX * (z - t->q1) / (t->q2 - t->q1);
}

void tail__learn(struct tail *t, double z, double eta)
{
	/* Steps scale with the spread, so the quantiles settle at the same
	 * relative speed whatever the tail's width. */
	float step = (float)(eta * max2(t->q2 - t->q1, 0.2));

	if (!isfinite(z))
		return;
	t->q1 += step * ((z > t->q1) - (float)TAIL_P1);
	t->q2 += step * ((z > t->q2) - (float)TAIL_P2);
	if (t->q1 < 0.3f)
		t->q1 = 0.3f;
	if (t->q2 < t->q1 + MIN_GAP)
		t->q2 = t->q1 + MIN_GAP;
}
