/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the detector's two files share and nothing else: detect.c judges a
 * point (its view, the episode), detect_learn.c learns from it.
 */
#ifndef TT_DETECT_INT_H
#define TT_DETECT_INT_H

#include <math.h>

#include "core/detect.h"

/* fmax/fmin without the NaN rules libm keeps them out of line for. */
static inline double max2(double a, double b)
{
	return a > b ? a : b;
}

static inline double min2(double a, double b)
{
	return a < b ? a : b;
}

/* E|X| = sigma * sqrt(2/pi) for a normal X: turns a mean absolute residual
 * into a standard deviation. */
#define MAD_TO_SIGMA 1.2533141
/* Points closer than this (s) teach a series' profiles one in SAMPLE_EVERY
 * while it has no cycle in force. */
#define SAMPLE_DT 60
#define SAMPLE_EVERY 8
/* The highest score of a point within an episode or its refractory time:
 * below DETECT_THRESHOLD also as `telltale score` writes it (4 decimals). */
#define BUSY_MAX 0.4999

static inline double clamp(double v, double lim)
{
	return v > lim ? lim : v < -lim ? -lim : v;
}


/* Points that re-learn the level after a long gap (detect.c, restart()). */
#define REWARM_POINTS 10

/* What one point looks like to the detector before it learns from it. */
struct view {
	struct season_pos pos;
	double day, week;  /* seasonal terms, whatever the mode */
	double sea;	   /* seasonal term in force */
	double spread;	   /* the day bin's mean |residual| */
	double fcast;	   /* forecast in force */
	double sigma;	   /* its robust standard deviation */
	double floor;	   /* the least any scale may be (resolution, level) */
	unsigned stride;   /* the profiles see one point in this many */
	bool looked;	   /* ... and this is one of them */
	double z;
};

/* The level of the seasonal forecast the profiles' mode picks (the daily
 * one while none is picked). */
static inline double *seasonal_level(struct detect *d)
{
	return d->mode == SEASON_WEEKLY ? &d->wlevel : &d->level;
}

/* The level of the forecast in force. */
static inline double *level_in_force(struct detect *d, const struct detect_config *cfg)
{
	return cfg->seasonal && d->mode ? seasonal_level(d) : &d->flat;
}

/* Still settling: the first warm-up, or re-learning the level after a gap. */
static inline bool warming(const struct detect *d, const struct detect_config *cfg)
{
	return d->n < cfg->warmup || d->rewarm;
}

/* Learning from a point, outside an episode (everything) and within one
 * (the profiles and the selection: episode true). */
void detect_learn(struct detect *d, const struct detect_config *cfg, double x,
		  const struct view *v);
void detect_learn_season(struct detect *d, const struct detect_config *cfg, double x,
			 const struct view *v, bool episode);
void detect_learn_quantum(struct detect *d, const struct detect_config *cfg, double x, double z);

#endif /* TT_DETECT_INT_H */
