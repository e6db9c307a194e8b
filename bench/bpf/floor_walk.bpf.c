// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * For bench/overhead: on the syscall exits telltale's syscall set hooks,
 * only the kernel calls its programs must make before 6.2, where no field
 * past the fd table can be loaded: the task, its saved registers, the fd's
 * slot, the file's and the socket's spans (fd.bpf.h's reads, the ones
 * telltale runs), and the TCP clock. What a 6.1
 * kernel charges for reaching a socket, without the socket table and the
 * turn logic.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#define SOCK_STREAM 1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#include "../../bpf/fd.bpf.h"

#define WALK(call)                                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #call)                                    \
	int walk_##call(struct trace_event_raw_sys_exit *ctx)                         \
	{                                                                             \
		struct task_struct *task;                                             \
		struct tcp_sock *tp;                                                  \
		__u64 clock;                                                          \
		__u32 fd;                                                             \
                                                                                      \
		if (ctx->ret <= 0)                                                    \
			return 0;                                                     \
		task = bpf_get_current_task_btf();                                    \
		fd = PT_REGS_PARM1_SYSCALL(sys_regs(task));                           \
		tp = (struct tcp_sock *)fd_sock_span(task, fd);                       \
		if (tp)                                                               \
			bpf_core_read(&clock, sizeof(clock), &tp->tcp_mstamp);        \
		return 0;                                                             \
	}

WALK(read)
WALK(readv)
WALK(recvfrom)
WALK(recvmsg)
WALK(recvmmsg)
WALK(write)
WALK(writev)
WALK(sendto)
WALK(sendmsg)
WALK(sendmmsg)
WALK(sendfile64)
