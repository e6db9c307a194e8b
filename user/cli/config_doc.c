// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The key reference of docs/config.md, written from the key table and the
 * defaults, so the documentation cannot miss or misstate a key: a unit test
 * compares docs/config.md with this output, and `make docs` rewrites it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_keys.h"

static const char *type_of(const struct key *k)
{
	switch (k->kind) {
	case K_OBJ:
		return "object";
	case K_DOUBLE:
		return "number";
	case K_U8:
	case K_U32:
		return "whole number";
	case K_SIZE:
		return "whole number or string";
	case K_BOOL:
		return "boolean";
	case K_STR:
	case K_SINK:
		return "string";
	case K_PORTS:
		return "array of ports";
	case K_RULES:
		return "array of rules";
	case K_NETNS:
		return "array of whole numbers";
	case K_FEATURES:
	case K_STRS:
		return "array of strings";
	case K_NUMS:
		return "array of numbers";
	case K_DIRS:
		return "object";
	}
	return "?";
}

static const char *range_of(const struct key *k, char *buf, size_t n)
{
	char lo[32], hi[32];

	switch (k->kind) {
	case K_DOUBLE:
	case K_U8:
	case K_U32:
		snprintf(buf, n, "%s%s..%s", k->zero_ok ? "0, or " : "",
			 config_key__fmt_num(k->lo, lo, sizeof(lo)),
			 config_key__fmt_num(k->hi, hi, sizeof(hi)));
		return buf;
	case K_SIZE:
		snprintf(buf, n, "%s%.0f KiB..%.0f GiB", k->zero_ok ? "0, or " : "", k->lo / 1024,
			 k->hi / (1 << 30));
		return buf;
	case K_STR:
		snprintf(buf, n, "at most %zu bytes", k->size - 1);
		return buf;
	case K_SINK:
		return "`-`, `none` or a path";
	case K_PORTS:
		snprintf(buf, n, "at most %zu ports, 1..65535, no repeats", k->size);
		return buf;
	case K_FEATURES:
		return "no repeats";
	case K_NETNS:
		snprintf(buf, n, "at most %zu, 1..4294967295, no repeats", k->size);
		return buf;
	case K_RULES:
		snprintf(buf, n, "at most %d", CORE_MAX_RULES);
		return buf;
	case K_STRS:
		snprintf(buf, n, "at most %zu, each at most %zu bytes, no repeats", k->size,
			 k->elem - 1);
		return buf;
	case K_NUMS:
		snprintf(buf, n, "at most %zu, each %s..%s", k->size,
			 config_key__fmt_num(k->lo, lo, sizeof(lo)),
			 config_key__fmt_num(k->hi, hi, sizeof(hi)));
		return buf;
	default:
		return "";
	}
}

/* One row per key; a nested object's keys get dotted names. The default is
 * printed as the file would spell it, but for rules and directions, whose
 * defaults are long and described below the table. */
static int write_rows(FILE *f, const cJSON *defs, const struct key *keys, const char *prefix)
{
	char name[128], range[96], *text;
	const struct key *k;
	const cJSON *v;
	bool long_default;
	const char *q;
	int err;

	for (k = keys; k->name; k++) {
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k->name);
		v = cJSON_GetObjectItemCaseSensitive(defs, k->name);
		if (k->kind == K_OBJ) {
			err = write_rows(f, v, k->sub, name);
			if (err)
				return err;
			continue;
		}
		long_default = k->kind == K_RULES || k->kind == K_DIRS;
		text = long_default ? strdup("see below") : cJSON_PrintUnformatted(v);
		if (!text)
			return -ENOMEM;
		q = long_default ? "" : "`";
		err = fprintf(f, "| `%s` | %s | %s%s%s | %s | %s |\n", name, type_of(k), q, text, q,
			      range_of(k, range, sizeof(range)), k->doc) < 0 ? -EIO : 0;
		free(text);
		if (err)
			return err;
	}
	return 0;
}

static int write_table(FILE *f, const cJSON *defs, const struct key *keys, const char *prefix)
{
	if (fputs("| Key | Type | Default | Range | Meaning |\n|---|---|---|---|---|\n", f) < 0)
		return -EIO;
	return write_rows(f, defs, keys, prefix);
}

/* The top-level keys that are not objects, in one table. */
static int write_agent_table(FILE *f, const cJSON *defs)
{
	struct key top[32];
	size_t n = 0;
	const struct key *k;

	for (k = config_keys; k->name && n + 1 < ARRAY_LEN(top); k++)
		if (k->kind != K_OBJ)
			top[n++] = *k;
	top[n].name = NULL;
	if (fputs("### Agent\n\n", f) < 0)
		return -EIO;
	return write_table(f, defs, top, "");
}

int config__write_doc(FILE *f)
{
	static struct config def;
	const struct key *k;
	cJSON *defs;
	int err;

	config__default(&def);
	defs = config__to_json(&def);
	if (!defs)
		return -ENOMEM;
	err = write_agent_table(f, defs);
	for (k = config_keys; !err && k->name; k++) {
		if (k->kind != K_OBJ)
			continue;
		if (fprintf(f, "\n### `%s`\n\n%s\n\n", k->name, k->doc) < 0)
			err = -EIO;
		else
			err = write_table(f, cJSON_GetObjectItemCaseSensitive(defs, k->name), k->sub,
					  k->name);
	}
	cJSON_Delete(defs);
	return err;
}
