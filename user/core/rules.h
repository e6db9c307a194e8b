/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The metrics telltale judges, threshold rules over them (a fire level, a
 * lower clear level and a hold), and forecasts: a discounted linear trend of
 * a bounded metric and the time it will take to reach its limit.
 */
#ifndef TT_RULES_H
#define TT_RULES_H

#include <stdbool.h>
#include <stdint.h>

enum metric {
	METRIC_RPS = 0,
	METRIC_LAT_MEAN,
	METRIC_LAT_P50,
	METRIC_LAT_P90,
	METRIC_LAT_P99,
	METRIC_ACTIVE,
	METRIC_FAILED,
	METRIC_RESETS,
	METRIC_RETRANS,
	METRIC_SVC_COUNT, /* service metrics end here; host metrics follow */
	METRIC_CPU = METRIC_SVC_COUNT,
	METRIC_MEM,
	METRIC_LOAD1,
	METRIC_COUNT,
};

/* The metric's name in alert lines ("latency_p99_us", "cpu_pct"), NULL when
 * out of range. */
const char *metric__name(unsigned metric);

/* Parses a metric name. Returns its enum metric, or -EINVAL. */
int metric__parse(const char *name);

/* True for metrics of the host rather than of a service. */
bool metric__is_host(unsigned metric);

struct rule_threshold {
	double fire;	  /* breached above this (below, for a falling rule) */
	double clear;	  /* a firing rule clears only past this level */
	uint8_t metric;	  /* enum metric */
	uint8_t hold;	  /* consecutive breaching intervals before firing */
	uint8_t severity; /* enum alert_severity */
	bool below;	  /* fires when the value falls below fire */
};

/* Whether v breaches r: against fire while the alert is quiet, against clear
 * while it fires (hysteresis). NaN never breaches. */
bool rules__breach(const struct rule_threshold *r, double v, bool firing);

/* Discounted least-squares line through (t, v): exponentially weighted means
 * and co-moments, so memory is fixed and old points fade. 56 bytes. */
struct forecast {
	double w, w2;		/* sum of weights and of squared weights */
	double mt, mv;		/* weighted means of t and v */
	double ctt, ctv, cvv;	/* weighted co-moments about the means */
};

struct forecast_result {
	double slope;	 /* change per second */
	double now;	 /* fitted value at the last point */
	double eta_s;	 /* seconds until the fit reaches the limit, INFINITY if never */
	double t_stat;	 /* slope over its standard error */
	double n_eff;	 /* effective number of points */
};

/* Adds a point (t in seconds); lambda in (0,1) is the weight kept per point. */
void forecast__add(struct forecast *f, double lambda, double t, double v);

/* Fits the line at time now and projects it to limit. Returns 0, or -EAGAIN
 * when there are too few distinct times to fit a slope. */
int forecast__eta(const struct forecast *f, double now, double limit,
		  struct forecast_result *out);

#endif /* TT_RULES_H */
