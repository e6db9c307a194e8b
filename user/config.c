// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Configuration: defaults, the JSON file, then the flags. One table of keys
 * drives the file parser, the flags' range checks and the JSON printer, so a
 * key cannot be readable without being printable, and --print-config output
 * always loads back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "sink.h"
#include "telltale.h"

#ifndef TT_VERSION
#define TT_VERSION "0.1.0"
#endif

#define BTF_DEFAULT "/sys/kernel/btf/vmlinux"
#define FILE_MAX (1u << 20)
#define PATH_MAX_KEY 256

const char *config_default_path = CONFIG_DEFAULT_PATH;

/* clang-format off */
enum kind {
	K_OBJ,	    /* nested object, sub lists its keys */
	K_DOUBLE,   /* number in [lo, hi] */
	K_U8,	    /* whole numbers in [lo, hi] */
	K_U32,
	K_SIZE,	    /* uint64_t bytes: a number, or a string with a K/M/G suffix */
	K_BOOL,
	K_STR,	    /* char[size] */
	K_SINK,	    /* char[size]: "-", "none" or a path */
	K_PORTS,    /* uint16_t[size], count at off2 (cnt8: a uint8_t, else uint32_t) */
	K_RULES,    /* core.rules */
	K_FEATURES, /* core.features, names */
	K_COMPONENTS, /* core.detect.components, names */
	K_DIRS,	    /* core.alert_dir, metric name -> direction */
};

struct key {
	const char *name;
	enum kind kind;
	bool zero_ok; /* 0 is allowed besides [lo, hi] */
	bool cnt8;
	size_t off;
	size_t off2;
	size_t size;
	double lo, hi;
	const struct key *sub;
};

#define OFF(f) offsetof(struct config, f)
#define NUM(n, f, l, h) { .name = n, .kind = K_DOUBLE, .off = OFF(f), .lo = l, .hi = h }
#define U8(n, f, l, h) { .name = n, .kind = K_U8, .off = OFF(f), .lo = l, .hi = h }
#define U32(n, f, l, h) { .name = n, .kind = K_U32, .off = OFF(f), .lo = l, .hi = h }
#define SIZEOF(f) sizeof(((struct config *)0)->f)
#define STR(n, f) { .name = n, .kind = K_STR, .off = OFF(f), .size = SIZEOF(f) }
#define SINK(n, f) { .name = n, .kind = K_SINK, .off = OFF(f), .size = SIZEOF(f) }
#define PORTS(n, f, cnt, max, c8) \
	{ .name = n, .kind = K_PORTS, .off = OFF(f), .off2 = OFF(cnt), .size = max, .cnt8 = c8 }
#define OBJ(n, s) { .name = n, .kind = K_OBJ, .sub = s }
#define END { .name = NULL }

static const struct key output_keys[] = {
	SINK("alerts", alerts),
	SINK("metrics", metrics),
	{ .name = "rotate_size", .kind = K_SIZE, .zero_ok = true, .off = OFF(rotate_size),
	  .lo = 1024, .hi = 1099511627776.0 },
	U32("rotate_keep", rotate_keep, 1, SINK_MAX_KEEP),
	END,
};

static const struct key services_keys[] = {
	PORTS("include_ports", include_ports, n_include, CONFIG_MAX_PORTS, false),
	PORTS("exclude_ports", exclude_ports, n_exclude, CONFIG_MAX_PORTS, false),
	U32("max_series", core.max_series, 1, 1 << 20),
	U32("stale_intervals", core.stale_intervals, 1, 1e6),
	END,
};

static const struct key model_keys[] = {
	{ .name = "features", .kind = K_FEATURES },
	NUM("lambda", core.model.lambda, 0.5, 1),
	NUM("p0", core.model.p0, 1e-6, 1e12),
	NUM("p_max", core.model.p_max, 1e-6, 1e12),
	NUM("norm_alpha", core.model.norm_alpha, 1e-6, 1),
	NUM("resid_alpha", core.model.resid_alpha, 1e-6, 1),
	NUM("huber_k", core.model.huber_k, 0.5, 100),
	NUM("min_rel_scale", core.model.min_rel_scale, 0, 1),
	NUM("min_abs_scale", core.model.min_abs_scale, 0, 1e9),
	U32("warmup", core.model.warmup, 0, 1e6),
	NUM("anomaly_z", core.anomaly_z, 0.5, 1000),
	NUM("critical_z", core.critical_z, 0.5, 1000),
	END,
};

