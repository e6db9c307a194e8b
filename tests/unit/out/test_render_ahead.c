// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rendering ahead of the scrape: the rule on a clock of our own (never
 * without scrapes, every snapshot for a scraper at the loop's pace, one or
 * two per scrape for a slower one, none once the scraper is gone); one
 * render of a format however many threads ask at once; and the real
 * endpoint on 127.0.0.1, where a snapshot is rendered by the endpoint's
 * thread only when someone scraped recently, in the formats asked, and the
 * text served equals a direct render of the same interval; and a scrape
 * queued on the socket before the endpoint starts, answered with the first
 * snapshot given to http__start (503 when none is). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "check.h"
#include "out/http.h"
#include "out/prom.h"

static uint64_t hist[TT_HIST_SLOTS];

/* ---- the rule ---- */

static void test_rule(void)
{
	struct http_scrapes sc = { 0 };
	double t, first = 0;
	int n = 0;

	/* Nobody scrapes: nothing is rendered. */
	for (t = 1000.5; t < 1010; t++)
		CHECK(!http__render_ahead(&sc, t, 1));
	/* One scrape: the next few snapshots, then none. */
	http__scraped(&sc, 1000);
	CHECK(http__render_ahead(&sc, 1000.5, 1));
	CHECK(http__render_ahead(&sc, 1003.5, 1));
	CHECK(!http__render_ahead(&sc, 1004.5, 1));
	/* A scraper at the loop's pace: every snapshot. */
	for (t = 1001; t <= 1010; t++) {
		http__scraped(&sc, t);
		CHECK(http__render_ahead(&sc, t + 0.5, 1));
	}
	/* Every 15 s with the loop at 1 s: only the snapshot the next scrape
	 * finds, published half a second before it. */
	memset(&sc, 0, sizeof(sc));
	for (t = 2000; t <= 2045; t += 15)
		http__scraped(&sc, t);
	for (t = 2045.5; t < 2060; t++)
		if (http__render_ahead(&sc, t, 1)) {
			n++;
			first = t;
		}
	CHECK(n == 1);
	CHECK(first == 2059.5);
	/* Scraped again at 2060, then gone: nothing after three periods. */
	http__scraped(&sc, 2060);
	CHECK(http__render_ahead(&sc, 2074.5, 1));
	for (n = 0, t = 2106.5; t < 2200; t++)
		n += http__render_ahead(&sc, t, 1);
	CHECK(n == 0);
	/* Ten GETs of one snapshot say nothing of the period: a scraper every
	 * 15 s among them is still seen as one. */
	for (t = 2200; t < 2200.1; t += 0.01)
		http__scraped(&sc, t);
	CHECK(http__render_ahead(&sc, 2200.5, 1));
	http__scraped(&sc, 2215);
	CHECK(!http__render_ahead(&sc, 2220.5, 1));
	CHECK(http__render_ahead(&sc, 2229.5, 1));
}

/* ---- one render per format ---- */

static struct prom_snap *snapshot(struct prom_state *st, unsigned services, double ts)
{
	struct core_view v = { .ready = true, .expected_us = { 120, 900 } };
	struct svc_sample s;
	unsigned i;

	for (i = 0; i < TT_HIST_SLOTS; i++)
		hist[i] = i < 160 ? 1 + i % 5 : 0;
	for (i = 0; i < services; i++) {
		memset(&s, 0, sizeof(s));
		s.id.port = (uint16_t)(1000 + i);
		s.id.role = TT_ROLE_SERVER;
		snprintf(s.id.comm, sizeof(s.id.comm), "svc%u", i % 7);
		s.ts = ts;
		s.requests = 10 + i;
		s.has_latency = true;
		s.lat_mean_us = 150;
		s.hist = hist;
		CHECK(prom__service(st, &s, &v) == 0);
	}
	return prom__snapshot(st, ts, 1);
}

struct racer {
	struct prom_snap *snap;
	pthread_barrier_t *go;
	int rendered;
	const char *text;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	size_t len;

	pthread_barrier_wait(r->go);
	r->rendered = prom__render(r->snap, false);
	r->text = prom__text(r->snap, false, &len);
	return NULL;
}

