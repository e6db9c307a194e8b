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

/* fmin without libm's NaN rules, as max2 (detect_int.h). */
static inline double min2(double a, double b)
{
	return a < b ? a : b;
}

/* Points closer than this (s) teach a series' profiles one in SAMPLE_EVERY
 * while it has no cycle in force. */
#define SAMPLE_DT 60
#define SAMPLE_EVERY 8
/* The highest score of a point within an episode or its refractory time:
 * below DETECT_THRESHOLD also as `telltale score` writes it (4 decimals). */
#define BUSY_MAX 0.4999

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
	unsigned stride;   /* the profiles see one point in this many */
	bool looked;	   /* ... and this is one of them */
	double z;
};

/* Still settling: the first warm-up, or re-learning the level after a gap. */
static bool warming(const struct detect *d, const struct detect_config *cfg)
{
	return d->n < cfg->warmup || d->rewarm;
}

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
	/* The longest job a run may be (core/recur.h): at 1 s, 100 points
	 * adopted a nightly 15 min job's run before it ended, every night. */
	cfg->adopt_s = RECUR_MAX_S;
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

bool detect__in_job_rise(const struct detect *d)
{
	return d->firing && (d->ep_kind & (DETECT_EP_QUIET | DETECT_EP_RISE)) ==
				    (DETECT_EP_QUIET | DETECT_EP_RISE);
}

