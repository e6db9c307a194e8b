// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The Alertmanager sender: a table of alerts, each with a bit per URL that
 * has yet to take its latest state, and a thread that posts what each URL
 * lacks. The loop only touches the table under the mutex, for microseconds;
 * the thread drops the mutex for every post.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/line.h"
#include "out/alertmanager.h"
#include "out/am_alert.h"

#define BATCH 64	/* alerts per post */
#define BACKOFF_MIN 0.5 /* s */
#define BACKOFF_MAX 10.0

struct url {
	char post[AM_URL_MAX + 16]; /* BASE/api/v2/alerts */
	char shown[AM_URL_MAX];	    /* without credentials */
	CURL *curl;
	double next_try; /* CLOCK_MONOTONIC */
	double backoff;
	bool failing;
	uint64_t sent, errors, failed_posts;
};

struct am {
	struct am_config cfg;
	char host[256];
	pthread_t th;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t wake;
	bool stop, joined;
	double stop_by; /* CLOCK_MONOTONIC: give up delivering then */
	struct am_alert *alerts;
	size_t n;
	uint64_t gen, dropped;
	double next_resend;
	struct curl_slist *headers;
	struct url url[AM_MAX_URLS];
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void am__default_config(struct am_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->resend_s = 60;
	cfg->queue_size = 1024;
	cfg->timeout_s = 5;
}

/* Parses url; fills shown (scheme://host[:port][/path], no credentials) when
 * given. Returns NULL or the problem. */
static const char *parse_url(const char *url, char *shown, size_t n, char *buf, size_t len)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *frag = NULL;
	const char *why = NULL;
	CURLU *u = curl_url();

	if (!u)
		return "cannot be checked: out of memory";
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		why = "not a URL; expected http://HOST:PORT or https://HOST:PORT";
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		snprintf(buf, len, "a URL with scheme '%s'; expected http:// or https://",
			 scheme ? scheme : "");
		why = buf;
	} else if (!host || !host[0]) {
		why = "a URL without a host";
	} else if (query || frag) {
		why = "a URL with a query or fragment; give the base URL, /api/v2/alerts is added";
	} else if (shown) {
		snprintf(shown, n, "%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
			 path && strcmp(path, "/") ? path : "");
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return why;
}

const char *am__url_problem(const char *url, char *buf, size_t n)
{
	return parse_url(url, NULL, 0, buf, n);
}

/* ---- the table (under the lock) ---- */

static uint8_t all_urls(const struct am *am)
{
	return (uint8_t)((1u << am->cfg.n_urls) - 1);
}

/* The live (not resolved) alert with id, or NULL. */
static struct am_alert *find_live(struct am *am, const char *id)
{
	size_t i;

	for (i = 0; i < am->n; i++)
		if (!am->alerts[i].resolved && !strcmp(am->alerts[i].id, id))
			return &am->alerts[i];
	return NULL;
}

static void remove_at(struct am *am, size_t i)
{
	am_alert__clear(&am->alerts[i]);
	memmove(am->alerts + i, am->alerts + i + 1, (am->n - i - 1) * sizeof(*am->alerts));
	am->n--;
}

/* Room for one more alert: evicts the oldest resolved one when full.
 * Returns false when nothing could go. */
static bool make_room(struct am *am)
{
	size_t i;

	if (am->n < am->cfg.queue_size)
		return true;
	for (i = 0; i < am->n; i++)
		if (am->alerts[i].resolved) {
			remove_at(am, i);
			am->dropped++;
			return true;
		}
	return false;
}

int am__alert(struct am *am, const cJSON *line)
{
	struct am_alert a, *cur;
	int err = am_alert__from_line(&a, line, am->host);

	if (err)
		return err == -EINVAL ? 0 : err;
	pthread_mutex_lock(&am->lock);
	cur = find_live(am, a.id);
	if (cur) {
		/* The labels stay those it fired with: Alertmanager knows an
		 * alert by its label set. */
		free(a.labels);
		a.labels = cur->labels;
		cur->labels = NULL;
		am_alert__clear(cur);
	} else if (!make_room(am)) {
		am->dropped++;
		pthread_mutex_unlock(&am->lock);
		am_alert__clear(&a);
		return -ENOBUFS;
	} else {
		cur = &am->alerts[am->n++];
	}
	a.dirty = all_urls(am);
	a.gen = ++am->gen;
	*cur = a;
	pthread_cond_signal(&am->wake);
	pthread_mutex_unlock(&am->lock);
	return 0;
}

/* Firing alerts go again to every URL (resend_s passed) or to one (it just
 * recovered). */
static void mark_firing(struct am *am, uint8_t urls)
{
	size_t i;

	for (i = 0; i < am->n; i++)
		if (!am->alerts[i].resolved)
			am->alerts[i].dirty |= urls;
}

