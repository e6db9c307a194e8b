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
#include "agent/procfs.h"
#include "agent/probe.h"
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

static const struct loader_prog prog_table[LOADER_NPROGS] = {
	{ "sock", "inet_sock_set_state", "connections opened/closed/failed/active", false },
	{ "sock", "sock_recv_length", "requests and latency", false },
	{ "sock", "sock_send_length", "requests and latency", false },
	{ "tcp", "tcp_receive_reset", "received resets", false },
	{ "tcp", "tcp_send_reset", "sent resets", false },
	{ "tcp", "tcp_retransmit_skb", "retransmits", false },
};

/* The program of hook i in the chosen set. */
static struct bpf_program *prog_of(struct telltale_bpf *skel, int i, bool btf)
{
	struct bpf_program *classic[LOADER_NPROGS] = {
		skel->progs.handle_inet_sock_set_state, skel->progs.handle_sock_recv_length,
		skel->progs.handle_sock_send_length,	skel->progs.handle_tcp_receive_reset,
		skel->progs.handle_tcp_send_reset,	skel->progs.handle_tcp_retransmit_skb,
	};
	struct bpf_program *typed[LOADER_NPROGS] = {
		skel->progs.btf_inet_sock_set_state, skel->progs.btf_sock_recv_length,
		skel->progs.btf_sock_send_length,    skel->progs.btf_tcp_receive_reset,
		skel->progs.btf_tcp_send_reset,	     skel->progs.btf_tcp_retransmit_skb,
	};
	return btf ? typed[i] : classic[i];
}

/* Notes which tracepoints exist. Returns how many do. */
static int probe_tracepoints(struct loader *l)
{
	int i, left = 0;

	for (i = 0; i < LOADER_NPROGS; i++) {
		struct loader_prog *p = &l->progs[i];

		p->attached = probe__tracepoint(p->category, p->name);
		if (p->attached) {
			left++;
			continue;
		}
		fprintf(stderr, "telltale: warning: tracepoint %s/%s is missing on this kernel: "
				"%s unavailable\n", p->category, p->name, p->metrics);
	}
	return left;
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

/* Bytes the maps to be created hold at least (keys and values, per CPU
 * for per-CPU maps; the kernel's own overhead comes on top). */
static uint64_t maps_bytes(const struct bpf_object *obj)
{
	int ncpus = libbpf_num_possible_cpus();
	const struct bpf_map *m;
	uint64_t sum = 0, one;

	bpf_object__for_each_map(m, obj) {
		if (!bpf_map__autocreate(m))
			continue;
		one = (uint64_t)bpf_map__max_entries(m) *
		      (bpf_map__key_size(m) + bpf_map__value_size(m));
		if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_HASH)
			one *= ncpus > 0 ? (uint64_t)ncpus : 1;
		sum += one;
	}
	return sum;
}

/* Opens the object and loads one program set: tp_btf with the socket table,
 * or classic tracepoints with the socket hash. Returns 0 or a negative
 * errno; on failure the skeleton is destroyed. */
static int load_set(struct loader *l, const struct loader_opts *opts, bool btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = opts->btf_path);
	int i, err;

	l->skel = telltale_bpf__open_opts(&open_opts);
	if (!l->skel) {
		err = -errno;
		fprintf(stderr, "telltale: cannot open the BPF object: %s\n", strerror(-err));
		return err;
	}
	bpf_map__set_max_entries(l->skel->maps.svcs, l->max_services);
	bpf_map__set_max_entries(l->skel->maps.svc_owner, l->max_services);
	bpf_map__set_max_entries(l->skel->maps.svc_index, l->max_services);
	l->skel->rodata->targ_max_services = l->max_services;
	bpf_map__set_max_entries(l->skel->maps.socks, l->max_sockets);
	bpf_map__set_autocreate(l->skel->maps.socks, !btf);
	bpf_map__set_max_entries(l->skel->maps.sock_table, l->sock_table_size);
	bpf_map__set_autocreate(l->skel->maps.sock_table, btf);
	l->skel->rodata->targ_sock_set_mask = l->sock_table_size / TT_SOCK_WAYS - 1;
	for (i = 0; i < LOADER_NPROGS; i++) {
		bpf_program__set_autoload(prog_of(l->skel, i, btf), l->progs[i].attached);
		bpf_program__set_autoload(prog_of(l->skel, i, !btf), false);
	}
	inject_fault(l->skel);
	l->maps_bytes = maps_bytes(l->skel->obj);
	memset(&refusal, 0, sizeof(refusal));
	err = telltale_bpf__load(l->skel);
	if (err) {
		telltale_bpf__destroy(l->skel);
		l->skel = NULL;
	}
	return err;
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

/* tp_btf first, quietly; classic tracepoints when the kernel refuses it.
 * TELLTALE_HOOKS=tracepoint or tp_btf forces one set (tests use it). */
