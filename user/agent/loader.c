// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/loader.h"
#include "agent/mapmem.h"
#include "agent/percpu.h"
#include "agent/procfs.h"
#include "agent/probe.h"
#include "agent/progsets.h"
#include "agent/refusal.h"
#include "telltale.h"
#include "telltale.skel.h"

static bool libbpf_verbose, libbpf_quiet;
static struct refusal refusal; /* of the load in progress */

/* libbpf explains its failures at warning level; keep those, drop the debug
 * chatter and the verifier's log unless asked, and everything while probing.
 * Each message is read for what the kernel refused, to name it at the end. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char *msg;
	bool log;

	if (vasprintf(&msg, fmt, args) < 0)
		return 0;
	log = refusal__note(&refusal, msg);
	if (!libbpf_quiet && (libbpf_verbose || (level != LIBBPF_DEBUG && !log)))
		fputs(msg, stderr);
	free(msg);
	return 0;
}

/* Notes which tracepoints exist. Returns how many of the hooks every set
 * needs (connections, resets, retransmits) or the socket data ones do. */
static int probe_tracepoints(struct loader *l)
{
	int i, left = 0;

	for (i = 0; i < LOADER_NPROGS; i++) {
		const struct hook *h = &progsets_hooks[i];

		l->progs[i].exists = probe__tracepoint(h->category, h->name);
		if (l->progs[i].exists && h->role != HOOK_SYS_DATA)
			left++;
	}
	return left;
}

/* What the request programs call beyond the basics, probed once. */
struct needs {
	bool task_pt_regs;
	bool rdonly_cast;
};

/* Whether the kernel has what set s's request programs need: one of their
 * tracepoints at least, and the helper and kfunc they call. */
static bool data_ready(const struct loader *l, const struct progset *s, const struct needs *n)
{
	bool any = false;
	int i;

	for (i = 0; i < LOADER_NPROGS; i++)
		if (progsets_hooks[i].role == s->data && l->progs[i].exists)
			any = true;
	return any && (!s->task_pt_regs || n->task_pt_regs) && (!s->rdonly_cast || n->rdonly_cast);
}

/* Test-only: TELLTALE_FAULT=prog:NAME loads program NAME as a socket filter,
 * whose context and helpers it does not use, so the verifier refuses it for
 * real; TELLTALE_FAULT=map:NAME asks the kernel for a map of 0 entries,
 * which it refuses. Faults the agent must report cleanly, on demand. */
static void inject_fault(struct telltale_bpf *skel)
{
	const char *f = getenv("TELLTALE_FAULT");
	struct bpf_program *prog;
	struct bpf_map *map;

	if (!f)
		return;
	if (!strncmp(f, "prog:", 5)) {
		prog = bpf_object__find_program_by_name(skel->obj, f + 5);
		if (prog)
			bpf_program__set_type(prog, BPF_PROG_TYPE_SOCKET_FILTER);
	} else if (!strncmp(f, "map:", 4)) {
		map = bpf_object__find_map_by_name(skel->obj, f + 4);
		if (map)
			bpf_map__set_max_entries(map, 0);
	}
}

/* Kernel memory the maps to be created take with ncpus possible CPUs. */
static uint64_t maps_bytes(const struct bpf_object *obj, int ncpus)
{
	const struct bpf_map *m;
	uint64_t sum = 0;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__autocreate(m))
			sum += mapmem__bytes(m, ncpus > 0 ? ncpus : 1);
	return sum;
}

/* Sizes every map as configured, for a set that keeps socket state in the
 * table (btf) or in the hash. */
