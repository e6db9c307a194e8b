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

#include "core/detect_int.h"

void detect__default_config(struct detect_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	season__default_config(&cfg->season);
	cfg->alpha = 0.02;
	cfg->scale_alpha = 0.02;
	cfg->huber_k = 3.0;
	cfg->min_scale = 1e-6;
	cfg->rel_scale = 0.005;
	cfg->allowance = 1.5;
	cfg->level = 3.0;
	cfg->cap = 2.0;
	cfg->calm = 1.5;
	cfg->tail_eta = 0.03;
	cfg->episode_alpha = 0.3;
	cfg->gap_restart = 30;
	cfg->budget_step = 1;
	cfg->level_interval = 300;
	cfg->budget_half_life = 3 * 86400;
	/* Two time constants of the level and scale averages (1 / alpha). */
	cfg->warmup = 100;
	cfg->calm_n = 5;
	cfg->refractory = 5;
	cfg->adopt = 100;
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
	return d->firing && !(d->ep_kind & DETECT_EP_QUIET);
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

static void start(struct detect *d, double ts, double x)
{
	d->level = d->flat = x;
	d->wlevel = x;
	d->slow = (float)x;
	d->scale = d->flat_scale = 0;
	d->prev = (float)x;
	d->fraction |= x != floor(x);
	d->expected = (float)x;
	d->last_ts = ts;
	d->sum_up = d->sum_down = 0;
	d->firing = 0;
	d->refractory = 0;
	d->rewarm = 0;
	d->n = 1;
	if (!d->season.t0)
		d->season.t0 = ts;
}

/* After a long silence the noise's scale, its tail and the cycles still
 * describe the series; the level may have moved. It goes on when the first
 * point lies within huber_k scales of it (one point is noisier than a level
 * averaged over many), else it starts again from that point. Either way the
 * next REWARM_POINTS points average into it; they are judged unless it
 * started again. So a series with outages is not blind for a whole warm-up
 * after each, nor for REWARM_POINTS when nothing moved. A series still in
 * its first warm-up starts that over. */
static double restart_level(double old, double from_point, double scale,
			    const struct detect_config *cfg)
{
	if (fabs(from_point - old) <= cfg->huber_k * MAD_TO_SIGMA * scale)
		return old;
	return from_point;
}

static void restart(struct detect *d, const struct detect_config *cfg, double ts, double x)
{
	float scale = d->scale, flat_scale = d->flat_scale, slow = d->slow;
	double level = d->level, flat = d->flat, wlevel = d->wlevel, before;
	uint32_t n = d->n;

	if (d->restarts < UINT16_MAX)
		d->restarts++;
	start(d, ts, x);
	if (n < cfg->warmup || !(scale > 0))
		return;
	d->scale = scale;
	d->flat_scale = flat_scale;
	d->slow = slow; /* a level over days: the profiles' base goes on */
	d->n = n;
	d->rewarm = REWARM_POINTS - 1;
	before = !cfg->seasonal || !d->mode ? flat : d->mode == SEASON_WEEKLY ? wlevel : level;
	d->flat = restart_level(flat, x, flat_scale, cfg);
	/* The seasonal forecasts' levels are deseasonalised: the point less
	 * what each profile expects at its time of day. */
	if (cfg->seasonal && d->mode) {
		struct season_pos pos;
		double day, week, spread;

		season__view(&d->season, season__clock(&cfg->season, ts), &pos, &day, &week,
			     &spread);
		if (pos.ok) {
			d->level = restart_level(level, x - day, max2(scale, spread), cfg);
			d->wlevel = restart_level(wlevel, x - week, max2(scale, spread), cfg);
		}
	}
	/* Blind while the level of the forecast in force starts again. */
	d->rewarm_blind = *level_in_force(d, cfg) != before;
}

/* Points are judged after the first warm-up, except while a level that
 * started again after a gap re-learns. */
static bool judging(const struct detect *d, const struct detect_config *cfg)
{
	return d->n >= cfg->warmup && !(d->rewarm && d->rewarm_blind);
}

static void observe_time(struct detect *d, const struct detect_config *cfg, double ts)
{
	double step = ts - d->last_ts;

	if (step > 0)
		d->dt = d->dt > 0 ? (float)(d->dt + 0.05 * (step - d->dt)) : (float)step;
	d->last_ts = ts;
	/* The profiles' bin width is fixed once, from the first points'
	 * interval (and only asked then: it is on a cold line). */
	if (d->n >= 10 && d->n <= 64)
		season__set_interval(&d->season, d->dt);
	/* The same per-point level would give a 1 s series 300 times the false
	 * alerts a day of a 5 min one: the level rises with the rate. */
	if (d->n % 64 == 10 && d->dt > 0)
		d->rate_add = (float)max2(0, log10(cfg->level_interval / d->dt));
}

/* A day of the week that has lately changed kind (a working week's second
 * weekend, before its votes are firm) may be either kind: its points are
 * judged by the nearer kind's forecast. Else the second weekend's first
 * points, a weekend night against a working one, alerted before the day's
 * own points could tell its kind (bench/detection/cityweek.py). */
static void nearer_kind(struct detect *d, const struct detect_config *cfg, double x,
			struct view *v)
{
	double alt = season__unsure_alt(&d->season, &v->pos), lvl = *level_in_force(d, cfg);

	/* The weekly term as a whole: its level learns from the kind that
	 * explains the point (else it learnt the other kind's hour as a shift
	 * of its own, and the next Monday's night passed for a weekend's). */
	if (isfinite(alt) && fabs(x - lvl - alt) < fabs(x - lvl - v->sea))
		v->sea = v->week = alt;
}

/* The forecast of x at when, its time on the profiles' clock (season__clock). */
static void look(struct detect *d, const struct detect_config *cfg, double when, double x,
		 struct view *v)
{
	bool seasonal = cfg->seasonal && d->mode != SEASON_NONE;
	double scale, least;

	v->day = v->week = v->spread = v->sea = 0;
	v->pos.ok = false;
	v->stride = d->dt > 0 && d->dt < SAMPLE_DT ? SAMPLE_EVERY : 1;
	/* A series without cycles consults its profiles on every
	 * SAMPLE_EVERY-th point only when its points come faster than
	 * SAMPLE_DT: at 1 s that is still 450 lessons a day bin, and the
	 * profiles' cache lines stay cold the rest of the time. */
	v->looked = cfg->seasonal && (seasonal || d->n % v->stride == 0);
	if (v->looked)
		season__view(&d->season, when, &v->pos, &v->day, &v->week, &v->spread);
	if (seasonal)
		v->sea = d->mode == SEASON_WEEKLY ? v->week : v->day;
	else
		v->spread = 0;
	if (seasonal && d->mode == SEASON_WEEKLY && v->pos.ok)
		nearer_kind(d, cfg, x, v);
	v->fcast = *level_in_force(d, cfg) + (seasonal ? v->sea : 0);
	scale = MAD_TO_SIGMA * max2(seasonal ? d->scale : d->flat_scale, v->spread);
	least = max2(cfg->rel_scale * fabs(v->fcast), cfg->min_scale);
	if (isfinite(d->quantum))
		least = max2(least, d->quantum);
	else if (!d->fraction && x == floor(x))
		least = max2(least, 1); /* a count that never moved: one is its least step */
	v->floor = least;
	v->sigma = max2(scale, least);
	v->z = (x - v->fcast) / v->sigma;
}

/* Surprise of a standardised residual in the directions cfg counts. */
static void surprise(const struct detect *d, const struct detect_config *cfg, double z,
		     double *up, double *down)
{
	*up = cfg->dir == DETECT_DOWN ? 0 : tail__surprise(&d->up, z);
	*down = cfg->dir == DETECT_UP ? 0 : tail__surprise(&d->down, -z);
}

/* An adopted episode's shift, for one of the forecasts whose miss at the
 * point is miss: none where that forecast explains the point, else the
 * whole. A daily jump the day profile has learnt but that is not in force
 * yet is an episode of the level forecast every day: its shift, adopted by
 * every level alike, moved the daily forecast's off by the jump, whose
 * misses then kept it from being chosen (a noise-free 6 h daily jump at
 * 1 min alerted on its third, fourth and fifth days). */
static double own_shift(double shift, double miss)
{
	return fabs(miss) < 0.5 * fabs(shift) ? 0 : shift;
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
	double old = max2(*up, *down), nu, nd, r = x - (d->ep_level + v->sea);

	surprise(d, cfg, r / v->sigma, &nu, &nd);
	d->ep_level += (float)(cfg->episode_alpha * r);
	if (d->firing)
		d->ep_scale += (float)(max2(cfg->scale_alpha, 1.0 / (d->ep_len + 1)) *
				       (fabs(r) - d->ep_scale));
	if (max2(nu, nd) < old) {
		*up = nu;
		*down = nd;
	}
	if (!d->firing)
		return;
	d->ep_len++;
	d->calm_run = old < cfg->calm ? d->calm_run + 1 : 0;
	/* The first point the normal state explains ends the episode's run (a
	 * job's lasts as long as the job, a spike's is the spike): core/recur.h. */
	if (d->calm_run == 1 && !(d->ep_kind & DETECT_EP_RUN_ENDED)) {
		d->ep_kind |= DETECT_EP_RUN_ENDED;
		recur__note(&d->recur, season__clock(&cfg->season, d->last_ts) - d->ep_len * d->dt,
			    (d->ep_len - 1) * d->dt, d->ep_kind & DETECT_EP_RISE);
	}
	if (d->calm_run >= cfg->calm_n) {
		end_episode(d, cfg, DETECT_END_EXPLAINED);
	} else if (cfg->adopt && d->ep_len >= cfg->adopt) {
		/* A lasting change: its level becomes the normal one. */
		double shift = d->ep_level - *level_in_force(d, cfg);

		d->level += own_shift(shift, x - (d->level + v->day));
		d->wlevel += own_shift(shift, x - (d->wlevel + v->week));
		d->flat += own_shift(shift, x - d->flat);
		/* And its noise: a series that was flat (stuck, idle) and is
		 * noisy again, or whose noise grew for good, is judged by the
		 * noise it has now, or it would start a new episode at once,
		 * every 100 points, until the budget silenced it. */
		d->scale = max2(d->scale, d->ep_scale);
		d->flat_scale = max2(d->flat_scale, d->ep_scale);
		/* What the sums hold was judged against the old normal. */
		d->sum_up = d->sum_down = 0;
		/* Not the slow level: it is the day profile's base, and a young
		 * series' daily ramp, an episode every day until the profile knows
		 * it, would be adopted with it and drag it round the cycle. A lasting
		 * shift reaches it within its day and a half, and the profile's
		 * offset meanwhile, the same in every bin, is the forecast's level's
		 * to absorb. */
		if (d->adopted < UINT8_MAX)
			d->adopted++;
		end_episode(d, cfg, DETECT_END_ADOPTED);
	}
}

static double judge(struct detect *d, const struct detect_config *cfg, double x,
		    const struct view *v)
{
	/* The bound moves with the rate's add-on: a 1 min series' spike can
	 * start an episode as a 5 min one's does. */
	double up, down, cap = cfg->cap * cfg->level + d->rate_add, sum, score;
	double before = max2(d->sum_up, d->sum_down);
	bool busy = d->firing || d->refractory, rose;

	surprise(d, cfg, v->z, &up, &down);
	if (busy)
		second_opinion(d, cfg, x, v, &up, &down);
	d->sum_up = (float)min2(cap, max2(0, d->sum_up + up - cfg->allowance));
	d->sum_down = (float)min2(cap, max2(0, d->sum_down + down - cfg->allowance));
	rose = max2(d->sum_up, d->sum_down) > before;
	sum = max2(d->sum_up, d->sum_down) - d->boost - d->rate_add;
	score = detect__score_of(cfg, sum);
	/* Within an episode or its refractory time no alert can start, so no
	 * point there reaches the threshold: the score is >= 0.5 exactly where
	 * alerts start, and ranks new surprise in an episode below them (asd's
	 * best-threshold score 45.6 -> 50.8, mscloud's unchanged). */
	if (busy)
		score = min2(score, BUSY_MAX);
	if (!d->firing && d->refractory)
		d->refractory--;
	else if (!d->firing && sum >= cfg->level) {
		bool rise = d->sum_up >= d->sum_down;

		/* A job's run at its time of day: no alert, no budget; still an
		 * episode, so not learnt as normal (core/recur.h). */
		d->ep_kind = rise ? DETECT_EP_RISE : 0;
		if (recur__due(&d->recur, season__clock(&cfg->season, d->last_ts), rise))
			d->ep_kind |= DETECT_EP_QUIET;
		else
			d->boost += (float)cfg->budget_step;
		score = d->ep_kind & DETECT_EP_QUIET ? min2(score, BUSY_MAX) : score;
		d->firing = 1;
		d->why = max2(up, down) - cfg->allowance >= cfg->level ? DETECT_SPIKE : DETECT_SHIFT;
		d->ep_len = 0;
		d->calm_run = 0;
		d->ep_level = (float)(x - v->sea);
		d->ep_scale = 0;
		/* The sum restarts: from here on only new surprise adds up. */
		d->sum_up = d->sum_down = 0;
		return score;
	}
	/* A point that adds no evidence (the sum falls, or holds at its bound)
	 * reports none: what the sum holds was scored on the points that brought
	 * it, and the quiet rows after a spike or an episode's start would
	 * otherwise rank with it (mscloud's best-threshold score 67.3 -> 70.6,
	 * asd's the same). Alerts are the same either way. */
	return rose ? score : 0;
}

double detect__update(struct detect *d, const struct detect_config *cfg, double ts, double x)
{
	struct view v;
	double score = 0;

	if (!isfinite(x) || !isfinite(ts)) {
		if (d->gaps < UINT16_MAX)
			d->gaps++;
		return NAN;
	}
	if (!d->n) {
		start(d, ts, x);
		return 0;
	}
	if (d->dt > 0 && ts - d->last_ts > cfg->gap_restart * d->dt) {
		restart(d, cfg, ts, x);
		return 0;
	}
	if (d->boost > 0 && ts > d->last_ts) {
		/* 2^-(dt/h) to first order: dt is far below the half-life. */
		d->boost -= (float)(d->boost * min2(1, M_LN2 * (ts - d->last_ts) / cfg->budget_half_life));
		if (d->boost < 1e-3f)
			d->boost = 0;
	}
	observe_time(d, cfg, ts);
	look(d, cfg, season__clock(&cfg->season, ts), x, &v);
	d->expected = (float)v.fcast;
	d->sigma = (float)v.sigma;
	d->z = (float)v.z;
	if (judging(d, cfg))
		score = judge(d, cfg, x, &v);
	if (!d->firing)
		detect_learn(d, cfg, x, &v);
	else
		detect_learn_season(d, cfg, x, &v, true);
	detect_learn_quantum(d, cfg, x, v.z);
	if (d->rewarm)
		d->rewarm--;
	if (d->n < UINT32_MAX)
		d->n++;
	return score;
}
