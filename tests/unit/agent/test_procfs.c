// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Host metrics and listening ports from a fixture /proc tree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "agent/procfs.h"

static char root[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void test_host(void)
{
	struct cpu_times prev;
	struct host_sample h = { 0 };

	put("stat", "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
	put("meminfo", "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n");
	put("loadavg", "0.75 0.50 0.25 1/100 1234\n");
	CHECK(procfs__cpu(root, &prev) == 0);
	CHECK(prev.total == 1000 && prev.busy == 200);
	/* 1000 more jiffies of which 600 busy: 60 %. */
	put("stat", "cpu  400 0 400 1000 200 0 0 0 0 0\n");
	CHECK(procfs__host(root, &prev, &h) == 0);
	CHECK_NEAR(h.cpu_pct, 60.0, 1e-9);
	CHECK_NEAR(h.mem_pct, 75.0, 1e-9);
	CHECK_NEAR(h.load1, 0.75, 1e-9);
	CHECK(prev.total == 2000);

	put("meminfo", "MemFree: 5 kB\n");
	CHECK(procfs__host(root, &prev, &h) == -EINVAL);
	put("stat", "garbage\n");
	CHECK(procfs__cpu(root, &prev) == -EINVAL);
	CHECK(procfs__cpu("/nonexistent-telltale", &prev) == -ENOENT);
}

static uint16_t ports[8];
static int nports;
static void add_port(uint16_t port, void *ctx)
{
	(void)ctx;
	if (nports < 8)
		ports[nports++] = port;
}

static void test_listen(void)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/net", root);
	mkdir(dir, 0755);
	put("net/tcp",
	    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
	    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n"
	    "   1: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0\n");
	put("net/tcp6",
	    "  sl  local_address                         remote_address                        st\n"
	    "   0: 00000000000000000000000000000000:18EB 00000000000000000000000000000000:0000 0A\n");
	CHECK(procfs__listen_ports(root, add_port, NULL) == 2);
	CHECK(nports == 2 && ports[0] == 8080 && ports[1] == 6379);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/telltale-procfs.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	test_host();
	test_listen();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return check_done("test_procfs");
}
