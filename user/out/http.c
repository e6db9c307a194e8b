// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The endpoint on libmicrohttpd: HTTP parsing, keep-alive, timeouts and
 * connection limits are the library's (a hand-written server would get them
 * wrong); this file routes three paths, hands out snapshots and, while
 * someone scrapes, renders each new snapshot ahead of the scrape in a thread
 * of its own.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "out/http.h"

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OM "application/openmetrics-text; version=1.0.0; charset=utf-8"

struct http_server {
	struct MHD_Daemon *d;
	int fd;
	double stale_s;
	pthread_mutex_t lock; /* guards every field up to the counters */
	pthread_cond_t wake;  /* a job, or stopping */
	struct prom_snap *snap;
	double published; /* CLOCK_MONOTONIC of the last publish */
	struct http_scrapes scrapes[2]; /* text 0.0.4, OpenMetrics */
	struct prom_snap *job;		/* to render ahead, with its reference */
	unsigned job_formats;		/* bit 0 text 0.0.4, bit 1 OpenMetrics */
	struct prom_snap *trash;	/* a reference for the thread to drop */
	bool stopping;
	pthread_t ahead;
	atomic_ullong requests, errors, queued, rendered;
};

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>telltale</title></head>\n"
	"<body><h1>telltale</h1>\n<p>Per-service requests, latency and TCP connections from eBPF, "
	"with an anomaly core.</p>\n<ul>\n<li><a href=\"/metrics\">/metrics</a>: Prometheus "
	"exposition (OpenMetrics when asked for)</li>\n<li><a href=\"/healthz\">/healthz</a>: 200 "
	"while the collection loop publishes</li>\n</ul>\n</body></html>\n";

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int http__parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port;
	uint16_t p;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		colon = strchr(spec, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		n = (size_t)(colon - spec - 1);
		port = colon + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || memchr(spec, ':', (size_t)(colon - spec)))
			return -EINVAL;
		n = (size_t)(colon - spec);
		port = colon + 1;
	}
	if (n >= sizeof(host) || parse_port(port, &p))
		return -EINVAL;
	memcpy(host, spec + (spec[0] == '['), n);
	host[n] = '\0';
	if (spec[0] != '[' && n && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(p);
		*len = sizeof(*a4);
		return 0;
	}
	/* Nothing before the colon: every address, IPv6 and IPv4. */
	if ((spec[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) ||
	    (spec[0] != '[' && !n)) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(p);
		*len = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

const char *http__listen_problem(const char *spec, char *buf, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!spec[0] || !http__parse_listen(spec, &ss, &len))
		return NULL;
	snprintf(buf, n,
		 "not ADDR:PORT (an IPv4 address, an IPv6 one in brackets, or nothing for every "
		 "address, and a port from 1 to 65535: \"127.0.0.1:9464\", \"[::1]:9464\", "
		 "\":9464\")");
	return buf;
}

