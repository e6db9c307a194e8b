// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/jdoc.h"

/* Keys per object, in enum jfield order: the line itself, service,
 * latency_us, connections, service.container. */
static const char *const top_keys[] = { "type", "ts", "host", "service", "interval_s",
					"requests", "rps", "latency_us", "connections",
					"cpu_pct", "mem_pct", "load1", "event", "schema", NULL };
static const char *const svc_keys[] = { "role", "port", "comm", "netns", "host_netns",
					"cgroup", "cgroup_id", "container", "pod_uid",
					"unit", "other", NULL };
static const char *const lat_keys[] = { "mean", "p50", "p90", "p99", "max", NULL };
static const char *const conn_keys[] = { "active", "opened", "closed", "failed", "resets",
					 "retransmits", NULL };
static const char *const container_keys[] = { "id", "runtime", NULL };
static const char *const *const ctx_keys[] = { top_keys, svc_keys, lat_keys, conn_keys,
					       container_keys };
static const int ctx_base[] = { F_TYPE, F_ROLE, F_MEAN, F_ACTIVE, F_CT_ID };

#define MAX_DEPTH 64
#define KEY_CAP 64

struct jp {
	const char *p;
	struct jdoc *doc;
};

/* The buffer a string field is decoded into, and its size; NULL for a
 * field whose text is not kept. */
static char *str_buf(struct jdoc *d, int f, size_t *cap)
{
	char *b;

	switch (f) {
	case F_TYPE: b = d->type; *cap = sizeof(d->type); break;
	case F_TS: b = d->ts; *cap = sizeof(d->ts); break;
	case F_HOST: b = d->host; *cap = sizeof(d->host); break;
	case F_EVENT: b = d->event; *cap = sizeof(d->event); break;
	case F_SCHEMA: b = d->schema; *cap = sizeof(d->schema); break;
	case F_ROLE: b = d->role; *cap = sizeof(d->role); break;
	case F_COMM: b = d->comm; *cap = sizeof(d->comm); break;
	case F_CGROUP: b = d->names.cgroup; *cap = sizeof(d->names.cgroup); break;
	case F_CT_ID: b = d->names.container; *cap = sizeof(d->names.container); break;
	case F_CT_RUNTIME: b = d->names.runtime; *cap = sizeof(d->names.runtime); break;
	case F_POD: b = d->names.pod_uid; *cap = sizeof(d->names.pod_uid); break;
	case F_UNIT: b = d->names.unit; *cap = sizeof(d->names.unit); break;
	default: b = NULL; *cap = 0;
	}
	return b;
}

static void ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends one byte if it fits; a string that does not fit is cut short. */
static void put(char *buf, size_t cap, size_t *n, char c)
{
	if (buf && *n + 1 < cap)
		buf[(*n)++] = c;
}

static int escape(struct jp *j, char *buf, size_t cap, size_t *n)
{
	unsigned cp = 0;
	int i, h;

	switch (*j->p) {
	case '"': case '\\': case '/':
		put(buf, cap, n, *j->p);
		break;
	case 'b': put(buf, cap, n, '\b'); break;
	case 'f': put(buf, cap, n, '\f'); break;
	case 'n': put(buf, cap, n, '\n'); break;
	case 'r': put(buf, cap, n, '\r'); break;
	case 't': put(buf, cap, n, '\t'); break;
	case 'u':
		for (i = 1; i <= 4; i++) {
			h = hexval(j->p[i]);
			if (h < 0)
				return -1;
			cp = cp << 4 | (unsigned)h;
		}
		j->p += 4;
		/* Non-ASCII code points are labels only: keep them readable. */
		put(buf, cap, n, cp < 0x80 && cp >= 0x20 ? (char)cp : '?');
		break;
	default:
		return -1;
	}
	j->p++;
	return 0;
}

/* The bytes that end a string's plain run: its quote, an escape, and the
 * control characters JSON does not allow in one. */
static const bool run_end[256] = {
	[0 ... 0x1f] = true, ['"'] = true, ['\\'] = true,
};

/* The first byte from s on that ends a plain run. */
static const char *plain_run(const char *s)
{
	while (!run_end[(unsigned char)*s])
		s++;
	return s;
}

