// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A TCP request/response server with a delay knob, for the live anomaly test:
 *
 *   delay_server PORT NORMAL_US SLOW_US
 *
 * listens on 127.0.0.1:PORT, one thread per connection; every request (one
 * line ending in '\n') is answered with "ok\n" after the current delay.
 * SIGUSR1 switches to SLOW_US, SIGUSR2 back to NORMAL_US; SIGINT and SIGTERM
 * stop it. Each switch is logged on stderr with the time it took effect.
 * Exits 0, 1 when it cannot listen, 2 on bad usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_llong delay_ns;
static long long normal_ns, slow_ns;
static int listen_fd = -1;

static void usage(void)
{
	fprintf(stderr, "usage: delay_server PORT NORMAL_US SLOW_US\n");
	exit(2);
}

static unsigned long num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		usage();
	return v;
}

/* Sleeps ns, resuming after signals. */
static void pause_ns(long long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[4096];
	ssize_t n, i;

	/* The default 50 us timer slack would add a random 0..50 us to every
	 * delay; the latency model should see the knob, not the slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			pause_ns(atomic_load(&delay_ns));
			if (write_all(fd, "ok\n", 3))
				goto out;
		}
	}
out:
	close(fd);
	return NULL;
}

/* Owns the signals: the knob and shutdown, so no worker is interrupted. */
static void *knob(void *arg)
{
	sigset_t *set = arg;
	struct timespec now;
	int sig;

	for (;;) {
		if (sigwait(set, &sig))
			continue;
		if (sig == SIGUSR1 || sig == SIGUSR2) {
			atomic_store(&delay_ns, sig == SIGUSR1 ? slow_ns : normal_ns);
			clock_gettime(CLOCK_REALTIME, &now);
			fprintf(stderr, "delay_server: %s %lld us at %lld.%06ld\n",
				sig == SIGUSR1 ? "slow" : "normal",
				(sig == SIGUSR1 ? slow_ns : normal_ns) / 1000, (long long)now.tv_sec,
				now.tv_nsec / 1000);
			continue;
		}
		shutdown(listen_fd, SHUT_RDWR);
		exit(0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	sigset_t set;
	pthread_t th;
	int one = 1, fd, err;

	if (argc != 4)
		usage();
	addr.sin_port = htons((uint16_t)num(argv[1], 65535));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	normal_ns = (long long)num(argv[2], 10000000) * 1000;
	slow_ns = (long long)num(argv[3], 10000000) * 1000;
	atomic_store(&delay_ns, normal_ns);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(listen_fd, 128)) {
		perror("delay_server: listen");
		return 1;
	}
	err = pthread_create(&th, NULL, knob, &set);
	if (err) {
		fprintf(stderr, "delay_server: pthread_create: %s\n", strerror(err));
		return 1;
	}
	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		err = pthread_create(&th, NULL, serve, (void *)(long)fd);
		if (err) {
			close(fd);
			continue;
		}
		pthread_detach(th);
	}
	return 0;
}
