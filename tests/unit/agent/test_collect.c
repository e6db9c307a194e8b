// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The collector's bookkeeping per kernel slot, fed cumulative readings as
 * collect__read would feed them: deltas, services told apart by identity,
 * a slot given to a new owner, names that arrive a walk later, idleness and
 * retirement. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "agent/collect.h"
#include "agent/workload.h"

#define ID "3f1d7c2a9b8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"

static struct svc_reading reading(uint64_t requests, uint64_t opened, uint64_t closed)
{
	struct svc_reading s = { .requests = requests, .lat_sum_ns = requests * 1000,
				  .opened = opened, .closed = closed };

	strcpy(s.comm, "srv");
	return s;
}

static struct svc_id ident(uint16_t port, uint32_t netns, uint64_t cgroup)
{
	return (struct svc_id){ .port = port, .role = TT_ROLE_SERVER, .netns = netns,
				.cgroup = cgroup };
}

/* One interval of one slot; returns the number of samples. */
static size_t one(struct collector *c, double ts, uint32_t slot, const struct svc_id *id,
		  const struct svc_reading *cur, const struct svc_sample **s)
{
	struct tt_svc_key key = { .port = id->port, .role = id->role };
	size_t n;

	collect__begin(c, ts, 1.0);
	CHECK(collect__slot(c, slot, &key, id, cur) == 0);
	collect__end(c, s, &n);
	return n;
}

/* Two services on one port in two namespaces stay two, in identity order. */
static void test_identity(void)
{
	struct collector *c = collect__new(-1, -1, -1, 16);
	struct svc_id a = ident(8080, 4026532200u, 0), b = ident(8080, 4026532100u, 0);
	struct tt_svc_key key = { .port = 8080 };
	struct svc_reading ra = reading(10, 1, 0), rb = reading(3, 1, 0);
	const struct svc_sample *s;
	size_t n;

	CHECK(c != NULL);
	if (!c)
		return;
	collect__begin(c, 100, 1.0);
	CHECK(collect__slot(c, 0, &key, &a, &ra) == 0);
	CHECK(collect__slot(c, 1, &key, &b, &rb) == 0);
	CHECK(collect__slot(c, 16, &key, &b, &rb) == -EINVAL);
	collect__end(c, &s, &n);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(s[0].id.netns == 4026532100u && s[0].requests == 3);
		CHECK(s[1].id.netns == 4026532200u && s[1].requests == 10);
		CHECK(!strcmp(s[0].id.comm, "srv") && s[0].active == 1);
	}
	/* Deltas: 5 more in slot 0, none in slot 1 (still one open). */
	ra.requests = 15;
	ra.lat_sum_ns = 15000;
	collect__begin(c, 101, 1.0);
	collect__slot(c, 0, &key, &a, &ra);
	collect__slot(c, 1, &key, &b, &rb);
	collect__end(c, &s, &n);
	CHECK(n == 2 && s[1].requests == 5 && s[0].requests == 0 && s[0].active == 1);
	/* Slot 1 given to another owner: its counts start from zero. */
	b.netns = 4026532300u;
	rb = reading(4, 1, 0);
	CHECK(one(c, 102, 1, &b, &rb, &s) == 1 && s[0].requests == 4 && s[0].id.netns == b.netns);
	/* The same owner whose counters went back: the slot started over. */
	rb = reading(2, 1, 0);
	CHECK(one(c, 103, 1, &b, &rb, &s) == 1 && s[0].requests == 2);
	collect__free(c);
}

static int hook_calls, hook_rc, release_calls;
static uint32_t hook_slot;

static int on_retire(uint32_t slot, const struct tt_svc_key *key, void *ctx)
{
	(void)key;
	(void)ctx;
	hook_calls++;
	hook_slot = slot;
	return hook_rc;
}

static int on_release(uint32_t slot, void *ctx)
{
	(void)ctx;
	release_calls++;
	hook_slot = slot;
	return 0;
}

static const struct collect_slot_ops hooks = { .retire = on_retire, .release = on_release };

/* The slot as the kernel shows it once retired: its owner marked. */
static size_t one_retired(struct collector *c, double ts, uint32_t slot, const struct svc_id *id,
			  const struct svc_reading *cur)
{
	struct tt_svc_key key = { .port = id->port, .role = id->role,
				  .flags = TT_SVC_F_RETIRED };
	const struct svc_sample *s;
	size_t n;

	collect__begin(c, ts, 1.0);
	CHECK(collect__slot(c, slot, &key, id, cur) == 0);
	collect__end(c, &s, &n);
	return n;
}

/* No open connection and no event for idle_s: retired once, listed once;
 * the kernel slot freed one read later, late events counted. */
