// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The week as two kinds of day (a working week's weekdays and weekend, or
 * whatever two a series has), each a day profile at the day profile's
 * resolution, told apart by the days themselves: a day's bin means wait in
 * w_buf until it ends, then teach the kind they are nearer to, and the
 * votes of its day of the week say which kind next week's same day is.
 * docs/detectors.md ("The week as kinds of day") has the measurements.
 */
#include <math.h>

#include "core/season_int.h"

double week__amp(const struct season *s, unsigned k, int32_t dn)
{
	unsigned wd = weekday(dn);

	return k == voted_kind(s, wd) && s->w_amp[wd] ? s->w_amp[wd] / 64.0 : 1;
}

/* Kind k's profile at pos, its swing above its lowest bin scaled by amp,
 * else the day profile's (unscaled: it is a deviation from another level)
 * where the kind has no value yet; held at steps as the day profile is
 * (blend_bins). Its first and last bins hold to midnight: the day before
 * or after may be of the other kind. */
double week__term(const struct season *s, unsigned k, double pos, double d, double amp)
{
	unsigned nb = day_bins(s), a = (unsigned)floor(pos), b = a + 1 < nb ? a + 1 : a;
	unsigned l = a ? a - 1 : a, r = b + 1 < nb ? b + 1 : b, i;
	const unsigned at[4] = { l, a, b, r };
	int16_t w[4];
	bool own = s->kind[k][a] != EMPTY && s->kind[k][b] != EMPTY && s->w_lo[k] != EMPTY;
	double v = d, lo = s->w_lo[k] * s->unit;

	for (i = 0; i < 4; i++)
		w[i] = s->kind[k][at[i]] != EMPTY ? s->kind[k][at[i]] : s->day[at[i]];
	blend_bins(w[0], w[1], w[2], w[3], pos - a, s->unit, s->spread[a], s->spread[b], &v);
	return own ? lo + amp * (v - lo) : v;
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
	*cell = quant_held(s, blended(s, *cell, mean, gain));
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
/* Which kind's profile today's bins (d0, d1 from each) are nearer to. The
 * first day makes the first kind; a later day far from it and no nearer the
 * second makes the second anew (*anew) while that has learnt one day or
 * none: an odd day may have made it, and the kind that recurs replaces it. */
static unsigned nearest_kind(const struct season *s, double d0, double d1, bool *anew)
{
	*anew = false;
	if (!s->w_days[0])
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
		if (s->w_amp[d] && voted_kind(s, d) == k) {
			sum += s->w_amp[d];
			n++;
		}
	if (!n || !(sum > 0))
		return;
	for (d = 0; d < 7; d++)
		if (s->w_amp[d] && voted_kind(s, d) == k)
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

	if (k != voted_kind(s, wd) || s->w_lo[k] == EMPTY || !s->w_days[k] ||
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
	shift = base_step(s, prof, nb, k, week__amp(s, k, s->w_dn));
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
	if (k && s->w_vote[wd] < VOTE_MAX)
		s->w_vote[wd]++;
	else if (!k && s->w_vote[wd] > 0)
		s->w_vote[wd]--;
	s->w_part = 0;
}

void week__new_day(struct season *s, const struct season_config *cfg, int32_t dn)
{
	end_day(s, cfg);
	s->w_today = (uint8_t)voted_kind(s, weekday(dn));
	s->w_dn = dn;
	s->w_adv = 0;
}

/* Today's points weigh the two kinds' forecasts: how much nearer the other
 * kind's came, in sigmas, sums up over the day (a point where today's kind
 * is nearer takes from it), and today takes the other kind once the sum
 * reaches TODAY_EVIDENCE. A working week's second weekend, whose days have
 * not had the votes yet, or a holiday, is a weekend within the hour; where
 * the two agree (a night trough) noise alone moves it little. */
#define TODAY_EVIDENCE 6

void week__weigh_today(struct season *s, double wres, double sigma)
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

/* The week bin being summed is left: its mean waits in w_buf for the end
 * of its day. */
void week__end_bin(struct season *s)
{
	if (!s->n_week)
		return;
	s->w_buf[s->cur_week] = quant_held(s, s->acc_week / s->n_week);
	if (s->part & SEASON_PART_WEEK)
		s->w_part |= 1ull << s->cur_week;
}
