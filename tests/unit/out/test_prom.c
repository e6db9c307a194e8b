// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The Prometheus state and its exposition: exact text of a small snapshot in
 * both formats, buckets that are exact sums of kernel slots, counters summed
 * over intervals, the series cap, stale and forgotten services, services
 * told apart by their whole identity, alerts, label escaping; and how close
 * histogram_quantile() over the default buckets comes to the agent's own
 * percentile on four latency shapes. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hist.h"
#include "check.h"
#include "lib/line.h"
#include "out/labels.h"
#include "out/prom.h"
#include "rng.h"

static uint64_t hist[TT_HIST_SLOTS];

static struct svc_sample sample(uint16_t port, const char *comm, uint64_t requests, double ts)
{
	struct svc_sample s = { .ts = ts, .interval_s = 1, .requests = requests, .rps = (double)requests,
				.active = 3, .opened = 1, .failed = 2, .resets = 1, .hist = hist };

	s.id.port = port;
	s.id.role = TT_ROLE_SERVER;
	snprintf(s.id.comm, sizeof(s.id.comm), "%s", comm);
	s.has_latency = requests > 0;
	s.lat_mean_us = 2;
	return s;
}

static const char *text(struct prom_snap *s, bool om)
{
	size_t len;
	const char *t = prom__text(s, om, &len);

	CHECK(t && strlen(t) == len);
	return t ? t : "";
}

static struct prom_config small_config(void)
{
	struct prom_config cfg;

	prom__default_config(&cfg);
	cfg.buckets[0] = 1.024e-6;
	cfg.buckets[1] = 4.096e-6;
	cfg.n_buckets = 2;
	return cfg;
}

static void test_exposition(void)
{
	struct prom_config cfg = small_config();
	struct prom_state *st = prom__new(&cfg, 60, 1000);
	struct svc_sample s;
	struct prom_snap *snap;
	const char *t;

	CHECK(st != NULL);
	memset(hist, 0, sizeof(hist));
	/* 3 requests under 1.024 us (slots 0..7), 4 up to 4.096 us, 1 above. */
	hist[2] = 3;
	hist[hist__slot_hi(8) <= 4096 ? 8 : 0] = 4;
	hist[40] = 1;
	s = sample(8080, "nginx", 8, 1001);
	CHECK(prom__service(st, &s, NULL) == 0);
	CHECK(prom__service(st, &s, NULL) == 0 || 1); /* a duplicate adds again */
	snap = prom__snapshot(st, 1001, 1);
	CHECK(snap != NULL);
	t = text(snap, false);
	CHECK(strstr(t, "# TYPE telltale_requests_total counter\n"
			"telltale_requests_total{role=\"server\",port=\"8080\",comm=\"nginx\"} 16\n"));
	CHECK(strstr(t, "telltale_request_duration_seconds_bucket{role=\"server\",port=\"8080\","
			"comm=\"nginx\",le=\"0.000001024\"} 6\n"
			"telltale_request_duration_seconds_bucket{role=\"server\",port=\"8080\","
			"comm=\"nginx\",le=\"0.000004096\"} 14\n"
			"telltale_request_duration_seconds_bucket{role=\"server\",port=\"8080\","
			"comm=\"nginx\",le=\"+Inf\"} 16\n"
			"telltale_request_duration_seconds_count{role=\"server\",port=\"8080\","
			"comm=\"nginx\"} 16\n"
			"telltale_request_duration_seconds_sum{role=\"server\",port=\"8080\","
			"comm=\"nginx\"} 3.2e-05\n"));
	CHECK(strstr(t, "telltale_connections_active{role=\"server\",port=\"8080\",comm=\"nginx\"} 3\n"));
	CHECK(strstr(t, "telltale_connections_failed_total{role=\"server\",port=\"8080\",comm=\"nginx\"} 4\n"));
	CHECK(strstr(t, "telltale_interval_end_timestamp_seconds 1001\n"));
	CHECK(!strstr(t, "_created"));
	CHECK(!strstr(t, "# EOF"));
	/* Without a core view: no expected latency, no scores for it. */
	CHECK(!strstr(t, "telltale_latency_expected_seconds{"));
	t = text(snap, true);
	CHECK(strstr(t, "# TYPE telltale_requests counter\n"));
	CHECK(strstr(t, "telltale_requests_total{role=\"server\",port=\"8080\",comm=\"nginx\"} 16\n"
			"telltale_requests_created{role=\"server\",port=\"8080\",comm=\"nginx\"} 1001\n"));
	CHECK(strstr(t, "# TYPE telltale_request_duration_seconds histogram\n"
			"# UNIT telltale_request_duration_seconds seconds\n"));
	CHECK(strstr(t, "telltale_request_duration_seconds_created{role=\"server\",port=\"8080\","
			"comm=\"nginx\"} 1001\n"));
	CHECK(strstr(t, "# TYPE telltale_build info\n"));
	CHECK(strlen(t) > 6 && !strcmp(t + strlen(t) - 6, "# EOF\n"));
	/* Rendered once per format: the same text again. */
	CHECK(text(snap, true) == t);
	prom__unref(snap);
	prom__free(st);
}

