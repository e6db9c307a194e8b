// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/collect.h"
#include "agent/hist.h"
#include "agent/workload.h"

_Static_assert(sizeof(struct tt_svc_key) == 16, "tt_svc_key is ABI");
_Static_assert(sizeof(struct tt_sock) == 32, "tt_sock is ABI");
_Static_assert(sizeof(struct tt_svc_stats) % 8 == 0, "per-CPU values are 8-byte aligned");
_Static_assert((TT_HIST_SLOTS & TT_HIST_MASK) == 0, "TT_HIST_SLOTS is a power of two");
_Static_assert(sizeof(struct tt_svc_stats) == 9 * 8 + TT_COMM_LEN + TT_HIST_SLOTS * 8,
	       "tt_svc_stats has no hidden padding");

/* What the collector knows of one kernel slot: its owner, the last
 * cumulative reading, and the owner's names and idleness. */
struct slot_state {
	struct tt_svc_key key;
	bool used;
	bool named;	  /* names final: resolved, or known to be unresolvable */
	bool held;	  /* held back once, waiting for names */
	bool retired;	  /* listed as retired; activity brings it back as new */
	double carry_s;	  /* interval time held back, s */
	double active_ts; /* end of the last interval it was active in */
	struct svc_id id;
	struct tt_svc_stats stats;
};

struct collector {
	int svcs_fd;
	int owner_fd;
	int ncpus;
	struct slot_state *slots;    /* max_services of them, by slot */
	struct tt_svc_stats *percpu; /* one lookup's values, ncpus of them */
	struct svc_sample *samples;  /* max_services of them */
	uint64_t (*hists)[TT_HIST_SLOTS]; /* each sample's interval histogram */
	struct svc_id *retired;	     /* max_services of them */
	size_t count, nretired;
	uint32_t max_services;
	struct workload *wl;
	double idle_s;
	collect_retire_fn retire_fn;
	void *retire_ctx;
	double ts, interval_s; /* the interval being read */
};

struct collector *collect__new(int svcs_fd, int owner_fd, uint32_t max_services)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->svcs_fd = svcs_fd;
	c->owner_fd = owner_fd;
	c->ncpus = libbpf_num_possible_cpus();
	c->max_services = max_services;
	if (c->ncpus <= 0) {
		errno = c->ncpus ? -c->ncpus : EINVAL;
		free(c);
		return NULL;
	}
	c->slots = calloc(max_services, sizeof(*c->slots));
	c->percpu = calloc(c->ncpus, sizeof(*c->percpu));
	c->samples = calloc(max_services, sizeof(*c->samples));
	/* Large and zeroed: pages are backed only as services become active. */
	c->hists = calloc(max_services, sizeof(*c->hists));
	c->retired = calloc(max_services, sizeof(*c->retired));
	if (!c->slots || !c->percpu || !c->samples || !c->hists || !c->retired) {
		collect__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void collect__free(struct collector *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->percpu);
	free(c->samples);
	free(c->hists);
	free(c->retired);
	free(c);
}

void collect__set_workload(struct collector *c, struct workload *w)
{
	c->wl = w;
}

void collect__set_idle(struct collector *c, double idle_s, collect_retire_fn fn, void *ctx)
{
	c->idle_s = idle_s;
	c->retire_fn = fn;
	c->retire_ctx = ctx;
}

void collect__forget_slot(struct collector *c, uint32_t slot)
{
	if (slot < c->max_services)
		c->slots[slot].used = false;
}

void collect__key_id(const struct tt_svc_key *key, struct svc_id *id)
{
	memset(id, 0, sizeof(*id));
	id->port = key->port;
	id->role = key->role;
	id->netns = key->netns;
	id->cgroup = key->cgroup;
	if (key->flags & TT_SVC_F_OTHER)
		id->flags |= SVC_F_OTHER;
}

/* The same owner: the same kernel key and identity. */
static bool same_owner(const struct slot_state *p, const struct tt_svc_key *key,
		       const struct svc_id *id)
{
	return !memcmp(&p->key, key, sizeof(*key)) && svc_id__same(&p->id, id);
}

