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

#include "lib/line.h"
#include "out/emit.h"
#include "cli/jdoc.h"
#include "cli/offline.h"
#include "cli/replay.h"

#define MAX_PENDING 65536
#define COUNT_MAX 1e15 /* counters above this are not real, and overflow nothing */
#define SEEN_SLOTS (2u * MAX_PENDING) /* a power of two */

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

/* An optional boolean that is only ever written as true. */
static int opt_true(const struct jdoc *d, int f, bool *v)
{
	*v = d->kind[f] == J_TRUE;
	return d->kind[f] == J_NONE || d->kind[f] == J_TRUE || d->kind[f] == J_FALSE ? 0 : -EINVAL;
}

/* snprintf(dst, size, "%s", src), size > 0, without printf's machinery: one
 * a line was 4 % of replay's instructions. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* A name of the service; one too long for its field is left unknown, as
 * the agent leaves it. */
static int opt_name(const struct jdoc *d, int f, const char *src, char *dst, size_t size)
{
	if (d->kind[f] == J_NONE || d->kind[f] == J_LONG)
		return 0;
	if (d->kind[f] != J_STR)
		return -EINVAL;
	copy_str(dst, size, src);
	return 0;
}

/* The identity fields of schema 1.1, each optional: lines without them
 * (1.0) are services of unknown netns and cgroup. */
static int parse_identity(const struct jdoc *d, struct svc_id *id, const char **why)
{
	const struct svc_names *n = &d->names;
	bool other = false;
	double v;

	if (!opt_num(d, F_NETNS, 0, 4294967295.0, 0, &v) || v != floor(v)) {
		*why = "service.netns: not an integer in 0..4294967295";
		return -EINVAL;
	}
	id->netns = (uint32_t)v;
	if (!opt_num(d, F_CGROUP_ID, 0, 9007199254740992.0, 0, &v) || v != floor(v)) {
		*why = "service.cgroup_id: not a non-negative integer";
		return -EINVAL;
	}
	id->cgroup = (uint64_t)v;
	if (opt_true(d, F_HOST_NETNS, &id->host_netns) || opt_true(d, F_OTHER, &other)) {
		*why = "service.host_netns or service.other: not a boolean";
		return -EINVAL;
	}
	id->flags = other ? SVC_F_OTHER : 0;
	if (d->kind[F_CONTAINER] != J_NONE &&
	    (d->kind[F_CONTAINER] != J_OBJ || d->kind[F_CT_ID] == J_NONE)) {
		*why = "service.container: not an object with an id";
		return -EINVAL;
	}
	if (opt_name(d, F_CGROUP, n->cgroup, id->names.cgroup, sizeof(n->cgroup)) ||
	    opt_name(d, F_CT_ID, n->container, id->names.container, sizeof(n->container)) ||
	    opt_name(d, F_CT_RUNTIME, n->runtime, id->names.runtime, sizeof(n->runtime)) ||
	    opt_name(d, F_POD, n->pod_uid, id->names.pod_uid, sizeof(n->pod_uid)) ||
	    opt_name(d, F_UNIT, n->unit, id->names.unit, sizeof(n->unit))) {
		*why = "service: cgroup, container.id, container.runtime, pod_uid or unit not a string";
		return -EINVAL;
	}
	return 0;
}

static int parse_service(const struct jdoc *d, struct svc_id *id, const char **why)
{
	double port;

	memset(id, 0, sizeof(*id));
	if (d->kind[F_SVC] != J_OBJ) {
		*why = "service: missing or not an object";
		return -EINVAL;
	}
	if (d->kind[F_ROLE] != J_STR || svc_role_parse(d->role, &id->role)) {
		*why = "service.role: missing or not \"server\"/\"client\"";
		return -EINVAL;
	}
	if (!get_num(d, F_PORT, 0, 65535, &port) || port != floor(port)) {
		*why = "service.port: missing or not an integer in 0..65535";
		return -EINVAL;
	}
	id->port = (uint16_t)port;
	if (d->kind[F_COMM] != J_NONE && d->kind[F_COMM] != J_STR) {
		*why = "service.comm: not a string";
		return -EINVAL;
	}
	if (d->kind[F_COMM] == J_STR)
		memcpy(id->comm, d->comm, strnlen(d->comm, sizeof(id->comm) - 1));
	return parse_identity(d, id, why);
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
	static __thread char last[64];
	static __thread double last_t;
	int err;

	if (last[0] && !strcmp(s, last)) {
		*t = last_t;
		return 0;
	}
	err = line__parse_iso8601(s, t);
	if (!err && isfinite(*t)) {
		copy_str(last, sizeof(last), s);
		last_t = *t;
	}
	return err;
}

/* A line of this schema's major version, or of none (lines written by hand):
 * a later major version may mean its fields otherwise. */
static bool schema_readable(const struct jdoc *d)
{
	static __thread unsigned long ours; /* TT_SCHEMA_VERSION's, read once */
	unsigned long major;
	char *end;

	if (d->kind[F_SCHEMA] == J_NONE)
		return true;
	if (d->kind[F_SCHEMA] != J_STR)
		return false;
	major = strtoul(d->schema, &end, 10);
	return end != d->schema && (*end == '.' || !*end) &&
	       major == (ours ? ours : (ours = strtoul(TT_SCHEMA_VERSION, NULL, 10)));
}

