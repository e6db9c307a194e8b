// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The core's names table: one entry per named cgroup, shared by the series
 * of that cgroup, freed with the last of them; the names a series took are
 * in every line it writes, as when each series kept a copy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/core.h"
#include "core/names.h"
#include "rng.h"

#define NETNS 4026532100u

struct last {
	int lines;
	char msg[400];
	char unit[SVC_UNIT_LEN];
	char state[16];
};

static int take(const cJSON *line, void *ctx)
{
	struct last *l = ctx;
	const cJSON *msg = cJSON_GetObjectItem(line, "message");
	const cJSON *st = cJSON_GetObjectItem(line, "state");
	const cJSON *unit = cJSON_GetObjectItem(cJSON_GetObjectItem(line, "service"), "unit");

	l->lines++;
	snprintf(l->msg, sizeof(l->msg), "%s", cJSON_IsString(msg) ? msg->valuestring : "");
	snprintf(l->state, sizeof(l->state), "%s", cJSON_IsString(st) ? st->valuestring : "");
	snprintf(l->unit, sizeof(l->unit), "%s", cJSON_IsString(unit) ? unit->valuestring : "");
	return 0;
}

static struct svc_sample sample(uint8_t role, uint16_t port, uint64_t cgroup, double ts)
{
	struct svc_sample s = { .id = { .role = role, .port = port, .netns = NETNS,
					.cgroup = cgroup },
				.ts = ts, .interval_s = 1, .requests = 100, .rps = 100 };

	strcpy(s.id.comm, "api");
	return s;
}

static void unit_of(struct svc_sample *s, const char *unit)
{
	snprintf(s->id.names.unit, sizeof(s->id.names.unit), "%s", unit);
	snprintf(s->id.names.cgroup, sizeof(s->id.names.cgroup), "/system.slice/%s", unit);
}

/* A core with one threshold rule on failed connects, hold 1. */
static struct core *rule_core(uint32_t max_series)
{
	struct core_config cfg;

	core__default_config(&cfg);
	cfg.rules[0] = (struct rule_threshold){ .metric = METRIC_FAILED, .fire = 5, .clear = 5,
						.hold = 1 };
	cfg.n_rules = 1;
	cfg.max_series = max_series;
	cfg.features = CORE_F_RPS;
	return core__new(&cfg);
}

static uint64_t names_held(const struct core *c)
{
	struct core_stats st;

	core__stats(c, &st);
	return st.names;
}

/* Bytes of an entry holding n: the header and each name packed with its
 * NUL. */
static size_t entry_bytes(const struct svc_names *n)
{
	return sizeof(struct names_entry) + strlen(n->cgroup) + strlen(n->container) +
	       strlen(n->runtime) + strlen(n->pod_uid) + strlen(n->unit) + 5;
}

/* Packed and copied back, the names are the same, every byte of them (a
 * name that fills its field is cut to the field's size less its NUL, as
 * snprintf would). */
static void test_packing(void)
{
	struct names_table t = { 0 };
	struct svc_names n, back, again;
	struct names_entry *e, *f;

	memset(&n, 0, sizeof(n));
	strcpy(n.cgroup, "/kubepods/burstable/pod1234/abcd");
	strcpy(n.container, "abcd");
	strcpy(n.runtime, "containerd");
	strcpy(n.pod_uid, "12345678-1234-1234-1234-123456789abc");
	e = names__get(&t, 9, &n);
	CHECK(e != NULL && e->len == entry_bytes(&n) - sizeof(*e));
	if (!e)
		return;
	memset(&back, 0x55, sizeof(back));
	names__copy(e, &back);
	CHECK(!memcmp(&back, &n, sizeof(n)));
	/* A unit as long as its field (no NUL in it) packs to the field less
	 * one, and asks for the entry of that name. */
	memset(&n, 0, sizeof(n));
	memset(n.unit, 'u', sizeof(n.unit));
	f = names__get(&t, 9, &n);
	CHECK(f != NULL && f != e && f->len == sizeof(n.unit) - 1 + 5);
	if (f) {
		names__copy(f, &back);
		CHECK(strlen(back.unit) == sizeof(back.unit) - 1 && !back.cgroup[0]);
		memcpy(&again, &back, sizeof(again));
		CHECK(names__get(&t, 9, &again) == f && f->refs == 2);
	}
	CHECK(names__bytes(&t) == e->len + (f ? f->len : 0) + 2 * sizeof(*e) +
					  16 * sizeof(void *));
	names__free(&t);
}

