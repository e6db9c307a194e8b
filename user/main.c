// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * telltale: per-service requests, latency and TCP connections from eBPF,
 * printed as JSON lines every interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "core.h"
#include "emit.h"
#include "loader.h"
#include "probe.h"
#include "procfs.h"
#include "replay.h"
#include "score.h"

#ifndef TT_VERSION
#define TT_VERSION "0.1.0"
#endif

#define BTF_PATH "/sys/kernel/btf/vmlinux"

struct options {
	double interval_s;
	double duration_s; /* 0: until a signal */
	char host[HOST_NAME_MAX + 1];
	struct loader_opts loader;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: telltale [OPTIONS]            run the agent (root)\n"
		"\n"
		"  -i, --interval SECONDS   collection interval, 0.1..3600 (default 1)\n"
		"  -d, --duration SECONDS   stop after this long (default: run until SIGINT/SIGTERM)\n"
		"  -H, --host NAME          host name in every line (default: gethostname)\n"
		"      --max-services N     services tracked in the kernel, 16..65536 (default %d)\n"
		"      --max-sockets N      sockets tracked in the kernel, 1024..4194304 (default %d)\n"
		"      --btf PATH           kernel BTF for CO-RE (default " BTF_PATH ")\n"
		"  -v, --verbose            print libbpf's debug output\n"
		"  -V, --version            print the version and exit\n"
		"  -h, --help               print this help and exit\n",
		TT_MAX_SERVICES, TT_MAX_SOCKETS);
}

/* Parses a number in [lo, hi] or prints what was wrong. */
static int parse_num(const char *opt, const char *arg, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, "telltale: %s: '%s' is not a number from %g to %g\n", opt, arg, lo,
			hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (help, version), 2 on a usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_MAX_SERVICES = 256, OPT_MAX_SOCKETS, OPT_BTF };
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ "max-services", required_argument, NULL, OPT_MAX_SERVICES },
		{ "max-sockets", required_argument, NULL, OPT_MAX_SOCKETS },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "i:d:H:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_num("--interval", optarg, 0.1, 3600, &o->interval_s))
				return 2;
			break;
		case 'd':
			if (parse_num("--duration", optarg, 0, 1e9, &o->duration_s))
				return 2;
			break;
		case 'H':
			snprintf(o->host, sizeof(o->host), "%s", optarg);
			break;
		case OPT_MAX_SERVICES:
			if (parse_num("--max-services", optarg, 16, 65536, &v))
				return 2;
			o->loader.max_services = (uint32_t)v;
			break;
		case OPT_MAX_SOCKETS:
			if (parse_num("--max-sockets", optarg, 1024, 4194304, &v))
				return 2;
			o->loader.max_sockets = (uint32_t)v;
			break;
		case OPT_BTF:
			o->loader.btf_path = optarg;
			break;
		case 'v':
			o->loader.verbose = true;
			break;
		case 'V':
			printf("telltale %s\n", TT_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "telltale: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return 0;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until monotonic time `until`, or until a signal asks us to stop. */
static void sleep_until(double until)
{
	struct timespec ts = { .tv_sec = (time_t)until };

	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	while (!stop_requested && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: the sleep must end when a signal arrives. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int print_line(cJSON *obj)
{
	int err;

	if (!obj)
		return -ENOMEM;
	err = emit__line(stdout, obj);
	cJSON_Delete(obj);
	return err;
}

static int print_core_line(const cJSON *line, void *ctx)
{
	(void)ctx;
	return emit__line(stdout, line);
}

/* One interval: every active service's line, the host line, then what the
 * anomaly core makes of them. */
static int report_interval(struct collector *col, struct core *core, struct cpu_times *cpu,
			   double interval_s, const char *host)
{
	double ts = clock_s(CLOCK_REALTIME);
	struct host_sample h = { .ts = ts, .interval_s = interval_s };
	const struct svc_sample *s;
	size_t n, i;
	int err;

	err = collect__read(col, ts, interval_s, &s, &n);
	if (err) {
		fprintf(stderr, "telltale: reading the service map failed: %s\n", strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++)
		print_line(emit__metrics(&s[i], host));
	err = procfs__host("/proc", cpu, &h);
	if (err)
		fprintf(stderr, "telltale: reading /proc failed: %s\n", strerror(-err));
	else
		print_line(emit__host(&h, host));
	err = core__step(core, err ? NULL : &h, s, n, host, print_core_line, NULL);
	if (err)
		fprintf(stderr, "telltale: writing alerts failed: %s\n", strerror(-err));
	return 0;
}

static int run_agent(const struct options *o)
{
	struct collector *col = NULL;
	struct core_config core_cfg;
	struct core *core = NULL;
	struct cpu_times cpu = { 0 };
	struct loader l = { .skel = NULL };
	double start, last, next, now;
	int err;

	err = probe__privileges();
	if (!err)
		err = probe__btf(o->loader.btf_path ? o->loader.btf_path : BTF_PATH);
	if (!err)
		err = probe__tracefs();
	if (err)
		return 1;
	err = loader__open(&l, &o->loader);
	if (err)
		return 1;
	col = collect__new(l.svcs_fd, o->loader.max_services ? o->loader.max_services
							      : TT_MAX_SERVICES);
	if (!col) {
		err = -errno;
		fprintf(stderr, "telltale: %s\n", strerror(errno));
		goto cleanup;
	}
	core__default_config(&core_cfg);
	core = core__new(&core_cfg);
	if (!core) {
		err = -errno;
		fprintf(stderr, "telltale: cannot start the anomaly core: %s\n", strerror(errno));
		goto cleanup;
	}
	install_signals();
	procfs__cpu("/proc", &cpu);
	start = last = clock_s(CLOCK_MONOTONIC);
	next = start + o->interval_s;
	while (!stop_requested) {
		sleep_until(next);
		now = clock_s(CLOCK_MONOTONIC);
		if (o->duration_s > 0 && now - start >= o->duration_s)
			stop_requested = 1;
		/* On a stop this reports the last, partial interval. */
		err = report_interval(col, core, &cpu, now - last, o->host);
		if (err)
			goto cleanup;
		last = now;
		while (next <= now)
			next += o->interval_s;
	}
cleanup:
	core__free(core);
	collect__free(col);
	loader__close(&l);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o = { .interval_s = 1.0 };
	int rc;

	/* Offline commands: no kernel, no privileges. */
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "score"))
		return score__main(argc - 1, argv + 1);
	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!o.host[0] && gethostname(o.host, sizeof(o.host)))
		snprintf(o.host, sizeof(o.host), "unknown");
	return run_agent(&o);
}
