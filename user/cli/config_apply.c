// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A parsed config document applied through the key table: every key, its
 * type and range checked, and every message naming the file and the key
 * path (services.include_ports[2]).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_file.h"
#include "cli/config_keys.h"

#define PATH_MAX_KEY 256

/* ---- reporting ---- */

/* Where a value came from, and the key path inside the file. */
struct ctx {
	struct config *cfg;
	const char *src; /* the file, for messages */
	char path[PATH_MAX_KEY];
	size_t len;
};

/* Takes n more characters written at the key path's end (it is truncated
 * there); returns the length to pop back to. */
static size_t grown(struct ctx *c, size_t old, int n)
{
	size_t room = sizeof(c->path) - old;

	if (n > 0)
		c->len += (size_t)n < room ? (size_t)n : room - 1;
	return old;
}

static size_t push(struct ctx *c, const char *name)
{
	size_t old = c->len;

	return grown(c, old, snprintf(c->path + old, sizeof(c->path) - old, "%s%s",
				      old ? "." : "", name));
}

static size_t push_index(struct ctx *c, int i)
{
	size_t old = c->len;

	return grown(c, old, snprintf(c->path + old, sizeof(c->path) - old, "[%d]", i));
}

static void pop(struct ctx *c, size_t old)
{
	c->len = old;
	c->path[old] = '\0';
}

