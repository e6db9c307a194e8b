// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
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
#include "telltale.h"
#include "telltale.skel.h"

static bool libbpf_verbose, libbpf_quiet;

/* libbpf explains its failures at warning level; keep those, drop the debug
 * chatter unless asked, and everything while probing. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (libbpf_quiet || (level == LIBBPF_DEBUG && !libbpf_verbose))
		return 0;
	return vfprintf(stderr, fmt, args);
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
	err = telltale_bpf__load(l->skel);
	if (err) {
		telltale_bpf__destroy(l->skel);
		l->skel = NULL;
	}
	return err;
}

/* tp_btf first, quietly; classic tracepoints when the kernel refuses it.
 * TELLTALE_HOOKS=tracepoint or tp_btf forces one set (tests use it). */
static int load_programs(struct loader *l, const struct loader_opts *opts)
{
	const char *force = getenv("TELLTALE_HOOKS");
	bool try_btf = !force || strcmp(force, "tracepoint");
	bool try_classic = !force || strcmp(force, "tp_btf");
	int err = -ENOENT;

	if (try_btf) {
		libbpf_quiet = try_classic && !opts->verbose;
		err = load_set(l, opts, true);
		libbpf_quiet = false;
		if (!err) {
			l->hooks = "tp_btf";
			return 0;
		}
	}
	if (try_classic) {
		err = load_set(l, opts, false);
		if (!err) {
			l->hooks = "tracepoint";
			return 0;
		}
	}
	fprintf(stderr, "telltale: the kernel refused telltale's BPF programs: %s; "
			"rerun with --verbose for the verifier log\n", strerror(-err));
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
