// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * telltale: per-service requests, latency and TCP connections from eBPF,
 * printed as JSON lines every interval, with the anomaly core's alerts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/collect.h"
#include "agent/workload.h"
#include "cli/config.h"
#include "cli/filter.h"
#include "cli/instance.h"
#include "core/core.h"
#include "out/alertmanager.h"
#include "out/emit.h"
#include "out/http.h"
#include "out/prom.h"
#include "agent/loader.h"
#include "out/output.h"
#include "agent/privs.h"
#include "agent/probe.h"
#include "agent/procfs.h"
#include "agent/slots.h"
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
	struct workload *wl;
	struct core *core;
	struct output *out;
	struct cpu_times cpu;
	struct svc_sample *kept; /* samples that pass the port filters */
	double start_mono, start_ts;
	int listen_fd;		  /* the endpoint's socket until the server takes it */
	struct prom_state *prom;  /* NULL without --listen */
	struct http_server *http;
	struct am *am;		  /* NULL without --alertmanager */
	struct telemetry_maps maps;
	bool prom_oom, prom_oom_said; /* an alert line was lost to it; said once */
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

	/* The exporters follow the alerts; the lines stay the source of truth
	 * and are written whatever they do. */
	if (alert && a->am)
		am__alert(a->am, line);
	if (alert && a->prom && prom__alert_line(a->prom, line))
		a->prom_oom = true;
	/* The stream numbers the line, so work on a copy of the core's. */
	put(a, alert ? OUT_ALERTS : OUT_METRICS, cJSON_Duplicate(line, true));
	return 0;
}

/* One line per watched service that retired in the interval; the core
 * drops its state after resolving what still fires, and the endpoint its
 * series. */
static void report_retired(struct agent *a, double ts)
{
	const struct svc_id *ids;
	size_t n, i;

	collect__retired(a->col, &ids, &n);
	for (i = 0; i < n; i++) {
		if (!filter__watched(a->cfg, &ids[i]))
			continue;
		put(a, OUT_METRICS, emit__retired(&ids[i], ts, a->cfg->service_idle_s, a->cfg->host));
		core__forget(a->core, &ids[i], put_core_line, a);
		if (a->prom)
			prom__forget(a->prom, &ids[i]);
	}
}

/* The interval's Prometheus snapshot, or NULL when out of memory (said
 * once). h is NULL when /proc could not be read. */
static struct prom_snap *snapshot(struct agent *a, double ts, double interval_s,
				  const struct host_sample *h, size_t kept)
{
	float hscores[METRIC_COUNT - METRIC_SVC_COUNT];
	struct prom_snap *snap;
	struct core_view v;
	size_t i;
	int err = 0;

	for (i = 0; i < kept; i++)
		err |= prom__service(a->prom, &a->kept[i],
				     core__view(a->core, &a->kept[i].id, &v) ? NULL : &v);
	if (h) {
		core__host_scores(a->core, hscores);
		prom__host(a->prom, h, hscores);
	}
	err |= telemetry__prom(a->prom, &a->maps, clock_s(CLOCK_MONOTONIC), a->start_ts, TT_VERSION,
			       &a->loader, a->core, a->out, a->am);
	snap = prom__snapshot(a->prom, ts, interval_s);
	if ((err || !snap || a->prom_oom) && !a->prom_oom_said) {
		a->prom_oom_said = true;
		fprintf(stderr, "telltale: out of memory building the Prometheus snapshot; "
				"/metrics serves the last complete one\n");
	}
	return snap;
}

/* Handed to the HTTP thread: the loop's only cost of the endpoint. */
static void publish(struct agent *a, double ts, double interval_s, const struct host_sample *h,
		    size_t kept)
{
	struct prom_snap *snap = snapshot(a, ts, interval_s, h, kept);

	if (snap)
		http__publish(a->http, snap);
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
		if (!filter__watched(a->cfg, &s[i].id))
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
	report_retired(a, ts);
	if (a->prom)
		publish(a, ts, interval_s, err ? NULL : &h, kept);
	return 0;
}

static void report_stats(struct agent *a, bool stop)
{
	double uptime = clock_s(CLOCK_MONOTONIC) - a->start_mono;

	struct telemetry_exp exp = { .col = a->col, .am = a->am, .http = a->http, .prom = a->prom };

	put(a, OUT_METRICS, telemetry__stats(clock_s(CLOCK_REALTIME), a->cfg->host, uptime, stop,
					     &a->loader, a->core, a->out, &exp));
}

static int open_listener(struct agent *a)
{
	const char *spec = a->cfg->prom.listen;

	if (!spec[0])
		return 0;
	a->listen_fd = http__listen(spec);
	if (a->listen_fd >= 0)
		return 0;
	fprintf(stderr, "telltale: cannot serve Prometheus metrics on %s: %s%s\n", spec,
		strerror(-a->listen_fd),
		a->listen_fd == -EADDRINUSE ?
			" (another process listens there: stop it, or choose another port with "
			"--listen or prometheus.listen)" :
		a->listen_fd == -EADDRNOTAVAIL ? " (no interface of this host has that address)" :
		a->listen_fd == -EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "");
	return a->listen_fd;
}

