/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the detector's two files share and nothing else: detect.c judges and
 * learns from a point, detect_gap.c starts a series and restarts it after a
 * long silence.
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

/* E|X| = sigma * sqrt(2/pi) for a normal X: turns a mean absolute residual
 * into a standard deviation. */
#define MAD_TO_SIGMA 1.2533141
/* Points that re-learn the level after a long gap (detect_gap.c). */
#define REWARM_POINTS 10

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

/* A series' first point (core/detect_gap.c). */
void detect_start(struct detect *d, double ts, double x);

/* A point after a silence of more than gap_restart intervals: the level may
 * start again, the rest stays (core/detect_gap.c). */
void detect_restart(struct detect *d, const struct detect_config *cfg, double ts, double x);

#endif /* TT_DETECT_INT_H */
