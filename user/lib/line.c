// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/line.h"

char *line__iso8601(double ts, char *buf, size_t len)
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

int line__parse_iso8601(const char *s, double *ts)
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

double line__round(double v, int decimals)
{
	double scale = pow(10, decimals);

	if (!isfinite(v))
		return 0;
	return round(v * scale) / scale;
}

static bool add_container(cJSON *o, const struct svc_names *n)
{
	cJSON *c = cJSON_AddObjectToObject(o, "container");

	if (!c || !cJSON_AddStringToObject(c, "id", n->container))
		return false;
	return !n->runtime[0] || cJSON_AddStringToObject(c, "runtime", n->runtime);
}

cJSON *line__service(const struct svc_id *id)
{
	const struct svc_names *n = &id->names;
	cJSON *o = cJSON_CreateObject();
	bool ok;

	if (!o)
		return NULL;
	ok = cJSON_AddStringToObject(o, "role", svc_role_name(id->role)) &&
	     cJSON_AddNumberToObject(o, "port", id->port) &&
	     (!id->comm[0] || cJSON_AddStringToObject(o, "comm", id->comm)) &&
	     (!(id->flags & SVC_F_OTHER) || cJSON_AddTrueToObject(o, "other")) &&
	     (!id->netns || cJSON_AddNumberToObject(o, "netns", id->netns)) &&
	     (!id->host_netns || cJSON_AddTrueToObject(o, "host_netns")) &&
	     (!n->cgroup[0] || cJSON_AddStringToObject(o, "cgroup", n->cgroup)) &&
	     (!id->cgroup || cJSON_AddNumberToObject(o, "cgroup_id", (double)id->cgroup)) &&
	     (!n->container[0] || add_container(o, n)) &&
	     (!n->pod_uid[0] || cJSON_AddStringToObject(o, "pod_uid", n->pod_uid)) &&
	     (!n->unit[0] || cJSON_AddStringToObject(o, "unit", n->unit));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static unsigned label(struct svc_label *out, unsigned i, const char *name, const char *value)
{
	if (!value[0])
		return i;
	out[i].name = name;
	snprintf(out[i].value, sizeof(out[i].value), "%s", value);
	return i + 1;
}

unsigned line__service_labels(const struct svc_id *id, struct svc_label out[SVC_LABELS_MAX])
{
	const struct svc_names *n = &id->names;
	char num[24];
	unsigned i = 0;

	i = label(out, i, "role", svc_role_name(id->role));
	snprintf(num, sizeof(num), "%u", id->port);
	i = label(out, i, "port", num);
	if (id->netns) {
		snprintf(num, sizeof(num), "%u", id->netns);
		i = label(out, i, "netns", num);
	}
	if (n->cgroup[0]) {
		i = label(out, i, "cgroup", n->cgroup);
	} else if (id->cgroup) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)id->cgroup);
		i = label(out, i, "cgroup", num);
	}
	i = label(out, i, "container_id", n->container);
	if (n->container[0])
		i = label(out, i, "container_runtime", n->runtime);
	i = label(out, i, "pod_uid", n->pod_uid);
	i = label(out, i, "unit", n->unit);
	if (id->flags & SVC_F_OTHER)
		i = label(out, i, "other", "true");
	return i;
}

cJSON *line__header(double ts, const char *type, const char *host)
{
	cJSON *o = cJSON_CreateObject();
	char buf[40];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "ts", line__iso8601(ts, buf, sizeof(buf)));
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "schema", TT_SCHEMA_VERSION);
	cJSON_AddStringToObject(o, "host", host);
	return o;
}
