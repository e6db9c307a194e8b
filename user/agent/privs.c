// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/privs.h"

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
	/* Leaving uid 0 clears the permitted and effective capabilities. */
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid))
		return fail("switching to", user);
	return 0;
}

int privs__drop(const char *user)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[2] = { 0 };
	int cap;

	/* Empty the bounding set first, while CAP_SETPCAP allows it, so no
	 * exec can bring a capability back. */
	for (cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL && errno != EPERM)
			return fail("dropping the bounding set", NULL);
	if (user && user[0]) {
		int err = switch_user(user);

		if (err)
			return err;
	}
	if (syscall(SYS_capset, &hdr, none))
		return fail("clearing capabilities", NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail("setting no_new_privs", NULL);
	return 0;
}
