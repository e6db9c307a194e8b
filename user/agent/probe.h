/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the running kernel and process can do, found by looking, never by
 * comparing kernel versions. Each check prints the problem and its fix.
 */
#ifndef TT_PROBE_H
#define TT_PROBE_H

#include <stdbool.h>

#define TT_TRACEFS "/sys/kernel/tracing"

/* Root, or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (mounting tracefs,
 * seeding maps). Returns 0, or -EPERM after printing what to do. */
int probe__privileges(void);

/* Kernel BTF at btf_path, which CO-RE needs. Returns 0, or -ENOENT after
 * printing what to do. */
int probe__btf(const char *btf_path);

/* Mounts tracefs at /sys/kernel/tracing unless it is there already, since
 * tracepoints are attached by the ids it lists. Returns 0, or a negative
 * errno after printing what to do. */
int probe__tracefs(void);

/* Whether tracepoint category/name exists on the running kernel. */
bool probe__tracepoint(const char *category, const char *name);

/* Whether the kernel lets a tracepoint program call BPF helper `helper`
 * (enum bpf_func_id), called `name`. Quiet while libbpf's output is. A name
 * listed in TELLTALE_HIDE_HELPERS is not (tests: a 5.10 kernel here). */
bool probe__helper(int helper, const char *name);

/* Whether kernel function `name` is in the kernel's BTF (btf_path, or the
 * running kernel's when NULL), which is how libbpf resolves a kfunc. A name
 * listed in TELLTALE_HIDE_KFUNCS is not (tests: a 6.1 kernel here). */
bool probe__kfunc(const char *name, const char *btf_path);

#endif /* TT_PROBE_H */
