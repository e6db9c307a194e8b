// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel test: a retired slot never mixes two services. A connection of
 * service A stays open while A's slot is retired, zeroed and handed to a new
 * service B; then A's old sockets answer three more turns and close with a
 * RST. B's slot must hold B's one turn and nothing of A's; A's late events
 * go where a service without a slot goes (the overflow service of its
 * namespace and role, the free queue being empty), exactly; they count
 * there as open connections and name it with their process's comm, as new
 * sockets would, whether they move at a turn or at their close. Runs in a
 * network namespace of its own, so no other traffic shares those services.
 * On every program set.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>

#include "ktest.h"
#include "agent/slots.h"

static uint32_t own_netns;

/* The slot of a service of this namespace in the owner map, or TT_NO_SLOT. */
static uint32_t slot_of(const struct loader *l, uint8_t role, uint16_t port)
{
	uint32_t slot, next, *cursor = NULL;
	struct tt_svc_key key;

	while (!bpf_map_get_next_key(l->owner_fd, cursor, &next)) {
		slot = next;
		cursor = &slot;
		if (!bpf_map_lookup_elem(l->owner_fd, &slot, &key) && key.netns == own_netns &&
		    key.role == role && key.port == port && !key.flags)
			return slot;
	}
	return TT_NO_SLOT;
}

/* The server and client slots of port's services; false, failing a check,
 * unless both have one. */
static bool slots_of(const struct loader *l, uint16_t port, uint32_t *srv, uint32_t *cli)
{
	*srv = slot_of(l, TT_ROLE_SERVER, port);
	*cli = slot_of(l, TT_ROLE_CLIENT, port);
	CHECK(*srv != TT_NO_SLOT && *cli != TT_NO_SLOT);
	return *srv != TT_NO_SLOT && *cli != TT_NO_SLOT;
}

static struct svc_sample sample(const struct svc_sample *all, size_t n, uint8_t role,
				uint16_t port, bool other)
{
	struct svc_sample none = { 0 };
	size_t i;

	for (i = 0; i < n; i++)
		if (all[i].id.netns == own_netns && all[i].id.role == role &&
		    all[i].id.port == port && !!(all[i].id.flags & SVC_F_OTHER) == other)
			return all[i];
	return none;
}

/* How many overflow services of other network namespaces than ours had
 * events in the interval. */
static size_t host_other_moved(const struct svc_sample *all, size_t n)
{
	size_t i, moved = 0;

	for (i = 0; i < n; i++)
		if (all[i].id.netns != own_netns && (all[i].id.flags & SVC_F_OTHER))
			moved++;
	return moved;
}

/* Retires and releases a service's slot as the collector would, at once. */
static void free_slot(struct loader *l, uint32_t slot)
{
	struct tt_svc_key key;

	CHECK(bpf_map_lookup_elem(l->owner_fd, &slot, &key) == 0);
	CHECK(slots_ops.retire(slot, &key, l) == 0);
	CHECK(slots_ops.release(slot, l) == 0);
}

/* Empties the free queue, then puts back only the slots given. */
static void only_free(struct loader *l, uint32_t a, uint32_t b)
{
	uint32_t v;

	while (!bpf_map_lookup_and_delete_elem(l->free_fd, NULL, &v))
		;
	CHECK(bpf_map_update_elem(l->free_fd, NULL, &a, BPF_ANY) == 0);
	CHECK(bpf_map_update_elem(l->free_fd, NULL, &b, BPF_ANY) == 0);
}

/* A connection whose slot is retired while it idles, and whose next event is
 * its close: it moves at the close, and counts as open where it closes, so
 * a connection opened there afterwards shows as active. pb: a port whose
 * two services hold slots to lend it. */
static void test_close_moved(struct loader *l, uint16_t pb)
{
	int lfd, c, sv, c2, sv2, i;
	const struct svc_sample *s;
	struct svc_sample x;
	uint32_t srv, cli, v;
	uint16_t port;
	size_t n;

	if (!slots_of(l, pb, &srv, &cli))
		return;
	free_slot(l, srv);
	free_slot(l, cli);
	only_free(l, srv, cli);
	lfd = listen_any(&port);
	ktest_pair(lfd, port, &c, &sv);
	ktest_turn(c, sv);
	n = read_interval(&s);
	CHECK(sample(s, n, TT_ROLE_SERVER, port, false).active == 1);
	if (slots_of(l, port, &srv, &cli)) {
		free_slot(l, srv);
		free_slot(l, cli);
	}
	while (!bpf_map_lookup_and_delete_elem(l->free_fd, NULL, &v))
		;
	close(c);
	close(sv);
	usleep(20000);
	ktest_pair(lfd, port, &c2, &sv2);
	usleep(20000);
	n = read_interval(&s);
	for (i = 0; i < 2; i++) {
		x = sample(s, n, i ? TT_ROLE_CLIENT : TT_ROLE_SERVER, 0, true);
		printf("other %s, closed after its slot went: opened %lu closed %lu active %lu\n",
		       i ? "client" : "server", x.opened, x.closed, x.active);
		CHECK(x.opened == 1 && x.closed == 1 && x.active == 1);
	}
	close(c2);
	close(sv2);
	close(lfd);
}

