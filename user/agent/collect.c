// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/collect.h"
#include "agent/evict.h"
#include "agent/hist.h"
#include "agent/workload.h"

_Static_assert(sizeof(struct tt_svc_key) == 16, "tt_svc_key is ABI");
_Static_assert(sizeof(struct tt_sock) == 32, "tt_sock is ABI");
_Static_assert(sizeof(struct tt_svc_ref) == 8, "tt_svc_ref is ABI");
_Static_assert(sizeof(struct tt_svc_stats) % 8 == 0, "per-CPU values are 8-byte aligned");
_Static_assert((TT_HIST_SLOTS & TT_HIST_MASK) == 0, "TT_HIST_SLOTS is a power of two");
_Static_assert(sizeof(struct tt_svc_stats) == 9 * 8 + TT_COMM_LEN,
	       "tt_svc_stats has no hidden padding");
_Static_assert(sizeof(struct tt_svc_shared) == 8 + TT_HIST_SLOTS * 4,
	       "tt_svc_shared has no hidden padding");

/* What the collector knows of one kernel slot: its owner, the last
 * cumulative reading, and the owner's names and idleness. */
struct slot_state {
	struct tt_svc_key key;
	bool used;
	bool named;	  /* names final: resolved, or known to be unresolvable */
	bool held;	  /* held back once, waiting for names */
	bool retired;	  /* listed as retired; activity brings it back as new */
	bool released;	  /* retired in the kernel too: freed at the next read */
	double carry_s;	  /* interval time held back, s */
	double active_ts; /* end of the last interval it was active in */
	uint64_t evicted; /* counted connections the socket hash evicted alive */
	struct svc_id id;
	struct svc_reading stats;
};

struct collector {
	int svcs_fd;
	int shared_fd;
	int owner_fd;
	int ncpus;
	struct slot_state *slots;    /* nslots of them, by slot */
	struct tt_svc_stats *percpu; /* one lookup's values, ncpus of them */
	struct svc_sample *samples;  /* nslots of them */
	uint64_t (*hists)[TT_HIST_SLOTS]; /* each sample's interval histogram */
	struct svc_id *retired;	     /* nslots of them */
	size_t count, nretired;
	uint32_t nslots;
	struct workload *wl;
	double idle_s;
	const struct collect_slot_ops *ops;
	void *ops_ctx;
	uint32_t *to_retire, *to_release; /* slots, acted on after the walk */
	size_t nto_retire, nto_release;
	uint64_t released, late;
	struct tt_svc_shared shared; /* one slot's shared half, as read */
	struct svc_reading cur;	     /* one slot's reading */
	double ts, interval_s; /* the interval being read */
	struct evict_watch evict;
	uint16_t *gens;	 /* each slot's generation at the last read */
	uint32_t *live;	 /* each slot's live counted sockets in the hash */
	bool recounted;	 /* live was counted for this read */
};

