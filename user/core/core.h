/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The regression and anomaly core: one call per interval with the host sample
 * and every service sample, alert lines out through a callback. The same core
 * runs live, in replay and in offline scoring; it never reads a clock, so the
 * same input gives the same alerts.
 */
#ifndef TT_CORE_H
#define TT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/alert.h"
#include "core/detect.h"
#include "core/model.h"
#include "core/rules.h"
#include "lib/sample.h"

#define CORE_MAX_RULES 8
#define CORE_MAX_DEP_PORTS 16

/* Load features of the latency model, a mask. */
#define CORE_F_RPS 0x01	    /* the service's requests/s */
#define CORE_F_CPU 0x02	    /* host CPU % */
#define CORE_F_DB 0x04	    /* active client connections to dependency ports, of
			     * the service's netns (and on the host's, its cgroup) */
#define CORE_F_DEP_LAT 0x08 /* mean latency of client services with the same comm */
#define CORE_F_ACTIVE 0x10  /* the service's own active connections */

/* alert_dir value: the metric is scored but never alerts on its own. */
#define CORE_DIR_OFF 0xff

struct core_config {
	struct model_config model;
	struct detect_config detect;	      /* every univariate series */
	struct alert_policy policy[3];	      /* per enum alert_kind */
	struct rule_threshold rules[CORE_MAX_RULES];
	uint16_t dep_ports[CORE_MAX_DEP_PORTS]; /* "database" ports */
	uint8_t alert_dir[METRIC_COUNT];      /* enum detect_dir, or CORE_DIR_OFF */
	uint8_t n_rules;
	uint8_t n_dep_ports;
	uint32_t features;		      /* CORE_F_* */
	uint32_t max_series;		      /* services tracked; more are counted */
	uint32_t stale_intervals;	      /* a service absent this long is resolved */
	double anomaly_z;		      /* model residual bound, robust sigmas */
	double critical_z;		      /* ... from which the alert is critical */
	double model_lambda_interval_s;	      /* model.lambda is per sample at this interval
					       * (s) and slower; faster, per this time */
	double model_adopt_s;		      /* a latency anomaly lasting this long (s) is
					       * adopted as the new normal, 0 = never */
	double clear_frac;		      /* a firing anomaly stays bad down to this
					       * fraction of its bound (hysteresis) */
	double model_budget_step;	      /* each latency alert raises the bound by
					       * this fraction for the next */
	double model_budget_half_life_s;      /* time in which that raise halves */
	double severe_score;		      /* univariate score that fires at once */
	double forecast_lambda;		      /* weight kept per point by the trend fit */
	double forecast_horizon_s;	      /* alert when the limit is nearer than this */
	double forecast_t_min;		      /* slope must be this many std errors */
	double mem_limit_pct;		      /* memory forecast limit */
	double conn_limit;		      /* active connections limit, 0 = no forecast */
};

struct core_stats {
	uint64_t steps;
	uint64_t samples;
	uint64_t series;     /* services tracked now */
	uint64_t overflow;   /* samples dropped: max_series reached */
	uint64_t duplicates; /* samples dropped: service twice in one interval */
	uint64_t invalid;    /* samples dropped: non-finite or negative fields */
	uint64_t model_resets;
	uint64_t alerts;     /* alert lines emitted (= last seq) */
	uint64_t forgotten;  /* services dropped by core__forget */
	uint64_t names;	     /* names entries held: one per named cgroup */
};

/* What the core last made of one service, for exporters (read-only). */
struct core_view {
	bool ready;			/* the model is past its warm-up */
	double expected_us[MODEL_OUTS]; /* the model's mean and p99 latency for the last load, µs */
	float score[METRIC_SVC_COUNT];	/* each detector's last score, 0..1 */
};

struct core;

/* Receives each line the core emits: alert lines, and "agent" lines for the
 * core's own events (a model restart). Returns 0, or a negative errno that
 * core__step passes back after finishing the interval. */
typedef int (*core_line_fn)(const cJSON *line, void *ctx);

/* Fills cfg with the defaults (see docs/alerts.md). */
void core__default_config(struct core_config *cfg);

/* A new core. Returns NULL with errno set (ENOMEM, EINVAL for a bad cfg). */
struct core *core__new(const struct core_config *cfg);

/* Frees the core and every series; NULL is allowed. */
void core__free(struct core *c);

/* Runs one interval: h may be NULL (interval without a host line), s holds the
 * n service samples of the interval. host names the host in alert lines; ts
 * of the lines is the interval's (the host sample's, else the latest
 * service's), never the clock. Calls cb for each line in a fixed order: host
 * alerts, then per service in the order of s. Returns 0, or the first error of
 * cb or of encoding (-ENOMEM); state is updated either way. */
int core__step(struct core *c, const struct host_sample *h, const struct svc_sample *s,
	       size_t n, const char *host, core_line_fn cb, void *ctx);

/* Drops the state of service id (matched by identity, svc_id__same), which
 * retired: its alerts that still fire are resolved first, through cb, with
 * the time and host of the last core__step. Returns 0, -ENOENT when the core
 * holds no such service, or the first error of cb. */
int core__forget(struct core *c, const struct svc_id *id, core_line_fn cb, void *ctx);

/* Whether a univariate anomaly score is at or above the alert threshold
 * (DETECT_THRESHOLD, 0.5). cfg and firing are kept for callers: a detector's
 * episodes carry their own persistence and hysteresis. */
bool core__score_bad(const struct core_config *cfg, double score, bool firing);

/* The alert policy under which a detector's alert follows its episodes
 * (fires when one starts, resolves when it ends): the anomaly policy's
 * re-notify with m = n = clear_n = 1 and no flap damping. */
void core__detector_policy(const struct core_config *cfg, struct alert_policy *p);

/* Fills v with what the last core__step made of service id. Returns 0, or
 * -ENOENT when the core does not track it. */
int core__view(const struct core *c, const struct svc_id *id, struct core_view *v);

/* The host detectors' last scores, one per host metric in enum metric order
 * from METRIC_SVC_COUNT: METRIC_COUNT - METRIC_SVC_COUNT of them. */
void core__host_scores(const struct core *c, float *scores);

/* Copies the counters. */
void core__stats(const struct core *c, struct core_stats *st);

/* Bytes of state one service costs: its series, its share of the table's
 * slots, and the names table's bytes divided by the services tracked (a
 * cgroup's names are held once, for all its services; unnamed services
 * share nothing and pay nothing). */
size_t core__series_bytes(const struct core *c);

#endif /* TT_CORE_H */
