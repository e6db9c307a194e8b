// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Relocations the kernel matrix check must judge right, never loaded: a
 * field no kernel has, a type no kernel has, a field of another type (each
 * must FAIL), the same missing field behind an existence check and a real
 * field (each must pass). tests/kernels/matrix.sh runs it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct sock___broken {
	int tt_no_such_field;
	void *sk_protocol; /* an integer in the kernel */
} __attribute__((preserve_access_index));

struct tt_no_such_type {
	int x;
} __attribute__((preserve_access_index));

SEC("tracepoint/sock/inet_sock_set_state")
int broken_field(struct sock___broken *sk)
{
	return sk->tt_no_such_field;
}

SEC("tracepoint/sock/inet_sock_set_state")
int broken_type(void *ctx)
{
	return bpf_core_type_size(struct tt_no_such_type);
}

SEC("tracepoint/sock/inet_sock_set_state")
int broken_kind(struct sock___broken *sk)
{
	return sk->sk_protocol != 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int guarded_field(struct sock___broken *sk)
{
	if (bpf_core_field_exists(sk->tt_no_such_field))
		return sk->tt_no_such_field;
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int real_field(struct sock *sk)
{
	return sk->sk_protocol;
}