/* Resolved alerts every URL took are done. */
static void sweep(struct am *am)
{
	size_t i;

	for (i = am->n; i-- > 0;)
		if (am->alerts[i].resolved && !am->alerts[i].dirty)
			remove_at(am, i);
}

/* ---- posting (without the lock) ---- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* Posts body to u. Returns 0, or -EIO with the reason in why. */
static int post(struct am *am, struct url *u, const char *body, char *why, size_t len)
{
	long code = 0;
	CURLcode rc;

	curl_easy_setopt(u->curl, CURLOPT_URL, u->post);
	curl_easy_setopt(u->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(u->curl, CURLOPT_TIMEOUT_MS, (long)(am->cfg.timeout_s * 1000));
	rc = curl_easy_perform(u->curl);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", curl_easy_strerror(rc));
		return -EIO;
	}
	curl_easy_getinfo(u->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(why, len, "HTTP %ld", code);
		return -EIO;
	}
	return 0;
}

/* The body of one post to URL k: up to BATCH alerts it lacks. Records their
 * (index, gen) so success can clear exactly those states. */
static char *batch(struct am *am, unsigned k, size_t *idx, uint64_t *gen, size_t *n)
{
	char ends[40], *body, *one, *grown;
	size_t len = 1, i;

	/* Prometheus's rule: a firing alert is valid for 4 resend periods. */
	line__iso8601((double)time(NULL) + 4 * am->cfg.resend_s, ends, sizeof(ends));
	/* Room for "[]" and the NUL however many alerts follow. */
	body = malloc(3);
	if (body)
		strcpy(body, "[");
	*n = 0;
	for (i = 0; body && i < am->n && *n < BATCH; i++) {
		if (!(am->alerts[i].dirty & (1u << k)))
			continue;
		one = am_alert__json(&am->alerts[i], ends);
		grown = one ? realloc(body, len + strlen(one) + 3) : NULL;
		if (!grown) {
			free(one);
			free(body);
			return NULL;
		}
		body = grown;
		len += (size_t)sprintf(body + len, "%s%s", *n ? "," : "", one);
		free(one);
		idx[*n] = i;
		gen[*n] = am->alerts[i].gen;
		(*n)++;
	}
	if (body)
		strcpy(body + len, "]");
	return body;
}

static void report(struct url *u, int err, const char *why, size_t queued)
{
	if (err && !u->failing) {
		u->failing = true;
		fprintf(stderr,
			"telltale: alertmanager %s: delivery failing (%s); %zu alerts held and "
			"retried with backoff\n",
			u->shown, why, queued);
	} else if (!err && u->failing) {
		u->failing = false;
		fprintf(stderr, "telltale: alertmanager %s: delivery works again after %llu failed posts\n",
			u->shown, (unsigned long long)u->failed_posts);
		u->failed_posts = 0;
	}
}

/* One post to URL k, if it lacks anything and its backoff allows. Called and
 * returns with the lock held. */
static void send_one(struct am *am, unsigned k, double now)
{
	struct url *u = &am->url[k];
	size_t idx[BATCH], n, i;
	uint64_t gen[BATCH];
	char why[256];
	char *body;
	int err;

	if (now < u->next_try)
		return;
	body = batch(am, k, idx, gen, &n);
	if (!body || !n) {
		free(body);
		return;
	}
	pthread_mutex_unlock(&am->lock);
	err = post(am, u, body, why, sizeof(why));
	free(body);
	pthread_mutex_lock(&am->lock);
	if (err) {
		u->errors++;
		u->failed_posts++;
		u->backoff = u->backoff ? fmin(2 * u->backoff, BACKOFF_MAX) : BACKOFF_MIN;
		u->next_try = mono_s() + u->backoff;
		report(u, err, why, am->n);
		return;
	}
	/* The table may have changed meanwhile: clear only what was sent. */
	for (i = 0; i < n; i++)
		if (idx[i] < am->n && am->alerts[idx[i]].gen == gen[i])
			am->alerts[idx[i]].dirty &= (uint8_t) ~(1u << k);
	u->sent += n;
	if (u->failing)
		mark_firing(am, (uint8_t)(1u << k));
	report(u, 0, NULL, am->n);
	u->backoff = 0;
	u->next_try = 0;
}

/* Whether any URL still lacks an alert's latest state. */
static bool pending(const struct am *am)
{
	size_t i;

	for (i = 0; i < am->n; i++)
		if (am->alerts[i].dirty)
			return true;
	return false;
}

/* When the thread has something to do next, CLOCK_MONOTONIC. */
static double next_due(const struct am *am)
{
	double due = am->next_resend;
	unsigned k;
	size_t i;

	for (k = 0; k < am->cfg.n_urls; k++)
		for (i = 0; i < am->n; i++)
			if (am->alerts[i].dirty & (1u << k)) {
				due = fmin(due, am->url[k].next_try);
				break;
			}
	return due;
}

