/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A service's dependencies, for the latency model's load features: the
 * client services of its network namespace (a pod's or a container's), and
 * on the host's namespace, which every unit shares, those of its own cgroup.
 * A service whose netns is unknown counts as on the host's, so without
 * identity (lines from before it, or the agent before the kernel reports
 * it) the scope is the whole host, as it always was.
 */
#ifndef TT_DEPS_H
#define TT_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sample.h"

/* One interval's active client connections to dependency ports, per scope. */
struct deps {
	struct dep_sum *sums; /* sorted by scope */
	size_t n, cap;
};

/* Whether a and b share a dependency scope. */
bool deps__same_scope(const struct svc_id *a, const struct svc_id *b);

/* Sums, per scope, the active connections of the client samples of s whose
 * port is one of ports. Returns 0, or -ENOMEM (d then holds no sums). */
int deps__build(struct deps *d, const struct svc_sample *s, size_t n, const uint16_t *ports,
		unsigned nports);

/* The active dependency connections of id's scope in the last build. */
double deps__connections(const struct deps *d, const struct svc_id *id);

/* Frees the sums; d may be reused after deps__build again. */
void deps__free(struct deps *d);

#endif /* TT_DEPS_H */