/* A string at j->p (at its quote), decoded into buf (cap bytes) when
 * non-NULL. Returns its decoded length, or -1. */
static long jstring(struct jp *j, char *buf, size_t cap)
{
	const char *q = plain_run(j->p + 1);
	size_t n = 0;
	long len = 0;

	/* Most strings have no escape: find the quote, then copy them whole
	 * (a byte at a time through put() was a fifth of replay's time). */
	if (*q == '"') {
		len = q - (j->p + 1);
		if (buf) {
			n = (size_t)len < cap ? (size_t)len : cap - 1;
			memcpy(buf, j->p + 1, n);
			buf[n] = 0;
		}
		j->p = q + 1;
		return len;
	}
	j->p++;
	for (;;) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		j->p++;
		if (c == '\\') {
			if (escape(j, buf, cap, &n))
				return -1;
		} else {
			put(buf, cap, &n, (char)c);
		}
		len++;
	}
	j->p++;
	if (buf)
		buf[n] = 0;
	return len;
}

static const double pow10_exact[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
				      1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };

static int jnumber(struct jp *j, double *v)
{
	const char *s = j->p, *q = s;
	uint64_t mant = 0;
	int digits = 0, frac = 0;
	bool neg = *q == '-', simple = true;
	char *end;

	if (neg)
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		for (; *q >= '0' && *q <= '9'; q++, digits++)
			mant = mant * 10 + (uint64_t)(*q - '0');
	else
		return -1;
	if (*q == '.') {
		if (!(*++q >= '0' && *q <= '9'))
			return -1;
		for (; *q >= '0' && *q <= '9'; q++, digits++, frac++)
			mant = mant * 10 + (uint64_t)(*q - '0');
	}
	if (*q == 'e' || *q == 'E') {
		simple = false;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			return -1;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	/* Up to 15 digits, both mant and 10^frac are exact doubles and one
	 * division rounds correctly: the same value strtod gives, faster. */
	if (simple && digits <= 15 && frac <= 15) {
		*v = (double)mant / pow10_exact[frac];
		if (neg)
			*v = -*v;
	} else {
		*v = strtod(s, &end);
		if (end != q)
			return -1;
	}
	j->p = q;
	return 0;
}

static int jvalue(struct jp *j, int field, int depth);

/* Keys by a hash of their context, length and ends: one compare a key where
 * a scan of the context's keys took a fifth of the parser's time. Built once;
 * should two keys share a slot, lookups scan instead. */
#define KEY_SLOTS 128
static struct {
	int8_t ctx, field; /* field -1: an empty slot */
} key_slots[KEY_SLOTS];
static bool key_slots_ok, key_scan_forced;

static unsigned key_hash(int ctx, const char *key, size_t len)
{
	/* key[1] of a one-byte key is the byte after it: no key is that short. */
	return ((unsigned)ctx * 61 + (unsigned char)key[0] + (unsigned char)key[1] * 13 +
		(unsigned char)key[len - 1] * 7 + (unsigned)len) % KEY_SLOTS;
}

__attribute__((constructor)) static void build_key_slots(void)
{
	const char *const *k;
	unsigned h, ctx;

	for (h = 0; h < KEY_SLOTS; h++)
		key_slots[h].field = -1;
	for (ctx = 0; ctx < sizeof(ctx_keys) / sizeof(ctx_keys[0]); ctx++)
		for (k = ctx_keys[ctx]; *k; k++) {
			h = key_hash((int)ctx, *k, strlen(*k));
			if (key_slots[h].field >= 0)
				return; /* key_slots_ok stays false */
			key_slots[h].ctx = (int8_t)ctx;
			key_slots[h].field = (int8_t)(k - ctx_keys[ctx]);
		}
	key_slots_ok = true;
}

/* Whether name (a table's key) is the len bytes at key, which hold no NUL:
 * a shorter name stops the loop at its own. */
static bool is_key(const char *name, const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (name[i] != key[i])
			return false;
	return !name[len];
}

/* Field of the key of len bytes at key (no NUL within) in object context
 * ctx, -1 when replay does not use it. */
static int lookup_key(int ctx, const char *key, size_t len)
{
	const char *const *k;
	unsigned h;

	if (ctx < 0 || !len)
		return -1;
	if (key_slots_ok && !key_scan_forced) {
		h = key_hash(ctx, key, len);
		if (key_slots[h].field < 0 || key_slots[h].ctx != ctx ||
		    !is_key(ctx_keys[ctx][key_slots[h].field], key, len))
			return -1;
		return ctx_base[ctx] + key_slots[h].field;
	}
	for (k = ctx_keys[ctx]; *k; k++)
		if (is_key(*k, key, len))
			return ctx_base[ctx] + (int)(k - ctx_keys[ctx]);
	return -1;
}

void jdoc__force_key_scan(bool scan)
{
	key_scan_forced = scan;
}

/* The field of the key at j->p (at its quote), read in place when it has no
 * escape; -1 when replay does not use it, -2 on bad JSON. */
static int jkey(struct jp *j, int ctx)
{
	const char *s = j->p + 1, *q = plain_run(s);
	char key[KEY_CAP];
	long len;

	if (*q == '"') {
		j->p = q + 1;
		return lookup_key(ctx, s, (size_t)(q - s));
	}
	len = jstring(j, key, sizeof(key));
	if (len < 0)
		return -2;
	return len < KEY_CAP ? lookup_key(ctx, key, (size_t)len) : -1;
}

static int jobject(struct jp *j, int ctx, int depth)
{
	int field;

	j->p++;
	ws(j);
	if (*j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (*j->p != '"')
			return -1;
		field = jkey(j, ctx);
		if (field < -1)
			return -1;
		ws(j);
		if (*j->p++ != ':')
			return -1;
		ws(j);
		if (jvalue(j, field, depth + 1))
			return -1;
		ws(j);
		if (*j->p == '}') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
		ws(j);
	}
}

static int jarray(struct jp *j, int depth)
{
	j->p++;
	ws(j);
	if (*j->p == ']') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (jvalue(j, -1, depth + 1))
			return -1;
		ws(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
		ws(j);
	}
}

static int jliteral(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(j->p, word, n))
		return -1;
	j->p += n;
	return 0;
}

