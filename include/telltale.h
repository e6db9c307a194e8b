/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The ABI between telltale's BPF programs and its user side: every map key
 * and value both sides see, and the latency histogram's bucket convention.
 * Fixed-width types, largest fields first, explicit padding; the user side
 * checks the sizes with _Static_assert.
 */
#ifndef TELLTALE_H
#define TELLTALE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TT_COMM_LEN 16

/* Service roles: a server answers requests on a local port, a client sends
 * them to a remote port (the service's own dependencies, e.g. a database). */
#define TT_ROLE_SERVER 0
#define TT_ROLE_CLIENT 1

/* Default map sizes; the loader may change them before load. */
#define TT_MAX_SERVICES 1024
/* 49,152: the classic programs' LRU hash of this many sockets keeps their
 * maps within 8 MiB on 2 CPUs; the tp_btf table has 131,072 ways either way
 * (twice this, rounded up to a power of two). */
#define TT_MAX_SOCKETS 49152
#define TT_MAX_LISTEN_PORTS 4096 /* at least; the loader sizes it for the host */

/*
 * Latency histogram, log-linear: values are in units of 2^TT_HIST_UNIT_SHIFT
 * ns (128 ns). Values below 2^TT_HIST_SUB_BITS units get one slot each; above,
 * every power of two is split into 2^TT_HIST_SUB_BITS equal sub-buckets, so a
 * bucket is at most 1/8 of its lower bound wide and its midpoint is within
 * 6.25 % of any value in it (log2 buckets would be off by up to 50 %).
 * Values of 2^TT_HIST_MAX_LOG2 units (about 36 min) or more share the last
 * slot. The slot count is a power of two so the BPF side can mask an index
 * the verifier would otherwise not trust.
 */
#define TT_HIST_UNIT_SHIFT 7
#define TT_HIST_SUB_BITS 3
#define TT_HIST_SUB (1 << TT_HIST_SUB_BITS)
#define TT_HIST_MAX_LOG2 34
#define TT_HIST_SLOTS ((TT_HIST_MAX_LOG2 - TT_HIST_SUB_BITS + 1) * TT_HIST_SUB)
#define TT_HIST_MASK (TT_HIST_SLOTS - 1)

/* Service key: where the socket lives (its network namespace and the
 * cgroup v2 of the process that made it, both fixed for the socket's life),
 * role and port. The process name is a label carried in the value, since
 * connection events arrive in softirq context with no owner. */
struct tt_svc_key {
	__u64 cgroup; /* cgroup v2 id (its directory's inode); 0: unknown */
	__u32 netns;  /* network namespace inode; 0: unknown */
	__u16 port;   /* local port (server) or remote port (client), host order */
	__u8 role;    /* TT_ROLE_* */
	__u8 flags;   /* TT_SVC_F_* */
};

/* The overflow service of (netns, role): port and cgroup 0. It carries the
 * traffic of services that find no slot free, so host totals stay exact. */
#define TT_SVC_F_OTHER 0x1
/* In svc_owner only: the slot's service has retired and the slot waits one
 * interval, so that no program still holds it, before it is freed. */
#define TT_SVC_F_RETIRED 0x2

/* A listening port in its network namespace. */
struct tt_listen_key {
	__u32 netns;
	__u16 port; /* host order */
	__u16 pad;
};

/* Per-service counters, per CPU, cumulative since the slot was last
 * freed, in the slot the service claimed (svc_owner maps slots to keys). The
 * user side sums CPUs and takes deltas between intervals. Small on purpose:
 * a per-CPU map costs its value size once per possible CPU and slot, so the
 * histogram lives in tt_svc_shared, once per slot. */
struct tt_svc_stats {
	__u64 requests;		  /* completed request/response turns */
	__u64 lat_sum_ns;	  /* sum of request latencies, ns */
	__u64 lat_max_ns;	  /* largest latency seen on this CPU, ns */
	__u64 opened;		  /* connections established with a socket state
				   * (the others: tt_svc_shared.untracked) */
	__u64 closed;		  /* tracked connections that left ESTABLISHED */
	__u64 adopted;		  /* connections open before load, seen at first data, or
				   * moved here from a retired slot */
	__u64 failed;		  /* active opens that went SYN_SENT -> CLOSE */
	__u64 resets;		  /* RSTs sent or received */
	__u64 retransmits;	  /* retransmitted segments */
	char comm[TT_COMM_LEN];	  /* last process seen on the data path */
};

/*
 * Per slot, shared by all CPUs: the slot's generation, its untracked opens
 * and its latency histogram (see TT_HIST_*), counted with atomic adds,
 * modulo 2^32 (the user side takes deltas in 32 bits, exact while a count
 * gains fewer than 2^32 in an interval). The generation goes up when the
 * loader retires the slot's service; a socket that remembers another looks
 * its service up again, so a late event of a closed socket never lands in
 * the slot's next owner. 16 bits are enough: late events of a closed socket
 * come within TCP's own timers (a RST, a retransmit, TIME_WAIT's 60 s), and
 * 65,536 retirements of one slot take far longer, each needing an idle
 * period and a turn through the free queue.
 */