/* Returns B's port. */
static uint16_t test_reuse(struct loader *l)
{
	int lfd_a, lfd_b, ca, sa, cb, sb, i;
	uint16_t pa, pb;
	uint32_t srv, cli;
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	const struct svc_sample *s;
	struct svc_sample x;
	uint64_t other_before, other_events = 0, got;
	size_t n, host;

	lfd_a = listen_any(&pa);
	lfd_b = listen_any(&pb);
	ktest_pair(lfd_a, pa, &ca, &sa);
	for (i = 0; i < 2; i++)
		ktest_turn(ca, sa);
	n = read_interval(&s);
	CHECK(sample(s, n, TT_ROLE_SERVER, pa, false).requests == 2);
	if (!slots_of(l, pa, &srv, &cli))
		return 0;
	/* A's slots retired and freed while its connection is still open,
	 * and given to B, the only slots left. */
	free_slot(l, srv);
	free_slot(l, cli);
	other_before = loader__counter(l, TT_CNT_SVC_OTHER);
	only_free(l, srv, cli);
	ktest_pair(lfd_b, pb, &cb, &sb);
	ktest_turn(cb, sb);
	/* A's old sockets: three turns, an interval, then a RST. */
	for (i = 0; i < 3; i++)
		ktest_turn(ca, sa);
	n = read_interval(&s);
	CHECK(slot_of(l, TT_ROLE_SERVER, pb) == srv || slot_of(l, TT_ROLE_SERVER, pb) == cli);
	CHECK(slot_of(l, TT_ROLE_CLIENT, pb) == srv || slot_of(l, TT_ROLE_CLIENT, pb) == cli);
	x = sample(s, n, TT_ROLE_SERVER, pb, false);
	printf("B server: requests %lu resets %lu\n", x.requests, x.resets);
	CHECK(x.requests == 1 && x.resets == 0 && x.closed == 0);
	x = sample(s, n, TT_ROLE_CLIENT, pb, false);
	printf("B client: requests %lu resets %lu\n", x.requests, x.resets);
	CHECK(x.requests == 1 && x.resets == 0 && x.closed == 0);
	CHECK(sample(s, n, TT_ROLE_SERVER, pa, false).requests == 0);
	/* A socket that moved to a new place counts there as open, and names
	 * it as a new socket would. */
	for (i = 0; i < 2; i++) {
		x = sample(s, n, i ? TT_ROLE_CLIENT : TT_ROLE_SERVER, 0, true);
		printf("other %s: requests %lu active %lu comm '%s'\n", i ? "client" : "server",
		       x.requests, x.active, x.id.comm);
		CHECK(x.requests == 3 && x.active == 1 && x.resets == 0 && x.closed == 0);
		CHECK(!strcmp(x.id.comm, "ktest_retire"));
		other_events += x.requests + x.resets + x.closed + x.opened;
	}
	CHECK(setsockopt(ca, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)) == 0);
	close(ca);
	usleep(20000);
	host = host_other_moved(s, n);
	n = read_interval(&s);
	for (i = 0; i < 2; i++) {
		x = sample(s, n, i ? TT_ROLE_CLIENT : TT_ROLE_SERVER, 0, true);
		printf("other %s: resets %lu closed %lu active %lu\n", i ? "client" : "server",
		       x.resets, x.closed, x.active);
		CHECK(x.requests == 0 && x.resets == 1 && x.closed == 1 && x.active == 0);
		other_events += x.requests + x.resets + x.closed + x.opened;
	}
	/* The stats line's service_map_full: each of them, once. The
	 * counter is the host's, and with no slot free the host's own
	 * connections meanwhile land in their namespaces' overflow services
	 * too (their data events as well, which no sample field counts one
	 * for one): exact when no other namespace's overflow service moved. */
	got = loader__counter(l, TT_CNT_SVC_OTHER) - other_before;
	host += host_other_moved(s, n);
	printf("events counted in an overflow service: %lu, ours %lu; other namespaces' "
	       "overflow services that moved: %zu\n", (unsigned long)got,
	       (unsigned long)other_events, host);
	CHECK(host ? got >= other_events : got == other_events);
	close(sa);
	close(cb);
	close(sb);
	close(lfd_a);
	close(lfd_b);
	return pb;
}

int main(void)
{
	struct loader l = { 0 };
	uint16_t port;
	size_t i;

	if (geteuid()) {
		fprintf(stderr, "skip: needs root to load BPF programs\n");
		return 77;
	}
	own_netns = ktest_own_netns();
	if (!own_netns)
		return check_done("ktest_retire");
	for (i = 0; i < KTEST_NSETS; i++) {
		if (!ktest_want(ktest_sets[i]))
			continue;
		printf("-- %s programs\n", ktest_sets[i]);
		if (load(&l, ktest_sets[i], 0))
			continue;
		port = test_reuse(&l);
		if (port)
			test_close_moved(&l, port);
		unload(&l);
	}
	return check_done("ktest_retire");
}