static void test_core_view_and_alerts(void)
{
	struct prom_config cfg = small_config();
	struct prom_state *st = prom__new(&cfg, 60, 1000);
	struct core_view v = { .ready = true, .expected_us = { 250, 1500 } };
	struct host_sample h = { .ts = 5, .cpu_pct = 50, .mem_pct = 25, .load1 = 0.5 };
	struct svc_sample s = sample(9000, "a\"b\\c", 1, 5);
	struct prom_snap *snap;
	const char *t;
	cJSON *line;

	memset(hist, 0, sizeof(hist));
	hist[1] = 1;
	v.score[METRIC_RPS] = 0.25f;
	CHECK(prom__service(st, &s, &v) == 0);
	prom__host(st, &h, NULL);
	line = cJSON_Parse("{\"type\":\"alert\",\"id\":\"abc\",\"state\":\"firing\",\"kind\":\"anomaly\","
			   "\"metric\":\"latency_mean_us\",\"severity\":\"critical\","
			   "\"service\":{\"role\":\"server\",\"port\":9000,\"comm\":\"x\"}}");
	CHECK(prom__alert_line(st, line) == 0);
	snap = prom__snapshot(st, 5, 1);
	t = text(snap, false);
	CHECK(strstr(t, "comm=\"a\\\"b\\\\c\""));
	CHECK(strstr(t, "telltale_latency_expected_seconds{role=\"server\",port=\"9000\","
			"comm=\"a\\\"b\\\\c\",stat=\"p99\"} 0.0015\n"));
	CHECK(strstr(t, ",metric=\"rps\"} 0.25\n"));
	CHECK(strstr(t, "telltale_host_cpu_ratio 0.5\n"));
	CHECK(strstr(t, "telltale_alert_firing{id=\"abc\",kind=\"anomaly\",metric=\"latency_mean_us\","
			"severity=\"critical\",role=\"server\",port=\"9000\",comm=\"x\"} 1\n"));
	prom__unref(snap);
	cJSON_SetValuestring(cJSON_GetObjectItem(line, "state"), "resolved");
	CHECK(prom__alert_line(st, line) == 0);
	snap = prom__snapshot(st, 6, 1);
	CHECK(!strstr(text(snap, false), "telltale_alert_firing{"));
	prom__unref(snap);
	cJSON_Delete(line);
	prom__free(st);
}

/* A service not seen for stale_intervals intervals loses its series; a
 * forgotten one at once; the cap leaves newcomers out and counts them. */
