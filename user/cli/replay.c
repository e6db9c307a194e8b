// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Lines are grouped into intervals the way the agent writes them: metrics
 * lines, then the host line that closes the interval. A service seen twice
 * before a host line means the host line went missing, so the pending lines
 * are stepped on their own first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "out/emit.h"
#include "cli/offline.h"
#include "cli/replay.h"

#define MAX_LINE (1u << 20)
#define MAX_PENDING 65536
#define COUNT_MAX 1e15 /* counters above this are not real, and overflow nothing */
#define KEY_BITS (2u << 16)

/*
 * A zero-allocation JSON reader: it checks the whole line against the JSON
 * grammar but keeps only the fields replay uses, by path. A general parser
 * (a tree of allocated nodes per line) made replay three times slower.
 */
enum jkind { J_NONE = 0, J_NUM, J_STR, J_OBJ, J_OTHER };

enum field {
	F_TYPE, F_TS, F_HOST, F_SVC, F_INTERVAL, F_REQUESTS, F_RPS, F_LAT, F_CONN, F_CPU, F_MEM,
	F_LOAD1,
	F_ROLE, F_PORT, F_COMM,
	F_MEAN, F_P50, F_P90, F_P99, F_MAX,
	F_ACTIVE, F_OPENED, F_CLOSED, F_FAILED, F_RESETS, F_RETRANS,
	F_COUNT
};

/* Keys per object: the line itself, service, latency_us, connections. */
static const char *const top_keys[] = { "type", "ts", "host", "service", "interval_s",
					"requests", "rps", "latency_us", "connections",
					"cpu_pct", "mem_pct", "load1", NULL };
static const char *const svc_keys[] = { "role", "port", "comm", NULL };
static const char *const lat_keys[] = { "mean", "p50", "p90", "p99", "max", NULL };
static const char *const conn_keys[] = { "active", "opened", "closed", "failed", "resets",
					 "retransmits", NULL };
static const char *const *const ctx_keys[] = { top_keys, svc_keys, lat_keys, conn_keys };
static const int ctx_base[] = { F_TYPE, F_ROLE, F_MEAN, F_ACTIVE };

#define MAX_DEPTH 64
#define STR_CAP 64

struct jdoc {
	uint8_t kind[F_COUNT];
	double num[F_COUNT];
	char str[5][STR_CAP]; /* type, ts, host, role, comm */
};

struct jp {
	const char *p;
	struct jdoc *doc;
};

