// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>

#include "core/names.h"

#define MIN_BUCKETS 16

static uint32_t bucket_of(const struct names_table *t, uint64_t cgroup)
{
	return (uint32_t)((cgroup * 0x9e3779b97f4a7c15ULL) >> 32) & t->mask;
}

static bool same_names(const struct svc_names *a, const struct svc_names *b)
{
	return !strncmp(a->cgroup, b->cgroup, sizeof(a->cgroup)) &&
	       !strncmp(a->container, b->container, sizeof(a->container)) &&
	       !strncmp(a->runtime, b->runtime, sizeof(a->runtime)) &&
	       !strncmp(a->pod_uid, b->pod_uid, sizeof(a->pod_uid)) &&
	       !strncmp(a->unit, b->unit, sizeof(a->unit));
}

/* Rehashes into twice the buckets (MIN_BUCKETS at first). Returns false on
 * out of memory, the table unchanged. */
static bool grow(struct names_table *t)
{
	uint32_t cap = t->buckets ? 2 * (t->mask + 1) : MIN_BUCKETS, old = t->mask + 1, i, j;
	struct names_entry **b = calloc(cap, sizeof(*b)), **from = t->buckets, *e;

	if (!b)
		return false;
	t->buckets = b;
	t->mask = cap - 1;
	for (i = 0; from && i < old; i++)
		while ((e = from[i])) {
			from[i] = e->next;
			j = bucket_of(t, e->cgroup);
			e->next = b[j];
			b[j] = e;
		}
	free(from);
	return true;
}

struct names_entry *names__get(struct names_table *t, uint64_t cgroup, const struct svc_names *n)
{
	struct names_entry *e;
	uint32_t i;

	for (e = t->buckets ? t->buckets[bucket_of(t, cgroup)] : NULL; e; e = e->next)
		if (e->cgroup == cgroup && same_names(&e->names, n)) {
			e->refs++;
			return e;
		}
	/* At most one entry a bucket on average; a table that cannot grow
	 * still works, with longer chains. */
	if ((!t->buckets || t->n > t->mask) && !grow(t) && !t->buckets)
		return NULL;
	e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	e->cgroup = cgroup;
	e->refs = 1;
	e->names = *n;
	i = bucket_of(t, cgroup);
	e->next = t->buckets[i];
	t->buckets[i] = e;
	t->n++;
	return e;
}

void names__put(struct names_table *t, struct names_entry *e)
{
	struct names_entry **p;

	if (!e || --e->refs)
		return;
	for (p = &t->buckets[bucket_of(t, e->cgroup)]; *p != e; p = &(*p)->next)
		;
	*p = e->next;
	free(e);
	/* An empty table gives its buckets back: a host without names pays
	 * nothing for them. */
	if (!--t->n)
		names__free(t);
}

size_t names__bytes(const struct names_table *t)
{
	if (!t->buckets)
		return 0;
	return t->n * sizeof(struct names_entry) + (t->mask + 1) * sizeof(*t->buckets);
}

void names__free(struct names_table *t)
{
	struct names_entry *e;
	uint32_t i;

	for (i = 0; t->buckets && i <= t->mask; i++)
		while ((e = t->buckets[i])) {
			t->buckets[i] = e->next;
			free(e);
		}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
