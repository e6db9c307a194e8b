// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Kernel test of the ways a program moves bytes, on every program set: each
 * socket call the syscall programs hook (read, readv, recv, recvmsg,
 * recvmmsg; write, writev, send, sendmsg, sendmmsg, sendfile) counts one
 * turn like any other; a non-blocking call that moves nothing (EAGAIN) and
 * a MSG_PEEK read start or end none; pipes and files are not sockets.
 * Needs root.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include "ktest.h"

/* Long enough that a client thread the scheduler holds back between its
 * send and its non-blocking read (CI on a loaded 2-CPU machine, at 2 ms:
 * the answer had come) still finds nothing there. */
#define DELAY_US 20000
#define REQ "ping"
#define RESP "pong-pong"
#define NSEND 6
#define NRECV 5

static int resp_file = -1; /* RESP in a file, for sendfile */

/* One send of len bytes with call k of NSEND. Returns what it returned. */
static ssize_t send_with(int k, int fd, const char *p, size_t len)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = msg };
	off_t off = 0;

	switch (k) {
	case 0: return send(fd, p, len, 0);
	case 1: return write(fd, p, len);
	case 2: return writev(fd, &iov, 1);
	case 3: return sendmsg(fd, &msg, 0);
	case 4: return sendmmsg(fd, &mm, 1, 0) == 1 ? (ssize_t)mm.msg_len : -1;
	default: return sendfile(fd, resp_file, &off, len);
	}
}

/* One receive into buf with call k of NRECV and flags (MSG_PEEK, or 0). */
static ssize_t recv_with(int k, int fd, char *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = msg };

	switch (k) {
	case 0: return recv(fd, buf, len, flags);
	case 1: return read(fd, buf, len);
	case 2: return readv(fd, &iov, 1);
	case 3: return recvmsg(fd, &msg, flags);
	default: return recvmmsg(fd, &mm, 1, flags, NULL) == 1 ? (ssize_t)mm.msg_len : -1;
	}
}

enum mode { CALLS, NONBLOCK, PEEK };

struct server {
	int lfd, turns, ready[2];
	uint16_t port;
	enum mode mode;
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	struct pollfd pfd = { .events = POLLIN };
	char buf[64];
	int fd, i;

	pthread_setname_np(pthread_self(), "tt-server");
	fd = accept(s->lfd, NULL, NULL);
	pfd.fd = fd;
	if (s->mode == NONBLOCK)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < s->turns; i++) {
		if (s->mode == NONBLOCK) {
			/* Nothing sent yet: EAGAIN, then the client may send. */
			CHECK(recv(fd, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);
			CHECK(write(s->ready[1], "r", 1) == 1);
			poll(&pfd, 1, 5000);
		}
		if (s->mode == PEEK) {
			CHECK(recv(fd, buf, 1, MSG_PEEK) == 1);
			usleep(DELAY_US);
		}
		if (recv_with(s->mode == CALLS ? i % NRECV : 0, fd, buf, sizeof(buf), 0) <= 0)
			break;
		if (s->mode == NONBLOCK)
			usleep(DELAY_US);
		/* Every send call but the one of the client's turn. */
		send_with(s->mode == CALLS ? NSEND - 1 - i % NSEND : 0, fd, RESP, sizeof(RESP) - 1);
	}
	close(fd);
	return NULL;
}

/* A connection of `turns` turns to a fresh server in mode m, closed; the
 * interval's samples of its two sides. */
static void run(enum mode m, int turns, struct svc_sample *srv, struct svc_sample *cli)
{
	struct server s = { .turns = turns, .mode = m };
	const struct svc_sample *all;
	size_t got, n;
	char buf[64];
	int fd, i;
	ssize_t r;

	CHECK(pipe(s.ready) == 0);
	s.lfd = listen_any(&s.port);
	pthread_create(&s.thread, NULL, serve, &s);
	read_interval(&all);
	fd = connect_to(s.port);
	pthread_setname_np(pthread_self(), "tt-client");
	for (i = 0; i < turns; i++) {
		if (m == NONBLOCK) {
			CHECK(read(s.ready[0], buf, 1) == 1);
			usleep(DELAY_US);
		}
		send_with(m == CALLS ? i % NSEND : 0, fd, REQ, sizeof(REQ) - 1);
		/* The answer is DELAY_US away: EAGAIN must not end the turn. */
		if (m == NONBLOCK)
			CHECK(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN);
		for (got = 0; got < sizeof(RESP) - 1; got += (size_t)r)
			if ((r = recv_with(m == CALLS ? i % NRECV : 0, fd, buf, sizeof(buf), 0)) <= 0)
				break;
	}
	close(fd);
	pthread_join(s.thread, NULL);
	close(s.lfd);
	close(s.ready[0]);
	close(s.ready[1]);
	usleep(20000);
	n = read_interval(&all);
	*srv = find(all, n, TT_ROLE_SERVER, s.port);
	*cli = find(all, n, TT_ROLE_CLIENT, s.port);
}

