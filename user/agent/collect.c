// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/collect.h"
#include "agent/hist.h"

_Static_assert(sizeof(struct tt_svc_key) == 4, "tt_svc_key is ABI");
_Static_assert(sizeof(struct tt_sock) == 24, "tt_sock is ABI");
_Static_assert(sizeof(struct tt_svc_stats) % 8 == 0, "per-CPU values are 8-byte aligned");
_Static_assert((TT_HIST_SLOTS & TT_HIST_MASK) == 0, "TT_HIST_SLOTS is a power of two");
_Static_assert(sizeof(struct tt_svc_stats) == 9 * 8 + TT_COMM_LEN + TT_HIST_SLOTS * 8,
	       "tt_svc_stats has no hidden padding");

/* The last cumulative reading of a service, in an open-addressed table. */
struct prev_entry {
	struct tt_svc_key key;
	bool used;
	struct tt_svc_stats stats;
};

struct collector {
	int svcs_fd;
	int owner_fd;
	int ncpus;
	uint32_t cap;		     /* table slots: twice the map size */
	struct prev_entry *prev;     /* cap entries */
	struct tt_svc_stats *percpu; /* one lookup's values, ncpus of them */
	struct svc_sample *samples;  /* max_services of them */
	uint64_t (*hists)[TT_HIST_SLOTS]; /* each sample's interval histogram */
	uint32_t max_services;
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
	c->cap = 2 * max_services;
	if (c->ncpus <= 0) {
		errno = c->ncpus ? -c->ncpus : EINVAL;
		free(c);
		return NULL;
	}
	c->prev = calloc(c->cap, sizeof(*c->prev));
	c->percpu = calloc(c->ncpus, sizeof(*c->percpu));
	c->samples = calloc(max_services, sizeof(*c->samples));
	/* Large and zeroed: pages are backed only as services become active. */
	c->hists = calloc(max_services, sizeof(*c->hists));
	if (!c->prev || !c->percpu || !c->samples || !c->hists) {
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
	free(c->prev);
	free(c->percpu);
	free(c->samples);
	free(c->hists);
	free(c);
}

static struct prev_entry *prev_slot(struct collector *c, const struct tt_svc_key *key)
{
	uint32_t h = ((uint32_t)key->port * 2654435761u) ^ key->role;
	uint32_t i, n;

	for (n = 0; n < c->cap; n++) {
		i = (h + n) % c->cap;
		if (!c->prev[i].used || (c->prev[i].key.port == key->port &&
					 c->prev[i].key.role == key->role))
			return &c->prev[i];
	}
	return NULL;
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
	const struct svc_id *x = &((const struct svc_sample *)a)->id;
	const struct svc_id *y = &((const struct svc_sample *)b)->id;

	if (x->role != y->role)
		return x->role - y->role;
	return x->port - y->port;
}

int collect__read(struct collector *c, double ts, double interval_s,
		  const struct svc_sample **out, size_t *n)
{
	__u32 slot, next, *cursor = NULL;
	struct tt_svc_stats cur;
	struct tt_svc_key key;
	struct prev_entry *p;
	size_t count = 0;
	int err;

	/* Slots are claimed, never given back: each owner names one slot. */
	while (!(err = bpf_map_get_next_key(c->owner_fd, cursor, &next))) {
		slot = next;
		cursor = &slot;
		if (bpf_map_lookup_elem(c->owner_fd, &slot, &key) ||
		    bpf_map_lookup_elem(c->svcs_fd, &slot, c->percpu))
			continue;
		sum_cpus(c->percpu, c->ncpus, &cur);
		p = prev_slot(c, &key);
		if (!p)
			return -ENOSPC;
		if (!p->used) {
			memset(p, 0, sizeof(*p));
			p->used = true;
			p->key = key;
		}
		if (count < c->max_services) {
			struct svc_sample *s = &c->samples[count];

			memset(s, 0, sizeof(*s));
			collect__delta(&p->stats, &cur, interval_s, s);
			hist_delta(&p->stats, &cur, c->hists[count]);
			s->hist = c->hists[count];
			s->ts = ts;
			s->id.port = key.port;
			s->id.role = key.role;
			memcpy(s->id.comm, cur.comm, sizeof(s->id.comm));
			s->id.comm[TT_COMM_LEN - 1] = '\0';
			if (is_active(s))
				count++;
		}
		p->stats = cur;
	}
	if (err != -ENOENT)
		return err;
	/* Map order is the kernel's hash order: sort for stable output. */
	qsort(c->samples, count, sizeof(*c->samples), by_service);
	*out = c->samples;
	*n = count;
	return 0;
}
