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

#include "emit.h"
#include "replay.h"

#define MAX_LINE (1u << 20)
#define MAX_PENDING 65536
#define COUNT_MAX 1e15 /* counters above this are not real, and overflow nothing */
#define KEY_BITS (2u << 16)

static bool get_num(const cJSON *o, const char *name, double lo, double hi, double *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
		return false;
	*v = it->valuedouble;
	return *v >= lo && *v <= hi;
}

/* Like get_num, but an absent field reads as dflt. */
static bool opt_num(const cJSON *o, const char *name, double lo, double hi, double dflt,
		    double *v)
{
	if (!cJSON_GetObjectItemCaseSensitive(o, name)) {
		*v = dflt;
		return true;
	}
	return get_num(o, name, lo, hi, v);
}

static bool opt_count(const cJSON *o, const char *name, uint64_t *v)
{
	double d;

	if (!opt_num(o, name, 0, COUNT_MAX, 0, &d))
		return false;
	*v = (uint64_t)d;
	return true;
}

static int parse_service(const cJSON *o, struct svc_id *id, const char **why)
{
	const cJSON *svc = cJSON_GetObjectItemCaseSensitive(o, "service"), *it;
	double port;

	if (!cJSON_IsObject(svc)) {
		*why = "service: missing or not an object";
		return -EINVAL;
	}
	it = cJSON_GetObjectItemCaseSensitive(svc, "role");
	if (!cJSON_IsString(it) || svc_role_parse(it->valuestring, &id->role)) {
		*why = "service.role: missing or not \"server\"/\"client\"";
		return -EINVAL;
	}
	if (!get_num(svc, "port", 0, 65535, &port) || port != floor(port)) {
		*why = "service.port: missing or not an integer in 0..65535";
		return -EINVAL;
	}
	id->port = (uint16_t)port;
	memset(id->comm, 0, sizeof(id->comm));
	it = cJSON_GetObjectItemCaseSensitive(svc, "comm");
	if (it && !cJSON_IsString(it)) {
		*why = "service.comm: not a string";
		return -EINVAL;
	}
	if (it)
		strncpy(id->comm, it->valuestring, sizeof(id->comm) - 1);
	return 0;
}

static int parse_latency(const cJSON *o, struct svc_sample *s, const char **why)
{
	const cJSON *lat = cJSON_GetObjectItemCaseSensitive(o, "latency_us");

	s->has_latency = false;
	if (!lat)
		return 0;
	if (!cJSON_IsObject(lat) || !get_num(lat, "mean", 0, 1e12, &s->lat_mean_us) ||
	    !get_num(lat, "p50", 0, 1e12, &s->lat_p50_us) ||
	    !get_num(lat, "p90", 0, 1e12, &s->lat_p90_us) ||
	    !get_num(lat, "p99", 0, 1e12, &s->lat_p99_us) ||
	    !opt_num(lat, "max", 0, 1e12, s->lat_p99_us, &s->lat_max_us)) {
		*why = "latency_us: not an object of non-negative mean, p50, p90, p99";
		return -EINVAL;
	}
	s->has_latency = true;
	return 0;
}

static int parse_connections(const cJSON *o, struct svc_sample *s, const char **why)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "connections");

	if (!cJSON_IsObject(c) || !cJSON_GetObjectItemCaseSensitive(c, "active") ||
	    !opt_count(c, "active", &s->active) || !opt_count(c, "opened", &s->opened) ||
	    !opt_count(c, "closed", &s->closed) || !opt_count(c, "failed", &s->failed) ||
	    !opt_count(c, "resets", &s->resets) || !opt_count(c, "retransmits", &s->retransmits)) {
		*why = "connections: missing, or a count that is not a non-negative number";
		return -EINVAL;
	}
	return 0;
}

static int parse_metrics(const cJSON *o, double ts, struct svc_sample *s, const char **why)
{
	double req;

	memset(s, 0, sizeof(*s));
	s->ts = ts;
	if (parse_service(o, &s->id, why))
		return -EINVAL;
	if (!opt_num(o, "interval_s", 0, 1e7, 0, &s->interval_s) ||
	    !opt_num(o, "requests", 0, COUNT_MAX, 0, &req)) {
		*why = "interval_s or requests: not a non-negative number";
		return -EINVAL;
	}
	s->requests = (uint64_t)req;
	if (!opt_num(o, "rps", 0, 1e12, s->interval_s > 0 ? req / s->interval_s : NAN, &s->rps) ||
	    !isfinite(s->rps)) {
		*why = "rps: missing (and no requests/interval_s) or not a non-negative number";
		return -EINVAL;
	}
	if (parse_latency(o, s, why) || parse_connections(o, s, why))
		return -EINVAL;
	return REPLAY_METRICS;
}

