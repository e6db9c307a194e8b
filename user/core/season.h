/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Online daily and weekly profiles of one series in fixed memory, keyed by the
 * timestamps (time of day, day of week), so the same profile serves 1 s live
 * data and 5 min or 1 h exports. The week is two kinds of day (a working
 * week's weekdays and weekend), each a day profile of its own, told apart by
 * the days themselves. The profiles learn all the time and say whether they
 * predict the series better than its level alone; a series that is not
 * seasonal gets no seasonal term. docs/detectors.md has the measurements.
 */
#ifndef TT_SEASON_H
#define TT_SEASON_H

#include <stdbool.h>
#include <stdint.h>

#define SEASON_DAY_BINS 48 /* 30 min bins; 24 of them for hourly data */
#define SEASON_KINDS 2	   /* kinds of day the week profile tells apart */

enum season_mode {
	SEASON_NONE = 0, /* level only */
	SEASON_DAILY,	 /* level + time-of-day profile */
	SEASON_WEEKLY,	 /* level + the profile of the day's kind */
};

/* Where a timestamp falls in the profiles. season__view fills it all when it
 * looks the terms up, and only dn and the bins when it reuses a view. */
struct season_pos {
	double at;    /* time of day in day bins, [0, bins) */
	double day;   /* ... as a position among the bins' centres, [0, bins) */
	int32_t dn;   /* day since the epoch */
	int16_t dbin; /* the day bin it falls in, the one a point teaches */
	int16_t wbin; /* ... of the same day: the week profile's bins end at midnight */
	bool ok;      /* the series' interval allows profiles at all */
};

/* How long the terms of a point serve the next ones, s: at 1 s the tables'
 * cache lines are then touched once a minute, not every second, and the
 * profile moves too little in a minute to matter. */
#define SEASON_VIEW_S 60

#define SEASON_PART_DAY 0x1
#define SEASON_PART_WEEK 0x2

/* Per-series profiles. Values are int16 steps of `unit`, a per-series step
 * set at the first lesson and doubled (halving every value) when a value
 * would not fit, so the memory is fixed whatever the unit. The header comes
 * first: it is what every point touches. */
struct season {
	float unit;			/* value of one step; 0 before the first lesson */
	float v_day, v_week, v_spread;	/* the terms last looked up ... */
	double v_from, v_until;		/* ... serve points in [v_from, v_until) */
	int32_t v_dn;			/* ... on this day */
	int16_t v_dbin, v_wbin;		/* ... in these bins */
	float acc_day, acc_week, acc_spread; /* sums over the current bins */
	float err_flat, err_day, err_week;   /* mean |one-step error| of each forecast */
	double t0;			     /* first timestamp */
	uint64_t w_part;		     /* bins of w_buf with a point within an episode */
	int32_t w_dn;			     /* the day whose bins w_buf holds */
	float w_ref;			     /* typical distance of a first-kind day, steps */
	float w_base;			     /* the kinds' profiles are deviations from it */
	float w_adv;			     /* today's evidence for the other kind, sigmas */
	float v_alt;			     /* the other kind's term, with v_week */
	uint8_t w_today;		     /* today's kind */
	uint8_t dense;			     /* several points a bin: a bin is their mean */
	uint16_t w_days[SEASON_KINDS];	     /* days each kind has learnt */
	uint16_t n_day, n_week;		     /* points in the sums */
	int16_t cur_day, cur_week;	     /* bins being summed, -1 none */
	uint16_t bw;			     /* day bin width, s: 1800, 3600, 0 = no profile */
	uint8_t mode;			     /* enum season_mode */
	uint8_t part;			     /* SEASON_PART_*: an episode's point is in the sums */
	uint8_t w_vote[7];		     /* per day of the week (Monday 0): its kind is 1 from 2 */
	uint8_t w_amp[7];		     /* ... its swing over its kind's, 64ths; 0 unknown */
	int16_t w_lo[SEASON_KINDS];	     /* each kind's lowest bin, steps */
	int16_t day[SEASON_DAY_BINS];	     /* mean deviation from the level */
	uint16_t spread[SEASON_DAY_BINS];    /* mean |residual| per day bin */
	int16_t kind[SEASON_KINDS][SEASON_DAY_BINS]; /* ... of the days of each kind */
	int16_t w_buf[SEASON_DAY_BINS];	     /* today's bin means, learnt when it ends */
};

struct season_config {
	double gain;	   /* weight of a new visit of a bin, per visit */
	double week_gain;  /* ... of a day's lesson to the profile of its kind */
	double select;	   /* use a profile when its error is below this share of the simpler one's */
	double keep;	   /* ... and keep it while below this share (hysteresis, >= select) */
	double err_days;   /* memory of the error comparison, in days of points */
	double episode_gain; /* share of the gain a point within an episode teaches, once the
			      * profiles are EPISODE_GAIN_AFTER_S old */
	bool local;	     /* keep the profiles in the process's time zone (TZ), not UTC */
};

/* Age of the profiles from which a point within an episode teaches them at
 * episode_gain only: before it, at full gain, so an unlearnt daily cycle,
 * which is an episode every day while young, is learnt at all. */
#define EPISODE_GAIN_AFTER_S (3 * 86400)

/* The day profile's bin of p holds a value (has had a lesson). */
bool season__day_known(const struct season *s, const struct season_pos *p);

/* Sets the defaults. */
void season__default_config(struct season_config *cfg);

/* ts (s since the epoch) on the clock the profiles keep: ts itself in UTC,
 * else ts plus the offset of the process's time zone (TZ) at ts, so that a
 * working day's 09:00 stays in its bin across a daylight-saving change. */
double season__clock(const struct season_config *cfg, double ts);

/* Starts empty profiles. */
void season__init(struct season *s);

/* Fixes the day bin width from the series' interval dt (s) the first time it
 * is called with dt > 0: 30 min bins up to 30 min intervals, 1 h bins up to
 * 1 h, no profile beyond. Later calls change nothing. */
void season__set_interval(struct season *s, double dt);

/* Where ts (s since the epoch, UTC) falls, and the profiles' terms there:
 * *day the daily term, *week the weekly one (the profile of today's kind of
 * day), *spread the day bin's mean |residual| and bend (0 where unknown),
 * whatever the mode. Terms looked up less than SEASON_VIEW_S before ts are
 * reused. */
void season__view(struct season *s, double ts, struct season_pos *p, double *day, double *week,
		  double *spread);

/* The other kind of day's weekly term at the last view, when the point's
 * day of the week has lately changed kind (its votes firm neither way: a
 * working week's second and third weekends, the same weekday a week after
 * a holiday), or the point is in its day's first hour, before the day's
 * points can tell its kind (a holiday's midnight): such a point may be
 * either, and is judged by the nearer. Else NAN. */
double season__unsure_alt(const struct season *s, const struct season_pos *p);

/* Teaches the profiles one point: dev_day = x less the level the day
 * profile learns from (see core/detect.c), x the point itself (the kinds of
 * day learn it less their own base), wres = x less the weekly forecast's
 * level and sigma its scale (today's kind is weighed by them), resid = the point's residual
 * against the full forecast (already clipped), mag = a magnitude of the
 * series (|level| + a few scales) that sets the step at the first lesson,
 * age = time since the first point, s (the first periods are averaged with
 * equal weights: 1/2 on the second visit, 1/3 on the third, down to gain),
 * partial = the point is within an episode (a bin's lesson with such a
 * point in it is taught at episode_gain of the gain). A bin's spread is
 * learnt only once the bin holds a value: before, the residual is the whole
 * cycle, not the profile's error. */
void season__learn(struct season *s, const struct season_config *cfg, const struct season_pos *p,
		   double dev_day, double x, double wres, double sigma, double resid, double mag,
		   double age, bool partial);

/* Feeds the one-step errors of the level-only, daily and weekly forecasts
 * (each with its own level; squared, bounded at SELECT_CLIP x scale) and
 * re-decides the mode; weight is the EWMA weight of one point. age is the
 * time since the first point, s. */
void season__select(struct season *s, const struct season_config *cfg, double e_flat,
		    double e_day, double e_week, double scale, double weight, double age);

/* "none", "daily", "weekly". */
const char *season__mode_name(unsigned mode);

#endif /* TT_SEASON_H */
