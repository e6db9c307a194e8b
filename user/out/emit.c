// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "out/emit.h"

static cJSON *emit_latency(const struct svc_sample *s)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "mean", line__round(s->lat_mean_us, 1));
	cJSON_AddNumberToObject(o, "p50", line__round(s->lat_p50_us, 1));
	cJSON_AddNumberToObject(o, "p90", line__round(s->lat_p90_us, 1));
	cJSON_AddNumberToObject(o, "p99", line__round(s->lat_p99_us, 1));
	cJSON_AddNumberToObject(o, "max", line__round(s->lat_max_us, 1));
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
	cJSON *o = line__header(s->ts, "metrics", host);

	if (!o)
		return NULL;
	if (!cJSON_AddItemToObject(o, "service", line__service(&s->id)))
		goto oom;
	cJSON_AddNumberToObject(o, "interval_s", line__round(s->interval_s, 3));
	cJSON_AddNumberToObject(o, "requests", (double)s->requests);
	cJSON_AddNumberToObject(o, "rps", line__round(s->rps, 1));
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
	cJSON *o = line__header(h->ts, "host", host);

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "interval_s", line__round(h->interval_s, 3));
	cJSON_AddNumberToObject(o, "cpu_pct", line__round(h->cpu_pct, 1));
	cJSON_AddNumberToObject(o, "mem_pct", line__round(h->mem_pct, 1));
	cJSON_AddNumberToObject(o, "load1", line__round(h->load1, 2));
	return o;
}

cJSON *emit__retired(const struct svc_id *id, double ts, double idle_s, const char *host)
{
	cJSON *o = line__header(ts, "agent", host);

	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "event", "service_retired") ||
	    !cJSON_AddItemToObject(o, "service", line__service(id)) ||
	    !cJSON_AddNumberToObject(o, "idle_s", line__round(idle_s, 3))) {
		cJSON_Delete(o);
		return NULL;
	}
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
