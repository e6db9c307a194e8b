// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-service requests, request latency and TCP connection usage, counted in
 * kernel maps from stable tracepoints. Every program does O(1) work: a few
 * map lookups and a histogram slot computed without loops.
 *
 * Each hook has two programs running the same inline logic; the loader loads
 * one set. tp_btf programs (preferred) get a typed struct sock, keep the
 * socket's state in a set-associative table in an array and read the time
 * from the socket's own TCP clock. Classic tracepoint programs (a fallback
 * for kernels that refuse those) keep it in an LRU hash keyed by the
 * socket's address and read the time with a helper. On kernels without the
 * socket data tracepoints (before 6.3) the syscall programs take the data
 * from the exits of the socket calls instead, beside either set's other
 * programs and in that set's way (fd.bpf.h); beside the tp_btf programs in
 * two ways, with bpf_rdonly_cast (6.2) or, before it, with
 * bpf_probe_read_kernel into the same table (enum sk_how).
 *
 * Why the table and the TCP clock: on CPUs with return-stack mitigations
 * (AMD's SRSO "safe RET", retpolines) every kernel call a program makes
 * costs tens of ns, so the hot path makes none. Array lookups, per-CPU
 * array lookups and bpf_rdonly_cast are inlined by the verifier; socket
 * storage, hash maps and bpf_ktime_get_ns are calls.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "telltale.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define MSG_PEEK 2
#define SOCK_STREAM 1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Weak, so that the programs that do not use it still load on a kernel
 * without it (6.2+ has it; the data tracepoints came in 6.3). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#include "svc.bpf.h"
#include "sock.bpf.h"
#include "fd.bpf.h"

static __always_inline void track_open(struct sock *sk, enum sk_how how, __u8 role, __u16 port)
{
	/* Zeroed, then set: a non-zero initialiser leaves clang's copy of it
	 * in a .rodata.cst32 section, which libbpf makes a map of and 5.4
	 * refuses to create. */
	struct tt_sock init = {};
	struct tt_svc_shared *sh;
	struct tt_svc_stats *st;
	struct tt_svc_ref ref;

	init.flags = TT_SOCK_F_COUNTED;
	svc_place(sk, &init.svc);
	init.svc.port = port;
	init.svc.role = role;
	/* listen() stores TCP_LISTEN without the state tracepoint, so a port
	 * is learnt as listening when it accepts. */
	if (role == TT_ROLE_SERVER)
		learn_listen_port(init.svc.netns, port);
	svc_slot(&init.svc, &ref);
	init.slot = ref.slot;
	init.gen = ref.gen;
	/* A socket the table turns away has no state to count its close by:
	 * counted open apart, it is in the open rate but not the active
	 * gauge. If a way frees before its next data, it is adopted then. */
	if (!sock_set(sk, how, &init)) {
		sh = bpf_map_lookup_elem(&svc_shared, &init.slot);
		if (sh)
			__sync_fetch_and_add(&sh->untracked, 1);
		return;
	}
	count(TT_CNT_SOCK_NEW);
	st = slot_stats(init.slot);
	if (st)
		st->opened++;
}

static __always_inline void on_state(struct sock *sk, enum sk_how how, int oldstate, int newstate,
				     __u16 sport, __u16 dport)
{
	struct tt_svc_key key = {};
	struct tt_svc_stats *st;
	struct tt_sock *s;

	count(TT_CNT_EV_STATE);
	if (oldstate == BPF_TCP_SYN_RECV && newstate == BPF_TCP_ESTABLISHED) {
		track_open(sk, how, TT_ROLE_SERVER, sport);
		return;
	}
	if (oldstate == BPF_TCP_SYN_SENT && newstate == BPF_TCP_ESTABLISHED) {
		track_open(sk, how, TT_ROLE_CLIENT, dport);
		return;
	}
	if (oldstate == BPF_TCP_SYN_SENT && newstate == BPF_TCP_CLOSE) {
		svc_place(sk, &key);
		key.role = TT_ROLE_CLIENT;
		key.port = dport;
		st = svc_stats(&key);
		if (st)
			st->failed++;
		return;
	}
	s = sock_find(sk, how);
	/* Leaving ESTABLISHED is the one moment every connection passes
	 * through on its way out, whichever side closes first. */
	if (oldstate == BPF_TCP_ESTABLISHED && s && (s->flags & TT_SOCK_F_COUNTED)) {
		/* Before the flag goes: a socket that moves to a new slot here
		 * is counted open there first. */
		st = sock_stats(s, NULL);
		s->flags &= ~TT_SOCK_F_COUNTED;
		if (st)
			st->closed++;
	}
	if (newstate == BPF_TCP_CLOSE)
		sock_close(sk, how, s);
}

/* Fills a fresh state for a connection opened before we were loaded, or
 * whose handshake we missed. It counts as a connection only while it can
 * still be closed, so the active gauge cannot leak. */
static __always_inline void adopt(struct sock *sk, enum sk_how how, struct tt_sock *s)
{
	struct tt_svc_stats *st;
	struct tt_svc_ref ref;
	__u16 lport, rport;
	__u8 state;

	sock_ports(sk, how, &lport, &rport);
	classify(sk, lport, rport, &s->svc);
	svc_slot(&s->svc, &ref);
	s->slot = ref.slot;
	s->gen = ref.gen;
	state = SK_READ(how, sk, __sk_common.skc_state);
	s->flags = 0;
	if (state == BPF_TCP_ESTABLISHED)
		s->flags |= TT_SOCK_F_COUNTED;
	/* Data read after CLOSE: no CLOSE event will free the way. */
	if (state == BPF_TCP_CLOSE)
		s->flags |= TT_SOCK_F_CLOSED;
	count(TT_CNT_SOCK_NEW);
	st = slot_stats(s->slot);
	if (st && (s->flags & TT_SOCK_F_COUNTED))
		st->adopted++;
}

/* The socket's state, created and classified on first sight. Only a stream
 * socket is a TCP connection (and a struct tcp_sock whose clock we read): a
 * raw socket may carry IPPROTO_TCP too. Checked on first sight only, off the
 * hot path. */
static __always_inline struct tt_sock *sock_state(struct sock *sk, enum sk_how how)
{
	struct tt_sock fresh = {}, *s;
	struct tt_sock_way *way;
	__u64 key = (__u64)sk;

	if (how != SK_HASH) {
		way = table_find(sk);
		if (way)
			return &way->s;
		if (SK_READ_TYPE(how, sk) != SOCK_STREAM)
			return NULL;
		way = table_claim(sk);
		if (!way)
			return NULL;
		adopt(sk, how, &fresh);
		way->s = fresh;
		if (fresh.flags & TT_SOCK_F_CLOSED)
			way_free(&way->s, sk);
		return &way->s;
	}
	s = bpf_map_lookup_elem(&socks, &key);
	if (s || SK_TYPE(sk) != SOCK_STREAM)
		return s;
	adopt(sk, how, &fresh);
	bpf_map_update_elem(&socks, &key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&socks, &key);
}

static __always_inline void record_latency(struct tt_sock *s, __u64 now)
{
	__u64 lat = now - s->start_ns;
	struct tt_svc_shared *sh;
	struct tt_svc_stats *st;

	s->start_ns = 0;
	st = sock_stats(s, &sh);
	if (!st)
		return;
	st->requests++;
	st->lat_sum_ns += lat;
	if (lat > st->lat_max_ns)
		st->lat_max_ns = lat;
	/* Shared by every CPU, so added atomically: a per-CPU histogram
	 * would cost its 2 KiB once per possible CPU and service. */
	if (sh)
		__sync_fetch_and_add(&sh->hist[tt_hist_slot(lat) & TT_HIST_MASK], 1);
	/* The process answering or asking names the service; write it once
	 * per socket, not per request. */
	if (!(s->flags & TT_SOCK_F_COMM)) {
		bpf_get_current_comm(st->comm, sizeof(st->comm));
		s->flags |= TT_SOCK_F_COMM;
	}
}

/*
 * The time. Programs beside the socket table read the socket's own TCP
 * clock (loaded, or read where the socket is only an address), which TCP sets
 * from the monotonic clock bpf_ktime_get_ns reads: it refreshes it as
 * recvmsg copies data to the reader (tcp_rcv_space_adjust) and as sendmsg
 * transmits (tcp_write_xmit), so at both tracepoints it holds the time of
 * the call, to within a microsecond. Reading it is a load (a read for an
 * address); bpf_ktime_get_ns is a kernel call and a clocksource. A send
 * that TCP holds back (autocorking behind data still in flight) leaves the
 * clock at its last refresh, after the request was read: never a negative
 * latency, at worst a shorter one.
 */
static __always_inline __u64 now(struct sock *sk, enum sk_how how)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	if (how == SK_HASH)
		return bpf_ktime_get_ns();
	/* Nanoseconds from 6.7, microseconds before. Even as a read it is
	 * cheaper than bpf_ktime_get_ns, which reads the clocksource (7 ns
	 * against 34 in a loop on the build VM). */
	if (how == SK_ADDR)
		return bpf_core_field_exists(tp->tcp_clock_cache) ?
			       BPF_CORE_READ(tp, tcp_clock_cache) :
			       BPF_CORE_READ(tp, tcp_mstamp) * 1000;
	tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
	if (bpf_core_field_exists(tp->tcp_clock_cache))
		return tp->tcp_clock_cache;
	return tp->tcp_mstamp * 1000;
}

