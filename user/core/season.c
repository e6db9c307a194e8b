// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Each bin is centred on a multiple of its width (so hourly data lands on the
 * centres of 1 h bins), the forecast interpolates linearly between the two
 * nearest centres, and a point teaches its nearest bin. Points are summed per
 * bin and folded in once the series leaves the bin: at 1 s a bin gets one
 * lesson of 1,800 points a day instead of 1,800 lessons too small for an
 * int16 step, and at 5 min or 1 h a lesson is a point or a few.
 */
#include <math.h>
#include <string.h>

#include "core/season.h"

/* fmax/fmin without the NaN rules libm keeps them out of line for. */
static inline double max2(double a, double b)
{
	return a > b ? a : b;
}

static inline double min2(double a, double b)
{
	return a < b ? a : b;
}

#define EMPTY INT16_MIN
#define DAY_S 86400
#define WEEK_S (7 * DAY_S)
/* 1970-01-01 was a Thursday: shifting by 3 days starts the week on Monday. */
#define WEEK_SHIFT (3 * DAY_S)

void season__default_config(struct season_config *cfg)
{
	cfg->gain = 0.1;
	cfg->week_gain = 0.5;
	cfg->select = 0.8;
	cfg->keep = 0.95;
	cfg->err_days = 3;
	cfg->episode_gain = 0.25;
}

void season__init(struct season *s)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < SEASON_DAY_BINS; i++)
		s->day[i] = EMPTY;
	for (i = 0; i < SEASON_WEEK_BINS; i++)
		s->week[i] = EMPTY;
	s->cur_day = s->cur_week = -1;
	s->v_from = INFINITY;
	s->bw = UINT16_MAX; /* not decided yet */
}

void season__set_interval(struct season *s, double dt)
{
	if (s->bw != UINT16_MAX || !(dt > 0))
		return;
	s->bw = dt <= 1800 ? 1800 : dt <= 3600 ? 3600 : 0;
}

static unsigned day_bins(const struct season *s)
{
	return s->bw ? DAY_S / s->bw : 0;
}

/* i mod nb for i in [0, 2 nb): a compare, not a division. */
static inline unsigned wrap(unsigned i, unsigned nb)
{
	return i >= nb ? i - nb : i;
}

static void locate(const struct season *s, double ts, struct season_pos *p)
{
	unsigned nb = day_bins(s);
	int64_t t, tod, tow;
	double frac;

	p->ok = false;
	/* Past 2^53 s a timestamp has no seconds left to place in a day (and
	 * past 2^63 it would not fit t): such a point has no time of day. */
	if (s->bw == UINT16_MAX || !nb || !(fabs(ts) < 9007199254740992.0))
		return;
	t = (int64_t)floor(ts);
	frac = ts - (double)t;
	tod = ((t % DAY_S) + DAY_S) % DAY_S;
	tow = (((t + WEEK_SHIFT) % WEEK_S) + WEEK_S) % WEEK_S;
	p->day = ((double)tod + frac) / s->bw;
	p->week = ((double)tow + frac) / 3600.0;
	p->dbin = (int16_t)wrap((unsigned)floor(p->day + 0.5), nb);
	p->wbin = (int16_t)wrap((unsigned)floor(p->week + 0.5), SEASON_WEEK_BINS);
	p->ok = true;
}

/* Linear interpolation between the bin centres either side of pos; an empty
 * bin gives way to its neighbour. Returns false when both are empty. */
static bool interp(const int16_t *tab, unsigned nb, double pos, double unit, double *v)
{
	unsigned a = wrap((unsigned)floor(pos), nb), b = wrap(a + 1, nb);
	double f = pos - floor(pos);

	if (tab[a] == EMPTY && tab[b] == EMPTY)
		return false;
	if (tab[a] == EMPTY)
		*v = tab[b] * unit;
	else if (tab[b] == EMPTY)
		*v = tab[a] * unit;
	else
		*v = (tab[a] * (1 - f) + tab[b] * f) * unit;
	return true;
}

static void terms(const struct season *s, const struct season_pos *p, double *day,
		  double *week, double *spread)
{
	unsigned nb = day_bins(s), a = wrap((unsigned)floor(p->day), nb), b = wrap(a + 1, nb);
	double d = 0, w = 0, f = p->day - floor(p->day);

	interp(s->day, nb, p->day, s->unit, &d);
	interp(s->week, SEASON_WEEK_BINS, p->week, s->unit, &w);
	*day = d;
	*week = d + w;
	*spread = (s->spread[a] * (1 - f) + s->spread[b] * f) * s->unit;
}

