/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Streaming univariate anomaly detector: one fixed-size state per series, one
 * update per point, no look-ahead. The forecast is a robust level plus, when
 * the series has them, its daily and weekly cycles (core/season.h); each
 * residual's surprise is -log10 of its probability under the series' own
 * learnt tail (core/tail.h); surprise beyond an allowance adds up (a CUSUM),
 * and an episode starts where the sum reaches its level. The score is
 * 1 - 2^-(sum / level): exactly 0.5 where an episode starts. Within an episode
 * the detector learns nothing, keeps the episode's own level as a second
 * explanation (so only new surprise scores), and adopts that level once the
 * episode has lasted `adopt` points. docs/detectors.md has the design and the
 * measurements that chose it.
 */
#ifndef TT_DETECT_H
#define TT_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/recur.h"
#include "core/season.h"
#include "core/tail.h"

/* Which departures count: both ways, only rises, only drops. */
enum detect_dir {
	DETECT_BOTH = 0,
	DETECT_UP,
	DETECT_DOWN,
};

/* What started an episode. */
#define DETECT_SPIKE 0x1 /* one point surprising enough on its own */
#define DETECT_SHIFT 0x2 /* surprise summed over several points */

#define DETECT_EP_RISE 0x1  /* the episode in progress is a rise */
#define DETECT_EP_QUIET 0x2 /* ... recurs at its time of day: no alert (core/recur.h) */
#define DETECT_EP_RUN_ENDED 0x4 /* ... had a point the normal state explains */
#define DETECT_EP_OUTLASTED 0x8 /* ... was a job's run until it outlasted any job's */

/* How the last episode ended. */
#define DETECT_END_EXPLAINED 1 /* the normal state explained calm_n points in a row */
#define DETECT_END_ADOPTED 2   /* it lasted adopt points, adopt_s: its level became normal */

/* The score at which an episode starts. */
#define DETECT_THRESHOLD 0.5

struct detect_config {
	struct season_config season;
	double alpha;	      /* level EWMA weight per point */
	double scale_alpha;   /* residual scale EWMA weight per point */
	double huber_k;	      /* residuals clipped at k scales before they teach */
	double min_scale;     /* absolute floor of the scale, in the series' unit */
	double rel_scale;     /* floor of the scale as a fraction of |forecast| */
	double allowance;     /* surprise (log10) a point must exceed to add up */
	double level;	      /* summed surprise (log10) that starts an episode */
	double cap;	      /* bound of the sum, in multiples of level */
	double calm;	      /* surprise below which a point is explained */
	double tail_eta;      /* step of the tail quantiles */
	double episode_alpha; /* weight of a point in the episode's own level */
	double gap_restart;   /* silence, in intervals, after which the level is re-learnt */
	double level_interval; /* interval (s) at which `level` applies as is; points
				* coming faster raise it by log10(level_interval / dt) */
	double budget_step;   /* added to level by each episode, log10 */
	double budget_half_life; /* time in which that addition halves, s */
	double adopt_s;	      /* ... and at least this long (s) */
	uint32_t warmup;      /* points scored 0 while the state settles */
	uint32_t calm_n;      /* explained points in a row that end an episode */
	uint32_t refractory;  /* points after an episode with no new one */
	uint32_t adopt;	      /* points of an episode after which its level is adopted */
	uint8_t dir;	      /* enum detect_dir */
	bool seasonal;	      /* learn and use daily/weekly profiles */
};

/* Per-series state (sizeof: see tests/unit/core/test_detect.c); its hot part
 * is the first DETECT_HOT_BYTES. */