/*
 * A request/response turn: the side that asks (a server's peer, a client
 * socket) starts the clock with its first bytes after the previous answer,
 * the first bytes of the answer stop it. Later bytes of either direction in
 * the same turn change nothing.
 */
static __always_inline void turn(struct tt_sock *s, struct sock *sk, enum sk_how how,
				 bool is_recv)
{
	bool asks;

	/* Received bytes ask on a server socket, sent bytes on a client. */
	asks = is_recv == (s->svc.role == TT_ROLE_SERVER);
	if (asks) {
		if (!s->start_ns)
			s->start_ns = now(sk, how);
	} else if (s->start_ns) {
		record_latency(s, now(sk, how));
	}
}

static __always_inline void on_data(struct sock *sk, enum sk_how how, bool is_recv)
{
	struct tt_sock *s = sock_state(sk, how);

	if (s)
		turn(s, sk, how, is_recv);
}

static __always_inline bool is_tcp_inet(__u16 family, __u16 protocol)
{
	return protocol == IPPROTO_TCP && (family == AF_INET || family == AF_INET6);
}

/* The service of a socket we may not track: its state if we have it,
 * otherwise a guess from the ports. */
static __always_inline struct tt_svc_stats *svc_of(struct sock *sk, enum sk_how how, __u16 lport,
						   __u16 rport)
{
	struct tt_sock *s = sock_find(sk, how);
	struct tt_svc_key key;

	if (s)
		return sock_stats(s, NULL);
	classify(sk, lport, rport, &key);
	return svc_stats(&key);
}

