/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Alerts to Alertmanager: every alert line (firing, re-notified, resolved)
 * becomes an alert POSTed to each URL's /api/v2/alerts by a thread of its own
 * (libcurl), so the collection loop never waits for the network.
 *
 * Delivery is at least once, per URL: an alert is held until that URL has
 * accepted its latest state; a failed post is retried with backoff (0.5 s
 * doubling to 10 s); firing alerts are sent again every resend_s with endsAt
 * 4 x resend_s ahead, so Alertmanager keeps them while the agent lives and
 * lets them expire if it dies, and all of them are sent again when a URL
 * recovers (an Alertmanager restarted without its alerts gets them back).
 * A resolved alert carries endsAt and is forgotten once every URL took it.
 * The queue holds at most queue_size alerts: past it the oldest resolved
 * alert, or else the new one, is dropped and counted. Sending to every URL,
 * not one of them, is what an Alertmanager HA pair expects: the pair's
 * gossip deduplicates the notifications.
 */
#ifndef TT_ALERTMANAGER_H
#define TT_ALERTMANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define AM_MAX_URLS 8
#define AM_URL_MAX 512

struct am_config {
	char urls[AM_MAX_URLS][AM_URL_MAX]; /* Alertmanager base URLs */
	uint32_t n_urls;
	double resend_s;     /* re-send firing alerts this often, s */
	uint32_t queue_size; /* alerts held at most */
	double timeout_s;    /* one post, s */
};

struct am_url_stats {
	char url[AM_URL_MAX]; /* as shown: without credentials */
	uint64_t sent;	      /* alerts accepted */
	uint64_t errors;      /* posts that failed */
	bool up;	      /* the last post succeeded */
};

struct am_stats {
	uint64_t dropped; /* alerts dropped undelivered: queue full */
	uint64_t queued;  /* alerts held now */
	uint32_t n_urls;
	struct am_url_stats url[AM_MAX_URLS];
};

struct am;

/* Fills cfg with the defaults: no URL, resend 60 s, 1,024 alerts, 5 s. */
void am__default_config(struct am_config *cfg);

/* What is wrong with url as an Alertmanager base URL (http or https, a host,
 * no query or fragment), or NULL: worded to follow "'URL' is" in messages. */
const char *am__url_problem(const char *url, char *buf, size_t n);

/* Starts the sender for cfg's URLs; host is the host label. Call after
 * dropping privileges: the thread keeps what the process has then. Returns
 * NULL with errno set. */
struct am *am__start(const struct am_config *cfg, const char *host);

/* Queues an alert line for every URL (other lines are ignored). Never blocks
 * on the network. Returns 0, -ENOBUFS when an alert was dropped (counted), or
 * -ENOMEM. */
int am__alert(struct am *am, const cJSON *line);

/* Copies the counters. */
void am__stats(struct am *am, struct am_stats *st);

/* Gives what is queued up to flush_s seconds to be delivered and stops the
 * thread; am__stats still works. NULL is allowed. */
void am__stop(struct am *am, double flush_s);

/* Stops the thread if running and frees am. NULL is allowed. */
void am__free(struct am *am);

#endif /* TT_ALERTMANAGER_H */