static int object_ctx(int field)
{
	switch (field) {
	case F_SVC:
		return 1;
	case F_LAT:
		return 2;
	case F_CONN:
		return 3;
	case F_CONTAINER:
		return 4;
	}
	return -1;
}

static int jvalue(struct jp *j, int field, int depth)
{
	struct jdoc *d = j->doc;
	uint8_t kind = J_OTHER;
	double v = 0;
	size_t cap;
	char *buf = str_buf(d, field, &cap);
	long len;
	int err;

	if (depth > MAX_DEPTH)
		return -1;
	switch (*j->p) {
	case '{':
		err = jobject(j, depth == 0 ? 0 : object_ctx(field), depth);
		kind = J_OBJ;
		break;
	case '[':
		err = jarray(j, depth);
		break;
	case '"':
		len = jstring(j, buf, cap);
		err = len < 0;
		/* Too long for its buffer: a label is cut short, anything else is
		 * marked so the caller can refuse or drop it. */
		kind = buf && len >= (long)cap && field != F_COMM && field != F_HOST ? J_LONG : J_STR;
		break;
	case 't':
		err = jliteral(j, "true");
		kind = J_TRUE;
		break;
	case 'f':
		err = jliteral(j, "false");
		kind = J_FALSE;
		break;
	case 'n':
		err = jliteral(j, "null");
		break;
	default:
		err = jnumber(j, &v);
		kind = J_NUM;
	}
	if (err)
		return -1;
	if (field >= 0) {
		d->kind[field] = kind;
		d->num[field] = v;
	}
	return 0;
}

int jdoc__parse(const char *line, struct jdoc *doc, const char **why)
{
	struct jp j = { .p = line, .doc = doc };
	bool obj;

	memset(doc->kind, 0, sizeof(doc->kind));
	ws(&j);
	obj = *j.p == '{';
	if (jvalue(&j, -1, 0) || (ws(&j), *j.p)) {
		*why = "not valid JSON";
		return -EINVAL;
	}
	if (!obj) {
		*why = "not a JSON object";
		return -EINVAL;
	}
	return 0;
}