static __always_inline void on_reset(struct sock *sk, enum sk_how how, __u16 lport, __u16 rport)
{
	struct tt_svc_stats *st = svc_of(sk, how, lport, rport);

	if (st)
		st->resets++;
}

static __always_inline void on_retransmit(struct sock *sk, enum sk_how how, __u16 lport,
					  __u16 rport)
{
	struct tt_svc_stats *st = svc_of(sk, how, lport, rport);

	if (st)
		st->retransmits++;
}

/* ---- tp_btf programs ---- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_inet_sock_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u16 lport, rport;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	sock_ports(sk, SK_BTF, &lport, &rport);
	on_state(sk, SK_BTF, oldstate, newstate, lport, rport);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_sock_recv_length, struct sock *sk, int ret, int flags)
{
	count(TT_CNT_EV_RECV);
	if (ret > 0 && !(flags & MSG_PEEK) &&
	    is_tcp_inet(sk->__sk_common.skc_family, sk->sk_protocol))
		on_data(sk, SK_BTF, true);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(btf_sock_send_length, struct sock *sk, int ret, int flags)
{
	count(TT_CNT_EV_SEND);
	if (ret > 0 && is_tcp_inet(sk->__sk_common.skc_family, sk->sk_protocol))
		on_data(sk, SK_BTF, false);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(btf_tcp_receive_reset, struct sock *sk)
{
	__u16 lport, rport;

	count(TT_CNT_EV_RESET_IN);
	sock_ports(sk, SK_BTF, &lport, &rport);
	on_reset(sk, SK_BTF, lport, rport);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(btf_tcp_send_reset, struct sock *sk)
{
	__u16 lport, rport;

	count(TT_CNT_EV_RESET_OUT);
	/* No socket: a RST for a segment nobody owns, no service to charge. */
	if (!sk)
		return 0;
	/* An active reset follows CLOSE, which zeroes the local port of an
	 * accepted socket; its table way still knows the service. */
	sock_ports(sk, SK_BTF, &lport, &rport);
	on_reset(sk, SK_BTF, lport, rport);
	return 0;
}

