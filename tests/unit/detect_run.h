/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What the detector's unit tests share: a run of points and its counts,
 * each point checked for an episode starting exactly where the score
 * reaches the threshold. */
#ifndef TT_DETECT_RUN_H
#define TT_DETECT_RUN_H

#include <math.h>

#include "check.h"
#include "core/detect.h"

#define T0 1767225600.0 /* 2026-01-01 00:00:00 UTC, a Thursday */

static struct detect_config cfg;

/* Counts what a run of points did. */
struct run {
	int starts;	 /* episodes started */
	int high;	 /* points scored >= DETECT_THRESHOLD */
	int high_quiet;	 /* ... outside an episode and its refractory time */
	int mismatch;	 /* starts without a high score, or high quiet points without a start */
	int stale;	 /* points that scored without adding to the sum of surprise */
	double last;	 /* last score */
};

/* One point, checking that an episode starts exactly where the score
 * reaches the threshold: outside an episode and its refractory time, and
 * that no point reaches it within them. */
static void feed(struct detect *d, struct run *r, double ts, double x)
{
	bool was = detect__firing(d), refr = d->refractory > 0, warm = d->n >= cfg.warmup;
	bool in_episode = d->firing;
	float before = fmaxf(d->sum_up, d->sum_down);
	double s = detect__update(d, &cfg, ts, x);
	bool started = !was && detect__firing(d);

	r->last = s;
	if (isnan(s))
		return;
	/* Only a point that adds evidence scores (or one that starts an
	 * episode, whose sum then restarts: a quiet one, core/recur.h, too). */
	r->stale += s > 0 && !started && !(!in_episode && d->firing) &&
		    fmaxf(d->sum_up, d->sum_down) <= before;
	r->starts += started;
	r->high += s >= DETECT_THRESHOLD;
	if (!was && !refr && warm) {
		r->high_quiet += s >= DETECT_THRESHOLD;
		r->mismatch += started != (s >= DETECT_THRESHOLD);
	} else {
		/* In an episode or its refractory time nothing starts, and the
		 * score stays below the threshold. */
		r->mismatch += started || (warm && s >= DETECT_THRESHOLD);
	}
}

/* A business day's rate: 200 at night, a 30 min ramp to 2,000 at 09:00, a
 * 30 min fall at 18:00. */
static inline double business_day(double ts)
{
	double h = fmod(ts, 86400) / 3600;

	if (h < 9 || h >= 18.5)
		return 200;
	if (h < 9.5)
		return 200 + 1800 * (h - 9) / 0.5;
	if (h < 18)
		return 2000;
	return 2000 - 1800 * (h - 18) / 0.5;
}

#endif /* TT_DETECT_RUN_H */