/* Sums the per-CPU values into *sum; max and comm are taken across CPUs. */
static void sum_cpus(const struct tt_svc_stats *percpu, int ncpus, struct tt_svc_stats *sum)
{
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct tt_svc_stats *v = &percpu[cpu];

		sum->requests += v->requests;
		sum->lat_sum_ns += v->lat_sum_ns;
		if (v->lat_max_ns > sum->lat_max_ns)
			sum->lat_max_ns = v->lat_max_ns;
		sum->opened += v->opened;
		sum->closed += v->closed;
		sum->adopted += v->adopted;
		sum->failed += v->failed;
		sum->resets += v->resets;
		sum->retransmits += v->retransmits;
		if (v->comm[0] && !sum->comm[0])
			memcpy(sum->comm, v->comm, sizeof(sum->comm));
		for (i = 0; i < TT_HIST_SLOTS; i++)
			sum->hist[i] += v->hist[i];
	}
}

static double clamp(double v, double hi)
{
	return v > hi ? hi : v;
}

void collect__delta(const struct tt_svc_stats *prev, const struct tt_svc_stats *cur,
		    double interval_s, struct svc_sample *s)
{
	uint64_t hist[TT_HIST_SLOTS];
	uint64_t in_flight;
	double max_ns;
	int i;

	s->requests = cur->requests - prev->requests;
	s->rps = interval_s > 0 ? (double)s->requests / interval_s : 0;
	s->interval_s = interval_s;
	s->opened = cur->opened - prev->opened;
	s->closed = cur->closed - prev->closed;
	s->failed = cur->failed - prev->failed;
	s->resets = cur->resets - prev->resets;
	s->retransmits = cur->retransmits - prev->retransmits;
	in_flight = cur->opened + cur->adopted;
	s->active = in_flight > cur->closed ? in_flight - cur->closed : 0;
	s->has_latency = s->requests > 0;
	if (!s->has_latency)
		return;
	for (i = 0; i < TT_HIST_SLOTS; i++)
		hist[i] = cur->hist[i] - prev->hist[i];
	/* A new all-time maximum happened in this interval and is exact;
	 * otherwise the top slot's bound and the all-time maximum both bound
	 * the interval's maximum from above. */
	if (cur->lat_max_ns > prev->lat_max_ns)
		max_ns = (double)cur->lat_max_ns;
	else
		max_ns = clamp(hist__max(hist), (double)cur->lat_max_ns);
	s->lat_max_us = max_ns / 1e3;
	s->lat_mean_us = (double)(cur->lat_sum_ns - prev->lat_sum_ns) / (double)s->requests / 1e3;
	s->lat_p50_us = clamp(hist__quantile(hist, 0.50), max_ns) / 1e3;
	s->lat_p90_us = clamp(hist__quantile(hist, 0.90), max_ns) / 1e3;
	s->lat_p99_us = clamp(hist__quantile(hist, 0.99), max_ns) / 1e3;
}

static void hist_delta(const struct tt_svc_stats *prev, const struct tt_svc_stats *cur,
		       uint64_t *out)
{
	int i;

	for (i = 0; i < TT_HIST_SLOTS; i++)
		out[i] = cur->hist[i] - prev->hist[i];
}

static bool is_active(const struct svc_sample *s)
{
	return s->requests || s->opened || s->closed || s->failed || s->resets ||
	       s->retransmits || s->active;
}

static int by_service(const void *a, const void *b)
{
	return svc_id__cmp(&((const struct svc_sample *)a)->id,
			   &((const struct svc_sample *)b)->id);
}

/* A cumulative counter below the last reading: the slot started over. */
static bool went_back(const struct tt_svc_stats *prev, const struct tt_svc_stats *cur)
{
	return cur->requests < prev->requests || cur->opened < prev->opened ||
	       cur->closed < prev->closed || cur->adopted < prev->adopted ||
	       cur->failed < prev->failed || cur->resets < prev->resets ||
	       cur->retransmits < prev->retransmits || cur->lat_sum_ns < prev->lat_sum_ns;
}