/* "telltale: FILE: key.path: message". Returns -EINVAL for the caller. */
__attribute__((format(printf, 2, 3))) static int bad(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "telltale: %s: ", c->src);
	if (c->len)
		fprintf(stderr, "%s: ", c->path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static const char *type_name(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "an invalid value";
}

static int unknown(const struct ctx *c, const char *what, const char *s, const char *const *names,
		   size_t n)
{
	const char *sug = config_key__closest(s, names, n);

	if (sug)
		return bad(c, "unknown %s '%s' (did you mean %s?)", what, s, sug);
	return bad(c, "unknown %s '%s'", what, s);
}

static int parse_obj(struct ctx *c, const struct key *keys, const cJSON *obj);

static int parse_ports(struct ctx *c, const struct key *k, const cJSON *v)
{
	uint16_t *ports = config_key__field(c->cfg, k);
	uint16_t tmp[CONFIG_MAX_PORTS];
	const cJSON *e;
	unsigned n = 0, j;
	size_t old;

	if (!cJSON_IsArray(v))
		return bad(c, "expected an array of ports, got %s", type_name(v));
	cJSON_ArrayForEach(e, v) {
		old = push_index(c, (int)n);
		if (n >= k->size)
			return bad(c, "too many ports (at most %zu)", k->size);
		if (!cJSON_IsNumber(e))
			return bad(c, "expected a port number, got %s", type_name(e));
		if (!(e->valuedouble >= 1 && e->valuedouble <= 65535 &&
		      e->valuedouble == floor(e->valuedouble)))
			return bad(c, "expected a port from 1 to 65535, got %g", e->valuedouble);
		tmp[n] = (uint16_t)e->valuedouble;
		for (j = 0; j < n; j++)
			if (tmp[j] == tmp[n])
				return bad(c, "port %u is listed twice", tmp[n]);
		n++;
		pop(c, old);
	}
	memcpy(ports, tmp, n * sizeof(tmp[0]));
	if (k->cnt8)
		*(uint8_t *)((char *)c->cfg + k->off2) = (uint8_t)n;
	else
		*(uint32_t *)((char *)c->cfg + k->off2) = n;
	return 0;
}

static uint32_t *count_of(struct ctx *c, const struct key *k)
{
	return (uint32_t *)((char *)c->cfg + k->off2);
}

/* An array of network namespace inodes. */
static int parse_netns(struct ctx *c, const struct key *k, const cJSON *v)
{
	uint32_t *dst = config_key__field(c->cfg, k), tmp[CONFIG_MAX_NAMES];
	const cJSON *e;
	unsigned n = 0, j;
	size_t old;

	if (!cJSON_IsArray(v))
		return bad(c, "expected an array of network namespace inodes, got %s", type_name(v));
	cJSON_ArrayForEach(e, v) {
		old = push_index(c, (int)n);
		if (n >= k->size || n >= CONFIG_MAX_NAMES)
			return bad(c, "too many (at most %zu)", k->size);
		if (!cJSON_IsNumber(e) || !config_key__in_range(k, e->valuedouble))
			return bad(c, "expected a network namespace inode, a whole number from 1 to "
				      "4294967295 (readlink /proc/PID/ns/net shows it), got %s",
				   cJSON_IsNumber(e) ? "a number out of range" : type_name(e));
		tmp[n] = (uint32_t)e->valuedouble;
		for (j = 0; j < n; j++)
			if (tmp[j] == tmp[n])
				return bad(c, "netns %u is listed twice", tmp[n]);
		n++;
		pop(c, old);
	}
	memcpy(dst, tmp, n * sizeof(tmp[0]));
	*count_of(c, k) = n;
	return 0;
}

/* A list of names from a fixed set, into a bit mask. */
static int parse_names(struct ctx *c, const cJSON *v, const char *what, const char *const *names,
		       const uint32_t *bits, size_t nnames, uint32_t *mask)
{
	const cJSON *e;
	uint32_t m = 0;
	size_t i, old;
	int idx = 0;

	if (!cJSON_IsArray(v))
		return bad(c, "expected an array of %s names, got %s", what, type_name(v));
	cJSON_ArrayForEach(e, v) {
		old = push_index(c, idx++);
		if (!cJSON_IsString(e))
			return bad(c, "expected a %s name, got %s", what, type_name(e));
		for (i = 0; i < nnames; i++)
			if (!strcmp(e->valuestring, names[i]))
				break;
		if (i == nnames)
			return unknown(c, what, e->valuestring, names, nnames);
		if (m & bits[i])
			return bad(c, "'%s' is listed twice", names[i]);
		m |= bits[i];
		pop(c, old);
	}
	*mask = m;
	return 0;
}

static int parse_dirs(struct ctx *c, const cJSON *v)
{
	const char *mnames[METRIC_COUNT], *dnames[4];
	const cJSON *e, *p;
	size_t old;
	int m, d;

	if (!cJSON_IsObject(v))
		return bad(c, "expected an object of metric: direction, got %s", type_name(v));
	for (m = 0; m < METRIC_COUNT; m++)
		mnames[m] = metric__name((unsigned)m);
	memcpy(dnames, config_dir_names, sizeof(config_dir_names));
	dnames[3] = "off";
	cJSON_ArrayForEach(e, v) {
		old = push(c, e->string);
		for (p = v->child; p != e; p = p->next)
			if (!strcmp(p->string, e->string))
				return bad(c, "duplicate key");
		m = metric__parse(e->string);
		if (m < 0)
			return unknown(c, "metric", e->string, mnames, METRIC_COUNT);
		if (!cJSON_IsString(e))
			return bad(c, "expected \"both\", \"up\", \"down\" or \"off\", got %s",
				   type_name(e));
		for (d = 0; d < 4; d++)
			if (!strcmp(e->valuestring, dnames[d]))
				break;
		if (d == 4)
			return bad(c, "expected \"both\", \"up\", \"down\" or \"off\", got '%s'",
				   e->valuestring);
		c->cfg->core.alert_dir[m] = d == 3 ? CORE_DIR_OFF : (uint8_t)d;
		pop(c, old);
	}
	return 0;
}

static const char *const rule_keys[] = { "metric", "above", "below", "clear", "hold", "severity" };

static int parse_rule(struct ctx *c, const cJSON *o, struct rule_threshold *r)
{
	const cJSON *e, *p, *above = NULL, *below = NULL, *clear = NULL;
	const char *mnames[METRIC_COUNT];
	char got[32];
	size_t old, i;
	int m;

	if (!cJSON_IsObject(o))
		return bad(c, "expected an object, got %s", type_name(o));
	memset(r, 0, sizeof(*r));
	r->hold = 1;
	r->severity = SEV_WARNING;
	r->metric = 0xff;
	for (m = 0; m < METRIC_COUNT; m++)
		mnames[m] = metric__name((unsigned)m);
	cJSON_ArrayForEach(e, o) {
		old = push(c, e->string);
		for (p = o->child; p != e; p = p->next)
			if (!strcmp(p->string, e->string))
				return bad(c, "duplicate key");
		for (i = 0; i < ARRAY_LEN(rule_keys); i++)
			if (!strcmp(e->string, rule_keys[i]))
				break;
		switch (i) {
		case 0: /* metric */
			if (!cJSON_IsString(e))
				return bad(c, "expected a metric name, got %s", type_name(e));
			m = metric__parse(e->valuestring);
			if (m < 0)
				return unknown(c, "metric", e->valuestring, mnames, METRIC_COUNT);
			r->metric = (uint8_t)m;
			break;
		case 1: /* above */
		case 2: /* below */
		case 3: /* clear */
			if (!cJSON_IsNumber(e))
				return bad(c, "expected a number, got %s", type_name(e));
			if (!isfinite(e->valuedouble))
				return bad(c, "expected a finite number");
			*(i == 1 ? &above : i == 2 ? &below : &clear) = e;
			break;
		case 4: /* hold */
			if (!cJSON_IsNumber(e))
				return bad(c, "expected a number, got %s", type_name(e));
			if (!(e->valuedouble >= 1 && e->valuedouble <= 8 &&
			      e->valuedouble == floor(e->valuedouble)))
				return bad(c, "expected a whole number from 1 to 8, got %s",
					   config_key__fmt_num(e->valuedouble, got, sizeof(got)));
			r->hold = (uint8_t)e->valuedouble;
			break;
		case 5: /* severity */
			if (!cJSON_IsString(e))
				return bad(c, "expected \"warning\" or \"critical\", got %s",
					   type_name(e));
			if (!strcmp(e->valuestring, "warning"))
				r->severity = SEV_WARNING;
			else if (!strcmp(e->valuestring, "critical"))
				r->severity = SEV_CRITICAL;
			else
				return bad(c, "expected \"warning\" or \"critical\", got '%s'",
					   e->valuestring);
			break;
		default: {
			const char *sug = config_key__closest(e->string, rule_keys, ARRAY_LEN(rule_keys));

			return sug ? bad(c, "unknown key (did you mean %s?)", sug)
				   : bad(c,
					 "unknown key (a rule has metric, above or below, clear, hold, severity)");
		}
		}
		pop(c, old);
	}
	if (r->metric == 0xff)
		return bad(c, "missing \"metric\"");
	if (!above == !below)
		return bad(c, above ? "has both \"above\" and \"below\"; give one"
				    : "needs \"above\" or \"below\"");
	r->below = below != NULL;
	r->fire = (above ? above : below)->valuedouble;
	r->clear = clear ? clear->valuedouble : r->fire;
	if (r->below ? r->clear < r->fire : r->clear > r->fire) {
		char lvl[32];

		push(c, "clear");
		return bad(c, "expected a number %s %s (the level it fires at), got %s",
			   r->below ? "at least" : "at most", config_key__fmt_num(r->fire, lvl, sizeof(lvl)),
			   config_key__fmt_num(r->clear, got, sizeof(got)));
	}
	return 0;
}

static int parse_rules(struct ctx *c, const cJSON *v)
{
	struct rule_threshold rules[CORE_MAX_RULES];
	const cJSON *e;
	size_t old;
	int n = 0, err;

	if (!cJSON_IsArray(v))
		return bad(c, "expected an array of rules, got %s", type_name(v));
	cJSON_ArrayForEach(e, v) {
		old = push_index(c, n);
		if (n >= CORE_MAX_RULES)
			return bad(c, "too many rules (at most %d)", CORE_MAX_RULES);
		err = parse_rule(c, e, &rules[n]);
		if (err)
			return err;
		n++;
		pop(c, old);
	}
	memcpy(c->cfg->core.rules, rules, sizeof(rules[0]) * (size_t)n);
	c->cfg->core.n_rules = (uint8_t)n;
	return 0;
}

/* An array of strings, each checked as the key says, none twice. */
static int parse_strs(struct ctx *c, const struct key *k, const cJSON *v)
{
	char *strs = config_key__field(c->cfg, k), buf[256];
	const cJSON *e, *p;
	const char *why;
	size_t old;
	uint32_t n = 0;

	if (!cJSON_IsArray(v))
		return bad(c, "expected an array of strings, got %s", type_name(v));
	cJSON_ArrayForEach(e, v) {
		old = push_index(c, (int)n);
		if (n >= k->size)
			return bad(c, "too many (at most %zu)", k->size);
		if (!cJSON_IsString(e))
			return bad(c, "expected a string, got %s", type_name(e));
		why = config_key__str_problem(k, e->valuestring, buf, sizeof(buf));
		if (why)
			return bad(c, "'%s' is %s", e->valuestring, why);
		for (p = v->child; p != e; p = p->next)
			if (!strcmp(p->valuestring, e->valuestring))
				return bad(c, "'%s' is listed twice", e->valuestring);
		pop(c, old);
		n++;
	}
	n = 0;
	cJSON_ArrayForEach(e, v)
		strcpy(strs + k->elem * n++, e->valuestring);
	*(uint32_t *)((char *)c->cfg + k->off2) = n;
	return 0;
}

/* An array of numbers, each in the key's range. */
static int parse_nums(struct ctx *c, const struct key *k, const cJSON *v)
{
	double *nums = config_key__field(c->cfg, k), tmp[PROM_MAX_BUCKETS];
	char buf[128], got[32];
	const cJSON *e;
	size_t old;
	uint32_t n = 0;

	if (!cJSON_IsArray(v))
		return bad(c, "expected an array of numbers, got %s", type_name(v));
	cJSON_ArrayForEach(e, v) {
		old = push_index(c, (int)n);
		if (n >= k->size || n >= ARRAY_LEN(tmp))
			return bad(c, "too many (at most %zu)", k->size);
		if (!cJSON_IsNumber(e))
			return bad(c, "expected %s, got %s", config_key__expect(k, buf, sizeof(buf)),
				   type_name(e));
		if (!config_key__in_range(k, e->valuedouble))
			return bad(c, "expected %s, got %s", config_key__expect(k, buf, sizeof(buf)),
				   config_key__fmt_num(e->valuedouble, got, sizeof(got)));
		tmp[n++] = e->valuedouble;
		pop(c, old);
	}
	memcpy(nums, tmp, n * sizeof(*tmp));
	*(uint32_t *)((char *)c->cfg + k->off2) = n;
	return 0;
}

static int parse_value(struct ctx *c, const struct key *k, const cJSON *v)
{
	char buf[256], got[32];
	const char *why;
	uint64_t size;

	switch (k->kind) {
	case K_OBJ:
		if (!cJSON_IsObject(v))
			return bad(c, "expected an object, got %s", type_name(v));
		return parse_obj(c, k->sub, v);
	case K_SIZE:
		if (cJSON_IsString(v)) {
			if (config__parse_size(v->valuestring, &size) || !config_key__in_range(k, (double)size))
				return bad(
					c,
					"expected %s (bytes, or a string with a K, M or G suffix), got '%s'",
					config_key__expect(k, buf, sizeof(buf)), v->valuestring);
			*(uint64_t *)config_key__field(c->cfg, k) = size;
			return 0;
		}
		/* fall through */
	case K_DOUBLE:
	case K_U8:
	case K_U32:
		if (!cJSON_IsNumber(v))
			return bad(c, "expected %s, got %s", config_key__expect(k, buf, sizeof(buf)),
				   type_name(v));
		if (!config_key__in_range(k, v->valuedouble))
			return bad(c, "expected %s, got %s", config_key__expect(k, buf, sizeof(buf)),
				   config_key__fmt_num(v->valuedouble, got, sizeof(got)));
		config_key__store_num(c->cfg, k, v->valuedouble);
		return 0;
	case K_BOOL:
		if (!cJSON_IsBool(v))
			return bad(c, "expected true or false, got %s", type_name(v));
		*(bool *)config_key__field(c->cfg, k) = cJSON_IsTrue(v);
		return 0;
	case K_STR:
	case K_SINK:
		if (!cJSON_IsString(v))
			return bad(c, "expected a string, got %s", type_name(v));
		why = config_key__str_problem(k, v->valuestring, buf, sizeof(buf));
		if (why)
			return bad(c, "%s", why);
		strcpy(config_key__field(c->cfg, k), v->valuestring);
		return 0;
	case K_PORTS:
		return parse_ports(c, k, v);
	case K_RULES:
		return parse_rules(c, v);
	case K_FEATURES:
		return parse_names(c, v, "feature", config_feature_names, config_feature_bits,
				   config_n_features, &c->cfg->core.features);
	case K_DIRS:
		return parse_dirs(c, v);
	case K_STRS:
		return parse_strs(c, k, v);
	case K_NUMS:
		return parse_nums(c, k, v);
	case K_NETNS:
		return parse_netns(c, k, v);
	}
	return bad(c, "internal error: key kind %d", k->kind);
}

static int parse_obj(struct ctx *c, const struct key *keys, const cJSON *obj)
{
	const char *names[32];
	const struct key *k;
	const cJSON *e, *p;
	size_t n = 0, old;
	int err;

	for (k = keys; k->name && n < ARRAY_LEN(names); k++)
		names[n++] = k->name;
	cJSON_ArrayForEach(e, obj) {
		old = push(c, e->string);
		for (p = obj->child; p != e; p = p->next)
			if (!strcmp(p->string, e->string))
				return bad(c, "duplicate key");
		/* JSON has no comments: a key starting with // is one. */
		if (!strncmp(e->string, "//", 2)) {
			pop(c, old);
			continue;
		}
		for (k = keys; k->name; k++)
			if (!strcmp(k->name, e->string))
				break;
		if (!k->name) {
			const char *sug = config_key__closest(e->string, names, n);

			return sug ? bad(c, "unknown key (did you mean %s?)", sug)
				   : bad(c, "unknown key");
		}
		err = parse_value(c, k, e);
		if (err)
			return err;
		pop(c, old);
	}
	return 0;
}

/* ---- the file ---- */

/* Line and column (from 1) of offset off in buf. */

int config_file__apply(struct config *cfg, const char *src, const cJSON *root)
{
	struct ctx c = { .cfg = cfg, .src = src };

	if (!cJSON_IsObject(root))
		return bad(&c, "expected a JSON object at the top level, got %s", type_name(root));
	return parse_obj(&c, config_keys, root);
}
