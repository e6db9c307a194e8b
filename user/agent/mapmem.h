/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel memory a BPF map takes, from its definition alone (type, key
 * and value sizes, entries, flags) and a count of possible CPUs: the sum
 * the kernel charges (what /proc/PID/fdinfo shows as memlock), so that it
 * can be printed for hosts other than this one.
 */
#ifndef TT_MAPMEM_H
#define TT_MAPMEM_H

#include <stdint.h>

struct bpf_map;

uint64_t mapmem__bytes(const struct bpf_map *m, int ncpus);

#endif /* TT_MAPMEM_H */
