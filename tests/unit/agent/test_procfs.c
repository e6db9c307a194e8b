// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Host metrics and listening ports from a fixture /proc tree. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static const char tcp_hdr[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n";

/* A process of the fixture: its netns link and, if tcp is given, its
 * net/tcp (IPv4) and net/tcp6. */
static void fixture_pid(const char *pid, const char *ns, const char *tcp, const char *tcp6)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/ns", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/ns/net", root, pid);
	if (ns)
		CHECK(symlink(ns, path) == 0);
	if (!tcp)
		return;
	snprintf(path, sizeof(path), "%s/%s/net", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/net/tcp", pid);
	put(path, tcp);
	snprintf(path, sizeof(path), "%s/net/tcp6", pid);
	put(path, tcp6);
}

/* The host's namespace (pids 1 and 7, read once), a container's listening
 * on 8080 like the host (pid 20), a process whose namespace cannot be read
 * (pid 30), one whose net files are gone (pid 40, exited), and pid 41's
 * namespace: three namespaces read, two processes unreadable. */
static void test_listen_scan(void)
{
	struct listen_scan sc;
	char tcp[1024], tcp6[1024];

	snprintf(tcp, sizeof(tcp), "%s%s%s", tcp_hdr,
		 "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n",
		 "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n");
	snprintf(tcp6, sizeof(tcp6), "%s%s%s", tcp_hdr,
		 "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A\n",
		 "   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 01\n");
	fixture_pid("1", "net:[4026531840]", tcp, tcp6);
	fixture_pid("7", "net:[4026531840]", tcp, tcp6);
	snprintf(tcp, sizeof(tcp), "%s%s", tcp_hdr,
		 "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n");
	fixture_pid("20", "net:[4026532100]", tcp, tcp_hdr);
	fixture_pid("30", NULL, NULL, NULL);
	fixture_pid("40", "net:[4026532300]", NULL, NULL);
	snprintf(tcp, sizeof(tcp), "%s%s", tcp_hdr,
		 "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0\n");
	fixture_pid("41", "net:[4026532200]", tcp, tcp_hdr);
	CHECK(procfs__listen_scan(root, &sc) == 0);
	CHECK(sc.namespaces == 3);
	CHECK(sc.unreadable == 2);
	/* 8080 (v4 and v6: once) and 22 on the host, 8080 in the container,
	 * 3306 in the last. */
	CHECK(sc.n == 4);
	if (sc.n == 4) {
		CHECK(sc.ports[0].netns == 4026531840u && sc.ports[0].port == 22);
		CHECK(sc.ports[1].netns == 4026531840u && sc.ports[1].port == 8080);
		CHECK(sc.ports[2].netns == 4026532100u && sc.ports[2].port == 8080);
		CHECK(sc.ports[3].netns == 4026532200u && sc.ports[3].port == 3306);
	}
	free(sc.ports);
	CHECK(procfs__listen_scan("/nonexistent-telltale", &sc) == -ENOENT && !sc.ports && !sc.n);
}

/* This machine: a socket this test listens on shows up in our netns. */
static void test_listen_real(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct listen_scan sc;
	uint32_t self = 0;
	size_t i, hits = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 1) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	CHECK(procfs__netns("/proc", "self", &self) == 0);
	CHECK(procfs__listen_scan("/proc", &sc) == 0);
	for (i = 0; i < sc.n; i++)
		if (sc.ports[i].netns == self && sc.ports[i].port == ntohs(a.sin_port))
			hits++;
	CHECK(hits == 1);
	printf("test_procfs: this machine: %zu listening ports in %u namespaces, %u processes "
	       "unreadable\n", sc.n, sc.namespaces, sc.unreadable);
	free(sc.ports);
	close(fd);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/telltale-procfs.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	test_host();
	test_listen();
	test_listen_scan();
	test_listen_real();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return check_done("test_procfs");
}
