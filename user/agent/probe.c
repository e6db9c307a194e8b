// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent/probe.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

int probe__privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (geteuid() == 0)
		return 0;
	if (!syscall(SYS_capget, &hdr, data) && has_cap(data, CAP_BPF) &&
	    has_cap(data, CAP_PERFMON) && has_cap(data, CAP_SYS_ADMIN))
		return 0;
	fprintf(stderr, "telltale: not permitted to load BPF programs: run as root (sudo telltale), "
			"or grant CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN "
			"(setcap cap_bpf,cap_perfmon,cap_sys_admin+ep telltale)\n");
	return -EPERM;
}

int probe__btf(const char *btf_path)
{
	if (!access(btf_path, R_OK))
		return 0;
	fprintf(stderr, "telltale: no kernel BTF at %s (%s): telltale's CO-RE programs need a "
			"kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian 11 and later ship one); "
			"boot such a kernel, or pass --btf with a BTF file made for this one\n", btf_path, strerror(errno));
	return -ENOENT;
}

int probe__tracefs(void)
{
	int err;

	if (!access(TT_TRACEFS "/events", F_OK))
		return 0;
	if (!mount("nodev", TT_TRACEFS, "tracefs", 0, NULL))
		return 0;
	err = errno;
	fprintf(stderr, "telltale: tracefs is not mounted and mounting it at %s failed (%s): "
			"mount it with 'mount -t tracefs nodev %s'\n", TT_TRACEFS, strerror(err),
		TT_TRACEFS);
	return -err;
}

bool probe__tracepoint(const char *category, const char *name)
{
	const char *hide = getenv("TELLTALE_HIDE_TRACEPOINTS");
	char path[256];

	/* Test hook: pretend the listed "category/name" tracepoints are
	 * missing, to exercise the degraded path on a complete kernel. */
	snprintf(path, sizeof(path), "%s/%s", category, name);
	if (hide && strstr(hide, path))
		return false;
	snprintf(path, sizeof(path), TT_TRACEFS "/events/%s/%s/id", category, name);
	return !access(path, F_OK);
}

bool probe__helper(int helper, const char *name)
{
	const char *hide = getenv("TELLTALE_HIDE_HELPERS");

	if (hide && strstr(hide, name))
		return false;
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, helper, NULL) == 1;
}

bool probe__kfunc(const char *name, const char *btf_path)
{
	const char *hide = getenv("TELLTALE_HIDE_KFUNCS");
	struct btf *btf;
	bool found;

	if (hide && strstr(hide, name))
		return false;
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}
