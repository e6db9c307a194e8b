// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "agent/privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int fail(const char *what, const char *user)
{
	int err = errno;

	fprintf(stderr, "telltale: cannot drop privileges: %s%s%s: %s\n", what, user ? " " : "",
		user ? user : "", strerror(err));
	return -err;
}

static int switch_user(const char *user)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		if (!errno)
			errno = ENOENT;
		return fail("no such user", user);
	}
	if (setgroups(0, NULL) || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid))
		return fail("setting the groups of", user);
	/* Leaving uid 0 clears the effective capabilities; PR_SET_KEEPCAPS,
	 * set by the caller, keeps the permitted ones for the check below. */
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid))
		return fail("switching to", user);
	return 0;
}

/* Sets the permitted and effective capabilities to cap (-1: none) in each. */
static int set_caps(int permitted, int effective)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (permitted >= 0)
		d[permitted / 32].permitted = 1u << (permitted % 32);
	if (effective >= 0)
		d[effective / 32].effective = 1u << (effective % 32);
	return syscall(SYS_capset, &hdr, d);
}

/* The capability the kernel's bpf_capable() accepts: CAP_BPF from 5.8,
 * CAP_SYS_ADMIN before (PR_CAPBSET_READ fails on a capability the kernel
 * does not know). */
static int bpf_cap(void)
{
	return prctl(PR_CAPBSET_READ, CAP_BPF, 0, 0, 0) >= 0 ? CAP_BPF : CAP_SYS_ADMIN;
}

/* Whether bpf() still answers on map_fd without capabilities. Test-only:
 * TELLTALE_FAULT=privs:old-kernel answers as a 5.10 kernel does. */
static bool bpf_works(int map_fd)
{
	const char *f = getenv("TELLTALE_FAULT");
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	if (f && !strcmp(f, "privs:old-kernel"))
		return false;
	memset(&info, 0, sizeof(info));
	return !bpf_obj_get_info_by_fd(map_fd, &info, &len) || errno != EPERM;
}

/*
 * Kernels before 5.19 refuse every bpf() call, reading a map through a
 * descriptor the process holds included, to a process without
 * bpf_capable() while kernel.unprivileged_bpf_disabled is set, as
 * distributions set it. Asking the kernel beats reading its version
 * (backports): with the capability permitted but not effective, one call
 * on map_fd says whether the agent must keep it.
 */
static int drop_caps(int map_fd)
{
	int cap = bpf_cap();

	if (set_caps(cap, -1))
		return fail("clearing capabilities", NULL);
	if (bpf_works(map_fd))
		return set_caps(-1, -1) ? fail("clearing capabilities", NULL) : 0;
	if (set_caps(cap, cap))
		return fail("keeping the capability to read the maps", NULL);
	fprintf(stderr, "telltale: this kernel lets only %s read BPF maps while "
			"kernel.unprivileged_bpf_disabled is set (before 5.19): keeping it, "
			"every other capability dropped\n",
		cap == CAP_BPF ? "CAP_BPF" : "CAP_SYS_ADMIN");
	return 0;
}

int privs__drop(const char *user, int map_fd)
{
	int cap, err;

	/* Empty the bounding set first, while CAP_SETPCAP allows it, so no
	 * exec can bring a capability back. */
	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL && errno != EPERM)
			return fail("dropping the bounding set", NULL);
	if (user && user[0]) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
			return fail("keeping capabilities across the switch to", user);
		err = switch_user(user);
		if (err)
			return err;
	}
	err = drop_caps(map_fd);
	if (err)
		return err;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return fail("clearing keep-capabilities", NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail("setting no_new_privs", NULL);
	return 0;
}