struct collector *collect__new(int svcs_fd, int shared_fd, int owner_fd, uint32_t nslots)
{
	struct collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->svcs_fd = svcs_fd;
	c->shared_fd = shared_fd;
	c->owner_fd = owner_fd;
	c->ncpus = libbpf_num_possible_cpus();
	c->nslots = nslots;
	c->evict.socks_fd = -1;
	if (c->ncpus <= 0) {
		errno = c->ncpus ? -c->ncpus : EINVAL;
		free(c);
		return NULL;
	}
	c->slots = calloc(nslots, sizeof(*c->slots));
	c->percpu = calloc(c->ncpus, sizeof(*c->percpu));
	c->samples = calloc(nslots, sizeof(*c->samples));
	/* Large and zeroed: pages are backed only as services become active. */
	c->hists = calloc(nslots, sizeof(*c->hists));
	c->retired = calloc(nslots, sizeof(*c->retired));
	c->to_retire = calloc(nslots, sizeof(*c->to_retire));
	c->to_release = calloc(nslots, sizeof(*c->to_release));
	if (!c->slots || !c->percpu || !c->samples || !c->hists || !c->retired || !c->to_retire ||
	    !c->to_release) {
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
	free(c->to_retire);
	free(c->to_release);
	free(c->gens);
	free(c->live);
	evict__free(&c->evict);
	free(c);
}

int collect__set_socks(struct collector *c, int socks_fd, int counters_fd, uint32_t max_sockets)
{
	if (socks_fd < 0)
		return 0;
	c->gens = calloc(c->nslots, sizeof(*c->gens));
	c->live = calloc(c->nslots, sizeof(*c->live));
	if (!c->gens || !c->live)
		return -ENOMEM;
	return evict__init(&c->evict, socks_fd, counters_fd, max_sockets);
}

uint64_t collect__socks_walks(const struct collector *c)
{
	return c->evict.walks;
}

void collect__set_workload(struct collector *c, struct workload *w)
{
	c->wl = w;
}

void collect__set_idle(struct collector *c, double idle_s, const struct collect_slot_ops *ops,
		       void *ctx)
{
	c->idle_s = idle_s;
	c->ops = ops;
	c->ops_ctx = ctx;
}

void collect__slot_stats(const struct collector *c, uint64_t *released, uint64_t *late)
{
	*released = c->released;
	*late = c->late;
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
static void sum_cpus(const struct tt_svc_stats *percpu, int ncpus, struct svc_reading *sum)
{
	int cpu;

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
	}
}

static double clamp(double v, double hi)
{
	return v > hi ? hi : v;
}

void collect__delta(const struct svc_reading *prev, const struct svc_reading *cur,
		    double interval_s, struct svc_sample *s)
{
	uint64_t hist[TT_HIST_SLOTS];
	uint64_t in_flight;
	double max_ns;
	int i;

	s->requests = cur->requests - prev->requests;
	s->rps = interval_s > 0 ? (double)s->requests / interval_s : 0;
	s->interval_s = interval_s;
	s->opened = cur->opened - prev->opened + (uint32_t)(cur->untracked - prev->untracked);
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
		hist[i] = (uint32_t)(cur->hist[i] - prev->hist[i]);
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

static void hist_delta(const struct svc_reading *prev, const struct svc_reading *cur,
		       uint64_t *out)
{
	int i;

	for (i = 0; i < TT_HIST_SLOTS; i++)
		out[i] = (uint32_t)(cur->hist[i] - prev->hist[i]);
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

/* Events between two readings of one slot. */
static uint64_t events_between(const struct svc_reading *prev, const struct svc_reading *cur)
{
	return (cur->requests - prev->requests) + (cur->opened - prev->opened) +
	       (uint32_t)(cur->untracked - prev->untracked) +
	       (cur->closed - prev->closed) + (cur->adopted - prev->adopted) +
	       (cur->failed - prev->failed) + (cur->resets - prev->resets) +
	       (cur->retransmits - prev->retransmits);
}

/* A cumulative counter below the last reading: the slot started over. */
static bool went_back(const struct svc_reading *prev, const struct svc_reading *cur)
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

/* The kernel side of retiring waits for the end of the walk: changing the
 * owner map under bpf_map_get_next_key would make it revisit entries. */
static void retire(struct collector *c, uint32_t slot, struct slot_state *p)
{
	p->retired = true;
	c->retired[c->nretired++] = p->id;
	if (c->ops)
		c->to_retire[c->nto_retire++] = slot;
}

/* A slot the kernel shows retired, one read after its service retired:
 * count what reached it since, and free it after the walk. A slot this
 * collector did not retire is left alone. */
static void release(struct collector *c, uint32_t slot, struct slot_state *p,
		    const struct svc_reading *cur)
{
	if (!p->used || !p->released)
		return;
	if (!went_back(&p->stats, cur))
		c->late += events_between(&p->stats, cur);
	p->stats = *cur;
	c->to_release[c->nto_release++] = slot;
}

/* The active gauge less the slot's connections the socket hash evicted
 * alive (agent/evict.h): the gauge's excess over the live counted sockets
 * a walk found, recounted at every walk. Those that carry data again are
 * adopted, and counted in both; those that close unseen stay in neither. */
static void take_evicted(struct collector *c, uint32_t slot, struct slot_state *p,
			 const struct svc_reading *cur, struct svc_sample *s)
{
	if (!c->gens)
		return;
	/* The walk counted the generation of the last read: a slot given to
	 * a new service since waits for the next walk. */
	if (c->recounted && c->gens[slot] == cur->gen)
		p->evicted = s->active > c->live[slot] ? s->active - c->live[slot] : 0;
	c->gens[slot] = cur->gen;
	s->active = s->active > p->evicted ? s->active - p->evicted : 0;
}

static void act_on_slots(struct collector *c)
{
	struct slot_state *p;
	size_t i;

	for (i = 0; i < c->nto_retire; i++) {
		p = &c->slots[c->to_retire[i]];
		p->released = !c->ops->retire(c->to_retire[i], &p->key, c->ops_ctx);
	}
	for (i = 0; i < c->nto_release; i++) {
		if (c->ops->release(c->to_release[i], c->ops_ctx))
			continue; /* tried again at the next read */
		c->released++;
		memset(&c->slots[c->to_release[i]], 0, sizeof(c->slots[0]));
	}
	c->nto_retire = c->nto_release = 0;
}

void collect__begin(struct collector *c, double ts, double interval_s)
{
	c->ts = ts;
	c->interval_s = interval_s;
	c->count = 0;
	c->nretired = 0;
	c->nto_retire = c->nto_release = 0;
}

int collect__slot(struct collector *c, uint32_t slot, const struct tt_svc_key *key,
		  const struct svc_id *id, const struct svc_reading *cur)
{
	struct slot_state *p;
	struct svc_sample *s;

	if (slot >= c->nslots)
		return -EINVAL;
	p = &c->slots[slot];
	if (key->flags & TT_SVC_F_RETIRED) {
		release(c, slot, p, cur);
		return 0;
	}
	if (!p->used || !same_owner(p, key, id))
		slot_init(c, p, key, id);
	else if (went_back(&p->stats, cur)) {
		memset(&p->stats, 0, sizeof(p->stats));
		p->evicted = 0;
	}
	if (name_slot(c, p)) {
		p->carry_s += c->interval_s;
		return 0;
	}
	s = &c->samples[c->count];
	memset(s, 0, sizeof(*s));
	collect__delta(&p->stats, cur, c->interval_s + p->carry_s, s);
	take_evicted(c, slot, p, cur, s);
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
	act_on_slots(c);
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
	struct tt_svc_key key;
	struct svc_id id;
	int err;

	collect__begin(c, ts, interval_s);
	/* Before the counters: a connection that opens or closes between the
	 * two reads puts the gauge one off until the next walk. */
	c->recounted = c->gens && evict__live(&c->evict, c->nslots, c->gens, c->live) == 1;
	while (!(err = bpf_map_get_next_key(c->owner_fd, cursor, &next))) {
		slot = next;
		cursor = &slot;
		if (bpf_map_lookup_elem(c->owner_fd, &slot, &key) ||
		    bpf_map_lookup_elem(c->svcs_fd, &slot, c->percpu) ||
		    bpf_map_lookup_elem(c->shared_fd, &slot, &c->shared))
			continue;
		sum_cpus(c->percpu, c->ncpus, &c->cur);
		memcpy(c->cur.hist, c->shared.hist, sizeof(c->cur.hist));
		c->cur.untracked = c->shared.untracked;
		c->cur.gen = c->shared.gen;
		collect__key_id(&key, &id);
		collect__slot(c, slot, &key, &id, &c->cur);
	}
	if (err != -ENOENT)
		return err;
	collect__end(c, out, n);
	return 0;
}
