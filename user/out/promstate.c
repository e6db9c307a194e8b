// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The Prometheus state: per service, counters summed from the interval
 * samples since the service was first seen, and the latency histogram
 * reduced to the configured buckets; the host gauges; the firing alerts
 * (prom_alerts.c); and once per interval a snapshot of all of it for the
 * HTTP thread. Only the collection loop calls in here.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/hist.h"
#include "out/prom_alerts.h"
#include "out/prom_snap.h"

#define HOST_METRICS (METRIC_COUNT - METRIC_SVC_COUNT)

/* One service's running totals. */
struct entry {
	struct svc_id id;
	char *labels;	 /* its label text, remade when comm or a name changes */
	uint64_t *counts; /* n_buckets + 1 cumulative bucket counts */
	double created;
	uint64_t c[PF_SVC_COUNT];
	double sum_s;
	bool has_hist;
	struct core_view view;
	bool viewed;
	uint32_t last_step;
};

struct prom_state {
	struct prom_config cfg;
	uint32_t slot_of_bucket[PROM_MAX_BUCKETS]; /* last kernel slot each bucket holds */
	char le[PROM_MAX_BUCKETS][PROM_LE_LEN];
	uint32_t stale_intervals;
	uint32_t step;
	double start_ts;
	struct entry **entries; /* in order of first sight */
	size_t n_entries, cap_entries;
	uint32_t *index; /* open addressing: entry index + 1, 0 = empty */
	uint32_t mask;
	struct prom_alerts alerts;
	struct prom_point *points; /* the next snapshot's; labels in pool */
	size_t n_points, cap_points;
	char *pool;
	size_t pool_len, pool_cap;
	bool has_host;
	struct host_sample host;
	float host_scores[HOST_METRICS];
	bool host_scored;
	uint64_t exposed, dropped; /* series of the last snapshot, and left out */
	uint64_t overflow;	   /* dropped, summed over snapshots */
};

/* Whether a service's labels differ from the entry's: comm and the names
 * change or arrive after the service was first seen, and its series follow
 * them. Compared as strings, since the bytes past a name's end may not
 * match. */
static bool labels_changed(const struct svc_id *a, const struct svc_id *b)
{
	const struct svc_names *x = &a->names, *y = &b->names;

	return strncmp(a->comm, b->comm, TT_COMM_LEN) || strcmp(x->cgroup, y->cgroup) ||
	       strcmp(x->container, y->container) || strcmp(x->runtime, y->runtime) ||
	       strcmp(x->pod_uid, y->pod_uid) || strcmp(x->unit, y->unit);
}

struct prom_state *prom__new(const struct prom_config *cfg, uint32_t stale_intervals,
			     double start_ts)
{
	struct prom_state *st;
	char text[24];
	uint32_t i, slot;
	uint64_t ns;

	if (!cfg->n_buckets || cfg->n_buckets > PROM_MAX_BUCKETS || !cfg->max_series) {
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->cfg = *cfg;
	st->stale_intervals = stale_intervals ? stale_intervals : 1;
	st->start_ts = start_ts;
	for (i = 0; i < cfg->n_buckets; i++) {
		ns = prom__bucket_ns(cfg->buckets[i]);
		/* The bound is a slot's upper edge: the bucket ends with it. */
		for (slot = 0; slot + 1 < TT_HIST_SLOTS && hist__slot_hi(slot) < ns; slot++)
			;
		st->slot_of_bucket[i] = slot;
		prom__ns_text(ns, text, sizeof(text));
		snprintf(st->le[i], PROM_LE_LEN, "le=\"%s\"", text);
	}
	return st;
}

void prom__free(struct prom_state *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n_entries; i++) {
		free(st->entries[i]->labels);
		free(st->entries[i]->counts);
		free(st->entries[i]);
	}
	prom_alerts__free(&st->alerts);
	free(st->entries);
	free(st->index);
	free(st->points);
	free(st->pool);
	free(st);
}

/* ---- the service table ---- */

static uint32_t *find(const struct prom_state *st, const struct svc_id *id)
{
	uint32_t i;

	if (!st->index)
		return NULL;
	for (i = svc_id__hash(id) & st->mask; st->index[i]; i = (i + 1) & st->mask)
		if (svc_id__same(&st->entries[st->index[i] - 1]->id, id))
			break;
	return &st->index[i];
}