static int start_exporters(struct agent *a)
{
	const struct config *cfg = a->cfg;
	int err;

	a->start_ts = clock_s(CLOCK_REALTIME);
	if (cfg->prom.listen[0]) {
		a->prom = prom__new(&cfg->prom, cfg->core.stale_intervals, a->start_ts);
		/* Served until the first interval ends: the agent's own series.
		 * /healthz fails once three intervals went by unpublished. */
		a->http = a->prom ? http__start(a->listen_fd, 3 * cfg->interval_s + 2,
						snapshot(a, a->start_ts, 0, NULL, 0)) : NULL;
		a->listen_fd = -1;
		if (!a->http) {
			err = -errno;
			fprintf(stderr, "telltale: cannot start the Prometheus endpoint: %s\n",
				strerror(errno));
			return err;
		}
	}
	if (cfg->am.n_urls) {
		a->am = am__start(&cfg->am, cfg->host);
		if (!a->am) {
			err = -errno;
			fprintf(stderr, "telltale: cannot start the Alertmanager sender: %s\n",
				strerror(errno));
			return err;
		}
	}
	return 0;
}

/* --print-memory: nothing loaded, no privileges needed. */
static int print_memory(const struct config *cfg)
{
	struct loader_opts lo = { .max_services = cfg->max_services,
				  .max_sockets = cfg->max_sockets };
	int err = loader__print_memory(&lo, stdout);

	if (err)
		fprintf(stderr, "telltale: cannot size the maps: %s\n", strerror(-err));
	return err ? 1 : 0;
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
	/* Before anything is loaded: a port in use ends the start cleanly. */
	if (!err)
		err = open_listener(a);
	if (!err)
		err = loader__open(&a->loader, &lo);
	if (err)
		return err;
	a->col = collect__new(a->loader.svcs_fd, a->loader.shared_fd, a->loader.owner_fd,
				 a->loader.slots);
	a->wl = workload__new(&(struct workload_opts){ .min_walk_gap_s = 1 });
	a->kept = calloc(a->loader.slots, sizeof(*a->kept));
	a->core = core__new(&cfg->core);
	if (a->col && collect__set_socks(a->col, a->loader.socks_fd, a->loader.counters_fd,
					 a->loader.max_sockets)) {
		collect__free(a->col);
		a->col = NULL;
		errno = ENOMEM;
	}
	if (!a->col || !a->wl || !a->kept || !a->core) {
		err = -errno;
		fprintf(stderr, "telltale: cannot start: %s\n", strerror(errno));
		return err;
	}
	/* Everything that needs privileges is open: the maps are read
	 * through the descriptors we hold. */
	err = privs__drop(cfg->user, a->loader.owner_fd);
	if (err)
		return err;
	collect__set_workload(a->col, a->wl);
	collect__set_idle(a->col, cfg->service_idle_s, &slots_ops, &a->loader);
	/* After the drop: the walker thread must not keep capabilities. */
	err = workload__start(a->wl);
	if (err)
		fprintf(stderr, "telltale: cannot start the cgroup walker (%s); services are named by "
				"their cgroup ids only\n", strerror(-err));
	/* Threads start once the process holds nothing it does not need:
	 * capabilities are per thread. */
	err = start_exporters(a);
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

	/* Alerts of the last interval get a moment to reach Alertmanager;
	 * the stop line then carries the final counts. */
	am__stop(a->am, 2.0);
	http__stop(a->http);
	a->http = NULL;
	if (a->listen_fd >= 0)
		close(a->listen_fd);
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
	am__free(a->am);
	prom__free(a->prom);
	core__free(a->core);
	free(a->kept);
	collect__free(a->col);
	workload__free(a->wl);
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
	struct agent a = { .cfg = cfg, .loader = { .skel = NULL }, .lock_fd = -1, .listen_fd = -1 };
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
		/* A SIGTERM can come within a millisecond of the last tick:
		 * that last interval is reported as 1 ms, the lines'
		 * resolution (interval_s > 0 in the schema; CI saw a 0). */
		err = report_interval(&a, fmax(now - last, 0.001));
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

/* A descriptor 0, 1 or 2 closed at start would be taken by the next file
 * opened (the lock file, a map, the input), and the lines meant for stdout
 * written into it: each closed one is held by /dev/null instead. Returns
 * -1 if that fails, else whether stdout was closed. */
static int hold_std_fds(void)
{
	bool out_closed = false;
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		out_closed |= fd == STDOUT_FILENO;
		/* The lowest free descriptor: fd itself. */
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			return -1;
	}
	return out_closed;
}

/* With stdout closed, a stream bound for it would be lost whole. */
static bool stdout_needed(const struct config *cfg)
{
	const char *name = !strcmp(cfg->metrics, "-") ? "metrics" :
			   !strcmp(cfg->alerts, "-")  ? "alerts" : NULL;

	if (name)
		fprintf(stderr, "telltale: standard output is closed, and the %s output is stdout: "
				"give --%s a file (or none), or start the agent with stdout open\n",
			name, name);
	return name != NULL;
}

int main(int argc, char **argv)
{
	static struct config cfg;
	int rc, out_closed = hold_std_fds();

	if (out_closed < 0) {
		fprintf(stderr, "telltale: standard input, output or error is closed, and "
				"/dev/null cannot stand in for it: %s\n", strerror(errno));
		return 1;
	}
	/* Offline commands: no kernel, no privileges; they write to stdout. */
	if (argc > 1 && (!strcmp(argv[1], "replay") || !strcmp(argv[1], "score")) && out_closed) {
		fprintf(stderr, "telltale %s: standard output is closed: run it with stdout open "
				"or redirected to a file\n", argv[1]);
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "replay"))
		return replay__main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "score"))
		return score__main(argc - 1, argv + 1);
	rc = config__load(&cfg, argc, argv);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (out_closed && !cfg.check_config && !cfg.print_config && stdout_needed(&cfg))
		return 1;
	if (cfg.print_memory)
		return print_memory(&cfg);
	if (!cfg.host[0] && gethostname(cfg.host, sizeof(cfg.host)))
		snprintf(cfg.host, sizeof(cfg.host), "unknown");
	return run_agent(&cfg);
}
