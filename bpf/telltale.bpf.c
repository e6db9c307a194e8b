// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Per-service requests, request latency and TCP connection usage, counted in
 * kernel maps from stable tracepoints. Every program does O(1) work: a few
 * hash lookups and a histogram slot computed without loops.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "telltale.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define MSG_PEEK 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Per-socket request state, keyed by struct sock address. LRU so that
 * sockets we never see close cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TT_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct tt_sock);
} socks SEC(".maps");

/* Per-service counters and latency histogram. A plain (not LRU) hash: when it
 * is full new services are counted in TT_CNT_SVC_OVERFLOW, old ones stay. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TT_MAX_SERVICES);
	__type(key, struct tt_svc_key);
	__type(value, struct tt_svc_stats);
} svcs SEC(".maps");

/* Local ports with a listening socket: seeded by the loader from
 * /proc/net/tcp{,6}, then learnt from every passive open. Classifies sockets
 * whose handshake we did not see: a local port that listens makes a server. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_LISTEN_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} listen_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* A zeroed value to create service entries from; too large for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_svc_stats);
} zero_stats SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline struct tt_svc_stats *svc_stats(const struct tt_svc_key *key)
{
	struct tt_svc_stats *st = bpf_map_lookup_elem(&svcs, key);
	__u32 zero = 0;

	if (st)
		return st;
	st = bpf_map_lookup_elem(&zero_stats, &zero);
	if (!st)
		return NULL;
	/* -E2BIG when full: count the loss instead of evicting a service. */
	if (bpf_map_update_elem(&svcs, key, st, BPF_NOEXIST) && !bpf_map_lookup_elem(&svcs, key)) {
		count(TT_CNT_SVC_OVERFLOW);
		return NULL;
	}
	return bpf_map_lookup_elem(&svcs, key);
}

/* Role and port from the connection's ports alone. */
static __always_inline void classify(__u16 lport, __u16 rport, struct tt_svc_key *key)
{
	if (bpf_map_lookup_elem(&listen_ports, &lport)) {
		key->role = TT_ROLE_SERVER;
		key->port = lport;
	} else {
		key->role = TT_ROLE_CLIENT;
		key->port = rport;
	}
	key->pad = 0;
}

/* Ports of a full socket: skc_num is host order, skc_dport network order. */
static __always_inline void sock_ports(const struct sock *sk, __u16 *lport, __u16 *rport)
{
	*lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline void track_open(__u64 skaddr, __u8 role, __u16 port)
{
	struct tt_sock s = { .svc = { .port = port, .role = role },
			     .flags = TT_SOCK_F_COUNTED };
	struct tt_svc_stats *st;

	bpf_map_update_elem(&socks, &skaddr, &s, BPF_ANY);
	count(TT_CNT_SOCK_NEW);
	st = svc_stats(&s.svc);
	if (st)
		st->opened++;
}

SEC("tracepoint/sock/inet_sock_set_state")
int handle_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	int oldstate = ctx->oldstate, newstate = ctx->newstate;
	__u64 skaddr = (__u64)ctx->skaddr;
	struct tt_svc_stats *st;
	struct tt_svc_key key = {};
	struct tt_sock *s;
	__u16 port;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	count(TT_CNT_EV_STATE);

	if (oldstate == BPF_TCP_SYN_RECV && newstate == BPF_TCP_ESTABLISHED) {
		port = ctx->sport;
		/* listen() stores TCP_LISTEN without this tracepoint, so a port
		 * is learnt as listening when it accepts. */
		if (!bpf_map_lookup_elem(&listen_ports, &port)) {
			__u8 one = 1;

			bpf_map_update_elem(&listen_ports, &port, &one, BPF_ANY);
		}
		track_open(skaddr, TT_ROLE_SERVER, port);
		return 0;
	}
	if (oldstate == BPF_TCP_SYN_SENT && newstate == BPF_TCP_ESTABLISHED) {
		track_open(skaddr, TT_ROLE_CLIENT, ctx->dport);
		return 0;
	}
	if (oldstate == BPF_TCP_SYN_SENT && newstate == BPF_TCP_CLOSE) {
		key.role = TT_ROLE_CLIENT;
		key.port = ctx->dport;
		st = svc_stats(&key);
		if (st)
			st->failed++;
		return 0;
	}
	/* Leaving ESTABLISHED is the one moment every connection passes
	 * through on its way out, whichever side closes first. */
	s = bpf_map_lookup_elem(&socks, &skaddr);
	if (oldstate == BPF_TCP_ESTABLISHED) {
		if (s && (s->flags & TT_SOCK_F_COUNTED)) {
			s->flags &= ~TT_SOCK_F_COUNTED;
			st = svc_stats(&s->svc);
			if (st)
				st->closed++;
		}
	}
	/* Keep a socket with a pending request: a response may still be read
	 * after a RST closed it. LRU eviction or the next handshake on the
	 * same address replaces the entry. */
	if (newstate == BPF_TCP_CLOSE && !(s && s->start_ns) &&
	    !bpf_map_delete_elem(&socks, &skaddr))
		count(TT_CNT_SOCK_DEL);
	return 0;
}

/* The socket's state, creating it for a connection opened before we were
 * loaded (or evicted from the LRU since). */
