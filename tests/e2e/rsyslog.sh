#!/bin/bash
# Shipping through a real rsyslogd: packaging/rsyslog-telltale.conf, with only
# its paths and target substituted, runs in a private rsyslogd that tails the
# agent's rotating alert and metrics files with imfile and forwards them with
# omfwd over TCP to a second private rsyslogd (the aggregator's stand-in,
# imtcp to omfile). Under nginx + wrk with a 16 KiB rotation size the metrics
# file rotates several times; every line of every generation must arrive
# exactly once, byte for byte, in order (seq 1..last, contiguous). Then a
# burst of 100000 lines written at once: a backlog is where rsyslog's queues
# reorder, so the same must hold for it.
. "$(dirname "$0")/lib.sh"
need rsyslogd nginx wrk jq ss zcat python3

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PKG=$ROOT/packaging/rsyslog-telltale.conf
[ -r "$PKG" ] || fail "$PKG is missing"

NGINX_PORT=$(free_port)
AGG_PORT=$(free_port)
[ "$AGG_PORT" != "$NGINX_PORT" ] || AGG_PORT=$(free_port)
LOG=$WORK/log
SHIP=$WORK/shipper
AGG=$WORK/aggregator
mkdir -p "$LOG" "$SHIP/spool" "$AGG/spool"
: >"$WORK/received.jsonl"
BURST=100000

# The shipping side is the packaged file with the alert path and the target
# replaced, plus exact copies of its imfile input on the metrics file, which
# carries the volume (alerts are rare), and on the burst file. Each sed must
# hit, so a change to the packaged file's shape fails here instead of testing
# something else.
sed -e "s|/var/log/telltale/alerts.jsonl|$LOG/alerts.jsonl|" \
	-e "s|target=\"aggregator.example\" port=\"514\"|target=\"127.0.0.1\" port=\"$AGG_PORT\"|" \
	"$PKG" >"$SHIP/telltale.conf"
grep -q "File=\"$LOG/alerts.jsonl\"" "$SHIP/telltale.conf" || fail "no imfile input on the alert file in $PKG"
grep -q "target=\"127.0.0.1\" port=\"$AGG_PORT\"" "$SHIP/telltale.conf" || fail "no omfwd target in $PKG"
for f in metrics burst; do
	awk '/^input\(type="imfile"/ { on = 1 } on { print } on && /\)[[:space:]]*$/ { exit }' "$SHIP/telltale.conf" |
		sed "s|$LOG/alerts.jsonl|$LOG/$f.jsonl|" >"$SHIP/$f-input.conf"
	grep -q "File=\"$LOG/$f.jsonl\"" "$SHIP/$f-input.conf" || fail "cannot copy the imfile input of $PKG"
done

# Only what the test needs, nothing from /etc/rsyslog.conf: no imuxsock or
# imklog (the system's log sources stay with the system's rsyslogd), and the
# main queue left as rsyslog sets it, as on a real host.
cat >"$SHIP/rsyslog.conf" <<CONF
global(workDirectory="$SHIP/spool")
include(file="$SHIP/telltale.conf")
include(file="$SHIP/metrics-input.conf")
include(file="$SHIP/burst-input.conf")
# rsyslogd's own messages (errors in the config, imfile's complaints).
*.* action(type="omfile" file="$SHIP/internal.log")
CONF
# The aggregator writes what it receives in the order it receives it: one
# main queue worker, and %rawmsg%, the message as it came off the wire minus
# the LF framing. omfwd sends bare JSON, which the default syslog parser
# mangles (it takes '{"ts":' for a tag), so %msg% is not the line here.
cat >"$AGG/rsyslog.conf" <<CONF
global(workDirectory="$AGG/spool")
main_queue(queue.workerThreads="1")
module(load="imtcp")
template(name="agg_raw" type="string" string="%rawmsg%\n")
input(type="imtcp" address="127.0.0.1" port="$AGG_PORT" ruleset="received")
ruleset(name="received") {
	action(type="omfile" file="$WORK/received.jsonl" template="agg_raw")
}
*.* action(type="omfile" file="$AGG/internal.log")
CONF
for d in "$SHIP" "$AGG"; do
	rsyslogd -N1 -f "$d/rsyslog.conf" >"$d/check.txt" 2>&1 || { cat "$d/check.txt"; fail "rsyslogd rejects $d/rsyslog.conf"; }
done

rsyslogd -n -f "$AGG/rsyslog.conf" -i "$AGG/rsyslogd.pid" >"$AGG/stderr.txt" 2>&1 &
AGG_PID=$!
on_exit "kill $AGG_PID; wait $AGG_PID"
wait_port "$AGG_PORT"
rsyslogd -n -f "$SHIP/rsyslog.conf" -i "$SHIP/rsyslogd.pid" >"$SHIP/stderr.txt" 2>&1 &
SHIP_PID=$!
on_exit "kill $SHIP_PID; wait $SHIP_PID"

start_nginx "$NGINX_PORT"
start_agent --interval 0.1 --metrics "$LOG/metrics.jsonl" --alerts "$LOG/alerts.jsonl" \
	--rotate-size 16K --rotate-keep 999
wrk -t2 -c8 -d8s "http://127.0.0.1:$NGINX_PORT/" >"$WORK/wrk.txt" || fail "wrk failed"
stop_agent

