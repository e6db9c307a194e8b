// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Empty programs on the syscall exits telltale's syscall set hooks, for
 * bench/overhead: what those hooks alone cost. Any syscall tracepoint in use
 * sends every syscall of every task through the kernel's syscall tracing
 * path, so this also holds that cost.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EMPTY(call)                                              \
	SEC("tracepoint/syscalls/sys_exit_" #call)               \
	int floor_##call(struct trace_event_raw_sys_exit *ctx)   \
	{                                                        \
		return 0;                                        \
	}

EMPTY(read)
EMPTY(readv)
EMPTY(recvfrom)
EMPTY(recvmsg)
EMPTY(recvmmsg)
EMPTY(write)
EMPTY(writev)
EMPTY(sendto)
EMPTY(sendmsg)
EMPTY(sendmmsg)
EMPTY(sendfile64)