static int load_programs(struct loader *l, const struct loader_opts *opts)
{
	const char *force = getenv("TELLTALE_HOOKS");
	bool try_btf = !force || strcmp(force, "tracepoint");
	bool try_classic = !force || strcmp(force, "tp_btf");
	struct refusal btf_refusal = { .err = 0 };
	uint64_t btf_bytes = 0;
	int err = -ENOENT, btf_err = 0;

	if (try_btf) {
		libbpf_quiet = try_classic && !opts->verbose;
		err = btf_err = load_set(l, opts, true);
		libbpf_quiet = false;
		if (!err) {
			l->hooks = "tp_btf";
			return 0;
		}
		btf_refusal = refusal;
		btf_bytes = l->maps_bytes;
	}
	if (try_classic) {
		err = load_set(l, opts, false);
		if (!err) {
			l->hooks = "tracepoint";
			return 0;
		}
	}
	/* Both sets refused (or the one forced): say why for each. */
	if (try_btf) {
		uint64_t classic_bytes = l->maps_bytes;

		l->maps_bytes = btf_bytes;
		report_refusal(l, "tp_btf", &btf_refusal, btf_err, opts->verbose);
		l->maps_bytes = classic_bytes;
	}
	if (try_classic)
		report_refusal(l, "tracepoint", &refusal, err, opts->verbose);
	return err;
}

static void seed_listen_port(uint16_t port, void *ctx)
{
	struct loader *l = ctx;
	uint8_t one = 1;

	bpf_map_update_elem(bpf_map__fd(l->skel->maps.listen_ports), &port, &one, BPF_ANY);
}

static void print_summary(const struct loader *l, int nlisten)
{
	char buf[512];
	size_t off = 0;
	int i;

	for (i = 0; i < LOADER_NPROGS; i++)
		if (l->progs[i].attached)
			off += snprintf(buf + off, sizeof(buf) - off, "%s%s/%s", off ? " " : "",
					l->progs[i].category, l->progs[i].name);
	fprintf(stderr, "telltale: attached %s programs: %s; %d listening ports seeded\n",
		l->hooks, buf, nlisten);
}

/* The socket table has twice max_sockets ways, rounded up to a power of two
 * so that a mask picks the set. Sockets spread over the sets at random, so
 * with max_sockets open about one in 120 finds its set of TT_SOCK_WAYS full,
 * with half as many one in 7,000, with a tenth practically none. */
static uint32_t sock_table_size(uint32_t max_sockets)
{
	uint64_t n = TT_SOCK_WAYS;

	while (n < 2 * (uint64_t)max_sockets && n < (1u << 30))
		n <<= 1;
	return (uint32_t)n;
}

int loader__open(struct loader *l, const struct loader_opts *opts)
{
	int err, nlisten;

	memset(l, 0, sizeof(*l));
	l->svcs_fd = l->owner_fd = l->counters_fd = l->socks_fd = -1;
	memcpy(l->progs, prog_table, sizeof(prog_table));
	l->max_services = opts->max_services ? opts->max_services : TT_MAX_SERVICES;
	l->max_sockets = opts->max_sockets ? opts->max_sockets : TT_MAX_SOCKETS;
	l->sock_table_size = sock_table_size(l->max_sockets);
	libbpf_verbose = opts->verbose;
	libbpf_set_print(libbpf_print);

	if (!probe_tracepoints(l)) {
		fprintf(stderr, "telltale: none of telltale's tracepoints exist on this kernel "
				"(is tracefs at %s?)\n", TT_TRACEFS);
		return -ENOENT;
	}
	err = load_programs(l, opts);
	if (err)
		return err;
	/* Seed before attaching: no event may classify a socket first. */
	nlisten = procfs__listen_ports("/proc", seed_listen_port, l);
	if (nlisten < 0) {
		err = nlisten;
		fprintf(stderr, "telltale: cannot read /proc/net/tcp: %s\n", strerror(-err));
		goto cleanup;
	}
	err = telltale_bpf__attach(l->skel);
	if (err) {
		fprintf(stderr, "telltale: cannot attach telltale's tracepoints: %s\n",
			strerror(-err));
		goto cleanup;
	}
	l->svcs_fd = bpf_map__fd(l->skel->maps.svcs);
	l->owner_fd = bpf_map__fd(l->skel->maps.svc_owner);
	l->counters_fd = bpf_map__fd(l->skel->maps.counters);
	l->socks_fd = strcmp(l->hooks, "tracepoint") ? -1 : bpf_map__fd(l->skel->maps.socks);
	if (!opts->quiet)
		print_summary(l, nlisten);
	return 0;
cleanup:
	loader__close(l);
	return err;
}

void loader__close(struct loader *l)
{
	telltale_bpf__destroy(l->skel);
	l->skel = NULL;
	l->svcs_fd = l->owner_fd = l->counters_fd = l->socks_fd = -1;
}

uint64_t loader__counter(const struct loader *l, uint32_t idx)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	int i;

	if (l->counters_fd < 0 || ncpus <= 0)
		return 0;
	uint64_t vals[ncpus];

	/* Zeroed: valgrind does not know the kernel fills one value per CPU. */
	memset(vals, 0, sizeof(vals));
	if (bpf_map_lookup_elem(l->counters_fd, &idx, vals))
		return 0;
	for (i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}
