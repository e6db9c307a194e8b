/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Turns the kernel's cumulative per-service counters into per-interval
 * samples: sums CPUs, takes deltas against the previous read, computes rates
 * and percentiles. Nothing is reset while its service lives, so no increment
 * is lost between a read and a reset; a retired service's slot is zeroed
 * for its next owner only once no program can still write to it.
 */
#ifndef TT_COLLECT_H
#define TT_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sample.h"
#include "telltale.h"

struct collector;
struct workload;

/* One slot's cumulative reading: the per-CPU counters summed over CPUs
 * (the largest maximum, the first name), and the shared histogram as the
 * kernel counts it, modulo 2^32. */
struct svc_reading {
	uint64_t requests, lat_sum_ns, lat_max_ns;
	uint64_t opened, closed, adopted, failed, resets, retransmits;
	char comm[TT_COMM_LEN];
	uint32_t untracked; /* shared, modulo 2^32: opened apart (tt_svc_shared) */
	uint16_t gen;	    /* shared: the slot's generation */
	uint32_t hist[TT_HIST_SLOTS];
};

/* What frees a retired service's kernel slot, in two steps (bpf/svc.bpf.h):
 * retire hides the slot from new events (0 on success; otherwise the slot
 * stays as it is, and a later event brings the service back as a new one);
 * release, called at the next read, when no program can still be writing to
 * it, zeroes the slot and hands it back for a new service. */
struct collect_slot_ops {
	int (*retire)(uint32_t slot, const struct tt_svc_key *key, void *ctx);
	int (*release)(uint32_t slot, void *ctx);
};

/* A collector for the per-CPU service counters svcs_fd, the shared
 * histograms shared_fd and the slot owners owner_fd, all of nslots entries.
 * Returns NULL and sets errno on failure. */
struct collector *collect__new(int svcs_fd, int shared_fd, int owner_fd, uint32_t nslots);

void collect__free(struct collector *c);

/* Names services through w (not owned; NULL leaves them unnamed). A service
 * whose names a cgroup walk has yet to find is held back one interval (its
 * counts go into the next one), so that its first line already carries
 * them; after that it is reported with what is known. */
void collect__set_workload(struct collector *c, struct workload *w);

/* A service with no open connection and no event for idle_s seconds (0 =
 * never) retires: it is listed once by collect__retired, its slot freed
 * through ops (NULL: kept), and if it comes back it is a new service. */
void collect__set_idle(struct collector *c, double idle_s, const struct collect_slot_ops *ops,
		       void *ctx);

/* Takes off each service's active gauge the connections the classic sets'
 * socket hash socks_fd (max_sockets entries) evicted alive, when it may
 * have (agent/evict.h); counters_fd is the global counters map. Returns 0,
 * or -ENOMEM. */
int collect__set_socks(struct collector *c, int socks_fd, int counters_fd, uint32_t max_sockets);

/* Walks of the socket hash so far (agent/evict.h). */
uint64_t collect__socks_walks(const struct collector *c);

/* Slots freed for new services since start, and events that reached a
 * retired slot after its service retired (counted, not reported: the
 * service was gone). */
void collect__slot_stats(const struct collector *c, uint64_t *released, uint64_t *late);

/* Reads the map and fills *out with one sample per service that was active
 * in the interval ending at ts (seconds since the epoch) and lasting
 * interval_s: requests, connection events, or open connections. *out stays
 * owned by the collector until the next call. Returns 0, or a negative
 * errno. */
int collect__read(struct collector *c, double ts, double interval_s,
		  const struct svc_sample **out, size_t *n);

/* The services that retired in the last collect__read, valid until the
 * next one. */
void collect__retired(const struct collector *c, const struct svc_id **ids, size_t *n);

/* The service a kernel key names: the one place the kernel's key becomes a
 * struct svc_id. Labels (comm, names) are left empty. */
void collect__key_id(const struct tt_svc_key *key, struct svc_id *id);

/* collect__read in three steps, for callers that read the map themselves
 * (and tests): begin an interval, feed every slot's owner key, its identity
 * (collect__key_id) and its cumulative reading, end it to get the samples.
 * collect__slot returns 0, or -EINVAL for a slot past nslots. */
void collect__begin(struct collector *c, double ts, double interval_s);
int collect__slot(struct collector *c, uint32_t slot, const struct tt_svc_key *key,
		  const struct svc_id *id, const struct svc_reading *cur);
void collect__end(struct collector *c, const struct svc_sample **out, size_t *n);

/* Fills s from the change between two cumulative readings of one service. */
void collect__delta(const struct svc_reading *prev, const struct svc_reading *cur,
		    double interval_s, struct svc_sample *s);

#endif /* TT_COLLECT_H */
