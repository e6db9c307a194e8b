/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The reader of telltale's own JSON lines for replay: it checks a whole line
 * against the JSON grammar but keeps only the fields replay uses, by path,
 * without allocating. A general parser (a tree of allocated nodes per line)
 * made replay three times slower.
 */
#ifndef TT_JDOC_H
#define TT_JDOC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/sample.h"

/* What a kept field held; J_LONG: a string too long for its buffer. */
enum jkind { J_NONE = 0, J_NUM, J_STR, J_OBJ, J_TRUE, J_FALSE, J_LONG, J_OTHER };

/* The fields kept, by object: the line, service, latency_us, connections,
 * service.container. */
enum jfield {
	F_TYPE, F_TS, F_HOST, F_SVC, F_INTERVAL, F_REQUESTS, F_RPS, F_LAT, F_CONN, F_CPU, F_MEM,
	F_LOAD1, F_EVENT, F_SCHEMA,
	F_ROLE, F_PORT, F_COMM, F_NETNS, F_HOST_NETNS, F_CGROUP, F_CGROUP_ID, F_CONTAINER, F_POD,
	F_UNIT, F_OTHER,
	F_MEAN, F_P50, F_P90, F_P99, F_MAX,
	F_ACTIVE, F_OPENED, F_CLOSED, F_FAILED, F_RESETS, F_RETRANS,
	F_CT_ID, F_CT_RUNTIME,
	F_COUNT
};

/* One parsed line: per field its kind, its number, and the text of the
 * string fields (cut to their buffers). */
struct jdoc {
	uint8_t kind[F_COUNT];
	double num[F_COUNT];
	char type[64], ts[64], host[64], event[64], schema[16], role[64], comm[64];
	struct svc_names names; /* service.cgroup, container.{id,runtime}, pod_uid, unit */
};

/* Parses line into doc. Returns 0, or -EINVAL with *why set. */
int jdoc__parse(const char *line, struct jdoc *doc, const char **why);

/* For tests: finds keys by the scan the hashed lookup falls back to (should
 * two keys ever share a slot) when scan is true, by the hash again when
 * false. Not for concurrent use with parsing. */
void jdoc__force_key_scan(bool scan);

#endif /* TT_JDOC_H */
