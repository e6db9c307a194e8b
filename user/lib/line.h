/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The parts every JSON line shares, whichever stage makes it: the header
 * (ts, type, schema, host), the service object, timestamps and rounding.
 * The agent's lines (out/emit.c) and the core's alert lines (core/alert.c)
 * are built from these, so both speak the same schema.
 */
#ifndef TT_LINE_H
#define TT_LINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/sample.h"

#define TT_SCHEMA_VERSION "1.4"

/* Formats ts (seconds since the epoch) as "2026-11-23T05:42:13.123Z" into
 * buf, which holds at least 32 bytes. Returns buf. */
char *line__iso8601(double ts, char *buf, size_t len);

/* Parses the format above (also without milliseconds) back into seconds
 * since the epoch. Returns 0, or -EINVAL. */
int line__parse_iso8601(const char *s, double *ts);

/* {"role":"server","port":8080,"comm":"nginx"} and the identity that is
 * known: "other", "netns", "host_netns", "cgroup" (path), "cgroup_id",
 * "container" {"id","runtime"}, "pod_uid", "unit". Unknown fields are left
 * out. Returns NULL on out of memory. */
cJSON *line__service(const struct svc_id *id);

/* One identity label of a service, for endpoints that label series by it. */
struct svc_label {
	const char *name;
	char value[SVC_CGROUP_LEN];
};

#define SVC_LABELS_MAX 9

/* Fills out with the service's identity labels that are known, in this
 * order: role, port, netns, cgroup (the path, else the id as a number),
 * container_id, container_runtime, pod_uid, unit, other ("true"). comm is a
 * label that changes and is left out. Returns how many were filled. */
unsigned line__service_labels(const struct svc_id *id, struct svc_label out[SVC_LABELS_MAX]);

/* A new object holding "ts", "type", "schema" and "host", the fields every
 * line starts with. Returns NULL on out of memory. */
cJSON *line__header(double ts, const char *type, const char *host);

/* Rounds v to the given number of decimals, so printed figures stay short
 * and identical across runs. */
double line__round(double v, int decimals);

#endif /* TT_LINE_H */
