// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What the Prometheus endpoint costs, without the kernel: for 10, 1,000 and
 * 10,000 services with the default buckets, a core view and traffic in
 * every bucket range, the loop's share (adding the interval's samples and
 * building the snapshot, then publishing it) and a scrape's: rendering the
 * text format 0.0.4 and OpenMetrics 1.0, and whole GETs through the real
 * endpoint on 127.0.0.1 (libcurl, keep-alive) of a snapshot just published:
 *   steady   a scraper that scraped the previous snapshot, arriving once the
 *            endpoint rendered this one ahead (sends the text only);
 *   at once  the same, arriving right after the publish (waits for the
 *            render under way);
 *   first    an endpoint nobody scraped yet (the GET renders).
 * "ready" is how long after the publish the text was rendered ahead: a
 * scrape landing in that window waits. Median of 15 runs each; prints one
 * line per size.
 *
 *   scrape_bench [SERVICES...]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "out/http.h"
#include "out/prom.h"

#define RUNS 15

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Endpoints scraped once a run, as at every interval: one GET once the text
 * is ready, one right after the publish. */
static struct http_server *server, *server2;
static CURL *curl, *curl2;

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* An endpoint on the first free port from 39464, and a client for it. */
static struct http_server *start_server(CURL **c)
{
	struct http_server *h;
	char spec[32], url[64];
	int fd = -1, port;

	for (port = 39464; port < 39564 && fd < 0; port++) {
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
		fd = http__listen(spec);
	}
	h = fd >= 0 ? http__start(fd, 1e9, NULL) : NULL;
	*c = curl_easy_init();
	if (!h || !*c) {
		perror("endpoint");
		exit(1);
	}
	snprintf(url, sizeof(url), "http://%s/metrics", spec);
	curl_easy_setopt(*c, CURLOPT_URL, url);
	curl_easy_setopt(*c, CURLOPT_WRITEFUNCTION, sink);
	return h;
}

/* One whole GET /metrics, ms. */
static double get_ms(CURL *c)
{
	double t = now_ms();

	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "scrape_bench: GET /metrics failed\n");
		exit(1);
	}
	return now_ms() - t;
}

/* Publishes snap to a scraped endpoint, which must render it ahead. */
static void publish_scraped(struct http_server *h, struct prom_snap *snap, double *publish_us)
{
	struct http_stats before, after;
	double t;

	http__stats(h, &before);
	t = now_ms();
	http__publish(h, snap);
	*publish_us = (now_ms() - t) * 1e3;
	http__stats(h, &after);
	if (after.queued != before.queued + 1) {
		fprintf(stderr, "scrape_bench: a scraped endpoint did not render ahead\n");
		exit(1);
	}
}

/* How long after t the endpoint had rendered n texts ahead, ms. */
static double ready_ms(double t, uint64_t n)
{
	struct http_stats st;

	for (;;) {
		http__stats(server, &st);
		if (st.rendered >= n)
			return now_ms() - t;
		usleep(50);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp);
	return v[RUNS / 2];
}

static struct prom_snap *fresh_snapshot(struct prom_state *st, double ts)
{
	struct prom_snap *snap = prom__snapshot(st, ts, 1);

	if (!snap) {
		perror("prom__snapshot");
		exit(1);
	}
	return snap;
}

static void run(unsigned n)
{
	static uint64_t hist[TT_HIST_SLOTS];
	double build[RUNS], text[RUNS], om[RUNS], first[RUNS], steady[RUNS], at_once[RUNS];
	double ready[RUNS], publish[RUNS], t;
	struct core_view v = { .ready = true, .expected_us = { 120, 900 } };
	struct prom_config cfg;
	struct prom_state *st;
	struct prom_snap *snap = NULL;
	struct http_server *fresh;
	struct http_stats hs;
	struct svc_sample s;
	CURL *c;
	size_t len = 0, omlen = 0;
	uint64_t exposed, dropped;
	unsigned i, r;

	prom__default_config(&cfg);
	cfg.max_series = 100000000;
	st = prom__new(&cfg, 60, 0);
	if (!st) {
		perror("prom__new");
		exit(1);
	}
	for (i = 0; i < TT_HIST_SLOTS; i++)
		hist[i] = i < 160 ? 1 + i % 7 : 0;
	for (r = 0; r < RUNS; r++) {
		t = now_ms();
		for (i = 0; i < n; i++) {
			memset(&s, 0, sizeof(s));
			s.id.port = (uint16_t)(1 + i % 65535);
			s.id.role = i >= 65535 ? TT_ROLE_CLIENT : TT_ROLE_SERVER;
			snprintf(s.id.comm, sizeof(s.id.comm), "svc%u", i % 100);
			s.ts = r;
			s.requests = 1000 + i;
			s.has_latency = true;
			s.lat_mean_us = 150;
			s.active = 8;
			s.hist = hist;
			if (prom__service(st, &s, &v)) {
				perror("prom__service");
				exit(1);
			}
		}
		prom__unref(snap);
		snap = prom__snapshot(st, r, 1);
		build[r] = now_ms() - t;
		t = now_ms();
		prom__text(snap, false, &len);
		text[r] = now_ms() - t;
		t = now_ms();
		prom__text(snap, true, &omlen);
		om[r] = now_ms() - t;
		/* The same interval again, not yet rendered, for the endpoints:
		 * the scraped one renders it ahead, the GET waits for nothing. */
		prom__unref(snap);
		snap = fresh_snapshot(st, r + 0.25);
		http__stats(server, &hs);
		t = now_ms();
		publish_scraped(server, prom__ref(snap), &publish[r]);
		ready[r] = ready_ms(t, hs.rendered + 1);
		steady[r] = get_ms(curl);
		/* Scraped right after the publish: waits for the render. */
		publish_scraped(server2, fresh_snapshot(st, r + 0.5), &t);
		at_once[r] = get_ms(curl2);
		/* An endpoint nobody scraped: the GET renders. */
		fresh = start_server(&c);
		http__publish(fresh, fresh_snapshot(st, r + 0.75));
		first[r] = get_ms(c);
		http__stop(fresh);
		curl_easy_cleanup(c);
	}
	prom__series(st, &exposed, &dropped);
	printf("%6u services, %8llu series (%5.1f MB): loop %7.3f ms (samples + snapshot), "
	       "publish %5.1f us; render %7.3f ms text 0.0.4, %7.3f ms OpenMetrics; ready %7.3f "
	       "ms after the publish; GET /metrics: steady %7.3f ms, at once %7.3f ms, first "
	       "%7.3f ms\n",
	       n, (unsigned long long)exposed, (double)len / 1e6, median(build), median(publish),
	       median(text), median(om), median(ready), median(steady), median(at_once),
	       median(first));
	prom__unref(snap);
	prom__free(st);
}

int main(int argc, char **argv)
{
	unsigned sizes[] = { 10, 1000, 10000 };
	int i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	server = start_server(&curl);
	server2 = start_server(&curl2);
	/* A first scrape, so that every snapshot after it is rendered ahead. */
	get_ms(curl);
	get_ms(curl2);
	if (argc > 1)
		for (i = 1; i < argc; i++)
			run((unsigned)atoi(argv[i]));
	else
		for (i = 0; i < 3; i++)
			run(sizes[i]);
	http__stop(server);
	http__stop(server2);
	curl_easy_cleanup(curl);
	curl_easy_cleanup(curl2);
	curl_global_cleanup();
	return 0;
}
