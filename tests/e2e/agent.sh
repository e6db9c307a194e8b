#!/bin/bash
# The agent's own behaviour: bad input gets a clear message and the right exit
# code, a missing tracepoint costs only its metrics, SIGTERM prints the last
# interval and leaves no program loaded.
. "$(dirname "$0")/lib.sh"
need jq bpftool runuser python3

expect_exit() {
	local want=$1 pattern=$2; shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	[ $rc -eq "$want" ] || { cat "$WORK/err"; fail "'$*' exited $rc, expected $want"; }
	grep -q -- "$pattern" "$WORK/err" || { cat "$WORK/err"; fail "'$*' did not say '$pattern'"; }
	echo "ok: '$*' -> exit $rc, says '$pattern'"
}

expect_exit 2 "unrecognized option '--bogus'" "$TT_BIN" --bogus
expect_exit 2 "is not a number from 0.1 to 3600" "$TT_BIN" --interval 0
expect_exit 2 "is not a number" "$TT_BIN" --interval 1s
expect_exit 2 "unexpected argument" "$TT_BIN" extra
expect_exit 1 "run as root" runuser -u nobody -- "$TT_BIN" --duration 1
expect_exit 1 "no kernel BTF at /nonexistent" "$TT_BIN" --btf /nonexistent --duration 1
"$TT_BIN" --version | grep -q '^telltale [0-9]' || fail "--version"

# A kernel without the retransmit tracepoint: the agent warns, names what is
# lost, and runs on with everything else.
TELLTALE_HIDE_TRACEPOINTS=tcp/tcp_retransmit_skb \
	"$TT_BIN" --interval 0.5 --duration 1.2 >"$WORK/out" 2>"$WORK/err" || fail "degraded agent exited $?"
grep -q "tcp/tcp_retransmit_skb is missing on this kernel: retransmits unavailable" "$WORK/err" ||
	fail "no warning for the missing tracepoint"
grep -q "attached tp_btf programs: sock/inet_sock_set_state" "$WORK/err" || fail "did not attach the rest"
jq -se '.[0] | .event == "start" and any(.hooks[]; .tracepoint == "tcp/tcp_retransmit_skb" and .attached == false and .lost == "retransmits")' "$WORK/out" >/dev/null ||
	fail "the start line does not record the missing hook"
[ "$(jq -s '[.[] | select(.type == "host")] | length' "$WORK/out")" -ge 2 ] || fail "degraded agent printed no intervals"
echo "ok: runs without tcp/tcp_retransmit_skb"

TELLTALE_HIDE_TRACEPOINTS=sock/inet_sock_set_state,sock/sock_recv_length,sock/sock_send_length,tcp/tcp_receive_reset,tcp/tcp_send_reset,tcp/tcp_retransmit_skb \
	expect_exit 1 "none of telltale's tracepoints exist" "$TT_BIN" --duration 1

# A kernel that refuses the tp_btf set: the classic tracepoint set runs.
TELLTALE_HOOKS=tracepoint "$TT_BIN" --interval 0.5 --duration 1.2 >"$WORK/out" 2>"$WORK/err" || fail "tracepoint set exited $?"
grep -q "attached tracepoint programs: sock/inet_sock_set_state" "$WORK/err" || fail "classic set not attached"
jq -se '.[0].programs == "tracepoint"' "$WORK/out" >/dev/null || fail "start line does not name the set"
echo "ok: runs on the classic tracepoint set"

# A kernel without the socket data tracepoints (before 6.3): the syscall
# programs take the requests, chosen without a word of warning.
TELLTALE_HIDE_TRACEPOINTS=sock/sock_recv_length,sock/sock_send_length \
	"$TT_BIN" --interval 0.5 --duration 1.2 >"$WORK/out" 2>"$WORK/err" || fail "syscall set exited $?"
grep -q "attached tp_btf+syscalls programs: sock/inet_sock_set_state .*syscalls/sys_exit_read " "$WORK/err" ||
	fail "syscall set not attached: $(cat "$WORK/err")"
! grep -q warning "$WORK/err" || fail "warnings on the syscall set: $(cat "$WORK/err")"
jq -se '.[0] | .programs == "tp_btf+syscalls" and all(.hooks[]; .attached) and
	any(.hooks[]; .tracepoint == "syscalls/sys_exit_sendfile64") and
	all(.hooks[]; .tracepoint != "sock/sock_recv_length")' "$WORK/out" >/dev/null ||
	fail "start line does not record the syscall set"
echo "ok: runs on the syscall programs without the socket data tracepoints"

# And without bpf_rdonly_cast either (6.1): the syscall programs that read
# through bpf_probe_read_kernel, beside the tp_btf programs.
TELLTALE_HIDE_TRACEPOINTS=sock/sock_recv_length,sock/sock_send_length TELLTALE_HIDE_KFUNCS=bpf_rdonly_cast \
	"$TT_BIN" --interval 0.5 --duration 1.2 >"$WORK/out" 2>"$WORK/err" || fail "probe_read set exited $?"
grep -q "attached tp_btf+syscalls+probe_read programs: sock/inet_sock_set_state .*syscalls/sys_exit_read " "$WORK/err" ||
	fail "probe_read set not attached: $(cat "$WORK/err")"
