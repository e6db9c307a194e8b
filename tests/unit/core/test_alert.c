// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Alert lifecycle (m of n, one firing, one resolved, re-notify, flap
 * damping), fingerprints and the JSON encoding of alert lines. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alert.h"
#include "check.h"

static int run(struct alert_state *a, const struct alert_policy *p, const char *pattern,
	       double t0, int *firing, int *resolved)
{
	int i, ev, last = 0;

	for (i = 0; pattern[i]; i++) {
		ev = alert__observe(a, p, pattern[i] == 'x', false, t0 + i);
		*firing += ev == ALERT_EV_FIRING;
		*resolved += ev == ALERT_EV_RESOLVED;
		if (ev)
			last = i;
	}
	return last;
}

static void test_m_of_n(void)
{
	struct alert_policy p;
	struct alert_state a = { 0 };
	int f = 0, r = 0, at;

	alert__default_policy(&p, ALERT_ANOMALY); /* 3 of 5, clear after 5 */
	/* Isolated bad points never fire. */
	run(&a, &p, "x...x...x...x.x...", 0, &f, &r);
	CHECK(f == 0 && r == 0);
	CHECK(a.phase == ALERT_QUIET || a.phase == ALERT_PENDING);
	/* Third bad of five fires, once; since is the first bad one. */
	memset(&a, 0, sizeof(a));
	at = run(&a, &p, "..x.xx", 100, &f, &r);
	CHECK(f == 1 && at == 5);
	CHECK_NEAR(a.since, 102, 1e-9);
	run(&a, &p, "xxxxx.xxxx", 106, &f, &r);
	CHECK(f == 1 && r == 0);
	at = run(&a, &p, "....x.....", 200, &f, &r);
	CHECK(f == 1 && r == 1);
	CHECK(at == 9); /* five good in a row after the last bad one */
}

static void test_renotify_and_flap(void)
{
	struct alert_policy p;
	struct alert_state a = { 0 };
	int f = 0, r = 0, i, ev, renote = 0;

	alert__default_policy(&p, ALERT_THRESHOLD);
	p.m = p.n = 1;
	p.renotify_s = 10;
	for (i = 0; i < 35; i++) {
		ev = alert__observe(&a, &p, true, false, i);
		f += ev == ALERT_EV_FIRING;
		renote += ev == ALERT_EV_RENOTIFY;
	}
	CHECK(f == 1);
	CHECK(renote == 3); /* at 10, 20, 30 */
	/* A condition toggling every interval fires and resolves at first,
	 * then the flap damping keeps it firing. */
	memset(&a, 0, sizeof(a));
	p.renotify_s = 0;
	f = r = 0;
	for (i = 0; i < 200; i++) {
		ev = alert__observe(&a, &p, i % 2 == 0, false, i);
		f += ev == ALERT_EV_FIRING;
		r += ev == ALERT_EV_RESOLVED;
	}
	CHECK(f >= 2 && f <= 4);
	if (!(f >= 2 && f <= 4))
		fprintf(stderr, "  firings %d resolved %d\n", f, r);
	CHECK(r == f - 1);
	CHECK(a.phase == ALERT_FIRING);
	CHECK(alert__expire(&a) == ALERT_EV_RESOLVED);
	CHECK(alert__expire(&a) == ALERT_EV_NONE);
}