static const struct key detector_keys[] = {
	{ .name = "components", .kind = K_COMPONENTS },
	NUM("alpha", core.detect.alpha, 1e-6, 1),
	NUM("beta_fast", core.detect.beta_fast, 1e-6, 1),
	NUM("beta_slow", core.detect.beta_slow, 1e-6, 1),
	NUM("scale_alpha", core.detect.scale_alpha, 1e-6, 1),
	NUM("corr_alpha", core.detect.corr_alpha, 1e-6, 1),
	NUM("huber_k", core.detect.huber_k, 0.5, 100),
	NUM("z_spike", core.detect.z_spike, 0.5, 1000),
	NUM("cusum_k", core.detect.cusum_k, 0, 100),
	NUM("cusum_h", core.detect.cusum_h, 0.1, 1000),
	NUM("trend_z", core.detect.trend_z, 0.1, 1000),
	NUM("min_scale", core.detect.min_scale, 0, 1e9),
	NUM("rel_scale", core.detect.rel_scale, 0, 1),
	U32("warmup", core.detect.warmup, 0, 1e6),
	{ .name = "robust", .kind = K_BOOL, .off = OFF(core.detect.robust) },
	NUM("severe_score", core.severe_score, 0, 2),
	{ .name = "directions", .kind = K_DIRS },
	END,
};

#define POLICY_KEYS(i)                                                       \
	{                                                                    \
		NUM("renotify_s", core.policy[i].renotify_s, 0, 1e7),        \
		NUM("flap_decay", core.policy[i].flap_decay, 0, 0.999999),   \
		NUM("flap_limit", core.policy[i].flap_limit, 0, 1e6),        \
		U8("m", core.policy[i].m, 1, 8), U8("n", core.policy[i].n, 1, 8), \
		U8("clear_n", core.policy[i].clear_n, 1, 255),               \
		U8("flap_mult", core.policy[i].flap_mult, 1, 255), END,      \
	}

static const struct key policy_threshold[] = POLICY_KEYS(ALERT_THRESHOLD);
static const struct key policy_anomaly[] = POLICY_KEYS(ALERT_ANOMALY);
static const struct key policy_forecast[] = POLICY_KEYS(ALERT_FORECAST);

static const struct key alerts_keys[] = {
	OBJ("threshold", policy_threshold),
	OBJ("anomaly", policy_anomaly),
	OBJ("forecast", policy_forecast),
	END,
};

static const struct key forecast_keys[] = {
	NUM("lambda", core.forecast_lambda, 0.5, 0.9999),
	NUM("horizon_s", core.forecast_horizon_s, 0, 1e7),
	NUM("t_min", core.forecast_t_min, 0, 1000),
	NUM("mem_limit_pct", core.mem_limit_pct, 1, 100),
	NUM("conn_limit", core.conn_limit, 0, 1e9),
	END,
};

static const struct key top_keys[] = {
	NUM("interval_s", interval_s, 0.1, 3600),
	NUM("duration_s", duration_s, 0, 1e9),
	STR("host", host),
	U32("max_services", max_services, 16, 65536),
	U32("max_sockets", max_sockets, 1024, 4194304),
	STR("btf", btf_path),
	{ .name = "verbose", .kind = K_BOOL, .off = OFF(verbose) },
	STR("user", user),
	{ .name = "agent_interval_s", .kind = K_DOUBLE, .zero_ok = true,
	  .off = OFF(agent_interval_s), .lo = 1, .hi = 86400 },
	OBJ("output", output_keys),
	OBJ("services", services_keys),
	PORTS("dependency_ports", core.dep_ports, core.n_dep_ports, CORE_MAX_DEP_PORTS, true),
	{ .name = "rules", .kind = K_RULES },
	OBJ("model", model_keys),
	OBJ("detector", detector_keys),
	OBJ("alerts", alerts_keys),
	OBJ("forecast", forecast_keys),
	END,
};

