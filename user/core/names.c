// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>

#include "core/names.h"

#define MIN_BUCKETS 16

static uint32_t bucket_of(const struct names_table *t, uint64_t cgroup)
{
	return (uint32_t)((cgroup * 0x9e3779b97f4a7c15ULL) >> 32) & t->mask;
}

/* Appends field (of size bytes, NUL-terminated or full) and a NUL at p. */
static char *pack_one(char *p, const char *field, size_t size)
{
	size_t len = strnlen(field, size - 1);

	memcpy(p, field, len);
	p[len] = 0;
	return p + len + 1;
}

/* Packs n into buf (sizeof(*n) bytes are always enough); returns the bytes. */
static uint32_t pack(const struct svc_names *n, char *buf)
{
	char *p = buf;

	p = pack_one(p, n->cgroup, sizeof(n->cgroup));
	p = pack_one(p, n->container, sizeof(n->container));
	p = pack_one(p, n->runtime, sizeof(n->runtime));
	p = pack_one(p, n->pod_uid, sizeof(n->pod_uid));
	p = pack_one(p, n->unit, sizeof(n->unit));
	return (uint32_t)(p - buf);
}

/* Copies the string at p into field (zero-filled); returns the next one. */
static const char *unpack_one(const char *p, char *field, size_t size)
{
	size_t len = strlen(p);

	memset(field, 0, size);
	memcpy(field, p, len < size ? len : size - 1);
	return p + len + 1;
}

void names__copy(const struct names_entry *e, struct svc_names *out)
{
	const char *p = e->packed;

	p = unpack_one(p, out->cgroup, sizeof(out->cgroup));
	p = unpack_one(p, out->container, sizeof(out->container));
	p = unpack_one(p, out->runtime, sizeof(out->runtime));
	p = unpack_one(p, out->pod_uid, sizeof(out->pod_uid));
	unpack_one(p, out->unit, sizeof(out->unit));
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
	char buf[sizeof(*n)];
	uint32_t len = pack(n, buf), i;
	struct names_entry *e;

	for (e = t->buckets ? t->buckets[bucket_of(t, cgroup)] : NULL; e; e = e->next)
		if (e->cgroup == cgroup && e->len == len && !memcmp(e->packed, buf, len)) {
			e->refs++;
			return e;
		}
	/* At most one entry a bucket on average; a table that cannot grow
	 * still works, with longer chains. */
	if ((!t->buckets || t->n > t->mask) && !grow(t) && !t->buckets)
		return NULL;
	e = malloc(sizeof(*e) + len);
	if (!e)
		return NULL;
	e->cgroup = cgroup;
	e->refs = 1;
	e->len = len;
	memcpy(e->packed, buf, len);
	t->entry_bytes += sizeof(*e) + len;
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
	t->entry_bytes -= sizeof(*e) + e->len;
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
	return t->entry_bytes + (t->mask + 1) * sizeof(*t->buckets);
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
