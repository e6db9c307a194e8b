#!/bin/bash
# The agent's file outputs under real traffic: size rotation with gzip loses
# and repeats nothing; SIGHUP after a move starts a new file and seq goes on;
# a full disk drops lines whole, counts each drop, and writing resumes when
# space returns; SIGKILL mid-stream leaves no torn line.
. "$(dirname "$0")/lib.sh"
need nginx wrk jq ss zcat mount

VALIDATE="$(dirname "$0")/../validate.py"
PORT=$(free_port)
start_nginx "$PORT"
mkdir -p "$WORK/log"

# Runs the agent in the background with its stderr in $WORK/agent.err.
agent_bg() {
	"$TT_BIN" "$@" 2>"$WORK/agent.err" &
	AGENT_PID=$!
	local i
	for i in $(seq 100); do
		grep -q attached "$WORK/agent.err" && return 0
		sleep 0.1
	done
	cat "$WORK/agent.err"
	fail "agent did not start"
}
agent_stop() { kill -INT "$AGENT_PID"; wait "$AGENT_PID" || fail "agent exited $?"; AGENT_PID=; }
load() { wrk -t1 -c4 -d"$1" "http://127.0.0.1:$PORT/" >/dev/null; }
stop_line() { tail -1 "$1" | jq -e 'select(.type == "agent" and .event == "stop")' || fail "$1 does not end with the stop line"; }

# 1. Rotation: the gzip generations, oldest first, then the live file, are
# the whole stream: seq 1, 2, 3, ... with nothing missing or repeated.
agent_bg --interval 0.1 --metrics "$WORK/log/m.jsonl" --alerts "$WORK/log/a.jsonl" \
	--rotate-size 4K --rotate-keep 100
load 3s
agent_stop
gens=$(ls "$WORK"/log/m.jsonl.*.gz 2>/dev/null | wc -l)
[ "$gens" -ge 3 ] || fail "only $gens rotations"
for ((i = gens; i >= 1; i--)); do zcat "$WORK/log/m.jsonl.$i.gz"; done >"$WORK/whole.jsonl"
cat "$WORK/log/m.jsonl" >>"$WORK/whole.jsonl"
"$VALIDATE" "$WORK/whole.jsonl" || fail "rotated stream is not whole"
[ "$(head -1 "$WORK/whole.jsonl" | jq .seq)" = 1 ] || fail "stream does not start at seq 1"
stats=$(stop_line "$WORK/log/m.jsonl")
# The stop line counts rotations before its own write, which may rotate once
# more: then it is alone in the live file.
before=$gens
[ "$(wc -l <"$WORK/log/m.jsonl")" = 1 ] && before=$((gens - 1))
[ "$(jq .sinks.metrics.rotations <<<"$stats")" = "$before" ] || fail "stop line counts other rotations than $before"
[ "$(jq .sinks.metrics.dropped <<<"$stats")" = 0 ] || fail "lines dropped with room to spare"
echo "ok: $(wc -l <"$WORK/whole.jsonl") lines over $gens gzip generations and the live file, seq contiguous"

# 2. SIGHUP after a move (what logrotate does): a new file, seq goes on.
agent_bg --interval 0.1 --metrics "$WORK/log/h.jsonl" --alerts none
load 1s
mv "$WORK/log/h.jsonl" "$WORK/log/h.old"
kill -HUP "$AGENT_PID"
load 1s
agent_stop
[ -s "$WORK/log/h.jsonl" ] || fail "SIGHUP did not start a new file"
cat "$WORK/log/h.old" "$WORK/log/h.jsonl" >"$WORK/hup.jsonl"
"$VALIDATE" "$WORK/hup.jsonl" || fail "seq broken across the reopen"
echo "ok: SIGHUP reopened; $(wc -l <"$WORK/log/h.old") + $(wc -l <"$WORK/log/h.jsonl") lines, seq contiguous"

# 3. A 16 KiB tmpfs fills up under traffic; then it grows back.
mkdir -p "$WORK/full"
mount -t tmpfs -o size=16k,mode=0755 tmpfs "$WORK/full" || skip "cannot mount a tmpfs"
on_exit "umount '$WORK/full'"
agent_bg --interval 0.1 --metrics "$WORK/full/m.jsonl" --alerts none --rotate-size 0
load 3s
full_size=$(stat -c %s "$WORK/full/m.jsonl")
mount -o remount,size=4m "$WORK/full"
load 1s
agent_stop
out=$("$VALIDATE" --gaps "$WORK/full/m.jsonl") || { echo "$out"; fail "torn or invalid line after a full disk"; }
echo "$out"
gaps=$(sed -n 's/.*gaps {"metrics": \([0-9]*\)}.*/\1/p' <<<"$out")
dropped=$(jq .sinks.metrics.dropped <<<"$(stop_line "$WORK/full/m.jsonl")")
[ "${gaps:-0}" -gt 0 ] || fail "the disk never filled (file reached $full_size bytes)"
[ "$gaps" = "$dropped" ] || fail "seq skips $gaps numbers but the agent counted $dropped drops"
[ "$(stat -c %s "$WORK/full/m.jsonl")" -gt "$full_size" ] || fail "writing did not resume after the remount"
grep -q "writing to the metrics output '$WORK/full/m.jsonl' failed: No space left on device" "$WORK/agent.err" ||
	fail "no message naming the full disk"
# One message when an outage starts and one when it ends, not one per line;
# a nearly full disk may take a short line between two long ones, so an
# outage can come in pieces, but the pieces add up to every drop.
outages=$(grep -c "failed: No space left" "$WORK/agent.err")
recovered=$(sed -n 's/.*works again; \([0-9]*\) lines were dropped/\1/p' "$WORK/agent.err" | awk '{ s += $1 } END { print s + 0 }')
[ "$recovered" = "$dropped" ] || fail "recovery messages count $recovered drops, the agent $dropped"
[ "$outages" -lt "$dropped" ] || fail "$outages messages for $dropped drops: one per line"
echo "ok: disk full at $full_size bytes: $dropped lines dropped and counted, no torn line, resumed"

# 4. SIGKILL in the middle of a busy stream: whatever is in the file is whole.
agent_bg --interval 0.1 --metrics "$WORK/log/k.jsonl" --alerts none
wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/" >/dev/null &
WRK=$!
sleep 1.3
kill -KILL "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=
wait $WRK
"$VALIDATE" "$WORK/log/k.jsonl" || fail "torn line after SIGKILL"
echo "ok: SIGKILL left $(wc -l <"$WORK/log/k.jsonl") whole lines"
