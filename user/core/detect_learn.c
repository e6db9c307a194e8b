// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The detector's learning from a point it has judged (core/detect.c): the
 * levels, scales and tail outside an episode, the profiles and the choice
 * of forecast always, and the series' resolution.
 */
#include "core/detect_int.h"

/* The series' resolution, the smallest step seen between two points, is
 * learnt after the point is judged, and only from a point that was no
 * surprise, like everything else: learnt before, the first step of a series
 * that never moved (a constant that steps from 5 to 10) was its own
 * resolution, one scale, and never alerted; learnt from a surprising step,
 * a count at 5 that moved to 8 for good judged the rest by a resolution of
 * 3. Until it moves, a series of whole numbers (a count) has a resolution
 * of 1: its first error after days at 0 is one count, not an alert. */
void detect_learn_quantum(struct detect *d, const struct detect_config *cfg, double x, double z)
{
	double step = fabs(x - d->prev);

	if (!d->fraction && x != floor(x))
		d->fraction = 1;
	if (step > 0 && step < d->quantum &&
	    max2(tail__surprise(&d->up, z), tail__surprise(&d->down, -z)) < cfg->allowance)
		d->quantum = (float)step;
	d->prev = (float)x;
}

/* Points a view's terms stand for: one once a cycle is in force, stride
 * while the profiles are only sampled (look()). */
static double seen_every(const struct detect *d, const struct detect_config *cfg,
			 const struct view *v)
{
	return cfg->seasonal && d->mode != SEASON_NONE ? 1 : v->stride;
}

/* What the profiles learn is each point's deviation from a level. The day
 * profile's is a level of a day and a half, which leaves it the whole daily
 * cycle: the forecast's own level (weight alpha a point: four hours at 5 min,
 * 50 minutes at 1 min) follows most of the part of a cycle the profile does
 * not know yet, and so hid that part from it for weeks (docs/detectors.md,
 * "The day profile from the start"). The kinds of day of the week profile
 * learn the point itself, less a base of their own that moves only between
 * days (core/season.c): the slow level moves with a working week (a
 * weekend lowers it over a day and a half). */
#define SLOW_S (1.5 * 86400)
/* The slow level is a float: below this weight (1 s data) its steps would
 * round away on a smooth series. */
#define SLOW_MIN_WEIGHT 1e-4

/* The slow level's weight: the first warm-up's average, then time step /
 * SLOW_S, also while a gap's restarted level re-learns. */
static double slow_weight(const struct detect *d, const struct detect_config *cfg, double a)
{
	if (d->n < cfg->warmup)
		return a;
	return min2(cfg->alpha, max2(d->dt / SLOW_S, SLOW_MIN_WEIGHT));
}

/* The profiles learn from every point, also within an episode (a young
 * series' daily cycle is an episode every day until its profile knows it):
 * at full gain while young, then at episode_gain, clipped at huber_k scales.
 * The selection sees episode points only in a series' first two weeks: later
 * the profiles, learning the anomaly while the levels do not, won it there
 * (test_lasting_changes: three level changes in two days took the weekly
 * profile, which alerted the next day); from 3 days on instead,
 * cityweek.py's first three weeks alerted on weekends 58 times, not 38. */
#define SELECT_IN_EPISODE_S (14 * 86400)