static __always_inline struct tt_sock *sock_state(__u64 skaddr)
{
	struct tt_sock *s = bpf_map_lookup_elem(&socks, &skaddr);
	const struct sock *sk = (const struct sock *)skaddr;
	struct tt_sock fresh = {};
	struct tt_svc_stats *st;
	__u16 lport, rport;

	if (s)
		return s;
	sock_ports(sk, &lport, &rport);
	/* Count it as a connection only while it can still be closed, so
	 * the active gauge cannot leak. */
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == BPF_TCP_ESTABLISHED)
		fresh.flags = TT_SOCK_F_COUNTED;
	classify(lport, rport, &fresh.svc);
	if (bpf_map_update_elem(&socks, &skaddr, &fresh, BPF_NOEXIST))
		return bpf_map_lookup_elem(&socks, &skaddr);
	count(TT_CNT_SOCK_NEW);
	st = svc_stats(&fresh.svc);
	if (st && fresh.flags)
		st->adopted++;
	return bpf_map_lookup_elem(&socks, &skaddr);
}

static __always_inline void record_latency(struct tt_sock *s, __u64 now)
{
	__u64 lat = now - s->start_ns;
	struct tt_svc_stats *st;
	__u32 slot;

	s->start_ns = 0;
	st = svc_stats(&s->svc);
	if (!st)
		return;
	st->requests++;
	st->lat_sum_ns += lat;
	if (lat > st->lat_max_ns)
		st->lat_max_ns = lat;
	slot = tt_hist_slot(lat);
	st->hist[slot & TT_HIST_MASK]++;
	/* The process answering or asking names the service; write it once
	 * per socket, not per request. */
	if (!(s->flags & TT_SOCK_F_COMM)) {
		bpf_get_current_comm(st->comm, sizeof(st->comm));
		s->flags |= TT_SOCK_F_COMM;
	}
}

/*
 * A request/response turn: the side that asks (a server's peer, a client
 * socket) starts the clock with its first bytes after the previous answer,
 * the first bytes of the answer stop it. Later bytes of either direction in
 * the same turn change nothing.
 */
static __always_inline int on_data(struct trace_event_raw_sock_msg_length *ctx, bool is_recv)
{
	struct tt_sock *s;
	bool asks;
	__u64 now;

	if (ctx->ret <= 0 || ctx->protocol != IPPROTO_TCP ||
	    (ctx->family != AF_INET && ctx->family != AF_INET6))
		return 0;
	if (is_recv && (ctx->flags & MSG_PEEK))
		return 0;
	s = sock_state((__u64)ctx->sk);
	if (!s)
		return 0;
	/* Received bytes ask on a server socket, sent bytes on a client. */
	asks = is_recv == (s->svc.role == TT_ROLE_SERVER);
	if (asks) {
		if (!s->start_ns)
			s->start_ns = bpf_ktime_get_ns();
		return 0;
	}
	if (s->start_ns) {
		now = bpf_ktime_get_ns();
		record_latency(s, now);
	}
	return 0;
}

SEC("tracepoint/sock/sock_recv_length")
int handle_sock_recv_length(struct trace_event_raw_sock_msg_length *ctx)
{
	count(TT_CNT_EV_RECV);
	return on_data(ctx, true);
}

SEC("tracepoint/sock/sock_send_length")
int handle_sock_send_length(struct trace_event_raw_sock_msg_length *ctx)
{
	count(TT_CNT_EV_SEND);
	return on_data(ctx, false);
}

/* The service of a socket we may not track: its state if we have it,
 * otherwise a guess from the ports. */
static __always_inline struct tt_svc_stats *svc_of(__u64 skaddr, __u16 lport, __u16 rport)
{
	struct tt_sock *s = bpf_map_lookup_elem(&socks, &skaddr);
	struct tt_svc_key key;

	if (s)
		return svc_stats(&s->svc);
	classify(lport, rport, &key);
	return svc_stats(&key);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int handle_tcp_receive_reset(struct trace_event_raw_tcp_event_sk *ctx)
{
	struct tt_svc_stats *st;

	count(TT_CNT_EV_RESET_IN);
	st = svc_of((__u64)ctx->skaddr, ctx->sport, ctx->dport);
	if (st)
		st->resets++;
	return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int handle_tcp_send_reset(struct trace_event_raw_tcp_send_reset *ctx)
{
	__u64 skaddr = (__u64)ctx->skaddr;
	struct tt_svc_stats *st;
	__u16 lport, rport;

	count(TT_CNT_EV_RESET_OUT);
	/* No socket: a RST for a segment nobody owns, no service to charge. */
	if (!skaddr)
		return 0;
	/* An active reset comes after the move to CLOSE, which zeroes the
	 * socket's local port; the event's own addresses keep it. Both
	 * sockaddr_in and sockaddr_in6 hold the port at offset 2. */
	if (bpf_core_field_exists(ctx->saddr)) {
		lport = __builtin_bswap16(*(__u16 *)&ctx->saddr[2]);
		rport = __builtin_bswap16(*(__u16 *)&ctx->daddr[2]);
	} else {
		sock_ports((const struct sock *)skaddr, &lport, &rport);
	}
	st = svc_of(skaddr, lport, rport);
	if (st)
		st->resets++;
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int handle_tcp_retransmit_skb(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	struct tt_svc_stats *st;

	count(TT_CNT_EV_RETRANS);
	st = svc_of((__u64)ctx->skaddr, ctx->sport, ctx->dport);
	if (st)
		st->retransmits++;
	return 0;
}