/* A slot seen for the first time, or given to a new owner. */
static void slot_init(struct collector *c, struct slot_state *p, const struct tt_svc_key *key,
		      const struct svc_id *id)
{
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->key = *key;
	p->active_ts = c->ts;
	p->id = *id;
	p->id.comm[0] = '\0';
	memset(&p->id.names, 0, sizeof(p->id.names));
}

/* Asks for the slot's names until they are final. Returns true when the
 * sample should wait one interval for them. */
static bool name_slot(struct collector *c, struct slot_state *p)
{
	int err;

	if (p->named)
		return false;
	err = c->wl ? workload__fill(c->wl, &p->id) : 0;
	p->named = err != -EAGAIN;
	if (p->named || p->held)
		return false;
	p->held = true;
	return true;
}

static void retire(struct collector *c, uint32_t slot, struct slot_state *p)
{
	p->retired = true;
	c->retired[c->nretired++] = p->id;
	if (c->retire_fn && !c->retire_fn(slot, &p->key, c->retire_ctx))
		p->used = false;
}

void collect__begin(struct collector *c, double ts, double interval_s)
{
	c->ts = ts;
	c->interval_s = interval_s;
	c->count = 0;
	c->nretired = 0;
}

int collect__slot(struct collector *c, uint32_t slot, const struct tt_svc_key *key,
		  const struct svc_id *id, const struct tt_svc_stats *cur)
{
	struct slot_state *p;
	struct svc_sample *s;

	if (slot >= c->max_services)
		return -EINVAL;
	p = &c->slots[slot];
	if (!p->used || !same_owner(p, key, id))
		slot_init(c, p, key, id);
	else if (went_back(&p->stats, cur))
		memset(&p->stats, 0, sizeof(p->stats));
	if (name_slot(c, p)) {
		p->carry_s += c->interval_s;
		return 0;
	}
	s = &c->samples[c->count];
	memset(s, 0, sizeof(*s));
	collect__delta(&p->stats, cur, c->interval_s + p->carry_s, s);
	hist_delta(&p->stats, cur, c->hists[c->count]);
	s->hist = c->hists[c->count];
	p->carry_s = 0;
	p->stats = *cur;
	s->ts = c->ts;
	s->id = p->id;
	memcpy(s->id.comm, cur->comm, sizeof(s->id.comm));
	s->id.comm[TT_COMM_LEN - 1] = '\0';
	if (is_active(s)) {
		p->active_ts = c->ts;
		p->retired = false;
		c->count++;
	} else if (c->idle_s > 0 && !p->retired && c->ts - p->active_ts >= c->idle_s) {
		retire(c, slot, p);
	}
	return 0;
}

void collect__end(struct collector *c, const struct svc_sample **out, size_t *n)
{
	/* Map order is the kernel's hash order: sort for stable output. */
	qsort(c->samples, c->count, sizeof(*c->samples), by_service);
	*out = c->samples;
	*n = c->count;
}

void collect__retired(const struct collector *c, const struct svc_id **ids, size_t *n)
{
	*ids = c->retired;
	*n = c->nretired;
}

int collect__read(struct collector *c, double ts, double interval_s,
		  const struct svc_sample **out, size_t *n)
{
	__u32 slot, next, *cursor = NULL;
	struct tt_svc_stats cur;
	struct tt_svc_key key;
	struct svc_id id;
	int err;

	collect__begin(c, ts, interval_s);
	while (!(err = bpf_map_get_next_key(c->owner_fd, cursor, &next))) {
		slot = next;
		cursor = &slot;
		if (bpf_map_lookup_elem(c->owner_fd, &slot, &key) ||
		    bpf_map_lookup_elem(c->svcs_fd, &slot, c->percpu))
			continue;
		sum_cpus(c->percpu, c->ncpus, &cur);
		collect__key_id(&key, &id);
		collect__slot(c, slot, &key, &id, &cur);
	}
	if (err != -ENOENT)
		return err;
	collect__end(c, out, n);
	return 0;
}