! grep -q warning "$WORK/err" || fail "warnings on the probe_read set: $(cat "$WORK/err")"
jq -se '.[0] | .programs == "tp_btf+syscalls+probe_read" and all(.hooks[]; .attached)' "$WORK/out" >/dev/null ||
	fail "start line does not record the probe_read set"
echo "ok: runs on the probe_read syscall programs without bpf_rdonly_cast"

# And without bpf_task_pt_regs either (5.10): the classic syscall programs
# that find a call's registers on the task's stack; its stats count the
# exits whose registers were not there, none on this kernel.
TELLTALE_HIDE_TRACEPOINTS=sock/sock_recv_length,sock/sock_send_length TELLTALE_HIDE_HELPERS=bpf_task_pt_regs \
	"$TT_BIN" --interval 0.5 --duration 1.2 >"$WORK/out" 2>"$WORK/err" || fail "stack set exited $?"
grep -q "attached tracepoint+syscalls+stack programs: sock/inet_sock_set_state .*syscalls/sys_exit_read " "$WORK/err" ||
	fail "stack set not attached: $(cat "$WORK/err")"
! grep -q warning "$WORK/err" || fail "warnings on the stack set: $(cat "$WORK/err")"
jq -se '.[0].programs == "tracepoint+syscalls+stack" and all(.[0].hooks[]; .attached) and
	(map(select(.event == "stop"))[0].maps.syscall_regs_missed == 0)' "$WORK/out" >/dev/null ||
	fail "the start or stop line does not record the stack set: $(head -c 600 "$WORK/out")"
echo "ok: runs on the stack syscall programs without bpf_task_pt_regs, no registers missed"

# A set forced where the kernel cannot run its request programs (as on 6.1's
# tp_btf+syscalls, found by make vmtest): connections only, and the warning
# names the reason, not a missing tracepoint.
TELLTALE_HOOKS=tp_btf+syscalls TELLTALE_HIDE_TRACEPOINTS=sock/sock_recv_length,sock/sock_send_length \
	TELLTALE_HIDE_KFUNCS=bpf_rdonly_cast \
	"$TT_BIN" --interval 0.5 --duration 1.2 >"$WORK/out" 2>"$WORK/err" || fail "forced set exited $?"
grep -q "the tp_btf+syscalls set's program for syscalls/sys_exit_read needs a helper or kfunc this kernel lacks" "$WORK/err" ||
	fail "no reason given for the forced set's missing programs: $(cat "$WORK/err")"
! grep -q "syscalls/sys_exit_read is missing on this kernel" "$WORK/err" ||
	fail "a syscall tracepoint said missing where it exists"
echo "ok: a forced set the kernel cannot run whole says why"

# TELLTALE_HOOKS=syscalls forces the first syscall set that loads, here where
# the socket data tracepoints exist too, and that set counts requests.
TOOLS=$(dirname "$TT_BIN")/tools
PORT=$(free_port)
"$TOOLS/delay_server" "$PORT" 200 200 2>"$WORK/srv.err" &
SRV=$!
on_exit "kill $SRV; wait $SRV"
wait_port "$PORT"
export TELLTALE_HOOKS=syscalls
start_agent --allow-multiple
unset TELLTALE_HOOKS
python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for _ in range(25):
    s.sendall(b"x\n")
    assert s.recv(16) == b"ok\n"
' "$PORT" || fail "the client failed"
sleep 1.1
stop_agent
SET=$(jq -rs '.[0].programs' "$WORK/agent.jsonl")
case $SET in
tp_btf+syscalls | tp_btf+syscalls+probe_read | tracepoint+syscalls | tracepoint+syscalls+stack) ;;
*) fail "TELLTALE_HOOKS=syscalls loaded the $SET set" ;;
esac
grep -q "attached $SET programs: .*syscalls/sys_exit_read " "$WORK/agent.err" || fail "no syscall program attached"
for side in server client; do
	expect_range "$side:$PORT requests on $SET" "$(agent_sum $side "$PORT" .requests)" 25 25
done
jq -se '[.[] | select(.event == "stop")][0].events | ."syscalls/sys_exit_read" > 0 and ."syscalls/sys_exit_write" > 0' \
	"$WORK/agent.jsonl" >/dev/null || fail "the stop line counts no events of the syscall programs"
echo "ok: TELLTALE_HOOKS=syscalls runs $SET and counts every request"

# SIGTERM: exit 0, the last (partial) interval printed, no program left.
progs() { bpftool prog show | grep -c 'name btf_sock_recv_length'; }
before=$(progs)
# A file of its own: an earlier run's "attached" must not end the wait
# before this agent has truncated it. AGENT_PID: a failure stops it.
"$TT_BIN" --interval 60 >"$WORK/out" 2>"$WORK/term.err" &
pid=$!
AGENT_PID=$pid
for i in $(seq 100); do grep -qs attached "$WORK/term.err" && break; sleep 0.1; done
[ "$(progs)" -eq $((before + 1)) ] || fail "program not loaded while running"
kill -TERM $pid
wait $pid || fail "agent exited $? on SIGTERM"
AGENT_PID=
[ "$(jq -s '[.[] | select(.type == "host")] | length' "$WORK/out")" -eq 1 ] || fail "no last interval on SIGTERM"
sleep 0.2
[ "$(progs)" -eq "$before" ] || fail "programs still loaded after exit"
echo "ok: SIGTERM prints the last interval and unloads"
