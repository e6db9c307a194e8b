// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/am_alert.h"
#include "out/labels.h"

char *am_alert__name(const char *kind, const char *metric, char *buf, size_t len)
{
	const char *parts[3] = { "telltale", kind, metric };
	size_t n = 0, i;
	bool up;
	const char *p;

	for (i = 0; i < 3; i++) {
		up = true;
		for (p = parts[i]; *p && n + 1 < len; p++) {
			if (!isalnum((unsigned char)*p)) {
				up = true;
				continue;
			}
			buf[n++] = up ? (char)toupper((unsigned char)*p) : *p;
			up = false;
		}
	}
	buf[n] = '\0';
	return buf;
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *make_labels(const cJSON *line, const char *host)
{
	static const char *const keys[] = { "severity", "kind", "metric", "id" };
	cJSON *o = cJSON_CreateObject();
	struct label l[LABELS_MAX];
	char name[128];
	size_t n, i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "alertname",
				am_alert__name(str(line, "kind"), str(line, "metric"), name,
					       sizeof(name)));
	cJSON_AddStringToObject(o, "host", host);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (str(line, keys[i]))
			cJSON_AddStringToObject(o, keys[i], str(line, keys[i]));
	n = labels__from_json(cJSON_GetObjectItemCaseSensitive(line, "service"), l);
	for (i = 0; i < n; i++)
		if (!cJSON_AddStringToObject(o, l[i].name, l[i].value)) {
			cJSON_Delete(o);
			return NULL;
		}
	return o;
}

/* "intercept=77.637 rps=1.6723 ...": the model's share of the prediction
 * per feature, when the alert has a model. */
static void add_contributions(cJSON *ann, const cJSON *line)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(line, "details"),
						 "model"),
		"contributions");
	const cJSON *e;
	char text[512];
	size_t n = 0;

	if (!cJSON_IsObject(c))
		return;
	text[0] = '\0';
	cJSON_ArrayForEach(e, c) {
		if (cJSON_IsNumber(e) && n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s=%g", n ? " " : "",
					      e->string, e->valuedouble);
	}
	cJSON_AddStringToObject(ann, "contributions", text);
}

static cJSON *make_annotations(const cJSON *line)
{
	static const char *const nums[] = { "value", "expected", "score", "threshold" };
	cJSON *o = cJSON_CreateObject();
	const cJSON *v;
	char text[64];
	size_t i;

	if (!o)
		return NULL;
	if (str(line, "message"))
		cJSON_AddStringToObject(o, "message", str(line, "message"));
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(line, nums[i]);
		if (cJSON_IsNumber(v)) {
			snprintf(text, sizeof(text), "%g", v->valuedouble);
			cJSON_AddStringToObject(o, nums[i], text);
		}
	}
	add_contributions(o, line);
	/* cJSON's adders fail quietly on out of memory: check one. */
	if (str(line, "message") && !cJSON_GetObjectItemCaseSensitive(o, "message")) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static char *print_free(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

int am_alert__from_line(struct am_alert *a, const cJSON *line, const char *host)
{
	const char *type = str(line, "type"), *id = str(line, "id"), *state = str(line, "state");
	const char *since = str(line, "since"), *ts = str(line, "ts");

	memset(a, 0, sizeof(*a));
	if (!type || strcmp(type, "alert") || !id || !state || !since || !ts ||
	    !str(line, "kind") || !str(line, "metric") || strlen(id) >= sizeof(a->id) ||
	    strlen(since) >= sizeof(a->starts) || strlen(ts) >= sizeof(a->ends))
		return -EINVAL;
	snprintf(a->id, sizeof(a->id), "%s", id);
	snprintf(a->starts, sizeof(a->starts), "%s", since);
	a->resolved = !strcmp(state, "resolved");
	if (a->resolved)
		snprintf(a->ends, sizeof(a->ends), "%s", ts);
	a->labels = print_free(make_labels(line, host));
	a->annotations = print_free(make_annotations(line));
	if (!a->labels || !a->annotations) {
		am_alert__clear(a);
		return -ENOMEM;
	}
	return 0;
}

char *am_alert__json(const struct am_alert *a, const char *ends)
{
	const char *e = a->resolved ? a->ends : ends;
	size_t len = strlen(a->labels) + strlen(a->annotations) + strlen(a->starts) + strlen(e) + 96;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "{\"labels\":%s,\"annotations\":%s,\"startsAt\":\"%s\",\"endsAt\":\"%s\"}",
			 a->labels, a->annotations, a->starts, e);
	return s;
}

void am_alert__clear(struct am_alert *a)
{
	free(a->labels);
	free(a->annotations);
	memset(a, 0, sizeof(*a));
}
