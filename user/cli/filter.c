// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>

#include "cli/filter.h"

static bool port_in(uint16_t port, const uint16_t *ports, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static bool netns_in(uint32_t netns, const uint32_t *list, uint32_t n)
{
	uint32_t i;

	for (i = 0; netns && i < n; i++)
		if (list[i] == netns)
			return true;
	return false;
}

/* An id starting with one of the prefixes. */
static bool container_in(const char *id, const char (*list)[SVC_CONTAINER_LEN], uint32_t n)
{
	uint32_t i;

	for (i = 0; id[0] && i < n; i++)
		if (!strncmp(id, list[i], strlen(list[i])))
			return true;
	return false;
}

static bool unit_in(const char *unit, const char (*list)[SVC_UNIT_LEN], uint32_t n)
{
	uint32_t i;

	for (i = 0; unit[0] && i < n; i++)
		if (!strcmp(unit, list[i]))
			return true;
	return false;
}

/* A path equal to one of the prefixes or below one, at a / boundary. */
static bool cgroup_in(const char *path, const char (*list)[SVC_CGROUP_LEN], uint32_t n)
{
	size_t len;
	uint32_t i;

	for (i = 0; path[0] && i < n; i++) {
		len = strlen(list[i]);
		while (len > 1 && list[i][len - 1] == '/')
			len--;
		if (!strncmp(path, list[i], len) &&
		    (path[len] == '\0' || path[len] == '/' || list[i][len - 1] == '/'))
			return true;
	}
	return false;
}

/* Whether id matches any entry of f, per kind: bit 0 containers, 1 units,
 * 2 cgroups, 3 netns. */
static unsigned matches(const struct name_filter *f, const struct svc_id *id)
{
	return (unsigned)container_in(id->names.container, f->containers, f->n_containers) |
	       (unsigned)unit_in(id->names.unit, f->units, f->n_units) << 1 |
	       (unsigned)cgroup_in(id->names.cgroup, f->cgroups, f->n_cgroups) << 2 |
	       (unsigned)netns_in(id->netns, f->netns, f->n_netns) << 3;
}

/* The kinds of f that have entries, as in matches(). */
static unsigned listed(const struct name_filter *f)
{
	return (unsigned)!!f->n_containers | (unsigned)!!f->n_units << 1 |
	       (unsigned)!!f->n_cgroups << 2 | (unsigned)!!f->n_netns << 3;
}

bool filter__watched(const struct config *cfg, const struct svc_id *id)
{
	unsigned need = listed(&cfg->include);

	if (cfg->n_include && !port_in(id->port, cfg->include_ports, cfg->n_include))
		return false;
	if (port_in(id->port, cfg->exclude_ports, cfg->n_exclude))
		return false;
	if ((matches(&cfg->include, id) & need) != need)
		return false;
	return !matches(&cfg->exclude, id);
}
