// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The Alertmanager sender against a fake Alertmanager on 127.0.0.1 that
 * answers as the test tells it (5xx, 4xx, 200): failed posts are retried and
 * counted, a resolved alert carries endsAt and leaves the queue, firing
 * alerts are re-sent, a URL nobody listens on is reported, a full queue
 * drops and counts. No root needed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "check.h"
#include "out/alertmanager.h"
#include "out/am_alert.h"

static atomic_int answer = 200; /* the fake's next status */
static atomic_int posts;	/* posts it received */
static pthread_mutex_t body_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_body[65536];
static char last_path[128];

struct req {
	char buf[65536];
	size_t len;
};

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *len, void **ctx)
{
	struct req *r = *ctx;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)cls;
	(void)method;
	(void)version;
	if (!r) {
		*ctx = calloc(1, sizeof(struct req));
		return *ctx ? MHD_YES : MHD_NO;
	}
	if (*len) {
		size_t n = *len < sizeof(r->buf) - 1 - r->len ? *len : sizeof(r->buf) - 1 - r->len;

		memcpy(r->buf + r->len, data, n);
		r->len += n;
		*len = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&body_lock);
	memcpy(last_body, r->buf, r->len + 1);
	snprintf(last_path, sizeof(last_path), "%s", url);
	pthread_mutex_unlock(&body_lock);
	atomic_fetch_add(&posts, 1);
	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, (unsigned)atomic_load(&answer), resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)c;
	(void)t;
	free(*ctx);
	*ctx = NULL;
}

static const char *firing_line =
	"{\"ts\":\"2026-11-23T00:15:03.000Z\",\"type\":\"alert\",\"host\":\"h\",\"id\":\"c76d7e429e5354ee\","
	"\"state\":\"firing\",\"severity\":\"critical\",\"kind\":\"anomaly\",\"metric\":\"latency_mean_us\","
	"\"service\":{\"role\":\"server\",\"port\":8080,\"comm\":\"api\"},\"value\":255.5,\"expected\":86.242,"
	"\"score\":1,\"threshold\":6,\"since\":\"2026-11-23T00:15:01.000Z\",\"message\":\"slow\","
	"\"details\":{\"model\":{\"contributions\":{\"intercept\":77.637,\"rps\":1.6723}}}}";

static cJSON *line_with(const char *id, const char *state)
{
	cJSON *o = cJSON_Parse(firing_line);

	cJSON_SetValuestring(cJSON_GetObjectItem(o, "id"), id);
	cJSON_SetValuestring(cJSON_GetObjectItem(o, "state"), state);
	cJSON_SetValuestring(cJSON_GetObjectItem(o, "ts"), "2026-11-23T00:16:00.000Z");
	return o;
}

/* Waits up to secs for cond. */
#define WAIT(cond, secs)                                                        \
	do {                                                                    \
		int w_;                                                         \
		for (w_ = 0; w_ < (secs) * 50 && !(cond); w_++)                 \
			usleep(20000);                                          \
	} while (0)

static void test_name_and_encoding(void)
{
	struct am_alert a;
	cJSON *line = cJSON_Parse(firing_line), *j;
	char name[64], *text;

	CHECK(!strcmp(am_alert__name("anomaly", "latency_mean_us", name, sizeof(name)),
		      "TelltaleAnomalyLatencyMeanUs"));
	CHECK(am_alert__from_line(&a, line, "web-1") == 0);
	text = am_alert__json(&a, "2026-11-23T00:19:03.000Z");
	j = cJSON_Parse(text);
	CHECK(j != NULL);
	CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "labels"), "alertname")->valuestring,
		      "TelltaleAnomalyLatencyMeanUs"));
	CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "labels"), "port")->valuestring, "8080"));
	CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "labels"), "host")->valuestring, "web-1"));
	CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "annotations"), "contributions")->valuestring,
		      "intercept=77.637 rps=1.6723"));
	CHECK(!strcmp(cJSON_GetObjectItem(j, "startsAt")->valuestring, "2026-11-23T00:15:01.000Z"));
	CHECK(!strcmp(cJSON_GetObjectItem(j, "endsAt")->valuestring, "2026-11-23T00:19:03.000Z"));
	cJSON_Delete(j);
	free(text);
	am_alert__clear(&a);
	cJSON_SetValuestring(cJSON_GetObjectItem(line, "type"), "metrics");
	CHECK(am_alert__from_line(&a, line, "web-1") == -EINVAL);
	cJSON_Delete(line);
}