static void test_idle(void)
{
	struct collector *c = collect__new(-1, -1, -1, 16);
	struct svc_id a = ident(9000, 0, 0);
	struct svc_reading r = reading(5, 1, 1);
	const struct svc_sample *s;
	const struct svc_id *ids;
	uint64_t freed, late;
	size_t nr, i;

	if (!c)
		return;
	collect__set_idle(c, 3, &hooks, NULL);
	hook_rc = -EBUSY;
	CHECK(one(c, 10, 2, &a, &r, &s) == 1);
	for (i = 11; i <= 12; i++) {
		CHECK(one(c, (double)i, 2, &a, &r, &s) == 0);
		collect__retired(c, &ids, &nr);
		CHECK(nr == 0);
	}
	CHECK(one(c, 13, 2, &a, &r, &s) == 0);
	collect__retired(c, &ids, &nr);
	CHECK(nr == 1 && ids[0].port == 9000 && hook_calls == 1 && hook_slot == 2);
	CHECK(one(c, 14, 2, &a, &r, &s) == 0);
	collect__retired(c, &ids, &nr);
	CHECK(nr == 0 && hook_calls == 1);
	/* The kernel kept the slot (the hook failed): activity brings it back
	 * with the right delta, and it can retire again. */
	r.requests = 7;
	r.lat_sum_ns = 7000;
	CHECK(one(c, 15, 2, &a, &r, &s) == 1 && s[0].requests == 2);
	hook_rc = 0;
	for (i = 16; i <= 18; i++)
		one(c, (double)i, 2, &a, &r, &s);
	collect__retired(c, &ids, &nr);
	CHECK(nr == 1 && hook_calls == 2 && release_calls == 0);
	/* Next read: the owner shows retired, and one request arrived late.
	 * No sample, the slot released, the late request counted. */
	r.requests = 8;
	CHECK(one_retired(c, 19, 2, &a, &r) == 0);
	collect__slot_stats(c, &freed, &late);
	CHECK(release_calls == 1 && hook_slot == 2 && freed == 1 && late == 1);
	/* A new service in the freed slot counts from zero. */
	r = reading(3, 1, 0);
	CHECK(one(c, 20, 2, &a, &r, &s) == 1 && s[0].requests == 3 && s[0].active == 1);
	/* Open connections keep a service from retiring. */
	for (i = 21; i <= 31; i++)
		CHECK(one(c, (double)i, 2, &a, &r, &s) == 1);
	collect__retired(c, &ids, &nr);
	CHECK(nr == 0 && hook_calls == 2);
	/* A retired owner this collector never retired is left alone. */
	CHECK(one_retired(c, 32, 5, &a, &r) == 0 && release_calls == 1);
	collect__free(c);
}

/* A service whose cgroup the walker has yet to find waits one interval, and
 * its first line carries both intervals and its names; names stay once
 * found, even after the cgroup is gone. */
static void test_names(void)
{
	char base[64] = "/tmp/telltale-collect.XXXXXX", dir[256], cmd[128];
	struct svc_id a = ident(8080, 4026531840u, 0), b;
	struct svc_reading r = reading(4, 1, 0);
	const struct svc_sample *s;
	struct workload *w;
	struct collector *c;
	struct stat st;
	size_t n;

	if (!mkdtemp(base))
		return;
	snprintf(dir, sizeof(dir), "%s/system.slice", base);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/system.slice/docker-%s.scope", base, ID);
	mkdir(dir, 0755);
	CHECK(stat(dir, &st) == 0);
	a.cgroup = st.st_ino;
	w = workload__new(&(struct workload_opts){ .cgroup_root = base });
	c = collect__new(-1, -1, -1, 16);
	CHECK(w && c);
	if (!w || !c)
		goto out;
	collect__set_workload(c, w);
	CHECK(one(c, 50, 0, &a, &r, &s) == 0);
	CHECK(workload__refresh(w) == 0);
	r.requests = 9;
	r.lat_sum_ns = 9000;
	n = one(c, 51, 0, &a, &r, &s);
	CHECK(n == 1);
	if (n == 1) {
		CHECK(s[0].requests == 9 && s[0].interval_s == 2.0 && s[0].rps == 4.5);
		CHECK(!strcmp(s[0].id.names.container, ID) &&
		      !strcmp(s[0].id.names.runtime, "docker"));
	}
	rmdir(dir);
	CHECK(workload__refresh(w) == 0);
	CHECK(one(c, 52, 0, &a, &r, &s) == 1 && !strcmp(s[0].id.names.container, ID));
	/* A cgroup no walk finds: held once, then printed as its number. */
	b = ident(8081, 4026531840u, 0x7fffffff00001ULL);
	CHECK(one(c, 53, 1, &b, &r, &s) == 0);
	CHECK(one(c, 54, 1, &b, &r, &s) == 1 && s[0].interval_s == 2.0);
	CHECK(!s[0].id.names.cgroup[0] && s[0].id.cgroup == b.cgroup);
out:
	collect__free(c);
	workload__free(w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", base);
}

/* Opens the socket table turned away: in the open rate, not the gauge, and
 * counted modulo 2^32 across the counter's wrap. */
static void test_untracked(void)
{
	struct collector *c = collect__new(-1, -1, -1, 4);
	struct svc_id a = ident(8080, 4026532200u, 0);
	struct svc_reading r = reading(0, 2, 0);
	const struct svc_sample *s;

	CHECK(c != NULL);
	if (!c)
		return;
	r.untracked = 0xfffffffeu;
	CHECK(one(c, 100, 0, &a, &r, &s) == 1 && s[0].opened == 2 + 0xfffffffeull &&
	      s[0].active == 2);
	r.untracked = 3; /* five more, across the wrap */
	r.opened = 3;
	r.closed = 1;
	CHECK(one(c, 101, 0, &a, &r, &s) == 1 && s[0].opened == 6 && s[0].closed == 1 &&
	      s[0].active == 2);
	/* Only untracked opens: still an active interval. */
	r.untracked = 4;
	CHECK(one(c, 102, 0, &a, &r, &s) == 1 && s[0].opened == 1 && s[0].active == 2);
	collect__free(c);
}

int main(void)
{
	test_identity();
	test_idle();
	test_names();
	test_untracked();
	return check_done("test_collect");
}
