// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The anomaly core's insides, shared by its files and by nothing else:
 * core.c (series table, config, the per-interval step), core_signals.c
 * (alert lines of rules, forecasts and detectors) and core_model.c (the
 * latency model's step and alerts).
 */
#ifndef TT_CORE_INT_H
#define TT_CORE_INT_H

#include <cjson/cJSON.h>

#include "core/core.h"
#include "core/deps.h"
#include "core/names.h"

#define HOST_METRICS (METRIC_COUNT - METRIC_SVC_COUNT)
#define MAX_SERIES_LIMIT (1u << 20)
#define MSG_LEN 384
#define WHO_LEN 192 /* a service as messages name it */
#define N_FEATURES 5

/* Alert slots of one service. */
enum {
	SA_MODEL = 0,
	SA_DETECT = SA_MODEL + MODEL_OUTS,
	SA_FORECAST = SA_DETECT + METRIC_SVC_COUNT,
	SA_RULE,
	SA_COUNT = SA_RULE + CORE_MAX_RULES,
};

/* Alert slots of the host. */
enum {
	HA_DETECT = 0,
	HA_FORECAST = HA_DETECT + HOST_METRICS,
	HA_RULE,
	HA_COUNT = HA_RULE + CORE_MAX_RULES,
};

/* A service as a series keeps it: struct svc_id less its names, which the
 * series holds in the core's names table. */
struct series_key {
	uint64_t cgroup;
	uint32_t netns;
	uint16_t port;
	uint8_t role;
	uint8_t flags;
	bool host_netns;
	char comm[TT_COMM_LEN];
};

struct series {
	struct model model;
	struct detect det[METRIC_SVC_COUNT];
	struct forecast conns;
	struct alert_state al[SA_COUNT];
	struct core_view view; /* the last step's scores and prediction */
	struct series_key key;
	struct names_entry *names; /* NULL until a sample names the service */
	uint32_t hash;		   /* svc_id__hash of the service */
	uint32_t last_step;
	uint8_t stale;
	float model_budget; /* the latency alerts' bound raised by this fraction */
};

struct core {
	struct core_config cfg;
	struct detect_config dcfg[METRIC_COUNT];
	struct alert_policy det_policy; /* detector alerts follow their episodes */
	struct alert_policy rule_policy[CORE_MAX_RULES];
	struct series **series; /* in order of first appearance */
	uint32_t *slots;	/* index + 1 into series, 0 = empty */
	struct names_table names; /* the series' names, one entry per cgroup */
	uint32_t mask;
	uint32_t step;
	unsigned nx;
	struct detect hdet[HOST_METRICS];
	struct forecast mem_fc;
	struct alert_state hal[HA_COUNT];
	float hscore[HOST_METRICS];
	double cpu, mem;
	struct deps deps; /* this interval's dependency connections */
	struct core_stats st;
	/* cfg.model with its forgetting for samples of model_dt s (model_config). */
	struct model_config model;
	double model_dt;
	/* The interval being stepped. */
	double now;
	const char *host;
	core_line_fn cb;
	void *ctx;
	int err;
};

extern const char *const core_model_targets[MODEL_OUTS];

struct core_feature {
	uint32_t flag;
	const char *name;
};

extern const struct core_feature core_features[N_FEATURES];

/* Hands line to the core's callback and frees it; the first error sticks
 * in c->err (ENOMEM for a NULL line). */
void core_deliver(struct core *c, cJSON *line);

/* Writes the line for event ev of alert a; the resolved line keeps the
 * severity the alert fired with. */
void core_emit_alert(struct core *c, struct alert_state *a, int ev, struct alert_info *info);

/* A service as messages name it: "server:8080 (nginx) in container ..." */
void core_svc_label(const struct svc_id *id, char *buf, size_t len);

/* The service of se as its lines print it: its key and its names. */
void core_series_id(const struct series *se, struct svc_id *id);

/* Adds name: v rounded to 4 significant decimals to o. */
void core_add_round(cJSON *o, const char *name, double v);

/* Threshold rule ri on value v of se (NULL: the host), alert state a. */
void core_rule_alert(struct core *c, unsigned ri, struct alert_state *a, double v,
		     const struct series *se);

/* A forecast of metric toward limit for se (NULL: the host). */
void core_forecast_alert(struct core *c, struct forecast *f, struct alert_state *a,
			 unsigned metric, double v, double limit, const struct series *se);

/* Detector d of metric m scored score on v: its alert's next event, for se
 * (NULL: the host). */
void core_detect_alert(struct core *c, unsigned m, struct detect *d, struct alert_state *a,
		       double v, double score, const struct series *se);

/* The model's load features of s into x (db: its dependency connections,
 * dep_lat: its dependencies' latency). Returns how many. */
unsigned core_load_features(const struct core *c, const struct svc_sample *s, double db,
			    double dep_lat, double *x);

/* One interval of se's latency model: predicts, scores, alerts, learns. */
void core_svc_model(struct core *c, struct series *se, const struct svc_sample *s,
		    const double *x, const double *scores);

#endif /* TT_CORE_INT_H */
