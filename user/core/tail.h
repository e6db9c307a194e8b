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

/* Tail probabilities the two quantiles stand for. */
#define TAIL_P1 0.05
#define TAIL_P2 0.005

struct tail {
	float q1; /* z exceeded with probability TAIL_P1 */
	float q2; /* ... TAIL_P2 */
};

/* Starts at the normal distribution's quantiles (1.645, 2.576). */
void tail__init(struct tail *t);

/* Surprise of z: -log10 P(Z >= z) under the learnt tail; 0 for z <= 0, then
 * linear in z through log10(1/TAIL_P1) at q1 and log10(1/TAIL_P2) at q2 and
 * on beyond q2 at the same slope (an exponential tail through the two
 * quantiles: heavier than the normal's, so it errs on the quiet side). */
double tail__surprise(const struct tail *t, double z);

/* Moves both quantiles toward z's by one step of size eta (in z units,
 * times the quantiles' spread). */
void tail__learn(struct tail *t, double z, double eta);

#endif /* TT_TAIL_H */
