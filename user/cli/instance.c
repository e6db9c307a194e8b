// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/instance.h"
#include "lib/line.h"

/* Says who holds the lock, from what it wrote: "PID STARTED\n". A holder
 * that has not written yet is still a holder. */
static void report_holder(int fd, const char *path)
{
	char buf[128] = "", started[64] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	int pid = 0;

	buf[n > 0 ? n : 0] = '\0';
	if (sscanf(buf, "%d %63s", &pid, started) == 2 && pid > 0)
		fprintf(stderr, "telltale: another telltale agent is running (pid %d, started %s; "
				"lock %s): a second one would count every request again. Stop it "
				"first, or pass --allow-multiple to run this one beside it on "
				"purpose\n", pid, started, path);
	else
		fprintf(stderr, "telltale: another telltale agent is starting (lock %s): a second "
				"one would count every request again. Stop it first, or pass "
				"--allow-multiple to run this one beside it on purpose\n", path);
}

static int write_self(int fd)
{
	char buf[96], ts[40];
	struct timespec now;
	int len;

	clock_gettime(CLOCK_REALTIME, &now);
	line__iso8601((double)now.tv_sec + (double)now.tv_nsec / 1e9, ts, sizeof(ts));
	len = snprintf(buf, sizeof(buf), "%d %s\n", (int)getpid(), ts);
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

int instance__lock(const char *dir)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, INSTANCE_FILE);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		goto fail;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			report_holder(fd, path);
		close(fd);
		if (err == -EBUSY)
			return err;
		goto fail;
	}
	err = write_self(fd);
	if (err) {
		close(fd);
		goto fail;
	}
	return fd;
fail:
	fprintf(stderr, "telltale: cannot take the single-instance lock %s: %s; fix it, or pass "
			"--allow-multiple to run without the lock\n", path, strerror(-err));
	return err;
}

void instance__unlock(int fd)
{
	if (fd < 0)
		return;
	/* Still ours: nobody else can hold the lock while we do. A pid file
	 * left full is harmless; the lock is what counts. */
	if (ftruncate(fd, 0))
		fprintf(stderr, "telltale: warning: cannot empty the pid file: %s\n",
			strerror(errno));
	close(fd);
}
