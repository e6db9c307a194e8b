/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Short episodes that recur at the same time of day. A job that runs for
 * 10 to 60 minutes at the same hour every day (a backup, a report, a cache
 * refresh) is too narrow for the profiles' 30 min bins to draw: a 15 min
 * job is half a bin, so it stays an episode every day. Once two such
 * episodes in the same direction started at that time of day, one to seven
 * days before (a job on working days only is as due on Monday as on
 * Tuesday), the next is a schedule's and not an anomaly: it runs as an
 * episode (the state does not learn it as normal) but raises no alert and
 * costs no budget. A one-point spike is not a job and never counts, nor is
 * an episode an hour long or more, which the profiles can learn.
 */
#ifndef TT_RECUR_H
#define TT_RECUR_H

#include <stdbool.h>
#include <stdint.h>

/* An episode counts when its unexplained part lasted this long (s) and
 * less than RECUR_MAX_S. */
#define RECUR_MIN_S 600
#define RECUR_MAX_S 3600
/* A start this near (s) to an earlier one's time of day recurs. */
#define RECUR_WINDOW_S 5400
/* ... when the earlier ones were at most this many days before. */
#define RECUR_DAYS 7

/* The last two short episodes' starts (4 bytes: every series has one). */
struct recur {
	/* 0: empty; else bit 15 set, bit 14 a rise, bits 0-13 the start on
	 * the profiles' clock in 4 min steps, modulo 45.5 days. */
	uint16_t at[2];
};

/* Whether an episode in direction `rise` starting at `clock` (the profiles'
 * clock, s) recurs: both remembered starts in its direction lie 1 to
 * RECUR_DAYS days before it, within RECUR_WINDOW_S of its time of day. */
bool recur__due(const struct recur *r, double clock, bool rise);

/* Remembers an episode that started at `start` (s) and whose unexplained
 * part lasted `span` (s), in place of the older start, if it counts. */
void recur__note(struct recur *r, double start, double span, bool rise);

#endif /* TT_RECUR_H */
