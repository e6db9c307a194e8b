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

#define TT_SCHEMA_VERSION "1.0"

/* Formats ts (seconds since the epoch) as "2026-11-23T05:42:13.123Z" into
 * buf, which holds at least 32 bytes. Returns buf. */
char *line__iso8601(double ts, char *buf, size_t len);

/* Parses the format above (also without milliseconds) back into seconds
 * since the epoch. Returns 0, or -EINVAL. */
int line__parse_iso8601(const char *s, double *ts);

/* {"role":"server","port":8080,"comm":"nginx"}; comm is left out when
 * unknown. Returns NULL on out of memory. */
cJSON *line__service(const struct svc_id *id);

/* A new object holding "ts", "type", "schema" and "host", the fields every
 * line starts with. Returns NULL on out of memory. */
cJSON *line__header(double ts, const char *type, const char *host);

/* Rounds v to the given number of decimals, so printed figures stay short
 * and identical across runs. */
double line__round(double v, int decimals);

#endif /* TT_LINE_H */
