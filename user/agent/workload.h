/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Names for the numbers the kernel keys a service by: a cgroup v2 id becomes
 * its path under the cgroup root (on cgroup v2 the id is the inode number of
 * the cgroup's directory) and what the path says (agent/cgname.h); a netns
 * inode is marked when it is the host's.
 *
 * Finding an id's path means walking the cgroup tree, thousands of
 * directories on a Kubernetes node, so a background thread walks it and
 * keeps the last walk as a sorted id -> path table; the collection loop only
 * searches that table under a mutex the walker holds just to swap it in. An
 * id the table lacks asks for a new walk and is answered by a later call.
 * Walks are spaced (at least min_walk_gap_s apart, and twenty times as long
 * as the last one took), so a flood of new containers costs the agent at
 * most about 5 % of a core.
 */
#ifndef TT_WORKLOAD_H
#define TT_WORKLOAD_H

#include <stdint.h>

#include "lib/sample.h"

struct workload_opts {
	const char *proc;	 /* procfs root; NULL = "/proc" */
	const char *cgroup_root; /* cgroup v2 mount; NULL = found in PROC/self/mountinfo */
	double min_walk_gap_s;	 /* least time from one walk's end to the next's start */
	uint32_t max_cgroups;	 /* cgroups kept from a walk; 0 = 65536 */
};

struct workload_stats {
	uint64_t walks;	      /* walks of the cgroup tree done */
	uint64_t cgroups;     /* cgroups the last walk found */
	uint64_t truncated;   /* walks that stopped at max_cgroups */
	uint64_t unresolved;  /* ids no walk after their first sight found */
	double last_walk_s;   /* how long the last walk took */
	uint32_t host_netns;  /* the host's netns inode, 0 unknown */
};

struct workload;

/* Reads which netns is the host's (PROC/1/ns/net, else PROC/self/ns/net) and
 * where cgroup v2 is mounted; starts no thread. Without cgroup v2 it still
 * works and resolves nothing. Returns NULL with errno set (ENOMEM). */
struct workload *workload__new(const struct workload_opts *opts);

/* Starts the walker thread and its first walk. Call it after dropping
 * privileges: capabilities are per thread, and the walker needs none.
 * Returns 0, or a negative errno (then lookups are answered by
 * workload__refresh only). */
int workload__start(struct workload *w);

/* Stops the walker and frees everything; NULL is allowed. */
void workload__free(struct workload *w);

/* Walks the cgroup tree now, in the caller's thread (tests, tools, and the
 * agent before its thread starts). Returns 0, or a negative errno. */
int workload__refresh(struct workload *w);

/* Fills id->host_netns and, from id->cgroup, id->names, without blocking on
 * I/O. Returns 0 when the names are final (found, or known to be
 * unresolvable, or id->cgroup is 0), -EAGAIN when a walk is still to answer:
 * call again at a later interval. */
int workload__fill(struct workload *w, struct svc_id *id);

/* The path of cgroup id under the root ("/system.slice/nginx.service") into
 * buf, from the last walk. Returns 0, -ENOENT, or -ENAMETOOLONG. */
int workload__path(struct workload *w, uint64_t id, char *buf, size_t len);

/* The cgroup root in use ("" when there is no cgroup v2). */
const char *workload__root(const struct workload *w);

/* Copies the counters. */
void workload__stats(struct workload *w, struct workload_stats *st);

#endif /* TT_WORKLOAD_H */