static void test_id(void)
{
	struct svc_id s1 = { .port = 8080, .role = TT_ROLE_SERVER };
	struct svc_id s2 = { .port = 8080, .role = TT_ROLE_CLIENT };
	char a[17], b[17], c[17], d[17];

	alert__id(ALERT_ANOMALY, "latency_mean_us", &s1, a);
	strcpy(s1.comm, "nginx"); /* comm is a label, not identity */
	alert__id(ALERT_ANOMALY, "latency_mean_us", &s1, b);
	alert__id(ALERT_ANOMALY, "latency_mean_us", &s2, c);
	alert__id(ALERT_THRESHOLD, "cpu_pct", NULL, d);
	CHECK(strlen(a) == 16);
	CHECK(!strcmp(a, b));
	CHECK(strcmp(a, c));
	CHECK(strcmp(a, d));
	/* FNV-1a 64 of "threshold\0cpu_pct\0host", fixed forever. */
	CHECK(!strcmp(d, alert__id(ALERT_THRESHOLD, "cpu_pct", NULL, c)));
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* With an identity the fingerprint covers it: role:port/netns/cgroup, and
 * /other for the overflow service; labels never count. */
static void test_id_identity(void)
{
	struct svc_id s = { .port = 8080, .role = TT_ROLE_SERVER, .netns = 4026532100u,
			    .cgroup = 11 };
	const char *tail = "server:8080/4026532100/11";
	uint64_t h = 0xcbf29ce484222325ULL;
	char a[17], b[17], want[17];

	h = fnv(h, "anomaly", 8);
	h = fnv(h, "latency_mean_us", 16);
	h = fnv(h, tail, strlen(tail));
	snprintf(want, sizeof(want), "%016llx", (unsigned long long)h);
	CHECK(!strcmp(alert__id(ALERT_ANOMALY, "latency_mean_us", &s, a), want));
	strcpy(s.names.container, "abc");
	s.host_netns = true;
	CHECK(!strcmp(alert__id(ALERT_ANOMALY, "latency_mean_us", &s, b), a));
	s.cgroup = 12;
	CHECK(strcmp(alert__id(ALERT_ANOMALY, "latency_mean_us", &s, b), a));
	s.cgroup = 11;
	s.flags = SVC_F_OTHER;
	CHECK(strcmp(alert__id(ALERT_ANOMALY, "latency_mean_us", &s, b), a));
}

static void test_encode(void)
{
	struct svc_id s = { .comm = "nginx", .port = 8080, .role = TT_ROLE_SERVER };
	cJSON *det = cJSON_CreateObject(), *line, *back, *svc;
	struct alert_info info = { .kind = ALERT_ANOMALY, .severity = SEV_CRITICAL,
				   .metric = "latency_mean_us", .svc = &s, .value = 312.44449,
				   .expected = 101.2, .score = 0.99999, .threshold = 6,
				   .since = 1795412533.0, .message = "slow", .details = det };
	char *text, id[17];

	cJSON_AddNumberToObject(det, "n", 5);
	line = alert__encode(&info, ALERT_EV_FIRING, 42, 1795412535.5, "web-1");
	CHECK(line != NULL);
	text = cJSON_PrintUnformatted(line);
	back = cJSON_Parse(text);
	CHECK(back != NULL);
	CHECK(!strcmp(cJSON_GetObjectItem(back, "type")->valuestring, "alert"));
	CHECK(!strcmp(cJSON_GetObjectItem(back, "ts")->valuestring, "2026-11-23T05:42:15.500Z"));
	CHECK(!strcmp(cJSON_GetObjectItem(back, "host")->valuestring, "web-1"));
	CHECK(cJSON_GetObjectItem(back, "seq")->valuedouble == 42);
	CHECK(!strcmp(cJSON_GetObjectItem(back, "id")->valuestring,
		      alert__id(ALERT_ANOMALY, "latency_mean_us", &s, id)));
	CHECK(!strcmp(cJSON_GetObjectItem(back, "state")->valuestring, "firing"));
	CHECK(!strcmp(cJSON_GetObjectItem(back, "severity")->valuestring, "critical"));
	CHECK(!strcmp(cJSON_GetObjectItem(back, "kind")->valuestring, "anomaly"));
	CHECK_NEAR(cJSON_GetObjectItem(back, "value")->valuedouble, 312.444, 1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(back, "expected")->valuedouble, 101.2, 1e-9);
	CHECK_NEAR(cJSON_GetObjectItem(back, "score")->valuedouble, 1.0, 1e-9);
	CHECK(!strcmp(cJSON_GetObjectItem(back, "since")->valuestring, "2026-11-23T05:42:13.000Z"));
	svc = cJSON_GetObjectItem(back, "service");
	CHECK(svc && cJSON_GetObjectItem(svc, "port")->valuedouble == 8080);
	CHECK(!strcmp(cJSON_GetObjectItem(svc, "comm")->valuestring, "nginx"));
	CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "details"), "n")->valuedouble == 5);
	CHECK(!strchr(text, '\n'));
	free(text);
	cJSON_Delete(back);
	cJSON_Delete(line);

	/* Host metric, resolved, no expected value. */
	info.svc = NULL;
	info.expected = NAN;
	info.details = NULL;
	line = alert__encode(&info, ALERT_EV_RESOLVED, 43, 1795412540, "web-1");
	CHECK(!cJSON_GetObjectItem(line, "service"));
	CHECK(!cJSON_GetObjectItem(line, "expected"));
	CHECK(!cJSON_GetObjectItem(line, "details"));
	CHECK(!strcmp(cJSON_GetObjectItem(line, "state")->valuestring, "resolved"));
	cJSON_Delete(line);
}

int main(void)
{
	test_m_of_n();
	test_renotify_and_flap();
	test_id();
	test_id_identity();
	test_encode();
	return check_done("test_alert");
}
