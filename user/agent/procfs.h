/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Host CPU, memory and load from /proc. */
#ifndef TT_PROCFS_H
#define TT_PROCFS_H

#include <stdint.h>

#include "lib/sample.h"

/* Cumulative CPU jiffies from the "cpu" line of /proc/stat. */
struct cpu_times {
	uint64_t busy;
	uint64_t total;
};

/* Reads the aggregate CPU times. Returns 0, or a negative errno. */
int procfs__cpu(const char *proc, struct cpu_times *t);

/* Fills mem_pct and load1 of h from meminfo and loadavg, and cpu_pct from the
 * change between *prev and the current CPU times, which replace *prev.
 * proc is the procfs root ("/proc", or a fixture directory in tests).
 * Returns 0, or a negative errno naming the first file that failed. */
int procfs__host(const char *proc, struct cpu_times *prev, struct host_sample *h);

/* Calls fn for each local port in LISTEN state in proc/net/tcp and tcp6.
 * Returns the number of ports seen, or a negative errno. */
int procfs__listen_ports(const char *proc, void (*fn)(uint16_t port, void *ctx), void *ctx);

#endif /* TT_PROCFS_H */