static void size_maps(const struct loader *l, struct telltale_bpf *skel, bool btf)
{
	bpf_map__set_max_entries(skel->maps.svcs, l->slots);
	bpf_map__set_max_entries(skel->maps.svc_shared, l->slots);
	bpf_map__set_max_entries(skel->maps.svc_owner, l->slots);
	bpf_map__set_max_entries(skel->maps.svc_index, l->slots);
	bpf_map__set_max_entries(skel->maps.svc_free, l->max_services);
	skel->rodata->targ_max_services = l->max_services;
	bpf_map__set_max_entries(skel->maps.socks, l->max_sockets);
	bpf_map__set_autocreate(skel->maps.socks, !btf);
	bpf_map__set_max_entries(skel->maps.sock_table, l->sock_table_size);
	bpf_map__set_autocreate(skel->maps.sock_table, btf);
	bpf_map__set_max_entries(skel->maps.listen_ports, l->listen_size);
	skel->rodata->targ_sock_set_mask = l->sock_table_size / TT_SOCK_WAYS - 1;
}

/* Opens the object and loads set s (its request programs only if `data`).
 * Returns 0 or a negative errno; on failure the skeleton is destroyed. */
static int load_set(struct loader *l, const struct loader_opts *opts, const struct progset *s,
		    bool data)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = opts->btf_path);
	struct bpf_program *prog;
	int i, err;

	l->skel = telltale_bpf__open_opts(&open_opts);
	if (!l->skel) {
		err = -errno;
		fprintf(stderr, "telltale: cannot open the BPF object: %s\n", strerror(-err));
		return err;
	}
	size_maps(l, l->skel, s->btf);
	bpf_object__for_each_program(prog, l->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < LOADER_NPROGS; i++) {
		const struct hook *h = &progsets_hooks[i];

		l->progs[i].used = progsets__uses(s, h);
		l->progs[i].attached = l->progs[i].used && l->progs[i].exists &&
				       (data || h->role == HOOK_CONN);
		prog = bpf_object__find_program_by_name(l->skel->obj, progsets__prog(s, h));
		if (prog)
			bpf_program__set_autoload(prog, l->progs[i].attached);
	}
	inject_fault(l->skel);
	l->maps_bytes = maps_bytes(l->skel->obj, libbpf_num_possible_cpus());
	memset(&refusal, 0, sizeof(refusal));
	err = telltale_bpf__load(l->skel);
	if (err) {
		telltale_bpf__destroy(l->skel);
		l->skel = NULL;
		return err;
	}
	l->hooks = s->name;
	l->btf = s->btf;
	l->stack_regs = s->stack_regs;
	return 0;
}

/* Says what the kernel refused in one program set, and what to do. */
static void report_refusal(const struct loader *l, const char *set, const struct refusal *r,
			   int err, bool verbose)
{
	double mib = (double)l->maps_bytes / (1 << 20);

	if (!strcmp(r->kind, "map") && (r->err == -ENOMEM || r->err == -EPERM || err == -ENOMEM)) {
		fprintf(stderr, "telltale: the kernel refused the %s set's map %s for memory (%s): "
				"BPF maps are charged to the agent's memory cgroup (memory.max; "
				"memory.limit_in_bytes on cgroup v1), "
				"or on kernels before 5.11 to RLIMIT_MEMLOCK, and these take %.1f MiB "
				"and more; lower --max-sockets (now %u) or --max-services (now %u), "
				"or raise that limit\n", set, r->name, r->error, mib, l->max_sockets,
			l->max_services);
	} else if (r->kind[0]) {
		fprintf(stderr, "telltale: the kernel refused the %s set's %s %s: %s%s%s%s\n", set,
			r->kind, r->name, r->error, r->reason[0] ? ": " : "", r->reason,
			verbose		       ? ""
			: strcmp(r->kind, "map") ? "; rerun with --verbose for the verifier's log"
						 : "; rerun with --verbose for libbpf's log");
	} else {
		fprintf(stderr, "telltale: the kernel refused telltale's %s programs: %s%s\n", set,
			strerror(-err), verbose ? "" : "; rerun with --verbose for the verifier log");
	}
}

/* A set the kernel refused, and why. */
struct attempt {
	const char *set;
	struct refusal r;
	int err;
	uint64_t bytes;
};

