/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's two output streams: metrics (metrics, host and agent lines)
 * and alerts. Each line gets its stream's next `seq`, so a consumer can prove
 * nothing was lost or duplicated, and goes to the stream's sink whole.
 */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "out/sink.h"

enum output_stream {
	OUT_METRICS = 0,
	OUT_ALERTS,
	OUT_STREAMS,
};

struct output;

/* One stream's own lines, whichever sink they share. */
struct output_stats {
	uint64_t lines;	  /* lines written, count */
	uint64_t bytes;	  /* bytes of those lines, bytes */
	uint64_t dropped; /* lines given a seq and not written, count */
};

/* Opens the sinks named by the two specs ("-", "none" or a path; the same
 * spec twice shares one sink). Returns NULL with errno set, after printing
 * which spec failed and why. */
struct output *output__open(const char *metrics, const char *alerts, const struct sink_opts *opts);

/* Numbers obj with the stream's next seq (placed after "host", replacing any
 * seq it has) and writes it as one line. Returns 0, or a negative errno when
 * the line was dropped; the drop is counted by the sink. */
int output__line(struct output *out, enum output_stream stream, cJSON *obj);

/* Reopens file sinks (SIGHUP). Returns 0 or the first error. */
int output__reopen(struct output *out);

/* Closes every sink, finishing pending compression. Returns 0 or the first
 * error; NULL is allowed. */
int output__close(struct output *out);

/* The sink of a stream, for its name and counters. */
const struct sink *output__sink(const struct output *out, enum output_stream stream);

/* Lines given a seq so far on a stream. */
uint64_t output__seq(const struct output *out, enum output_stream stream);

/* Copies a stream's own counters into st (a shared sink's counters add up
 * both streams; these never do). */
void output__stats(const struct output *out, enum output_stream stream, struct output_stats *st);

/* True when both streams write to one sink (both "-"). */
bool output__shared(const struct output *out);

/* True once stdout's reader is gone (EPIPE) for either stream: nothing
 * written there will be read again, and the agent should stop. */
bool output__gone(const struct output *out);

/* "metrics" or "alerts". */
const char *output__stream_name(enum output_stream stream);

/* Prints one line with each stream's lines written and dropped to f: the
 * totals at exit, on stderr, where they survive a lost stop line. */
void output__report(const struct output *out, FILE *f);

#endif /* TT_OUTPUT_H */