static void test_stale_forget_cap(void)
{
	struct prom_config cfg = small_config();
	struct prom_state *st = prom__new(&cfg, 2, 0);
	struct svc_sample a = sample(1, "a", 1, 1), b = sample(2, "b", 1, 1);
	struct prom_snap *snap;
	uint64_t exposed, dropped;
	int i;

	memset(hist, 0, sizeof(hist));
	hist[0] = 1;
	prom__service(st, &a, NULL);
	prom__service(st, &b, NULL);
	prom__unref(prom__snapshot(st, 1, 1));
	for (i = 0; i < 2; i++) {
		prom__service(st, &b, NULL);
		prom__unref(prom__snapshot(st, 2 + i, 1));
	}
	snap = prom__snapshot(st, 4, 1);
	CHECK(!strstr(text(snap, false), "port=\"1\""));
	CHECK(strstr(text(snap, false), "telltale_requests_total{role=\"server\",port=\"2\",comm=\"b\"} 3\n"));
	prom__unref(snap);
	prom__forget(st, &b.id);
	snap = prom__snapshot(st, 5, 1);
	CHECK(!strstr(text(prom__ref(snap), false), "port=\"2\""));
	prom__unref(snap);
	prom__unref(snap);
	prom__free(st);

	/* Room for the exporter's own points and one service. */
	cfg.max_series = 17; /* 5 of its own, 12 a service */
	st = prom__new(&cfg, 60, 0);
	a = sample(1, "a", 1, 1);
	b = sample(2, "b", 1, 1);
	prom__service(st, &a, NULL);
	prom__service(st, &b, NULL);
	snap = prom__snapshot(st, 1, 1);
	prom__series(st, &exposed, &dropped);
	CHECK(strstr(text(snap, false), "port=\"1\"") && !strstr(text(snap, false), "port=\"2\""));
	CHECK(dropped == PF_SVC_COUNT - 1 + cfg.n_buckets + 3);
	CHECK(exposed <= cfg.max_series);
	CHECK(strstr(text(snap, false), "telltale_exporter_series_overflow_total 12\n"));
	prom__unref(snap);
	prom__free(st);
}

static void test_buckets(void)
{
	struct prom_config cfg;
	double b[3] = { 1e-6, 1.01e-6, 1e-3 };
	char buf[256];
	uint32_t i;

	prom__default_config(&cfg);
	CHECK(cfg.n_buckets == 93);
	CHECK(!prom__buckets_problem(cfg.buckets, cfg.n_buckets, buf, sizeof(buf)));
	for (i = 0; i < cfg.n_buckets; i++)
		CHECK(prom__bucket_ns(cfg.buckets[i]) == (uint64_t)llround(cfg.buckets[i] * 1e9));
	CHECK(prom__buckets_problem(b, 3, buf, sizeof(buf)) != NULL);
	b[1] = 0.5e-6;
	CHECK(prom__buckets_problem(b, 3, buf, sizeof(buf)) != NULL);
	CHECK(prom__bucket_ns(0.001) == hist__slot_hi(tt_hist_slot(1000000) - 1) ||
	      prom__bucket_ns(0.001) == hist__slot_hi(tt_hist_slot(1000000)));
}

/* histogram_quantile() as Prometheus computes it on cumulative buckets. */
static double prom_quantile(const double *le, const uint64_t *c, uint32_t n, double q)
{
	double rank = q * (double)c[n], lo = 0;
	uint64_t prev = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if ((double)c[i] >= rank)
			return lo + (le[i] - lo) * (rank - (double)prev) / (double)(c[i] - prev);
		lo = le[i];
		prev = c[i];
	}
	return le[n - 1];
}

/* The default layout against the agent's p99 on log-normal, exponential,
 * gamma-like and bimodal latencies from 3 us to 100 ms. */
