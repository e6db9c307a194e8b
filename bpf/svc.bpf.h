/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Services: the slot of each service in the per-CPU counters, the listening
 * ports that tell a server's socket from a client's, and the agent's global
 * counters. Included once, by telltale.bpf.c.
 */
#ifndef TT_SVC_BPF_H
#define TT_SVC_BPF_H

/*
 * Per-service counters, one slot per service in a per-CPU array, and the
 * slot's generation and latency histogram in a shared one: a socket
 * remembers its service's slot, so the hot path finds both with array
 * indexes the verifier inlines instead of a hash lookup. A new service
 * takes a slot from svc_free, a queue the loader fills with every regular
 * slot, so no service is refused while one is free; svc_index maps key to
 * slot and generation (the first BPF_NOEXIST insert of a key wins) and
 * svc_owner slot to key, for the user side. A service that finds the queue
 * empty is counted in the overflow service of its namespace and role
 * (TT_SVC_F_OTHER), in the slots past the regular ones; an event that finds
 * no slot at all is counted in TT_CNT_SVC_OVERFLOW.
 *
 * Retiring (the loader, for a service idle long enough): mark the owner
 * TT_SVC_F_RETIRED, delete the index entry, raise the generation; one
 * interval later, when no program can still be writing to it, zero the
 * slot, delete the owner and push the slot back on svc_free. A socket whose
 * generation is behind its slot's looks its service up again first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_MAX_SERVICES + TT_OTHER_SLOTS);
	__type(key, __u32);
	__type(value, struct tt_svc_stats);
} svcs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TT_MAX_SERVICES + TT_OTHER_SLOTS);
	__type(key, __u32);
	__type(value, struct tt_svc_shared);
} svc_shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_SERVICES + TT_OTHER_SLOTS);
	__type(key, __u32);
	__type(value, struct tt_svc_key);
} svc_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_SERVICES + TT_OTHER_SLOTS);
	__type(key, struct tt_svc_key);
	__type(value, struct tt_svc_ref);
} svc_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, TT_MAX_SERVICES);
	__type(value, __u32);
} svc_free SEC(".maps");

/* Slots in svcs; the loader sets it with the maps' size. */
const volatile __u32 targ_max_services = TT_MAX_SERVICES;

/* Local ports with a listening socket, per network namespace: seeded by the
 * loader from each namespace's /proc/PID/net/tcp{,6}, then learnt from every
 * passive open. Classifies sockets whose handshake we did not see: a local
 * port that listens in the socket's own namespace makes a server. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TT_MAX_LISTEN_PORTS);
	__type(key, struct tt_listen_key);
	__type(value, __u8);
} listen_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}


static __always_inline bool same_svc(const struct tt_svc_key *a, const struct tt_svc_key *b)
{
	return a->port == b->port && a->role == b->role && a->netns == b->netns &&
	       a->cgroup == b->cgroup && a->flags == b->flags;
}

/* Where an overflow service's slot search starts: every field of the key
 * mixed (multiplicative hashing, one odd constant per word). */
static __always_inline __u32 svc_hash(const struct tt_svc_key *key)
{
	__u32 h = ((__u32)key->port << 1 | key->role) * 2654435761u;

	h ^= key->netns * 2246822519u;
	h ^= (__u32)key->cgroup * 3266489917u;
	h ^= (__u32)(key->cgroup >> 32) * 668265263u;
	return h ^ (h >> 15);
}

static __always_inline __u16 slot_gen(__u32 slot)
{
	struct tt_svc_shared *sh = bpf_map_lookup_elem(&svc_shared, &slot);

	return sh ? sh->gen : 0;
}

/* Enters key at slot c in the index; if another CPU entered it first, its
 * place wins. Returns false when the key has no place after all. */
static __always_inline bool index_insert(const struct tt_svc_key *key, __u32 c,
					 struct tt_svc_ref *ref)
{
	struct tt_svc_ref *idx;

	ref->slot = c;
	ref->gen = slot_gen(c);
	ref->pad = 0;
	if (!bpf_map_update_elem(&svc_index, key, ref, BPF_NOEXIST))
		return true;
	idx = bpf_map_lookup_elem(&svc_index, key);
	if (idx)
		*ref = *idx;
	return idx != NULL;
}

/* The place of the overflow service of key's namespace and role, claimed in
 * the slots past the regular ones on first need. */
static __always_inline void other_slot(const struct tt_svc_key *key, struct tt_svc_ref *ref)
{
	struct tt_svc_key other = { .netns = key->netns, .role = key->role,
				    .flags = TT_SVC_F_OTHER };
	struct tt_svc_ref *idx = bpf_map_lookup_elem(&svc_index, &other);
	__u32 h = svc_hash(&other), c, i;
	struct tt_svc_key *owner;

	/* Whole: a caller copies gen even with no slot, and before 6.x the
	 * verifier refuses a read of stack never written (5.15 did). */
	ref->slot = TT_NO_SLOT;
	ref->gen = 0;
	if (idx) {
		*ref = *idx;
		return;
	}
	for (i = 0; i < TT_SLOT_PROBES; i++) {
		c = targ_max_services + (h + i) % TT_OTHER_SLOTS;
		if (!bpf_map_update_elem(&svc_owner, &c, &other, BPF_NOEXIST))
			break;
		/* Taken: by this service on another CPU just now, or another
		 * (a retired owner has TT_SVC_F_RETIRED, so is another). */
		owner = bpf_map_lookup_elem(&svc_owner, &c);
		if (owner && same_svc(owner, &other))
			break;
	}
	if (i < TT_SLOT_PROBES && !index_insert(&other, c, ref))
		ref->slot = TT_NO_SLOT;
}

