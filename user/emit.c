// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit.h"

const char *svc_role_name(uint8_t role)
{
	return role == TT_ROLE_CLIENT ? "client" : "server";
}

int svc_role_parse(const char *name, uint8_t *role)
{
	if (!strcmp(name, "server"))
		*role = TT_ROLE_SERVER;
	else if (!strcmp(name, "client"))
		*role = TT_ROLE_CLIENT;
	else
		return -EINVAL;
	return 0;
}

char *emit__iso8601(double ts, char *buf, size_t len)
{
	time_t secs = (time_t)floor(ts);
	long ms = lround((ts - (double)secs) * 1000.0);
	struct tm tm;

	if (ms >= 1000) {
		secs++;
		ms -= 1000;
	}
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

int emit__parse_iso8601(const char *s, double *ts)
{
	struct tm tm = { 0 };
	double frac = 0;
	const char *p;
	char *end;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		frac = strtod(p, &end);
		if (end == p + 1)
			return -EINVAL;
		p = end;
	}
	if (strcmp(p, "Z") && *p)
		return -EINVAL;
	*ts = (double)timegm(&tm) + frac;
	return 0;
}

double emit__round(double v, int decimals)
{
	double scale = pow(10, decimals);

	if (!isfinite(v))
		return 0;
	return round(v * scale) / scale;
}

cJSON *emit__service(const struct svc_id *id)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "role", svc_role_name(id->role));
	cJSON_AddNumberToObject(o, "port", id->port);
	if (id->comm[0])
		cJSON_AddStringToObject(o, "comm", id->comm);
	return o;
}

cJSON *emit__header(double ts, const char *type, const char *host)
{
	cJSON *o = cJSON_CreateObject();
	char buf[40];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ts", emit__iso8601(ts, buf, sizeof(buf)));
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "schema", TT_SCHEMA_VERSION);
	cJSON_AddStringToObject(o, "host", host);
	return o;
}

static cJSON *emit_latency(const struct svc_sample *s)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "mean", emit__round(s->lat_mean_us, 1));
	cJSON_AddNumberToObject(o, "p50", emit__round(s->lat_p50_us, 1));
	cJSON_AddNumberToObject(o, "p90", emit__round(s->lat_p90_us, 1));
	cJSON_AddNumberToObject(o, "p99", emit__round(s->lat_p99_us, 1));
	cJSON_AddNumberToObject(o, "max", emit__round(s->lat_max_us, 1));
	return o;
}

static cJSON *emit_connections(const struct svc_sample *s)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "active", (double)s->active);
	cJSON_AddNumberToObject(o, "opened", (double)s->opened);
	cJSON_AddNumberToObject(o, "closed", (double)s->closed);
	cJSON_AddNumberToObject(o, "failed", (double)s->failed);
	cJSON_AddNumberToObject(o, "resets", (double)s->resets);
	cJSON_AddNumberToObject(o, "retransmits", (double)s->retransmits);
	return o;
}

cJSON *emit__metrics(const struct svc_sample *s, const char *host)
{
	cJSON *o = emit__header(s->ts, "metrics", host);

	if (!o)
		return NULL;
	if (!cJSON_AddItemToObject(o, "service", emit__service(&s->id)))
		goto oom;
	cJSON_AddNumberToObject(o, "interval_s", emit__round(s->interval_s, 3));
	cJSON_AddNumberToObject(o, "requests", (double)s->requests);
	cJSON_AddNumberToObject(o, "rps", emit__round(s->rps, 1));
	if (s->has_latency && !cJSON_AddItemToObject(o, "latency_us", emit_latency(s)))
		goto oom;
	if (!cJSON_AddItemToObject(o, "connections", emit_connections(s)))
		goto oom;
	return o;
oom:
	cJSON_Delete(o);
	return NULL;
}

cJSON *emit__host(const struct host_sample *h, const char *host)
{
	cJSON *o = emit__header(h->ts, "host", host);

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "interval_s", emit__round(h->interval_s, 3));
	cJSON_AddNumberToObject(o, "cpu_pct", emit__round(h->cpu_pct, 1));
	cJSON_AddNumberToObject(o, "mem_pct", emit__round(h->mem_pct, 1));
	cJSON_AddNumberToObject(o, "load1", emit__round(h->load1, 2));
	return o;
}

int emit__line(FILE *f, const cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj);
	size_t len;
	int err = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	/* One buffer, one write: a reader never sees half a line. */
	text[len] = '\n';
	if (fwrite(text, 1, len + 1, f) != len + 1 || fflush(f))
		err = errno ? -errno : -EIO;
	free(text);
	return err;
}