void detect_learn_season(struct detect *d, const struct detect_config *cfg, double x,
			 const struct view *v, bool episode)
{
	bool warm = warming(d, cfg);
	double sf = MAD_TO_SIGMA * d->flat_scale, ss = MAD_TO_SIGMA * max2(d->scale, v->spread);
	double term = d->mode == SEASON_WEEKLY ? v->week : v->day, cl = cfg->huber_k;
	double rs = x - (*seasonal_level(d) + term), age = d->last_ts - d->season.t0, ppd, weight;
	double dev_day;

	if (!cfg->seasonal || !v->pos.ok)
		return;
	ppd = d->dt > 0 ? 86400.0 / d->dt : 1;
	weight = min2(1, seen_every(d, cfg, v) / max2(cfg->season.err_days * ppd, 50));
	if (!episode || age < SELECT_IN_EPISODE_S) {
		season__select(&d->season, &cfg->season, x - d->flat, x - d->level - v->day,
			       x - d->wlevel - v->week, max2(min2(ss, sf), v->floor), weight, age);
		d->mode = d->season.mode;
	}
	dev_day = x - d->slow;
	if (!warm) {
		rs = clamp(rs, cl * max2(ss, v->floor));
		/* Each lesson at most huber_k scales from its profile's forecast,
		 * once its bin has one: an empty bin's is its neighbours' line,
		 * and clipped toward it a daily jump of 60 in 1 % noise taught its
		 * bins 0.75 a day. */
		if (season__day_known(&d->season, &v->pos))
			dev_day = v->day + clamp(dev_day - v->day, cl * max2(ss, v->sigma));
	}
	season__learn(&d->season, &cfg->season, &v->pos, dev_day, x, x - d->wlevel, v->sigma, rs,
		      fabs(d->level) + 8 * max2(ss, v->sigma), age,
		      episode && age >= EPISODE_GAIN_AFTER_S);
}

/* Within a warm-up the averages take every point whole, but once the first
 * WARM_CLIP_AFTER are in, a point teaches at most WARM_CLIP scales' worth: a
 * first sample of 1e6 on a series of 100 +- 5 (a counter's reset) made the
 * scale 15,000 and the detector blind for two days at 5 min; so wide a bound
 * changes one alert in the corpora (docs/detectors.md). */
#define WARM_CLIP_AFTER 10
#define WARM_CLIP 50

/* Outside an episode every part learns: the level, the scales and the tail
 * (clipped: Huber), and the profiles. */
void detect_learn(struct detect *d, const struct detect_config *cfg, double x,
		  const struct view *v)
{
	bool warm = warming(d, cfg);
	/* Points averaged so far: since the start, or since a gap's restart
	 * (whose scales are kept and not taught by an unsettled level). */
	double k = d->rewarm ? (double)(REWARM_POINTS - d->rewarm) : (double)d->n;
	double a = warm ? max2(cfg->alpha, 1.0 / (k + 1)) : cfg->alpha;
	double sa = d->rewarm ? 0 : warm ? max2(cfg->scale_alpha, 1.0 / d->n) : cfg->scale_alpha;
	double sf = MAD_TO_SIGMA * d->flat_scale, ss = MAD_TO_SIGMA * max2(d->scale, v->spread);
	double term = d->mode == SEASON_WEEKLY ? v->week : v->day;
	double rf = x - d->flat, rs = x - (*seasonal_level(d) + term), cl = cfg->huber_k;
	double rd = x - (d->level + v->day), rw = x - (d->wlevel + v->week);
	double every = seen_every(d, cfg, v), k_clip = warm ? WARM_CLIP : cl;

	if (!warm || d->n >= WARM_CLIP_AFTER) {
		/* Huber: a point teaches at most k scales' worth. */
		rf = clamp(rf, k_clip * max2(sf, v->floor));
		rs = clamp(rs, k_clip * max2(ss, v->floor));
		rd = clamp(rd, k_clip * max2(ss, v->floor));
		rw = clamp(rw, k_clip * max2(ss, v->floor));
	}
	if (!warm) {
		tail__learn(&d->up, v->z, cfg->tail_eta);
		tail__learn(&d->down, -v->z, cfg->tail_eta);
	}
	detect_learn_season(d, cfg, x, v, false);
	d->flat += a * rf;
	d->flat_scale += (float)(sa * (fabs(rf) - d->flat_scale));
	/* The seasonal forecasts learn from points that saw their terms only:
	 * on the others the terms read 0, and their levels would follow the
	 * cycle itself (a 10 s business week never chose its profiles). */
	if (cfg->seasonal && !v->looked)
		return;
	d->level += min2(1, a * every) * rd;
	d->wlevel += min2(1, a * every) * rw;
	d->slow += (float)(min2(1, slow_weight(d, cfg, a) * every) *
			   clamp(x - v->day - d->slow, cl * max2(ss, v->floor)));
	d->scale += (float)(min2(1, sa * every) * (fabs(rs) - d->scale));
}