/* Rebuilds the index for the entries, at most half full. */
static int reindex(struct prom_state *st, size_t want)
{
	uint32_t cap = 16, *idx, i, h;
	size_t e;

	while (cap < 2 * want)
		cap <<= 1;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	free(st->index);
	st->index = idx;
	st->mask = cap - 1;
	for (e = 0; e < st->n_entries; e++) {
		h = svc_id__hash(&st->entries[e]->id) & st->mask;
		for (i = h; idx[i]; i = (i + 1) & st->mask)
			;
		idx[i] = (uint32_t)e + 1;
	}
	return 0;
}

/* Makes e's labels those of id, and id its identity; on failure e is left
 * as it was. */
static int make_labels(struct entry *e, const struct svc_id *id)
{
	struct label l[LABELS_MAX];
	size_t n = labels__service(id, l), len = labels__format(l, n, NULL, 0);
	char *p = malloc(len + 1);

	if (!p)
		return -ENOMEM;
	labels__format(l, n, p, len + 1);
	free(e->labels);
	e->labels = p;
	e->id = *id;
	return 0;
}

static struct entry *entry_for(struct prom_state *st, const struct svc_id *id, double ts)
{
	uint32_t *slot = find(st, id);
	struct entry *e, **grown;

	if (slot && *slot)
		return st->entries[*slot - 1];
	if (st->n_entries == st->cap_entries) {
		size_t cap = st->cap_entries ? 2 * st->cap_entries : 64;

		grown = realloc(st->entries, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		st->entries = grown;
		st->cap_entries = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->counts = calloc(st->cfg.n_buckets + 1, sizeof(*e->counts)))) {
		free(e);
		return NULL;
	}
	e->created = ts;
	if (make_labels(e, id)) {
		free(e->counts);
		free(e);
		return NULL;
	}
	st->entries[st->n_entries++] = e;
	if (!slot || 2 * st->n_entries > st->mask + 1) {
		if (reindex(st, st->n_entries)) {
			st->n_entries--;
			free(e->labels);
			free(e->counts);
			free(e);
			return NULL;
		}
	} else {
		*slot = (uint32_t)st->n_entries;
	}
	return e;
}

/* Adds the interval's histogram to the cumulative buckets. */
static void add_hist(const struct prom_state *st, struct entry *e, const uint64_t *hist)
{
	uint64_t run = 0;
	uint32_t b = 0, i;

	for (i = 0; i < TT_HIST_SLOTS; i++) {
		while (b < st->cfg.n_buckets && i > st->slot_of_bucket[b])
			e->counts[b++] += run;
		run += hist[i];
	}
	for (; b <= st->cfg.n_buckets; b++)
		e->counts[b] += run;
}

int prom__service(struct prom_state *st, const struct svc_sample *s, const struct core_view *v)
{
	struct entry *e = entry_for(st, &s->id, s->ts);

	if (!e)
		return -ENOMEM;
	/* The key (svc_id__same) found the entry; the labels may have moved. */
	if (labels_changed(&e->id, &s->id) && make_labels(e, &s->id))
		return -ENOMEM;
	e->last_step = st->step;
	e->c[PF_REQUESTS] += s->requests;
	e->c[PF_CONN_ACTIVE] = s->active;
	e->c[PF_CONN_OPENED] += s->opened;
	e->c[PF_CONN_CLOSED] += s->closed;
	e->c[PF_CONN_FAILED] += s->failed;
	e->c[PF_RESETS] += s->resets;
	e->c[PF_RETRANS] += s->retransmits;
	if (s->hist) {
		e->has_hist = true;
		add_hist(st, e, s->hist);
	}
	if (s->has_latency && isfinite(s->lat_mean_us))
		e->sum_s += s->lat_mean_us * (double)s->requests / 1e6;
	if (v) {
		e->view = *v;
		e->viewed = true;
	}
	return 0;
}

void prom__host(struct prom_state *st, const struct host_sample *h, const float *scores)
{
	st->host = *h;
	st->has_host = true;
	st->host_scored = scores != NULL;
	if (scores)
		memcpy(st->host_scores, scores, sizeof(st->host_scores));
}

static void drop_entry(struct prom_state *st, size_t i)
{
	free(st->entries[i]->labels);
	free(st->entries[i]->counts);
	free(st->entries[i]);
	memmove(st->entries + i, st->entries + i + 1, (st->n_entries - i - 1) * sizeof(*st->entries));
	st->n_entries--;
}

