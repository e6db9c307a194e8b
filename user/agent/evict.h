/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The classic program sets keep socket state in an LRU hash. Full, it
 * evicts its least recently used entry and tells no program: a live
 * connection evicted is never seen to close, and its next data adopts it
 * and counts it open a second time, so the active gauge (opened + adopted -
 * closed) only grows. 1,500 connections through a hash of 1,024 sockets,
 * each used three times, left it at 10,500 on their port after all had
 * closed. While the hash may be evicting, the collector has each service's
 * live counted sockets in it counted here, and takes the gauge's excess
 * off (agent/collect.c).
 */
#ifndef TT_EVICT_H
#define TT_EVICT_H

#include <stdbool.h>
#include <stdint.h>

/* The most of the agent's time walks may take: a walk of the default 49,152
 * sockets takes 18-24 ms in batches, 151-207 ms an entry at a time
 * (build/tools/walk_bench), so before 5.6 a full hash is walked every 7-10 s
 * instead of every interval. */
#define EVICT_WALK_SHARE 0.02

struct evict_watch {
	int socks_fd;	      /* the classic sets' socket hash, -1 for none */
	int counters_fd;      /* the global counters (enum tt_counter) */
	uint32_t max_sockets; /* the hash's entries */
	uint32_t slack;	      /* how far short of full it may evict */
	uint64_t found;	      /* entries the last walk found */
	uint64_t created;     /* sockets created as of the last walk */
	uint64_t walks;	      /* walks done */
	double next_walk;     /* CLOCK_MONOTONIC s before which none starts */
	bool no_batch;	      /* the kernel has no batch lookups (before 5.6) */
	void *buf;	      /* one batch of keys and values */
};

/* Watches the hash socks_fd of max_sockets entries (-1: nothing to watch).
 * Returns 0 or -ENOMEM. */
int evict__init(struct evict_watch *w, int socks_fd, int counters_fd, uint32_t max_sockets);

void evict__free(struct evict_watch *w);

/* When the hash may have evicted since the last walk, and the walks so far
 * leave time for another within EVICT_WALK_SHARE of the time, walks it and counts
 * into live[slot] (nslots of them) the live sockets counted in the gauge of
 * slot's generation gens[slot], and returns 1; returns 0 without a walk
 * (live unchanged), or a negative errno. */
int evict__live(struct evict_watch *w, uint32_t nslots, const uint16_t *gens, uint32_t *live);

#endif /* TT_EVICT_H */