/* The place of a service, claiming a free slot on first sight. */
static __always_inline void svc_slot(const struct tt_svc_key *key, struct tt_svc_ref *ref)
{
	struct tt_svc_ref *idx = bpf_map_lookup_elem(&svc_index, key);
	__u32 c;

	if (idx) {
		*ref = *idx;
		return;
	}
	if (bpf_map_pop_elem(&svc_free, &c)) {
		other_slot(key, ref);
		return;
	}
	if (!index_insert(key, c, ref)) {
		ref->slot = TT_NO_SLOT;
		bpf_map_push_elem(&svc_free, &c, BPF_ANY);
		return;
	}
	if (ref->slot != c) {
		/* Another CPU placed this service just now: give the slot back. */
		bpf_map_push_elem(&svc_free, &c, BPF_ANY);
		return;
	}
	bpf_map_update_elem(&svc_owner, &c, key, BPF_ANY);
}

/* Every event that finds no slot is counted, so the loss is visible, and
 * every event of an overflow service, so a full map shows in the stats. */
static __always_inline struct tt_svc_stats *slot_stats(__u32 slot)
{
	if (slot == TT_NO_SLOT) {
		count(TT_CNT_SVC_OVERFLOW);
		return NULL;
	}
	if (slot >= targ_max_services)
		count(TT_CNT_SVC_OTHER);
	return bpf_map_lookup_elem(&svcs, &slot);
}

static __always_inline struct tt_svc_stats *svc_stats(const struct tt_svc_key *key)
{
	struct tt_svc_ref ref;

	svc_slot(key, &ref);
	return slot_stats(ref.slot);
}

/* The counters of a socket's service, and its shared half in *sh if asked.
 * A socket whose slot has since been retired looks its service up again:
 * the new place is where its events go from now on. */
static __always_inline struct tt_svc_stats *sock_stats(struct tt_sock *s,
						       struct tt_svc_shared **sh)
{
	struct tt_svc_shared *x = bpf_map_lookup_elem(&svc_shared, &s->slot);
	struct tt_svc_stats *st;
	struct tt_svc_ref ref;

	if (x && x->gen != s->gen) {
		svc_slot(&s->svc, &ref);
		s->slot = ref.slot;
		s->gen = ref.gen;
		x = bpf_map_lookup_elem(&svc_shared, &s->slot);
		/* The new place's counters start without a name: give it one at
		 * the next turn. An open connection counts there too, where its
		 * close will count, or the active gauge falls one short for good. */
		s->flags &= ~TT_SOCK_F_COMM;
		st = slot_stats(s->slot);
		if (st && (s->flags & TT_SOCK_F_COUNTED))
			st->adopted++;
		if (sh)
			*sh = x;
		return st;
	}
	if (sh)
		*sh = x;
	return slot_stats(s->slot);
}

/* Before 5.5 a kernfs node's id was a union of its inode number and that
 * inode's generation; the inode number is what the cgroup's directory shows
 * (user/agent/workload.c names cgroups by it), and from 5.5 the id is that
 * number. */
union kernfs_node_id___old {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
};

struct kernfs_node___old {
	union kernfs_node_id___old id;
};

/* A field of another type does not exist for CO-RE, so each check below
 * holds on one side of 5.5 only. */
static __always_inline __u64 cgroup_ino(struct cgroup *cg)
{
	struct kernfs_node *kn = BPF_CORE_READ(cg, kn);
	struct kernfs_node___old *old = (void *)kn;

	if (bpf_core_field_exists(kn->id))
		return BPF_CORE_READ(kn, id);
	if (bpf_core_field_exists(old->id.ino))
		return BPF_CORE_READ(old, id.ino);
	return 0;
}

/* The socket's network namespace and cgroup v2 id into key. Both are fixed
 * for the socket's life, so this runs once per socket (its open, or its
 * first sight), never on the data path. The cgroup is the one the socket
 * recorded at creation (an accepted socket inherits its listener's). The
 * first 8 bytes of sk_cgrp_data hold it in both layouts: from 5.15 the
 * `cgroup` pointer, before a `val` that is the pointer unless its low bits
 * say it holds cgroup v1 net_prio/net_cls data (no cgroup v2 to name: 0).
 * Read as bytes so that no field relocation differs between the two. */
static __always_inline void svc_place(struct sock *sk, struct tt_svc_key *key)
{
	struct cgroup *cg;
	__u64 val = 0;

	key->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	bpf_probe_read_kernel(&val, sizeof(val), &sk->sk_cgrp_data);
	cg = (val & 3) ? NULL : (struct cgroup *)val;
	key->cgroup = cg ? cgroup_ino(cg) : 0;
	key->flags = 0;
}

/* The service of a socket: where it lives, and role and port from its ports
 * and its namespace's listening ports. */
static __always_inline void classify(struct sock *sk, __u16 lport, __u16 rport,
				     struct tt_svc_key *key)
{
	struct tt_listen_key lk = { .port = lport };

	svc_place(sk, key);
	lk.netns = key->netns;
	if (bpf_map_lookup_elem(&listen_ports, &lk)) {
		key->role = TT_ROLE_SERVER;
		key->port = lport;
	} else {
		key->role = TT_ROLE_CLIENT;
		key->port = rport;
	}
}

/* A port that finds the map full is not learnt, and the accept is counted:
 * sockets of that port seen later without their handshake would be taken
 * for clients. */
static __always_inline void learn_listen_port(__u32 netns, __u16 port)
{
	struct tt_listen_key lk = { .netns = netns, .port = port };
	__u8 one = 1;

	if (!bpf_map_lookup_elem(&listen_ports, &lk) &&
	    bpf_map_update_elem(&listen_ports, &lk, &one, BPF_ANY))
		count(TT_CNT_LISTEN_FULL);
}

#endif /* TT_SVC_BPF_H */
