// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The effective configuration as JSON, key for key as the file has it, so
 * --print-config output loads back as a config file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/config_keys.h"

static cJSON *names_json(uint32_t mask, const char *const *names, const uint32_t *bits, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; a && i < n; i++)
		if ((mask & bits[i]) && !cJSON_AddItemToArray(a, cJSON_CreateString(names[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	return a;
}

static cJSON *rule_json(const struct rule_threshold *r)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "metric",
				     metric__name(r->metric) ? metric__name(r->metric) : "?") ||
	    !cJSON_AddNumberToObject(o, r->below ? "below" : "above", r->fire) ||
	    !cJSON_AddNumberToObject(o, "clear", r->clear) ||
	    !cJSON_AddNumberToObject(o, "hold", r->hold ? r->hold : 1) ||
	    !cJSON_AddStringToObject(
		    o, "severity",
		    config_severity_names[r->severity == SEV_CRITICAL ? SEV_CRITICAL : SEV_WARNING])) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *value_json(const struct config *cfg, const struct key *k);

static cJSON *obj_json(const struct config *cfg, const struct key *keys)
{
	cJSON *o = cJSON_CreateObject(), *v;
	const struct key *k;

	for (k = keys; o && k->name; k++) {
		v = value_json(cfg, k);
		if (!v || !cJSON_AddItemToObject(o, k->name, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

static cJSON *value_json(const struct config *cfg, const struct key *k)
{
	const struct core_config *cc = &cfg->core;
	cJSON *a, *e;
	unsigned i, n;

	switch (k->kind) {
	case K_OBJ:
		return obj_json(cfg, k->sub);
	case K_DOUBLE:
	case K_U8:
	case K_U32:
	case K_SIZE:
		return cJSON_CreateNumber(config_key__load_num(cfg, k));
	case K_BOOL:
		return cJSON_CreateBool(*(const bool *)config_key__cfield(cfg, k));
	case K_STR:
	case K_SINK:
		return cJSON_CreateString(config_key__cfield(cfg, k));
	case K_PORTS:
		n = k->cnt8 ? *(const uint8_t *)((const char *)cfg + k->off2)
			    : *(const uint32_t *)((const char *)cfg + k->off2);
		a = cJSON_CreateArray();
		for (i = 0; a && i < n && i < k->size; i++) {
			e = cJSON_CreateNumber(((const uint16_t *)config_key__cfield(cfg, k))[i]);
			if (!cJSON_AddItemToArray(a, e)) {
				cJSON_Delete(e);
				cJSON_Delete(a);
				return NULL;
			}
		}
		return a;
	case K_NETNS:
		n = *(const uint32_t *)((const char *)cfg + k->off2);
		a = cJSON_CreateArray();
		for (i = 0; a && i < n && i < k->size; i++) {
			e = cJSON_CreateNumber(((const uint32_t *)config_key__cfield(cfg, k))[i]);
			if (!cJSON_AddItemToArray(a, e)) {
				cJSON_Delete(e);
				cJSON_Delete(a);
				return NULL;
			}
		}
		return a;
	case K_RULES:
		a = cJSON_CreateArray();
		for (i = 0; a && i < cc->n_rules && i < CORE_MAX_RULES; i++) {
			e = rule_json(&cc->rules[i]);
			if (!cJSON_AddItemToArray(a, e)) {
				cJSON_Delete(e);
				cJSON_Delete(a);
				return NULL;
			}
		}
		return a;
	case K_FEATURES:
		return names_json(cc->features, config_feature_names, config_feature_bits,
				  config_n_features);
	case K_STRS:
		n = *(const uint32_t *)((const char *)cfg + k->off2);
		a = cJSON_CreateArray();
		for (i = 0; a && i < n && i < k->size; i++)
			if (!cJSON_AddItemToArray(
				    a, cJSON_CreateString((const char *)config_key__cfield(cfg, k) +
							  i * k->elem))) {
				cJSON_Delete(a);
				return NULL;
			}
		return a;
	case K_NUMS:
		n = *(const uint32_t *)((const char *)cfg + k->off2);
		a = cJSON_CreateArray();
		for (i = 0; a && i < n && i < k->size; i++)
			if (!cJSON_AddItemToArray(
				    a, cJSON_CreateNumber(((const double *)config_key__cfield(cfg, k))[i]))) {
				cJSON_Delete(a);
				return NULL;
			}
		return a;
	case K_DIRS:
		a = cJSON_CreateObject();
		for (i = 0; a && i < METRIC_COUNT; i++) {
			uint8_t d = cc->alert_dir[i];

			if (!cJSON_AddStringToObject(a, metric__name(i),
						     d < ARRAY_LEN(config_dir_names) ? config_dir_names[d]
									      : "off")) {
				cJSON_Delete(a);
				return NULL;
			}
		}
		return a;
	}
	return NULL;
}

cJSON *config__to_json(const struct config *cfg)
{
	return obj_json(cfg, config_keys);
}
