// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>

#include "core/deps.h"

struct scope {
	uint64_t cgroup; /* 0 off the host's namespace: the netns is the scope */
	uint32_t netns;
};

struct dep_sum {
	struct scope scope;
	double active;
};

static struct scope scope_of(const struct svc_id *id)
{
	bool host = !id->netns || id->host_netns;

	return (struct scope){ .netns = id->netns, .cgroup = host ? id->cgroup : 0 };
}

static int scope_cmp(struct scope a, struct scope b)
{
	if (a.netns != b.netns)
		return a.netns < b.netns ? -1 : 1;
	return a.cgroup < b.cgroup ? -1 : a.cgroup > b.cgroup;
}

static int by_scope(const void *a, const void *b)
{
	return scope_cmp(((const struct dep_sum *)a)->scope, ((const struct dep_sum *)b)->scope);
}

bool deps__same_scope(const struct svc_id *a, const struct svc_id *b)
{
	return !scope_cmp(scope_of(a), scope_of(b));
}

static bool port_in(uint16_t port, const uint16_t *ports, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

int deps__build(struct deps *d, const struct svc_sample *s, size_t n, const uint16_t *ports,
		unsigned nports)
{
	size_t i, k = 0;

	d->n = 0;
	if (n > d->cap) {
		struct dep_sum *p = realloc(d->sums, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		d->sums = p;
		d->cap = n;
	}
	for (i = 0; i < n; i++)
		if (s[i].id.role == TT_ROLE_CLIENT && port_in(s[i].id.port, ports, nports))
			d->sums[k++] = (struct dep_sum){ .scope = scope_of(&s[i].id),
							 .active = (double)s[i].active };
	if (k)
		qsort(d->sums, k, sizeof(*d->sums), by_scope);
	/* Whole counts add up exactly in a double, in any order. */
	for (i = 0; i < k; i++) {
		if (d->n && !scope_cmp(d->sums[d->n - 1].scope, d->sums[i].scope))
			d->sums[d->n - 1].active += d->sums[i].active;
		else
			d->sums[d->n++] = d->sums[i];
	}
	return 0;
}

double deps__connections(const struct deps *d, const struct svc_id *id)
{
	struct dep_sum key = { .scope = scope_of(id) }, *hit;

	if (!d->n)
		return 0;
	hit = bsearch(&key, d->sums, d->n, sizeof(*d->sums), by_scope);
	return hit ? hit->active : 0;
}

void deps__free(struct deps *d)
{
	free(d->sums);
	d->sums = NULL;
	d->n = d->cap = 0;
}
