/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * JSON encoding of the agent's own measurement lines (metrics, host) and the
 * single write that puts any line on a stream. One line is one JSON object,
 * written whole.
 */
#ifndef TT_EMIT_H
#define TT_EMIT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "lib/line.h"

/* The metrics line of one service interval. Returns NULL on out of memory. */
cJSON *emit__metrics(const struct svc_sample *s, const char *host);

/* The host line of one interval. Returns NULL on out of memory. */
cJSON *emit__host(const struct host_sample *h, const char *host);

/* The agent line saying service id retired at ts after idle_s seconds
 * without an open connection or an event. Returns NULL on out of memory. */
cJSON *emit__retired(const struct svc_id *id, double ts, double idle_s, const char *host);

/* Writes obj as one line (no newlines inside) with a single fwrite and
 * flushes. Returns 0, or a negative errno; on error nothing or a whole line
 * may have been written, never part of one that is then followed by more. */
int emit__line(FILE *f, const cJSON *obj);

#endif /* TT_EMIT_H */
