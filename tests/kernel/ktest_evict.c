// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel test: the classic sets' socket hash, too small for the connections
 * (agent/evict.h). 300 connections, 600 sockets, through a hash of 256
 * entries, each used for three turns in a row: the hash evicts live
 * connections and their next turn adopts them again. The active gauge of
 * each side stays within the connections open, and is back to 0 once all
 * have closed; every turn is still counted. Runs in a network namespace of
 * its own, so no other traffic shares those services. On the sets that
 * keep socket state in the hash.
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "ktest.h"

#define CONNS 300
#define TURNS 3
#define HASH 256

/* Prints and checks one side's gauge against its bounds. */
static void check_active(const char *when, const char *side, uint64_t active, uint64_t most)
{
	if (active > most)
		printf("%s: %s active %llu, at most %llu\n", when, side,
		       (unsigned long long)active, (unsigned long long)most);
	CHECK(active <= most);
}

/* Reads intervals until one walked the hash (walks are spaced by their cost,
 * agent/evict.h: in a slow VM, an entry at a time, by a second or more),
 * summing the port's requests into *srv_req and *cli_req; its samples in
 * *srv and *cli. */
static void read_walked(uint16_t port, struct svc_sample *srv, struct svc_sample *cli,
			uint64_t *srv_req, uint64_t *cli_req)
{
	uint64_t walks = collect__socks_walks(col);
	const struct svc_sample *all;
	size_t n;
	int i;

	for (i = 0; i < 500; i++) {
		usleep(20000);
		n = read_interval(&all);
		*srv = find(all, n, TT_ROLE_SERVER, port);
		*cli = find(all, n, TT_ROLE_CLIENT, port);
		*srv_req += srv->requests;
		*cli_req += cli->requests;
		if (collect__socks_walks(col) > walks)
			return;
	}
	printf("no walk of the socket hash in 10 s\n");
	CHECK(0);
}

static void test_evictions(struct loader *l)
{
	static int cfd[CONNS], sfd[CONNS];
	uint64_t created = loader__counter(l, TT_CNT_SOCK_NEW);
	uint64_t srv_req = 0, cli_req = 0, ignored = 0;
	const struct svc_sample *all;
	struct svc_sample srv, cli;
	int lfd, i, t;
	uint16_t port;

	read_interval(&all);
	lfd = ktest_pairs(CONNS, &port, cfd, sfd);
	for (t = 0; t < TURNS; t++) {
		for (i = 0; i < CONNS; i++)
			ktest_turn(cfd[i], sfd[i]);
		read_walked(port, &srv, &cli, &srv_req, &cli_req);
		printf("turn %d: server active %llu, client active %llu\n", t + 1,
		       (unsigned long long)srv.active, (unsigned long long)cli.active);
		check_active("open", "server", srv.active, CONNS);
		check_active("open", "client", cli.active, CONNS);
	}
	/* The hash thrashed: sockets were adopted again after an eviction. */
	printf("socket entries created: %llu\n",
	       (unsigned long long)(loader__counter(l, TT_CNT_SOCK_NEW) - created));
	CHECK(loader__counter(l, TT_CNT_SOCK_NEW) - created > 2 * CONNS + HASH);
	/* An evicted socket's pending request is lost with its entry, so a turn
	 * may go uncounted; most are not. */
	CHECK(srv_req <= CONNS * TURNS && srv_req >= CONNS);
	CHECK(cli_req <= CONNS * TURNS && cli_req >= CONNS);
	for (i = 0; i < CONNS; i++) {
		close(cfd[i]);
		close(sfd[i]);
	}
	close(lfd);
	read_walked(port, &srv, &cli, &ignored, &ignored);
	check_active("closed", "server", srv.active, 0);
	check_active("closed", "client", cli.active, 0);
}

int main(void)
{
	struct rlimit nofile = { 4 * CONNS, 4 * CONNS };
	struct loader l;
	size_t i;
	int err;

	err = ktest_cannot_run();
	if (err)
		return err;
	CHECK(setrlimit(RLIMIT_NOFILE, &nofile) == 0);
	if (!ktest_own_netns())
		return check_done("ktest_evict");
	for (i = 0; i < KTEST_NSETS; i++) {
		if (strncmp(ktest_sets[i], "tracepoint", 10) || !ktest_want(ktest_sets[i]))
			continue;
		printf("-- %s programs, a socket hash of %d for %d sockets\n", ktest_sets[i], HASH,
		       2 * CONNS);
		if (load(&l, ktest_sets[i], HASH))
			continue;
		test_evictions(&l);
		unload(&l);
	}
	return check_done("ktest_evict");
}
