// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>

#include "lib/sample.h"

const char *svc_role_name(uint8_t role)
{
	return role == TT_ROLE_CLIENT ? "client" : "server";
}

int svc_role_parse(const char *name, uint8_t *role)
{
	if (!strcmp(name, "server"))
		*role = TT_ROLE_SERVER;
	else if (!strcmp(name, "client"))
		*role = TT_ROLE_CLIENT;
	else
		return -EINVAL;
	return 0;
}

bool svc_id__same(const struct svc_id *a, const struct svc_id *b)
{
	return a->port == b->port && a->role == b->role && a->netns == b->netns &&
	       a->cgroup == b->cgroup && (a->flags & SVC_F_OTHER) == (b->flags & SVC_F_OTHER);
}

uint32_t svc_id__hash(const struct svc_id *id)
{
	uint64_t k = ((uint64_t)id->role << 17 | (uint64_t)(id->flags & SVC_F_OTHER) << 16 |
		      id->port) ^
		     ((uint64_t)id->netns << 20) ^ (id->cgroup * 0x9e3779b97f4a7c15ULL);

	/* A 64-bit finaliser (splitmix64's): every input bit moves the low bits
	 * a table masks with. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ULL;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebULL;
	k ^= k >> 31;
	return (uint32_t)k;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int svc_id__cmp(const struct svc_id *a, const struct svc_id *b)
{
	if (a->role != b->role)
		return a->role - b->role;
	if (a->port != b->port)
		return a->port - b->port;
	if (a->netns != b->netns)
		return cmp_u64(a->netns, b->netns);
	if (a->cgroup != b->cgroup)
		return cmp_u64(a->cgroup, b->cgroup);
	return (a->flags & SVC_F_OTHER) - (b->flags & SVC_F_OTHER);
}

bool svc_id__has_identity(const struct svc_id *id)
{
	return id->netns || id->cgroup || (id->flags & SVC_F_OTHER);
}