static void test_quantile_accuracy(void)
{
	struct prom_config cfg;
	double le[PROM_MAX_BUCKETS], worst = 0, v, scale, mine, theirs;
	uint64_t c[PROM_MAX_BUCKETS + 1];
	struct rng r = { 42 };
	int trial, i, shape;
	uint32_t b, s;

	prom__default_config(&cfg);
	for (b = 0; b < cfg.n_buckets; b++)
		le[b] = (double)prom__bucket_ns(cfg.buckets[b]);
	for (trial = 0; trial < 200; trial++) {
		memset(hist, 0, sizeof(hist));
		scale = pow(10, 3.5 + 4.5 * rng_unif(&r));
		shape = trial % 4;
		for (i = 0; i < 20000; i++) {
			if (shape == 0)
				v = scale * exp(rng_normal(&r) * (0.1 + 0.9 * rng_unif(&r)));
			else if (shape == 1)
				v = -scale * log(1 - rng_unif(&r));
			else if (shape == 2)
				v = scale * (1 + 0.3 * fabs(rng_normal(&r)));
			else
				v = scale * (rng_unif(&r) < 0.9 ? 1 : 5) * exp(0.2 * rng_normal(&r));
			hist[tt_hist_slot((uint64_t)v)]++;
		}
		for (b = 0; b <= cfg.n_buckets; b++) {
			c[b] = 0;
			for (s = 0; s < TT_HIST_SLOTS; s++)
				if (b == cfg.n_buckets || hist__slot_hi(s) <= (uint64_t)le[b])
					c[b] += hist[s];
		}
		mine = hist__quantile(hist, 0.99);
		theirs = prom_quantile(le, c, cfg.n_buckets, 0.99);
		worst = fmax(worst, fabs(theirs - mine) / mine);
	}
	printf("test_prom: histogram_quantile(0.99) over the default buckets: worst %.1f %% off the agent's p99 in 200 distributions\n",
	       worst * 100);
	CHECK(worst < 0.10);
}

/* The telltale_requests_total lines of t, one string each ("labels} value"),
 * into out; returns how many. Fails the test when two share a label set. */
static size_t request_lines(const char *t, char out[][512], size_t max)
{
	static const char name[] = "\ntelltale_requests_total{";
	const char *p, *end;
	size_t n = 0, i, k;

	for (p = strstr(t, name); p && n < max; p = strstr(end, name)) {
		p += sizeof(name) - 1;
		end = strchr(p, '\n');
		snprintf(out[n], 512, "%.*s", (int)(end - p), p);
		n++;
	}
	for (i = 0; i < n; i++)
		for (k = i + 1; k < n; k++)
			CHECK(strncmp(out[i], out[k], (size_t)(strchr(out[i], '}') - out[i] + 1)));
	return n;
}

/* The whole identity keys a service: one port in two network namespaces, in
 * two cgroups, and in a cgroup at the path of one that is gone (a unit
 * restarted) are five services, five series with label sets of their own;
 * forgetting one leaves the others; names resolved later relabel the series,
 * whose totals go on. */
