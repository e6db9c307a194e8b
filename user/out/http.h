/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Prometheus endpoint: GET /metrics (the text format 0.0.4, or
 * OpenMetrics 1.0 when the Accept header asks for
 * application/openmetrics-text), GET /healthz and GET / (a page linking
 * both), served by libmicrohttpd's own thread from the latest snapshot. The
 * loop only swaps a pointer under a mutex; the HTTP thread takes a reference
 * under the same mutex and renders outside it, so neither waits for the
 * other's work.
 */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#include "out/prom.h"

/* Parses "ADDR:PORT": an IPv4 address ("127.0.0.1:9464"), an IPv6 one in
 * brackets ("[::1]:9464"), or nothing for every address (":9464"); the port
 * is 1 to 65535. Returns 0, or -EINVAL. */
int http__parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

/* What is wrong with spec as an ADDR:PORT, for messages, or NULL. */
const char *http__listen_problem(const char *spec, char *buf, size_t n);

/* A listening TCP socket on spec (parsed as above). Returns the descriptor,
 * or a negative errno (-EADDRINUSE when the port is taken). */
int http__listen(const char *spec);

struct http_server;

/* Serves on the listening socket fd (taken over) from a thread that blocks
 * every signal. /healthz answers 503 once no snapshot was published for
 * stale_s seconds. Returns NULL with errno set. */
struct http_server *http__start(int fd, double stale_s);

/* Makes snap the one served, taking over the caller's reference and dropping
 * the previous snapshot's. */
void http__publish(struct http_server *h, struct prom_snap *snap);

/* Scrapes served, by answer. */
struct http_stats {
	uint64_t requests;
	uint64_t errors; /* answers other than 200 */
};
void http__stats(struct http_server *h, struct http_stats *st);

/* Stops the thread, closes the socket, drops the snapshot, frees h. NULL is
 * allowed. */
void http__stop(struct http_server *h);

#endif /* TT_HTTP_H */