double detect__season_term(const struct detect *d)
{
	double lvl = d->mode == SEASON_WEEKLY ? d->wlevel : d->level; /* seasonal_level */

	return d->mode == SEASON_NONE || d->firing ? 0 : d->expected - lvl;
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
	v->looked = cfg->seasonal && (seasonal || (d->n & (v->stride - 1)) == 0);
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

/* A job's run at its time of day is in progress (core/recur.h). */
static bool in_quiet_run(const struct detect *d)
{
	return (d->ep_kind & (DETECT_EP_QUIET | DETECT_EP_RUN_ENDED)) == DETECT_EP_QUIET;
}

/* Explained points in a row that end an episode's run. At a minute and
 * slower one does (a spike's run is the spike alone). Faster, one point is
 * too little: a nightly +5 sigma job at 1 s has one point in a thousand
 * under `calm`, so its run ended by chance within a minute, too short to be
 * a job's, every night; the run ends where the episode's own end begins. */
static uint32_t run_end_points(const struct detect *d, const struct detect_config *cfg)
{
	return d->dt >= 60 ? 1 : cfg->calm_n;
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
	/* The first point the normal state explains (below a minute, the first
	 * of calm_n in a row) ends the episode's run (a job's lasts as long as
	 * the job, a spike's is the spike): core/recur.h. */
	if (d->calm_run == run_end_points(d, cfg) && !(d->ep_kind & DETECT_EP_RUN_ENDED)) {
		d->ep_kind |= DETECT_EP_RUN_ENDED;
		recur__note(&d->recur, season__clock(&cfg->season, d->last_ts) - d->ep_len * d->dt,
			    (d->ep_len - d->calm_run) * d->dt, d->ep_kind & DETECT_EP_RISE);
	}
	if (d->calm_run >= cfg->calm_n) {
		end_episode(d, cfg, DETECT_END_EXPLAINED);
	} else if (cfg->adopt && d->ep_len >= cfg->adopt && d->ep_len * d->dt >= cfg->adopt_s &&
		   !in_quiet_run(d)) {
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

/* A job's quiet run that outlasts any job's (RECUR_MAX_S) was no job: a
 * deploy at the job's hour that doubles a latency for good would otherwise
 * be adopted without an alert. It alerts now, and charges the budget (until
 * then it is not adopted). Its adoption counts from the alert, which would
 * otherwise resolve at the next point wherever adopt_s is an hour or less. */
static bool outlasted(struct detect *d, const struct detect_config *cfg)
{
	if (!d->firing || !in_quiet_run(d) || d->ep_len * d->dt < RECUR_MAX_S)
		return false;
	d->ep_kind = (uint8_t)((d->ep_kind & ~DETECT_EP_QUIET) | DETECT_EP_RUN_ENDED |
			       DETECT_EP_OUTLASTED);
	d->ep_len = 0;
	d->boost += (float)cfg->budget_step;
	return true;
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
	if (outlasted(d, cfg))
		return DETECT_THRESHOLD;
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

/* The series' resolution, the smallest step seen between two points, is
 * learnt after the point is judged, and only from a point that was no
 * surprise, like everything else: learnt before, the first step of a series
 * that never moved (a constant that steps from 5 to 10) was its own
 * resolution, one scale, and never alerted; learnt from a surprising step,
 * a count at 5 that moved to 8 for good judged the rest by a resolution of
 * 3. Until it moves, a series of whole numbers (a count) has a resolution
 * of 1: its first error after days at 0 is one count, not an alert. */
static void learn_quantum(struct detect *d, const struct detect_config *cfg, double x, double z)
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

/* For a point whose view found its bins (v->pos.ok: the profiles are on and
 * were looked at); the callers ask, as most points at 1 s are not. */
static void learn_season(struct detect *d, const struct detect_config *cfg, double x,
			 const struct view *v, bool episode)
{
	bool warm;
	double sf, ss, term, cl = cfg->huber_k, rs, age, ppd, weight, dev_day;

	warm = warming(d, cfg);
	sf = MAD_TO_SIGMA * d->flat_scale;
	ss = MAD_TO_SIGMA * max2(d->scale, v->spread);
	term = d->mode == SEASON_WEEKLY ? v->week : v->day;
	rs = x - (*seasonal_level(d) + term);
	age = d->last_ts - d->season.t0;
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
static void learn(struct detect *d, const struct detect_config *cfg, double x,
		  const struct view *v)
{
	bool warm = warming(d, cfg), clip = !warm || d->n >= WARM_CLIP_AFTER;
	/* Points averaged so far: since the start, or since a gap's restart
	 * (whose scales are kept and not taught by an unsettled level). */
	double k = d->rewarm ? (double)(REWARM_POINTS - d->rewarm) : (double)d->n;
	double a = warm ? max2(cfg->alpha, 1.0 / (k + 1)) : cfg->alpha;
	double sa = d->rewarm ? 0 : warm ? max2(cfg->scale_alpha, 1.0 / d->n) : cfg->scale_alpha;
	double sf = MAD_TO_SIGMA * d->flat_scale, ss = MAD_TO_SIGMA * max2(d->scale, v->spread);
	double term = d->mode == SEASON_WEEKLY ? v->week : v->day;
	/* The mode as the point found it: learn_season may pick another. */
	double rf = x - d->flat, rs = x - (*seasonal_level(d) + term), cl = cfg->huber_k;
	double every = seen_every(d, cfg, v), k_clip = warm ? WARM_CLIP : cl, rd, rw, bound;

	/* Huber: a point teaches at most k scales' worth. */
	if (clip)
		rf = clamp(rf, k_clip * max2(sf, v->floor));
	if (!warm) {
		tail__learn(&d->up, v->z, cfg->tail_eta);
		tail__learn(&d->down, -v->z, cfg->tail_eta);
	}
	if (v->pos.ok)
		learn_season(d, cfg, x, v, false);
	d->flat += a * rf;
	d->flat_scale += (float)(sa * (fabs(rf) - d->flat_scale));
	/* The seasonal forecasts learn from points that saw their terms only:
	 * on the others the terms read 0, and their levels would follow the
	 * cycle itself (a 10 s business week never chose its profiles). */
	if (cfg->seasonal && !v->looked)
		return;
	rd = x - (d->level + v->day);
	rw = x - (d->wlevel + v->week);
	if (clip) {
		bound = k_clip * max2(ss, v->floor);
		rs = clamp(rs, bound);
		rd = clamp(rd, bound);
		rw = clamp(rw, bound);
	}
	d->level += min2(1, a * every) * rd;
	d->wlevel += min2(1, a * every) * rw;
	d->slow += (float)(min2(1, slow_weight(d, cfg, a) * every) *
			   clamp(x - v->day - d->slow, cl * max2(ss, v->floor)));
	d->scale += (float)(min2(1, sa * every) * (fabs(rs) - d->scale));
}

/* A larger value is judged and learnt as this one. The state keeps floats
 * (3.4e38 at most) and squared errors: a series at +-1e300 made them
 * infinite, then NaN, and it never scored again. No metric or export comes
 * near it, and a point there is as extreme as it gets either way. */
#define VALUE_MAX 1e30

double detect__update(struct detect *d, const struct detect_config *cfg, double ts, double x)
{
	struct view v;
	double score = 0;

	if (!isfinite(x) || !isfinite(ts)) {
		if (d->gaps < UINT16_MAX)
			d->gaps++;
		return NAN;
	}
	x = clamp(x, VALUE_MAX);
	if (!d->n) {
		detect_start(d, ts, x);
		return 0;
	}
	if (d->dt > 0 && ts - d->last_ts > cfg->gap_restart * d->dt) {
		detect_restart(d, cfg, ts, x);
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
		learn(d, cfg, x, &v);
	else if (v.pos.ok)
		learn_season(d, cfg, x, &v, true);
	learn_quantum(d, cfg, x, v.z);
	if (d->rewarm)
		d->rewarm--;
	if (d->n < UINT32_MAX)
		d->n++;
	return score;
}
