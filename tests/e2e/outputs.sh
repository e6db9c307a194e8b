#!/bin/bash
# Outputs that are not plain files, as an operator meets them: a FIFO with no
# reader does not hang start-up (lines are dropped and counted until a reader
# comes); `telltale | head -n 2` ends promptly with status 141 and nothing
# left attached; on /dev/full the drop totals still reach stderr; a bad
# output path fails before anything is loaded; both streams on stdout give a
# stop line whose alerts counts are the alerts' own; a closed stdout is
# refused where a stream needs it and held by /dev/null otherwise.
. "$(dirname "$0")/lib.sh"
need jq bpftool timeout

progs() { bpftool prog show | grep -c 'name btf_sock_recv_length'; }
before=$(progs)

# 1. A FIFO nobody ever reads: the run ends on time, every line counted.
mkfifo "$WORK/fifo"
timeout 10 "$TT_BIN" --interval 0.2 --duration 1 --metrics "$WORK/fifo" --alerts none \
	2>"$WORK/fifo.err"
rc=$?
[ $rc -eq 0 ] || { cat "$WORK/fifo.err"; fail "the agent with an unread FIFO exited $rc (124: it hung)"; }
grep -q "lines written and dropped: metrics ($WORK/fifo) 0 written, [1-9][0-9]* dropped" "$WORK/fifo.err" ||
	{ cat "$WORK/fifo.err"; fail "no drop totals for the unread FIFO"; }
echo "ok: a FIFO nobody reads: the agent ran its second and stopped"

# 2. A reader comes after 1 s: the lines before it are dropped and counted.
timeout 20 "$TT_BIN" --interval 0.2 --duration 3 --metrics "$WORK/fifo" --alerts none \
	2>"$WORK/fifo.err" &
pid=$!
sleep 1
kill -0 $pid 2>/dev/null || { cat "$WORK/fifo.err"; fail "the agent exited without a FIFO reader"; }
grep -q attached "$WORK/fifo.err" || { cat "$WORK/fifo.err"; fail "the agent hangs opening a FIFO with no reader"; }
timeout 10 cat "$WORK/fifo" >"$WORK/fifo.jsonl"
wait $pid
rc=$?
cat "$WORK/fifo.err"
[ $rc -eq 0 ] || fail "the FIFO agent exited $rc"
grep -q "writing to the metrics output '$WORK/fifo' failed: no process reads the FIFO; .*start a reader on it" "$WORK/fifo.err" ||
	fail "no message when the FIFO had no reader"
dropped=$(sed -n "s/.*the metrics output '.*fifo' works again; \([0-9]*\) lines were dropped/\1/p" "$WORK/fifo.err")
[ "${dropped:-0}" -ge 3 ] || fail "no recovery message with the lines dropped before the reader came"
first=$(head -1 "$WORK/fifo.jsonl" | jq .seq)
[ "$first" -eq $((dropped + 1)) ] || fail "the reader's first line has seq $first after $dropped drops"
[ "$(tail -1 "$WORK/fifo.jsonl" | jq .sinks.metrics.dropped)" = "$dropped" ] || fail "the stop line counts other drops than $dropped"
"$(dirname "$0")/../validate.py" --gaps "$WORK/fifo.jsonl" || fail "torn or invalid lines through the FIFO"
echo "ok: FIFO without a reader: started, $dropped lines dropped and counted, then $(wc -l <"$WORK/fifo.jsonl") lines from seq $first"

# 3. A dead stdout: the agent stops as a filter does.
start=$(date +%s%N)
timeout 30 "$TT_BIN" --interval 0.3 --duration 20 2>"$WORK/head.err" | head -n 2 >"$WORK/head.out"
rc=${PIPESTATUS[0]}
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$WORK/head.err"
[ $rc -eq 141 ] || fail "telltale | head exited $rc, expected 141"
[ $ms -lt 5000 ] || fail "telltale | head -n 2 took $ms ms"
grep -q "the reader of stdout (the metrics output) is gone: stopping" "$WORK/head.err" || fail "no message for the dead stdout"
grep -q "lines written and dropped: metrics (stdout) [0-9]* written, [1-9][0-9]* dropped" "$WORK/head.err" ||
	fail "no drop totals on stderr"
sleep 0.2
[ "$(progs)" -eq "$before" ] || fail "programs left attached after the dead stdout"
echo "ok: telltale | head -n 2 ended in $ms ms with status 141, detached"

