/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the kernel tests share: sockets on 127.0.0.1, one interval's
 * samples, and loading each program set the way the agent does.
 */
#ifndef TT_KTEST_H
#define TT_KTEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/check.h"
#include "agent/collect.h"
#include "agent/loader.h"
#include "agent/probe.h"

/* Every program set the agent can load counts the same: the tp_btf and
 * classic sets from the socket data tracepoints, and the syscall programs
 * beside either set's others (beside tp_btf in both of their ways). */
static const char *ktest_sets[] = { "tp_btf", "tracepoint", "tp_btf+syscalls",
				    "tp_btf+syscalls+probe_read", "tracepoint+syscalls",
				    "tracepoint+syscalls+stack" };
#define KTEST_NSETS (sizeof(ktest_sets) / sizeof(ktest_sets[0]))

/* Whether to run set: all of them unless KTEST_SET names one (to loop a
 * flaky set faster). */
static inline bool ktest_want(const char *set)
{
	const char *only = getenv("KTEST_SET");

	return !only || !*only || !strcmp(only, set);
}

static struct collector *col;

static inline int listen_any(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &len)) {
		perror("listen");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static inline int connect_to(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Whether this process can load the programs: 0, or the exit code to end
 * the test with (77: a skip, which CI counts as a failure). */
static inline int ktest_cannot_run(void)
{
	if (geteuid()) {
		printf("SKIP: needs root to load BPF programs\n");
		return 77;
	}
	return probe__tracefs() ? 1 : 0;
}

/* One request/response turn on a connected pair, both ends driven here. */
static inline void ktest_turn(int client, int server)
{
	char b;

	CHECK(write(client, "q", 1) == 1);
	CHECK(read(server, &b, 1) == 1);
	CHECK(write(server, "a", 1) == 1);
	CHECK(read(client, &b, 1) == 1);
}

/* A connected pair to port, accepted on lfd. */
static inline void ktest_pair(int lfd, uint16_t port, int *client, int *server)
{
	*client = connect_to(port);
	CHECK(*client >= 0);
	*server = accept(lfd, NULL, NULL);
	CHECK(*server >= 0);
}

/* A listener on 127.0.0.1 with n connected pairs accepted from it, their
 * ends in cfd and sfd; returns the listener, its port in *port. */
static inline int ktest_pairs(int n, uint16_t *port, int *cfd, int *sfd)
{
	int lfd = listen_any(port), i;

	listen(lfd, n);
	for (i = 0; i < n; i++)
		ktest_pair(lfd, *port, &cfd[i], &sfd[i]);
	return lfd;
}

/* Moves the process into a network namespace of its own, loopback up, so
 * that no other traffic shares its services. Returns its inode, 0 on
 * failure (a failed check). Needs _GNU_SOURCE for unshare. */
static inline uint32_t ktest_own_netns(void)
{
	struct stat st;

	if (unshare(CLONE_NEWNET) || system("ip link set lo up") ||
	    stat("/proc/self/ns/net", &st)) {
		fprintf(stderr, "cannot make a network namespace\n");
		CHECK(0);
		return 0;
	}
	return (uint32_t)st.st_ino;
}

/* This interval's sample of one service, or a zeroed one. */
static inline struct svc_sample find(const struct svc_sample *all, size_t n, uint8_t role,
			      uint16_t port)
{
	struct svc_sample none = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (all[i].id.role == role && all[i].id.port == port)
			return all[i];
	return none;
}

static inline size_t read_interval(const struct svc_sample **s)
{
	size_t n = 0, i;

	CHECK(collect__read(col, 0, 1.0, s, &n) == 0);
	if (getenv("KTEST_DEBUG"))
		for (i = 0; i < n; i++)
			printf("  %s %u %s req=%lu open=%lu close=%lu act=%lu fail=%lu rst=%lu rtx=%lu\n",
			       (*s)[i].id.role ? "client" : "server", (*s)[i].id.port, (*s)[i].id.comm,
			       (*s)[i].requests, (*s)[i].opened, (*s)[i].closed, (*s)[i].active,
			       (*s)[i].failed, (*s)[i].resets, (*s)[i].retransmits);
	return n;
}

/* Loads one program set (TELLTALE_HOOKS), failing the test if the kernel
 * gives another. max_sockets 0 is the default. */
static inline int load(struct loader *l, const char *hooks, uint32_t max_sockets)
{
	struct loader_opts opts = { .quiet = true, .max_sockets = max_sockets };

	setenv("TELLTALE_HOOKS", hooks, 1);
	if (loader__open(l, &opts)) {
		fprintf(stderr, "cannot load telltale's %s programs\n", hooks);
		CHECK(0);
		return -1;
	}
	CHECK(!strcmp(l->hooks, hooks));
	col = collect__new(l->svcs_fd, l->shared_fd, l->owner_fd, l->slots);
	CHECK(col != NULL);
	CHECK(collect__set_socks(col, l->socks_fd, l->counters_fd, l->max_sockets) == 0);
	return 0;
}

/* Events of hook i (agent/progsets.c's order), as the stats line has them. */
static inline uint64_t hook_events(const struct loader *l, int i)
{
	return loader__counter(l, TT_CNT_EV_STATE + (uint32_t)i);
}

/* Events of the attached data programs (socket data tracepoints or
 * syscalls), together. */
static inline uint64_t data_events(const struct loader *l)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < LOADER_NPROGS; i++)
		if (l->progs[i].attached && progsets_hooks[i].role != HOOK_CONN)
			n += hook_events(l, i);
	return n;
}

static inline void unload(struct loader *l)
{
	CHECK(loader__counter(l, TT_CNT_SVC_OVERFLOW) == 0);
	CHECK(data_events(l) > 0);
	collect__free(col);
	loader__close(l);
}

#endif /* TT_KTEST_H */
