// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The firing alerts of the Prometheus state: each one's label text, made
 * once from its alert line, so a snapshot only copies it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/labels.h"
#include "out/prom_alerts.h"

static struct prom_firing *find_alert(struct prom_alerts *set, const char *id)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].id, id))
			return &set->v[i];
	return NULL;
}

static char *alert_labels(const cJSON *line)
{
	static const char *const keys[] = { "id", "kind", "metric", "severity" };
	struct label l[LABELS_MAX + 4];
	const cJSON *v;
	size_t n = 0, i, len;
	char *p;

	for (i = 0; i < 4; i++) {
		v = cJSON_GetObjectItemCaseSensitive(line, keys[i]);
		if (!cJSON_IsString(v))
			continue;
		snprintf(l[n].name, sizeof(l[n].name), "%s", keys[i]);
		snprintf(l[n].value, sizeof(l[n].value), "%s", v->valuestring);
		n++;
	}
	n += labels__from_json(cJSON_GetObjectItemCaseSensitive(line, "service"), l + n);
	len = labels__format(l, n, NULL, 0);
	p = malloc(len + 1);
	if (p)
		labels__format(l, n, p, len + 1);
	return p;
}

int prom_alerts__line(struct prom_alerts *set, const cJSON *line)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(line, "type");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(line, "id");
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(line, "state");
	struct prom_firing *a;
	char *labels;

	if (!cJSON_IsString(type) || strcmp(type->valuestring, "alert") || !cJSON_IsString(id) ||
	    !cJSON_IsString(state) || strlen(id->valuestring) >= sizeof(a->id))
		return 0;
	a = find_alert(set, id->valuestring);
	if (strcmp(state->valuestring, "firing")) {
		if (a) {
			free(a->labels);
			*a = set->v[--set->n];
		}
		return 0;
	}
	labels = alert_labels(line);
	if (!labels)
		return -ENOMEM;
	if (!a) {
		if (set->n == set->cap) {
			size_t cap = set->cap ? 2 * set->cap : 16;
			struct prom_firing *g = realloc(set->v, cap * sizeof(*g));

			if (!g) {
				free(labels);
				return -ENOMEM;
			}
			set->v = g;
			set->cap = cap;
		}
		a = &set->v[set->n++];
		snprintf(a->id, sizeof(a->id), "%s", id->valuestring);
		a->labels = NULL;
	}
	free(a->labels);
	a->labels = labels;
	return 0;
}

void prom_alerts__free(struct prom_alerts *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		free(set->v[i].labels);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}
