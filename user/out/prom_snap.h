/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Inside a Prometheus snapshot, shared by the state that builds it
 * (promstate.c) and the renderer (prom.c); nothing else looks in here.
 * A snapshot is immutable once built, but for the rendered texts: whichever
 * thread renders a format first (a scrape, or the endpoint's render-ahead
 * thread) marks it rendering under the lock, renders outside it and stores
 * the text under it; the others wait on the condition variable.
 */
#ifndef TT_PROM_SNAP_H
#define TT_PROM_SNAP_H

#include <pthread.h>
#include <stdatomic.h>

#include "out/prom.h"

#define PROM_NO_HIST UINT32_MAX
#define PROM_LE_LEN 32

/* One service's series. */
struct prom_svc_point {
	uint32_t labels;	  /* offset of its label text in the pool */
	uint32_t counts;	  /* first of n_buckets + 1 bucket counts, or PROM_NO_HIST */
	double created;		  /* first seen, s since the epoch (OpenMetrics _created) */
	uint64_t c[PF_SVC_COUNT]; /* by family; PF_DURATION's is unused */
	double sum_s;		  /* sum of request latencies, s */
	double expected_s[MODEL_OUTS];
	float score[METRIC_SVC_COUNT];
	bool ready;  /* expected_s holds the model's prediction */
	bool scored; /* score holds the detectors' */
};

/* One point of the other families. */
struct prom_point {
	uint32_t family;
	uint32_t labels; /* offset in the pool */
	double value;
};

struct prom_snap {
	atomic_int refs;
	pthread_mutex_t lock;	 /* guards text[], text_len[] and rendering[] */
	pthread_cond_t rendered; /* a render ended */
	double ts, start_ts;
	uint32_t n_buckets;
	char le[PROM_MAX_BUCKETS][PROM_LE_LEN]; /* each bound's label: le="0.000016384" */
	uint8_t le_len[PROM_MAX_BUCKETS];
	struct prom_svc_point *svcs;
	size_t n_svcs;
	uint64_t *counts;
	struct prom_point *points; /* sorted by family */
	size_t n_points;
	char *pool; /* NUL-ended label texts */
	size_t pool_len;
	char *text[2];
	size_t text_len[2];
	bool rendering[2]; /* a thread is rendering this format */
};

/* Formats ns as seconds with every digit, "0.000016384". Returns buf. */
char *prom__ns_text(uint64_t ns, char *buf, size_t len);

#endif /* TT_PROM_SNAP_H */
