/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's lines about itself (type "agent"): what it attached at start,
 * its health every few intervals, and its totals at a clean stop.
 */
#ifndef TT_TELEMETRY_H
#define TT_TELEMETRY_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct loader;
struct core;
struct output;
struct am;
struct http_server;
struct prom_state;

/* The exporters, for the stats line and /metrics; any may be NULL. */
struct telemetry_exp {
	const struct collector *col; /* slots freed, late events */
	struct am *am;
	struct http_server *http;
	struct prom_state *prom;
};

/* Map occupancy, walked at most every TELEMETRY_WALK_S seconds: a walk costs
 * a syscall per entry. */
#define TELEMETRY_WALK_S 15
struct telemetry_maps {
	double walked; /* CLOCK_MONOTONIC of the last walk, 0 = never */
	long services, sockets;
};

/* {"event":"start"}: version, kernel, each hook attached or missing with the
 * metrics a missing one costs. Returns NULL on out of memory. */
cJSON *telemetry__start(double ts, const char *host, const char *version,
			const struct loader *l);

/* {"event":"stats"} or, with stop set, {"event":"stop"}: uptime, events per
 * program, map occupancy and evictions, service-cap overflows, core counters,
 * lines written and dropped per sink, RSS and CPU time. Returns NULL on out
 * of memory. */
cJSON *telemetry__stats(double ts, const char *host, double uptime_s, bool stop,
			const struct loader *l, const struct core *core,
			const struct output *out, const struct telemetry_exp *exp);

/* The agent's own figures as points of the next Prometheus snapshot: events
 * per program, map occupancy and overflows, lines per sink, the core's
 * counters, Alertmanager delivery, RSS, CPU, start time and build info.
 * Returns 0 or -ENOMEM. */
int telemetry__prom(struct prom_state *st, struct telemetry_maps *maps, double now_mono,
		    double start_ts, const char *version, const struct loader *l,
		    const struct core *core, const struct output *out, struct am *am);

#endif /* TT_TELEMETRY_H */