int http__listen(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, zero = 0, err;

	if (http__parse_listen(spec, &ss, &len))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* Every address on a host without IPv6 (booted ipv6.disable=1): all
	 * of IPv4's, as node_exporter's ":9100" is there. */
	if (fd < 0 && errno == EAFNOSUPPORT && spec[0] == ':') {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		uint16_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		a4->sin_family = AF_INET;
		a4->sin_port = port;
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof(*a4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -errno;
	/* A restart must not wait out the last run's TIME-WAIT sockets; Linux
	 * still refuses a second listener on the port. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

void http__scraped(struct http_scrapes *sc, double now)
{
	if (sc->last > 0)
		sc->gap[sc->n_gaps++ % HTTP_GAPS] = now - sc->last;
	sc->last = now;
}

bool http__render_ahead(const struct http_scrapes *sc, double now, double interval_s)
{
	uint32_t i, n = sc->n_gaps < HTTP_GAPS ? sc->n_gaps : HTTP_GAPS;
	double period = 0, since = now - sc->last, due;

	if (sc->last <= 0)
		return false;
	/* Gaps under half an interval are repeated GETs of one snapshot (a
	 * second scraper, a person), which say nothing of the period. */
	for (i = 0; i < n; i++)
		if (sc->gap[i] >= interval_s / 2 && (!period || sc->gap[i] < period))
			period = sc->gap[i];
	if (!period)
		period = interval_s;
	if (since > 3 * period + interval_s)
		return false;
	if (period <= 0 || since <= 0)
		return true;
	due = sc->last + ceil(since / period) * period;
	return due < now + 1.5 * interval_s;
}

/* The snapshot served now, with a reference for the caller; om >= 0 records a
 * scrape of that format. */
static struct prom_snap *current(struct http_server *h, double *published, int om)
{
	struct prom_snap *s;
	double now = om >= 0 ? mono_s() : 0;

	pthread_mutex_lock(&h->lock);
	if (om >= 0)
		http__scraped(&h->scrapes[om], now);
	s = prom__ref(h->snap);
	*published = h->published;
	pthread_mutex_unlock(&h->lock);
	return s;
}

static enum MHD_Result answer(struct http_server *h, struct MHD_Connection *c, unsigned code,
			      const char *type, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	if (code != MHD_HTTP_OK)
		atomic_fetch_add(&h->errors, 1);
	return ret;
}

static enum MHD_Result plain(struct http_server *h, struct MHD_Connection *c, unsigned code,
			     const char *text)
{
	return answer(h, c, code, "text/plain; charset=utf-8",
		      MHD_create_response_from_buffer(strlen(text), (void *)text,
						      MHD_RESPMEM_PERSISTENT));
}

static void drop_snap(void *cls)
{
	prom__unref(cls);
}

/* Whether the Accept header names OpenMetrics: Prometheus asks for it first
 * and falls back to the text format. */
static bool wants_om(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);

	return accept && strstr(accept, "application/openmetrics-text");
}

static enum MHD_Result metrics(struct http_server *h, struct MHD_Connection *c)
{
	bool om = wants_om(c);
	struct prom_snap *s;
	const char *text;
	double published;
	size_t len;

	s = current(h, &published, om);
	if (!s)
		return plain(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet\n");
	/* Ready when rendered ahead; waits when the render is under way. */
	text = prom__text(s, om, &len);
	if (!text) {
		prom__unref(s);
		return plain(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	/* The response reads the snapshot's text in place and drops the
	 * reference once it is sent. */
	return answer(h, c, MHD_HTTP_OK, om ? CT_OM : CT_TEXT,
		      MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)text,
									     drop_snap, s));
}

static enum MHD_Result healthz(struct http_server *h, struct MHD_Connection *c)
{
	double published, age;
	struct prom_snap *s = current(h, &published, -1);
	char text[128];

	prom__unref(s);
	age = mono_s() - published;
	if (!s || age > h->stale_s) {
		snprintf(text, sizeof(text), "stale: no interval published for %.1f s\n", age);
		return answer(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
			      MHD_create_response_from_buffer(strlen(text), text,
							      MHD_RESPMEM_MUST_COPY));
	}
	return plain(h, c, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_len, void **req)
{
	struct http_server *h = cls;

	(void)version;
	(void)data;
	(void)data_len;
	(void)req;
	atomic_fetch_add(&h->requests, 1);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return plain(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return metrics(h, c);
	if (!strcmp(url, "/healthz"))
		return healthz(h, c);
	if (!strcmp(url, "/"))
		return answer(h, c, MHD_HTTP_OK, "text/html; charset=utf-8",
			      MHD_create_response_from_buffer(sizeof(index_page) - 1,
							      (void *)index_page,
							      MHD_RESPMEM_PERSISTENT));
	return plain(h, c, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /\n");
}

/* The render-ahead thread: renders each job's formats, the latest job only
 * when publishes come faster than renders, and frees the snapshots the loop
 * hands it (with their texts: 113 MB at 10,000 services, 4 ms to unmap). */
static void *render_ahead(void *arg)
{
	struct http_server *h = arg;
	struct prom_snap *s, *trash;
	unsigned formats, f;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->job && !h->trash && !h->stopping)
			pthread_cond_wait(&h->wake, &h->lock);
		if (h->stopping)
			break;
		s = h->job;
		formats = h->job_formats;
		trash = h->trash;
		h->job = h->trash = NULL;
		pthread_mutex_unlock(&h->lock);
		prom__unref(trash);
		for (f = 0; s && f < 2; f++)
			if ((formats & (1u << f)) && prom__render(s, f) == 1)
				atomic_fetch_add(&h->rendered, 1);
		prom__unref(s);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Ends the render-ahead thread, after the render under way if any. */
static void stop_ahead(struct http_server *h)
{
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->ahead, NULL);
}

struct http_server *http__start(int fd, double stale_s, struct prom_snap *first)
{
	struct http_server *h = calloc(1, sizeof(*h));
	sigset_t all, old;
	int err;

	if (!h) {
		close(fd);
		prom__unref(first);
		return NULL;
	}
	/* Set before the daemon starts: a scrape queued on the socket while
	 * the agent loaded is answered with it, not with a 503. */
	h->snap = first;
	h->fd = fd;
	h->stale_s = stale_s;
	h->published = mono_s();
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	/* The threads inherit this mask: signals stay with the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&h->ahead, NULL, render_ahead, h);
	if (!err) {
		h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL,
					NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, fd,
					MHD_OPTION_CONNECTION_LIMIT, 64u,
					MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
		err = h->d ? 0 : errno ? errno : EIO;
		if (!h->d)
			stop_ahead(h);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&h->wake);
		pthread_mutex_destroy(&h->lock);
		close(fd);
		prom__unref(first);
		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

void http__publish(struct http_server *h, struct prom_snap *snap)
{
	struct prom_snap *old, *skipped;
	double now = mono_s();
	unsigned formats = 0, f;

	pthread_mutex_lock(&h->lock);
	for (f = 0; snap && f < 2; f++)
		if (http__render_ahead(&h->scrapes[f], now, now - h->published))
			formats |= 1u << f;
	old = h->snap;
	h->snap = snap;
	h->published = now;
	/* A job not yet started is for a snapshot no longer served. */
	skipped = h->job;
	h->job = formats ? prom__ref(snap) : NULL;
	h->job_formats = formats;
	if (formats) {
		atomic_fetch_add(&h->queued, (unsigned)__builtin_popcount(formats));
		/* Scraped, the old snapshot has its text, which the thread
		 * frees rather than the loop. */
		if (!h->trash) {
			h->trash = old;
			old = NULL;
		}
		pthread_cond_signal(&h->wake);
	}
	pthread_mutex_unlock(&h->lock);
	/* The last references may be here: free outside the lock. */
	prom__unref(skipped);
	prom__unref(old);
}

void http__stats(struct http_server *h, struct http_stats *st)
{
	st->requests = atomic_load(&h->requests);
	st->errors = atomic_load(&h->errors);
	st->queued = atomic_load(&h->queued);
	st->rendered = atomic_load(&h->rendered);
}

void http__stop(struct http_server *h)
{
	if (!h)
		return;
	/* The daemon closes the listening socket it was given. No scrape
	 * waits for a render once it is gone. */
	MHD_stop_daemon(h->d);
	stop_ahead(h);
	prom__unref(h->job);
	prom__unref(h->trash);
	prom__unref(h->snap);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