struct tt_svc_shared {
	__u16 gen;
	__u16 pad;
	/* Connections established whose socket the socket table turned away:
	 * part of the open rate, never of the active gauge (their close
	 * cannot be seen), counted with atomic adds modulo 2^32 like hist.
	 * In the 4 bytes the array's 8-byte rounding of its values kept
	 * anyway. */
	__u32 untracked;
	__u32 hist[TT_HIST_SLOTS];
};

/* A service's place: its slot and the slot's generation when it was
 * claimed (the value of svc_index). */
struct tt_svc_ref {
	__u32 slot;
	__u16 gen;
	__u16 pad;
};

/* Socket request state. */
#define TT_SOCK_F_COUNTED 0x1 /* counted in opened or adopted: close counts */
#define TT_SOCK_F_COMM 0x2    /* comm already written to the service */
#define TT_SOCK_F_CLOSED 0x4  /* closed: a table way a new socket may take */

/* A service's slot in the per-CPU stats array; TT_NO_SLOT: none free. The
 * array has max_services slots handed out from a free list, then
 * TT_OTHER_SLOTS for the overflow services, placed by the hash of their key
 * with TT_SLOT_PROBES tries. */
#define TT_NO_SLOT 0xffffffffU
#define TT_OTHER_SLOTS 64
#define TT_SLOT_PROBES 8

struct tt_sock {
	__u64 start_ns;		/* start of the pending request, 0 when idle */
	struct tt_svc_key svc;	/* service the socket belongs to */
	__u32 slot;		/* the service's slot in svcs, or TT_NO_SLOT */
	__u16 gen;		/* the slot's generation when the socket took it */
	__u8 flags;		/* TT_SOCK_F_* */
	__u8 pad;
};

/* A way of the tp_btf programs' socket table: the socket's address (0: never
 * used; plus TT_WAY_FREE: its socket closed, the way free to take) and its
 * state. Socket addresses are aligned, so their low bit is free. */
#define TT_SOCK_WAYS 8
#define TT_WAY_FREE 1ULL
struct tt_sock_way {
	__u64 sk;
	struct tt_sock s;
};

/* Global counters, per CPU, one array slot each. */
#define TT_SYS_HOOKS 11 /* syscall programs: the agent's hooks past the first six */
enum tt_counter {
	TT_CNT_SVC_OVERFLOW = 0, /* events dropped: no slot, not even an overflow one */
	TT_CNT_SOCK_NEW,	 /* socket entries created */
	TT_CNT_SOCK_DEL,	 /* socket entries deleted at close */
	TT_CNT_SOCK_FULL,	 /* events of sockets not tracked: table set full */
	TT_CNT_SVC_OTHER,	 /* events counted in an overflow service: no free slot */
	TT_CNT_LISTEN_FULL,	 /* accepts whose port listen_ports had no room to learn */
	TT_CNT_SYS_REGS,	 /* syscall exits whose saved registers were not found */
	TT_CNT_EV_STATE,	 /* events seen per program, one each, in the */
	TT_CNT_EV_RECV,		 /* loader's hook order (agent/progsets.c) */
	TT_CNT_EV_SEND,
	TT_CNT_EV_RESET_IN,
	TT_CNT_EV_RESET_OUT,
	TT_CNT_EV_RETRANS,
	TT_CNT_EV_SYS,		 /* then the syscall programs', TT_SYS_HOOKS of them */
	TT_CNT_MAX = TT_CNT_EV_SYS + TT_SYS_HOOKS,
};

/* Slot of a value in the log-linear histogram; shared so both sides agree.
 * Bounded work: six compare steps, no loops. */
static inline __u32 tt_hist_slot(__u64 ns)
{
	__u64 v = ns >> TT_HIST_UNIT_SHIFT;
	__u32 log2 = 0;

	if (v < TT_HIST_SUB)
		return (__u32)v;
	if (v >> TT_HIST_MAX_LOG2)
		return TT_HIST_SLOTS - 1;
	if (v >> 32) { v >>= 32; log2 += 32; }
	if (v >> 16) { v >>= 16; log2 += 16; }
	if (v >> 8) { v >>= 8; log2 += 8; }
	if (v >> 4) { v >>= 4; log2 += 4; }
	if (v >> 2) { v >>= 2; log2 += 2; }
	if (v >> 1) { log2 += 1; }
	v = ns >> TT_HIST_UNIT_SHIFT;
	return (log2 - TT_HIST_SUB_BITS + 1) * TT_HIST_SUB +
	       (__u32)((v >> (log2 - TT_HIST_SUB_BITS)) & (TT_HIST_SUB - 1));
}

#endif /* TELLTALE_H */
