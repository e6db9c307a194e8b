/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Streaming univariate anomaly detector: one small fixed-size state per
 * series, one update per point, a score in [0,1] per point, no look-ahead.
 * Every parameter counts points, never seconds, so the same detector runs on
 * 1 s live data and on 5 min exported data. docs/detectors.md has the design
 * and the measurements that chose it.
 */
#ifndef TT_DETECT_H
#define TT_DETECT_H

#include <stdbool.h>
#include <stdint.h>

/* Which departures count: both ways, only rises, only drops. */
enum detect_dir {
	DETECT_BOTH = 0,
	DETECT_UP,
	DETECT_DOWN,
};

/* Components, a mask; all of them in production, subsets for evaluation. */
#define DETECT_SPIKE 0x1 /* robust z-score of the one-step residual */
#define DETECT_SHIFT 0x2 /* two-sided CUSUM of standardised residuals */
#define DETECT_TREND 0x4 /* fast against slow slope of the level */
#define DETECT_ALL (DETECT_SPIKE | DETECT_SHIFT | DETECT_TREND)

struct detect_config {
	double alpha;	   /* level EWMA weight per point */
	double beta_fast;  /* fast slope EWMA weight per point */
	double beta_slow;  /* slow slope EWMA weight per point */
	double scale_alpha; /* residual scale EWMA weight per point */
	double corr_alpha; /* residual autocorrelation EWMA weight per point */
	double huber_k;	   /* residuals clipped at k scales before they update state */
	double z_spike;	   /* |z| at which the spike component reaches the bound */
	double cusum_k;	   /* CUSUM allowance per point, in scales */
	double cusum_h;	   /* CUSUM decision level, in scales */
	double trend_z;	   /* slope difference bound, in standard errors */
	double min_scale;  /* absolute floor of the scale, in the series' unit */
	double rel_scale;  /* floor of the scale as a fraction of |level| */
	uint32_t warmup;   /* points scored 0 while the state settles */
	uint8_t dir;	   /* enum detect_dir */
	uint8_t components; /* DETECT_* mask */
	bool robust;	   /* clip residuals (Huber); off = plain EWMA */
};

/* Per-series state: 56 bytes. */
struct detect {
	double level;	  /* smoothed value */
	double slope_slow; /* long-run change per point, part of the forecast */
	float slope_fast; /* short-run change per point */
	float scale;	  /* robust residual scale (mean absolute residual) */
	float cus_pos;	  /* CUSUM of rises, in scales */
	float cus_neg;	  /* CUSUM of drops, in scales */
	float z;	  /* last standardised residual */
	float zlag;	  /* EWMA of z(t) * z(t-1), clipped */
	float zsq;	  /* EWMA of z(t)^2, clipped */
	uint32_t n;	  /* points seen, saturating */
	uint8_t why;	  /* DETECT_* component that gave the last score */
	uint8_t pad[3];
};

/* Sets the defaults every series starts from (both directions). */
void detect__default_config(struct detect_config *cfg);

/* Starts an empty series. */
void detect__init(struct detect *d);

/* Adds one point and returns its anomaly score in [0,1], computed before the
 * point updates the state (no look-ahead). A score of 0.5 is the bound: one
 * component reached its decision level. Non-finite x is ignored (returns 0). */
double detect__update(struct detect *d, const struct detect_config *cfg, double x);

/* The component statistic behind a score: score = 1 - 2^-(u*u). */
double detect__score_of(double u);

/* The value the detector expected for the next point. */
double detect__expected(const struct detect *d);

/* Name of a DETECT_* component ("spike", "shift", "trend"), "" for none. */
const char *detect__why_name(uint8_t why);

#endif /* TT_DETECT_H */
