// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Which services are reported: ports, container id prefixes, units, cgroup
 * path prefixes and netns, include lists together, excludes over all. */
#include <string.h>

#include "check.h"
#include "cli/filter.h"

#define ID "3f1d7c2a9b8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"

static struct config cfg;

static struct svc_id svc(uint16_t port, uint32_t netns, const char *container, const char *unit,
			 const char *cgroup)
{
	struct svc_id id = { .role = TT_ROLE_SERVER, .port = port, .netns = netns, .cgroup = 9 };

	strcpy(id.names.container, container);
	strcpy(id.names.unit, unit);
	strcpy(id.names.cgroup, cgroup);
	return id;
}

int main(void)
{
	struct svc_id docker = svc(8080, 4026532100u, ID, "", "/system.slice/docker-" ID ".scope");
	struct svc_id nginx = svc(80, 4026531840u, "", "nginx.service", "/system.slice/nginx.service");
	struct svc_id bare = svc(80, 0, "", "", "");

	config__default(&cfg);
	CHECK(filter__watched(&cfg, &docker) && filter__watched(&cfg, &bare));

	/* Container id prefixes. */
	strcpy(cfg.include.containers[0], "3f1d");
	cfg.include.n_containers = 1;
	CHECK(filter__watched(&cfg, &docker) && !filter__watched(&cfg, &nginx));
	CHECK(!filter__watched(&cfg, &bare)); /* unknown matches no list */
	strcpy(cfg.include.containers[0], "3f1e");
	CHECK(!filter__watched(&cfg, &docker));
	cfg.include.n_containers = 0;

	/* Units, exactly. */
	strcpy(cfg.exclude.units[0], "nginx.service");
	cfg.exclude.n_units = 1;
	CHECK(!filter__watched(&cfg, &nginx) && filter__watched(&cfg, &docker));
	CHECK(filter__watched(&cfg, &bare));
	strcpy(cfg.exclude.units[0], "nginx.servic");
	CHECK(filter__watched(&cfg, &nginx));
	cfg.exclude.n_units = 0;

	/* cgroup prefixes at a / boundary. */
	strcpy(cfg.include.cgroups[0], "/system.slice");
	cfg.include.n_cgroups = 1;
	CHECK(filter__watched(&cfg, &nginx) && filter__watched(&cfg, &docker));
	strcpy(nginx.names.cgroup, "/system.slice-x/nginx.service");
	CHECK(!filter__watched(&cfg, &nginx));
	strcpy(cfg.include.cgroups[0], "/system.slice/");
	strcpy(nginx.names.cgroup, "/system.slice/nginx.service");
	CHECK(filter__watched(&cfg, &nginx));
	strcpy(cfg.include.cgroups[0], "/system.slice/nginx.service");
	CHECK(filter__watched(&cfg, &nginx) && !filter__watched(&cfg, &docker));
	strcpy(cfg.include.cgroups[0], "/");
	CHECK(filter__watched(&cfg, &docker) && !filter__watched(&cfg, &bare));
	cfg.include.n_cgroups = 0;

	/* netns, with the ports: every include list must match. */
	cfg.include.netns[0] = 4026532100u;
	cfg.include.n_netns = 1;
	CHECK(filter__watched(&cfg, &docker) && !filter__watched(&cfg, &nginx));
	CHECK(!filter__watched(&cfg, &bare));
	cfg.include_ports[0] = 80;
	cfg.n_include = 1;
	CHECK(!filter__watched(&cfg, &docker));
	cfg.include_ports[0] = 8080;
	CHECK(filter__watched(&cfg, &docker));
	cfg.exclude.netns[0] = 4026532100u;
	cfg.exclude.n_netns = 1;
	CHECK(!filter__watched(&cfg, &docker));
	cfg.exclude.n_netns = 0;
	cfg.exclude_ports[0] = 8080;
	cfg.n_exclude = 1;
	CHECK(!filter__watched(&cfg, &docker));
	return check_done("test_filter");
}
