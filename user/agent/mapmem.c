// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <bpf/libbpf.h>

#include "agent/mapmem.h"

/* The kernel's own structures, on 64-bit kernels from 6.1 to 6.18 (where
 * the memlock figures this follows were checked): the map headers, a hash
 * element before its key, a hash bucket, the per-CPU lock counters. */
#define ARRAY_HEADER 312
#define QUEUE_HEADER 312
#define HTAB_HEADER 896
#define HTAB_ELEM 48
#define HTAB_BUCKET 16
#define HTAB_LOCKS 8
#define PAGE 4096

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t n = 1;

	while (n < v)
		n <<= 1;
	return n;
}

static uint64_t array_bytes(const struct bpf_map *m, int ncpus, int percpu)
{
	uint64_t entries = bpf_map__max_entries(m), elem = round_up(bpf_map__value_size(m), 8);

	if (percpu)
		return ARRAY_HEADER + entries * (8 + elem * (uint64_t)ncpus);
	if (bpf_map__map_flags(m) & BPF_F_MMAPABLE)
		return round_up(ARRAY_HEADER, PAGE) + round_up(entries * elem, PAGE);
	return ARRAY_HEADER + entries * elem;
}

/* Preallocated hash maps: every element exists from creation; a plain hash
 * has one spare element per CPU, and a per-CPU free list pointer. */
static uint64_t hash_bytes(const struct bpf_map *m, int ncpus, int lru)
{
	uint64_t entries = bpf_map__max_entries(m), cpus = (uint64_t)ncpus;
	uint64_t elem = HTAB_ELEM + round_up(bpf_map__key_size(m), 8) +
			round_up(bpf_map__value_size(m), 8);
	uint64_t sum = HTAB_HEADER + HTAB_BUCKET * pow2_at_least(entries) +
		       sizeof(int) * HTAB_LOCKS * cpus;

	if (lru)
		return sum + elem * entries;
	return sum + elem * (entries + cpus) + sizeof(void *) * cpus;
}

uint64_t mapmem__bytes(const struct bpf_map *m, int ncpus)
{
	switch (bpf_map__type(m)) {
	case BPF_MAP_TYPE_ARRAY:
		return array_bytes(m, ncpus, 0);
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		return array_bytes(m, ncpus, 1);
	case BPF_MAP_TYPE_HASH:
		return hash_bytes(m, ncpus, 0);
	case BPF_MAP_TYPE_LRU_HASH:
		return hash_bytes(m, ncpus, 1);
	case BPF_MAP_TYPE_QUEUE:
		return QUEUE_HEADER + ((uint64_t)bpf_map__max_entries(m) + 1) *
					      bpf_map__value_size(m);
	default: /* telltale has no other kind; a rough figure */
		return (uint64_t)bpf_map__max_entries(m) *
		       (bpf_map__key_size(m) + bpf_map__value_size(m));
	}
}
