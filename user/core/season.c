// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Each bin is centred on a multiple of its width (so hourly data lands on the
 * centres of 1 h bins), the forecast interpolates linearly between the two
 * nearest centres, and a point teaches its nearest bin. Points are summed per
 * bin and folded in once the series leaves the bin: at 1 s a bin gets one
 * lesson of 1,800 points a day instead of 1,800 lessons too small for an
 * int16 step, and at 5 min or 1 h a lesson is a point or a few. The kinds
 * of day keep a day's bin means until the day ends, in the day's own bins
 * (its last holds to midnight), and learn them all at once.
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
	cfg->week_gain = 0.3;
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

static unsigned day_bins(const struct season *s)
{
	return s->bw ? DAY_S / s->bw : 0;
}

/* i mod nb for i in [0, 2 nb): a compare, not a division. */
static inline unsigned wrap(unsigned i, unsigned nb)
{
	return i >= nb ? i - nb : i;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
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
	p->day = ((double)tod + frac) / s->bw;
	p->dn = (int32_t)floor_div(t, DAY_S);
	near = (unsigned)floor(p->day + 0.5);
	p->dbin = (int16_t)wrap(near, nb);
	p->wbin = (int16_t)(near < nb ? near : nb - 1);
	p->ok = true;
}

/* Day of the week of day dn since the epoch, Monday 0 (1970-01-01 was a
 * Thursday). */
static unsigned weekday(int32_t dn)
{
	return (unsigned)((((int64_t)dn + 3) % 7 + 7) % 7);
}

/* The kind of day dn: today's as the day's own points tell it so far, any
 * other day's by its day of the week's votes. */
