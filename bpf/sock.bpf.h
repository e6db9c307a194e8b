/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Per-socket state: the request a socket has pending and the slot of its
 * service. Included once, by telltale.bpf.c.
 */
#ifndef TT_SOCK_BPF_H
#define TT_SOCK_BPF_H

/*
 * Socket state for the tp_btf programs: sets of TT_SOCK_WAYS ways in an
 * array. The socket's address, hashed two ways, picks two sets (it needs no
 * read, which costs a kernel call where the socket is only an address) and
 * tags the way, so a hit is exact. A new socket takes a free way of the first
 * set, or of the second when it is less used and the first half full, with a
 * compare-and-swap; when both are full it is not tracked and its events are
 * counted in TT_CNT_SOCK_FULL. At CLOSE a way is marked free for the next
 * socket of its set (TT_WAY_FREE, see sock_close); until one takes it, the
 * closed socket's late events still find it. The loader sizes the table (a
 * power of two) and sets targ_sock_set_mask.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TT_MAX_SOCKETS);
	__type(key, __u32);
	__type(value, struct tt_sock_way);
} sock_table SEC(".maps");

const volatile __u32 targ_sock_set_mask = TT_MAX_SOCKETS / TT_SOCK_WAYS - 1;

/* Socket state for the classic programs, keyed by struct sock address. LRU
 * so that sockets we never see close cannot fill it. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TT_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct tt_sock);
} socks SEC(".maps");


/*
 * How a program holds its socket; a constant at every call site, so each
 * program keeps one branch of every test of it.
 * SK_BTF: a typed pointer the verifier lets us load from (tp_btf programs,
 * and the syscall programs through bpf_rdonly_cast), its state in the
 * socket table, the time the socket's TCP clock.
 * SK_ADDR: an address, each field read through bpf_probe_read_kernel (the
 * syscall programs before 6.2, beside the tp_btf programs), the same table
 * and clock.
 * SK_HASH: an address (classic tracepoints), its state in the socket hash,
 * the time bpf_ktime_get_ns.
 */
enum sk_how { SK_BTF, SK_ADDR, SK_HASH };

#define SK_READ(how, sk, field) ((how) == SK_BTF ? (sk)->field : BPF_CORE_READ(sk, field))

/* sk_protocol and sk_type were bitfields before 5.6: read them as CO-RE
 * reads a bitfield, which reads a plain field the same. The tp_btf
 * programs need 5.12, where they are plain. */
#define SK_PROTOCOL(sk) ((__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol))
#define SK_TYPE(sk) ((__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type))
#define SK_READ_PROTOCOL(how, sk) ((how) == SK_BTF ? (sk)->sk_protocol : SK_PROTOCOL(sk))
#define SK_READ_TYPE(how, sk) ((how) == SK_BTF ? (sk)->sk_type : SK_TYPE(sk))

/* Ports of a socket: skc_num is host order, skc_dport network order. */
static __always_inline void sock_ports(struct sock *sk, enum sk_how how, __u16 *lport,
				       __u16 *rport)
{
	*lport = SK_READ(how, sk, __sk_common.skc_num);
	*rport = __builtin_bswap16(SK_READ(how, sk, __sk_common.skc_dport));
}

/*
 * The first way of each of sk's two sets: the low half of its address (slab
 * objects spread over memory: it varies where the high half does not),
 * mixed by two multiplicative hashes; over real socket addresses the sets
 * fill as they would at random. The verifier lets a privileged program
 * compare and store a socket's address as a number, and take its low half
 * as one (a 32-bit move, written out: the compiler would zero-extend it with
 * shifts, which the verifier refuses on a pointer).
 */
static __always_inline __u32 table_base(struct sock *sk, __u32 mult, __u32 shift)
{
	__u32 h;

	asm volatile("%0 = %1" : "=w"(h) : "w"((__u32)(__u64)sk));
	h *= mult;
	return ((h ^ (h >> shift)) & targ_sock_set_mask) * TT_SOCK_WAYS;
}

#define TABLE_SET_A(sk) table_base(sk, 2654435761u, 15)
#define TABLE_SET_B(sk) table_base(sk, 2246822519u, 13)

/* The way of the set at base holding sk, or NULL. */
static __always_inline struct tt_sock_way *set_find(struct sock *sk, __u32 base)
{
	struct tt_sock_way *way;
	__u32 i, w;

	for (w = 0; w < TT_SOCK_WAYS; w++) {
		i = base + w;
		way = bpf_map_lookup_elem(&sock_table, &i);
		if (way && (way->sk == (__u64)sk || way->sk == (__u64)sk + TT_WAY_FREE))
			return way;
	}
	return NULL;
}

/* The table way holding sk, in either of its sets, or NULL. */
static __always_inline struct tt_sock_way *table_find(struct sock *sk)
{
	struct tt_sock_way *way = set_find(sk, TABLE_SET_A(sk));

	return way ? way : set_find(sk, TABLE_SET_B(sk));
}