/*
 * The first set, in the order of progsets_sets, whose request programs the
 * kernel supports and which loads; libbpf is quiet meanwhile. The syscall
 * programs stand in for the socket data tracepoints where those are missing.
 * A kernel with no request source at all gets a set without request
 * programs: connections only. TELLTALE_HOOKS names the sets to try (tests
 * use it). When every set tried is refused, says why for each.
 */
static int load_programs(struct loader *l, const struct loader_opts *opts)
{
	const char *want = getenv("TELLTALE_HOOKS");
	struct attempt tried[2 * PROGSETS_NSETS];
	bool ready[PROGSETS_NSETS], sock_ready = false;
	int i, pass, n = 0, err = -ENOENT;
	struct needs nd;

	libbpf_quiet = !opts->verbose;
	nd.task_pt_regs = probe__helper(BPF_FUNC_task_pt_regs, "bpf_task_pt_regs");
	nd.rdonly_cast = probe__kfunc("bpf_rdonly_cast", opts->btf_path);
	for (i = 0; i < PROGSETS_NSETS; i++) {
		ready[i] = data_ready(l, &progsets_sets[i], &nd);
		if (ready[i] && progsets_sets[i].data == HOOK_SOCK_DATA)
			sock_ready = true;
	}
	for (pass = 0; pass < 2 && err && !(pass == 1 && n); pass++) {
		for (i = 0; i < PROGSETS_NSETS && err; i++) {
			const struct progset *s = &progsets_sets[i];

			if (!progsets__wanted(s, want) || (pass == 0 && !ready[i]) ||
			    (pass == 0 && s->data == HOOK_SYS_DATA && sock_ready && !want) ||
			    (pass == 1 && s->data == HOOK_SYS_DATA && !want))
				continue;
			err = load_set(l, opts, s, pass == 0);
			if (err)
				tried[n++] = (struct attempt){ s->name, refusal, err, l->maps_bytes };
		}
	}
	libbpf_quiet = false;
	if (!err)
		return 0;
	for (i = 0; i < n; i++) {
		l->maps_bytes = tried[i].bytes;
		report_refusal(l, tried[i].set, &tried[i].r, tried[i].err, opts->verbose);
	}
	if (!n)
		fprintf(stderr, "telltale: no program set of telltale's fits this kernel (%s)\n",
			want ? want : "none chosen");
	return err;
}

/* One warning per tracepoint the chosen set lacks. */
static void warn_missing(const struct loader *l)
{
	int i;

	for (i = 0; i < LOADER_NPROGS; i++) {
		const struct hook *h = &progsets_hooks[i];

		if (!l->progs[i].used || l->progs[i].attached)
			continue;
		if (!l->progs[i].exists)
			fprintf(stderr, "telltale: warning: tracepoint %s/%s is missing on this kernel: "
					"%s unavailable\n", h->category, h->name, h->metrics);
		else	/* A set forced with TELLTALE_HOOKS the kernel cannot run whole. */
			fprintf(stderr, "telltale: warning: the %s set's program for %s/%s needs a "
					"helper or kfunc this kernel lacks: %s unavailable; unset "
					"TELLTALE_HOOKS to let the agent choose a set that counts them\n",
				l->hooks, h->category, h->name, h->metrics);
	}
}

/* listen_ports holds every port found listening at start with room for as
 * many again learnt later (at least TT_MAX_LISTEN_PORTS): a host with 6,000
 * listening ports gets 12,000 entries, not a silent cap. */
static uint32_t listen_table_size(size_t found)
{
	uint64_t n = 2 * (uint64_t)found;

	return n < TT_MAX_LISTEN_PORTS ? TT_MAX_LISTEN_PORTS : n > (1u << 24) ? 1u << 24 : (uint32_t)n;
}

/* Writes the ports found at start into the kernel's table. Returns how many
 * did not fit (none, as it is sized for them), or a negative errno. */
