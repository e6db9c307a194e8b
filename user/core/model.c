// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * RLS with exponential forgetting. Two guards keep it finite for months of
 * unattended updates: the covariance is symmetrised after every step, and a
 * direction the data never excites (a constant or collinear feature) would
 * otherwise grow by 1/lambda per sample ("wind-up"), so every diagonal is
 * bounded by rescaling its row and column, which keeps P positive definite.
 * Anything non-finite restarts the fit and is reported to the caller.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/model.h"

/* libm's fmax and fmin to the bit (a NaN loses to a number; of equal values
 * the first), inline: libm's are calls, a few dozen a sample. */
static inline double fmax_inline(double a, double b)
{
	return a >= b || (b != b && a == a) ? a : b;
}

static inline double fmin_inline(double a, double b)
{
	return a <= b || (b != b && a == a) ? a : b;
}

#define MAD_TO_SIGMA 1.2533141
/* Features are rates, counts, percentages and microseconds: one unit of any
 * of them is never pure noise, so no normalisation scale goes below it. */
#define FEAT_MIN_SCALE 1.0
#define FEAT_REL_SCALE 0.05

void model__default_config(struct model_config *cfg)
{
	cfg->lambda = 0.998;
	cfg->p0 = 100.0;
	cfg->p_max = 1e4;
	cfg->norm_alpha = 0.005;
	cfg->resid_alpha = 0.02;
	/* The running mean the scale is taken about follows within 10
	 * samples. At resid_alpha it lagged 50 samples behind a latency that
	 * rose over a quarter of an hour or more, and the lag, counted as
	 * spread, grew the scale with the rise: at 10 s a rise by half over
	 * 15 minutes alerted 39 minutes after it began, one under a daily load
	 * cycle never (bench/detection/drifts.py). */
	cfg->bias_alpha = 0.1;
	cfg->huber_k = 3.0;
	/* A sample as slow as an alert's (core's anomaly_z, 6) is an
	 * anomaly's, pending or not: clipped at huber_k it still taught the
	 * fit. A slowdown's first interval completes fewer requests, so each
	 * taught a slope of latency falling with load, small where the load
	 * was and a false alert at twice that load (e2e/anomaly, once in CI).
	 * A load never seen is not rejected: its leverage widens the scale. */
	cfg->reject_z = 6.0;
	/* A very steady service (a p99 that barely moves) would otherwise
	 * alert on a few per cent: with a 5 % floor and a 6-sigma bound an
	 * anomaly is at least 30 % off what the load explains. A live p99 at
	 * 400 requests/s raised one at +7 % with a 1 % floor. */
	cfg->min_rel_scale = 0.05;
	cfg->min_abs_scale = 1.0;
	cfg->warmup = 60;
	/* The samples right after an anomaly are its recovery (a client
	 * catching up, a load never seen in the fit): learnt from, one of them
	 * can swing a young fit's coefficients far enough (intercept 101 ->
	 * 5,555 us in two samples, seen in e2e/alertmanager) that the samples
	 * after it are a new alert that is only the fit's own error. So the
	 * hold lasts this many samples past the resolve, and no new alert
	 * starts in them (the detectors' refractory time is 5 points). */
	cfg->settle = 10;
}

static void reset_fit(struct model *m, double p0)
{
	unsigned k = m->nx + 1u, i;

	memset(m->P, 0, sizeof(m->P));
	memset(m->theta, 0, sizeof(m->theta));
	for (i = 0; i < k; i++)
		m->P[i][i] = p0;
	for (i = 0; i < MODEL_OUTS; i++) {
		m->theta[i][0] = m->ymean[i];
		m->rscale[i] = 0;
		m->rbias[i] = 0;
		m->ss_res[i] = 0;
		m->ss_tot[i] = 0;
	}
}

void model__init(struct model *m, unsigned nx)
{
	memset(m, 0, sizeof(*m));
	m->nx = (uint8_t)(nx > MODEL_MAX_X ? MODEL_MAX_X : nx);
}

static double feat_scale(const struct model *m, unsigned i)
{
	double s = MAD_TO_SIGMA * m->dev[i];

	s = fmax_inline(s, FEAT_REL_SCALE * fabs(m->mean[i]));
	return fmax_inline(s, FEAT_MIN_SCALE);
}