/* From 6.18 the event also fires for an attempt that failed, with its
 * error as a third argument (and a field of the classic event): a
 * retransmission is one the kernel sent, err 0, as before. */
#define RETRANS_FAILED(e) \
	(bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb, err) && (e))

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_tcp_retransmit_skb, struct sock *sk)
{
	__u16 lport, rport;

	count(TT_CNT_EV_RETRANS);
	/* The verifier drops the read of a third argument as dead code
	 * where the kernel's event has two. */
	if (RETRANS_FAILED((int)ctx[2]))
		return 0;
	sock_ports(sk, SK_BTF, &lport, &rport);
	on_retransmit(sk, SK_BTF, lport, rport);
	return 0;
}

/* ---- classic tracepoint programs ---- */

SEC("tracepoint/sock/inet_sock_set_state")
int handle_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol == IPPROTO_TCP)
		on_state((struct sock *)ctx->skaddr, SK_HASH, ctx->oldstate, ctx->newstate,
			 ctx->sport, ctx->dport);
	return 0;
}

SEC("tracepoint/sock/sock_recv_length")
int handle_sock_recv_length(struct trace_event_raw_sock_msg_length *ctx)
{
	count(TT_CNT_EV_RECV);
	if (ctx->ret > 0 && !(ctx->flags & MSG_PEEK) && is_tcp_inet(ctx->family, ctx->protocol))
		on_data(ctx->sk, SK_HASH, true);
	return 0;
}

SEC("tracepoint/sock/sock_send_length")
int handle_sock_send_length(struct trace_event_raw_sock_msg_length *ctx)
{
	count(TT_CNT_EV_SEND);
	if (ctx->ret > 0 && is_tcp_inet(ctx->family, ctx->protocol))
		on_data(ctx->sk, SK_HASH, false);
	return 0;
}

SEC("tracepoint/tcp/tcp_receive_reset")
int handle_tcp_receive_reset(struct trace_event_raw_tcp_event_sk *ctx)
{
	count(TT_CNT_EV_RESET_IN);
	on_reset((struct sock *)ctx->skaddr, SK_HASH, ctx->sport, ctx->dport);
	return 0;
}

/* Before 6.10 tcp_send_reset and tcp_retransmit_skb were events of the
 * class tcp_event_sk_skb (Debian 12's 6.1 has it), which newer kernels no
 * longer have: its fields by name, for CO-RE. */
struct trace_event_raw_tcp_event_sk_skb___old {
	const void *skaddr;
	__u16 sport;
	__u16 dport;
} __attribute__((preserve_access_index));

