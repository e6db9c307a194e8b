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

/* A collector for the per-CPU service stats array svcs_fd and the slot
 * owners map owner_fd, both of max_services entries. Returns NULL and sets
 * errno on failure. */
struct collector *collect__new(int svcs_fd, int owner_fd, uint32_t max_services);

void collect__free(struct collector *c);

/* Reads the map and fills *out with one sample per service that was active
 * in the interval ending at ts (seconds since the epoch) and lasting
 * interval_s: requests, connection events, or open connections. *out stays
 * owned by the collector until the next call. Returns 0, or a negative
 * errno. */
int collect__read(struct collector *c, double ts, double interval_s,
		  const struct svc_sample **out, size_t *n);

/* Fills s from the change between two cumulative readings of one service. */
struct tt_svc_stats;
void collect__delta(const struct tt_svc_stats *prev, const struct tt_svc_stats *cur,
		    double interval_s, struct svc_sample *s);

#endif /* TT_COLLECT_H */
