/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * telltale's program sets: which hook runs which program of telltale.bpf.o
 * in each set, what each set needs of a kernel, and the order the loader
 * tries them in. The loader and the kernel matrix check (tests/tools/kcheck)
 * read this one table, so the check judges the sets the agent would load.
 */
#ifndef TT_PROGSETS_H
#define TT_PROGSETS_H

#include <stdbool.h>

/* What a hook feeds. */
enum hook_role {
	HOOK_CONN,	/* connection states, resets, retransmits: every set */
	HOOK_SOCK_DATA, /* requests from the socket data tracepoints (6.3+) */
	HOOK_SYS_DATA,	/* requests from the socket calls' exits */
};

struct hook {
	const char *category;	  /* tracepoint category */
	const char *name;	  /* tracepoint name */
	const char *metrics;	  /* what is lost without it */
	const char *btf_prog;	  /* program beside the tp_btf set's socket table */
	const char *classic_prog; /* program beside the classic set's socket hash */
	const char *read_prog;	  /* syscall hooks: beside the table, without bpf_rdonly_cast */
	const char *stack_prog;	  /* syscall hooks: beside the hash, without bpf_task_pt_regs */
	enum hook_role role;
};

#define PROGSETS_NHOOKS 17
extern const struct hook progsets_hooks[PROGSETS_NHOOKS];

struct progset {
	const char *name; /* as in the agent line's "programs" and TELLTALE_HOOKS */
	bool btf;	  /* tp_btf programs and the socket table, else classic and the hash */
	enum hook_role data; /* where requests come from */
	bool rdonly_cast;    /* needs the bpf_rdonly_cast kfunc (6.2) */
	bool task_pt_regs;   /* needs the bpf_task_pt_regs helper (5.15) */
	bool probe_read;     /* its syscall programs are the hooks' read_prog */
	bool stack_regs;     /* its syscall programs are the hooks' stack_prog (x86-64) */
};

/* In the loader's order of preference: the socket data tracepoints where
 * the kernel has them, else the syscall programs. A set whose data hooks
 * are all missing still counts connections. */
#define PROGSETS_NSETS 6
extern const struct progset progsets_sets[PROGSETS_NSETS];

/* Whether hook h runs in set s. */
bool progsets__uses(const struct progset *s, const struct hook *h);

/* The program of hook h in set s. */
const char *progsets__prog(const struct progset *s, const struct hook *h);

/* Whether TELLTALE_HOOKS value want (NULL: any) selects set s: a set's own
 * name, or "syscalls" for every syscall set. */
bool progsets__wanted(const struct progset *s, const char *want);

#endif /* TT_PROGSETS_H */
