// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Empty tp_btf programs on the two tracepoints every request crosses, for
 * bench/overhead: what the hook alone costs, without telltale's work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sock_recv_length")
int BPF_PROG(floor_recv, struct sock *sk, int ret, int flags)
{
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(floor_send, struct sock *sk, int ret, int flags)
{
	return 0;
}