static void test_identity(void)
{
	struct prom_config cfg = small_config();
	struct prom_state *st = prom__new(&cfg, 60, 0);
	struct svc_sample s[5];
	struct prom_snap *snap;
	char lines[8][512];
	const char *t;
	unsigned i;

	memset(hist, 0, sizeof(hist));
	hist[0] = 1;
	for (i = 0; i < 5; i++) {
		s[i] = sample(8080, "app", 1 + i, 1);
		s[i].id.netns = i == 1 ? 4026532222u : 4026531111u;
		s[i].id.cgroup = i == 2 ? 8 : i < 2 ? 7 : 6 + i;
	}
	snprintf(s[3].id.names.cgroup, SVC_CGROUP_LEN, "/system.slice/app.service");
	snprintf(s[4].id.names.cgroup, SVC_CGROUP_LEN, "/system.slice/app.service");
	for (i = 0; i < 5; i++)
		CHECK(prom__service(st, &s[i], NULL) == 0);
	snap = prom__snapshot(st, 1, 1);
	t = text(snap, false);
	CHECK(request_lines(t, lines, 8) == 5);
	CHECK(strstr(t, "telltale_requests_total{role=\"server\",port=\"8080\",comm=\"app\","
			"netns=\"4026531111\",cgroup=\"7\",cgroup_id=\"7\"} 1\n"));
	CHECK(strstr(t, "telltale_requests_total{role=\"server\",port=\"8080\",comm=\"app\","
			"netns=\"4026532222\",cgroup=\"7\",cgroup_id=\"7\"} 2\n"));
	CHECK(strstr(t, "telltale_requests_total{role=\"server\",port=\"8080\",comm=\"app\","
			"netns=\"4026531111\",cgroup=\"8\",cgroup_id=\"8\"} 3\n"));
	CHECK(strstr(t, "netns=\"4026531111\",cgroup=\"/system.slice/app.service\","
			"cgroup_id=\"9\"} 4\n"));
	CHECK(strstr(t, "netns=\"4026531111\",cgroup=\"/system.slice/app.service\","
			"cgroup_id=\"10\"} 5\n"));
	prom__unref(snap);

	/* Retiring the second namespace's service leaves the first's. */
	prom__forget(st, &s[1].id);
	snprintf(s[0].id.names.cgroup, SVC_CGROUP_LEN, "/kubepods/pod1/cri-containerd-ab.scope");
	snprintf(s[0].id.names.container, SVC_CONTAINER_LEN, "ab");
	snprintf(s[0].id.names.runtime, SVC_RUNTIME_LEN, "containerd");
	for (i = 0; i < 5; i++)
		if (i != 1)
			CHECK(prom__service(st, &s[i], NULL) == 0);
	snap = prom__snapshot(st, 2, 1);
	t = text(snap, false);
	CHECK(request_lines(t, lines, 8) == 4);
	CHECK(!strstr(t, "4026532222"));
	/* The first service, relabelled by its names, with its total. */
	CHECK(strstr(t, "telltale_requests_total{role=\"server\",port=\"8080\",comm=\"app\","
			"netns=\"4026531111\",cgroup=\"/kubepods/pod1/cri-containerd-ab.scope\","
			"cgroup_id=\"7\",container_id=\"ab\","
			"container_runtime=\"containerd\"} 2\n"));
	CHECK(!strstr(t, "cgroup=\"7\""));
	CHECK(strstr(t, "netns=\"4026531111\",cgroup=\"8\",cgroup_id=\"8\"} 6\n"));
	CHECK(strstr(t, "telltale_request_duration_seconds_count{role=\"server\",port=\"8080\","
			"comm=\"app\",netns=\"4026531111\","
			"cgroup=\"/kubepods/pod1/cri-containerd-ab.scope\",cgroup_id=\"7\","
			"container_id=\"ab\",container_runtime=\"containerd\"} 2\n"));
	prom__unref(snap);

	/* A service seen again after it was forgotten starts over. */
	CHECK(prom__service(st, &s[1], NULL) == 0);
	snap = prom__snapshot(st, 3, 1);
	CHECK(strstr(text(snap, false), "netns=\"4026532222\",cgroup=\"7\",cgroup_id=\"7\"} 2\n"));
	prom__unref(snap);
	prom__free(st);
}

/* The labels of a line's service object are those of the service, with its
 * whole identity or with role and port alone. */
static void test_labels(void)
{
	struct svc_id ids[2] = { { .port = 5432, .role = TT_ROLE_CLIENT },
				 { .port = 80, .netns = 4026531840u, .cgroup = 1234 } };
	struct label a[LABELS_MAX], b[LABELS_MAX];
	size_t want[2] = { 3, 7 }, n, m, i, k;
	cJSON *o;

	snprintf(ids[0].comm, sizeof(ids[0].comm), "psql");
	snprintf(ids[1].names.cgroup, SVC_CGROUP_LEN, "/system.slice/docker-ab.scope");
	snprintf(ids[1].names.container, SVC_CONTAINER_LEN, "ab");
	snprintf(ids[1].names.runtime, SVC_RUNTIME_LEN, "docker");
	for (k = 0; k < 2; k++) {
		o = line__service(&ids[k]);
		n = labels__service(&ids[k], a);
		m = labels__from_json(o, b);
		CHECK(n == want[k] && n == m);
		for (i = 0; i < n && i < m; i++)
			CHECK(!strcmp(a[i].name, b[i].name) && !strcmp(a[i].value, b[i].value));
		cJSON_Delete(o);
	}
	CHECK(!strcmp(a[4].name, "cgroup_id") && !strcmp(a[4].value, "1234"));
}

int main(void)
{
	test_exposition();
	test_core_view_and_alerts();
	test_stale_forget_cap();
	test_identity();
	test_buckets();
	test_quantile_accuracy();
	test_labels();
	return check_done("test_prom");
}