static const char *const feature_names[] = { "rps", "cpu", "db", "dep_latency", "active" };
static const uint32_t feature_bits[] = { CORE_F_RPS, CORE_F_CPU, CORE_F_DB, CORE_F_DEP_LAT,
					 CORE_F_ACTIVE };
static const char *const component_names[] = { "spike", "shift", "trend" };
static const uint32_t component_bits[] = { DETECT_SPIKE, DETECT_SHIFT, DETECT_TREND };
static const char *const dir_names[] = { [DETECT_BOTH] = "both", [DETECT_UP] = "up",
					 [DETECT_DOWN] = "down" };
static const char *const severity_names[] = { [SEV_WARNING] = "warning",
					      [SEV_CRITICAL] = "critical" };

/* clang-format on */

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void config__default(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_s = 1.0;
	cfg->max_services = TT_MAX_SERVICES;
	cfg->max_sockets = TT_MAX_SOCKETS;
	strcpy(cfg->alerts, "-");
	strcpy(cfg->metrics, "-");
	cfg->rotate_size = 64ull << 20;
	cfg->rotate_keep = 5;
	cfg->agent_interval_s = 60;
	core__default_config(&cfg->core);
}

/* ---- reporting ---- */

/* Where a value came from, and the key path inside the file. */
struct ctx {
	struct config *cfg;
	const char *src; /* the file, for messages */
	char path[PATH_MAX_KEY];
	size_t len;
};

/* Appends to the key path (truncated at its end); returns the length to pop
 * back to. */
static size_t pushf(struct ctx *c, const char *fmt, const char *name, int i)
{
	size_t old = c->len, room = sizeof(c->path) - old;
	int n = name ? snprintf(c->path + old, room, fmt, old ? "." : "", name)
		     : snprintf(c->path + old, room, fmt, i);

	if (n > 0)
		c->len += (size_t)n < room ? (size_t)n : room - 1;
	return old;
}

static size_t push(struct ctx *c, const char *name)
{
	return pushf(c, "%s%s", name, 0);
}

static size_t push_index(struct ctx *c, int i)
{
	return pushf(c, "[%d]", NULL, i);
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

/* Whole numbers without an exponent, the rest as %g. */
static const char *fmt_num(double v, char *buf, size_t n)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%g", v);
	return buf;
}

static bool is_whole(const struct key *k)
{
	return k->kind == K_U8 || k->kind == K_U32 || k->kind == K_SIZE;
}

/* "a number from 0.1 to 3600", "0 or a whole number from 1024 to ...". */
static const char *expect(const struct key *k, char *buf, size_t n)
{
	char lo[32], hi[32];

	if (k->kind == K_SIZE) {
		snprintf(buf, n, "%sa size from %.0fK to %.0fG", k->zero_ok ? "0 or " : "",
			 k->lo / 1024, k->hi / (1 << 30));
		return buf;
	}
	snprintf(buf, n, "%sa %snumber from %s to %s", k->zero_ok ? "0 or " : "",
		 is_whole(k) ? "whole " : "", fmt_num(k->lo, lo, sizeof(lo)),
		 fmt_num(k->hi, hi, sizeof(hi)));
	return buf;
}

static bool in_range(const struct key *k, double v)
{
	if (!isfinite(v))
		return false;
	if (is_whole(k) && v != floor(v))
		return false;
	return (k->zero_ok && v == 0) || (v >= k->lo && v <= k->hi);
}

static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[64], i, j, diag, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= ARRAY_LEN(row) || lb >= ARRAY_LEN(row))
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] =
				a[i - 1] == b[j - 1]
					? diag
					: 1 + (diag < row[j - 1] ? (diag < row[j] ? diag : row[j])
								 : (row[j - 1] < row[j] ? row[j - 1]
											: row[j]));
			diag = tmp;
		}
	}
	return row[lb];
}

