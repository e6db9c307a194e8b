// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The service object every line carries and its identity labels: what is
 * known is printed, what is not is left out, and nothing is renamed. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lib/line.h"

#define ID "3f1d7c2a9b8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"

static char *text(const struct svc_id *id)
{
	cJSON *o = line__service(id);
	char *t = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return t;
}

static void test_service(void)
{
	struct svc_id id = { .role = TT_ROLE_SERVER, .port = 8080, .comm = "nginx" };
	char *t;

	/* No identity: exactly the schema 1.0 object. */
	t = text(&id);
	CHECK(t && !strcmp(t, "{\"role\":\"server\",\"port\":8080,\"comm\":\"nginx\"}"));
	free(t);
	id.netns = 4026532100u;
	id.cgroup = 12345;
	strcpy(id.names.cgroup, "/system.slice/docker-" ID ".scope");
	strcpy(id.names.container, ID);
	strcpy(id.names.runtime, "docker");
	t = text(&id);
	CHECK(t && !strcmp(t, "{\"role\":\"server\",\"port\":8080,\"comm\":\"nginx\","
			      "\"netns\":4026532100,\"cgroup\":\"/system.slice/docker-" ID ".scope\","
			      "\"cgroup_id\":12345,\"container\":{\"id\":\"" ID "\",\"runtime\":\"docker\"}}"));
	free(t);
	/* Host netns, a unit, an unresolved cgroup, the overflow service. */
	memset(&id.names, 0, sizeof(id.names));
	strcpy(id.names.unit, "nginx.service");
	id.host_netns = true;
	id.flags = SVC_F_OTHER;
	id.port = 0;
	id.role = TT_ROLE_CLIENT;
	id.comm[0] = '\0';
	t = text(&id);
	CHECK(t && !strcmp(t, "{\"role\":\"client\",\"port\":0,\"other\":true,\"netns\":4026532100,"
			      "\"host_netns\":true,\"cgroup_id\":12345,\"unit\":\"nginx.service\"}"));
	free(t);
	/* A pod's container without a runtime in its path. */
	memset(&id.names, 0, sizeof(id.names));
	strcpy(id.names.container, ID);
	strcpy(id.names.pod_uid, "0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8");
	id.flags = 0;
	t = text(&id);
	CHECK(t && strstr(t, "\"container\":{\"id\":\"" ID "\"},\"pod_uid\":\"0f3a2b1c-"));
	free(t);
}

static const char *label(const struct svc_label *l, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(l[i].name, name))
			return l[i].value;
	return NULL;
}

static void test_labels(void)
{
	struct svc_id id = { .role = TT_ROLE_SERVER, .port = 8080, .comm = "nginx" };
	struct svc_label l[SVC_LABELS_MAX];
	unsigned n;

	n = line__service_labels(&id, l);
	CHECK(n == 2 && !strcmp(l[0].name, "role") && !strcmp(l[0].value, "server"));
	CHECK(!strcmp(l[1].name, "port") && !strcmp(l[1].value, "8080"));
	CHECK(!label(l, n, "comm"));
	/* An unresolved cgroup is its number. */
	id.cgroup = 98765;
	id.netns = 4026532100u;
	n = line__service_labels(&id, l);
	CHECK(n == 4 && !strcmp(label(l, n, "cgroup"), "98765"));
	CHECK(!strcmp(label(l, n, "netns"), "4026532100"));
	strcpy(id.names.cgroup, "/kubepods/pod0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8/" ID);
	strcpy(id.names.container, ID);
	strcpy(id.names.pod_uid, "0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8");
	id.flags = SVC_F_OTHER;
	n = line__service_labels(&id, l);
	CHECK(n == 7 && !strcmp(label(l, n, "cgroup"), id.names.cgroup));
	CHECK(!strcmp(label(l, n, "container_id"), ID) && !label(l, n, "container_runtime"));
	CHECK(!strcmp(label(l, n, "pod_uid"), id.names.pod_uid));
	CHECK(!strcmp(label(l, n, "other"), "true"));
	strcpy(id.names.runtime, "containerd");
	strcpy(id.names.unit, "x.service");
	n = line__service_labels(&id, l);
	CHECK(n == SVC_LABELS_MAX && !strcmp(label(l, n, "container_runtime"), "containerd"));
}

static void test_same(void)
{
	struct svc_id a = { .role = TT_ROLE_SERVER, .port = 80, .netns = 1, .cgroup = 2 }, b = a;

	strcpy(b.comm, "x");
	strcpy(b.names.unit, "y.service");
	b.host_netns = true;
	CHECK(svc_id__same(&a, &b) && svc_id__hash(&a) == svc_id__hash(&b));
	CHECK(svc_id__cmp(&a, &b) == 0 && svc_id__has_identity(&a));
	b.cgroup = 3;
	CHECK(!svc_id__same(&a, &b) && svc_id__cmp(&a, &b) < 0);
	b = a;
	b.flags = SVC_F_OTHER;
	CHECK(!svc_id__same(&a, &b));
	b = a;
	b.netns = 0;
	CHECK(!svc_id__same(&a, &b) && svc_id__cmp(&b, &a) < 0);
	b.cgroup = 0;
	CHECK(!svc_id__has_identity(&b));
}

int main(void)
{
	test_service();
	test_labels();
	test_same();
	return check_done("test_line");
}
