// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent/procfs.h"

#define TCP_LISTEN_HEX 0x0A

static FILE *proc_open(const char *proc, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", proc, name);
	return fopen(path, "re");
}

int procfs__cpu(const char *proc, struct cpu_times *t)
{
	uint64_t v[8] = { 0 };
	FILE *f = proc_open(proc, "stat");
	int n, i;

	if (!f)
		return -errno;
	n = fscanf(f, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return -EINVAL;
	/* user nice system idle iowait irq softirq steal: idle and iowait are
	 * the time no task wanted the CPU. */
	t->total = 0;
	for (i = 0; i < 8; i++)
		t->total += v[i];
	t->busy = t->total - v[3] - v[4];
	return 0;
}

static int read_meminfo(const char *proc, double *mem_pct)
{
	uint64_t total = 0, avail = 0, kb;
	char key[64], line[256];
	FILE *f = proc_open(proc, "meminfo");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %" SCNu64, key, &kb) != 2)
			continue;
		if (!strcmp(key, "MemTotal"))
			total = kb;
		else if (!strcmp(key, "MemAvailable"))
			avail = kb;
	}
	fclose(f);
	if (!total || avail > total)
		return -EINVAL;
	*mem_pct = 100.0 * (double)(total - avail) / (double)total;
	return 0;
}

static int read_loadavg(const char *proc, double *load1)
{
	FILE *f = proc_open(proc, "loadavg");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%lf", load1);
	fclose(f);
	return n == 1 ? 0 : -EINVAL;
}

int procfs__host(const char *proc, struct cpu_times *prev, struct host_sample *h)
{
	struct cpu_times now;
	int err;

	err = procfs__cpu(proc, &now);
	if (err)
		return err;
	h->cpu_pct = 0;
	if (now.total > prev->total && now.busy >= prev->busy)
		h->cpu_pct = 100.0 * (double)(now.busy - prev->busy) /
			     (double)(now.total - prev->total);
	*prev = now;
	err = read_meminfo(proc, &h->mem_pct);
	if (err)
		return err;
	return read_loadavg(proc, &h->load1);
}

static int scan_listen(const char *proc, const char *name,
		       void (*fn)(uint16_t port, void *ctx), void *ctx)
{
	unsigned int port, state;
	char line[512];
	int seen = 0;
	FILE *f = proc_open(proc, name);

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	/* "  sl  local_address rem_address   st ...": address is hex ip:port. */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &port, &state) != 2)
			continue;
		if (state == TCP_LISTEN_HEX && port <= UINT16_MAX) {
			fn((uint16_t)port, ctx);
			seen++;
		}
	}
	fclose(f);
	return seen;
}

int procfs__listen_ports(const char *proc, void (*fn)(uint16_t port, void *ctx), void *ctx)
{
	int v4, v6;

	v4 = scan_listen(proc, "net/tcp", fn, ctx);
	if (v4 < 0)
		return v4;
	v6 = scan_listen(proc, "net/tcp6", fn, ctx);
	if (v6 < 0)
		return v6;
	return v4 + v6;
}
