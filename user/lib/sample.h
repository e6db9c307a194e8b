/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One interval's measurements as the rest of the agent sees them: what the
 * collector produces from the kernel maps and /proc, what a replayed metrics
 * line parses into, and what the anomaly core consumes.
 */
#ifndef TT_SAMPLE_H
#define TT_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "telltale.h"

struct svc_id {
	char comm[TT_COMM_LEN]; /* owning process name, "" when unknown */
	uint16_t port;		/* local port (server) or remote port (client) */
	uint8_t role;		/* TT_ROLE_SERVER or TT_ROLE_CLIENT */
};

struct svc_sample {
	struct svc_id id;
	double ts;	    /* end of the interval, seconds since the epoch */
	double interval_s;  /* length of the interval, s */
	uint64_t requests;  /* completed requests in the interval */
	double rps;	    /* requests / interval_s */
	bool has_latency;   /* false when requests == 0: latency fields unset */
	double lat_mean_us; /* request latency, microseconds */
	double lat_p50_us;
	double lat_p90_us;
	double lat_p99_us;
	double lat_max_us;
	uint64_t active;      /* connections open at the end of the interval */
	uint64_t opened;      /* connections opened in the interval */
	uint64_t closed;      /* ... closed */
	uint64_t failed;      /* ... failed connects */
	uint64_t resets;      /* ... RSTs sent or received */
	uint64_t retransmits; /* ... retransmitted segments */
	/* The interval's latency histogram, TT_HIST_SLOTS counts (see
	 * telltale.h), owned by whoever made the sample and valid until its next
	 * interval; NULL when there is none (replayed lines). */
	const uint64_t *hist;
};

struct host_sample {
	double ts;	   /* end of the interval, seconds since the epoch */
	double interval_s; /* length of the interval, s */
	double cpu_pct;	   /* busy share of all CPUs, 0..100 */
	double mem_pct;	   /* (MemTotal - MemAvailable) / MemTotal, 0..100 */
	double load1;	   /* 1-minute load average */
};

/* "server" or "client". */
const char *svc_role_name(uint8_t role);

/* Parses "server"/"client" into *role. Returns 0, or -EINVAL. */
int svc_role_parse(const char *name, uint8_t *role);

#endif /* TT_SAMPLE_H */