/* Ways of the set at base that a live socket holds. */
static __always_inline __u32 set_used(__u32 base)
{
	struct tt_sock_way *way;
	__u32 i, w, used = 0;

	for (w = 0; w < TT_SOCK_WAYS; w++) {
		i = base + w;
		way = bpf_map_lookup_elem(&sock_table, &i);
		if (way && way->sk && !(way->sk & TT_WAY_FREE))
			used++;
	}
	return used;
}

/* Claims a way of the set at base for sk: one never used or left by a
 * closed socket. The compare-and-swap settles a race with another CPU; it
 * also takes the free mark away in the same word, so no other CPU can take
 * the way before its new state is written (a mark kept beside the address,
 * in the state, was still set there until then). */
static __always_inline struct tt_sock_way *set_claim(struct sock *sk, __u32 base)
{
	struct tt_sock_way *way;
	__u32 i, w;
	__u64 old;

	for (w = 0; w < TT_SOCK_WAYS; w++) {
		i = base + w;
		way = bpf_map_lookup_elem(&sock_table, &i);
		if (!way)
			continue;
		old = way->sk;
		if (old && !(old & TT_WAY_FREE))
			continue;
		if (__sync_val_compare_and_swap(&way->sk, old, (__u64)sk) == old)
			return way;
	}
	return NULL;
}

/* Claims a way for sk in its first set, or in its second when the first is
 * half full and the second less so, or in the other when a race filled the
 * one chosen. Two choices keep the sets even: with half as many sockets open
 * as there are ways, a random set of 8 is full for about one socket in 120,
 * the fuller of two practically never (bench/sock_table.py). Keeping to the
 * first set until it is half full keeps most sockets there (at a quarter of
 * the ways open, 96 %), where table_find looks first. Returns NULL, counted,
 * when both are full. */
static __always_inline struct tt_sock_way *table_claim(struct sock *sk)
{
	__u32 a = TABLE_SET_A(sk), b = TABLE_SET_B(sk), used = set_used(a), t;
	struct tt_sock_way *way;

	if (used >= TT_SOCK_WAYS / 2 && set_used(b) < used) {
		t = a;
		a = b;
		b = t;
	}
	way = set_claim(sk, a);
	if (!way && b != a)
		way = set_claim(sk, b);
	if (!way)
		count(TT_CNT_SOCK_FULL);
	return way;
}

/* Marks the way holding s free for the next socket of its set. Only its
 * owner writes a word without the mark, so a plain store is enough. The
 * mark is added, not or-ed: the verifier refuses bitwise operations on a
 * pointer, and the address is even. */
static __always_inline void way_free(struct tt_sock *s, struct sock *sk)
{
	struct tt_sock_way *way = (void *)s - __builtin_offsetof(struct tt_sock_way, s);

	way->sk = (__u64)sk + TT_WAY_FREE;
}

/* The socket's state if we have it. */
static __always_inline struct tt_sock *sock_find(struct sock *sk, enum sk_how how)
{
	struct tt_sock_way *way;
	__u64 key = (__u64)sk;

	if (how == SK_HASH)
		return bpf_map_lookup_elem(&socks, &key);
	way = table_find(sk);
	return way ? &way->s : NULL;
}

/* Sets the socket's state to *init, creating it. Returns NULL when there is
 * no room. */
static __always_inline struct tt_sock *sock_set(struct sock *sk, enum sk_how how,
						const struct tt_sock *init)
{
	struct tt_sock_way *way;
	__u64 key = (__u64)sk;

	if (how == SK_HASH) {
		if (bpf_map_update_elem(&socks, &key, init, BPF_ANY))
			return NULL;
		return bpf_map_lookup_elem(&socks, &key);
	}
	way = table_find(sk);
	/* A new socket at a closed one's address: its way is free to take,
	 * so it takes it back like any other, or another CPU has. */
	if (way && (way->sk & TT_WAY_FREE) &&
	    __sync_val_compare_and_swap(&way->sk, key + TT_WAY_FREE, key) != key + TT_WAY_FREE)
		way = NULL;
	if (!way)
		way = table_claim(sk);
	if (!way)
		return NULL;
	way->s = *init;
	return &way->s;
}

/*
 * Events can follow CLOSE: an active RST (CLOSE has zeroed an accepted
 * socket's local port by then) and a response read after a RST. So a table
 * way is only marked closed, for a new socket of its set to take when it
 * needs one. A hash entry goes at once unless a request is pending; then it
 * waits for LRU eviction or the next handshake on the same address.
 */
static __always_inline void sock_close(struct sock *sk, enum sk_how how, struct tt_sock *s)
{
	__u64 skaddr = (__u64)sk;

	if (how != SK_HASH) {
		if (s && !(s->flags & TT_SOCK_F_CLOSED)) {
			s->flags |= TT_SOCK_F_CLOSED;
			way_free(s, sk);
			count(TT_CNT_SOCK_DEL);
		}
		return;
	}
	if (!(s && s->start_ns) && !bpf_map_delete_elem(&socks, &skaddr))
		count(TT_CNT_SOCK_DEL);
}

#endif /* TT_SOCK_BPF_H */
