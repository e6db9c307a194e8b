// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>

#include "core/recur.h"

#define STEP_S 240.0
#define VALID 0x8000u
#define RISE 0x4000u
#define WHEN 0x3fffu
#define DAY_S 86400.0

static unsigned steps(double clock)
{
	double s = floor(clock / STEP_S);

	return (unsigned)(s - (WHEN + 1.0) * floor(s / (WHEN + 1.0))) & WHEN;
}

/* Seconds from a remembered start to `now` (steps modulo 45.5 days). */
static double ago(uint16_t at, unsigned now)
{
	return ((now - (at & WHEN)) & WHEN) * STEP_S;
}

bool recur__due(const struct recur *r, double clock, bool rise)
{
	unsigned i, now = steps(clock);

	for (i = 0; i < 2; i++) {
		uint16_t at = r->at[i];
		double a = ago(at, now), off = fabs(a - DAY_S * floor(a / DAY_S + 0.5));

		if (!(at & VALID) || !(at & RISE) != !rise)
			return false;
		if (a < DAY_S - RECUR_WINDOW_S || a > RECUR_DAYS * DAY_S + RECUR_WINDOW_S ||
		    off > RECUR_WINDOW_S)
			return false;
	}
	return true;
}

void recur__note(struct recur *r, double start, double span, bool rise)
{
	unsigned now = steps(start), slot;

	if (!(span >= RECUR_MIN_S && span < RECUR_MAX_S) || !isfinite(start))
		return;
	/* The empty slot, else the older start. */
	if (!(r->at[0] & VALID))
		slot = 0;
	else if (!(r->at[1] & VALID))
		slot = 1;
	else
		slot = ago(r->at[0], now) >= ago(r->at[1], now) ? 0 : 1;
	r->at[slot] = (uint16_t)(VALID | (rise ? RISE : 0) | now);
}
