/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The names of the services' cgroups, interned: every name is derived from
 * the cgroup's path, so all services of one cgroup (a pod's or a unit's
 * server and client) share one entry instead of a copy each. An entry is
 * found by cgroup id and its names; it lives while a series holds it. It
 * keeps the names packed, each string its own length: the fixed fields of
 * struct svc_names are 466 bytes, a unit's names a few dozen.
 */
#ifndef TT_NAMES_H
#define TT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sample.h"

struct names_entry {
	struct names_entry *next; /* in its bucket */
	uint64_t cgroup;	  /* cgroup id the names came with */
	uint32_t refs;		  /* series holding the entry */
	uint32_t len;		  /* bytes in packed */
	char packed[];		  /* the five names in struct svc_names' order,
				   * each ending in a NUL */
};

struct names_table {
	struct names_entry **buckets; /* by cgroup id; NULL while empty */
	uint32_t mask;		      /* buckets - 1 */
	uint32_t n;		      /* entries */
	size_t entry_bytes;	      /* bytes of the entries, packed names included */
};

/* The entry holding names n of cgroup, shared when one exists, with one more
 * reference. A stream that names one cgroup id two ways (or names cgroup 0)
 * gets an entry per distinct names, so a service keeps the names it came
 * with. Returns NULL on out of memory, the table unchanged. */
struct names_entry *names__get(struct names_table *t, uint64_t cgroup, const struct svc_names *n);

/* Writes e's names into out, every field of it. */
void names__copy(const struct names_entry *e, struct svc_names *out);

/* Drops one reference to e, freeing it with its last. NULL is allowed. */
void names__put(struct names_table *t, struct names_entry *e);

/* Bytes the table holds: its entries and buckets (0 while empty). */
size_t names__bytes(const struct names_table *t);

/* Frees every entry and the buckets; t is then empty and reusable. */
void names__free(struct names_table *t);

#endif /* TT_NAMES_H */
