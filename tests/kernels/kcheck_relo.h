/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The CO-RE relocations of a BPF object's programs, resolved against a
 * kernel's BTF the way libbpf resolves them at load time, without loading
 * anything: for the kernel matrix check (kcheck).
 */
#ifndef TT_KCHECK_RELO_H
#define TT_KCHECK_RELO_H

#include <stdbool.h>

struct btf;
struct relo_obj;

/* Reads the object's BTF, .BTF.ext relocations and program symbols.
 * Returns NULL (errno set) when the file is not such an object. */
struct relo_obj *relo__open(const char *path);

void relo__close(struct relo_obj *o);

/*
 * Resolves every relocation of program `prog` against `btf`. A relocation
 * that does not resolve is a failure unless it is an existence check (which
 * then says 0) or the program checks the existence of the same type or
 * field first: libbpf then poisons the load, which the verifier drops as
 * dead code. Returns 0, the number of failures (each printed), or -ENOENT
 * when there is no such program. verbose prints every relocation.
 */
int relo__check_prog(struct relo_obj *o, const struct btf *btf, const char *prog, bool verbose);

/*
 * Whether the kernel has a context type (trace_event_raw_*, any flavour) of
 * program `prog`'s: how a classic tracepoint's presence shows in a BTF from
 * before 5.5, which has no btf_trace_ typedefs.
 */
bool relo__ctx_exists(struct relo_obj *o, const struct btf *btf, const char *prog);

#endif /* TT_KCHECK_RELO_H */
