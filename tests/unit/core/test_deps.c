// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A service's dependency connections: its netns's client services, and on
 * the host's netns its own cgroup's; without identity, the whole host's. */
#include <string.h>

#include "check.h"
#include "core/deps.h"

#define HOST 4026531840u
#define POD_A 4026532100u
#define POD_B 4026532200u

static struct svc_sample svc(uint8_t role, uint16_t port, uint32_t netns, bool host,
			     uint64_t cgroup, uint64_t active)
{
	return (struct svc_sample){ .id = { .role = role, .port = port, .netns = netns,
					    .host_netns = host, .cgroup = cgroup },
				    .active = active };
}

static const uint16_t ports[] = { 5432, 6379 };

static void test_scopes(void)
{
	struct svc_sample s[] = {
		/* pod A: two containers (cgroups 11, 12) share the netns */
		svc(TT_ROLE_SERVER, 8080, POD_A, false, 11, 5),
		svc(TT_ROLE_CLIENT, 5432, POD_A, false, 11, 3),
		svc(TT_ROLE_CLIENT, 6379, POD_A, false, 12, 2),
		/* pod B on the same ports */
		svc(TT_ROLE_SERVER, 8080, POD_B, false, 21, 5),
		svc(TT_ROLE_CLIENT, 5432, POD_B, false, 21, 7),
		/* the host: two units */
		svc(TT_ROLE_SERVER, 80, HOST, true, 100, 1),
		svc(TT_ROLE_CLIENT, 5432, HOST, true, 100, 4),
		svc(TT_ROLE_CLIENT, 5432, HOST, true, 200, 9),
		/* not dependencies: a server on 5432, a client to 443 */
		svc(TT_ROLE_SERVER, 5432, POD_A, false, 11, 50),
		svc(TT_ROLE_CLIENT, 443, POD_A, false, 11, 60),
	};
	struct deps d = { 0 };
	struct svc_id unit = s[5].id;

	CHECK(deps__build(&d, s, sizeof(s) / sizeof(s[0]), ports, 2) == 0);
	CHECK(deps__connections(&d, &s[0].id) == 5);  /* 3 + 2, both containers */
	CHECK(deps__connections(&d, &s[3].id) == 7);
	CHECK(deps__connections(&d, &s[5].id) == 4);  /* its own cgroup only */
	unit.cgroup = 300;
	CHECK(deps__connections(&d, &unit) == 0);
	CHECK(deps__same_scope(&s[0].id, &s[2].id));
	CHECK(!deps__same_scope(&s[0].id, &s[3].id));
	CHECK(!deps__same_scope(&s[6].id, &s[7].id));
	/* A client service counts in its own scope too. */
	CHECK(deps__connections(&d, &s[4].id) == 7);
	deps__free(&d);
}

/* Unknown netns (lines of schema 1.0, the agent before the kernel names
 * it) is the host: every client service counts, as before identity. */
static void test_unknown(void)
{
	struct svc_sample s[] = {
		svc(TT_ROLE_SERVER, 8080, 0, false, 0, 1),
		svc(TT_ROLE_CLIENT, 5432, 0, false, 0, 3),
		svc(TT_ROLE_CLIENT, 6379, 0, false, 0, 4),
		svc(TT_ROLE_CLIENT, 5432, 0, false, 0, 1),
	};
	struct deps d = { 0 };

	CHECK(deps__build(&d, s, 4, ports, 2) == 0);
	CHECK(deps__connections(&d, &s[0].id) == 8);
	CHECK(deps__build(&d, s, 4, ports, 0) == 0);
	CHECK(deps__connections(&d, &s[0].id) == 0);
	CHECK(deps__build(&d, NULL, 0, ports, 2) == 0);
	CHECK(deps__connections(&d, &s[0].id) == 0);
	deps__free(&d);
}

int main(void)
{
	test_scopes();
	test_unknown();
	return check_done("test_deps");
}