/* Moves feature i's normalisation to (c2, s2) and re-expresses theta and P so
 * every prediction stays the same. With x'_new = A x'_old (A[j][j] = s/s2,
 * A[j][0] = (c - c2)/s2), theta and P transform by B = A^-T: B[j][j] = 1/d,
 * B[0][j] = -off/d, theta_new = B theta, P_new = B P B^T. */
static void renormalise(struct model *m, unsigned i, double c2, double s2)
{
	unsigned k = m->nx + 1u, j = i + 1, a, o;
	double d = m->scale[i] / s2, off = (m->center[i] - c2) / s2, g = off / d;

	for (a = 0; a < k; a++) {
		m->P[0][a] -= g * m->P[j][a];
		m->P[j][a] /= d;
	}
	for (a = 0; a < k; a++) {
		m->P[a][0] -= g * m->P[a][j];
		m->P[a][j] /= d;
	}
	for (o = 0; o < MODEL_OUTS; o++) {
		m->theta[o][j] /= d;
		m->theta[o][0] -= off * m->theta[o][j];
	}
	m->center[i] = c2;
	m->scale[i] = s2;
}

static void track_features(struct model *m, const struct model_config *cfg, const double *x)
{
	double a = fmax_inline(cfg->norm_alpha, 1.0 / (m->n + 1.0)), s2;
	unsigned i;

	for (i = 0; i < m->nx; i++) {
		m->dev[i] += a * (fabs(x[i] - m->mean[i]) - m->dev[i]);
		m->mean[i] += a * (x[i] - m->mean[i]);
		s2 = feat_scale(m, i);
		if (fabs(m->mean[i] - m->center[i]) > m->scale[i] || s2 > 2 * m->scale[i] ||
		    s2 < 0.5 * m->scale[i])
			renormalise(m, i, m->mean[i], s2);
	}
}

static void start(struct model *m, const struct model_config *cfg, const double *x,
		  const double *y, struct model_pred *pred)
{
	unsigned i;

	for (i = 0; i < m->nx; i++) {
		m->mean[i] = m->center[i] = x[i];
		m->dev[i] = 0;
		m->scale[i] = feat_scale(m, i);
	}
	for (i = 0; i < MODEL_OUTS; i++) {
		m->ymean[i] = y[i];
		m->ylow[i][0] = m->ylow[i][1] = (float)y[i];
		pred->expected[i] = y[i];
		pred->z[i] = 0;
	}
	reset_fit(m, cfg->p0);
	pred->ready = false;
	pred->settling = false;
	m->n = 1;
}

static double clampd(double v, double lim)
{
	return v > lim ? lim : v < -lim ? -lim : v;
}

/* P = (P - k (Px)^T) / lambda, kept symmetric, diagonals bounded. */
static void update_cov(struct model *m, const struct model_config *cfg, const double *px,
		       double denom)
{
	unsigned k = m->nx + 1u, a, b;
	double f;

	for (a = 0; a < k; a++)
		for (b = a; b < k; b++) {
			m->P[a][b] = (m->P[a][b] - px[a] * px[b] / denom) / cfg->lambda;
			m->P[b][a] = m->P[a][b];
		}
	for (a = 0; a < k; a++) {
		if (!(m->P[a][a] > cfg->p_max))
			continue;
		f = sqrt(cfg->p_max / m->P[a][a]);
		for (b = 0; b < k; b++) {
			m->P[a][b] *= f;
			m->P[b][a] *= f;
		}
	}
}

/* Whether a value of the fit is a NaN or an infinity. */
static bool not_finite(const struct model *m)
{
	unsigned k = m->nx + 1u, a, b;

	for (a = 0; a < k; a++) {
		for (b = 0; b < k; b++)
			if (!isfinite(m->P[a][b]))
				return true;
		for (b = 0; b < MODEL_OUTS; b++)
			if (!isfinite(m->theta[b][a]))
				return true;
	}
	/* Overflowed fit statistics would report nonsense from then on. */
	for (b = 0; b < MODEL_OUTS; b++)
		if (!isfinite(m->ss_tot[b]) || !isfinite(m->ss_res[b]) || !isfinite(m->ymean[b]) ||
		    !isfinite(m->rscale[b]) || !isfinite(m->rbias[b]))
			return true;
	return false;
}