static int seed_listen_ports(struct loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.listen_ports);
	uint8_t one = 1;
	size_t i;

	for (i = 0; i < l->listen.n; i++) {
		struct tt_listen_key k = { .netns = l->listen.ports[i].netns,
					   .port = l->listen.ports[i].port };

		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Every regular service slot starts free. */
static int fill_free_slots(struct loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.svc_free);
	uint32_t slot;

	for (slot = 0; slot < l->max_services; slot++)
		if (bpf_map_update_elem(fd, NULL, &slot, BPF_ANY))
			return -errno;
	return 0;
}

static void print_summary(const struct loader *l)
{
	char buf[1024];
	size_t off = 0;
	int i;

	for (i = 0; i < LOADER_NPROGS && off < sizeof(buf); i++)
		if (l->progs[i].attached)
			off += snprintf(buf + off, sizeof(buf) - off, "%s%s/%s", off ? " " : "",
					l->progs[i].category, l->progs[i].name);
	fprintf(stderr, "telltale: attached %s programs: %s; %zu listening ports seeded from %u "
			"network namespaces (room for %u)\n",
		l->hooks, buf, l->listen.n, l->listen.namespaces, l->listen_size);
}

/* The socket table has twice max_sockets ways, rounded up to a power of two
 * so that a mask picks a set. A socket has two sets to choose from, so with
 * as many open as three quarters of the ways about one in 40,000 finds both
 * full, with half or fewer practically none (bench/sock_table.py). */
static uint32_t sock_table_size(uint32_t max_sockets)
{
	uint64_t n = TT_SOCK_WAYS;

	while (n < 2 * (uint64_t)max_sockets && n < (1u << 30))
		n <<= 1;
	return (uint32_t)n;
}

static void set_sizes(struct loader *l, const struct loader_opts *opts)
{
	l->max_services = opts->max_services ? opts->max_services : TT_MAX_SERVICES;
	l->slots = l->max_services + TT_OTHER_SLOTS;
	l->max_sockets = opts->max_sockets ? opts->max_sockets : TT_MAX_SOCKETS;
	l->sock_table_size = sock_table_size(l->max_sockets);
}

int loader__open(struct loader *l, const struct loader_opts *opts)
{
	int err, i;

	memset(l, 0, sizeof(*l));
	l->svcs_fd = l->shared_fd = l->owner_fd = l->index_fd = l->free_fd = -1;
	l->counters_fd = l->socks_fd = l->listen_fd = -1;
	for (i = 0; i < LOADER_NPROGS; i++) {
		l->progs[i].category = progsets_hooks[i].category;
		l->progs[i].name = progsets_hooks[i].name;
		l->progs[i].metrics = progsets_hooks[i].metrics;
	}
	set_sizes(l, opts);
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);

	if (!probe_tracepoints(l)) {
		fprintf(stderr, "telltale: none of telltale's tracepoints exist on this kernel "
				"(is tracefs at %s?)\n", TT_TRACEFS);
		return -ENOENT;
	}
	/* Scanned before load to size the table, seeded before attaching: no
	 * event may classify a socket first. */
	err = procfs__listen_scan("/proc", &l->listen);
	if (err) {
		fprintf(stderr, "telltale: cannot read the listening ports from /proc/PID/net/tcp: %s\n",
			strerror(-err));
		return err;
	}
	l->listen_size = listen_table_size(l->listen.n);
	err = load_programs(l, opts);
	if (err) {
		free(l->listen.ports);
		l->listen.ports = NULL;
		return err;
	}
	warn_missing(l);
	err = seed_listen_ports(l);
	if (!err)
		err = fill_free_slots(l);
	free(l->listen.ports); /* the counts stay for the start line */
	l->listen.ports = NULL;
	if (err) {
		fprintf(stderr, "telltale: cannot seed the listening ports or the free service slots: %s\n",
			strerror(-err));
		goto cleanup;
	}
	err = telltale_bpf__attach(l->skel);
	if (err) {
		fprintf(stderr, "telltale: cannot attach telltale's tracepoints: %s\n",
			strerror(-err));
		goto cleanup;
	}
	l->svcs_fd = bpf_map__fd(l->skel->maps.svcs);
	l->shared_fd = bpf_map__fd(l->skel->maps.svc_shared);
	l->owner_fd = bpf_map__fd(l->skel->maps.svc_owner);
	l->index_fd = bpf_map__fd(l->skel->maps.svc_index);
	l->free_fd = bpf_map__fd(l->skel->maps.svc_free);
	l->counters_fd = bpf_map__fd(l->skel->maps.counters);
	l->listen_fd = bpf_map__fd(l->skel->maps.listen_ports);
	l->socks_fd = l->btf ? -1 : bpf_map__fd(l->skel->maps.socks);
	if (!opts->quiet)
		print_summary(l);
	return 0;
