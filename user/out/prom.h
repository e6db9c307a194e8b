/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Prometheus view of the agent. The collection loop feeds the state
 * (out/promstate.c) every interval: each service's sample and what the core
 * made of it, the host, alert lines, the agent's own figures. The state keeps
 * every counter cumulative since start and ends each interval with an
 * immutable snapshot. The endpoint's threads (out/http.c) render the latest
 * snapshot (out/prom.c) as the text exposition format 0.0.4 or OpenMetrics
 * 1.0, so a scrape never waits for the loop nor the loop for a scrape.
 *
 * Series of a service: telltale_requests_total, the histogram
 * telltale_request_duration_seconds (cumulative `le` buckets, each bound a
 * boundary of the kernel's log-linear histogram, so every count is exact),
 * telltale_connections_*, telltale_tcp_*_total, and from the core
 * telltale_latency_expected_seconds{stat} and telltale_anomaly_score{metric}.
 * docs/prometheus.md lists every family.
 */
#ifndef TT_PROM_H
#define TT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/core.h"
#include "lib/sample.h"
#include "out/labels.h"

#define PROM_MAX_BUCKETS 128
#define PROM_LISTEN_MAX 80

struct prom_config {
	char listen[PROM_LISTEN_MAX];	  /* ADDR:PORT of the endpoint, "" = none */
	double buckets[PROM_MAX_BUCKETS]; /* histogram bounds, s, ascending */
	uint32_t n_buckets;
	uint32_t max_series; /* series in one exposition; the rest are counted */
};

enum prom_type {
	PROM_COUNTER = 0,
	PROM_GAUGE,
	PROM_HISTOGRAM,
	PROM_INFO,
};

/* Every family, in exposition order. The first PF_SVC_COUNT have a series
 * per service; the others are points added one by one. */
enum prom_family {
	PF_REQUESTS = 0,
	PF_DURATION,
	PF_CONN_ACTIVE,
	PF_CONN_OPENED,
	PF_CONN_CLOSED,
	PF_CONN_FAILED,
	PF_RESETS,
	PF_RETRANS,
	PF_SVC_COUNT,
	PF_EXPECTED = PF_SVC_COUNT, /* per service too, but only once the model is ready */
	PF_SCORE,		    /* per service and per host metric */
	PF_ALERT_FIRING,
	PF_HOST_CPU,
	PF_HOST_MEM,
	PF_HOST_LOAD,
	PF_BPF_EVENTS,
	PF_MAP_ENTRIES,
	PF_MAP_CAPACITY,
	PF_SVC_OVERFLOWS,
	PF_SOCK_FULL,
	PF_SOCK_EVICTIONS,
	PF_SYS_REGS,
	PF_SINK_LINES,
	PF_SINK_BYTES,
	PF_SINK_DROPPED,
	PF_CORE_SERIES,
	PF_CORE_DROPPED,
	PF_AM_SENT,
	PF_AM_ERRORS,
	PF_AM_UP,
	PF_AM_DROPPED,
	PF_AM_QUEUED,
	PF_EXP_SERIES,
	PF_EXP_DROPPED,
	PF_EXP_OVERFLOW,
	PF_INTERVAL,
	PF_LAST_TS,
	PF_RSS,
	PF_CPU,
	PF_START,
	PF_BUILD,
	PF_COUNT,
};

struct prom_family_def {
	const char *name; /* as the 0.0.4 text spells the sample: counters end in _total */
	const char *help;
	const char *unit; /* OpenMetrics UNIT, the name's suffix; NULL when none */
	uint8_t type;	  /* enum prom_type */
};

/* The table of families, PF_COUNT entries. */
extern const struct prom_family_def prom_families[PF_COUNT];

struct prom_state;
struct prom_snap;

/* Fills cfg with the defaults: no endpoint, the bucket layout of
 * docs/prometheus.md (four a power of two, 1.024 us to 8.59 s), 200,000
 * series. */
void prom__default_config(struct prom_config *cfg);

/* Whether the bucket bounds are usable: ascending, each on its own kernel
 * histogram boundary after rounding. Returns NULL, or what is wrong (in
 * buf). */
const char *prom__buckets_problem(const double *b, uint32_t n, char *buf, size_t len);

/* The kernel histogram boundary nearest to bound_s, in ns. */
uint64_t prom__bucket_ns(double bound_s);

/* A new state. A service unseen for stale_intervals intervals loses its
 * series; start_ts (s since the epoch) is the _created time of the agent's
 * own counters. Returns NULL with errno set. */
struct prom_state *prom__new(const struct prom_config *cfg, uint32_t stale_intervals,
			     double start_ts);

/* Frees the state; snapshots taken from it stay valid. NULL is allowed. */
void prom__free(struct prom_state *st);

/* Adds one service's interval: its counters to the totals, its latency
 * histogram to the buckets; v (may be NULL) is what the core made of it.
 * Returns 0 or -ENOMEM (the interval is then not counted). */
int prom__service(struct prom_state *st, const struct svc_sample *s, const struct core_view *v);

/* Sets the host gauges and the host detectors' scores (scores may be NULL). */
void prom__host(struct prom_state *st, const struct host_sample *h, const float *scores);

/* Follows an alert line: a firing line sets telltale_alert_firing for its id,
 * a resolved line removes it. Other lines are ignored. Returns 0 or
 * -ENOMEM. */
int prom__alert_line(struct prom_state *st, const cJSON *line);

/* Forgets a service at once (retired), with every series it has. */
void prom__forget(struct prom_state *st, const struct svc_id *id);

/* Adds one point of family f (not a per-service one) with n labels to the
 * next snapshot. Returns 0 or -ENOMEM. */
int prom__point(struct prom_state *st, enum prom_family f, const struct label *l, size_t n,
		double v);

/* Ends the interval that ended at ts (s since the epoch) and lasted
 * interval_s: drops stale services and returns the snapshot of everything,
 * with one reference for the caller; the points added since the last
 * snapshot are consumed. Returns NULL with errno set. */
struct prom_snap *prom__snapshot(struct prom_state *st, double ts, double interval_s);

/* Series in the last snapshot, and series it left out for max_series. */
void prom__series(const struct prom_state *st, uint64_t *exposed, uint64_t *dropped);

/* Takes and drops a reference; the last drop frees the snapshot. Any thread;
 * NULL is allowed. */
struct prom_snap *prom__ref(struct prom_snap *s);
void prom__unref(struct prom_snap *s);

/* End of the snapshot's interval, s since the epoch. */
double prom__snap_ts(const struct prom_snap *s);

/* The snapshot as the text format 0.0.4, or OpenMetrics 1.0 with om set:
 * rendered at the first call per format and kept, so later scrapes of the
 * same snapshot send it as it is; a call that finds another thread rendering
 * the format waits for that render. The text stays valid while the caller
 * holds its reference. Thread-safe. Returns NULL and sets *len to 0 on out
 * of memory (a later call tries again). */
const char *prom__text(struct prom_snap *s, bool om, size_t *len);

/* Makes the text of format om ready, as prom__text does. Returns 1 when this
 * call rendered it, 0 when it was kept already, -ENOMEM. */
int prom__render(struct prom_snap *s, bool om);

#endif /* TT_PROM_H */
