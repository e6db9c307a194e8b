// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alert.h"
#include "lib/line.h"

void alert__default_policy(struct alert_policy *p, unsigned kind)
{
	memset(p, 0, sizeof(*p));
	p->flap_decay = 0.99;
	p->flap_limit = 2.5;
	p->flap_mult = 5;
	switch (kind) {
	case ALERT_THRESHOLD:
		/* Hold comes from each rule; hysteresis does the clearing. */
		p->m = p->n = 3;
		p->clear_n = 1;
		break;
	case ALERT_FORECAST:
		p->m = p->n = 3;
		p->clear_n = 3;
		break;
	default:
		p->m = 3;
		p->n = 5;
		p->clear_n = 5;
		break;
	}
}

static unsigned window_bits(const struct alert_state *a, const struct alert_policy *p)
{
	unsigned n = p->n ? p->n : 1;
	unsigned mask = n >= 8 ? 0xffu : (1u << n) - 1;

	return (unsigned)__builtin_popcount(a->hist & mask);
}

static int observe_firing(struct alert_state *a, const struct alert_policy *p, double ts)
{
	unsigned need = p->clear_n ? p->clear_n : 1;

	/* A flapping alert must stay good longer before it may resolve. */
	if (a->flap > p->flap_limit && p->flap_mult > 1)
		need *= p->flap_mult;
	if (a->good_run >= need) {
		a->phase = ALERT_QUIET;
		a->hist = 0;
		return ALERT_EV_RESOLVED;
	}
	if (p->renotify_s > 0 && ts - a->notified >= p->renotify_s) {
		a->notified = ts;
		return ALERT_EV_RENOTIFY;
	}
	return ALERT_EV_NONE;
}

int alert__observe(struct alert_state *a, const struct alert_policy *p, bool bad, bool severe,
		   double ts)
{
	unsigned m = p->m ? p->m : 1;

	a->flap *= (float)p->flap_decay;
	a->hist = (uint8_t)((a->hist << 1) | (bad ? 1 : 0));
	/* Going bad again while only the damping kept it firing is a flap
	 * that would have been a resolved and a firing line: count it too. */
	if (bad && a->phase == ALERT_FIRING && a->good_run >= (p->clear_n ? p->clear_n : 1) &&
	    a->flap < 10)
		a->flap += 1;
	if (bad)
		a->good_run = 0;
	else if (a->good_run < UINT8_MAX)
		a->good_run++;
	if (a->phase == ALERT_FIRING)
		return observe_firing(a, p, ts);
	if (a->phase == ALERT_QUIET) {
		if (!bad)
			return ALERT_EV_NONE;
		a->phase = ALERT_PENDING;
		a->since = ts;
	}
	if (window_bits(a, p) >= m || (bad && severe)) {
		a->phase = ALERT_FIRING;
		a->notified = ts;
		a->flap += 1;
		return ALERT_EV_FIRING;
	}
	if (!window_bits(a, p))
		a->phase = ALERT_QUIET;
	return ALERT_EV_NONE;
}

int alert__expire(struct alert_state *a)
{
	bool firing = a->phase == ALERT_FIRING;

	a->phase = ALERT_QUIET;
	a->hist = 0;
	a->good_run = 0;
	return firing ? ALERT_EV_RESOLVED : ALERT_EV_NONE;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *alert__id(unsigned kind, const char *metric, const struct svc_id *svc, char *buf)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *k = alert__kind_name(kind);
	char tail[64];

	/* The NULs separate the parts, so "ab"+"c" and "a"+"bc" differ. */
	h = fnv1a(h, k, strlen(k) + 1);
	h = fnv1a(h, metric, strlen(metric) + 1);
	/* A service without identity keeps the fingerprint it had before
	 * services had one: "server:8080". */
	if (svc && svc_id__has_identity(svc))
		snprintf(tail, sizeof(tail), "%s:%u/%u/%llu%s", svc_role_name(svc->role), svc->port,
			 svc->netns, (unsigned long long)svc->cgroup,
			 svc->flags & SVC_F_OTHER ? "/other" : "");
	else if (svc)
		snprintf(tail, sizeof(tail), "%s:%u", svc_role_name(svc->role), svc->port);
	else
		snprintf(tail, sizeof(tail), "host");
	h = fnv1a(h, tail, strlen(tail));
	snprintf(buf, 17, "%016llx", (unsigned long long)h);
	return buf;
}

const char *alert__kind_name(unsigned kind)
{
	switch (kind) {
	case ALERT_THRESHOLD:
		return "threshold";
	case ALERT_FORECAST:
		return "forecast";
	}
	return "anomaly";
}

static void add_num(cJSON *o, const char *name, double v, int decimals)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, name, line__round(v, decimals));
}

cJSON *alert__encode(const struct alert_info *info, int event, uint64_t seq, double ts,
		     const char *host)
{
	cJSON *o = line__header(ts, "alert", host);
	char id[17], since[40];

	if (!o)
		goto oom;
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddStringToObject(o, "id", alert__id(info->kind, info->metric, info->svc, id));
	cJSON_AddStringToObject(o, "state", event == ALERT_EV_RESOLVED ? "resolved" : "firing");
	cJSON_AddStringToObject(o, "severity",
				info->severity == SEV_CRITICAL ? "critical" : "warning");
	cJSON_AddStringToObject(o, "kind", alert__kind_name(info->kind));
	cJSON_AddStringToObject(o, "metric", info->metric);
	if (info->svc && !cJSON_AddItemToObject(o, "service", line__service(info->svc)))
		goto oom;
	add_num(o, "value", info->value, 3);
	add_num(o, "expected", info->expected, 3);
	add_num(o, "score", info->score, 4);
	add_num(o, "threshold", info->threshold, 3);
	cJSON_AddStringToObject(o, "since", line__iso8601(info->since, since, sizeof(since)));
	if (event == ALERT_EV_RENOTIFY)
		cJSON_AddTrueToObject(o, "renotify");
	cJSON_AddStringToObject(o, "message", info->message);
	/* cJSON's adders fail silently on out of memory: check the last one. */
	if (!cJSON_GetObjectItemCaseSensitive(o, "message"))
		goto oom;
	if (info->details && !cJSON_AddItemToObject(o, "details", info->details))
		goto oom;
	return o;
oom:
	cJSON_Delete(info->details);
	cJSON_Delete(o);
	return NULL;
}