/* The closest of names to s when it is a plausible typo, else NULL. */
static const char *closest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	unsigned d, best_d = 3;
	size_t i;

	for (i = 0; i < n; i++) {
		d = edit_distance(s, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best;
}

static int unknown(const struct ctx *c, const char *what, const char *s, const char *const *names,
		   size_t n)
{
	const char *sug = closest(s, names, n);

	if (sug)
		return bad(c, "unknown %s '%s' (did you mean %s?)", what, s, sug);
	return bad(c, "unknown %s '%s'", what, s);
}

/* ---- values ---- */

static void *field(struct config *cfg, size_t off)
{
	return (char *)cfg + off;
}

static const void *cfield(const struct config *cfg, size_t off)
{
	return (const char *)cfg + off;
}

static void store_num(struct config *cfg, const struct key *k, double v)
{
	switch (k->kind) {
	case K_DOUBLE:
		*(double *)field(cfg, k->off) = v;
		break;
	case K_U8:
		*(uint8_t *)field(cfg, k->off) = (uint8_t)v;
		break;
	case K_U32:
		*(uint32_t *)field(cfg, k->off) = (uint32_t)v;
		break;
	case K_SIZE:
		*(uint64_t *)field(cfg, k->off) = (uint64_t)v;
		break;
	default:
		break;
	}
}

static double load_num(const struct config *cfg, const struct key *k)
{
	switch (k->kind) {
	case K_DOUBLE:
		return *(const double *)cfield(cfg, k->off);
	case K_U8:
		return *(const uint8_t *)cfield(cfg, k->off);
	case K_U32:
		return *(const uint32_t *)cfield(cfg, k->off);
	case K_SIZE:
		return (double)*(const uint64_t *)cfield(cfg, k->off);
	default:
		return 0;
	}
}

int config__parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && end[-1] == 'i'))
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A string key's value: fits its buffer, and a sink is "-", "none" or a path. */
static const char *str_problem(const struct key *k, const char *s, char *buf, size_t n)
{
	if (strlen(s) >= k->size) {
		snprintf(buf, n, "longer than %zu bytes", k->size - 1);
		return buf;
	}
	if (k->kind == K_SINK && !*s)
		return "empty; use \"-\" for stdout, \"none\" to discard, or a file path";
	/* Room for the rotated names, PATH.999.gz.tmp. */
	if (k->kind == K_SINK && strlen(s) + sizeof(".999.gz.tmp") > PATH_MAX) {
		snprintf(buf, n, "longer than %zu bytes", PATH_MAX - sizeof(".999.gz.tmp"));
		return buf;
	}
	return NULL;
}

static int parse_obj(struct ctx *c, const struct key *keys, const cJSON *obj);

static int parse_ports(struct ctx *c, const struct key *k, const cJSON *v)
{
	uint16_t *ports = field(c->cfg, k->off);
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
		*(uint8_t *)field(c->cfg, k->off2) = (uint8_t)n;
	else
		*(uint32_t *)field(c->cfg, k->off2) = n;
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
	memcpy(dnames, dir_names, sizeof(dir_names));
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
					   fmt_num(e->valuedouble, got, sizeof(got)));
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
			const char *sug = closest(e->string, rule_keys, ARRAY_LEN(rule_keys));

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
			   r->below ? "at least" : "at most", fmt_num(r->fire, lvl, sizeof(lvl)),
			   fmt_num(r->clear, got, sizeof(got)));
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