static unsigned kind_of(const struct season *s, int32_t dn)
{
	return dn == s->w_dn ? s->w_today : s->w_vote[weekday(dn)] >= 2;
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

/* Day dn's swing over its kind's profile, from its day of the week. */
static double amp_of(const struct season *s, int32_t dn)
{
	uint8_t c = s->w_amp[weekday(dn)];

	return c ? c / 64.0 : 1;
}

/* Kind k's profile at pos, its swing above its lowest bin scaled by amp,
 * else the day profile's (unscaled: it is a deviation from another level)
 * where the kind has no value yet. Its last bin of a day holds to
 * midnight: the next day may be of the other kind. */
static double week_term(const struct season *s, unsigned k, double pos, double d, double amp)
{
	unsigned nb = day_bins(s), a = (unsigned)floor(pos), b = a + 1 < nb ? a + 1 : a;
	int16_t w[2] = { s->kind[k][a], s->kind[k][b] };
	bool own = w[0] != EMPTY && w[1] != EMPTY && s->w_lo[k] != EMPTY;
	double v = d, lo = s->w_lo[k] * s->unit;

	if (w[0] == EMPTY)
		w[0] = s->day[a];
	if (w[1] == EMPTY)
		w[1] = s->day[b];
	interp(w, 2, pos - a, s->unit, &v);
	return own ? lo + amp * (v - lo) : v;
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
	double d = 0, f = p->day - floor(p->day);

	interp(s->day, nb, p->day, s->unit, &d);
	*day = d;
	*week = week_term(s, k, p->day, d,
			  k == (s->w_vote[weekday(p->dn)] >= 2) ? amp_of(s, p->dn) : 1);
	s->v_alt = (float)week_term(s, !k, p->day, d, 1);
	*spread = (s->spread[a] * (1 - f) + s->spread[b] * f +
		   bend(s, s->mode == SEASON_WEEKLY ? s->kind[k] : s->day, a, b, f)) *
		  s->unit;
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
		dd = (floor(p->day + 0.5) + 0.5 - p->day) * s->bw;
		dd = min2(dd, DAY_S - p->day * s->bw);
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
	double old = *cell == EMPTY ? mean : *cell * s->unit;

	*cell = quant(s, old + gain * (mean - old));
}

/* The kinds' values are deviations from a base that moves a seventh a day:
 * a series whose level moved far holds them at the bound rather than widen
 * the unit the day profile shares (the level forecast carries the rest). */
static int16_t quant_held(const struct season *s, double v)
{
	return (int16_t)lrint(fmax(-32000, fmin(32000, v / s->unit)));
}

static void fold_held(const struct season *s, int16_t *cell, double mean, double gain)
{
	double old = *cell == EMPTY ? mean : *cell * s->unit;

	*cell = quant_held(s, old + gain * (mean - old));
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

/* How far today's bin means are from a kind's profile, in steps: the mean
 * |difference| over the bins both hold, less the straight line that fits
 * the differences best. A day whose level moved, or whose profiles' base
 * drifted during it, is still the same kind of day. INFINITY where they
 * share fewer than 3 bins. */
static double distance(const struct season *s, const int16_t *prof, unsigned nb)
{
	double n = 0, sb = 0, sd = 0, sbb = 0, sbd = 0, slope, icpt, dist = 0;
	unsigned b;

	for (b = 0; b < nb; b++) {
		double d = (double)s->w_buf[b] - prof[b];

		if (s->w_buf[b] == EMPTY || prof[b] == EMPTY)
			continue;
		n++;
		sb += b;
		sd += d;
		sbb += (double)b * b;
		sbd += b * d;
	}
	if (n < 3)
		return INFINITY;
	slope = (n * sbd - sb * sd) / max2(n * sbb - sb * sb, 1e-9);
	icpt = (sd - slope * sb) / n;
	for (b = 0; b < nb; b++)
		if (s->w_buf[b] != EMPTY && prof[b] != EMPTY)
			dist += fabs((double)s->w_buf[b] - prof[b] - icpt - slope * b);
	return dist / n;
}

/* A day this many times the typical distance of the first kind's days
 * from its profile, while the second kind has learnt one day or none,
 * makes that kind anew: a working week's weekdays and weekend part from the
 * first week on. */
#define KIND_SEED 4
/* Weight of a day in the kinds' base. */
#define BASE_GAIN (1.0 / 7)
/* Days of the first kind before a day can make the second. */
#define KIND_SEED_DAYS 1

/* Which kind's profile today's bins (d0, d1 from each) are nearer to. The
 * first days make the first kind; a day far from it and no nearer the
 * second makes the second anew (*anew) while that has learnt one day or
 * none: an odd day may have made it, and the kind that recurs replaces it. */
static unsigned nearest_kind(const struct season *s, double d0, double d1, bool *anew)
{
	*anew = false;
	if (s->w_days[0] < KIND_SEED_DAYS)
		return 0;
	if (s->w_days[1] <= 1 && d0 > KIND_SEED * s->w_ref && !(d1 < d0)) {
		*anew = true;
		return 1;
	}
	return d1 < d0;
}

/* The first day's own roughness: the mean |difference| of its bins from
 * the line through their neighbours, steps. Before any day is compared
 * with another it stands for the distance between two days of a kind, so
 * the second day can make the second kind (a series that starts on a
 * Friday). */
static double roughness(const struct season *s)
{
	unsigned nb = day_bins(s), b, n = 0;
	double sum = 0;

	for (b = 1; b + 1 < nb; b++) {
		if (s->w_buf[b - 1] == EMPTY || s->w_buf[b] == EMPTY || s->w_buf[b + 1] == EMPTY)
			continue;
		sum += fabs(s->w_buf[b] - (s->w_buf[b - 1] + s->w_buf[b + 1]) / 2.0);
		n++;
	}
	return n ? sum / n : 0;
}

/* The first kind's typical distance from its profile, from below: half way
 * to a nearer day, a seventh of the way to a farther one, so the days of a
 * kind not told apart yet do not raise it. */
static void learn_ref(struct season *s, double d0)
{
	if (!s->w_days[0]) {
		s->w_ref = (float)roughness(s);
		return;
	}
	if (!isfinite(d0))
		return;
	if (!(s->w_ref > 0))
		s->w_ref = (float)d0;
	else
		s->w_ref += (float)((d0 - s->w_ref) / (d0 < s->w_ref ? 2 : 7));
}

/* The kinds' base moves only between days, so a day's bins are all
 * deviations from the same level: it takes a seventh of how far today stood
 * from its kind's profile (the first day's mean, whole; nothing from the
 * day that makes the second kind). A series that repeats its weeks leaves
 * it where it is. Returns the step, in the series' unit. */
static double base_step(const struct season *s, const int16_t *prof, unsigned nb, unsigned k,
			double amp)
{
	double sum = 0, lo = s->w_lo[k] == EMPTY ? 0 : s->w_lo[k];
	unsigned b, n = 0;

	if (k && !s->w_days[k])
		return 0;
	for (b = 0; b < nb; b++) {
		if (s->w_buf[b] == EMPTY || (s->w_days[k] && prof[b] == EMPTY))
			continue;
		sum += s->w_buf[b] - (s->w_days[k] ? lo + amp * (prof[b] - lo) : 0);
		n++;
	}
	if (!n)
		return 0;
	return sum / n * s->unit * (s->w_days[k] ? BASE_GAIN : 1);
}

/* Today's swing over kind k's profile above its lowest bin: the least
 * squares slope of today's bins on the profile's, 0 where it has no swing. */
static double day_amp(const struct season *s, const int16_t *prof, unsigned nb, int16_t lo)
{
	double sxy = 0, sxx = 0;
	unsigned b;

	for (b = 0; b < nb; b++) {
		if (s->w_buf[b] == EMPTY || prof[b] == EMPTY)
			continue;
		sxy += ((double)prof[b] - lo) * ((double)s->w_buf[b] - lo);
		sxx += ((double)prof[b] - lo) * ((double)prof[b] - lo);
	}
	return sxx > 0 ? sxy / sxx : 0;
}

/* A kind's swing must stand this many typical day-to-day distances above
 * its lowest bin before its days' swings are told apart: a flat profile (a
 * working week's weekend) has no swing to scale, and a slope fitted on
 * noise would scale noise. */
#define AMP_SWING 8
/* ... and a weekday's swing stays within these shares of its kind's. */
#define AMP_MIN 0.5
#define AMP_MAX 2.0

static double swing_of(const int16_t *prof, unsigned nb, int16_t lo)
{
	double top = lo;
	unsigned b;

	for (b = 0; b < nb; b++)
		if (prof[b] != EMPTY && prof[b] > top)
			top = prof[b];
	return top - lo;
}

/* The swings of a kind's days of the week average 1: the kind's profile
 * carries their mean (it learns their days whole), the swings only how
 * they differ. Else a profile that changes (a young one, cleaned of a day
 * of the other kind it learnt before the kinds parted) and swings that
 * learn once a week each would pull against each other for weeks. */
static void norm_amp(struct season *s, unsigned k)
{
	double sum = 0;
	unsigned d, n = 0;

	for (d = 0; d < 7; d++)
		if (s->w_amp[d] && (s->w_vote[d] >= 2) == k) {
			sum += s->w_amp[d];
			n++;
		}
	if (!n || !(sum > 0))
		return;
	for (d = 0; d < 7; d++)
		if (s->w_amp[d] && (s->w_vote[d] >= 2) == k)
			s->w_amp[d] = (uint8_t)lrint(fmax(AMP_MIN * 64, fmin(AMP_MAX * 64,
								     s->w_amp[d] * 64.0 * n / sum)));
}

/* A day of the week's swing over its kind's (a Monday busier than the
 * other working days, a quieter Friday) learns from days of its usual
 * kind: the first whole, then at week_gain. */
static void learn_amp(struct season *s, const struct season_config *cfg, unsigned k,
		      unsigned nb)
{
	unsigned wd = weekday(s->w_dn);
	double a;

	if (k != (s->w_vote[wd] >= 2) || s->w_lo[k] == EMPTY || !s->w_days[k] ||
	    !(swing_of(s->kind[k], nb, s->w_lo[k]) > AMP_SWING * s->w_ref))
		return;
	a = fmax(AMP_MIN, fmin(AMP_MAX, day_amp(s, s->kind[k], nb, s->w_lo[k])));
	if (s->w_amp[wd])
		a = s->w_amp[wd] / 64.0 + cfg->week_gain * (a - s->w_amp[wd] / 64.0);
	s->w_amp[wd] = (uint8_t)lrint(a * 64);
	norm_amp(s, k);
}

/* Kind k's lowest bin, after a lesson. */
static void find_lo(struct season *s, unsigned k, unsigned nb)
{
	unsigned b;

	s->w_lo[k] = EMPTY;
	for (b = 0; b < nb; b++)
		if (s->kind[k][b] != EMPTY && (s->w_lo[k] == EMPTY || s->kind[k][b] < s->w_lo[k]))
			s->w_lo[k] = s->kind[k][b];
}

/* Today has ended: its bins teach the profile of the kind they are nearer
 * to, and that kind gets a vote for its day of the week. A day of the week
 * takes the second kind on two such votes in a row and gives it up on two
 * for the first, so one odd Tuesday does not make next Tuesday odd. */
static void end_day(struct season *s, const struct season_config *cfg)
{
	unsigned nb = day_bins(s), b, n = 0, k, wd = weekday(s->w_dn);
	double g, d0, shift;
	int16_t *prof;
	bool anew;

	for (b = 0; b < nb; b++)
		n += s->w_buf[b] != EMPTY;
	if (!n)
		return;
	d0 = distance(s, s->kind[0], nb);
	k = nearest_kind(s, d0, distance(s, s->kind[1], nb), &anew);
	if (anew)
		s->w_days[k] = 0;
	if (!k)
		learn_ref(s, d0);
	prof = s->kind[k];
	shift = base_step(s, prof, nb, k,
			  k == (s->w_vote[wd] >= 2) ? amp_of(s, s->w_dn) : 1);
	learn_amp(s, cfg, k, nb);
	s->w_base += (float)shift;
	g = max2(cfg->week_gain, 1.0 / (s->w_days[k] + 1));
	for (b = 0; b < nb; b++) {
		if (s->w_buf[b] == EMPTY)
			continue;
		if (!s->w_days[k])
			prof[b] = EMPTY; /* a kind made anew forgets the odd day */
		fold_held(s, &prof[b], s->w_buf[b] * s->unit - shift,
			  s->w_part >> b & 1 ? g * cfg->episode_gain : g);
		s->w_buf[b] = EMPTY;
	}
	find_lo(s, k, nb);
	if (s->w_days[k] < UINT16_MAX)
		s->w_days[k]++;
	if (k && s->w_vote[wd] < 3)
		s->w_vote[wd]++;
	else if (!k && s->w_vote[wd] > 0)
		s->w_vote[wd]--;
	s->w_part = 0;
}

/* Today's points weigh the two kinds' forecasts: how much nearer the other
 * kind's came, in sigmas, sums up (from 0, as a CUSUM: while today's kind
 * is the better one it stays near 0), and today takes the other kind once
 * that reaches TODAY_EVIDENCE. A working week's second weekend, whose days
 * have not had the votes yet, or a holiday, is a weekend within the hour;
 * where the two agree (a night trough) noise alone moves it little. */
#define TODAY_EVIDENCE 6

static void weigh_today(struct season *s, double wres, double sigma)
{
	if (!s->w_days[!s->w_today] || !(sigma > 0))
		return;
	s->w_adv += (float)((fabs(wres - s->v_week) - fabs(wres - s->v_alt)) / sigma);
	if (s->w_adv >= TODAY_EVIDENCE) {
		s->w_today = (uint8_t)!s->w_today;
		s->w_adv = 0;
		s->v_from = INFINITY; /* look again, with today's kind */
	}
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

/* The week bin being summed is left: its mean waits in w_buf for the end
 * of its day. */
static void end_week_bin(struct season *s)
{
	if (!s->n_week)
		return;
	s->w_buf[s->cur_week] = quant_held(s, s->acc_week / s->n_week);
	if (s->part & SEASON_PART_WEEK)
		s->w_part |= 1ull << s->cur_week;
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
		end_week_bin(s);
		if (p->dn != s->w_dn) {
			s->v_from = INFINITY;
			end_day(s, cfg);
			s->w_today = s->w_vote[weekday(p->dn)] >= 2;
			s->w_dn = p->dn;
			s->w_adv = 0;
		}
		s->cur_week = p->wbin;
		s->acc_week = 0;
		s->n_week = 0;
		s->part &= (uint8_t)~SEASON_PART_WEEK;
	}
	s->acc_day += (float)dev_day;
	s->acc_spread += (float)fabs(resid);
	s->acc_week += (float)(x - s->w_base);
	weigh_today(s, wres, sigma);
	if (s->n_day < UINT16_MAX - 1)
		s->n_day++;
	if (s->n_week < UINT16_MAX - 1)
		s->n_week++;
	if (partial)
		s->part = SEASON_PART_DAY | SEASON_PART_WEEK;
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
