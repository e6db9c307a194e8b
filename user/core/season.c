// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A series with a point or so a bin has its bins centred on multiples of
 * their width (so hourly data lands on the centres of 1 h bins); a denser
 * one has them start there (shift()). The forecast interpolates linearly
 * between the two nearest centres, except next to a step between two bins
 * (season_int.h, step_weight()), and a point teaches the bin it falls in.
 * Points are summed per bin and folded in once the series leaves the bin: at
 * 1 s a bin gets one lesson of 1,800 points a day instead of 1,800 lessons
 * too small for an int16 step, and at 5 min or 1 h a lesson is a point or a
 * few. The kinds of day (core/week.c) keep a day's bin means until the day
 * ends, in the day's own bins (its first and last hold to midnight), and
 * learn them all at once.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include "core/season_int.h"

void season__default_config(struct season_config *cfg)
{
	cfg->gain = 0.1;
	cfg->week_gain = 0.3;
	cfg->select = 0.8;
	cfg->keep = 0.95;
	cfg->err_days = 3;
	cfg->local = false;
	cfg->episode_gain = 0.25;
}

void season__init(struct season *s)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < SEASON_DAY_BINS; i++)
		s->day[i] = EMPTY;
	for (i = 0; i < SEASON_DAY_BINS; i++)
		s->kind[0][i] = s->kind[1][i] = s->w_buf[i] = EMPTY;
	s->cur_day = s->cur_week = -1;
	s->w_dn = INT32_MIN;
	s->w_lo[0] = s->w_lo[1] = EMPTY;
	s->v_from = INFINITY;
	s->bw = UINT16_MAX; /* not decided yet */
}

