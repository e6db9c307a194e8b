// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/evict.h"
#include "agent/percpu.h"
#include "telltale.h"

#define BATCH 1024
/* The kernel's "not supported" of its own: not in userspace's headers. */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

struct batch {
	__u64 keys[BATCH];
	struct tt_sock vals[BATCH];
};

int evict__init(struct evict_watch *w, int socks_fd, int counters_fd, uint32_t max_sockets)
{
	int ncpus = libbpf_num_possible_cpus();

	memset(w, 0, sizeof(*w));
	w->socks_fd = socks_fd;
	w->counters_fd = counters_fd;
	w->max_sockets = max_sockets;
	/* An LRU hash hands each CPU free entries in batches of 128 (the
	 * kernel's LOCAL_FREE_TARGET), and a CPU whose batch ran out may
	 * evict while other CPUs still hold free ones. */
	w->slack = 128u * (uint32_t)(ncpus > 0 ? ncpus : 1);
	if (socks_fd < 0)
		return 0;
	/* Zeroed: valgrind does not see the kernel fill a batch. */
	w->buf = calloc(1, sizeof(struct batch));
	return w->buf ? 0 : -ENOMEM;
}

void evict__free(struct evict_watch *w)
{
	free(w->buf);
	w->buf = NULL;
}

static void tally(const struct tt_sock *v, uint32_t nslots, const uint16_t *gens, uint32_t *live)
{
	if ((v->flags & TT_SOCK_F_COUNTED) && v->slot < nslots && v->gen == gens[v->slot])
		live[v->slot]++;
}

/* One entry at a time, as kernels before 5.6 allow. Returns the entries.
 * A key deleted under the cursor starts the walk over from the first, so
 * under churn it is bounded at twice what the hash holds. */
static long walk_keys(int fd, uint32_t max, uint32_t nslots, const uint16_t *gens,
		      uint32_t *live)
{
	__u64 key, next, *cursor = NULL;
	struct tt_sock v = { 0 };
	long n = 0;

	while (n < 2 * (long)max && !bpf_map_get_next_key(fd, cursor, &next)) {
		key = next;
		cursor = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue; /* closed meanwhile */
		tally(&v, nslots, gens, live);
		n++;
	}
	return n;
}

/* BATCH entries a call. Returns the entries, or a negative errno. */
static long walk_batches(int fd, struct batch *b, uint32_t nslots, const uint16_t *gens,
			 uint32_t *live)
{
	__u64 in = 0, out = 0;
	void *cursor = NULL;
	__u32 count, i;
	long n = 0;
	int err;

	do {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, cursor, &out, b->keys, b->vals, &count, NULL);
		if (err && err != -ENOENT)
			return err;
		for (i = 0; i < count; i++)
			tally(&b->vals[i], nslots, gens, live);
		n += count;
		in = out;
		cursor = &in;
	} while (!err);
	return n;
}

static long walk(struct evict_watch *w, uint32_t nslots, const uint16_t *gens, uint32_t *live)
{
	long n;

	memset(live, 0, nslots * sizeof(*live));
	if (w->no_batch)
		return walk_keys(w->socks_fd, w->max_sockets, nslots, gens, live);
	n = walk_batches(w->socks_fd, w->buf, nslots, gens, live);
	if (n >= 0)
		return n;
	/* EINVAL or ENOTSUPP: no batch lookups in this kernel; anything else
	 * (ENOSPC: a bucket longer than a batch) this walk only. */
	if (n == -EINVAL || n == -ENOTSUPP || n == -EOPNOTSUPP)
		w->no_batch = true;
	memset(live, 0, nslots * sizeof(*live));
	return walk_keys(w->socks_fd, w->max_sockets, nslots, gens, live);
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int evict__live(struct evict_watch *w, uint32_t nslots, const uint16_t *gens, uint32_t *live)
{
	double start = monotonic_s();
	uint64_t created;
	long n;

	if (w->socks_fd < 0 || start < w->next_walk)
		return 0;
	/* The hash has held at most what the last walk found plus every
	 * socket created since: short of full by the slack, nothing can have
	 * been evicted since, not even by a burst that closed again. */
	created = percpu__sum(w->counters_fd, TT_CNT_SOCK_NEW);
	if (w->found + (created - w->created) + w->slack < w->max_sockets)
		return 0;
	n = walk(w, nslots, gens, live);
	if (n < 0)
		return (int)n;
	w->walks++;
	w->next_walk = start + (monotonic_s() - start) / EVICT_WALK_SHARE;
	/* Read before the walk: what it found may include a few sockets
	 * created after, which only makes the next check walk sooner. */
	w->found = (uint64_t)n;
	w->created = created;
	return 1;
}
