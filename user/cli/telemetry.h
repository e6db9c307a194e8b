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
			const struct output *out);

#endif /* TT_TELEMETRY_H */