void prom__forget(struct prom_state *st, const struct svc_id *id)
{
	uint32_t *slot = find(st, id);

	if (!slot || !*slot)
		return;
	drop_entry(st, *slot - 1);
	/* A failed reindex leaves the old index, which may point past the
	 * end: clear it so the next lookup rebuilds. */
	if (reindex(st, st->n_entries)) {
		free(st->index);
		st->index = NULL;
	}
}

/* Services that stopped reporting lose their series. */
static void expire(struct prom_state *st)
{
	size_t i, n = st->n_entries;

	for (i = st->n_entries; i-- > 0;)
		if (st->step - st->entries[i]->last_step > st->stale_intervals)
			drop_entry(st, i);
	if (st->n_entries != n && reindex(st, st->n_entries)) {
		free(st->index);
		st->index = NULL;
	}
}

int prom__alert_line(struct prom_state *st, const cJSON *line)
{
	return prom_alerts__line(&st->alerts, line);
}

/* ---- points and the snapshot ---- */

/* Copies text into the pool; returns its offset, or UINT32_MAX on failure. */
static uint32_t pool_add(char **pool, size_t *len, size_t *cap, const char *text, size_t n)
{
	size_t c = *cap ? *cap : 4096;
	char *p;

	if (*len + n + 1 > UINT32_MAX)
		return UINT32_MAX;
	while (c < *len + n + 1)
		c *= 2;
	if (c != *cap) {
		p = realloc(*pool, c);
		if (!p)
			return UINT32_MAX;
		*pool = p;
		*cap = c;
	}
	memcpy(*pool + *len, text, n);
	(*pool)[*len + n] = '\0';
	*len += n + 1;
	return (uint32_t)(*len - n - 1);
}