SEC("tracepoint/tcp/tcp_send_reset")
int handle_tcp_send_reset(void *ctx)
{
	struct trace_event_raw_tcp_event_sk_skb___old *old = ctx;
	struct trace_event_raw_tcp_send_reset *tp = ctx;
	struct sock *sk;
	__u16 lport, rport;

	count(TT_CNT_EV_RESET_OUT);
	/* Each layout read only where it exists: libbpf poisons the loads of
	 * the other, which the verifier drops as dead code. */
	if (bpf_core_type_exists(struct trace_event_raw_tcp_event_sk_skb___old) &&
	    !bpf_core_type_exists(struct trace_event_raw_tcp_send_reset)) {
		sk = (struct sock *)old->skaddr;
		if (sk)
			on_reset(sk, SK_HASH, old->sport, old->dport);
		return 0;
	}
	if (!bpf_core_type_exists(struct trace_event_raw_tcp_send_reset))
		return 0;
	sk = (struct sock *)tp->skaddr;
	if (!sk)
		return 0;
	/* The hash entry may be gone by now; the event's own addresses keep
	 * the local port CLOSE zeroed. Both sockaddr_in and sockaddr_in6
	 * hold the port at offset 2. */
	if (bpf_core_field_exists(tp->saddr)) {
		lport = __builtin_bswap16(*(__u16 *)&tp->saddr[2]);
		rport = __builtin_bswap16(*(__u16 *)&tp->daddr[2]);
	} else {
		sock_ports(sk, SK_HASH, &lport, &rport);
	}
	on_reset(sk, SK_HASH, lport, rport);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int handle_tcp_retransmit_skb(void *ctx)
{
	struct trace_event_raw_tcp_event_sk_skb___old *old = ctx;
	struct trace_event_raw_tcp_retransmit_skb *tp = ctx;

	count(TT_CNT_EV_RETRANS);
	if (RETRANS_FAILED(tp->err))
		return 0;
	if (bpf_core_type_exists(struct trace_event_raw_tcp_retransmit_skb))
		on_retransmit((struct sock *)tp->skaddr, SK_HASH, tp->sport, tp->dport);
	else if (bpf_core_type_exists(struct trace_event_raw_tcp_event_sk_skb___old))
		on_retransmit((struct sock *)old->skaddr, SK_HASH, old->sport, old->dport);
	return 0;
}

/* ---- syscall programs: data from the socket calls' exits ---- */

/*
 * Both directions at the exit, where the return value says whether bytes
 * moved: a non-blocking read's EAGAIN must start no turn, a failed send end
 * none. It is also where the TCP clock is fresh: recvmsg and sendmsg
 * refresh it, so at a send's entry it still holds the previous call's time.
 * peek_arg: which argument holds the flags (0: the call has none); cnt: the
 * program's event counter.
 */
/* The hot path of the syscall programs beside the tp_btf programs before
 * 6.2, where every field is a read: the socket's address finds its way. A
 * live way holds a TCP socket (its CLOSE marks the way), so only a socket
 * without one reads its family and protocol, before on_data adopts it. */
static __always_inline void on_sys_addr(struct sock *sk, bool is_recv)
{
	struct tt_sock_way *way = table_find(sk);

	if (way && !(way->s.flags & TT_SOCK_F_CLOSED))
		turn(&way->s, sk, SK_ADDR, is_recv);
	else if (is_tcp_inet(BPF_CORE_READ(sk, __sk_common.skc_family),
			     SK_PROTOCOL(sk)))
		on_data(sk, SK_ADDR, is_recv);
}

static __always_inline int on_sys_exit(struct trace_event_raw_sys_exit *ctx, enum sk_how how,
				       bool is_recv, int peek_arg, __u32 cnt)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct sock *sk;
	__u32 fd;

	count(cnt);
	if (ctx->ret <= 0)
		return 0;
	task = bpf_get_current_task_btf();
	regs = sys_regs(task);
	if ((peek_arg == 3 && (PT_REGS_PARM3_SYSCALL(regs) & MSG_PEEK)) ||
	    (peek_arg == 4 && (PT_REGS_PARM4_SYSCALL(regs) & MSG_PEEK)))
		return 0;
	fd = PT_REGS_PARM1_SYSCALL(regs);
	if (how == SK_ADDR) {
		sk = fd_sock_span(task, fd);
		if (sk)
			on_sys_addr(sk, is_recv);
		return 0;
	}
	sk = how == SK_BTF ? fd_sock_btf(task, fd) : fd_sock_read(task, fd);
	if (sk && is_tcp_inet(SK_READ(how, sk, __sk_common.skc_family),
			      SK_READ_PROTOCOL(how, sk)))
		on_data(sk, how, is_recv);
	return 0;
}