static int parse_value(struct ctx *c, const struct key *k, const cJSON *v)
{
	char buf[128], got[32];
	const char *why;
	uint64_t size;

	switch (k->kind) {
	case K_OBJ:
		if (!cJSON_IsObject(v))
			return bad(c, "expected an object, got %s", type_name(v));
		return parse_obj(c, k->sub, v);
	case K_SIZE:
		if (cJSON_IsString(v)) {
			if (config__parse_size(v->valuestring, &size) || !in_range(k, (double)size))
				return bad(
					c,
					"expected %s (bytes, or a string with a K, M or G suffix), got '%s'",
					expect(k, buf, sizeof(buf)), v->valuestring);
			*(uint64_t *)field(c->cfg, k->off) = size;
			return 0;
		}
		/* fall through */
	case K_DOUBLE:
	case K_U8:
	case K_U32:
		if (!cJSON_IsNumber(v))
			return bad(c, "expected %s, got %s", expect(k, buf, sizeof(buf)),
				   type_name(v));
		if (!in_range(k, v->valuedouble))
			return bad(c, "expected %s, got %s", expect(k, buf, sizeof(buf)),
				   fmt_num(v->valuedouble, got, sizeof(got)));
		store_num(c->cfg, k, v->valuedouble);
		return 0;
	case K_BOOL:
		if (!cJSON_IsBool(v))
			return bad(c, "expected true or false, got %s", type_name(v));
		*(bool *)field(c->cfg, k->off) = cJSON_IsTrue(v);
		return 0;
	case K_STR:
	case K_SINK:
		if (!cJSON_IsString(v))
			return bad(c, "expected a string, got %s", type_name(v));
		why = str_problem(k, v->valuestring, buf, sizeof(buf));
		if (why)
			return bad(c, "%s", why);
		strcpy(field(c->cfg, k->off), v->valuestring);
		return 0;
	case K_PORTS:
		return parse_ports(c, k, v);
	case K_RULES:
		return parse_rules(c, v);
	case K_FEATURES:
		return parse_names(c, v, "feature", feature_names, feature_bits,
				   ARRAY_LEN(feature_names), &c->cfg->core.features);
	case K_COMPONENTS: {
		uint32_t mask;
		int err = parse_names(c, v, "component", component_names, component_bits,
				      ARRAY_LEN(component_names), &mask);

		if (!err)
			c->cfg->core.detect.components = (uint8_t)mask;
		return err;
	}
	case K_DIRS:
		return parse_dirs(c, v);
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
		for (k = keys; k->name; k++)
			if (!strcmp(k->name, e->string))
				break;
		if (!k->name) {
			const char *sug = closest(e->string, names, n);

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
static void line_col(const char *buf, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && buf[i]; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Refuses a file someone other than root (or the user running us) could have
 * written: the agent runs as root and loads kernel programs on its word. */
static int check_owner(const char *path, const struct stat *st)
{
	uid_t me = geteuid();

	if (st->st_uid != 0 && st->st_uid != me) {
		fprintf(stderr,
			"telltale: %s: owned by uid %u, not root; refusing it (run: chown root %s)\n",
			path, (unsigned)st->st_uid, path);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		fprintf(stderr,
			"telltale: %s: writable by %s (mode %04o); refusing it (run: chmod go-w %s)\n",
			path,
			(st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group and others"
			: (st->st_mode & S_IWGRP)			   ? "its group"
									   : "others",
			(unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

/* Reads and applies the file. Returns 0, -ENOENT when it does not exist and
 * quiet is set, or another negative errno after printing the problem. */
static int load_file(struct config *cfg, const char *path, bool quiet_enoent)
{
	struct ctx c = { .cfg = cfg, .src = path };
	const char *end = NULL;
	unsigned line, col;
	struct stat st;
	cJSON *root;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT && quiet_enoent)
			return err;
		fprintf(stderr, "telltale: %s: %s\n", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		fprintf(stderr, "telltale: %s: %s\n", path, strerror(-err));
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "telltale: %s: not a regular file\n", path);
		close(fd);
		return -EINVAL;
	}
	err = check_owner(path, &st);
	if (err) {
		close(fd);
		return err;
	}
	if (st.st_size > FILE_MAX) {
		fprintf(stderr, "telltale: %s: larger than %u bytes\n", path, FILE_MAX);
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fprintf(stderr, "telltale: %s: out of memory\n", path);
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			fprintf(stderr, "telltale: %s: %s\n", path,
				n < 0 ? strerror(errno) : "file shrank while read");
			free(buf);
			close(fd);
			return err;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strlen(buf) != len) {
		line_col(buf, strlen(buf), &line, &col);
		fprintf(stderr, "telltale: %s: line %u, column %u: NUL byte in the file\n", path,
			line, col);
		free(buf);
		return -EINVAL;
	}

	root = cJSON_ParseWithOpts(buf, &end, 1);
	if (!root) {
		size_t off = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : len;

		size_t near;

		/* cJSON points one past a bad string start; at a line's end, back up. */
		if (off > 0 && off < len && (buf[off] == '\n' || buf[off] == '\r'))
			off--;
		near = strcspn(buf + off, "\r\n");

		line_col(buf, off, &line, &col);
		if (off >= len)
			fprintf(stderr,
				"telltale: %s: line %u, column %u: malformed JSON (unexpected end of file)\n",
				path, line, col);
		else
			fprintf(stderr,
				"telltale: %s: line %u, column %u: malformed JSON near '%.*s'\n",
				path, line, col, (int)(near > 20 ? 20 : near), buf + off);
		free(buf);
		return -EINVAL;
	}
	free(buf);
	if (!cJSON_IsObject(root)) {
		err = bad(&c, "expected a JSON object at the top level, got %s", type_name(root));
	} else {
		err = parse_obj(&c, top_keys, root);
	}
	cJSON_Delete(root);
	return err;
}

/* ---- flags ---- */

static const struct key *find_key(const char *dotted)
{
	const struct key *keys = top_keys, *k = NULL;
	const char *dot;
	size_t n;

	while (keys) {
		dot = strchr(dotted, '.');
		n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		for (k = keys; k->name; k++)
			if (strlen(k->name) == n && !strncmp(k->name, dotted, n))
				break;
		if (!k->name)
			return NULL;
		if (!dot)
			return k;
		keys = k->sub;
		dotted = dot + 1;
	}
	return NULL;
}

/* Applies one flag's value to the key it stands for, in the message style of
 * "telltale: --interval: '0' is not a number from 0.1 to 3600". */
static int apply_flag(struct config *cfg, const char *flag, const char *dotted, const char *arg)
{
	const struct key *k = find_key(dotted);
	char buf[128], *end;
	const char *why;
	uint64_t size;
	double v;

	if (!k) {
		fprintf(stderr, "telltale: internal error: no config key %s\n", dotted);
		return -EINVAL;
	}
	switch (k->kind) {
	case K_SIZE:
		if (config__parse_size(arg, &size) || !in_range(k, (double)size)) {
			fprintf(stderr,
				"telltale: %s: '%s' is not %s (bytes, or with a K, M or G suffix)\n",
				flag, arg, expect(k, buf, sizeof(buf)));
			return -EINVAL;
		}
		*(uint64_t *)field(cfg, k->off) = size;
		return 0;
	case K_DOUBLE:
	case K_U8:
	case K_U32:
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !in_range(k, v)) {
			fprintf(stderr, "telltale: %s: '%s' is not %s\n", flag, arg,
				expect(k, buf, sizeof(buf)));
			return -EINVAL;
		}
		store_num(cfg, k, v);
		return 0;
	case K_STR:
	case K_SINK:
		why = str_problem(k, arg, buf, sizeof(buf));
		if (why) {
			fprintf(stderr, "telltale: %s: '%s' is %s\n", flag, arg, why);
			return -EINVAL;
		}
		strcpy(field(cfg, k->off), arg);
		return 0;
	default:
		fprintf(stderr, "telltale: internal error: %s is not a flag's kind of key\n",
			dotted);
		return -EINVAL;
	}
}

/* Checks between keys, once file and flags are applied. */
static int check_whole(const struct config *cfg)
{
	const struct core_config *cc = &cfg->core;
	static const char *const kinds[] = { "threshold", "anomaly", "forecast" };
	const char *src = cfg->config_path[0] ? cfg->config_path : "configuration";
	unsigned i, j;

	for (i = 0; i < 3; i++)
		if (cc->policy[i].m > cc->policy[i].n) {
			fprintf(stderr,
				"telltale: %s: alerts.%s.m: expected at most n (%u), got %u\n", src,
				kinds[i], cc->policy[i].n, cc->policy[i].m);
			return -EINVAL;
		}
	if (cc->critical_z < cc->anomaly_z) {
		fprintf(stderr,
			"telltale: %s: model.critical_z: expected at least anomaly_z (%g), got %g\n",
			src, cc->anomaly_z, cc->critical_z);
		return -EINVAL;
	}
	if (cc->model.p_max < cc->model.p0) {
		fprintf(stderr, "telltale: %s: model.p_max: expected at least p0 (%g), got %g\n",
			src, cc->model.p0, cc->model.p_max);
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_exclude; i++)
		for (j = 0; j < cfg->n_include; j++)
			if (cfg->exclude_ports[i] == cfg->include_ports[j]) {
				fprintf(stderr,
					"telltale: %s: services.exclude_ports[%u]: port %u is also in include_ports\n",
					src, i, cfg->exclude_ports[i]);
				return -EINVAL;
			}
	if (strcmp(cfg->alerts, "-") && strcmp(cfg->alerts, "none") &&
	    !strcmp(cfg->alerts, cfg->metrics)) {
		fprintf(stderr,
			"telltale: alerts and metrics both go to '%s'; give each stream its own file\n",
			cfg->alerts);
		return -EINVAL;
	}
	if (cfg->user[0]) {
		errno = 0;
		if (!getpwnam(cfg->user)) {
			fprintf(stderr, "telltale: user '%s': %s\n", cfg->user,
				errno ? strerror(errno) : "no such user");
			return -EINVAL;
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: telltale [OPTIONS]            run the agent (root)\n"
		"\n"
		"  -c, --config PATH        JSON config file (default " CONFIG_DEFAULT_PATH
		" if present);\n"
		"                           flags override it, see docs/config.md\n"
		"  -i, --interval SECONDS   collection interval, 0.1..3600 (default 1)\n"
		"  -d, --duration SECONDS   stop after this long (default: run until SIGINT/SIGTERM)\n"
		"  -H, --host NAME          host name in every line (default: gethostname)\n"
		"      --max-services N     services tracked in the kernel, 16..65536 (default %d)\n"
		"      --max-sockets N      sockets tracked in the kernel, 1024..4194304 (default %d)\n"
		"      --btf PATH           kernel BTF for CO-RE (default " BTF_DEFAULT ")\n"
		"      --alerts PATH|-|none where alert lines go (default -, stdout)\n"
		"      --metrics PATH|-|none where metrics, host and agent lines go (default -, stdout)\n"
		"      --rotate-size BYTES  rotate a file sink past this size, K/M/G suffixes, 0 = never\n"
		"                           (default 64M)\n"
		"      --rotate-keep N      compressed rotated files kept, 1..999 (default 5)\n"
		"      --user NAME          switch to this user once attached (default: stay root)\n"
		"      --check-config       validate the configuration and exit\n"
		"      --print-config       print the effective configuration as JSON and exit\n"
		"  -v, --verbose            print libbpf's debug output\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n",
		TT_MAX_SERVICES, TT_MAX_SOCKETS);
}

enum {
	OPT_MAX_SERVICES = 256,
	OPT_MAX_SOCKETS,
	OPT_BTF,
	OPT_ALERTS,
	OPT_METRICS,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_KEEP,
	OPT_USER,
	OPT_CHECK,
	OPT_PRINT,
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "host", required_argument, NULL, 'H' },
	{ "max-services", required_argument, NULL, OPT_MAX_SERVICES },
	{ "max-sockets", required_argument, NULL, OPT_MAX_SOCKETS },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "alerts", required_argument, NULL, OPT_ALERTS },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "user", required_argument, NULL, OPT_USER },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "print-config", no_argument, NULL, OPT_PRINT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char shortopts[] = "c:i:d:H:vVh";

/* Flag -> config key, for the flags that set one. */
static const struct {
	int opt;
	const char *flag, *key;
} flag_keys[] = {
	{ 'i', "--interval", "interval_s" },
	{ 'd', "--duration", "duration_s" },
	{ 'H', "--host", "host" },
	{ OPT_MAX_SERVICES, "--max-services", "max_services" },
	{ OPT_MAX_SOCKETS, "--max-sockets", "max_sockets" },
	{ OPT_BTF, "--btf", "btf" },
	{ OPT_ALERTS, "--alerts", "output.alerts" },
	{ OPT_METRICS, "--metrics", "output.metrics" },
	{ OPT_ROTATE_SIZE, "--rotate-size", "output.rotate_size" },
	{ OPT_ROTATE_KEEP, "--rotate-keep", "output.rotate_keep" },
	{ OPT_USER, "--user", "user" },
};

static int print_config(const struct config *cfg)
{
	cJSON *j = config__to_json(cfg);
	char *s = j ? cJSON_Print(j) : NULL;

	cJSON_Delete(j);
	if (!s) {
		fprintf(stderr, "telltale: out of memory\n");
		return 2;
	}
	printf("%s\n", s);
	free(s);
	return fflush(stdout) ? 2 : 1;
}

int config__load(struct config *cfg, int argc, char **argv)
{
	const char *path = NULL;
	size_t i;
	int c, err;

	config__default(cfg);

	/* First pass: only --config, --help and --version, quietly; the second
	 * pass reports bad flags once the file has been applied beneath them. */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'c') {
			path = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return 1;
		} else if (c == 'V') {
			printf("telltale %s\n", TT_VERSION);
			return 1;
		}
	}

	if (path) {
		if (!*path) {
			fprintf(stderr, "telltale: --config: empty path\n");
			return 2;
		}
		if (strlen(path) >= sizeof(cfg->config_path)) {
			fprintf(stderr, "telltale: --config: path longer than %zu bytes\n",
				sizeof(cfg->config_path) - 1);
			return 2;
		}
		if (load_file(cfg, path, false))
			return 2;
		strcpy(cfg->config_path, path);
	} else {
		err = load_file(cfg, config_default_path, true);
		if (err && err != -ENOENT)
			return 2;
		if (!err)
			snprintf(cfg->config_path, sizeof(cfg->config_path), "%s",
				 config_default_path);
	}

	opterr = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		for (i = 0; i < ARRAY_LEN(flag_keys); i++)
			if (flag_keys[i].opt == c)
				break;
		if (i < ARRAY_LEN(flag_keys)) {
			if (apply_flag(cfg, flag_keys[i].flag, flag_keys[i].key, optarg))
				return 2;
			continue;
		}
		switch (c) {
		case 'c':
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case OPT_CHECK:
			cfg->check_config = true;
			break;
		case OPT_PRINT:
			cfg->print_config = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "telltale: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (check_whole(cfg))
		return 2;
	if (cfg->print_config)
		return print_config(cfg);
	if (cfg->check_config) {
		if (cfg->config_path[0])
			printf("telltale: config OK (%s)\n", cfg->config_path);
		else
			printf("telltale: config OK (no config file; %s is absent)\n",
			       config_default_path);
		return 1;
	}
	return 0;
}

/* ---- printing ---- */

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
		    severity_names[r->severity == SEV_CRITICAL ? SEV_CRITICAL : SEV_WARNING])) {
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
		return cJSON_CreateNumber(load_num(cfg, k));
	case K_BOOL:
		return cJSON_CreateBool(*(const bool *)cfield(cfg, k->off));
	case K_STR:
	case K_SINK:
		return cJSON_CreateString(cfield(cfg, k->off));
	case K_PORTS:
		n = k->cnt8 ? *(const uint8_t *)cfield(cfg, k->off2)
			    : *(const uint32_t *)cfield(cfg, k->off2);
		a = cJSON_CreateArray();
		for (i = 0; a && i < n && i < k->size; i++) {
			e = cJSON_CreateNumber(((const uint16_t *)cfield(cfg, k->off))[i]);
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
		return names_json(cc->features, feature_names, feature_bits,
				  ARRAY_LEN(feature_names));
	case K_COMPONENTS:
		return names_json(cc->detect.components, component_names, component_bits,
				  ARRAY_LEN(component_names));
	case K_DIRS:
		a = cJSON_CreateObject();
		for (i = 0; a && i < METRIC_COUNT; i++) {
			uint8_t d = cc->alert_dir[i];

			if (!cJSON_AddStringToObject(a, metric__name(i),
						     d < ARRAY_LEN(dir_names) ? dir_names[d]
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
	return obj_json(cfg, top_keys);
}