# 4. /dev/full: every line lost, the totals reach stderr.
"$TT_BIN" --interval 0.2 --duration 1 --metrics /dev/full --alerts none 2>"$WORK/full.err" ||
	{ cat "$WORK/full.err"; fail "the agent on /dev/full exited $?"; }
cat "$WORK/full.err"
n=$(sed -n 's/.*lines written and dropped: metrics (\/dev\/full) 0 written, \([0-9]*\) dropped.*/\1/p' "$WORK/full.err")
[ "${n:-0}" -ge 6 ] || fail "no drop totals on stderr for /dev/full"
echo "ok: /dev/full: $n lines dropped, reported on stderr"

# 5. A bad output path fails before anything is loaded.
"$TT_BIN" -v --duration 1 --metrics "$WORK/no/such/dir/m.jsonl" >"$WORK/bad.out" 2>"$WORK/bad.err"
rc=$?
[ $rc -eq 1 ] || { cat "$WORK/bad.err"; fail "a bad output path exited $rc, expected 1"; }
grep -q "cannot open the metrics output '$WORK/no/such/dir/m.jsonl': No such file or directory" "$WORK/bad.err" ||
	{ cat "$WORK/bad.err"; fail "no message naming the bad output"; }
! grep -q "libbpf\|attached" "$WORK/bad.err" || { cat "$WORK/bad.err"; fail "BPF was loaded before the output was checked"; }
echo "ok: a bad output path fails before anything is loaded"

# 6. Both streams on stdout: the stop line counts each stream's own lines.
"$TT_BIN" --interval 0.2 --duration 1 >"$WORK/both.jsonl" 2>"$WORK/both.err" || fail "exited $?"
alerts=$(jq -s '[.[] | select(.type == "alert")] | length' "$WORK/both.jsonl")
others=$(jq -s '[.[] | select(.type != "alert")] | length' "$WORK/both.jsonl")
stop=$(tail -1 "$WORK/both.jsonl")
[ "$(jq .sinks.alerts.lines <<<"$stop")" = "$alerts" ] || fail "stop line: alerts.lines $(jq .sinks.alerts.lines <<<"$stop"), the stream has $alerts"
# The stop line does not count itself.
[ "$(jq .sinks.metrics.lines <<<"$stop")" = $((others - 1)) ] || fail "stop line: metrics.lines $(jq .sinks.metrics.lines <<<"$stop"), the stream has $((others - 1))"
[ "$(jq -r .sinks.alerts.shared_with <<<"$stop")" = metrics ] || fail "the stop line does not say the alerts share the metrics' sink"
echo "ok: both streams on stdout: metrics $((others - 1)) lines, alerts $alerts, each its own"

# 7. Started with stdout closed: a stream bound for it stops the start, with
# the fix; with both streams elsewhere the agent runs, and stdout's
# descriptor is /dev/null, not the next file opened (it was the lock file,
# and the lines went into it). The offline commands refuse to run.
"$TT_BIN" --duration 1 >&- 2>"$WORK/closed.err"
rc=$?
[ $rc -eq 1 ] || { cat "$WORK/closed.err"; fail "with stdout closed the agent exited $rc, expected 1"; }
grep -q "standard output is closed, and the metrics output is stdout: give --metrics a file" "$WORK/closed.err" ||
	{ cat "$WORK/closed.err"; fail "no message for a closed stdout"; }
"$TT_BIN" --interval 0.2 --duration 3 --metrics "$WORK/closed.jsonl" --alerts none >&- 2>"$WORK/closed.err" &
pid=$!
for i in $(seq 50); do [ -s "$WORK/closed.jsonl" ] && break; sleep 0.1; done
fd1=$(readlink "/proc/$pid/fd/1")
wait $pid || { cat "$WORK/closed.err"; fail "the agent with stdout closed and file outputs exited $?"; }
[ "$fd1" = /dev/null ] || fail "with stdout closed, descriptor 1 was '$fd1', not /dev/null"
[ "$(jq -s length "$WORK/closed.jsonl")" -ge 5 ] || fail "the agent with stdout closed wrote too few lines"
printf '1700000000,5\n' >"$WORK/p.csv"
"$TT_BIN" score "$WORK/p.csv" >&- 2>"$WORK/closed.err"
rc=$?
[ $rc -eq 1 ] && grep -q "standard output is closed" "$WORK/closed.err" ||
	{ cat "$WORK/closed.err"; fail "score with stdout closed exited $rc without saying why"; }
echo "ok: stdout closed: refused where a stream needs it, /dev/null holds descriptor 1 otherwise"
