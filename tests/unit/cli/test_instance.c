// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The single-instance lock: a second taker is refused with the holder's pid
 * and start time; the lock dies with its holder, even by SIGKILL; a pid file
 * a dead agent left does not block. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cli/instance.h"

static char dir[] = "/tmp/tt-instance.XXXXXX";
static char path[256], err[4096];

/* instance__lock with stderr captured into err. */
static int lock_quietly(void)
{
	int fd, saved, rc;
	ssize_t n;

	fflush(stderr);
	saved = dup(2);
	fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	dup2(fd, 2);
	rc = instance__lock(dir);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, err, sizeof(err) - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

static void slurp(char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

static void test_second_refused(void)
{
	char buf[256], want[64];
	int fd = lock_quietly(), fd2;

	CHECK(fd >= 0);
	slurp(buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d 20", (int)getpid());
	CHECK(!strncmp(buf, want, strlen(want)) && strchr(buf, 'Z'));
	fd2 = lock_quietly();
	CHECK(fd2 == -EBUSY);
	snprintf(want, sizeof(want), "(pid %d, started 20", (int)getpid());
	CHECK(strstr(err, "another telltale agent is running") && strstr(err, want));
	CHECK(strstr(err, "--allow-multiple") != NULL);
	instance__unlock(fd);
	slurp(buf, sizeof(buf));
	CHECK(buf[0] == '\0');
	fd = lock_quietly();
	CHECK(fd >= 0);
	instance__unlock(fd);
}

/* A child takes the lock and is killed: the lock goes with it. */
static void test_dies_with_holder(void)
{
	int p[2], fd, status;
	char c;
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		fd = instance__lock(dir);
		c = fd >= 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	CHECK(read(p[0], &c, 1) == 1 && c == 'y');
	CHECK(lock_quietly() == -EBUSY);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fd = lock_quietly();
	CHECK(fd >= 0);
	instance__unlock(fd);
	close(p[0]);
	close(p[1]);
}

/* The pid file of an agent that is gone, naming a pid: taken over. */
static void test_stale_file(void)
{
	char buf[256];
	int fd = open(path, O_WRONLY | O_TRUNC);

	CHECK(fd >= 0 && write(fd, "999999 2026-01-01T00:00:00.000Z\n", 32) == 32);
	close(fd);
	fd = lock_quietly();
	CHECK(fd >= 0);
	slurp(buf, sizeof(buf));
	CHECK(strncmp(buf, "999999", 6) != 0);
	instance__unlock(fd);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, INSTANCE_FILE);
	test_second_refused();
	test_dies_with_holder();
	test_stale_file();
	unlink(path);
	rmdir(dir);
	return check_done("test_instance");
}