void season__set_interval(struct season *s, double dt)
{
	if (s->bw != UINT16_MAX || !(dt > 0))
		return;
	s->bw = dt <= 1800 ? 1800 : dt <= 3600 ? 3600 : 0;
	s->dense = dt < 0.75 * s->bw;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Where a bin's centre lies past its start, in bins. A series with several
 * points a bin fills each bin from :00 or :30 on, so that a step at a round
 * time (a job, opening hours, a working day's 09:00) falls between two bins,
 * not within one: centred on the round times, a bin mixed both sides of the
 * step, and a 3 h daily jump in 1 % noise at 5 min cost the day profile as
 * much as the level forecast's misses of it, kept the level forecast and
 * alerted every day. A sparser series' points are the bins' centres. */
static double shift(const struct season *s)
{
	return s->dense ? 0.5 : 0;
}

static void locate(const struct season *s, double ts, struct season_pos *p)
{
	unsigned nb = day_bins(s), near;
	int64_t t, tod;
	double frac;

	p->ok = false;
	/* Past 1e14 s (three million years) a timestamp's day would not fit
	 * 32 bits: such a point has no time of day. */
	if (s->bw == UINT16_MAX || !nb || !(fabs(ts) < 1e14))
		return;
	t = (int64_t)floor(ts);
	frac = ts - (double)t;
	tod = t - floor_div(t, DAY_S) * DAY_S;
	p->at = ((double)tod + frac) / s->bw;
	p->day = p->at - shift(s);
	if (p->day < 0)
		p->day += nb;
	p->dn = (int32_t)floor_div(t, DAY_S);
	near = (unsigned)floor(p->at + 0.5 - shift(s));
	p->dbin = (int16_t)wrap(near, nb);
	p->wbin = (int16_t)(near < nb ? near : nb - 1);
	p->ok = true;
}

/* |second difference| of a table at bin i, in steps; 0 where a bin of the
 * three is empty. */
static double bend_at(const int16_t *t, unsigned nb, unsigned i)
{
	int16_t l = t[wrap(i + nb - 1, nb)], m = t[i], r = t[wrap(i + 1, nb)];

	if (l == EMPTY || m == EMPTY || r == EMPTY)
		return 0;
	return fabs((double)l - 2.0 * m + r);
}

/* How far a straight line between two bin means can miss the profile it
 * stands for, in steps: a bin mean averages a curved profile (by about
 * 1/24 of its second difference, when a bin holds several points), and the
 * line cuts across the curve between the centres (by f (1 - f) / 2 of
 * it). A ramp's corners are where this is large: the 30 min bins drew a
 * 30 min ramp at 1 min 127 off, and an exactly repeating business week
 * alerted there every week. */
static double bend(const struct season *s, const int16_t *t, unsigned a, unsigned b, double f)
{
	unsigned nb = day_bins(s);

	return (f * (1 - f) / 2 + (s->dense ? 1.0 / 24 : 0)) *
	       max2(bend_at(t, nb, a), bend_at(t, nb, b));
}

static void terms(struct season *s, const struct season_pos *p, double *day, double *week,
		  double *spread)
{
	unsigned nb = day_bins(s), a = wrap((unsigned)floor(p->day), nb), b = wrap(a + 1, nb);
	unsigned k = kind_of(s, p->dn);
	/* The kinds' days end at midnight: their positions do not wrap. */
	double d = 0, f = p->day - floor(p->day), wpos = max2(0, p->at - shift(s));

	interp(s->day, s->spread, nb, p->day, s->unit, &d);
	*day = d;
	*week = week__term(s, k, wpos, d, week__amp(s, k, p->dn));
	s->v_alt = (float)week__term(s, !k, wpos, d, 1);
	*spread = (s->spread[a] * (1 - f) + s->spread[b] * f +
		   bend(s, s->mode == SEASON_WEEKLY ? s->kind[k] : s->day, a, b, f)) *
		  s->unit;
}

/* The zone's offset is looked up once per CLOCK_SLICE_S of time on each
 * thread (zones change offset on the quarter hour at the finest), so a
 * replay of many series keeps to a few lookups an hour of its data. The
 * zone is the process's, set once (cli/config.c). */
#define CLOCK_SLICE_S 900
/* Beyond this many seconds from the epoch (31,000 years) a time is no
 * time_t's: such a point keeps UTC (and has no time of day, locate()). */
#define CLOCK_MAX_S 1e12

double season__clock(const struct season_config *cfg, double ts)
{
	static _Thread_local double from = NAN;
	static _Thread_local long offset;
	double slice;
	struct tm tm;
	time_t t;

	if (!cfg->local || !(fabs(ts) < CLOCK_MAX_S))
		return ts;
	slice = floor(ts / CLOCK_SLICE_S) * CLOCK_SLICE_S;
	if (slice != from) {
		t = (time_t)slice;
		offset = localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
		from = slice;
	}
	return ts + (double)offset;
}

void season__view(struct season *s, double ts, struct season_pos *p, double *day, double *week,
		  double *spread)
{
	double dd;

	if (ts >= s->v_from && ts < s->v_until) {
		/* Same bins, terms less than SEASON_VIEW_S old. */
		p->ok = true;
		p->dbin = s->v_dbin;
		p->wbin = s->v_wbin;
		p->dn = s->v_dn;
	} else {
		locate(s, ts, p);
		if (!p->ok) {
			*day = *week = *spread = 0;
			return;
		}
		s->v_day = s->v_week = s->v_spread = s->v_alt = 0;
		if (s->unit) {
			terms(s, p, day, week, spread);
			s->v_day = (float)*day;
			s->v_week = (float)*week;
			s->v_spread = (float)*spread;
		}
		/* Until the nearest bin changes, or the day. */
		dd = (floor(p->at + 0.5 - shift(s)) + 0.5 + shift(s) - p->at) * s->bw;
		dd = min2(dd, DAY_S - p->at * s->bw);
		s->v_from = ts;
		s->v_until = ts + min2(SEASON_VIEW_S, dd);
		s->v_dbin = p->dbin;
		s->v_wbin = p->wbin;
		s->v_dn = p->dn;
	}
	*day = s->v_day;
	*week = s->v_week;
	*spread = s->v_spread;
}

bool season__day_known(const struct season *s, const struct season_pos *p)
{
	return p->ok && s->day[p->dbin] != EMPTY;
}

/* A day's first hour: which kind it is, its points have yet to tell. */
#define DAY_OPEN_S 3600

double season__unsure_alt(const struct season *s, const struct season_pos *p)
{
	if (!s->w_days[0] || !s->w_days[1])
		return NAN;
	if (vote_firm(s, weekday(p->dn)) && p->dbin * s->bw >= DAY_OPEN_S)
		return NAN;
	return s->v_alt;
}

static void halve(int16_t *v)
{
	if (*v != EMPTY)
		*v = (int16_t)(*v / 2);
}

/* Halves every value and doubles the unit: a value grew past int16. */
static void widen(struct season *s)
{
	unsigned i;

	for (i = 0; i < SEASON_DAY_BINS; i++) {
		halve(&s->day[i]);
		s->spread[i] = (uint16_t)(s->spread[i] / 2);
	}
	for (i = 0; i < SEASON_DAY_BINS; i++) {
		halve(&s->kind[0][i]);
		halve(&s->kind[1][i]);
		halve(&s->w_buf[i]);
	}
	s->unit *= 2;
}

static int16_t quant(struct season *s, double v)
{
	double q = v / s->unit;

	while (fabs(q) > 32000) {
		widen(s);
		q = v / s->unit;
	}
	return (int16_t)lrint(q);
}

static void fold(struct season *s, int16_t *cell, double mean, double gain)
{
	*cell = quant(s, blended(s, *cell, mean, gain));
}

/* A spread of 0 is a bin never learnt: its first lesson is taken whole. */
static void fold_spread(struct season *s, uint16_t *cell, double mean, double gain)
{
	double v = *cell ? *cell * s->unit + gain * (mean - *cell * s->unit) : mean;

	while (v / s->unit > 65000)
		widen(s);
	*cell = (uint16_t)lrint(max2(0, v / s->unit));
}

/* A bin's spread is the mean |residual| of the usual kind of day. Days of
 * the other kind (a working week's weekend, fitted as well but alike every
 * hour) widen it and never narrow it: else the weekend's exact fit narrows
 * the band at Monday's ramp. */
static void learn_spread(struct season *s, double mean, double gain)
{
	uint16_t *cell = &s->spread[s->cur_day];
	bool usual = s->mode != SEASON_WEEKLY ||
		     kind_of(s, s->w_dn) == (s->w_days[1] > s->w_days[0]);

	if (usual || mean > *cell * s->unit)
		fold_spread(s, cell, mean, gain);
}

/* The day bin being summed is left: its mean teaches the day profile and
 * its spread. */
static void end_day_bin(struct season *s, const struct season_config *cfg, double age)
{
	double gd = max2(cfg->gain, 1 / (floor(age / DAY_S) + 1)); /* visits so far: one a day */

	if (!s->n_day)
		return;
	if (s->part & SEASON_PART_DAY)
		gd *= cfg->episode_gain;
	if (s->day[s->cur_day] != EMPTY)
		learn_spread(s, s->acc_spread / s->n_day, gd);
	fold(s, &s->day[s->cur_day], s->acc_day / s->n_day, gd);
}

void season__learn(struct season *s, const struct season_config *cfg, const struct season_pos *p,
		   double dev_day, double x, double wres, double sigma, double resid, double mag,
		   double age, bool partial)
{
	if (!p->ok)
		return;
	if (!s->unit) {
		s->unit = (float)max2(mag / 4096, 1e-12);
		s->w_base = (float)x;
		s->v_from = INFINITY; /* look again, with the unit */
	}
	if (p->dbin != s->cur_day) {
		s->v_from = INFINITY; /* the table changes: look again */
		end_day_bin(s, cfg, age);
		s->cur_day = p->dbin;
		s->acc_day = s->acc_spread = 0;
		s->n_day = 0;
		s->part &= (uint8_t)~SEASON_PART_DAY;
	}
	if (p->wbin != s->cur_week || p->dn != s->w_dn) {
		week__end_bin(s);
		if (p->dn != s->w_dn) {
			s->v_from = INFINITY;
			week__new_day(s, cfg, p->dn);
		}
		s->cur_week = p->wbin;
		s->acc_week = 0;
		s->n_week = 0;
		s->part &= (uint8_t)~SEASON_PART_WEEK;
	}
	s->acc_day += (float)dev_day;
	s->acc_spread += (float)fabs(resid);
	s->acc_week += (float)(x - s->w_base);
	week__weigh_today(s, wres, sigma);
	if (s->n_day < UINT16_MAX - 1)
		s->n_day++;
	if (s->n_week < UINT16_MAX - 1)
		s->n_week++;
	if (partial)
		s->part = SEASON_PART_DAY | SEASON_PART_WEEK;
}

/* Squares weigh the few large misses a level alone makes at every daily
 * ramp (which is where it would alert) far above the noise all share, and
 * the bound keeps one outlier from deciding. It is one bound for the three
 * (the smaller of the level's and the profiles' scales): bounded at each
 * forecast's own scale, a profile's misses at a step's corners, where its
 * scale is its bin's spread and bend, weighed far more than the level's
 * misses of the whole step, and a daily jump from 20 to 80 in 1 % noise kept
 * the level forecast and alerted every day for a week. */
#define SELECT_CLIP 10

static double sq_bounded(double e, double lim)
{
	e = max2(-lim, min2(lim, e));
	return e * e;
}

void season__select(struct season *s, const struct season_config *cfg, double e_flat,
		    double e_day, double e_week, double scale, double weight, double age)
{
	double lim = SELECT_CLIP * scale;
	bool day, week;

	/* In their first day the profiles hold the hours already past and
	 * nothing after: their forecasts are no forecasts yet, only the
	 * level's plus part of a cycle it also follows. Their errors there
	 * are left out, not made the level's (as they were): bounded at the
	 * scales of a warm-up, those squares, the same in all three, outweighed
	 * the later days' for a week and more, and a 1 h daily jump in 1 %
	 * noise kept the level forecast and alerted every day for ten days. */
	if (age < DAY_S)
		return;
	e_flat = sq_bounded(e_flat, lim);
	e_day = sq_bounded(e_day, lim);
	e_week = sq_bounded(e_week, lim);
	s->err_flat += (float)(weight * (e_flat - s->err_flat));
	s->err_day += (float)(weight * (e_day - s->err_day));
	s->err_week += (float)(weight * (e_week - s->err_week));
	/* The daily profile is chosen after a day to learn and a whole day of
	 * errors to judge it by (a part of a day compares the forecasts on
	 * some hours of the cycle only); the weekly one after eight, once it
	 * has seen every day once and one again. */
	day = age >= 2 * DAY_S &&
	      s->err_day < (s->mode >= SEASON_DAILY ? cfg->keep : cfg->select) * s->err_flat;
	/* A working week can make the daily average worse than the level
	 * alone (weekends): the weekly profile competes with the better of
	 * the two. */
	week = age >= 8 * DAY_S && s->err_week < (s->mode == SEASON_WEEKLY ? cfg->keep : cfg->select) *
							 min2(s->err_flat, s->err_day);
	s->mode = week ? SEASON_WEEKLY : day ? SEASON_DAILY : SEASON_NONE;
}

const char *season__mode_name(unsigned mode)
{
	switch (mode) {
	case SEASON_DAILY:
		return "daily";
	case SEASON_WEEKLY:
		return "weekly";
	}
	return "none";
}
