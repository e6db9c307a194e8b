// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What the Prometheus endpoint costs, without the kernel: for 10, 1,000 and
 * 10,000 services with the default buckets, a core view and traffic in
 * every bucket range, the loop's share (adding the interval's samples and
 * building the snapshot) and a scrape's: rendering the text format 0.0.4 and
 * OpenMetrics 1.0, and whole GETs through the real endpoint on 127.0.0.1
 * (libcurl, keep-alive) of a snapshot just published: the first, which
 * renders the text, and a repeated one, which sends the kept text.
 * Median of 15 runs each; prints one line per size.
 *
 *   scrape_bench [SERVICES...]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static struct http_server *server;
static CURL *curl;

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* The endpoint on the first free port from 39464. */
static void start_server(void)
{
	char spec[32], url[64];
	int fd = -1, port;

	for (port = 39464; port < 39564 && fd < 0; port++) {
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
		fd = http__listen(spec);
	}
	server = fd >= 0 ? http__start(fd, 1e9) : NULL;
	curl = curl_easy_init();
	if (!server || !curl) {
		perror("endpoint");
		exit(1);
	}
	snprintf(url, sizeof(url), "http://%s/metrics", spec);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink);
}

/* One whole GET /metrics, ms. */
static double get_ms(void)
{
	double t = now_ms();

	if (curl_easy_perform(curl) != CURLE_OK) {
		fprintf(stderr, "scrape_bench: GET /metrics failed\n");
		exit(1);
	}
	return now_ms() - t;
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

static void run(unsigned n)
{
	static uint64_t hist[TT_HIST_SLOTS];
	double build[RUNS], text[RUNS], om[RUNS], first[RUNS], again[RUNS], t;
	struct core_view v = { .ready = true, .expected_us = { 120, 900 } };
	struct prom_config cfg;
	struct prom_state *st;
	struct prom_snap *snap = NULL;
	struct svc_sample s;
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
		/* The same interval again, not yet rendered, for the endpoint. */
		prom__unref(snap);
		snap = prom__snapshot(st, r + 0.5, 1);
		if (!snap) {
			perror("prom__snapshot");
			exit(1);
		}
		http__publish(server, prom__ref(snap));
		first[r] = get_ms();
		again[r] = get_ms();
	}
	prom__series(st, &exposed, &dropped);
	printf("%6u services, %8llu series (%5.1f MB): loop %7.3f ms (samples + snapshot); "
	       "render %7.3f ms text 0.0.4, %7.3f ms OpenMetrics; GET /metrics: first of the "
	       "snapshot %7.3f ms, repeated %7.3f ms\n",
	       n, (unsigned long long)exposed, (double)len / 1e6, median(build), median(text),
	       median(om), median(first), median(again));
	prom__unref(snap);
	prom__free(st);
}

int main(int argc, char **argv)
{
	unsigned sizes[] = { 10, 1000, 10000 };
	int i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	start_server();
	if (argc > 1)
		for (i = 1; i < argc; i++)
			run((unsigned)atoi(argv[i]));
	else
		for (i = 0; i < 3; i++)
			run(sizes[i]);
	http__stop(server);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return 0;
}