static void test_delivery(unsigned port)
{
	struct am_config cfg;
	struct am_stats st;
	struct am *am;
	cJSON *l;
	int before;
	char buf[64];

	am__default_config(&cfg);
	snprintf(cfg.urls[0], AM_URL_MAX, "http://user:secret@127.0.0.1:%u/am/", port);
	cfg.n_urls = 1;
	cfg.resend_s = 1.5;
	cfg.timeout_s = 1;
	CHECK(am__url_problem(cfg.urls[0], buf, sizeof(buf)) == NULL);
	/* Each reason reads after "'URL' is", as the messages print it. */
	CHECK(!strcmp(am__url_problem("ftp://x", buf, sizeof(buf)),
		      "a URL with scheme 'ftp'; expected http:// or https://"));
	CHECK(!strncmp(am__url_problem("http://x/?q=1", buf, sizeof(buf)), "a URL with a query", 18));
	CHECK(!strncmp(am__url_problem("x y", buf, sizeof(buf)), "not a URL", 9));
	am = am__start(&cfg, "web-1");
	CHECK(am != NULL);

	/* 503 twice, then 400 once: retried, counted, never delivered. */
	atomic_store(&answer, 503);
	l = line_with("a1", "firing");
	CHECK(am__alert(am, l) == 0);
	cJSON_Delete(l);
	WAIT(atomic_load(&posts) >= 2, 5);
	atomic_store(&answer, 400);
	before = atomic_load(&posts);
	WAIT(atomic_load(&posts) > before, 5);
	/* The server counts a post before the sender has read its answer. */
	WAIT((am__stats(am, &st), st.url[0].errors >= 3), 5);
	CHECK(st.url[0].errors >= 3 && st.url[0].sent == 0 && !st.url[0].up && st.queued == 1);
	CHECK(strstr(st.url[0].url, "secret") == NULL && strstr(st.url[0].url, "/am"));
	/* Then it answers: the alert arrives. */
	atomic_store(&answer, 200);
	WAIT((am__stats(am, &st), st.url[0].sent >= 1), 15);
	CHECK(st.url[0].sent >= 1 && st.url[0].up);
	pthread_mutex_lock(&body_lock);
	CHECK(!strcmp(last_path, "/am/api/v2/alerts"));
	CHECK(strstr(last_body, "\"id\":\"a1\"") != NULL);
	pthread_mutex_unlock(&body_lock);

	/* Firing alerts are sent again every resend_s. */
	before = atomic_load(&posts);
	WAIT(atomic_load(&posts) > before, 3);
	CHECK(atomic_load(&posts) > before);

	/* Resolved: endsAt is its time, and it leaves the queue. */
	l = line_with("a1", "resolved");
	CHECK(am__alert(am, l) == 0);
	cJSON_Delete(l);
	WAIT((am__stats(am, &st), st.queued == 0), 5);
	CHECK(st.queued == 0);
	pthread_mutex_lock(&body_lock);
	CHECK(strstr(last_body, "\"endsAt\":\"2026-11-23T00:16:00.000Z\"") != NULL);
	pthread_mutex_unlock(&body_lock);
	am__stop(am, 1);
	am__free(am);
}

static void test_unreachable_and_full(void)
{
	struct am_config cfg;
	struct am_stats st;
	struct am *am;
	cJSON *a, *b;

	am__default_config(&cfg);
	/* Port 1 on loopback: connection refused. */
	snprintf(cfg.urls[0], AM_URL_MAX, "http://127.0.0.1:1");
	cfg.n_urls = 1;
	cfg.queue_size = 1;
	cfg.timeout_s = 0.5;
	am = am__start(&cfg, "web-1");
	CHECK(am != NULL);
	a = line_with("x1", "firing");
	b = line_with("x2", "firing");
	CHECK(am__alert(am, a) == 0);
	CHECK(am__alert(am, b) == -ENOBUFS);
	WAIT((am__stats(am, &st), st.url[0].errors >= 2), 5);
	CHECK(st.url[0].errors >= 2 && !st.url[0].up && st.dropped == 1 && st.queued == 1);
	/* A resolved line for the held alert takes its place, never dropped. */
	cJSON_SetValuestring(cJSON_GetObjectItem(a, "state"), "resolved");
	CHECK(am__alert(am, a) == 0);
	am__stats(am, &st);
	CHECK(st.dropped == 1 && st.queued == 1);
	cJSON_Delete(a);
	cJSON_Delete(b);
	am__stop(am, 0.2);
	am__stats(am, &st);
	CHECK(st.queued == 1);
	am__free(am);
}

int main(void)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	unsigned port;

	test_name_and_encoding();
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_req, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET,
								       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) },
			     MHD_OPTION_END);
	CHECK(d != NULL);
	if (!d)
		return check_done("test_alertmanager");
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : 0;
	CHECK(port > 0);
	test_delivery(port);
	test_unreachable_and_full();
	MHD_stop_daemon(d);
	return check_done("test_alertmanager");
}
