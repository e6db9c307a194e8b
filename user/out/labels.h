/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A service's identity as label pairs, for the exporters (the Prometheus
 * endpoint's series, Alertmanager's alerts), and their escaping in the text
 * exposition format. The one place the identity labels are listed.
 */
#ifndef TT_LABELS_H
#define TT_LABELS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "lib/sample.h"

#define LABELS_MAX 12	       /* pairs of one service */
#define LABEL_VALUE_MAX 256    /* bytes of a value, NUL included; longer is cut */

struct label {
	char name[32];		     /* "role", "port", ... */
	char value[LABEL_VALUE_MAX];
};

/* The label pairs of id that are known, in this order, into out[LABELS_MAX]:
 * role, port, comm, other ("true" on an overflow service), netns, cgroup
 * (the path, else the id as a number), cgroup_id, container_id,
 * container_runtime, pod_uid, unit. Two services that are not svc_id__same
 * never get the same pairs: role, port, other, netns and cgroup_id are the
 * identity. Returns how many were written. */
size_t labels__service(const struct svc_id *id, struct label *out);

/* The label pairs of a line's "service" object (line__service's fields):
 * the service it describes, labelled by labels__service, so an alert's
 * labels are its service's series' labels. Members it does not know, or of
 * the wrong type, are left out; a service object without a role and port
 * gives none. Returns how many were written. */
size_t labels__from_json(const cJSON *service, struct label *out);

/* Appends `name="value"` pairs, comma-separated, escaped for the text
 * exposition formats (backslash, double quote, newline), to buf (NUL-ended,
 * cut at len). Returns the length the whole text needs, like snprintf. */
size_t labels__format(const struct label *l, size_t n, char *buf, size_t len);

#endif /* TT_LABELS_H */