struct detect {
	struct tail up, down;
	double level;	  /* deseasonalised level of the daily forecast */
	double wlevel;	  /* ... of the weekly forecast */
	double flat;	  /* level of the level-only forecast */
	double last_ts;	  /* time of the last point */
	float slow;	  /* deseasonalised level of a day and a half (see learn_season) */
	float scale;	  /* mean |residual| of the seasonal forecast */
	float flat_scale; /* mean |residual| of the level-only forecast */
	float dt;	  /* typical interval between points, s */
	float quantum;	  /* smallest non-zero step between points (resolution) */
	float prev;	  /* last value */
	float sum_up;	  /* summed surprise of rises, log10 */
	float sum_down;	  /* ... of drops */
	float z;	  /* last standardised residual */
	float expected;	  /* last forecast */
	float sigma;	  /* last robust standard deviation */
	float boost;	  /* level added by recent episodes (the alert budget), log10 */
	float rate_add;	  /* level added for points faster than level_interval, log10 */
	float ep_level;	  /* the episode's own (deseasonalised) level */
	float ep_scale;	  /* ... and its mean |residual| about that level */
	uint32_t n;	  /* points since the (re)start, saturating */
	uint32_t ep_len;  /* points in the episode */
	/* Never both in use: the one within an episode, the other after it
	 * (4 bytes for ep_scale, within the 8 KiB a service may take). */
	union {
		uint32_t calm_run;   /* explained points in a row, in an episode */
		uint32_t refractory; /* points left with no new episode, after one */
	};
	uint16_t gaps;	  /* missing points seen, saturating */
	uint16_t restarts; /* warm-ups restarted by a long gap, saturating */
	struct recur recur; /* the last short episodes' starts */
	uint8_t firing;	  /* an episode is in progress */
	uint8_t why;	  /* DETECT_SPIKE or DETECT_SHIFT: what started it */
	uint8_t ep_kind;  /* DETECT_EP_* of the episode in progress */
	uint8_t adopted;  /* episodes ended by adopting their level, saturating */
	uint8_t last_end; /* DETECT_END_* of the last episode, 0 before one */
	uint8_t mode;	  /* season.mode, kept here where every point looks */
	uint8_t rewarm;	  /* points left re-learning the level after a long gap */
	/* Bits, so that recur fits within the 8 KiB a service may take. */
	uint8_t rewarm_blind : 1; /* ... not judged: the level started again */
	uint8_t fraction : 1;	  /* a value so far was not a whole number */
	/* Last, so its header shares cache lines with the fields above and its
	 * tables, touched once a minute at 1 s, stay out of the way. */
	struct season season;
};

/* Bytes at the start of struct detect that every point touches. */
#define DETECT_HOT_BYTES 256

/* Asks the CPU for the state a point will touch (a hint, no effect on it). */
static inline void detect__prefetch(const struct detect *d)
{
	const char *p = (const char *)d;
	unsigned i;

	for (i = 0; i < DETECT_HOT_BYTES; i += 64)
		__builtin_prefetch(p + i);
}

/* Sets the defaults every series starts from (both directions). */
void detect__default_config(struct detect_config *cfg);

/* Starts an empty series. */
void detect__init(struct detect *d);

/* Adds the point (ts, x), ts in seconds since the epoch, and returns its
 * anomaly score in [0,1), computed before the point teaches the state. A
 * non-finite x is a missing point: it is counted in gaps and returns NAN;
 * after a silence longer than gap_restart intervals the level is re-learnt
 * (the scales, tails and profiles are kept). Returns DETECT_THRESHOLD or more exactly on
 * the points that start an episode and on no other point outside one. */
double detect__update(struct detect *d, const struct detect_config *cfg, double ts, double x);

/* Whether an episode is in progress (the alert is on). */
bool detect__firing(const struct detect *d);

/* Whether a rise that is a job's run at its time of day is in progress: an
 * episode, but a schedule's, which raises no alert (core/recur.h). */
bool detect__in_job_rise(const struct detect *d);

/* What the daily or weekly profile in force added to the last forecast (the
 * forecast less the deseasonalised level); 0 without one, or within an
 * episode: a departure the detector judges is not the profile's. */
double detect__season_term(const struct detect *d);

/* The score of a summed surprise: 1 - 2^-(sum / cfg->level). */
double detect__score_of(const struct detect_config *cfg, double sum);

/* The forecast the last point was scored against. */
double detect__expected(const struct detect *d);

/* The robust standard deviation the last point was scored with. */
double detect__sigma(const struct detect *d);

/* Name of a DETECT_SPIKE/SHIFT cause ("spike", "shift"), "" for none. */
const char *detect__why_name(uint8_t why);

#endif /* TT_DETECT_H */
