// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The loopback traffic of tests/kernels/vmboot.sh, linked statically so the
 * VM's initramfs needs no library for it: a server answering each request
 * with one response, and a client making request/response turns, so the
 * agent counts one request per turn on either side.
 *
 *   vmecho serve PORT     answer "ping" with "pong", connection after
 *                         connection, until killed
 *   vmecho ask PORT N     one connection, N turns; exits 0 when all N were
 *                         answered
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ "ping"
#define RESP "pong"

static int usage(void)
{
	fprintf(stderr, "usage: vmecho serve PORT | vmecho ask PORT N\n");
	return 2;
}

static struct sockaddr_in loopback(unsigned long port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return a;
}

/* Answers each read on fd with RESP until the peer closes. */
static void answer(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		if (write(fd, RESP, sizeof(RESP) - 1) != sizeof(RESP) - 1)
			break;
}

static int serve(unsigned long port)
{
	struct sockaddr_in a = loopback(port);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, fd;

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 64)) {
		perror("vmecho: listen");
		return 1;
	}
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			perror("vmecho: accept");
			return 1;
		}
		answer(fd);
		close(fd);
	}
}

/* Each turn sends the whole request before reading, and reads until the
 * whole response is in, so the agent sees exactly n turns. */
static int ask(unsigned long port, unsigned long n)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned long done = 0;
	char buf[sizeof(RESP)];
	size_t got;
	ssize_t r;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("vmecho: connect");
		return 1;
	}
	for (; done < n; done++) {
		if (write(fd, REQ, sizeof(REQ) - 1) != sizeof(REQ) - 1)
			break;
		for (got = 0; got < sizeof(RESP) - 1; got += (size_t)r) {
			r = read(fd, buf + got, sizeof(RESP) - 1 - got);
			if (r <= 0)
				break;
		}
		if (got < sizeof(RESP) - 1)
			break;
	}
	close(fd);
	printf("vmecho: %lu of %lu turns\n", done, n);
	return done == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned long port;

	if (argc < 3)
		return usage();
	port = strtoul(argv[2], NULL, 10);
	if (!port || port > 65535)
		return usage();
	if (!strcmp(argv[1], "serve") && argc == 3)
		return serve(port);
	if (!strcmp(argv[1], "ask") && argc == 4)
		return ask(port, strtoul(argv[3], NULL, 10));
	return usage();
}
