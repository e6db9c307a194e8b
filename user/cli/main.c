// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * telltale: per-service requests, latency and TCP connections from eBPF,
 * printed as JSON lines every interval, with the anomaly core's alerts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/collect.h"
#include "cli/config.h"
#include "cli/instance.h"
#include "core/core.h"
#include "out/emit.h"
#include "agent/loader.h"
#include "out/output.h"
#include "agent/privs.h"
#include "agent/probe.h"
#include "agent/procfs.h"
#include "cli/replay.h"
#include "cli/score.h"
#include "cli/telemetry.h"

#ifndef TT_VERSION
#define TT_VERSION "0.1.0"
#endif

#define BTF_PATH "/sys/kernel/btf/vmlinux"
/* stdout's reader left: what a shell reports for a filter killed by
 * SIGPIPE (128 + 13), so `telltale | head` ends as any pipeline does. */
#define EXIT_STDOUT_GONE 141

static volatile sig_atomic_t stop_requested, reopen_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen_requested = 1;
	else
		stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: the sleep must end when a signal arrives. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until monotonic time `until`, or until a signal arrives. */
static void sleep_until(double until)
{
	struct timespec ts = { .tv_sec = (time_t)until };

	ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
	while (!stop_requested && !reopen_requested &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Everything a running agent holds. */
struct agent {
	const struct config *cfg;
	struct loader loader;
	struct collector *col;
	struct core *core;
	struct output *out;
	struct cpu_times cpu;
	struct svc_sample *kept; /* samples that pass the port filters */
	double start_mono;
	int lock_fd; /* the single-instance lock, or -1 */
	bool started; /* the start line is out: a stop line follows */
};

/* Writes obj to a stream and frees it. Losses are counted by the sink and
 * reported in the agent's stats line, so a failed write does not stop us. */
static void put(struct agent *a, enum output_stream stream, cJSON *obj)
{
	if (!obj) {
		fprintf(stderr, "telltale: out of memory encoding a line\n");
		return;
	}
	output__line(a->out, stream, obj);
	cJSON_Delete(obj);
}

/* The core's lines are alerts, or agent lines about the core itself. */
static int put_core_line(const cJSON *line, void *ctx)
{
	struct agent *a = ctx;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(line, "type");
	bool alert = cJSON_IsString(type) && !strcmp(type->valuestring, "alert");

	/* The stream numbers the line, so work on a copy of the core's. */
	put(a, alert ? OUT_ALERTS : OUT_METRICS, cJSON_Duplicate(line, true));
	return 0;
}

static bool port_in(uint16_t port, const uint16_t *ports, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static bool watched(const struct config *cfg, uint16_t port)
{
	return (!cfg->n_include || port_in(port, cfg->include_ports, cfg->n_include)) &&
	       !port_in(port, cfg->exclude_ports, cfg->n_exclude);
}

/* One interval: every watched service's line, the host line, then what the
 * anomaly core makes of them. */
static int report_interval(struct agent *a, double interval_s)
{
	double ts = clock_s(CLOCK_REALTIME);
	struct host_sample h = { .ts = ts, .interval_s = interval_s };
	const struct svc_sample *s;
	size_t n, i, kept = 0;
	int err;

	err = collect__read(a->col, ts, interval_s, &s, &n);
	if (err) {
		fprintf(stderr, "telltale: reading the service map failed: %s\n", strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		if (!watched(a->cfg, s[i].id.port))
			continue;
		a->kept[kept++] = s[i];
		put(a, OUT_METRICS, emit__metrics(&s[i], a->cfg->host));
	}
	err = procfs__host("/proc", &a->cpu, &h);
	if (err)
		fprintf(stderr, "telltale: reading /proc failed: %s\n", strerror(-err));
	else
		put(a, OUT_METRICS, emit__host(&h, a->cfg->host));
	core__step(a->core, err ? NULL : &h, a->kept, kept, a->cfg->host, put_core_line, a);
	return 0;
}

static void report_stats(struct agent *a, bool stop)
{
	double uptime = clock_s(CLOCK_MONOTONIC) - a->start_mono;

	put(a, OUT_METRICS, telemetry__stats(clock_s(CLOCK_REALTIME), a->cfg->host, uptime, stop,
					     &a->loader, a->core, a->out));
}

/* Checks, takes the single-instance lock, opens the outputs, loads,
 * attaches, then drops privileges. Nothing is loaded before the outputs are
 * known to open. Returns 0, or a negative errno after printing the problem. */
static int agent_start(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct loader_opts lo = {
		.max_services = cfg->max_services,
		.max_sockets = cfg->max_sockets,
		.btf_path = cfg->btf_path[0] ? cfg->btf_path : NULL,
		.verbose = cfg->verbose,
	};
	struct sink_opts so = { .rotate_size = cfg->rotate_size, .rotate_keep = cfg->rotate_keep };
	int err;

	err = probe__privileges();
	if (err)
		return err;
	if (!cfg->allow_multiple) {
		a->lock_fd = instance__lock(INSTANCE_DIR);
		if (a->lock_fd < 0)
			return a->lock_fd;
	}
	a->out = output__open(cfg->metrics, cfg->alerts, &so);
	if (!a->out)
		return -errno;
	err = probe__btf(lo.btf_path ? lo.btf_path : BTF_PATH);
	if (!err)
		err = probe__tracefs();
	if (!err)
		err = loader__open(&a->loader, &lo);
	if (err)
		return err;
	a->col = collect__new(a->loader.svcs_fd, a->loader.owner_fd, cfg->max_services);
	a->kept = calloc(cfg->max_services, sizeof(*a->kept));
	a->core = core__new(&cfg->core);
	if (!a->col || !a->kept || !a->core) {
		err = -errno;
		fprintf(stderr, "telltale: cannot start: %s\n", strerror(errno));
		return err;
	}
	/* Everything that needs privileges is open: the maps are read
	 * through the descriptors we hold. */
	err = privs__drop(cfg->user);
	if (err)
		return err;
	put(a, OUT_METRICS, telemetry__start(clock_s(CLOCK_REALTIME), cfg->host, TT_VERSION,
					     &a->loader));
	a->started = true;
	return 0;
}

static void agent_stop(struct agent *a)
{
	int err;

	if (a->started)
		report_stats(a, true);
	if (a->out) {
		/* On stderr too: the stop line carrying them may be what was lost. */
		if (a->started)
			output__report(a->out, stderr);
		err = output__close(a->out);
		if (err)
			fprintf(stderr, "telltale: closing the outputs: %s\n", strerror(-err));
	}
	core__free(a->core);
	free(a->kept);
	collect__free(a->col);
	loader__close(&a->loader);
	instance__unlock(a->lock_fd);
}

static void handle_reopen(struct agent *a)
{
	int err;

	reopen_requested = 0;
	err = output__reopen(a->out);
	if (err)
		fprintf(stderr, "telltale: reopening the output files failed: %s\n",
			strerror(-err));
}

static int run_agent(const struct config *cfg)
{
	struct agent a = { .cfg = cfg, .loader = { .skel = NULL }, .lock_fd = -1 };
	double last, next, next_stats, now;
	bool gone;
	int err;

	install_signals();
	err = agent_start(&a);
	if (err)
		goto cleanup;
	procfs__cpu("/proc", &a.cpu);
	a.start_mono = last = clock_s(CLOCK_MONOTONIC);
	next = last + cfg->interval_s;
	next_stats = cfg->agent_interval_s > 0 ? last + cfg->agent_interval_s : 0;
	while (!stop_requested) {
		sleep_until(next);
		if (reopen_requested)
			handle_reopen(&a);
		now = clock_s(CLOCK_MONOTONIC);
		if (cfg->duration_s > 0 && now - a.start_mono >= cfg->duration_s)
			stop_requested = 1;
		/* A stop reports the last, partial interval; a SIGHUP alone
		 * does not end the interval. */
		if (now < next && !stop_requested)
			continue;
		err = report_interval(&a, now - last);
		if (err)
			goto cleanup;
		if (output__gone(a.out))
			break;
		last = now;
		while (next <= now)
			next += cfg->interval_s;
		if (next_stats && now >= next_stats) {
			report_stats(&a, false);
			while (next_stats <= now)
				next_stats += cfg->agent_interval_s;
		}
	}
cleanup:
	gone = a.out && output__gone(a.out);
	agent_stop(&a);
	if (gone)
		return EXIT_STDOUT_GONE;
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct config cfg;
	int rc;

	/* Offline commands: no kernel, no privileges. */
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "score"))
		return score__main(argc - 1, argv + 1);
	rc = config__load(&cfg, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!cfg.host[0] && gethostname(cfg.host, sizeof(cfg.host)))
		snprintf(cfg.host, sizeof(cfg.host), "unknown");
	return run_agent(&cfg);
}