/* Whether a value of the fit is a NaN or an infinity, or P's diagonal is not
 * positive. */
static bool degenerate(const struct model *m)
{
	unsigned k = m->nx + 1u, a, b;
	double sum = 0;

	/* Every sample asks; a NaN or an infinity makes the sum of all one
	 * too, so a finite sum answers at once (one that overflowed is
	 * checked value by value). */
	for (a = 0; a < k; a++) {
		if (!(m->P[a][a] > 0))
			return true;
		for (b = 0; b < k; b++)
			sum += m->P[a][b];
		for (b = 0; b < MODEL_OUTS; b++)
			sum += m->theta[b][a];
	}
	for (b = 0; b < MODEL_OUTS; b++)
		sum += m->ss_tot[b] + m->ss_res[b] + m->ymean[b] + m->rscale[b] + m->rbias[b];
	return !isfinite(sum) && not_finite(m);
}

/* Past warm-up, a sample as slow as an anomaly teaches the fit nothing. One
 * as far the other way does, clipped: a service that became faster for good
 * (a deploy, a warm cache) was never learnt, so a slowdown back to its old
 * latency passed unseen. A latency below zero is no latency but bad input. */
static bool rejected(const struct model *m, const struct model_config *cfg, double z, double y)
{
	return !(y >= 0) || (m->n >= cfg->warmup && cfg->reject_z > 0 && z >= cfg->reject_z);
}

static void learn_out(struct model *m, const struct model_config *cfg, unsigned o,
		      const double *gain, double r, double sd, double sigma, double y)
{
	double a = m->n < cfg->warmup ? fmax_inline(cfg->resid_alpha, 1.0 / m->n) : cfg->resid_alpha;
	double ab = m->n < cfg->warmup ? fmax_inline(cfg->bias_alpha, 1.0 / m->n) : cfg->bias_alpha;
	double rc = m->n < cfg->warmup ? r : clampd(r, cfg->huber_k * sigma * sd);
	unsigned k = m->nx + 1u, j;

	for (j = 0; j < k; j++)
		m->theta[o][j] += gain[j] * rc;
	/* The scale is the spread of residuals about their own running mean:
	 * a slow drift biases the residuals, and a scale of plain |r| would
	 * grow with the bias until the drift looked normal. Suspect residuals
	 * are kept out, else a lasting fault inflates it the same way. */
	if (m->n < cfg->warmup || fabs(r / sd - m->rbias[o]) <= cfg->huber_k * sigma) {
		m->rscale[o] += a * (fabs(r / sd - m->rbias[o]) - m->rscale[o]);
		m->rbias[o] += ab * (r / sd - m->rbias[o]);
	}
	m->ss_res[o] = cfg->lambda * m->ss_res[o] + rc * rc;
	m->ss_tot[o] = cfg->lambda * m->ss_tot[o] + (y - m->ymean[o]) * (y - m->ymean[o]);
	m->ymean[o] += (1 - cfg->lambda) * (y - m->ymean[o]);
	if (y < m->ylow[o][0])
		m->ylow[o][0] = (float)y;
}

/* The floor is the fastest of the last one to two blocks of samples learnt:
 * a block that ends starts the next empty. */
static void next_low_block(struct model *m)
{
	unsigned o;

	if (++m->nlow < MODEL_LOW_BLOCK)
		return;
	m->nlow = 0;
	for (o = 0; o < MODEL_OUTS; o++) {
		m->ylow[o][1] = m->ylow[o][0];
		m->ylow[o][0] = INFINITY;
	}
}

