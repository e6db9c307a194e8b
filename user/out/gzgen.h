/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The compressor of a file sink's rotated generations: a background thread
 * gzips every plain PATH.k (k = 1..keep) into PATH.k.gz by way of
 * PATH.k.gz.tmp, so the .gz name only ever holds a whole, synced stream, and
 * then removes PATH.k. A generation that fails stays plain and is retried by
 * the next run. The thread only touches rotated files and blocks every
 * signal.
 */
#ifndef TT_GZGEN_H
#define TT_GZGEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct gzgen {
	const char *path; /* the sink's PATH, kept alive by the caller */
	uint32_t keep;	  /* generations to look at */
	bool running;
	pthread_t thread;
	int err;	 /* first error of the last run; read after gzgen__wait */
	uint64_t errors; /* generations left plain by a failure, count */
};

/* Starts a run over PATH.1 .. PATH.keep (in the caller's thread when no
 * thread can be had). The previous run must have been waited for. */
void gzgen__start(struct gzgen *g, const char *path, uint32_t keep);

/* Waits for a running compression. Returns the last run's first error, 0
 * when none (or nothing ran). */
int gzgen__wait(struct gzgen *g);

/* Generations left plain so far; may lag a running compression. */
uint64_t gzgen__errors(const struct gzgen *g);

#endif /* TT_GZGEN_H */
