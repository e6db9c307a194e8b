/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Reading the kernel's log-linear latency histogram (see TT_HIST_* in
 * telltale.h): slot bounds and percentiles.
 */
#ifndef TT_HIST_H
#define TT_HIST_H

#include <stdint.h>

#include "telltale.h"

/* Lowest and one-past-highest latency in ns that fall into slot. */
uint64_t hist__slot_lo(uint32_t slot);
uint64_t hist__slot_hi(uint32_t slot);

/* The q-quantile (0 < q <= 1) of the counts in ns, interpolated linearly
 * inside the slot holding it. Returns 0 when the histogram is empty. */
double hist__quantile(const uint64_t *hist, double q);

/* Upper bound of the highest non-empty slot in ns, 0 when empty. */
double hist__max(const uint64_t *hist);

#endif /* TT_HIST_H */