static int add_point(struct prom_state *st, enum prom_family f, const char *labels, double v)
{
	uint32_t off;

	if (st->n_points == st->cap_points) {
		size_t cap = st->cap_points ? 2 * st->cap_points : 64;
		struct prom_point *g = realloc(st->points, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		st->points = g;
		st->cap_points = cap;
	}
	off = pool_add(&st->pool, &st->pool_len, &st->pool_cap, labels, strlen(labels));
	if (off == UINT32_MAX)
		return -ENOMEM;
	st->points[st->n_points++] = (struct prom_point){ .family = f, .labels = off, .value = v };
	return 0;
}

int prom__point(struct prom_state *st, enum prom_family f, const struct label *l, size_t n,
		double v)
{
	char text[LABELS_MAX * (LABEL_VALUE_MAX + 40)];

	if (f <= PF_EXPECTED || f >= PF_COUNT)
		return -EINVAL;
	labels__format(l, n, text, sizeof(text));
	return add_point(st, f, text, v);
}

/* The host's points: gauges and the host detectors' scores. */
static int host_points(struct prom_state *st)
{
	char labels[64];
	int err = 0;
	unsigned i;

	if (!st->has_host)
		return 0;
	err |= add_point(st, PF_HOST_CPU, "", st->host.cpu_pct / 100);
	err |= add_point(st, PF_HOST_MEM, "", st->host.mem_pct / 100);
	err |= add_point(st, PF_HOST_LOAD, "", st->host.load1);
	for (i = 0; st->host_scored && i < HOST_METRICS; i++) {
		snprintf(labels, sizeof(labels), "metric=\"%s\"", metric__name(METRIC_SVC_COUNT + i));
		err |= add_point(st, PF_SCORE, labels, st->host_scores[i]);
	}
	return err ? -ENOMEM : 0;
}

static int by_family(const void *a, const void *b)
{
	const struct prom_point *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return x->labels < y->labels ? -1 : x->labels > y->labels;
}

static uint64_t series_of(const struct prom_state *st, const struct entry *e)
{
	return (PF_SVC_COUNT - 1) + (e->has_hist ? st->cfg.n_buckets + 3 : 0) +
	       (e->viewed && e->view.ready ? MODEL_OUTS : 0) + (e->viewed ? METRIC_SVC_COUNT : 0);
}

static void fill(const struct prom_state *st, const struct entry *e, struct prom_svc_point *p,
		 uint64_t *counts, uint32_t at)
{
	unsigned k;

	p->created = e->created;
	memcpy(p->c, e->c, sizeof(p->c));
	p->sum_s = e->sum_s;
	p->counts = e->has_hist ? at : PROM_NO_HIST;
	if (e->has_hist)
		memcpy(counts + at, e->counts, (st->cfg.n_buckets + 1) * sizeof(*e->counts));
	p->ready = e->viewed && e->view.ready;
	p->scored = e->viewed;
	for (k = 0; k < MODEL_OUTS; k++)
		p->expected_s[k] = e->view.expected_us[k] / 1e6;
	memcpy(p->score, e->view.score, sizeof(p->score));
}

/* Copies the services into the snapshot, as many as max_series leaves room
 * for: the first seen stay, newcomers wait. Their labels go to the pool. */
static int add_services(struct prom_state *st, struct prom_snap *s, uint64_t *series)
{
	size_t i, nb = st->cfg.n_buckets + 1, n = st->n_entries ? st->n_entries : 1;
	uint64_t k;

	st->dropped = 0;
	s->svcs = calloc(n, sizeof(*s->svcs));
	s->counts = calloc(n * nb, sizeof(*s->counts));
	if (!s->svcs || !s->counts)
		return -ENOMEM;
	for (i = 0; i < st->n_entries; i++) {
		const struct entry *e = st->entries[i];
		struct prom_svc_point *p = &s->svcs[s->n_svcs];

		k = series_of(st, e);
		if (*series + k > st->cfg.max_series) {
			st->dropped += k;
			continue;
		}
		*series += k;
		p->labels = pool_add(&st->pool, &st->pool_len, &st->pool_cap, e->labels,
				     strlen(e->labels));
		if (p->labels == UINT32_MAX)
			return -ENOMEM;
		fill(st, e, p, s->counts, (uint32_t)(s->n_svcs * nb));
		s->n_svcs++;
	}
	return 0;
}

/* Points the exporter adds itself after the services: these five and one
 * per firing alert. */
#define OWN_POINTS 5

static int own_points(struct prom_state *st, double ts, double interval_s, uint64_t series)
{
	int err = 0;
	size_t i;

	for (i = 0; i < st->alerts.n; i++)
		err |= add_point(st, PF_ALERT_FIRING, st->alerts.v[i].labels, 1);
	err |= add_point(st, PF_INTERVAL, "", interval_s);
	err |= add_point(st, PF_LAST_TS, "", ts);
	err |= add_point(st, PF_EXP_SERIES, "", (double)series);
	err |= add_point(st, PF_EXP_DROPPED, "", (double)st->dropped);
	err |= add_point(st, PF_EXP_OVERFLOW, "", (double)st->overflow);
	return err ? -ENOMEM : 0;
}

/* Empties the points and the pool for the next interval. */
static void reset_points(struct prom_state *st)
{
	st->n_points = 0;
	st->pool_len = 0;
}

struct prom_snap *prom__snapshot(struct prom_state *st, double ts, double interval_s)
{
	struct prom_snap *s = calloc(1, sizeof(*s));
	uint64_t series;
	uint32_t i;
	int err;

	if (!s)
		goto oom;
	atomic_init(&s->refs, 1);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->rendered, NULL);
	s->ts = ts;
	s->start_ts = st->start_ts;
	s->n_buckets = st->cfg.n_buckets;
	memcpy(s->le, st->le, sizeof(s->le));
	for (i = 0; i < s->n_buckets; i++)
		s->le_len[i] = (uint8_t)strlen(s->le[i]);
	expire(st);
	st->step++;
	err = host_points(st);
	series = st->n_points + st->alerts.n + OWN_POINTS;
	if (!err)
		err = add_services(st, s, &series);
	st->overflow += st->dropped;
	st->exposed = series;
	if (!err)
		err = own_points(st, ts, interval_s, series);
	if (err)
		goto oom;
	/* The snapshot takes the points and the pool; the next interval starts
	 * new ones. */
	s->points = st->points;
	s->n_points = st->n_points;
	s->pool = st->pool;
	s->pool_len = st->pool_len;
	st->points = NULL;
	st->pool = NULL;
	st->cap_points = st->pool_cap = 0;
	reset_points(st);
	qsort(s->points, s->n_points, sizeof(*s->points), by_family);
	return s;
oom:
	reset_points(st);
	prom__unref(s);
	errno = ENOMEM;
	return NULL;
}

void prom__series(const struct prom_state *st, uint64_t *exposed, uint64_t *dropped)
{
	*exposed = st->exposed;
	*dropped = st->dropped;
}
