/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Prometheus endpoint: GET /metrics (the text format 0.0.4, or
 * OpenMetrics 1.0 when the Accept header asks for
 * application/openmetrics-text), GET /healthz and GET / (a page linking
 * both), served by libmicrohttpd's own thread from the latest snapshot. The
 * loop only swaps a pointer under a mutex; the HTTP thread takes a reference
 * under the same mutex, so neither waits for the other's work. While someone
 * scrapes (http__render_ahead), a third thread renders each new snapshot in
 * the formats asked, so the next scrape finds the text ready and only sends
 * it; a scrape that comes before the render ends waits for it.
 */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "out/prom.h"

/* Parses "ADDR:PORT": an IPv4 address ("127.0.0.1:9464"), an IPv6 one in
 * brackets ("[::1]:9464"), or nothing for every address (":9464"); the port
 * is 1 to 65535. Returns 0, or -EINVAL. */
int http__parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

/* What is wrong with spec as an ADDR:PORT, or NULL: worded to follow
 * "'SPEC' is" in messages. */
const char *http__listen_problem(const char *spec, char *buf, size_t n);

/* A listening TCP socket on spec (parsed as above; every address is IPv4's
 * alone on a host without IPv6). Returns the descriptor, or a negative
 * errno (-EADDRINUSE when the port is taken). */
int http__listen(const char *spec);

struct http_server;

#define HTTP_GAPS 4

/* The scrapes of one format, as the render-ahead rule sees them. */
struct http_scrapes {
	double last;		/* CLOCK_MONOTONIC of the latest, s; 0 = none yet */
	double gap[HTTP_GAPS];	/* the latest gaps between two, s (a ring) */
	uint32_t n_gaps;	/* gaps recorded, of which the last HTTP_GAPS are kept */
};

/* Records a scrape at now (CLOCK_MONOTONIC, s). */
void http__scraped(struct http_scrapes *sc, double now);

/* Whether a snapshot published at now, interval_s after the previous one,
 * is rendered ahead for these scrapes. The scraper's period is the shortest
 * of the recent gaps of at least half an interval (shorter ones are repeated
 * GETs of one snapshot), or the interval when none is known. Rendered when
 * the last scrape is at most three periods and an interval old (never when
 * nobody scrapes) and the next scrape, expected a whole number of periods
 * after the last, falls before the next snapshot replaces this one, with
 * half an interval to spare: every snapshot when the scraper is at least as
 * fast as the loop, about one and a half per scrape when it is slower. */
bool http__render_ahead(const struct http_scrapes *sc, double now, double interval_s);

/* Serves on the listening socket fd (taken over) from a thread that blocks
 * every signal, starting with snapshot first (its reference taken over;
 * NULL: /metrics answers 503 until one is published). /healthz answers 503
 * once no snapshot was published for stale_s seconds. Returns NULL with
 * errno set, fd closed and first dropped. */
struct http_server *http__start(int fd, double stale_s, struct prom_snap *first);

/* Makes snap the one served, taking over the caller's reference and dropping
 * the previous snapshot's. */
void http__publish(struct http_server *h, struct prom_snap *snap);

/* Scrapes served, by answer. */
struct http_stats {
	uint64_t requests;
	uint64_t errors;   /* answers other than 200 */
	uint64_t queued;   /* texts (snapshot and format) handed to the render-ahead thread */
	uint64_t rendered; /* of those, rendered by it rather than by a scrape first */
};
void http__stats(struct http_server *h, struct http_stats *st);

/* Stops the threads (after the render under way, if any), closes the
 * socket, drops the snapshots, frees h. NULL is allowed. */
void http__stop(struct http_server *h);

#endif /* TT_HTTP_H */
