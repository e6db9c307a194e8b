// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The detector forecasts each point as level + long-run slope, standardises
 * the residual by a robust scale, and scores three statistics of it: the
 * residual itself (spikes), a CUSUM of residuals (level shifts) and the gap
 * between a fast and a slow slope of the level (trend changes). Residuals are
 * clipped before they update the state, so an anomaly does not teach the
 * detector that it is normal within a few points.
 */
#include <math.h>
#include <string.h>

#include "core/detect.h"

/* E|X| = sigma * sqrt(2/pi) for a normal X: turns a mean absolute residual
 * into a standard deviation. */
#define MAD_TO_SIGMA 1.2533141

void detect__default_config(struct detect_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->alpha = 0.02;
	cfg->beta_fast = 0.1;
	cfg->beta_slow = 0.005;
	cfg->scale_alpha = 0.02;
	cfg->corr_alpha = 0.005;
	cfg->huber_k = 3.0;
	cfg->z_spike = 5.0;
	cfg->cusum_k = 1.0;
	cfg->cusum_h = 10.0;
	cfg->trend_z = 4.0;
	cfg->min_scale = 1e-6;
	cfg->rel_scale = 0.005;
	cfg->warmup = 30;
	cfg->dir = DETECT_BOTH;
	cfg->components = DETECT_ALL;
	cfg->robust = true;
}

void detect__init(struct detect *d)
{
	memset(d, 0, sizeof(*d));
}

double detect__score_of(double u)
{
	if (!(u > 0))
		return 0;
	if (u > 6)
		return 1;
	return 1 - exp2(-u * u);
}

double detect__expected(const struct detect *d)
{
	return d->level + d->slope_slow;
}

const char *detect__why_name(uint8_t why)
{
	switch (why) {
	case DETECT_SPIKE:
		return "spike";
	case DETECT_SHIFT:
		return "shift";
	case DETECT_TREND:
		return "trend";
	}
	return "";
}

static double directed(double v, uint8_t dir)
{
	if (dir == DETECT_UP)
		return v;
	if (dir == DETECT_DOWN)
		return -v;
	return fabs(v);
}

static double clamp(double v, double lim)
{
	return v > lim ? lim : v < -lim ? -lim : v;
}

static double sigma_of(const struct detect *d, const struct detect_config *cfg)
{
	double s = MAD_TO_SIGMA * d->scale;
	double rel = cfg->rel_scale * fabs(d->level);

	if (s < rel)
		s = rel;
	return s < cfg->min_scale ? cfg->min_scale : s;
}

/* Residuals of real series are autocorrelated (a slow queue drains over
 * several points): a CUSUM or slope of them wanders further than white noise
 * would. Their long-run standard deviation is sqrt((1 + rho) / (1 - rho))
 * times the per-point one for lag-1 correlation rho. */
static double inflation(const struct detect *d)
{
	double rho = d->zsq > 0 ? d->zlag / d->zsq : 0;

	rho = rho < 0 ? 0 : rho > 0.9 ? 0.9 : rho;
	return sqrt((1 + rho) / (1 - rho));
}

/* The component statistics of the standardised residual z, as fractions of
 * their decision levels; sets d->why to the largest. */
static double components_u(struct detect *d, const struct detect_config *cfg, double z,
			   double sigma)
{
	double infl = inflation(d), zc = clamp(z / infl, cfg->huber_k), u, best = 0;
	double hmax = 2 * cfg->cusum_h;

	d->why = 0;
	if (cfg->components & DETECT_SPIKE) {
		best = directed(z, cfg->dir) / cfg->z_spike;
		d->why = DETECT_SPIKE;
	}
	if (cfg->components & DETECT_SHIFT) {
		d->cus_pos = (float)fmin(hmax, fmax(0, d->cus_pos + zc - cfg->cusum_k));
		d->cus_neg = (float)fmin(hmax, fmax(0, d->cus_neg - zc - cfg->cusum_k));
		u = cfg->dir == DETECT_UP ? d->cus_pos :
		    cfg->dir == DETECT_DOWN ? d->cus_neg : fmax(d->cus_pos, d->cus_neg);
		u /= cfg->cusum_h;
		if (u > best) {
			best = u;
			d->why = DETECT_SHIFT;
		}
	}
	if (cfg->components & DETECT_TREND) {
		/* Under the null the level moves by alpha * residual per point, so
		 * the fast slope's noise is alpha * sigma * sqrt(b / (2 - b)). */
		double se = cfg->alpha * sigma * sqrt(cfg->beta_fast / (2 - cfg->beta_fast)) * infl;

		u = directed(d->slope_fast - d->slope_slow, cfg->dir) / (cfg->trend_z * se);
		if (u > best) {
			best = u;
			d->why = DETECT_TREND;
		}
	}
	return best;
}

static void learn(struct detect *d, const struct detect_config *cfg, double r, double sigma)
{
	double alpha = cfg->alpha, sa = cfg->scale_alpha, rc = r, step;

	if (d->n < cfg->warmup) {
		/* Averages at first, so the start value does not linger. */
		alpha = fmax(alpha, 1.0 / (d->n + 1));
		sa = fmax(sa, 1.0 / d->n);
	} else if (cfg->robust) {
		rc = clamp(r, cfg->huber_k * sigma);
	}
	step = d->slope_slow + alpha * rc;
	d->level += step;
	if (cfg->components & DETECT_TREND) {
		d->slope_fast += (float)(cfg->beta_fast * (step - d->slope_fast));
		d->slope_slow += cfg->beta_slow * (step - d->slope_slow);
	}
	d->scale += (float)(sa * (fabs(rc) - d->scale));
}

static void learn_corr(struct detect *d, const struct detect_config *cfg, double z)
{
	double zc = clamp(z, cfg->huber_k), prev = clamp(d->z, cfg->huber_k);
	double a = d->n < cfg->warmup ? fmax(cfg->corr_alpha, 1.0 / d->n) : cfg->corr_alpha;

	if (d->n > 1)
		d->zlag += (float)(a * (zc * prev - d->zlag));
	d->zsq += (float)(a * (zc * zc - d->zsq));
	d->z = (float)z;
}

double detect__update(struct detect *d, const struct detect_config *cfg, double x)
{
	double r, sigma, u = 0;

	if (!isfinite(x))
		return 0;
	if (!d->n) {
		d->level = x;
		d->n = 1;
		return 0;
	}
	r = x - detect__expected(d);
	sigma = sigma_of(d, cfg);
	if (d->n >= cfg->warmup)
		u = components_u(d, cfg, r / sigma, sigma);
	/* The noise's correlation is learnt from quiet stretches only, else
	 * a developing shift or ramp would teach it to excuse itself. */
	if (u < 0.5)
		learn_corr(d, cfg, r / sigma);
	else
		d->z = (float)(r / sigma);
	learn(d, cfg, r, sigma);
	if (d->n < UINT32_MAX)
		d->n++;
	return detect__score_of(u);
}