/* The table alone: one entry per cgroup and names, counted references. */
static void test_table(void)
{
	struct names_table t = { 0 };
	struct svc_names a = { .unit = "a.service" }, b = { .unit = "b.service" };
	struct names_entry *e[40];
	int i;

	CHECK(names__bytes(&t) == 0);
	e[0] = names__get(&t, 7, &a);
	e[1] = names__get(&t, 7, &a);
	CHECK(e[0] && e[0] == e[1] && e[0]->refs == 2 && t.n == 1);
	/* One cgroup id named two ways (a replayed stream can) keeps both. */
	e[2] = names__get(&t, 7, &b);
	CHECK(e[2] && e[2] != e[0] && t.n == 2);
	if (e[2]) {
		struct svc_names got;

		names__copy(e[2], &got);
		CHECK(!strcmp(got.unit, "b.service") && !got.cgroup[0]);
	}
	CHECK(names__bytes(&t) == entry_bytes(&a) + entry_bytes(&b) + 16 * sizeof(void *));
	names__put(&t, e[0]);
	CHECK(t.n == 2 && e[1]->refs == 1);
	names__put(&t, e[1]);
	names__put(&t, e[2]);
	CHECK(t.n == 0 && names__bytes(&t) == 0 && !t.buckets);
	names__put(&t, NULL);
	/* Growth keeps every entry reachable. */
	for (i = 0; i < 40; i++)
		e[i] = names__get(&t, 100 + (uint64_t)i, &a);
	CHECK(t.n == 40 && t.mask + 1 == 64);
	for (i = 0; i < 40; i++)
		CHECK(names__get(&t, 100 + (uint64_t)i, &a) == e[i]);
	names__free(&t);
	CHECK(t.n == 0 && !t.buckets);
}

/* A pod's server and client share one entry; a retired one leaves the
 * other its names; the last one gone frees the entry. */
static void test_shared(void)
{
	struct core *c = rule_core(64);
	struct svc_sample s[3] = { sample(TT_ROLE_SERVER, 8080, 41, 10),
				   sample(TT_ROLE_CLIENT, 5432, 41, 10),
				   sample(TT_ROLE_SERVER, 9090, 42, 10) };
	struct last l = { 0 };
	size_t unnamed;
	int i;

	CHECK(c != NULL);
	if (!c)
		return;
	unit_of(&s[0], "web.service");
	unit_of(&s[1], "web.service");
	CHECK(core__step(c, NULL, s, 3, "h", take, &l) == 0);
	CHECK(names_held(c) == 1);
	/* Three series share one entry and 16 buckets, rounded up. */
	unnamed = core__series_bytes(c) -
		  (entry_bytes(&s[0].id.names) + 16 * sizeof(void *) + 2) / 3;
	/* The client alerts with the cgroup's names. */
	s[1].failed = 9;
	s[0].ts = s[1].ts = 11;
	CHECK(core__step(c, NULL, s, 2, "h", take, &l) == 0);
	CHECK(l.lines == 1 && !strcmp(l.unit, "web.service"));
	CHECK(strstr(l.msg, "client:5432 (api) in web.service in netns") != NULL);
	/* The server retires: the client keeps the names. */
	CHECK(core__forget(c, &s[0].id, take, &l) == 0);
	CHECK(names_held(c) == 1);
	s[1].ts = 12;
	s[1].failed = 0;
	CHECK(core__step(c, NULL, &s[1], 1, "h", take, &l) == 0);
	CHECK(l.lines == 2 && !strcmp(l.state, "resolved") && !strcmp(l.unit, "web.service"));
	/* The client retires too: the entry is gone, and with it its bytes. */
	CHECK(core__forget(c, &s[1].id, take, &l) == 0);
	CHECK(names_held(c) == 0);
	CHECK(core__series_bytes(c) == unnamed);
	/* Back again, named again. */
	for (i = 0; i < 2; i++)
		s[i].ts = 13;
	CHECK(core__step(c, NULL, s, 2, "h", take, &l) == 0);
	CHECK(names_held(c) == 1);
	core__free(c);
}

