#!/bin/bash
# Kernel faults: a program the verifier refuses (TELLTALE_FAULT loads it as
# the wrong program type), a map the kernel refuses (0 entries), and maps
# refused for memory inside a memory cgroup the test makes. Each gives a
# message naming the program or map and why, exit 1, and leaves no telltale
# program or map in the kernel.
. "$(dirname "$0")/lib.sh"
need bpftool jq

# telltale's programs and maps, by name, as bpftool lists them.
leftovers() {
	bpftool prog show | grep -E 'name (btf|handle)_(inet_sock_set_state|sock_(recv|send)_length|tcp_)'
	bpftool map show | grep -E 'name (svcs|svc_owner|svc_index|sock_table|socks|listen_ports|counters|telltale_)'
}
# Maps are freed by the kernel shortly after the last descriptor closes.
expect_clean() {
	local i
	for i in $(seq 20); do
		[ -z "$(leftovers)" ] && return 0
		sleep 0.1
	done
	leftovers
	fail "telltale programs or maps left in the kernel after $1"
}
# The last test's maps may still be on their way out.
for i in $(seq 30); do [ -z "$(leftovers)" ] && break; sleep 0.1; done
[ -z "$(leftovers)" ] || { leftovers; skip "telltale programs are loaded already (another agent runs)"; }

# expect_refusal WANT_PATTERN ARGS...: runs the agent, which must exit 1 and
# say WANT_PATTERN, and then leave nothing behind.
expect_refusal() {
	local want=$1; shift
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	[ $rc -eq 1 ] || { cat "$WORK/err"; fail "'$*' exited $rc, expected 1"; }
	grep -q -- "$want" "$WORK/err" || { cat "$WORK/err"; fail "'$*' did not say '$want'"; }
	! grep -q attached "$WORK/err" || fail "'$*' attached programs"
	expect_clean "$*"
	echo "ok: $(grep -m1 -- "$want" "$WORK/err" | cut -c1-220)"
}

# 1. The verifier refuses a program: named, with its reason; the verifier's
# log on -v only.
export TELLTALE_HOOKS=tracepoint TELLTALE_FAULT=prog:handle_sock_recv_length
expect_refusal "the kernel refused the tracepoint set's program handle_sock_recv_length: Permission denied: invalid bpf_context access" \
	"$TT_BIN" --duration 1
grep -q "rerun with --verbose for the verifier's log" "$WORK/err" || fail "no hint at --verbose"
! grep -q "BEGIN PROG LOAD LOG" "$WORK/err" || fail "the verifier's log without -v"
expect_refusal "program handle_sock_recv_length: Permission denied: invalid bpf_context access" \
	"$TT_BIN" -v --duration 1
grep -q "BEGIN PROG LOAD LOG" "$WORK/err" || fail "-v did not print the verifier's log"

# 2. Both sets, a map the kernel refuses: each set's refusal is named.
unset TELLTALE_HOOKS
export TELLTALE_FAULT=map:svc_owner
expect_refusal "the kernel refused the tracepoint set's map svc_owner: Invalid argument" "$TT_BIN" --duration 1
grep -q "the kernel refused the tp_btf set's map svc_owner: Invalid argument" "$WORK/err" || fail "the tp_btf set's refusal is not named"
unset TELLTALE_FAULT

# 3. Maps refused for memory: a memory cgroup of 48 MiB and a socket table
# of 256 MiB. cgroup v2 (memory.max) or v1 (memory.limit_in_bytes).
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	parent=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
	CG=$parent/telltale-test.$$
	mkdir "$CG" || skip "cannot make a cgroup under $parent"
	echo $((48 << 20)) >"$CG/memory.max" || fail "cannot set memory.max"
elif [ -d /sys/fs/cgroup/memory ]; then
	CG=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory://p' /proc/self/cgroup)/telltale-test.$$
	mkdir "$CG" || skip "cannot make a memory cgroup"
	echo $((48 << 20)) >"$CG/memory.limit_in_bytes" || fail "cannot set memory.limit_in_bytes"
else
	skip "no memory cgroup controller"
fi
on_exit "rmdir '$CG'"
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
expect_refusal "the kernel refused the tp_btf set's map sock_table for memory (Cannot allocate memory)" \
	in_cg "$TT_BIN" --duration 1 --max-sockets 4194304
grep -q "lower --max-sockets (now 4194304) or --max-services (now 1024)" "$WORK/err" || fail "the memory message does not say what to lower"
grep -q "the kernel refused the tracepoint set's map socks for memory" "$WORK/err" || fail "the classic set's memory refusal is not named"
# The same cgroup holds an agent with the default maps.
in_cg "$TT_BIN" --duration 1 --interval 0.5 >"$WORK/ok.out" 2>"$WORK/ok.err" ||
	{ cat "$WORK/ok.err"; fail "the default maps do not fit 48 MiB"; }
echo "ok: the default maps run in the same 48 MiB cgroup"
