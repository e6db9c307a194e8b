/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * JSON encoding of the lines telltale prints: metrics, host and the pieces
 * alert lines share with them. One line is one JSON object, written whole.
 */
#ifndef TT_EMIT_H
#define TT_EMIT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "sample.h"

#define TT_SCHEMA_VERSION "1.0"

/* Formats ts (seconds since the epoch) as "2026-11-23T05:42:13.123Z" into
 * buf, which holds at least 32 bytes. Returns buf. */
char *emit__iso8601(double ts, char *buf, size_t len);

/* Parses the format above (also without milliseconds) back into seconds
 * since the epoch. Returns 0, or -EINVAL. */
int emit__parse_iso8601(const char *s, double *ts);

/* {"role":"server","port":8080,"comm":"nginx"}; comm is left out when
 * unknown. Returns NULL on out of memory. */
cJSON *emit__service(const struct svc_id *id);

/* A new object holding "ts", "type" and "host", the fields every line starts
 * with. Returns NULL on out of memory. */
cJSON *emit__header(double ts, const char *type, const char *host);

/* The metrics line of one service interval. Returns NULL on out of memory. */
cJSON *emit__metrics(const struct svc_sample *s, const char *host);

/* The host line of one interval. Returns NULL on out of memory. */
cJSON *emit__host(const struct host_sample *h, const char *host);

/* Writes obj as one line (no newlines inside) with a single fwrite and
 * flushes. Returns 0, or a negative errno; on error nothing or a whole line
 * may have been written, never part of one that is then followed by more. */
int emit__line(FILE *f, const cJSON *obj);

/* Rounds v to the given number of decimals, so printed figures stay short
 * and identical across runs. */
double emit__round(double v, int decimals);

#endif /* TT_EMIT_H */