static void test_one_render(void)
{
	struct prom_config cfg;
	struct prom_state *st;
	struct racer r[4];
	pthread_t th[4];
	pthread_barrier_t go;
	int i, sum = 0;

	prom__default_config(&cfg);
	st = prom__new(&cfg, 60, 1000);
	CHECK(st != NULL);
	pthread_barrier_init(&go, NULL, 4);
	r[0] = (struct racer){ .snap = snapshot(st, 200, 1001), .go = &go };
	for (i = 1; i < 4; i++)
		r[i] = (struct racer){ .snap = prom__ref(r[0].snap), .go = &go };
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, race, &r[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		sum += r[i].rendered;
		CHECK(r[i].text && r[i].text == r[0].text);
	}
	/* Four asked at once, one rendered; the others waited for it. */
	CHECK(sum == 1);
	for (i = 0; i < 4; i++)
		prom__unref(r[i].snap);
	pthread_barrier_destroy(&go);
	prom__free(st);
}

/* ---- the real endpoint ---- */

struct body {
	char *p;
	size_t len;
};

static size_t keep(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	char *g = realloc(b->p, b->len + size * n + 1);

	if (!g)
		return 0;
	memcpy(g + b->len, p, size * n);
	b->p = g;
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

static char url[64];

/* GET /metrics in one format; the body, to free. */
static char *get(CURL *c, bool om)
{
	struct curl_slist *hdr = NULL;
	struct body b = { 0 };

	if (om)
		hdr = curl_slist_append(NULL, "Accept: application/openmetrics-text; version=1.0.0");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	CHECK(curl_easy_perform(c) == CURLE_OK);
	curl_slist_free_all(hdr);
	return b.p ? b.p : strdup("");
}

/* A listening socket on a free port of 127.0.0.1, its URL in url. */
static int listen_free(int *port_out)
{
	char spec[32];
	int fd = -1, port, base = 41000 + (int)(getpid() % 20000);

	for (port = base; port < base + 200 && fd < 0; port++) {
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
		fd = http__listen(spec);
		*port_out = port;
	}
	CHECK(fd >= 0);
	snprintf(url, sizeof(url), "http://%s/metrics", spec);
	return fd;
}

static struct http_server *start(void)
{
	int port, fd = listen_free(&port);

	return fd >= 0 ? http__start(fd, 1e9, NULL) : NULL;
}

static struct http_stats stats(struct http_server *h)
{
	struct http_stats s;

	http__stats(h, &s);
	return s;
}

/* Waits up to 10 s for the thread to have rendered n texts. */
static bool rendered(struct http_server *h, uint64_t n)
{
	int i;

	for (i = 0; i < 10000 && stats(h).rendered < n; i++)
		usleep(1000);
	return stats(h).rendered == n;
}

/* The served text is the direct render of a twin state fed the same. */
static void check_served(CURL *c, struct prom_snap *twin, bool om)
{
	char *served = get(c, om);
	size_t len;
	const char *direct = prom__text(twin, om, &len);

	CHECK(direct && strlen(served) == len && !strcmp(served, direct));
	free(served);
}

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void test_endpoint(void)
{
	struct prom_config cfg;
	struct prom_state *st, *twin_st;
	struct prom_snap *twin;
	struct http_server *h;
	CURL *c = curl_easy_init();
	double ts = 1001, last, now, scraped = 0, gap = 0;
	uint64_t q;
	int i, stall;

	prom__default_config(&cfg);
	st = prom__new(&cfg, 60, 1000);
	twin_st = prom__new(&cfg, 60, 1000);
	h = start();
	CHECK(st && twin_st && h && c);
	if (!st || !twin_st || !h || !c)
		return;
	/* Published, never scraped: nothing queued, nothing rendered. */
	for (i = 0; i < 5; i++)
		http__publish(h, snapshot(st, 50, ts++));
	usleep(20000);
	CHECK(stats(h).queued == 0 && stats(h).rendered == 0);
	/* The first GET renders it itself and serves what a direct render gives. */
	for (i = 0; i < 4; i++) /* the twin catches up */
		prom__unref(snapshot(twin_st, 50, 1001 + i));
	twin = snapshot(twin_st, 50, 1005);
	check_served(c, twin, false);
	CHECK(stats(h).rendered == 0);
	prom__unref(twin);
	/* Scraped just now: the next snapshot is rendered ahead in the text
	 * format only, and served as it is. */
	http__publish(h, snapshot(st, 50, ts++));
	twin = snapshot(twin_st, 50, 1006);
	CHECK(stats(h).queued == 1);
	CHECK(rendered(h, 1));
	check_served(c, twin, false);
	CHECK(stats(h).rendered == 1);
	prom__unref(twin);
	/* Both formats asked: both rendered ahead. */
	free(get(c, true));
	http__publish(h, snapshot(st, 50, ts++));
	twin = snapshot(twin_st, 50, 1007);
	CHECK(stats(h).queued == 3);
	CHECK(rendered(h, 3));
	check_served(c, twin, true);
	check_served(c, twin, false);
	CHECK(stats(h).rendered == 3);
	prom__unref(twin);
	/* A scraper at the loop's pace (20 ms), then gone: every snapshot
	 * while it scrapes, none once three periods went by. On a busy host
	 * the scrapes come further apart than 20 ms, and so does the period
	 * the server learns from them: the scraper is gone once three of the
	 * longest gaps seen, and a publish's, went by (CI once rendered on
	 * after a fixed ten publishes). */
	for (i = 0; i < 5; i++) {
		usleep(20000);
		q = stats(h).queued;
		http__publish(h, snapshot(st, 50, ts++));
		CHECK(stats(h).queued == q + 2);
		free(get(c, false));
		free(get(c, true));
		now = mono_now();
		gap = i ? fmax(gap, now - scraped) : 0;
		scraped = now;
	}
	do {
		usleep(20000);
		http__publish(h, snapshot(st, 50, ts++));
	} while (mono_now() - scraped < 3 * gap + 0.1);
	q = stats(h).queued;
	last = mono_now();
	for (i = 0, stall = 0; i < 8; i++) {
		usleep(20000);
		stall = stall || mono_now() - last > 0.06;
		last = mono_now();
		http__publish(h, snapshot(st, 50, ts++));
	}
	/* Unless the loop itself stalled (a busy machine: one gap of three of
	 * its periods makes it a slower publisher, whose scraper may still be
	 * due, so a render is right there). */
	CHECK(stats(h).queued == q || stall);
	/* Stopped with a render under way: joined, nothing leaks (ASan). */
	free(get(c, false));
	http__publish(h, snapshot(st, 3000, ts++));
	http__stop(h);
	curl_easy_cleanup(c);
	prom__free(st);
	prom__free(twin_st);
}

/* Connects and sends GET /metrics: accepted by the kernel, queued until a
 * server takes it. Returns the client's socket. */
static int queue_get(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(write(fd, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1));
	return fd;
}

/* Everything the server sends until it closes; to free. */
static char *read_all(int fd)
{
	struct body b = { 0 };
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		keep(buf, 1, (size_t)n, &b);
	close(fd);
	return b.p ? b.p : strdup("");
}

/* The agent listens before it loads its programs; a scrape that arrives
 * then waits in the socket's queue and is the first the server answers. */
static void test_first_snapshot(bool given)
{
	struct prom_config cfg;
	struct prom_state *st, *twin_st;
	struct prom_snap *twin;
	struct http_server *h;
	int port, fd, client;
	const char *direct, *body;
	char *got;
	size_t len;

	prom__default_config(&cfg);
	st = prom__new(&cfg, 60, 1000);
	twin_st = prom__new(&cfg, 60, 1000);
	fd = listen_free(&port);
	CHECK(st && twin_st && fd >= 0);
	if (!st || !twin_st || fd < 0)
		return;
	client = queue_get(port);
	h = http__start(fd, 1e9, given ? snapshot(st, 3, 1000) : NULL);
	CHECK(h != NULL);
	got = read_all(client);
	twin = snapshot(twin_st, 3, 1000);
	direct = prom__text(twin, false, &len);
	body = strstr(got, "\r\n\r\n");
	if (given)
		CHECK(!strncmp(got, "HTTP/1.1 200 ", 13) && body && direct && !strcmp(body + 4, direct));
	else
		CHECK(!strncmp(got, "HTTP/1.1 503 ", 13));
	free(got);
	prom__unref(twin);
	http__stop(h);
	prom__free(st);
	prom__free(twin_st);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_rule();
	test_one_render();
	test_endpoint();
	test_first_snapshot(true);
	test_first_snapshot(false);
	curl_global_cleanup();
	return check_done("render_ahead");
}
