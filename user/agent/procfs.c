// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/procfs.h"

#define TCP_LISTEN_HEX 0x0A

static FILE *proc_open(const char *proc, const char *name)
{
	char path[512];

	if (snprintf(path, sizeof(path), "%s/%s", proc, name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
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

typedef void (*port_fn)(uint16_t port, void *ctx);

static int scan_listen(const char *proc, const char *name, port_fn fn, void *ctx)
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

/* Both families' files under dir ("net", or "PID/net"). */
static int scan_both(const char *proc, const char *dir, port_fn fn, void *ctx)
{
	char name[PATH_MAX + sizeof("/tcp6")];
	int v4, v6;

	snprintf(name, sizeof(name), "%s/tcp", dir);
	v4 = scan_listen(proc, name, fn, ctx);
	if (v4 < 0)
		return v4;
	snprintf(name, sizeof(name), "%s/tcp6", dir);
	v6 = scan_listen(proc, name, fn, ctx);
	if (v6 < 0)
		return v6;
	return v4 + v6;
}

int procfs__listen_ports(const char *proc, void (*fn)(uint16_t port, void *ctx), void *ctx)
{
	return scan_both(proc, "net", fn, ctx);
}

int procfs__netns(const char *proc, const char *pid, uint32_t *ino)
{
	char path[512], link[64];
	unsigned long v;
	ssize_t n;
	int end = 0;

	snprintf(path, sizeof(path), "%s/%s/ns/net", proc, pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	if (sscanf(link, "net:[%lu]%n", &v, &end) != 1 || end != n || !v || v > UINT32_MAX)
		return -EINVAL;
	*ino = (uint32_t)v;
	return 0;
}

int procfs__host_netns(const char *proc, uint32_t *ino, const char **from)
{
	int err = procfs__netns(proc, "1", ino);

	*from = "1";
	if (err == -EACCES || err == -EPERM || err == -ENOENT) {
		*from = "self";
		err = procfs__netns(proc, "self", ino);
	}
	return err;
}

/* The scan's growing state: the ports so far and the namespace being read. */
struct scan_ctx {
	struct listen_scan *out;
	size_t cap;
	uint32_t netns;
	int err;
};

static void add_ns_port(uint16_t port, void *arg)
{
	struct scan_ctx *c = arg;
	struct netns_port *p;

	if (c->out->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;

		p = realloc(c->out->ports, cap * sizeof(*p));
		if (!p) {
			c->err = -ENOMEM;
			return;
		}
		c->out->ports = p;
		c->cap = cap;
	}
	c->out->ports[c->out->n++] = (struct netns_port){ .netns = c->netns, .port = port };
}

static int by_ns_port(const void *a, const void *b)
{
	const struct netns_port *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	return x->port - y->port;
}

static bool seen_ns(const uint32_t *ns, uint32_t n, uint32_t ino)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ns[i] == ino)
			return true;
	return false;
}

/* Reads each new namespace's ports from the first of its processes that
 * lets us; a process that exits halfway leaves the namespace to the next. */
static int scan_namespaces(const char *proc, DIR *d, struct scan_ctx *c, uint32_t **ns)
{
	uint32_t ns_cap = 0, ino, *grown;
	struct dirent *e;
	char dir[PATH_MAX];
	size_t before;
	int n;

	while ((e = readdir(d)) && !c->err) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		if (procfs__netns(proc, e->d_name, &ino)) {
			c->out->unreadable++;
			continue;
		}
		if (seen_ns(*ns, c->out->namespaces, ino))
			continue;
		c->netns = ino;
		before = c->out->n;
		/* Without net/tcp the process is gone (or hidden): the next one
		 * of its namespace answers. */
		snprintf(dir, sizeof(dir), "%s/%s/net/tcp", proc, e->d_name);
		if (access(dir, R_OK)) {
			c->out->unreadable++;
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/net", e->d_name);
		n = scan_both(proc, dir, add_ns_port, c);
		if (n < 0) {
			c->out->n = before;
			c->out->unreadable++;
			continue;
		}
		if (c->out->namespaces == ns_cap) {
			ns_cap = ns_cap ? 2 * ns_cap : 64;
			grown = realloc(*ns, ns_cap * sizeof(**ns));
			if (!grown)
				return -ENOMEM;
			*ns = grown;
		}
		(*ns)[c->out->namespaces++] = ino;
	}
	return c->err;
}

int procfs__listen_scan(const char *proc, struct listen_scan *out)
{
	struct scan_ctx c = { .out = out };
	uint32_t *ns = NULL;
	size_t i, j;
	DIR *d;
	int err;

	memset(out, 0, sizeof(*out));
	d = opendir(proc);
	if (!d)
		return -errno;
	err = scan_namespaces(proc, d, &c, &ns);
	closedir(d);
	free(ns);
	if (err) {
		free(out->ports);
		memset(out, 0, sizeof(*out));
		return err;
	}
	/* A port listening on IPv4 and IPv6 is one port of its namespace. */
	if (out->n)
		qsort(out->ports, out->n, sizeof(*out->ports), by_ns_port);
	for (i = j = 0; i < out->n; i++)
		if (!j || by_ns_port(&out->ports[j - 1], &out->ports[i]))
			out->ports[j++] = out->ports[i];
	out->n = j;
	return 0;
}