void season__view(struct season *s, double ts, struct season_pos *p, double *day, double *week,
		  double *spread)
{
	double dd, dw;

	if (ts >= s->v_from && ts < s->v_until) {
		/* Same bins, terms less than SEASON_VIEW_S old. */
		p->ok = true;
		p->dbin = s->v_dbin;
		p->wbin = s->v_wbin;
	} else {
		locate(s, ts, p);
		if (!p->ok) {
			*day = *week = *spread = 0;
			return;
		}
		s->v_day = s->v_week = s->v_spread = 0;
		if (s->unit) {
			terms(s, p, day, week, spread);
			s->v_day = (float)*day;
			s->v_week = (float)*week;
			s->v_spread = (float)*spread;
		}
		dd = (floor(p->day + 0.5) + 0.5 - p->day) * s->bw;
		dw = (floor(p->week + 0.5) + 0.5 - p->week) * 3600;
		s->v_from = ts;
		s->v_until = ts + min2(SEASON_VIEW_S, min2(dd, dw));
		s->v_dbin = p->dbin;
		s->v_wbin = p->wbin;
	}
	*day = s->v_day;
	*week = s->v_week;
	*spread = s->v_spread;
}

/* Halves every value and doubles the unit: a value grew past int16. */
static void widen(struct season *s)
{
	unsigned i;

	for (i = 0; i < SEASON_DAY_BINS; i++) {
		if (s->day[i] != EMPTY)
			s->day[i] = (int16_t)(s->day[i] / 2);
		s->spread[i] = (uint16_t)(s->spread[i] / 2);
	}
	for (i = 0; i < SEASON_WEEK_BINS; i++)
		if (s->week[i] != EMPTY)
			s->week[i] = (int16_t)(s->week[i] / 2);
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
	double old = *cell == EMPTY ? mean : *cell * s->unit;

	*cell = quant(s, old + gain * (mean - old));
}

/* A spread of 0 is a bin never learnt: its first lesson is taken whole. */
static void fold_spread(struct season *s, uint16_t *cell, double mean, double gain)
{
	double v = *cell ? *cell * s->unit + gain * (mean - *cell * s->unit) : mean;

	while (v / s->unit > 65000)
		widen(s);
	*cell = (uint16_t)lrint(max2(0, v / s->unit));
}

void season__learn(struct season *s, const struct season_config *cfg, const struct season_pos *p,
		   double dev_day, double dev_week, double day, double resid, double mag,
		   double age, bool partial)
{
	double gd, gw;

	if (!p->ok)
		return;
	if (!s->unit) {
		s->unit = (float)max2(mag / 4096, 1e-12);
		s->v_from = INFINITY; /* look again, with the unit */
	}
	/* Visits so far: one a day, one a week. */
	gd = max2(cfg->gain, 1 / (floor(age / DAY_S) + 1));
	/* A week bin gets one visit a week: at gain it would take ten weeks to
	 * forget what it learnt while young, against a day profile and levels
	 * still settling. A visit of several points is a mean whose noise is
	 * already averaged down, so it teaches at week_gain (the 5 min business
	 * week of docs/detectors.md: no alert in weeks 3-6 of ten series, 15
	 * before). Hourly data, a point a visit, keeps gain. */
	gw = max2(s->n_week >= WEEK_GAIN_POINTS ? cfg->week_gain : cfg->gain,
		  1 / (floor(age / WEEK_S) + 1));
	if (p->dbin != s->cur_day) {
		s->v_from = INFINITY; /* the table changes: look again */
		if (s->n_day) {
			bool known = s->day[s->cur_day] != EMPTY;

			if (s->part & SEASON_PART_DAY)
				gd *= cfg->episode_gain;
			fold(s, &s->day[s->cur_day], s->acc_day / s->n_day, gd);
			if (known)
				fold_spread(s, &s->spread[s->cur_day], s->acc_spread / s->n_day,
					    gd);
		}
		s->cur_day = p->dbin;
		s->acc_day = s->acc_spread = 0;
		s->n_day = 0;
		s->part &= (uint8_t)~SEASON_PART_DAY;
	}
	if (p->wbin != s->cur_week) {
		if (s->n_week)
			fold(s, &s->week[s->cur_week], s->acc_week / s->n_week,
			     s->part & SEASON_PART_WEEK ? gw * cfg->episode_gain : gw);
		s->cur_week = p->wbin;
		s->acc_week = 0;
		s->n_week = 0;
		s->part &= (uint8_t)~SEASON_PART_WEEK;
	}
	/* The day profile learns the average day, the week how each hour of
	 * the week differs from it. A day profile that learnt only what the
	 * week does not explain would chase the week's corrections while they
	 * are young (asd: 45.1 against 52.9). */
	s->acc_day += (float)dev_day;
	s->acc_spread += (float)fabs(resid);
	s->acc_week += (float)(dev_week - day);
	if (s->n_day < UINT16_MAX - 1)
		s->n_day++;
	if (s->n_week < UINT16_MAX - 1)
		s->n_week++;
	if (partial)
		s->part |= SEASON_PART_DAY | SEASON_PART_WEEK;
}

void season__select(struct season *s, const struct season_config *cfg, double e_flat,
		    double e_day, double e_week, double weight, double age)
{
	bool day, week;

	s->err_flat += (float)(weight * (e_flat - s->err_flat));
	s->err_day += (float)(weight * (e_day - s->err_day));
	s->err_week += (float)(weight * (e_week - s->err_week));
	/* A day of data before the daily profile can be judged, eight before
	 * the weekly one has seen every day once and one again. */
	day = age >= 1.25 * DAY_S &&
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
