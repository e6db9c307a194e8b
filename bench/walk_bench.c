// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What a walk of the classic sets' socket hash costs (user/agent/evict.c):
 * an LRU hash of N sockets (default 49,152, --max-sockets' default), filled
 * with sockets of 1,024 services, walked as the agent walks it each interval
 * while it may be evicting: in batches (5.6 and later) and an entry at a
 * time (before). Prints the best and median of RUNS walks each, in turn.
 * Needs root (it creates BPF maps).
 *
 *   build/tools/walk_bench [entries]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/evict.h"
#include "telltale.h"

#define RUNS 9
#define SLOTS 1024

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The hash, full of counted sockets; the counters say it holds them all. */
static int fill(uint32_t entries, int *socks, int *counters)
{
	int ncpus = libbpf_num_possible_cpus();
	uint32_t idx = TT_CNT_SOCK_NEW;
	struct tt_sock v = { 0 };
	uint64_t key, *vals;
	uint32_t i;

	*socks = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "walk_socks", sizeof(key), sizeof(v),
				entries, NULL);
	*counters = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "walk_counters", sizeof(idx),
				   sizeof(uint64_t), TT_CNT_MAX, NULL);
	vals = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*vals));
	if (*socks < 0 || *counters < 0 || !vals) {
		fprintf(stderr, "walk_bench: cannot create the maps (%s); run as root\n",
			strerror(errno));
		return -1;
	}
	for (i = 0; i < entries; i++) {
		key = 0xffff888000000000ull + (uint64_t)i * 2048;
		v.slot = i % SLOTS;
		v.flags = TT_SOCK_F_COUNTED;
		bpf_map_update_elem(*socks, &key, &v, BPF_ANY);
	}
	vals[0] = entries;
	bpf_map_update_elem(*counters, &idx, vals, BPF_ANY);
	free(vals);
	return 0;
}

/* RUNS walks; prints their best and median in ms, and what they found. */
static void time_walks(const char *how, struct evict_watch *w, uint32_t entries)
{
	static uint16_t gens[SLOTS];
	static uint32_t live[SLOTS];
	double ms[RUNS], t;
	uint64_t found = 0;
	int r, i;

	for (r = 0; r < RUNS; r++) {
		/* The agent spaces its walks and skips them far from full;
		 * timed here back to back, each as if the hash had just filled. */
		w->next_walk = 0;
		w->created = 0;
		t = now();
		if (evict__live(w, SLOTS, gens, live) != 1) {
			printf("%s: no walk\n", how);
			return;
		}
		ms[r] = (now() - t) * 1e3;
	}
	for (i = 0; i < SLOTS; i++)
		found += live[i];
	qsort(ms, RUNS, sizeof(ms[0]), by_value);
	printf("%-16s %8.2f ms best, %8.2f ms median a walk of %u entries (%llu counted found)\n",
	       how, ms[0], ms[RUNS / 2], entries, (unsigned long long)found);
}

int main(int argc, char **argv)
{
	uint32_t entries = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : TT_MAX_SOCKETS;
	struct evict_watch w;
	int socks, counters, round;

	if (fill(entries, &socks, &counters) || evict__init(&w, socks, counters, entries))
		return 1;
	for (round = 0; round < 2; round++) {
		w.no_batch = false;
		time_walks("in batches", &w, entries);
		w.no_batch = true;
		time_walks("an entry a time", &w, entries);
	}
	evict__free(&w);
	return 0;
}