# Every line the agent wrote, oldest generation first. The agent has exited,
# so its compressor has finished: every rotated generation is a .gz.
generations() {
	local path=$1 k
	for k in $(seq 999 -1 1); do
		[ -e "$path.$k" ] && fail "$path.$k left uncompressed after a clean stop"
		[ -e "$path.$k.gz" ] || continue
		gzip -t "$path.$k.gz" || fail "$path.$k.gz is not a valid gzip file"
		zcat "$path.$k.gz"
	done
	[ -e "$path" ] && cat "$path"
	return 0
}
generations "$LOG/metrics.jsonl" >"$WORK/wrote-metrics.jsonl"
generations "$LOG/alerts.jsonl" >"$WORK/wrote-alerts.jsonl"
"$ROOT/tests/validate.py" "$WORK/wrote-metrics.jsonl" "$WORK/wrote-alerts.jsonl" ||
	fail "the agent's file lines fail the schema"

rotations=$(ls "$LOG"/metrics.jsonl.*.gz 2>/dev/null | wc -l)
stop_rot=$(jq -s '[.[] | select(.type == "agent" and .event == "stop")][0].sinks.metrics.rotations' \
	"$WORK/wrote-metrics.jsonl")
[ "$rotations" = "$stop_rot" ] || fail "$rotations .gz files but the stop line counts $stop_rot rotations"
expect_range "metrics file rotations" "$rotations" 3 999
nmet=$(wc -l <"$WORK/wrote-metrics.jsonl")
nalert=$(wc -l <"$WORK/wrote-alerts.jsonl")
last_met=$(tail -1 "$WORK/wrote-metrics.jsonl" | jq .seq)
[ "$last_met" = "$nmet" ] || fail "the metrics files hold $nmet lines, the last has seq $last_met"
echo "agent wrote $nmet metrics lines across $((rotations + 1)) files, $nalert alert lines"

# The burst: lines shaped like the agent's, all in the file at once, so
# imfile reads them far faster than they are forwarded.
python3 - "$LOG/burst.jsonl" "$BURST" <<'PY'
import sys
lines = ''.join('{"ts":"2024-01-01T00:00:00.000Z","type":"burst","schema":"1.0","host":"e2e",'
                '"seq":%d,"pad":"%s"}\n' % (i, "x" * (i % 200)) for i in range(1, int(sys.argv[2]) + 1))
with open(sys.argv[1], "w") as f:
    f.write(lines)
PY

# Wait until everything has arrived (the forward queue may lag the agent by a
# second or two, the burst by a few more), then a little longer: anything
# beyond the expected count would be a duplicate.
want=$((nmet + nalert + BURST))
for i in $(seq 300); do
	[ "$(wc -l <"$WORK/received.jsonl")" -ge "$want" ] && break
	kill -0 "$SHIP_PID" 2>/dev/null || fail "the shipping rsyslogd died: $(tail -3 "$SHIP/stderr.txt")"
	kill -0 "$AGG_PID" 2>/dev/null || fail "the aggregator rsyslogd died: $(tail -3 "$AGG/stderr.txt")"
	sleep 0.1
done
sleep 0.5
for pid in "$SHIP_PID" "$AGG_PID"; do
	kill -TERM "$pid"
	wait "$pid"
done
grep -h -v "on startup file" "$SHIP/stderr.txt" "$AGG/stderr.txt"
grep -h -i -E 'error|warn|discard|lost' "$SHIP/internal.log" "$AGG/internal.log" 2>/dev/null | head -5
echo "received $(wc -l <"$WORK/received.jsonl") lines of $want"

# Split what arrived by stream; within a stream it must be what was written.
jq -e . "$WORK/received.jsonl" >/dev/null 2>"$WORK/jq.err" ||
	fail "a received line is not JSON: $(head -1 "$WORK/jq.err"); first bytes: $(head -c 200 "$WORK/received.jsonl")"
grep -F '"type":"alert"' "$WORK/received.jsonl" >"$WORK/got-alerts.jsonl"
grep -F '"type":"burst"' "$WORK/received.jsonl" >"$WORK/got-burst.jsonl"
grep -v -F -e '"type":"alert"' -e '"type":"burst"' "$WORK/received.jsonl" >"$WORK/got-metrics.jsonl"

# Contiguous seq from 1, none missing or repeated, then byte identity.
check_stream() {
	local name=$1 wrote=$2 got=$3
	jq -r .seq "$got" | awk -v name="$name" '
		$1 != NR { printf "%s: line %d has seq %s, expected %d\n", name, NR, $1, NR; bad = 1; exit }
		END { exit bad }' || fail "$name lines lost, repeated or reordered on the way through rsyslog"
	if ! cmp -s "$wrote" "$got"; then
		cmp "$wrote" "$got" | head -1
		fail "$name: received lines differ from the agent's ($(wc -l <"$got") of $(wc -l <"$wrote") lines)"
	fi
	echo "ok: $name: $(wc -l <"$got") lines received exactly once, in order, byte-identical"
}
check_stream metrics "$WORK/wrote-metrics.jsonl" "$WORK/got-metrics.jsonl"
check_stream alerts "$WORK/wrote-alerts.jsonl" "$WORK/got-alerts.jsonl"
check_stream burst "$LOG/burst.jsonl" "$WORK/got-burst.jsonl"
exit 0