static int str_slot(int f)
{
	switch (f) {
	case F_TYPE:
		return 0;
	case F_TS:
		return 1;
	case F_HOST:
		return 2;
	case F_ROLE:
		return 3;
	case F_COMM:
		return 4;
	}
	return -1;
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
static void put(char *buf, size_t *n, char c)
{
	if (buf && *n + 1 < STR_CAP)
		buf[(*n)++] = c;
}

static int escape(struct jp *j, char *buf, size_t *n)
{
	unsigned cp = 0;
	int i, h;

	switch (*j->p) {
	case '"': case '\\': case '/':
		put(buf, n, *j->p);
		break;
	case 'b': put(buf, n, '\b'); break;
	case 'f': put(buf, n, '\f'); break;
	case 'n': put(buf, n, '\n'); break;
	case 'r': put(buf, n, '\r'); break;
	case 't': put(buf, n, '\t'); break;
	case 'u':
		for (i = 1; i <= 4; i++) {
			h = hexval(j->p[i]);
			if (h < 0)
				return -1;
			cp = cp << 4 | (unsigned)h;
		}
		j->p += 4;
		/* Non-ASCII code points are labels only: keep them readable. */
		put(buf, n, cp < 0x80 && cp >= 0x20 ? (char)cp : '?');
		break;
	default:
		return -1;
	}
	j->p++;
	return 0;
}

/* A string at j->p (at its quote), decoded into buf (STR_CAP) when non-NULL.
 * Returns its decoded length, or -1. */
static long jstring(struct jp *j, char *buf)
{
	size_t n = 0;
	long len = 0;

	j->p++;
	for (;;) {
		unsigned char c = (unsigned char)*j->p;

		if (c == '"')
			break;
		if (c < 0x20)
			return -1;
		j->p++;
		if (c == '\\') {
			if (escape(j, buf, &n))
				return -1;
		} else {
			put(buf, &n, (char)c);
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

/* Field of key in object context ctx, -1 when replay does not use it. */
static int lookup_key(int ctx, const char *key)
{
	const char *const *k;

	if (ctx < 0)
		return -1;
	for (k = ctx_keys[ctx]; *k; k++)
		if (**k == *key && !strcmp(*k, key))
			return ctx_base[ctx] + (int)(k - ctx_keys[ctx]);
	return -1;
}

static int jobject(struct jp *j, int ctx, int depth)
{
	char key[STR_CAP];
	long len;

	j->p++;
	ws(j);
	if (*j->p == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		if (*j->p != '"')
			return -1;
		len = jstring(j, key);
		if (len < 0)
			return -1;
		ws(j);
		if (*j->p++ != ':')
			return -1;
		ws(j);
		if (jvalue(j, len < STR_CAP ? lookup_key(ctx, key) : -1, depth + 1))
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
	return field == F_SVC ? 1 : field == F_LAT ? 2 : field == F_CONN ? 3 : -1;
}

static int jvalue(struct jp *j, int field, int depth)
{
	struct jdoc *d = j->doc;
	uint8_t kind = J_OTHER;
	double v = 0;
	int slot = field >= 0 ? str_slot(field) : -1, err;
	long len;

	if (depth > MAX_DEPTH)
		return -1;
	switch (*j->p) {
	case '{':
		err = jobject(j, depth == 0 ? 0 : depth == 1 ? object_ctx(field) : -1, depth);
		kind = J_OBJ;
		break;
	case '[':
		err = jarray(j, depth);
		break;
	case '"':
		len = jstring(j, slot >= 0 ? d->str[slot] : NULL);
		err = len < 0;
		/* A type, time or role too long for its buffer is no valid one. */
		kind = len >= STR_CAP && (field == F_TYPE || field == F_TS || field == F_ROLE) ?
			       J_OTHER : J_STR;
		break;
	case 't':
		err = jliteral(j, "true");
		break;
	case 'f':
		err = jliteral(j, "false");
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

/* Parses line into doc. Returns 0, or -EINVAL with *why set. */
static int jparse(const char *line, struct jdoc *doc, const char **why)
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

static bool get_num(const struct jdoc *d, int f, double lo, double hi, double *v)
{
	if (d->kind[f] != J_NUM || !isfinite(d->num[f]))
		return false;
	*v = d->num[f];
	return *v >= lo && *v <= hi;
}

/* Like get_num, but an absent field reads as dflt. */
static bool opt_num(const struct jdoc *d, int f, double lo, double hi, double dflt, double *v)
{
	if (d->kind[f] == J_NONE) {
		*v = dflt;
		return true;
	}
	return get_num(d, f, lo, hi, v);
}

static bool opt_count(const struct jdoc *d, int f, uint64_t *v)
{
	double x;

	if (!opt_num(d, f, 0, COUNT_MAX, 0, &x))
		return false;
	*v = (uint64_t)x;
	return true;
}

static int parse_service(const struct jdoc *d, struct svc_id *id, const char **why)
{
	double port;

	if (d->kind[F_SVC] != J_OBJ) {
		*why = "service: missing or not an object";
		return -EINVAL;
	}
	if (d->kind[F_ROLE] != J_STR || svc_role_parse(d->str[3], &id->role)) {
		*why = "service.role: missing or not \"server\"/\"client\"";
		return -EINVAL;
	}
	if (!get_num(d, F_PORT, 0, 65535, &port) || port != floor(port)) {
		*why = "service.port: missing or not an integer in 0..65535";
		return -EINVAL;
	}
	id->port = (uint16_t)port;
	memset(id->comm, 0, sizeof(id->comm));
	if (d->kind[F_COMM] != J_NONE && d->kind[F_COMM] != J_STR) {
		*why = "service.comm: not a string";
		return -EINVAL;
	}
	if (d->kind[F_COMM] == J_STR)
		memcpy(id->comm, d->str[4], strnlen(d->str[4], sizeof(id->comm) - 1));
	return 0;
}

static int parse_latency(const struct jdoc *d, struct svc_sample *s, const char **why)
{
	s->has_latency = false;
	if (d->kind[F_LAT] == J_NONE)
		return 0;
	if (d->kind[F_LAT] != J_OBJ || !get_num(d, F_MEAN, 0, 1e12, &s->lat_mean_us) ||
	    !get_num(d, F_P50, 0, 1e12, &s->lat_p50_us) ||
	    !get_num(d, F_P90, 0, 1e12, &s->lat_p90_us) ||
	    !get_num(d, F_P99, 0, 1e12, &s->lat_p99_us) ||
	    !opt_num(d, F_MAX, 0, 1e12, s->lat_p99_us, &s->lat_max_us)) {
		*why = "latency_us: not an object of non-negative mean, p50, p90, p99";
		return -EINVAL;
	}
	s->has_latency = true;
	return 0;
}

static int parse_connections(const struct jdoc *d, struct svc_sample *s, const char **why)
{
	if (d->kind[F_CONN] != J_OBJ || d->kind[F_ACTIVE] == J_NONE ||
	    !opt_count(d, F_ACTIVE, &s->active) || !opt_count(d, F_OPENED, &s->opened) ||
	    !opt_count(d, F_CLOSED, &s->closed) || !opt_count(d, F_FAILED, &s->failed) ||
	    !opt_count(d, F_RESETS, &s->resets) || !opt_count(d, F_RETRANS, &s->retransmits)) {
		*why = "connections: missing, or a count that is not a non-negative number";
		return -EINVAL;
	}
	return 0;
}

static int parse_metrics(const struct jdoc *d, double ts, struct svc_sample *s,
			 const char **why)
{
	double req;

	memset(s, 0, sizeof(*s));
	s->ts = ts;
	if (parse_service(d, &s->id, why))
		return -EINVAL;
	if (!opt_num(d, F_INTERVAL, 0, 1e7, 0, &s->interval_s) ||
	    !opt_num(d, F_REQUESTS, 0, COUNT_MAX, 0, &req)) {
		*why = "interval_s or requests: not a non-negative number";
		return -EINVAL;
	}
	s->requests = (uint64_t)req;
	if (!opt_num(d, F_RPS, 0, 1e12, s->interval_s > 0 ? req / s->interval_s : NAN, &s->rps) ||
	    !isfinite(s->rps)) {
		*why = "rps: missing (and no requests/interval_s) or not a non-negative number";
		return -EINVAL;
	}
	if (parse_latency(d, s, why) || parse_connections(d, s, why))
		return -EINVAL;
	return REPLAY_METRICS;
}

static int parse_host(const struct jdoc *d, double ts, struct host_sample *h, const char **why)
{
	memset(h, 0, sizeof(*h));
	h->ts = ts;
	if (!get_num(d, F_CPU, 0, 100, &h->cpu_pct) || !get_num(d, F_MEM, 0, 100, &h->mem_pct)) {
		*why = "cpu_pct or mem_pct: missing or not a number in 0..100";
		return -EINVAL;
	}
	if (!opt_num(d, F_LOAD1, 0, 1e6, 0, &h->load1) ||
	    !opt_num(d, F_INTERVAL, 0, 1e7, 0, &h->interval_s)) {
		*why = "load1 or interval_s: not a non-negative number";
		return -EINVAL;
	}
	return REPLAY_HOST;
}

/* Every line of an interval carries the same time: parse it once. */
static int parse_ts(const char *s, double *t)
{
	static __thread char last[STR_CAP];
	static __thread double last_t;
	int err;

	if (last[0] && !strcmp(s, last)) {
		*t = last_t;
		return 0;
	}
	err = line__parse_iso8601(s, t);
	if (!err && isfinite(*t)) {
		snprintf(last, sizeof(last), "%s", s);
		last_t = *t;
	}
	return err;
}

static int parse_doc(const struct jdoc *d, struct replay_rec *rec, const char **why)
{
	bool metrics, hostline;
	double t;

	if (d->kind[F_TYPE] != J_STR) {
		*why = "type: missing or not a string";
		return -EINVAL;
	}
	metrics = !strcmp(d->str[0], "metrics");
	hostline = !strcmp(d->str[0], "host");
	/* alert, agent and any later kind of line are not input. */
	if (!metrics && !hostline)
		return REPLAY_SKIP;
	if (d->kind[F_TS] != J_STR || parse_ts(d->str[1], &t) || !isfinite(t)) {
		*why = "ts: missing or not an ISO 8601 UTC time";
		return -EINVAL;
	}
	if (d->kind[F_HOST] != J_NONE && d->kind[F_HOST] != J_STR) {
		*why = "host: not a string";
		return -EINVAL;
	}
	snprintf(rec->host, sizeof(rec->host), "%s", d->kind[F_HOST] ? d->str[2] : "");
	if (metrics)
		return parse_metrics(d, t, &rec->svc, why);
	return parse_host(d, t, &rec->h, why);
}

int replay__parse_line(const char *line, struct replay_rec *rec, const char **why)
{
	struct jdoc d;

	if (jparse(line, &d, why))
		return -EINVAL;
	return parse_doc(&d, rec, why);
}

/* ---- the replay loop ---- */

struct replay {
	struct core *core;
	FILE *out;
	struct svc_sample *pending;
	size_t n, cap;
	uint64_t seen[KEY_BITS / 64]; /* (role, port) pending in this interval */
	char host[REPLAY_HOST_LEN];
	struct replay_summary *sum;
};

static int print_line(const cJSON *line, void *ctx)
{
	struct replay *r = ctx;

	r->sum->alerts++;
	return emit__line(r->out, line);
}

static unsigned key_of(const struct svc_id *id)
{
	return ((unsigned)(id->role & 1) << 16) | id->port;
}

static int flush(struct replay *r, const struct host_sample *h)
{
	size_t i;
	int err;

	if (!h && !r->n)
		return 0;
	err = core__step(r->core, h, r->pending, r->n, r->host, print_line, r);
	for (i = 0; i < r->n; i++) {
		unsigned k = key_of(&r->pending[i].id);

		r->seen[k / 64] &= ~(1ULL << (k % 64));
	}
	r->n = 0;
	r->sum->intervals++;
	return err;
}

static int add_metrics(struct replay *r, const struct replay_rec *rec)
{
	unsigned k = key_of(&rec->svc.id);
	int err;

	if (r->seen[k / 64] >> (k % 64) & 1 || r->n == MAX_PENDING) {
		err = flush(r, NULL);
		if (err)
			return err;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct svc_sample *p = realloc(r->pending, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->pending = p;
		r->cap = cap;
	}
	if (!r->n)
		memcpy(r->host, rec->host, sizeof(r->host));
	r->pending[r->n++] = rec->svc;
	r->seen[k / 64] |= 1ULL << (k % 64);
	return 0;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r')
			return false;
	return true;
}

/* Checks one raw line and feeds it on. Returns 0, 1 for a malformed line
 * (reported), or a negative errno. */
static int one_line(struct replay *r, char *line, size_t len, const char **why)
{
	struct replay_rec rec;
	int type;

	if (len && line[len - 1] == '\n')
		line[--len] = 0;
	if (strlen(line) != len) {
		*why = "NUL byte in line";
		return 1;
	}
	if (len > MAX_LINE) {
		*why = "line longer than 1 MiB";
		return 1;
	}
	if (blank(line))
		return 0;
	type = replay__parse_line(line, &rec, why);
	if (type < 0)
		return 1;
	if (type == REPLAY_METRICS)
		return add_metrics(r, &rec);
	if (type == REPLAY_HOST) {
		if (!r->n)
			memcpy(r->host, rec.host, sizeof(r->host));
		return flush(r, &rec.h);
	}
	return 0;
}

int replay__run(FILE *in, FILE *out, FILE *err, const char *name, bool strict,
		const struct core_config *cfg, struct replay_summary *sum)
{
	struct replay *r = calloc(1, sizeof(*r));
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	const char *why;
	int ret = 0;

	memset(sum, 0, sizeof(*sum));
	if (!r)
		return -ENOMEM;
	r->out = out;
	r->sum = sum;
	r->core = core__new(cfg);
	if (!r->core) {
		ret = -errno;
		goto cleanup;
	}
	while ((len = getline(&line, &cap, in)) >= 0) {
		sum->lines++;
		ret = one_line(r, line, (size_t)len, &why);
		if (ret < 0)
			goto cleanup;
		if (ret > 0) {
			sum->malformed++;
			fprintf(err, "%s:%llu: malformed line skipped: %s\n", name,
				(unsigned long long)sum->lines, why);
			if (strict) {
				ret = 2;
				goto cleanup;
			}
			ret = 0;
		}
	}
	if (ferror(in)) {
		ret = -EIO;
		goto cleanup;
	}
	ret = flush(r, NULL);
cleanup:
	free(line);
	core__free(r->core);
	free(r->pending);
	free(r);
	return ret;
}

int replay__main(int argc, char **argv)
{
	struct replay_summary sum;
	struct offline_args a;
	int ret;

	ret = offline__args("replay", "Runs the agent's JSON lines through the anomaly core and "
				      "prints the alerts.", argc, argv, &a);
	if (ret >= 0)
		return ret;
	ret = replay__run(a.in, stdout, stderr, a.name, a.strict, &a.core, &sum);
	fprintf(stderr, "telltale replay: %llu lines, %llu intervals, %llu lines out, %llu malformed\n",
		(unsigned long long)sum.lines, (unsigned long long)sum.intervals,
		(unsigned long long)sum.alerts, (unsigned long long)sum.malformed);
	return offline__finish(&a, ret);
}
