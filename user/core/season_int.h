/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What core/season.c (the day profile, the view, the choice of forecast)
 * and core/week.c (the kinds of day) share; nothing else includes it.
 */
#ifndef TT_SEASON_INT_H
#define TT_SEASON_INT_H

#include <math.h>

#include "core/season.h"

#define EMPTY INT16_MIN
#define DAY_S 86400

/* fmax/fmin without the NaN rules libm keeps them out of line for. */
static inline double max2(double a, double b)
{
	return a > b ? a : b;
}

static inline double min2(double a, double b)
{
	return a < b ? a : b;
}

static inline unsigned day_bins(const struct season *s)
{
	return s->bw ? DAY_S / s->bw : 0;
}

/* i mod nb for i in [0, 2 nb): a compare, not a division. */
static inline unsigned wrap(unsigned i, unsigned nb)
{
	return i >= nb ? i - nb : i;
}

/* Day of the week of day dn since the epoch, Monday 0 (1970-01-01 was a
 * Thursday). */
static inline unsigned weekday(int32_t dn)
{
	return (unsigned)((((int64_t)dn + 3) % 7 + 7) % 7);
}

/* A day of the week's votes run 0..VOTE_MAX: a day of the second kind adds
 * one, of the first takes one away. */
#define VOTE_MAX 3

/* The kind day of the week wd takes by its votes. */
static inline unsigned voted_kind(const struct season *s, unsigned wd)
{
	return s->w_vote[wd] >= 2;
}

/* Its votes are firm: the same kind for the last VOTE_MAX days of it. */
static inline bool vote_firm(const struct season *s, unsigned wd)
{
	return s->w_vote[wd] == 0 || s->w_vote[wd] == VOTE_MAX;
}

/* The kind of day dn: today's as the day's own points tell it so far, any
 * other day's by its day of the week's votes. */
static inline unsigned kind_of(const struct season *s, int32_t dn)
{
	return dn == s->w_dn ? s->w_today : voted_kind(s, weekday(dn));
}

/* A bin's value after a lesson of mean at gain; a bin's first lesson is
 * taken whole. */
static inline double blended(const struct season *s, int16_t cell, double mean, double gain)
{
	double old = cell == EMPTY ? mean : cell * s->unit;

	return old + gain * (mean - old);
}

/* A change between two bins this many times what either changes from its
 * other neighbour is a step between them, not a slope through them; a bin
 * this many times its spread above (or below) both neighbours is a pulse. */
#define STEP_RATIO 3

/* Bin x holds its value over its half toward bin in (out its other
 * neighbour, spread its mean |residual|): when the change to in is a step,
 * its other side flat, or when x is a pulse that stands clear of both. */
static inline bool held(int16_t out, int16_t x, int16_t in, double spread)
{
	double jump = fabs((double)in - x), side = fabs((double)x - out);

	return STEP_RATIO * side < jump ||
	       (((double)x - out) * ((double)x - in) > 0 && fmin(side, jump) > STEP_RATIO * spread);
}

/* The weight of bin b in a forecast f of the way from bin a's centre to
 * b's, l and r their other neighbours, sa and sb their spreads: f, except
 * where a bin holds its value (held(): 0 or 1). A daily jump at a round
 * time falls between two bins (season.c, shift()), and a line between their
 * centres drew it as a ramp an hour wide, whose misses of a 1 h jump cost
 * the day profile as much as the level's; a 30 min nightly job, one bin
 * high, was a triangle, and alerted every night. */
static inline double step_weight(int16_t l, int16_t a, int16_t b, int16_t r, double f,
				 double sa, double sb)
{
	if (l == EMPTY || a == EMPTY || b == EMPTY || r == EMPTY || a == b)
		return f;
	if (f < 0.5 && held(l, a, b, sa))
		return 0;
	if (f >= 0.5 && held(r, b, a, sb))
		return 1;
	return f;
}

/* Bin values a and b blended f of the way from a to b, held at a step or
 * a pulse (step_weight; l and r their other neighbours, sa and sb their
 * spreads); an empty bin gives way to the other. Returns false when both
 * are empty. */
static inline bool blend_bins(int16_t l, int16_t a, int16_t b, int16_t r, double f, double unit,
			      double sa, double sb, double *v)
{
	if (a == EMPTY && b == EMPTY)
		return false;
	if (a == EMPTY)
		*v = b * unit;
	else if (b == EMPTY)
		*v = a * unit;
	else {
		f = step_weight(l, a, b, r, f, sa, sb);
		*v = (a * (1 - f) + b * f) * unit;
	}
	return true;
}

/* The day table between the bin centres either side of pos (blend_bins),
 * spread its bins' spreads. */
static inline bool interp(const int16_t *tab, const uint16_t *spread, unsigned nb, double pos,
			  double unit, double *v)
{
	unsigned a = wrap((unsigned)floor(pos), nb), b = wrap(a + 1, nb);

	return blend_bins(tab[wrap(a + nb - 1, nb)], tab[a], tab[b], tab[wrap(b + 1, nb)],
			  pos - floor(pos), unit, spread[a], spread[b], v);
}

/* core/week.c */

/* Kind k's swing on day dn: its day of the week's where k is that day's
 * usual kind, else 1. */
double week__amp(const struct season *s, unsigned k, int32_t dn);

/* Kind k's term at pos (in day bins), its swing scaled by amp; the day
 * profile's d where the kind has no value yet. */
double week__term(const struct season *s, unsigned k, double pos, double d, double amp);

/* Weighs today's kind by a point: wres is it less the weekly level, sigma
 * its scale; the view's v_week and v_alt are today's and the other kind's
 * terms. */
void week__weigh_today(struct season *s, double wres, double sigma);

/* The week bin being summed is left: its mean waits for the day's end. */
void week__end_bin(struct season *s);

/* Day dn begins: the day in w_buf teaches the nearer kind, and today's
 * kind starts from dn's day of the week's votes. */
void week__new_day(struct season *s, const struct season_config *cfg, int32_t dn);

#endif /* TT_SEASON_INT_H */