/* Each call on each side: one turn each, with every send and receive call
 * among them; and each data program counts its own events (the stats line's
 * "events"), every one having had calls. */
static void test_calls(const struct loader *l)
{
	struct svc_sample srv, cli;
	int i;

	run(CALLS, 2 * NSEND, &srv, &cli);
	printf("calls: server %lu, client %lu turns of %d\n", srv.requests, cli.requests,
	       2 * NSEND);
	CHECK(srv.requests == 2 * NSEND && cli.requests == 2 * NSEND);
	for (i = 0; i < LOADER_NPROGS; i++)
		if (l->progs[i].attached && progsets_hooks[i].role != HOOK_CONN &&
		    !hook_events(l, i)) {
			printf("no events counted for %s/%s\n", l->progs[i].category,
			       l->progs[i].name);
			CHECK(0);
		}
}

/* The server's EAGAIN read comes DELAY_US before the request, the client's
 * EAGAIN read DELAY_US before the answer: had either counted, the server's
 * latency would hold two delays and the client's none. */
static void test_nonblocking(void)
{
	struct svc_sample srv, cli;

	run(NONBLOCK, 5, &srv, &cli);
	printf("non-blocking: server p50 %.0f us, client p50 %.0f us (answer delay %d us)\n",
	       srv.lat_p50_us, cli.lat_p50_us, DELAY_US);
	CHECK(srv.requests == 5 && cli.requests == 5);
	CHECK(srv.lat_p50_us >= DELAY_US * 0.93 && srv.lat_p50_us < DELAY_US * 1.5);
	CHECK(cli.lat_p50_us >= DELAY_US * 0.93);
}

/* A MSG_PEEK read DELAY_US before the real one starts nothing: the server's
 * turn runs from its read to its answer, given at once. */
static void test_peek(void)
{
	struct svc_sample srv, cli;

	run(PEEK, 5, &srv, &cli);
	printf("peek: server p50 %.0f us, client p50 %.0f us (peek %d us before the read)\n",
	       srv.lat_p50_us, cli.lat_p50_us, DELAY_US);
	CHECK(srv.requests == 5 && cli.requests == 5);
	CHECK(srv.lat_p50_us < DELAY_US / 2);
	CHECK(cli.lat_p50_us >= DELAY_US * 0.93);
}

/* Bytes through a pipe and a file with the hooked calls create no socket
 * state (the syscall programs leave at the inode's mode). */
static void test_not_sockets(struct loader *l)
{
	char path[] = "/tmp/ktest-calls.XXXXXX", buf[64];
	uint64_t before = loader__counter(l, TT_CNT_SOCK_NEW);
	int p[2], f = mkstemp(path), i;

	CHECK(f >= 0 && pipe(p) == 0);
	unlink(path);
	for (i = 0; i < 100; i++) {
		CHECK(write(p[1], REQ, 4) == 4 && read(p[0], buf, sizeof(buf)) == 4);
		CHECK(write(f, REQ, 4) == 4);
	}
	lseek(f, 0, SEEK_SET);
	CHECK(read(f, buf, sizeof(buf)) > 0);
	close(p[0]);
	close(p[1]);
	close(f);
	CHECK(loader__counter(l, TT_CNT_SOCK_NEW) == before);
}

int main(void)
{
	char path[] = "/tmp/ktest-resp.XXXXXX";
	struct loader l;
	size_t i;
	int err;

	err = ktest_cannot_run();
	if (err)
		return err;
	signal(SIGPIPE, SIG_IGN);
	resp_file = mkstemp(path);
	unlink(path);
	if (resp_file < 0 || write(resp_file, RESP, sizeof(RESP) - 1) != sizeof(RESP) - 1) {
		perror("response file");
		return 1;
	}
	for (i = 0; i < KTEST_NSETS; i++) {
		if (!ktest_want(ktest_sets[i]))
			continue;
		printf("-- %s programs\n", ktest_sets[i]);
		if (load(&l, ktest_sets[i], 0))
			continue;
		test_calls(&l);
		test_nonblocking();
		test_peek();
		test_not_sockets(&l);
		unload(&l);
	}
	close(resp_file);
	return check_done("ktest_calls");
}
