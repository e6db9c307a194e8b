/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a cgroup v2 path says about the workload in it, by the names
 * container runtimes, the kubelet and systemd give their cgroups: a
 * container id and runtime, a Kubernetes pod UID, a systemd unit. Pure
 * string work, no I/O.
 */
#ifndef TT_CGNAME_H
#define TT_CGNAME_H

#include "lib/sample.h"

/*
 * Fills *out from path ("/system.slice/docker-<64 hex>.scope"), relative to
 * the cgroup v2 root. Recognised, innermost component first:
 *   docker-ID.scope, /docker/ID                      container, "docker"
 *   cri-containerd-ID.scope                          container, "containerd"
 *   crio-ID.scope                                    container, "cri-o"
 *   libpod-ID.scope, libpod-ID                       container, "podman"
 *   ID under a Kubernetes pod (cgroupfs driver)      container, runtime unknown
 *   kubepods[-QOS]-pod<UID>.slice, kubepods/.../pod<UID>   pod_uid
 *   the innermost *.service or *.scope, when no container or pod is named: unit
 * ID is 64 lower-case hex digits. A path too long for out->cgroup leaves it
 * empty; the other names are still read from the whole path.
 */
void cgname__parse(const char *path, struct svc_names *out);

#endif /* TT_CGNAME_H */
