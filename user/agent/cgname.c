// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The names are those of systemd's cgroup driver (docker-ID.scope under
 * system.slice, kubepods-burstable-pod<UID with underscores>.slice) and of
 * the cgroupfs driver (/docker/ID, /kubepods/burstable/pod<UID>/ID), which
 * Docker, containerd, CRI-O, Podman and the kubelet all use one of.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/cgname.h"

#define MAX_PARTS 128
#define ID_LEN 64
#define UID_LEN 36

struct part {
	const char *s;
	size_t len;
};

/* Container scopes: prefix, then the id, then suffix. */
static const struct {
	const char *prefix, *suffix, *runtime;
} scopes[] = {
	{ "docker-", ".scope", "docker" },
	{ "cri-containerd-", ".scope", "containerd" },
	{ "crio-", ".scope", "cri-o" },
	{ "libpod-", ".scope", "podman" },
	{ "libpod-", "", "podman" },
};

static bool is_hex_id(const char *s, size_t len)
{
	size_t i;

	if (len != ID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_part(const struct part *p, const char *word)
{
	return p->len == strlen(word) && !memcmp(p->s, word, p->len);
}

static bool starts(const struct part *p, const char *prefix)
{
	size_t n = strlen(prefix);

	return p->len >= n && !memcmp(p->s, prefix, n);
}

static bool ends(const struct part *p, const char *suffix)
{
	size_t n = strlen(suffix);

	return p->len >= n && !memcmp(p->s + p->len - n, suffix, n);
}

static void copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* A container named by part i (its parent is part i - 1). */
static bool container_of(const struct part *parts, unsigned i, bool in_pod, struct svc_names *out)
{
	const struct part *p = &parts[i];
	size_t k, pre, suf;

	for (k = 0; k < sizeof(scopes) / sizeof(scopes[0]); k++) {
		pre = strlen(scopes[k].prefix);
		suf = strlen(scopes[k].suffix);
		if (p->len != pre + ID_LEN + suf || !starts(p, scopes[k].prefix) ||
		    !ends(p, scopes[k].suffix) || !is_hex_id(p->s + pre, ID_LEN))
			continue;
		copy(out->container, sizeof(out->container), p->s + pre, ID_LEN);
		copy(out->runtime, sizeof(out->runtime), scopes[k].runtime,
		     strlen(scopes[k].runtime));
		return true;
	}
	if (!is_hex_id(p->s, p->len))
		return false;
	/* A bare id: Docker's cgroupfs driver puts it under /docker, the
	 * kubelet's under the pod, whatever the runtime. */
	if (i > 0 && is_part(&parts[i - 1], "docker"))
		copy(out->runtime, sizeof(out->runtime), "docker", 6);
	else if (!in_pod)
		return false;
	copy(out->container, sizeof(out->container), p->s, ID_LEN);
	return true;
}

/* The pod UID in part p: "pod" + 36 characters (systemd's driver writes
 * the dashes as underscores) as the whole name below a kubepods cgroup, or
 * at the end of a kubepods-[QOS-]pod<UID>.slice. */
static bool pod_of(const struct part *p, bool below_kubepods, struct svc_names *out)
{
	struct part q = *p;
	const char *uid;
	size_t i;

	if (ends(&q, ".slice"))
		q.len -= 6;
	if (q.len < 3 + UID_LEN)
		return false;
	uid = q.s + q.len - UID_LEN;
	if (memcmp(uid - 3, "pod", 3))
		return false;
	if (starts(&q, "kubepods-") ? uid[-4] != '-' : !(below_kubepods && q.len == 3 + UID_LEN))
		return false;
	for (i = 0; i < UID_LEN; i++) {
		char c = uid[i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' && c != '_' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out->pod_uid[i] = dash ? '-' : c;
	}
	out->pod_uid[UID_LEN] = '\0';
	return true;
}

static unsigned split(const char *path, struct part *parts)
{
	const char *s = path, *e;
	unsigned n = 0;

	while (*s && n < MAX_PARTS) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchr(s, '/');
		if (!e)
			e = s + strlen(s);
		parts[n].s = s;
		parts[n].len = (size_t)(e - s);
		n++;
		s = e;
	}
	return n;
}

void cgname__parse(const char *path, struct svc_names *out)
{
	struct part parts[MAX_PARTS];
	unsigned n = split(path, parts), i, kubepods = n;
	bool container = false, pod = false;

	memset(out, 0, sizeof(*out));
	copy(out->cgroup, sizeof(out->cgroup), path, strlen(path));
	for (i = 0; i < n && kubepods == n; i++)
		if (starts(&parts[i], "kubepods"))
			kubepods = i;
	/* The pod first: a bare id is a container only inside one. */
	for (i = n; i-- > 0 && !pod;)
		pod = pod_of(&parts[i], i > kubepods, out);
	for (i = n; i-- > 0 && !container;)
		container = container_of(parts, i, pod, out);
	if (container || pod)
		return;
	for (i = n; i-- > 0;)
		if (ends(&parts[i], ".service") || ends(&parts[i], ".scope")) {
			copy(out->unit, sizeof(out->unit), parts[i].s, parts[i].len);
			return;
		}
}