/* Names that arrive late are in the next line; a service whose own samples
 * never carry names stays unnamed, as it did when each kept its own. */
static void test_late(void)
{
	struct core *c = rule_core(64);
	struct svc_sample s[2] = { sample(TT_ROLE_SERVER, 8080, 77, 10),
				   sample(TT_ROLE_CLIENT, 5432, 77, 10) };
	struct last l = { 0 };

	if (!c)
		return;
	s[0].failed = 9;
	CHECK(core__step(c, NULL, s, 2, "h", take, &l) == 0);
	CHECK(l.lines == 1 && strstr(l.msg, "in cgroup 77 in netns") && !l.unit[0]);
	CHECK(names_held(c) == 0);
	unit_of(&s[0], "api.service");
	s[0].failed = 0;
	s[0].ts = s[1].ts = 11;
	CHECK(core__step(c, NULL, s, 2, "h", take, &l) == 0);
	CHECK(l.lines == 2 && !strcmp(l.state, "resolved") && !strcmp(l.unit, "api.service"));
	CHECK(strstr(l.msg, "server:8080 (api) in api.service in netns") != NULL);
	CHECK(names_held(c) == 1);
	/* Later names do not replace the first: a cgroup's names never change. */
	unit_of(&s[0], "other.service");
	s[0].failed = 9;
	s[0].ts = s[1].ts = 12;
	CHECK(core__step(c, NULL, s, 2, "h", take, &l) == 0);
	CHECK(l.lines == 3 && !strcmp(l.unit, "api.service"));
	/* The client of that cgroup brought no names: its lines have none. */
	s[1].failed = 9;
	s[0].ts = s[1].ts = 13;
	CHECK(core__step(c, NULL, &s[1], 1, "h", take, &l) == 0);
	CHECK(l.lines == 4 && !l.unit[0] && strstr(l.msg, "client:5432 (api) in cgroup 77"));
	CHECK(names_held(c) == 1);
	core__free(c);
}

/* Thousands of services of a few hundred cgroups, some named, stepped and
 * forgotten at random: the table holds one entry per cgroup with a named
 * series alive, and frees everything with the core (ASan). */
static void test_random(void)
{
	enum { N = 4000, CGROUPS = 300 };
	static bool alive[N], named[N];
	struct core *c = rule_core(4096);
	struct rng r = { 7 };
	struct svc_sample s;
	int i, k, g, bad = 0, held;
	int per[CGROUPS];
	char unit[32];

	if (!c)
		return;
	for (i = 0; i < 80000; i++) {
		k = (int)(rng_next(&r) % N);
		g = k % CGROUPS;
		s = sample(k & 1 ? TT_ROLE_CLIENT : TT_ROLE_SERVER, (uint16_t)(1000 + k / 2),
			   1000 + (uint64_t)g, 100 + i);
		/* Two cgroups in three are named, each sample of them with a
		 * chance of one in four, as names resolve late. */
		if (g % 3 && rng_next(&r) % 4 == 0) {
			snprintf(unit, sizeof(unit), "u%d.service", g);
			unit_of(&s, unit);
		}
		if (rng_next(&r) % 3) {
			bad += core__step(c, NULL, &s, 1, "h", NULL, NULL) != 0;
			named[k] = (alive[k] && named[k]) || s.id.names.unit[0];
			alive[k] = true;
		} else {
			bad += core__forget(c, &s.id, NULL, NULL) != (alive[k] ? 0 : -ENOENT);
			alive[k] = named[k] = false;
		}
		if (i % 97)
			continue;
		memset(per, 0, sizeof(per));
		for (k = 0; k < N; k++)
			per[k % CGROUPS] += alive[k] && named[k];
		for (held = 0, g = 0; g < CGROUPS; g++)
			held += per[g] > 0;
		bad += names_held(c) != (uint64_t)held;
	}
	CHECK(bad == 0);
	CHECK(names_held(c) > 100);
	core__free(c);
}

int main(void)
{
	test_packing();
	test_table();
	test_shared();
	test_late();
	test_random();
	return check_done("test_names");
}
