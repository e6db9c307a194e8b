// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>

#include "agent/progsets.h"
#include "telltale.h"

/* The kernel side counts each hook's events in its own counter, in the
 * order of progsets_hooks: the six tracepoints, then the syscalls in the
 * order of telltale.bpf.c's SYS_DATA numbers. */
_Static_assert(TT_CNT_EV_SYS - TT_CNT_EV_STATE + TT_SYS_HOOKS == PROGSETS_NHOOKS,
	       "one event counter a hook");

#define SYS(call, what)                                                              \
	{ "syscalls", "sys_exit_" #call, what, "btf_sys_" #call, "handle_sys_" #call, \
	  "pr_sys_" #call, "st_sys_" #call, HOOK_SYS_DATA }

const struct hook progsets_hooks[PROGSETS_NHOOKS] = {
	{ "sock", "inet_sock_set_state", "connections opened/closed/failed/active",
	  "btf_inet_sock_set_state", "handle_inet_sock_set_state", NULL, NULL, HOOK_CONN },
	{ "sock", "sock_recv_length", "requests and latency", "btf_sock_recv_length",
	  "handle_sock_recv_length", NULL, NULL, HOOK_SOCK_DATA },
	{ "sock", "sock_send_length", "requests and latency", "btf_sock_send_length",
	  "handle_sock_send_length", NULL, NULL, HOOK_SOCK_DATA },
	{ "tcp", "tcp_receive_reset", "received resets", "btf_tcp_receive_reset",
	  "handle_tcp_receive_reset", NULL, NULL, HOOK_CONN },
	{ "tcp", "tcp_send_reset", "sent resets", "btf_tcp_send_reset", "handle_tcp_send_reset",
	  NULL, NULL, HOOK_CONN },
	{ "tcp", "tcp_retransmit_skb", "retransmits", "btf_tcp_retransmit_skb",
	  "handle_tcp_retransmit_skb", NULL, NULL, HOOK_CONN },
	SYS(read, "requests read with read()"),
	SYS(readv, "requests read with readv()"),
	SYS(recvfrom, "requests read with recv()/recvfrom()"),
	SYS(recvmsg, "requests read with recvmsg()"),
	SYS(recvmmsg, "requests read with recvmmsg()"),
	SYS(write, "responses sent with write()"),
	SYS(writev, "responses sent with writev()"),
	SYS(sendto, "responses sent with send()/sendto()"),
	SYS(sendmsg, "responses sent with sendmsg()"),
	SYS(sendmmsg, "responses sent with sendmmsg()"),
	SYS(sendfile64, "responses sent with sendfile()"),
};

const struct progset progsets_sets[PROGSETS_NSETS] = {
	{ "tp_btf", true, HOOK_SOCK_DATA, true, false, false, false },
	{ "tracepoint", false, HOOK_SOCK_DATA, false, false, false, false },
	{ "tp_btf+syscalls", true, HOOK_SYS_DATA, true, true, false, false },
	{ "tp_btf+syscalls+probe_read", true, HOOK_SYS_DATA, false, true, true, false },
	{ "tracepoint+syscalls", false, HOOK_SYS_DATA, false, true, false, false },
	{ "tracepoint+syscalls+stack", false, HOOK_SYS_DATA, false, false, false, true },
};

bool progsets__uses(const struct progset *s, const struct hook *h)
{
	return h->role == HOOK_CONN || h->role == s->data;
}

const char *progsets__prog(const struct progset *s, const struct hook *h)
{
	if (s->probe_read && h->read_prog)
		return h->read_prog;
	if (s->stack_regs && h->stack_prog)
		return h->stack_prog;
	return s->btf ? h->btf_prog : h->classic_prog;
}

bool progsets__wanted(const struct progset *s, const char *want)
{
	if (!want)
		return true;
	if (!strcmp(want, "syscalls"))
		return s->data == HOOK_SYS_DATA;
	return !strcmp(want, s->name);
}
