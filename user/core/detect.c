// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Two forecasts run side by side: the level alone, and a level plus the
 * seasonal profile; the profile's own error comparison picks the one in force
 * (core/season.c). The residual of the forecast in force, over a robust
 * scale, is a z; its surprise under the learnt tail adds up beyond an
 * allowance, per direction, into a CUSUM whose level starts an episode.
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
	season__default_config(&cfg->season);
	cfg->alpha = 0.02;
	cfg->scale_alpha = 0.02;
	cfg->huber_k = 3.0;
	cfg->min_scale = 1e-6;
	cfg->rel_scale = 0.005;
	cfg->allowance = 3.0;
	cfg->level = 4.0;
	cfg->cap = 2.0;
	cfg->calm = 1.5;
	cfg->tail_eta = 0.02;
	cfg->episode_alpha = 0.3;
	cfg->gap_restart = 30;
	cfg->warmup = 30;
	cfg->calm_n = 5;
	cfg->refractory = 20;
	cfg->adopt = 20;
	cfg->dir = DETECT_BOTH;
	cfg->seasonal = true;
}

void detect__init(struct detect *d)
{
	memset(d, 0, sizeof(*d));
	season__init(&d->season);
	tail__init(&d->up);
	tail__init(&d->down);
	d->last_ts = NAN;
	d->quantum = INFINITY;
}

bool detect__firing(const struct detect *d)
{
	return d->firing;
}

double detect__score_of(const struct detect_config *cfg, double sum)
{
	if (!(sum > 0))
		return 0;
	return 1 - exp2(-sum / cfg->level);
}

double detect__expected(const struct detect *d)
{
	return d->expected;
}

double detect__sigma(const struct detect *d)
{
	return d->sigma;
}

const char *detect__why_name(uint8_t why)
{
	switch (why) {
	case DETECT_SPIKE:
		return "spike";
	case DETECT_SHIFT:
		return "shift";
	}
	return "";
}

static double clamp(double v, double lim)
{
	return v > lim ? lim : v < -lim ? -lim : v;
}

/* What one point looks like to the detector before it learns from it. */
struct view {
	struct season_pos pos;
	double day, week;  /* seasonal terms, whatever the mode */
	double sea;	   /* seasonal term in force */
	double spread;	   /* the day bin's mean |residual| */
	double fcast;	   /* forecast in force */
	double sigma;	   /* its robust standard deviation */
	double floor;	   /* the least any scale may be (resolution, level) */
	double z;
};

static void start(struct detect *d, double ts, double x)
{
	d->level = d->flat = x;
	d->scale = d->flat_scale = 0;
	d->prev = (float)x;
	d->expected = (float)x;
	d->last_ts = ts;
	d->sum_up = d->sum_down = 0;
	d->firing = 0;
	d->refractory = 0;
	d->n = 1;
	if (!d->season.t0)
		d->season.t0 = ts;
}

static void observe_time(struct detect *d, double ts, double x)
{
	double step = ts - d->last_ts;

	if (step > 0)
		d->dt = d->dt > 0 ? (float)(d->dt + 0.05 * (step - d->dt)) : (float)step;
	d->last_ts = ts;
	if (fabs(x - d->prev) > 0 && fabs(x - d->prev) < d->quantum)
		d->quantum = (float)fabs(x - d->prev);
	d->prev = (float)x;
	if (d->n >= 10)
		season__set_interval(&d->season, d->dt);
}

static void look(const struct detect *d, const struct detect_config *cfg, double ts, double x,
		 struct view *v)
{
	bool seasonal = cfg->seasonal && d->season.mode != SEASON_NONE;
	double scale, least;

	season__locate(&d->season, ts, &v->pos);
	season__terms(&d->season, &v->pos, &v->day, &v->week);
	v->sea = cfg->seasonal ? season__value(&d->season, &v->pos, &v->spread) : 0;
	if (!seasonal)
		v->spread = 0;
	v->fcast = seasonal ? d->level + v->sea : d->flat;
	scale = MAD_TO_SIGMA * fmax(seasonal ? d->scale : d->flat_scale, v->spread);
	least = fmax(cfg->rel_scale * fabs(v->fcast), cfg->min_scale);
	if (isfinite(d->quantum))
		least = fmax(least, d->quantum);
	v->floor = least;
	v->sigma = fmax(scale, least);
	v->z = (x - v->fcast) / v->sigma;
}

/* Surprise of a standardised residual in the directions cfg counts. */
static void surprise(const struct detect *d, const struct detect_config *cfg, double z,
		     double *up, double *down)
{
	*up = cfg->dir == DETECT_DOWN ? 0 : tail__surprise(&d->up, z);
	*down = cfg->dir == DETECT_UP ? 0 : tail__surprise(&d->down, -z);
}

static void end_episode(struct detect *d, const struct detect_config *cfg, uint8_t how)
{
	d->last_end = how;
	d->firing = 0;
	d->refractory = cfg->refractory;
}

/* Within an episode (and its refractory time) a point is judged against the
 * better of two explanations: the normal state frozen at the episode's start,
 * and the episode's own level. So a level shift scores once, at its start;
 * the return to normal does not score; only something new does. */
