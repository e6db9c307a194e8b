/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A service's identity as label pairs, for the exporters (the Prometheus
 * endpoint's series, Alertmanager's alerts), and their escaping in the text
 * exposition format. The one place the identity labels are listed: the
 * workload identity labels join in labels__service.
 */
#ifndef TT_LABELS_H
#define TT_LABELS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/sample.h"

#define LABELS_MAX 8	       /* pairs of one service */
#define LABEL_VALUE_MAX 256    /* bytes of a value, NUL included; longer is cut */

struct label {
	char name[32];		     /* "role", "port", ... */
	char value[LABEL_VALUE_MAX];
};

/* The identity label pairs of id (role, port, comm when known), in a fixed
 * order, into out[LABELS_MAX]. Returns how many were written. */
size_t labels__service(const struct svc_id *id, struct label *out);

/* The label pairs of a line's "service" object: each scalar member by its
 * name, a nested object's members as OUTER_INNER. For a line made by
 * line__service this gives what labels__service gives (a unit test holds
 * them together). Returns how many were written, at most LABELS_MAX. */
size_t labels__from_json(const cJSON *service, struct label *out);

/* Appends `name="value"` pairs, comma-separated, escaped for the text
 * exposition formats (backslash, double quote, newline), to buf (NUL-ended,
 * cut at len). Returns the length the whole text needs, like snprintf. */
size_t labels__format(const struct label *l, size_t n, char *buf, size_t len);

#endif /* TT_LABELS_H */