static bool finite_all(const double *v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

int model__update(struct model *m, const struct model_config *cfg, const double *x,
		  const double *y, struct model_pred *pred)
{
	double xs[MODEL_MAX_K], px[MODEL_MAX_K], gain[MODEL_MAX_K], h = 0, sd, sigma, r, lin;
	unsigned k = m->nx + 1u, a, b, o, learnt = 0;
	uint32_t resets;

	if (!finite_all(x, m->nx) || !finite_all(y, MODEL_OUTS))
		return -EINVAL;
	if (!m->n) {
		start(m, cfg, x, y, pred);
		return 0;
	}
	track_features(m, cfg, x);
	xs[0] = 1;
	for (a = 1; a < k; a++)
		xs[a] = (x[a - 1] - m->center[a - 1]) / m->scale[a - 1];
	for (a = 0; a < k; a++) {
		px[a] = 0;
		for (b = 0; b < k; b++)
			px[a] += m->P[a][b] * xs[b];
		h += xs[a] * px[a];
	}
	/* A priori error variance is sigma^2 (1 + x'Px): a load never seen
	 * before is predicted with less confidence. */
	sd = sqrt(1 + fmax_inline(h, 0));
	for (a = 0; a < k; a++)
		gain[a] = px[a] / (cfg->lambda + h);
	pred->ready = m->n >= cfg->warmup;
	pred->settling = m->settle > 0;
	for (o = 0; o < MODEL_OUTS; o++) {
		lin = 0;
		for (a = 0; a < k; a++)
			lin += m->theta[o][a] * xs[a];
		/* A straight line through a load never seen can fall below
		 * anything the service did, below zero even (a rate slope learnt
		 * from +-1 req/s, taken to twice the load: -393 us). More load
		 * does not make a service faster than its fastest, so the
		 * verdict is against that floor; the fit learns from its own
		 * residual, or it would not be least squares. */
		pred->expected[o] = fmax_inline(lin, fmin_inline(m->ylow[o][0], m->ylow[o][1]));
		r = y[o] - lin;
		sigma = fmax_inline(MAD_TO_SIGMA * m->rscale[o],
			     fmax_inline(cfg->min_rel_scale * fabs(pred->expected[o]), cfg->min_abs_scale));
		pred->z[o] = (y[o] - pred->expected[o]) / (sigma * sd);
		if (m->hold)
			m->held[o] += r;
		else if (!m->settle && !rejected(m, cfg, pred->z[o], y[o])) {
			learn_out(m, cfg, o, gain, r, sd, sigma, y[o]);
			learnt++;
		}
	}
	if (m->hold) {
		m->n_held++;
		return 0;
	}
	if (m->settle) {
		m->settle--;
		return 0;
	}
	if (!learnt)
		return 0;
	update_cov(m, cfg, px, cfg->lambda + h);
	next_low_block(m);
	if (m->n < UINT32_MAX)
		m->n++;
	if (!degenerate(m))
		return 0;
	/* Start over from the next sample, normalisation included. */
	resets = m->resets + 1;
	model__init(m, m->nx);
	m->resets = resets;
	return 1;
}

void model__hold(struct model *m, const struct model_config *cfg, bool hold)
{
	if (!hold) {
		if (m->hold)
			m->settle = (uint16_t)(cfg->settle > UINT16_MAX ? UINT16_MAX : cfg->settle);
		m->held[0] = m->held[1] = 0;
		m->n_held = 0;
	}
	m->hold = hold;
}

void model__adopt(struct model *m)
{
	unsigned o;

	if (!m->n_held)
		return;
	/* xs[0] is 1: the intercept carries a level change whole. */
	for (o = 0; o < MODEL_OUTS; o++) {
		m->theta[o][0] += m->held[o] / m->n_held;
		m->held[o] = 0;
	}
	m->n_held = 0;
}

void model__coef(const struct model *m, unsigned out, double *coef)
{
	unsigned i;

	coef[0] = m->theta[out][0];
	for (i = 0; i < m->nx; i++) {
		coef[1 + i] = m->theta[out][1 + i] / m->scale[i];
		coef[0] -= coef[1 + i] * m->center[i];
	}
}

double model__r2(const struct model *m, unsigned out)
{
	double r2;

	if (!(m->ss_tot[out] > 0))
		return 0;
	r2 = 1 - m->ss_res[out] / m->ss_tot[out];
	return r2 < 0 ? 0 : r2 > 1 ? 1 : r2;
}
