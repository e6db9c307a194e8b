/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Loads and attaches telltale's BPF programs: open, size the maps, drop the
 * programs whose tracepoint the kernel lacks, load, attach, seed.
 */
#ifndef TT_LOADER_H
#define TT_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/procfs.h"
#include "agent/progsets.h"

struct telltale_bpf;

struct loader_opts {
	uint32_t max_services; /* service map entries; 0 = TT_MAX_SERVICES */
	uint32_t max_sockets;  /* socket map entries; 0 = TT_MAX_SOCKETS */
	const char *btf_path;  /* kernel BTF for CO-RE; NULL = the running kernel's */
	bool verbose;	       /* pass libbpf's debug output through */
	bool quiet;	       /* no summary line on stderr */
};

/* One hook (agent/progsets.h) and what is lost without it. */
struct loader_prog {
	const char *category; /* tracepoint category */
	const char *name;     /* tracepoint name */
	const char *metrics;  /* what the agent cannot report without it */
	bool exists;	      /* the kernel has the tracepoint */
	bool used;	      /* the loaded set has a program for it */
	bool attached;
};

#define LOADER_NPROGS PROGSETS_NHOOKS

struct loader {
	struct telltale_bpf *skel;
	int svcs_fd;	 /* per-service counters by slot, struct tt_svc_stats per CPU */
	int shared_fd;	 /* slot -> struct tt_svc_shared (generation, histogram) */
	int owner_fd;	 /* slot -> struct tt_svc_key */
	int index_fd;	 /* struct tt_svc_key -> struct tt_svc_ref */
	int free_fd;	 /* queue of free regular slots */
	int counters_fd; /* global counters, enum tt_counter */
	int listen_fd;	 /* struct tt_listen_key -> listening */
	int socks_fd;
	const char *hooks;     /* the program set loaded, a name of agent/progsets.h */
	bool btf;	       /* its programs keep socket state in the socket table */
	bool stack_regs;       /* its syscall programs find the registers on the stack */
	uint32_t max_services; /* map sizes as loaded */
	uint32_t slots;	       /* max_services, then TT_OTHER_SLOTS for overflow services */
	uint32_t max_sockets;
	uint32_t sock_table_size; /* ways in the tp_btf socket table */
	uint32_t listen_size;	  /* entries of listen_ports, sized for the host */
	struct listen_scan listen; /* listening ports per netns found at start */
	uint64_t maps_bytes;	  /* keys and values of the maps of the last load, bytes */
	struct loader_prog progs[LOADER_NPROGS];
};

/* Loads and attaches everything the kernel supports, prints one line saying
 * what was attached and one warning per missing tracepoint. Returns 0, or a
 * negative errno after printing the problem and its fix; l is then closed. */
int loader__open(struct loader *l, const struct loader_opts *opts);

/* Detaches and unloads; safe on a closed or failed loader. */
void loader__close(struct loader *l);

/* Prints the kernel memory the maps would take at opts' sizes (listening
 * ports sized for this host), per map and in total for each program set,
 * for 2, 64 and 128 possible CPUs and this host's; loads nothing. Returns
 * 0 or a negative errno. */
int loader__print_memory(const struct loader_opts *opts, FILE *f);

/* Sum over CPUs of global counter idx (enum tt_counter). */
uint64_t loader__counter(const struct loader *l, uint32_t idx);

#endif /* TT_LOADER_H */
