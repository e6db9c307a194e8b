/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Turns the kernel's cumulative per-service counters into per-interval
 * samples: sums CPUs, takes deltas against the previous read, computes rates
 * and percentiles. Nothing is ever deleted from the kernel maps, so no
 * increment is lost between a read and a reset.
 */
#ifndef TT_COLLECT_H
#define TT_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sample.h"

struct collector;
struct workload;
struct tt_svc_key;
struct tt_svc_stats;

/* Called when a service retires (see collect__set_idle) with its slot and
 * kernel key. Returns 0 when the kernel slot has been freed for a new
 * service, whose counters must then start from zero: the collector forgets
 * the slot's reading. Any other value keeps the slot (and its reading) as it
 * is: a later event brings the service back as a new one. */
typedef int (*collect_retire_fn)(uint32_t slot, const struct tt_svc_key *key, void *ctx);

/* A collector for the per-CPU service stats array svcs_fd and the slot
 * owners map owner_fd, both of max_services entries. Returns NULL and sets
 * errno on failure. */
struct collector *collect__new(int svcs_fd, int owner_fd, uint32_t max_services);

void collect__free(struct collector *c);

/* Names services through w (not owned; NULL leaves them unnamed). A service
 * whose names a cgroup walk has yet to find is held back one interval (its
 * counts go into the next one), so that its first line already carries
 * them; after that it is reported with what is known. */
void collect__set_workload(struct collector *c, struct workload *w);

/* A service with no open connection and no event for idle_s seconds (0 =
 * never) retires: it is listed once by collect__retired, fn (may be NULL)
 * is called, and if it comes back it is a new service. */
void collect__set_idle(struct collector *c, double idle_s, collect_retire_fn fn, void *ctx);

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
 * (collect__key_id) and its CPU-summed cumulative reading, end it to get the
 * samples. collect__slot returns 0, or -EINVAL for a slot past
 * max_services. */
void collect__begin(struct collector *c, double ts, double interval_s);
int collect__slot(struct collector *c, uint32_t slot, const struct tt_svc_key *key,
		  const struct svc_id *id, const struct tt_svc_stats *cur);
void collect__end(struct collector *c, const struct svc_sample **out, size_t *n);

/* Forgets slot's previous reading: the kernel gave the slot to a new service
 * whose counters start from zero. A slot whose owner key changes, or whose
 * counters go back, is forgotten by itself. */
void collect__forget_slot(struct collector *c, uint32_t slot);

/* Fills s from the change between two cumulative readings of one service. */
void collect__delta(const struct tt_svc_stats *prev, const struct tt_svc_stats *cur,
		    double interval_s, struct svc_sample *s);

#endif /* TT_COLLECT_H */
