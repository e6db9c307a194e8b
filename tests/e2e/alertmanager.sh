#!/bin/bash
# Alerts to a real Alertmanager HA pair: two instances clustered on loopback
# route to a webhook receiver this test runs; the agent sends to both. The
# live slow-server anomaly (anomaly.sh's delay server and loadgen, a short
# model warm-up) must
#  1. appear in both instances' /api/v2/alerts with the right labels, and
#     reach the receiver once, not once per instance;
#  2. with one instance stopped before recovery: resolve (one resolved
#     notification), and reach the stopped instance once it is back;
#  3. with one instance stopped before a second slowdown: reach it firing
#     once it is back (no alert lost), and be notified firing and resolved.
. "$(dirname "$0")/lib.sh"
[ -n "${AM_KEEP:-}" ] && on_exit "cp $WORK/am*.log $WORK/hook.jsonl $AM_KEEP/"
need jq ss curl python3 chrt prometheus-alertmanager
TOOLS=$(dirname "$TT_BIN")/tools
for t in delay_server loadgen; do
	[ -x "$TOOLS/$t" ] || skip "$TOOLS/$t is not built"
done

PORT=$(free_port)
HOOK=$(free_port)
W1=$(free_port) W2=$(free_port) C1=$(free_port) C2=$(free_port)
RT="chrt -f 10"

# The receiver: every notification's body, one line each.
python3 -c "
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        with open(sys.argv[1], 'ab') as f: f.write(body.replace(b'\n', b' ') + b'\n')
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', $HOOK), H).serve_forever()" "$WORK/hook.jsonl" &
HOOK_PID=$!
on_exit "kill $HOOK_PID"
touch "$WORK/hook.jsonl"

cat >"$WORK/am.yml" <<CONF
route:
  receiver: hook
  group_by: [id]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [ { url: "http://127.0.0.1:$HOOK/", send_resolved: true } ]
