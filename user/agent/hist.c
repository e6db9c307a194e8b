// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "agent/hist.h"

/* Lowest histogram unit value of a slot; the inverse of tt_hist_slot. */
static uint64_t slot_lo_units(uint32_t slot)
{
	uint32_t log2, sub;

	if (slot < TT_HIST_SUB)
		return slot;
	log2 = slot / TT_HIST_SUB + TT_HIST_SUB_BITS - 1;
	sub = slot % TT_HIST_SUB;
	return ((uint64_t)1 << log2) + ((uint64_t)sub << (log2 - TT_HIST_SUB_BITS));
}

uint64_t hist__slot_lo(uint32_t slot)
{
	return slot_lo_units(slot) << TT_HIST_UNIT_SHIFT;
}

uint64_t hist__slot_hi(uint32_t slot)
{
	if (slot + 1 >= TT_HIST_SLOTS)
		return (uint64_t)1 << (TT_HIST_MAX_LOG2 + 1 + TT_HIST_UNIT_SHIFT);
	return hist__slot_lo(slot + 1);
}

double hist__quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;
	double rank;
	uint32_t i;

	for (i = 0; i < TT_HIST_SLOTS; i++)
		total += hist[i];
	if (!total)
		return 0;
	rank = q * (double)total;
	for (i = 0; i < TT_HIST_SLOTS; i++) {
		if (!hist[i] || (double)(seen + hist[i]) < rank) {
			seen += hist[i];
			continue;
		}
		/* Spread the slot's counts evenly over its width. */
		double lo = (double)hist__slot_lo(i), hi = (double)hist__slot_hi(i);
		double frac = (rank - (double)seen) / (double)hist[i];

		return lo + (hi - lo) * frac;
	}
	return (double)hist__slot_hi(TT_HIST_SLOTS - 1);
}

double hist__max(const uint64_t *hist)
{
	int i;

	for (i = TT_HIST_SLOTS - 1; i >= 0; i--)
		if (hist[i])
			return (double)hist__slot_hi(i);
	return 0;
}