static int parse_doc(const struct jdoc *d, struct replay_rec *rec, const char **why)
{
	bool metrics, hostline, retired;
	double t;

	if (d->kind[F_TYPE] != J_STR) {
		*why = "type: missing or not a string";
		return -EINVAL;
	}
	metrics = !strcmp(d->type, "metrics");
	hostline = !strcmp(d->type, "host");
	retired = !strcmp(d->type, "agent") && d->kind[F_EVENT] == J_STR &&
		  !strcmp(d->event, "service_retired");
	/* alert, other agent lines and any later kind of line are not input. */
	if (!metrics && !hostline && !retired)
		return REPLAY_SKIP;
	if (!schema_readable(d)) {
		*why = "schema: not 1.x, the versions this telltale reads (a later one wrote the "
		       "line: replay it with that one)";
		return -EINVAL;
	}
	if (d->kind[F_TS] != J_STR || parse_ts(d->ts, &t) || !isfinite(t)) {
		*why = "ts: missing or not an ISO 8601 UTC time";
		return -EINVAL;
	}
	if (d->kind[F_HOST] != J_NONE && d->kind[F_HOST] != J_STR) {
		*why = "host: not a string";
		return -EINVAL;
	}
	copy_str(rec->host, sizeof(rec->host), d->kind[F_HOST] ? d->host : "");
	if (metrics)
		return parse_metrics(d, t, &rec->svc, why);
	if (retired) {
		memset(&rec->svc, 0, sizeof(rec->svc));
		rec->svc.ts = t;
		return parse_service(d, &rec->svc.id, why) ? -EINVAL : REPLAY_RETIRED;
	}
	return parse_host(d, t, &rec->h, why);
}

int replay__parse_line(const char *line, struct replay_rec *rec, const char **why)
{
	struct jdoc d;

	if (jdoc__parse(line, &d, why))
		return -EINVAL;
	return parse_doc(&d, rec, why);
}

/* ---- the replay loop ---- */

/* A slot of the set of services pending in this interval: valid when its
 * stamp is the interval's. */
struct seen_slot {
	uint32_t stamp;
	uint32_t idx; /* into pending */
};

struct replay {
	struct core *core;
	FILE *out;
	struct svc_sample *pending;
	size_t n, cap;
	struct seen_slot *seen; /* SEEN_SLOTS of them, by svc_id__hash */
	uint32_t stamp;		/* this interval's, from 1 */
	char host[REPLAY_HOST_LEN];
	struct replay_summary *sum;
};

static int print_line(const cJSON *line, void *ctx)
{
	struct replay *r = ctx;

	r->sum->alerts++;
	return emit__line(r->out, line);
}

/* The slot of id among this interval's services, or the free one for it. */
static struct seen_slot *seen_slot(struct replay *r, const struct svc_id *id)
{
	uint32_t i = svc_id__hash(id) & (SEEN_SLOTS - 1);

	/* At most MAX_PENDING of the slots are taken: the probe ends. */
	while (r->seen[i].stamp == r->stamp && !svc_id__same(&r->pending[r->seen[i].idx].id, id))
		i = (i + 1) & (SEEN_SLOTS - 1);
	return &r->seen[i];
}

static int flush(struct replay *r, const struct host_sample *h)
{
	int err;

	if (!h && !r->n)
		return 0;
	err = core__step(r->core, h, r->pending, r->n, r->host, print_line, r);
	r->n = 0;
	/* A new stamp empties the set; at the wrap, old stamps must go. */
	if (++r->stamp == 0) {
		memset(r->seen, 0, SEEN_SLOTS * sizeof(*r->seen));
		r->stamp = 1;
	}
	r->sum->intervals++;
	return err;
}

static int add_metrics(struct replay *r, const struct replay_rec *rec)
{
	struct seen_slot *slot = seen_slot(r, &rec->svc.id);
	int err;

	if (slot->stamp == r->stamp || r->n == MAX_PENDING) {
		err = flush(r, NULL);
		if (err)
			return err;
		slot = seen_slot(r, &rec->svc.id);
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
	*slot = (struct seen_slot){ .stamp = r->stamp, .idx = (uint32_t)r->n };
	r->pending[r->n++] = rec->svc;
	return 0;
}

/* The agent wrote the line after the interval's host line; pending lines
 * here mean that host line went missing. */
static int retire(struct replay *r, const struct replay_rec *rec)
{
	int err = flush(r, NULL), fe;

	fe = core__forget(r->core, &rec->svc.id, print_line, r);
	return err ? err : fe == -ENOENT ? 0 : fe;
}

/* Checks one raw line and feeds it on. Returns 0, 1 for a malformed line
 * (reported), or a negative errno. */
static int one_line(struct replay *r, char *line, size_t len, const char **why)
{
	struct replay_rec rec;
	int type;

	switch (offline__line(line, len, r->sum->lines == 1, why)) {
	case OFFLINE_LINE_BAD:
		return 1;
	case OFFLINE_LINE_BLANK:
		return 0;
	case OFFLINE_LINE_OK:
		break;
	}
	type = replay__parse_line(line, &rec, why);
	if (type < 0)
		return 1;
	if (type == REPLAY_METRICS)
		return add_metrics(r, &rec);
	if (type == REPLAY_RETIRED)
		return retire(r, &rec);
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
	r->stamp = 1;
	r->seen = calloc(SEEN_SLOTS, sizeof(*r->seen));
	if (!r->seen) {
		ret = -ENOMEM;
		goto cleanup;
	}
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
	free(r->seen);
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
