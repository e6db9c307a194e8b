// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A client with a fixed request rate, for the live anomaly test (wrk sends as
 * fast as the server answers, so its rate follows the latency):
 *
 *   loadgen PORT RATE CONNS SECONDS
 *
 * opens CONNS connections to 127.0.0.1:PORT and sends RATE requests/s in
 * total, each connection one line "x\n" every CONNS/RATE s on a fixed
 * schedule (the connections' phases spread evenly), waiting for the "ok\n"
 * answer in between. A request whose slot came while the previous answer was
 * still awaited goes out at once and is counted late: as long as none is
 * late, the rate is exact whatever the server's latency. Runs SECONDS (0:
 * until SIGINT or SIGTERM), then prints one JSON line
 * {"completed":N,"late":N,"errors":N,"mean_us":X,"max_us":X}.
 * Exits 0, 1 when a connection failed, 2 on bad usage. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256

struct conn {
	pthread_t th;
	int64_t first_ns; /* this connection's first slot, CLOCK_MONOTONIC */
	uint64_t completed;
	uint64_t late;
	uint64_t errors;
	uint64_t sum_ns;
	uint64_t max_ns;
};

static struct sockaddr_in addr = { .sin_family = AF_INET };
static int64_t period_ns, end_ns;
static volatile sig_atomic_t stop;

static void usage(void)
{
	fprintf(stderr, "usage: loadgen PORT RATE CONNS SECONDS\n");
	exit(2);
}

static double num(const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		usage();
	return v;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One request/response turn; returns 0 or -1 on a broken connection. */
static int turn(int fd)
{
	char buf[64];
	ssize_t n;

	while ((n = write(fd, "x\n", 2)) < 0 && errno == EINTR)
		;
	if (n != 2)
		return -1;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (buf[n - 1] == '\n')
			return 0;
	}
}

static void *run(void *arg)
{
	struct conn *c = arg;
	int64_t slot = c->first_ns, t, d;
	struct timespec ts;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		c->errors++;
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (!stop && (!end_ns || slot < end_ns)) {
		t = now_ns();
		if (t < slot) {
			ts.tv_sec = slot / 1000000000;
			ts.tv_nsec = slot % 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			if (stop)
				break;
		} else if (t - slot > period_ns / 10) {
			c->late++;
		}
		t = now_ns();
		if (turn(fd)) {
			c->errors++;
			break;
		}
		d = now_ns() - t;
		c->completed++;
		c->sum_ns += (uint64_t)d;
		if ((uint64_t)d > c->max_ns)
			c->max_ns = (uint64_t)d;
		slot += period_ns;
	}
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t completed = 0, late = 0, errors = 0, sum = 0, max = 0;
	double rate, secs;
	unsigned n, i;
	int64_t start;
	int err;

	if (argc != 5)
		usage();
	addr.sin_port = htons((uint16_t)num(argv[1], 1, 65535));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rate = num(argv[2], 1, 1e6);
	n = (unsigned)num(argv[3], 1, MAX_CONNS);
	secs = num(argv[4], 0, 86400);
	period_ns = (int64_t)(1e9 * n / rate);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	start = now_ns() + 10000000; /* every connection is open by then */
	end_ns = secs > 0 ? start + (int64_t)(secs * 1e9) : 0;
	for (i = 0; i < n; i++) {
		conns[i].first_ns = start + period_ns * i / n;
		err = pthread_create(&conns[i].th, NULL, run, &conns[i]);
		if (err) {
			fprintf(stderr, "loadgen: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(conns[i].th, NULL);
		completed += conns[i].completed;
		late += conns[i].late;
		errors += conns[i].errors;
		sum += conns[i].sum_ns;
		if (conns[i].max_ns > max)
			max = conns[i].max_ns;
	}
	printf("{\"completed\":%llu,\"late\":%llu,\"errors\":%llu,\"mean_us\":%.1f,\"max_us\":%.1f}\n",
	       (unsigned long long)completed, (unsigned long long)late,
	       (unsigned long long)errors, completed ? sum / 1e3 / completed : 0.0, max / 1e3);
	return errors ? 1 : 0;
}
