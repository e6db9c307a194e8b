/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Host CPU, memory and load, listening ports and network namespaces from
 * /proc. Every function takes the procfs root ("/proc", or a fixture
 * directory in tests). */
#ifndef TT_PROCFS_H
#define TT_PROCFS_H

#include <stddef.h>
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

/* The network namespace inode of process pid (a number, or "self") from
 * PROC/PID/ns/net ("net:[4026531840]"). Returns 0, or a negative errno:
 * -EACCES (or -EPERM) for a process not ours to inspect, -ENOENT when it
 * is gone. */
int procfs__netns(const char *proc, const char *pid, uint32_t *ino);

/* The host's network namespace: that of PID 1, or when PID 1 cannot be
 * inspected (a sandbox) our own, which for an agent on the host network is
 * the same. *from is set to "1" or "self". Returns 0, or a negative errno. */
int procfs__host_netns(const char *proc, uint32_t *ino, const char **from);

/* A local port in LISTEN state, and the network namespace it listens in. */
struct netns_port {
	uint32_t netns; /* namespace inode */
	uint16_t port;	/* host order */
};

struct listen_scan {
	struct netns_port *ports; /* sorted by netns then port, no repeats; free() it */
	size_t n;
	uint32_t namespaces; /* namespaces whose ports were read */
	uint32_t unreadable; /* processes whose namespace could not be read */
};

/* Every listening TCP port (IPv4 and IPv6) in every network namespace a
 * process of PROC is in: for each namespace the first process in it whose
 * PROC/PID/net/tcp{,6} can be read. Returns 0 with *out filled, or a
 * negative errno (out of memory, PROC unreadable) with *out empty. */
int procfs__listen_scan(const char *proc, struct listen_scan *out);

#endif /* TT_PROCFS_H */
