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

cJSON *line__service(const struct svc_id *id)
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