static void wait_until(struct am *am, double due)
{
	struct timespec ts;
	double now = mono_s();

	if (due <= now)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	due = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + (due - now);
	ts.tv_sec = (time_t)due;
	ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
	pthread_cond_timedwait(&am->wake, &am->lock, &ts);
}

static void *run(void *arg)
{
	struct am *am = arg;
	double now;
	unsigned k;

	pthread_mutex_lock(&am->lock);
	for (;;) {
		now = mono_s();
		if (am->stop && now >= am->stop_by)
			break;
		if (now >= am->next_resend && !am->stop) {
			mark_firing(am, all_urls(am));
			am->next_resend = now + am->cfg.resend_s;
		}
		for (k = 0; k < am->cfg.n_urls; k++)
			send_one(am, k, now);
		sweep(am);
		if (am->stop && !pending(am))
			break; /* stopping, and nothing left to deliver */
		wait_until(am, am->stop ? fmin(next_due(am), am->stop_by) : next_due(am));
	}
	pthread_mutex_unlock(&am->lock);
	return NULL;
}

static int init_url(struct url *u, const char *base, struct curl_slist *headers)
{
	char why[128];
	size_t n = strlen(base);

	if (parse_url(base, u->shown, sizeof(u->shown), why, sizeof(why)))
		return -EINVAL;
	while (n && base[n - 1] == '/')
		n--;
	snprintf(u->post, sizeof(u->post), "%.*s/api/v2/alerts", (int)n, base);
	u->curl = curl_easy_init();
	if (!u->curl)
		return -ENOMEM;
	curl_easy_setopt(u->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(u->curl, CURLOPT_WRITEFUNCTION, discard);
	/* Threads: no SIGALRM for DNS timeouts. */
	curl_easy_setopt(u->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(u->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	return 0;
}

static void free_am(struct am *am)
{
	unsigned k;

	for (k = 0; k < am->cfg.n_urls; k++)
		curl_easy_cleanup(am->url[k].curl);
	while (am->n)
		remove_at(am, am->n - 1);
	free(am->alerts);
	curl_slist_free_all(am->headers);
	pthread_cond_destroy(&am->wake);
	pthread_mutex_destroy(&am->lock);
	free(am);
	curl_global_cleanup();
}

struct am *am__start(const struct am_config *cfg, const char *host)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	struct am *am;
	unsigned k;
	int err;

	if (!cfg->n_urls || cfg->n_urls > AM_MAX_URLS || !cfg->queue_size || !(cfg->resend_s > 0)) {
		errno = EINVAL;
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		errno = ENOMEM;
		return NULL;
	}
	am = calloc(1, sizeof(*am));
	if (!am) {
		curl_global_cleanup();
		return NULL;
	}
	am->cfg = *cfg;
	snprintf(am->host, sizeof(am->host), "%s", host);
	pthread_mutex_init(&am->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&am->wake, &ca);
	pthread_condattr_destroy(&ca);
	am->alerts = calloc(cfg->queue_size, sizeof(*am->alerts));
	am->headers = curl_slist_append(NULL, "Content-Type: application/json");
	err = am->alerts && am->headers ? 0 : -ENOMEM;
	for (k = 0; !err && k < cfg->n_urls; k++)
		err = init_url(&am->url[k], cfg->urls[k], am->headers);
	am->next_resend = mono_s() + cfg->resend_s;
	if (!err) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		err = -pthread_create(&am->th, NULL, run, am);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (err) {
		free_am(am);
		errno = -err;
		return NULL;
	}
	return am;
}

void am__stats(struct am *am, struct am_stats *st)
{
	unsigned k;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&am->lock);
	st->dropped = am->dropped;
	st->queued = am->n;
	st->n_urls = am->cfg.n_urls;
	for (k = 0; k < am->cfg.n_urls; k++) {
		snprintf(st->url[k].url, sizeof(st->url[k].url), "%s", am->url[k].shown);
		st->url[k].sent = am->url[k].sent;
		st->url[k].errors = am->url[k].errors;
		st->url[k].up = !am->url[k].failing;
	}
	pthread_mutex_unlock(&am->lock);
}

void am__stop(struct am *am, double flush_s)
{
	if (!am || am->joined)
		return;
	pthread_mutex_lock(&am->lock);
	am->stop = true;
	am->stop_by = mono_s() + flush_s;
	pthread_cond_signal(&am->wake);
	pthread_mutex_unlock(&am->lock);
	pthread_join(am->th, NULL);
	am->joined = true;
}

void am__free(struct am *am)
{
	if (!am)
		return;
	am__stop(am, 0);
	free_am(am);
}