/* The classic set's fallback before 5.15: the task untyped, its registers
 * from its kernel stack (fd.bpf.h, stack_args), every step read. The
 * tracepoint's syscall number is an int, whatever the struct says. */
static __always_inline int on_sys_exit_stack(struct trace_event_raw_sys_exit *ctx, bool is_recv,
					     int peek_arg, __u32 cnt)
{
	struct task_struct *task;
	struct sys_args a;
	struct sock *sk;

	count(cnt);
	if (ctx->ret <= 0)
		return 0;
	task = (struct task_struct *)bpf_get_current_task();
	if (!stack_args(task, (int)ctx->id, &a)) {
		count(TT_CNT_SYS_REGS);
		return 0;
	}
	if ((peek_arg == 3 && (a.arg3 & MSG_PEEK)) || (peek_arg == 4 && (a.arg4 & MSG_PEEK)))
		return 0;
	sk = fd_sock_stack(task, a.fd);
	if (sk && is_tcp_inet(BPF_CORE_READ(sk, __sk_common.skc_family),
			      SK_PROTOCOL(sk)))
		on_data(sk, SK_HASH, is_recv);
	return 0;
}

/* Four programs per call, one for each way of reaching the socket:
 * btf_sys_NAME beside the tp_btf programs with bpf_rdonly_cast (6.2),
 * pr_sys_NAME beside them without it, handle_sys_NAME beside the classic
 * ones, st_sys_NAME beside them before 5.15. nr: the call's place among the
 * syscall hooks (agent/progsets.c), for its event counter. */
#define SYS_PROG(prefix, call, how, is_recv, peek_arg, nr)                              \
	SEC("tracepoint/syscalls/sys_exit_" #call)                                      \
	int prefix##_sys_##call(struct trace_event_raw_sys_exit *ctx)                    \
	{                                                                               \
		return on_sys_exit(ctx, how, is_recv, peek_arg, TT_CNT_EV_SYS + nr);    \
	}
#define SYS_DATA(call, is_recv, peek_arg, nr)                                           \
	SYS_PROG(btf, call, SK_BTF, is_recv, peek_arg, nr)                              \
	SYS_PROG(pr, call, SK_ADDR, is_recv, peek_arg, nr)                              \
	SYS_PROG(handle, call, SK_HASH, is_recv, peek_arg, nr)                          \
	SEC("tracepoint/syscalls/sys_exit_" #call)                                      \
	int st_sys_##call(struct trace_event_raw_sys_exit *ctx)                          \
	{                                                                               \
		return on_sys_exit_stack(ctx, is_recv, peek_arg, TT_CNT_EV_SYS + nr);   \
	}

SYS_DATA(read, true, 0, 0)
SYS_DATA(readv, true, 0, 1)
SYS_DATA(recvfrom, true, 4, 2)
SYS_DATA(recvmsg, true, 3, 3)
SYS_DATA(recvmmsg, true, 4, 4)
SYS_DATA(write, false, 0, 5)
SYS_DATA(writev, false, 0, 6)
SYS_DATA(sendto, false, 0, 7)
SYS_DATA(sendmsg, false, 0, 8)
SYS_DATA(sendmmsg, false, 0, 9)
SYS_DATA(sendfile64, false, 0, 10)
