// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Every cgroup naming pattern of docker, containerd, CRI-O, Podman, the
 * kubelet (both cgroup drivers) and systemd, and paths that only look like
 * one. */
#include <string.h>

#include "check.h"
#include "agent/cgname.h"

#define ID "3f1d7c2a9b8e4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
#define UID "0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f8"
#define UID_ "0f3a2b1c_4d5e_6f70_8192_a3b4c5d6e7f8"

struct want {
	const char *path, *container, *runtime, *pod, *unit;
};

static const struct want cases[] = {
	/* systemd units */
	{ "/system.slice/nginx.service", "", "", "", "nginx.service" },
	{ "/system.slice/postgresql@15-main.service", "", "", "", "postgresql@15-main.service" },
	{ "/user.slice/user-1000.slice/session-3.scope", "", "", "", "session-3.scope" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope", "", "", "",
	  "app-foo.scope" },
	{ "/init.scope", "", "", "", "init.scope" },
	/* Docker, both drivers */
	{ "/system.slice/docker-" ID ".scope", ID, "docker", "", "" },
	{ "/docker/" ID, ID, "docker", "", "" },
	/* containerd, CRI-O, Podman */
	{ "/system.slice/cri-containerd-" ID ".scope", ID, "containerd", "", "" },
	{ "/machine.slice/crio-" ID ".scope", ID, "cri-o", "", "" },
	{ "/machine.slice/libpod-" ID ".scope", ID, "podman", "", "" },
	{ "/machine.slice/libpod-" ID ".scope/container", ID, "podman", "", "" },
	{ "/libpod_parent/libpod-" ID, ID, "podman", "", "" },
	/* Kubernetes, systemd driver, every QoS class */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice/cri-containerd-" ID ".scope", ID, "containerd", UID, "" },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	  ".slice/crio-" ID ".scope", ID, "cri-o", UID, "" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", ID, "docker", UID, "" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", "", "",
	  UID, "" },
	/* Kubernetes, cgroupfs driver: a bare id names no runtime */
	{ "/kubepods/burstable/pod" UID "/" ID, ID, "", UID, "" },
	{ "/kubepods/besteffort/pod" UID "/" ID, ID, "", UID, "" },
	{ "/kubepods/pod" UID "/" ID, ID, "", UID, "" },
	{ "/kubepods/pod" UID, "", "", UID, "" },
	/* A kubelet with --cgroup-root */
	{ "/k8s/kubepods/burstable/pod" UID "/" ID, ID, "", UID, "" },
	/* Not a container or a pod */
	{ "/", "", "", "", "" },
	{ "/system.slice", "", "", "", "" },
	{ "/system.slice/docker.service", "", "", "", "docker.service" },
	{ "/system.slice/docker-compose@web.service", "", "", "", "docker-compose@web.service" },
	{ "/system.slice/docker-" ID "0.scope", "", "", "", "docker-" ID "0.scope" },
	{ "/system.slice/docker-3F1D7C2A9B8E4F60A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718.scope",
	  "", "", "", "docker-3F1D7C2A9B8E4F60A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718.scope" },
	{ "/srv/" ID, "", "", "", "" },
	{ "/pods/pod" UID, "", "", "", "" },
	{ "/kubepods/burstable/pod0f3a2b1c-4d5e-6f70-8192-a3b4c5d6e7f", "", "", "", "" },
	{ "/machine.slice/libpod-conmon-" ID ".scope", "", "", "", "libpod-conmon-" ID ".scope" },
};

static void test_patterns(void)
{
	struct svc_names n;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		int ok;

		cgname__parse(w->path, &n);
		ok = !strcmp(n.cgroup, w->path) && !strcmp(n.container, w->container) &&
		     !strcmp(n.runtime, w->runtime) && !strcmp(n.pod_uid, w->pod) &&
		     !strcmp(n.unit, w->unit);
		if (!ok)
			fprintf(stderr, "%s: got container '%s' runtime '%s' pod '%s' unit '%s'\n",
				w->path, n.container, n.runtime, n.pod_uid, n.unit);
		CHECK(ok);
	}
}

/* A path longer than the cgroup field keeps no path, but still its names. */
static void test_long(void)
{
	char path[600];
	struct svc_names n;
	size_t k;

	k = (size_t)snprintf(path, sizeof(path), "/kubepods.slice");
	while (k < 400)
		k += (size_t)snprintf(path + k, sizeof(path) - k, "/nested-level.slice");
	snprintf(path + k, sizeof(path) - k, "/cri-containerd-" ID ".scope");
	cgname__parse(path, &n);
	CHECK(n.cgroup[0] == '\0');
	CHECK(!strcmp(n.container, ID) && !strcmp(n.runtime, "containerd"));
	/* A unit name longer than the unit field is left out, not cut. */
	k = (size_t)snprintf(path, sizeof(path), "/system.slice/");
	memset(path + k, 'u', 120);
	strcpy(path + k + 120, ".service");
	cgname__parse(path, &n);
	CHECK(n.unit[0] == '\0' && !strcmp(n.cgroup, path));
	/* Runs of slashes are one separator. */
	cgname__parse("//system.slice//nginx.service/", &n);
	CHECK(!strcmp(n.unit, "nginx.service"));
	cgname__parse("", &n);
	CHECK(!n.cgroup[0] && !n.unit[0] && !n.container[0]);
}

int main(void)
{
	test_patterns();
	test_long();
	return check_done("test_cgname");
}