CONF
# start_am N: instance N (1 or 2) of the pair, peered with the other.
declare -A AM_PID
start_am() {
	local n=$1 w c peer
	[ "$n" = 1 ] && { w=$W1 c=$C1 peer=$C2; } || { w=$W2 c=$C2 peer=$C1; }
	prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am$n" \
		--web.listen-address="127.0.0.1:$w" --cluster.listen-address="127.0.0.1:$c" \
		--cluster.advertise-address="127.0.0.1:$c" --cluster.peer="127.0.0.1:$peer" \
		--cluster.gossip-interval=100ms --cluster.pushpull-interval=1s \
		--cluster.peer-timeout=3s --cluster.settle-timeout=15s \
		>>"$WORK/am$n.log" 2>&1 &
	AM_PID[$n]=$!
	wait_port "$w"
}
stop_am() { kill "${AM_PID[$1]}"; wait "${AM_PID[$1]}" 2>/dev/null; AM_PID[$1]=; }
on_exit 'for p in "${AM_PID[@]}"; do [ -n "$p" ] && kill $p; done'
start_am 1
start_am 2
# Both ready: each sees the other.
for i in $(seq 100); do
	[ "$(curl -sf "http://127.0.0.1:$W1/api/v2/status" | jq '.cluster.peers | length')" = 2 ] && break
	sleep 0.2
done
[ "$(curl -sf "http://127.0.0.1:$W1/api/v2/status" | jq '.cluster.peers | length')" = 2 ] ||
	fail "the Alertmanagers did not cluster"
echo "ok: Alertmanager pair clustered on 127.0.0.1:$C1 and :$C2"

$RT "$TOOLS/delay_server" "$PORT" 1000 4000 2>"$WORK/server.err" &
SERVER_PID=$!
on_exit "kill $SERVER_PID; wait $SERVER_PID"
wait_port "$PORT"
cat >"$WORK/tt.json" <<CONF
{"model": {"warmup": 20}, "alertmanager": {"resend_s": 3}}
CONF
start_agent -c "$WORK/tt.json" -H am-test --alertmanager "http://127.0.0.1:$W1" \
	--alertmanager "http://127.0.0.1:$W2/"
$RT "$TOOLS/loadgen" "$PORT" 400 4 0 >"$WORK/load.json" &
LOAD_PID=$!
on_exit "kill $LOAD_PID; wait $LOAD_PID"

lines() { jq -cR 'fromjson? // empty' "$WORK/agent.jsonl"; }
mine() { lines | jq -c --argjson p "$PORT" 'select(.type == "alert" and .kind == "anomaly" and .service.role == "server" and .service.port == $p)'; }
# wait_for SECONDS WHAT 'COMMAND': until COMMAND (evaluated each time) succeeds.
wait_for() {
	local secs=$1 what=$2 cmd=$3 i
	for i in $(seq $((secs * 5))); do eval "$cmd" && return 0; sleep 0.2; done
	echo "--- agent stderr"; cat "$WORK/agent.err"; echo "--- receiver"; cat "$WORK/hook.jsonl"
	fail "$what: not within $secs s"
}
# am_has W ID STATE: instance on port W lists alert ID as STATE (active or
# gone); active alerts only, as /api/v2/alerts lists them.
am_has() {
	local n
	n=$(curl -sf "http://127.0.0.1:$1/api/v2/alerts" | jq --arg id "$2" '[.[] | select(.labels.id == $id)] | length')
	[ "$3" = active ] && [ "${n:-0}" -ge 1 ] && return 0
	[ "$3" = gone ] && [ "${n:-1}" = 0 ]
}
# notified ID STATUS: notifications the receiver got for ID in STATUS.
notified() {
	jq -s --arg id "$1" --arg st "$2" '[.[] | select(any(.alerts[]; .labels.id == $id and .status == $st))] | length' "$WORK/hook.jsonl"
}
firing_id() { mine | jq -rs --argjson n "$1" '[.[] | select(.state == "firing" and .metric == "latency_mean_us")] | .[$n].id // empty'; }
resolved_n() { mine | jq -s --arg id "$1" '[.[] | select(.id == $id and .state == "resolved")] | length'; }

wait_for 60 "warm-up (20 intervals)" '[ "$(lines | jq -c "select(.type == \"host\")" | wc -l)" -ge 25 ]'

# 1. Both instances up.
kill -USR1 $SERVER_PID
wait_for 15 "anomaly alert line" 'test -n "$(firing_id 0)"'
ID=$(firing_id 0)
echo "episode 1: firing $ID"
wait_for 10 "alert $ID in instance 1" 'am_has "$W1" "$ID" active'
wait_for 10 "alert $ID in instance 2" 'am_has "$W2" "$ID" active'
labels=$(curl -sf "http://127.0.0.1:$W2/api/v2/alerts" | jq -c --arg id "$ID" '.[] | select(.labels.id == $id) | .labels')
echo "labels: $labels"
jq -e --argjson p "$PORT" --arg id "$ID" '.alertname == "TelltaleAnomalyLatencyMeanUs" and .host == "am-test"
	and .role == "server" and .port == ($p | tostring) and .comm == "delay_server" and .id == $id
	and .kind == "anomaly" and .metric == "latency_mean_us" and (.severity | test("warning|critical"))' \
	<<<"$labels" >/dev/null || fail "wrong labels"
ann=$(curl -sf "http://127.0.0.1:$W1/api/v2/alerts" | jq -c --arg id "$ID" '.[] | select(.labels.id == $id) | .annotations')
jq -e '(.message | test("where its load explains")) and (.value | tonumber) > 0 and (.expected | tonumber) > 0
	and (.contributions | test("intercept="))' <<<"$ann" >/dev/null || fail "wrong annotations: $ann"
echo "ok: in both instances, labels and annotations right"
wait_for 10 "firing notification" 'test "$(notified "$ID" firing)" -ge 1'

# 2. Instance 2 down through the recovery.
stop_am 2
kill -USR2 $SERVER_PID
wait_for 20 "resolved line for $ID" 'test "$(resolved_n "$ID")" -ge 1'
wait_for 15 "the agent saying delivery fails" 'grep -q "alertmanager http://127.0.0.1:$W2: delivery failing" "$WORK/agent.err"'
wait_for 10 "resolved notification" 'test "$(notified "$ID" resolved)" -ge 1'
start_am 2
wait_for 20 "the agent saying delivery works again" 'grep -q "alertmanager http://127.0.0.1:$W2: delivery works again" "$WORK/agent.err"'
got=$(curl -sf "http://127.0.0.1:$W2/metrics" | awk '/^alertmanager_alerts_received_total\{status="resolved"/ { s += $2 } END { print s + 0 }')
[ "$got" -ge 1 ] || fail "restarted instance 2 got no resolved alert"
echo "ok: episode 1 resolved; instance 2, down meanwhile, got the resolved alert after its restart ($got)"
sleep 5 # a second notification would come within peer_timeout + group_interval
f=$(notified "$ID" firing) r=$(notified "$ID" resolved)
[ "$f" = 1 ] && [ "$r" = 1 ] || { cat "$WORK/hook.jsonl"; fail "episode 1: $f firing and $r resolved notifications, expected one each (not one per instance)"; }
echo "ok: episode 1: one firing and one resolved notification from the pair"

# 3. Instance 2 down through a second slowdown.
stop_am 2
kill -USR1 $SERVER_PID
wait_for 15 "second anomaly alert line" 'test -n "$(firing_id 1)"'
ID2=$(firing_id 1)
echo "episode 2: firing $ID2 while instance 2 is down"
wait_for 10 "alert in instance 1" 'am_has "$W1" "$ID2" active'
wait_for 10 "firing notification" 'test "$(notified "$ID2" firing)" -ge 2'
start_am 2
wait_for 20 "alert $ID2 in restarted instance 2" 'am_has "$W2" "$ID2" active'
echo "ok: the restarted instance 2 has the alert that fired while it was down"
kill -USR2 $SERVER_PID
wait_for 20 "second resolved line" 'test "$(resolved_n "$ID2")" -ge 2'
wait_for 15 "alert gone from instance 1" 'am_has "$W1" "$ID2" gone'
wait_for 15 "alert gone from instance 2" 'am_has "$W2" "$ID2" gone'
wait_for 10 "second resolved notification" 'test "$(notified "$ID2" resolved)" -ge 2'
sleep 5

# The restarted instance held the alert and its resolution: the receiver
# heard of both. (Alertmanager 0.25's restarted instance does not get the
# pair's notification log for an alert that fired while it was away, and
# notifies it once more itself: seen as 2 instead of 1 here. Its gossip, not
# the agent's delivery, decides that.)
f=$(notified "$ID" firing) r=$(notified "$ID" resolved)
echo "receiver: $(wc -l <"$WORK/hook.jsonl") notifications; $ID: $f firing, $r resolved over both episodes"
[ "$f" -ge 2 ] && [ "$r" -ge 2 ] || { cat "$WORK/hook.jsonl"; fail "episode 2 was not notified firing and resolved"; }
kill -INT $LOAD_PID
wait $LOAD_PID
stop_agent
# Held at the stop: the alerts still firing (other services' too), no more.
jq -e -s '([.[] | select(.type == "alert")] | group_by(.id) | map(last | select(.state == "firing")) | length) as $firing
	| [.[] | select(.type == "agent" and .event == "stop")][0].alertmanager
	| .dropped == 0 and .queued == $firing and all(.urls[]; .up)' \
	"$WORK/agent.jsonl" >/dev/null ||
	fail "the stop line shows dropped alerts, or holds more than the firing ones: $(jq -c 'select(.event == "stop") | .alertmanager' "$WORK/agent.jsonl")"
echo "ok: nothing dropped, nothing left undelivered"
