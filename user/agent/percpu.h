/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One entry of a per-CPU array of u64 counters, summed over the CPUs.
 */
#ifndef TT_PERCPU_H
#define TT_PERCPU_H

#include <stdint.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The sum of entry idx of the per-CPU u64 array fd; 0 if it cannot be read. */
static inline uint64_t percpu__sum(int fd, uint32_t idx)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	int i;

	if (fd < 0 || ncpus <= 0)
		return 0;
	uint64_t vals[ncpus];

	/* Zeroed: valgrind does not know the kernel fills one value per CPU. */
	memset(vals, 0, sizeof(vals));
	if (bpf_map_lookup_elem(fd, &idx, vals))
		return 0;
	for (i = 0; i < ncpus; i++)
		sum += vals[i];
	return sum;
}

#endif /* TT_PERCPU_H */