static void second_opinion(struct detect *d, const struct detect_config *cfg, double x,
			   const struct view *v, double *up, double *down)
{
	double old = fmax(*up, *down), nu, nd;

	surprise(d, cfg, (x - (d->ep_level + v->sea)) / v->sigma, &nu, &nd);
	d->ep_level += (float)(cfg->episode_alpha * (x - v->sea - d->ep_level));
	if (fmax(nu, nd) < old) {
		*up = nu;
		*down = nd;
	}
	if (!d->firing)
		return;
	d->ep_len++;
	d->calm_run = old < cfg->calm ? d->calm_run + 1 : 0;
	if (d->calm_run >= cfg->calm_n) {
		end_episode(d, cfg, DETECT_END_EXPLAINED);
	} else if (cfg->adopt && d->ep_len >= cfg->adopt) {
		/* A lasting change: its level becomes the normal one. */
		double shift = d->ep_level - (cfg->seasonal && d->season.mode ? d->level : d->flat);

		d->level += shift;
		d->flat += shift;
		if (d->adopted < UINT8_MAX)
			d->adopted++;
		end_episode(d, cfg, DETECT_END_ADOPTED);
	}
}

static double judge(struct detect *d, const struct detect_config *cfg, double x,
		    const struct view *v)
{
	double up, down, cap = cfg->cap * cfg->level, sum, score;

	surprise(d, cfg, v->z, &up, &down);
	if (d->firing || d->refractory)
		second_opinion(d, cfg, x, v, &up, &down);
	d->sum_up = (float)fmin(cap, fmax(0, d->sum_up + up - cfg->allowance));
	d->sum_down = (float)fmin(cap, fmax(0, d->sum_down + down - cfg->allowance));
	sum = fmax(d->sum_up, d->sum_down);
	score = detect__score_of(cfg, sum);
	if (d->refractory)
		d->refractory--;
	else if (!d->firing && sum >= cfg->level) {
		d->firing = 1;
		d->why = fmax(up, down) - cfg->allowance >= cfg->level ? DETECT_SPIKE : DETECT_SHIFT;
		d->ep_len = 0;
		d->calm_run = 0;
		d->ep_level = (float)(x - v->sea);
		/* The sum restarts: from here on only new surprise adds up. */
		d->sum_up = d->sum_down = 0;
	}
	return score;
}

static void learn(struct detect *d, const struct detect_config *cfg, double x,
		  const struct view *v)
{
	bool warm = d->n < cfg->warmup;
	double a = warm ? fmax(cfg->alpha, 1.0 / (d->n + 1)) : cfg->alpha;
	double sa = warm ? fmax(cfg->scale_alpha, 1.0 / d->n) : cfg->scale_alpha;
	double sf = MAD_TO_SIGMA * d->flat_scale, ss = MAD_TO_SIGMA * fmax(d->scale, v->spread);
	double term = d->season.mode == SEASON_WEEKLY ? v->week : v->day;
	double rf = x - d->flat, rs = x - (d->level + term), cl = cfg->huber_k;
	double ppd, dev;

	if (!warm) {
		/* Huber: a point teaches at most k scales' worth. */
		rf = clamp(rf, cl * fmax(sf, v->floor));
		rs = clamp(rs, cl * fmax(ss, v->floor));
		tail__learn(&d->up, v->z, cfg->tail_eta);
		tail__learn(&d->down, -v->z, cfg->tail_eta);
	}
	if (cfg->seasonal && v->pos.ok) {
		ppd = d->dt > 0 ? 86400.0 / d->dt : 1;
		season__select(&d->season, &cfg->season, fmin(fabs(x - d->flat), cl * sf),
			       fmin(fabs(x - d->level - v->day), cl * ss),
			       fmin(fabs(x - d->level - v->week), cl * ss),
			       1 / fmax(cfg->season.err_days * ppd, 50), d->last_ts - d->season.t0);
	}
	d->flat += a * rf;
	d->flat_scale += (float)(sa * (fabs(rf) - d->flat_scale));
	d->level += a * rs;
	d->scale += (float)(sa * (fabs(rs) - d->scale));
	if (!cfg->seasonal || !v->pos.ok)
		return;
	dev = x - d->level;
	if (!warm)
		dev = term + clamp(dev - term, cl * fmax(ss, v->sigma));
	season__learn(&d->season, &cfg->season, &v->pos, dev, rs,
		      fabs(d->level) + 8 * fmax(ss, v->sigma), d->last_ts - d->season.t0);
}

double detect__update(struct detect *d, const struct detect_config *cfg, double ts, double x)
{
	struct view v;
	double score = 0;

	if (!isfinite(x) || !isfinite(ts)) {
		if (d->gaps < UINT32_MAX)
			d->gaps++;
		return NAN;
	}
	if (!d->n) {
		start(d, ts, x);
		return 0;
	}
	if (d->dt > 0 && ts - d->last_ts > cfg->gap_restart * d->dt) {
		/* A long silence: the level may be anywhere now. The cycles and
		 * the noise's tail still describe the series. */
		if (d->restarts < UINT32_MAX)
			d->restarts++;
		start(d, ts, x);
		return 0;
	}
	observe_time(d, ts, x);
	look(d, cfg, ts, x, &v);
	d->expected = (float)v.fcast;
	d->sigma = (float)v.sigma;
	d->z = (float)v.z;
	if (d->n >= cfg->warmup)
		score = judge(d, cfg, x, &v);
	if (!d->firing)
		learn(d, cfg, x, &v);
	if (d->n < UINT32_MAX)
		d->n++;
	return score;
}