cleanup:
	loader__close(l);
	return err;
}

void loader__close(struct loader *l)
{
	telltale_bpf__destroy(l->skel);
	l->skel = NULL;
	free(l->listen.ports);
	l->listen.ports = NULL;
	l->svcs_fd = l->shared_fd = l->owner_fd = l->index_fd = l->free_fd = -1;
	l->counters_fd = l->socks_fd = l->listen_fd = -1;
}

uint64_t loader__counter(const struct loader *l, uint32_t idx)
{
	return percpu__sum(l->counters_fd, idx);
}

/* One row of the memory table: MiB for 2, 64 and 128 possible CPUs and
 * for this host's. */
static void print_row(FILE *f, const char *name, const char *sets, const uint64_t *bytes)
{
	int i;

	fprintf(f, "%-14s %-11s", name, sets);
	for (i = 0; i < 4; i++)
		fprintf(f, " %10.2f", (double)bytes[i] / (1 << 20));
	fputc('\n', f);
}

int loader__print_memory(const struct loader_opts *opts, FILE *f)
{
	const int cpus[4] = { 2, 64, 128, libbpf_num_possible_cpus() };
	struct telltale_bpf *skel[2] = { NULL, NULL };
	uint64_t total[2][4] = { { 0 } }, row[4];
	static const char *sets[2] = { "tp_btf", "tracepoint" };
	struct bpf_map *m, *m2;
	struct loader l;
	int err, i, s;

	memset(&l, 0, sizeof(l));
	set_sizes(&l, opts);
	err = procfs__listen_scan("/proc", &l.listen);
	free(l.listen.ports);
	if (err)
		return err;
	l.listen_size = listen_table_size(l.listen.n);
	for (s = 0; s < 2; s++) {
		skel[s] = telltale_bpf__open();
		if (!skel[s]) {
			err = -errno;
			goto out;
		}
		size_maps(&l, skel[s], s == 0);
	}
	fprintf(f, "kernel memory of telltale's maps, MiB, at max_services %u, max_sockets %u, "
		   "%u listening-port entries:\n", l.max_services, l.max_sockets, l.listen_size);
	fprintf(f, "%-14s %-11s %10s %10s %10s %6s %3d\n", "map", "sets", "2 CPUs", "64 CPUs",
		"128 CPUs", "here,", cpus[3]);
	m2 = bpf_object__next_map(skel[1]->obj, NULL);
	bpf_object__for_each_map(m, skel[0]->obj) {
		bool in0 = bpf_map__autocreate(m), in1 = bpf_map__autocreate(m2);

		for (i = 0; i < 4; i++) {
			row[i] = mapmem__bytes(in0 ? m : m2, cpus[i]);
			total[0][i] += in0 ? row[i] : 0;
			total[1][i] += in1 ? mapmem__bytes(m2, cpus[i]) : 0;
		}
		print_row(f, bpf_map__name(m), in0 && in1 ? "both" : sets[!in0], row);
		m2 = bpf_object__next_map(skel[1]->obj, m2);
	}
	for (s = 0; s < 2; s++) {
		char name[32];

		snprintf(name, sizeof(name), "total %s", sets[s]);
		print_row(f, name, "", total[s]);
	}
out:
	telltale_bpf__destroy(skel[0]);
	telltale_bpf__destroy(skel[1]);
	return err;
}
