#!/bin/bash
# One agent per host: a second one is refused, attaching nothing, with a
# message naming the running one; --allow-multiple runs beside it on
# purpose; the lock dies with its holder (SIGKILL too), and a pid file a
# dead agent left does not block.
. "$(dirname "$0")/lib.sh"
need jq bpftool
LOCK=/run/telltale/telltale.pid

progs() { bpftool prog show | grep -c 'name btf_sock_recv_length'; }
before=$(progs)
start_agent --interval 0.5
first=$AGENT_PID
grep -q "^$first 20" "$LOCK" || fail "$LOCK does not name pid $first: $(cat "$LOCK")"

"$TT_BIN" --interval 0.5 --duration 2 >"$WORK/second.out" 2>"$WORK/second.err"
rc=$?
cat "$WORK/second.err"
[ $rc -eq 1 ] || fail "a second agent exited $rc, expected 1"
grep -q "another telltale agent is running (pid $first, started 20" "$WORK/second.err" ||
	fail "the refusal does not name pid $first and its start"
grep -q -- "--allow-multiple" "$WORK/second.err" || fail "the refusal does not name the override"
! grep -q attached "$WORK/second.err" || fail "the refused agent attached programs"
[ ! -s "$WORK/second.out" ] || fail "the refused agent printed lines"
[ "$(progs)" -eq $((before + 1)) ] || fail "$(progs) program sets loaded, expected one more than $before"
echo "ok: a second agent is refused, naming pid $first"

"$TT_BIN" --allow-multiple --interval 0.5 --duration 1.2 >"$WORK/beside.out" 2>"$WORK/beside.err" ||
	{ cat "$WORK/beside.err"; fail "--allow-multiple exited $?"; }
[ "$(jq -s '[.[] | select(.type == "host")] | length' "$WORK/beside.out")" -ge 2 ] ||
	fail "the agent beside the first printed no intervals"
grep -q "^$first 20" "$LOCK" || fail "the agent beside the first touched the lock"
echo "ok: --allow-multiple runs beside it"

kill -KILL "$first"
wait "$first" 2>/dev/null
AGENT_PID=
sleep 0.2
"$TT_BIN" --interval 0.5 --duration 1 >"$WORK/after.out" 2>"$WORK/after.err" ||
	{ cat "$WORK/after.err"; fail "an agent after a SIGKILLed one exited $?"; }
echo "ok: the lock died with the SIGKILLed agent"

# A pid file naming a pid nobody holds the lock for: taken over.
echo "999999 2026-01-01T00:00:00.000Z" >"$LOCK"
start_agent --interval 0.5
grep -q "^$AGENT_PID 20" "$LOCK" || fail "the stale pid file was not taken over"
stop_agent
[ ! -s "$LOCK" ] || fail "$LOCK still names an agent after a clean stop: $(cat "$LOCK")"
echo "ok: a stale pid file does not block, and a clean stop empties it"