static int parse_host(const cJSON *o, double ts, struct host_sample *h, const char **why)
{
	memset(h, 0, sizeof(*h));
	h->ts = ts;
	if (!get_num(o, "cpu_pct", 0, 100, &h->cpu_pct) ||
	    !get_num(o, "mem_pct", 0, 100, &h->mem_pct)) {
		*why = "cpu_pct or mem_pct: missing or not a number in 0..100";
		return -EINVAL;
	}
	if (!opt_num(o, "load1", 0, 1e6, 0, &h->load1) ||
	    !opt_num(o, "interval_s", 0, 1e7, 0, &h->interval_s)) {
		*why = "load1 or interval_s: not a non-negative number";
		return -EINVAL;
	}
	return REPLAY_HOST;
}

static int parse_object(const cJSON *o, struct replay_rec *rec, const char **why)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(o, "host");
	bool metrics, hostline;
	double t;

	if (!cJSON_IsString(type)) {
		*why = "type: missing or not a string";
		return -EINVAL;
	}
	metrics = !strcmp(type->valuestring, "metrics");
	hostline = !strcmp(type->valuestring, "host");
	/* alert, agent and any later kind of line are not input. */
	if (!metrics && !hostline)
		return REPLAY_SKIP;
	if (!cJSON_IsString(ts) || emit__parse_iso8601(ts->valuestring, &t) || !isfinite(t)) {
		*why = "ts: missing or not an ISO 8601 UTC time";
		return -EINVAL;
	}
	if (host && !cJSON_IsString(host)) {
		*why = "host: not a string";
		return -EINVAL;
	}
	snprintf(rec->host, sizeof(rec->host), "%s", host ? host->valuestring : "");
	if (metrics)
		return parse_metrics(o, t, &rec->svc, why);
	return parse_host(o, t, &rec->h, why);
}

int replay__parse_line(const char *line, struct replay_rec *rec, const char **why)
{
	cJSON *o;
	int ret;

	o = cJSON_ParseWithOpts(line, NULL, true);
	if (!o) {
		*why = "not valid JSON";
		return -EINVAL;
	}
	if (!cJSON_IsObject(o)) {
		*why = "not a JSON object";
		ret = -EINVAL;
	} else {
		ret = parse_object(o, rec, why);
	}
	cJSON_Delete(o);
	return ret;
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

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: telltale replay [--strict] FILE|-\n"
		   "  Runs the agent's JSON lines through the anomaly core and prints the alerts.\n"
		   "  --strict  exit 2 at the first malformed line (default: skip and count)\n");
	return status;
}

int replay__main(int argc, char **argv)
{
	struct core_config cfg;
	struct replay_summary sum;
	const char *path = NULL;
	bool strict = false, opts = true;
	FILE *in;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--strict"))
			strict = true;
		else if (opts && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")))
			return usage(stdout, 0);
		else if (opts && !strcmp(argv[i], "--"))
			opts = false;
		else if (opts && argv[i][0] == '-' && argv[i][1])
			return usage(stderr, 2);
		else if (path)
			return usage(stderr, 2);
		else
			path = argv[i];
	}
	if (!path)
		return usage(stderr, 2);
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!in) {
		fprintf(stderr, "telltale replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	core__default_config(&cfg);
	ret = replay__run(in, stdout, stderr, strcmp(path, "-") ? path : "<stdin>", strict, &cfg,
			  &sum);
	if (in != stdin)
		fclose(in);
	fprintf(stderr, "telltale replay: %llu lines, %llu intervals, %llu lines out, %llu malformed\n",
		(unsigned long long)sum.lines, (unsigned long long)sum.intervals,
		(unsigned long long)sum.alerts, (unsigned long long)sum.malformed);
	if (ret < 0) {
		fprintf(stderr, "telltale replay: %s\n", strerror(-ret));
		return 1;
	}
	return ret;
}
