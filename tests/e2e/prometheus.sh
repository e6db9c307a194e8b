#!/bin/bash
# The Prometheus endpoint against a real Prometheus, one agent run for all:
#  1. A private Prometheus scrapes the agent every second while wrk drives
#     nginx: its telltale_requests_total for nginx equals the sum of the JSON
#     lines' requests up to the interval it scraped, the histogram's _count
#     equals it, and histogram_quantile(0.99) over one interval lands within
#     10 % of that interval's JSON p99.
#  2. promtool check metrics passes on /metrics; the OpenMetrics variant
#     passes the strict OpenMetrics parser and ends in # EOF.
#  3. 100 scrapes a second for 10 s under load: interval_s stays within 5 %
#     of the interval, no line is dropped.
#  4. The dashboard's and the rules' queries name only exported metrics.
#  5. Bad input: a malformed --listen or --alertmanager is a usage error
#     naming the value; a port in use is a clear error, exit 1.
#  6. Two servers on one port in two network namespaces (same cgroup), each
#     loaded by its own client: two series per role, told apart by their
#     netns label, each equal to its own JSON lines' sum.
#  7. The agent's own series against its stats lines (one a second here):
#     telltale_build_info's version, kernel and programs, BPF events per
#     program, map occupancy, and each stream's lines written.
#  8. On a host without IPv6, ":PORT" serves on every IPv4 address.
#  9. The README's recipe: a range query's series, through jq, scored by
#     `telltale score -`: a row for each of Prometheus's points, as it gave
#     them, none malformed.
# 10. A scrape queued while the agent loads is answered 200, not 503.
. "$(dirname "$0")/lib.sh"
need nginx wrk jq ss curl prometheus promtool python3 ip
TOOLS=$(dirname "$TT_BIN")/tools
for t in scraper delay_server loadgen; do
	[ -x "$TOOLS/$t" ] || skip "$TOOLS/$t is not built"
done
PKG="$(cd "$(dirname "$0")/../.." && pwd)/packaging/prometheus"

PORT=$(free_port)
LPORT=$(free_port)
PPORT=$(free_port)
start_nginx "$PORT"

# 6. The namespaces' servers listen before the agent starts, like any
# server the agent finds running.
NSPORT=$(free_port)
NS=()
for n in 1 2; do
	NS[n]=tt-e2e-prom-$$-$n
	ip netns add "${NS[n]}" || fail "ip netns add ${NS[n]}"
	on_exit "ip netns del ${NS[n]}"
	ip -n "${NS[n]}" link set lo up
	ip netns exec "${NS[n]}" "$TOOLS/delay_server" "$NSPORT" $((n * 500)) $((n * 500)) \
		2>"$WORK/srv$n.err" &
	on_exit "kill $!; wait $!"
done
for n in 1 2; do
	for i in $(seq 100); do
		ip netns exec "${NS[n]}" ss -Htln "sport = :$NSPORT" | grep -q . && break
		sleep 0.1
	done
	ip netns exec "${NS[n]}" ss -Htln "sport = :$NSPORT" | grep -q . || fail "no server in ${NS[n]}"
done

echo '{"agent_interval_s": 1}' >"$WORK/agent.json"
start_agent -c "$WORK/agent.json" --listen "127.0.0.1:$LPORT"
curl -sf "http://127.0.0.1:$LPORT/healthz" | grep -q ok || fail "/healthz does not answer ok"
curl -sf "http://127.0.0.1:$LPORT/" | grep -q 'href="/metrics"' || fail "/ does not link /metrics"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$LPORT/metrics")" = 405 ] ||
	fail "POST /metrics is not 405"
echo "ok: /healthz, / and 405 for POST"

mkdir -p "$WORK/prom"
cat >"$WORK/prom/prometheus.yml" <<CONF
global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: telltale
    static_configs: [ { targets: ["127.0.0.1:$LPORT"] } ]
CONF
prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
	--web.listen-address="127.0.0.1:$PPORT" >"$WORK/prom/log" 2>&1 &
PROM_PID=$!
on_exit "kill $PROM_PID; wait $PROM_PID"
for i in $(seq 100); do curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null || { tail "$WORK/prom/log"; fail "Prometheus is not ready"; }

# pq QUERY [TIME]: the result vector of an instant query.
pq() {
	curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"} | jq -c '.data.result'
}
SEL="role=\"server\",port=\"$PORT\""

# Load only once Prometheus scrapes the agent.
for i in $(seq 100); do [ "$(pq 'up{job="telltale"}' | jq -r '.[0].value[1] // 0')" = 1 ] && break; sleep 0.2; done
[ "$(pq 'up{job="telltale"}' | jq -r '.[0].value[1] // 0')" = 1 ] || fail "Prometheus does not scrape the agent"
for n in 1 2; do
	ip netns exec "${NS[n]}" "$TOOLS/loadgen" "$NSPORT" $((300 / n)) 2 3 >"$WORK/load$n.json" &
	LOAD[n]=$!
done
wrk -t2 -c8 -d8s "http://127.0.0.1:$PORT/" >"$WORK/wrk1.txt" || fail "wrk failed"
for n in 1 2; do
	wait "${LOAD[n]}" || fail "loadgen in ${NS[n]} failed: $(cat "$WORK/load$n.json")"
done
curl -sf "http://127.0.0.1:$LPORT/metrics" >"$WORK/metrics.txt" || fail "GET /metrics failed"
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://127.0.0.1:$LPORT/metrics" -D "$WORK/om.hdr" -o "$WORK/metrics.om" || fail "OpenMetrics GET failed"
sleep 3

# 2. The formats.
grep -q "telltale_request_duration_seconds_bucket{$SEL,comm=\"nginx\"" "$WORK/metrics.txt" ||
	fail "no histogram for nginx in /metrics"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/promtool.txt" 2>&1 ||
	{ cat "$WORK/promtool.txt"; fail "promtool check metrics failed"; }
echo "ok: promtool check metrics passes ($(grep -vc '^#' "$WORK/metrics.txt") samples)"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$WORK/om.hdr" ||
	fail "OpenMetrics asked for, not served: $(grep -i content-type "$WORK/om.hdr")"
[ "$(tail -1 "$WORK/metrics.om")" = "# EOF" ] || fail "OpenMetrics text does not end in # EOF"
/usr/bin/python3 - "$WORK/metrics.om" <<'PY' || fail "the OpenMetrics parser refuses /metrics"
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
hist = [f for f in fams if f.name == "telltale_request_duration_seconds"][0]
assert hist.type == "histogram" and hist.unit == "seconds", (hist.type, hist.unit)
assert any(s.name.endswith("_created") for s in hist.samples), "no _created"
print("ok: OpenMetrics parses strictly:", len(fams), "families")
PY

# 1. Prometheus's view against the JSON lines.
last=$(pq 'timestamp(telltale_interval_end_timestamp_seconds)' | jq -r '.[0].value[1]')
end=$(pq telltale_interval_end_timestamp_seconds "$last" | jq -r '.[0].value[1]')
prom_req=$(pq "telltale_requests_total{$SEL}" "$last" | jq -r '.[0].value[1]')
prom_cnt=$(pq "telltale_request_duration_seconds_count{$SEL}" "$last" | jq -r '.[0].value[1]')
json_req=$(jq -s --argjson p "$PORT" --argjson e "$end" '
	def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber) / 1000;
	[.[] | select(.type == "metrics" and .service.role == "server" and .service.port == $p
		and (.ts | t) <= $e + 0.0011) | .requests] | add' "$WORK/agent.jsonl")
echo "Prometheus at $last (interval ending $end): requests_total $prom_req, _count $prom_cnt; JSON lines: $json_req"
[ "$prom_req" = "$json_req" ] || fail "telltale_requests_total $prom_req != JSON sum $json_req"
[ "$prom_cnt" = "$json_req" ] || fail "histogram _count $prom_cnt != JSON sum $json_req"
echo "ok: requests_total and _count equal the JSON lines' sum"

# p99 per interval: the first scrapes that saw two consecutive intervals.
pq 'telltale_interval_end_timestamp_seconds[40s]' "$last" |
	jq -r '.[0].values | unique_by(.[1]) | sort_by(.[0]) | .[] | "\(.[0]) \(.[1])"' >"$WORK/scrapes.txt"
checked=0
prev_t= prev_e=
while read -r t e; do
	if [ -n "$prev_e" ] && awk -v a="$prev_e" -v b="$e" 'BEGIN { d = b - a; exit !(d > 0.9 && d < 1.1) }'; then
		line=$(jq -c --argjson p "$PORT" --argjson e "$e" '
			def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber) / 1000;
			select(.type == "metrics" and .service.role == "server" and .service.port == $p
			and ((.ts | t) - $e | fabs) < 0.0011 and .requests > 1000)' "$WORK/agent.jsonl")
		if [ -n "$line" ]; then
			b="telltale_request_duration_seconds_bucket{$SEL}"
			q=$(pq "histogram_quantile(0.99, $b @ $t - $b @ $prev_t)" "$t" | jq -r '.[0].value[1] // empty')
		fi
		# Empty: the service's first interval, no series at the scrape before.
		if [ -n "$line" ] && [ -n "$q" ]; then
			p99=$(jq -r '.latency_us.p99' <<<"$line")
			echo "interval ending $e: histogram_quantile(0.99) $(awk -v q="$q" 'BEGIN { printf "%.1f", q * 1e6 }') us, JSON p99 $p99 us"
			awk -v q="$q" -v p="$p99" 'BEGIN { exit !(q * 1e6 >= p * 0.9 && q * 1e6 <= p * 1.1) }' ||
				fail "histogram_quantile(0.99) is more than 10 % from the JSON p99"
			checked=$((checked + 1))
		fi
	fi
	prev_t=$t prev_e=$e
done <"$WORK/scrapes.txt"
[ $checked -ge 3 ] || { cat "$WORK/scrapes.txt"; fail "only $checked busy intervals were seen by two scrapes in a row"; }
echo "ok: histogram_quantile(0.99) within 10 % of the JSON p99 in $checked intervals"

# 4. Every metric the dashboard and the rules query is exported.
exported=$(awk '/^# TYPE/ { print $3 }' "$WORK/metrics.txt" | sort -u)
for f in "$PKG"/*.json "$PKG"/telltale.rules.yml; do
	[ -f "$f" ] || fail "$f is missing"
	if [ "${f##*.}" = json ]; then
		exprs=$(jq -r '.. | objects | .expr? // empty' "$f")
	else
		# Multi-line expressions: every line but the names of rules.
		exprs=$(grep -vE '^\s*(- )?(record|alert):' "$f")
	fi
	[ -n "$exprs" ] || fail "$f has no query"
	names=$(grep -oE '\b(telltale|process)_[a-z0-9_]+' <<<"$exprs" | sed -E 's/_(bucket|count|sum)$//' | sort -u)
	for n in $names; do
		# Recording rules' own names (telltale:...) are not in this set.
		grep -qx "$n" <<<"$exported" || fail "$(basename "$f") queries $n, which the agent does not export"
	done
	echo "ok: $(basename "$f"): every metric it queries is exported ($(wc -w <<<"$names") names)"
done

# 3. A scrape storm under load.
storm_from=$(date +%s.%N)
wrk -t2 -c8 -d11s "http://127.0.0.1:$PORT/" >"$WORK/wrk2.txt" &
WRK=$!
"$TOOLS/scraper" "http://127.0.0.1:$LPORT/metrics" 100 10 >"$WORK/storm.json" || fail "scrapes failed: $(cat "$WORK/storm.json")"
wait $WRK
storm_to=$(date +%s.%N)
echo "scrapes: $(cat "$WORK/storm.json")"
[ "$(jq .requests "$WORK/storm.json")" -ge 990 ] || fail "fewer than 990 scrapes in 10 s"
sleep 1.5
curl -sf "http://127.0.0.1:$LPORT/metrics" >"$WORK/final.txt" || fail "GET /metrics after the storm failed"
stop_agent
jq -s --argjson a "$storm_from" --argjson b "$storm_to" '
	def t: (.[0:19] + "Z" | fromdateiso8601) + (.[20:23] | tonumber) / 1000;
	[.[] | select(.type == "host" and (.ts | t) > $a + 1 and (.ts | t) <= $b) | .interval_s]' \
	"$WORK/agent.jsonl" >"$WORK/storm_intervals.json"
n=$(jq length "$WORK/storm_intervals.json")
[ "$n" -ge 8 ] || fail "only $n intervals during the storm"
jq -e 'all(.[]; . >= 0.95 and . <= 1.05)' "$WORK/storm_intervals.json" >/dev/null ||
	fail "interval_s left 1 s +- 5 % during the storm: $(jq -c . "$WORK/storm_intervals.json")"
echo "ok: $n intervals during the storm, interval_s $(jq -c 'min, max' "$WORK/storm_intervals.json" | paste -sd' ')"
dropped=$(jq -s '[.[] | select(.type == "agent" and .event == "stop") | .sinks[].dropped] | add' "$WORK/agent.jsonl")
[ "$dropped" = 0 ] || fail "$dropped lines dropped"
echo "ok: no line dropped (seq contiguous, stop line: dropped 0)"

# 6 and 7, on the last scrape: the interval it holds ended at T, and the
# stats line written right after that interval's snapshot is S.
/usr/bin/python3 - "$WORK/final.txt" "$WORK/agent.jsonl" "$WORK/agent.err" "$NSPORT" \
	"$(stat -L -c %i "/run/netns/${NS[1]}")" "$(stat -L -c %i "/run/netns/${NS[2]}")" \
	"$("$TT_BIN" --version | awk '{ print $2 }')" "$(uname -r)" \
	"$(jq -s '.[0].completed + .[1].completed' "$WORK/load1.json" "$WORK/load2.json")" <<'PY' ||
import datetime, json, re, sys
text, jsonl, err, port, ino1, ino2, version, kernel, completed = sys.argv[1:]
bad = []
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    ok or bad.append(what)
label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
samples = []
for l in open(text):
    if not l.startswith("#"):
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', l.rstrip("\n"))
        samples.append((m[1], dict(label.findall(m[2] or "")), float(m[3])))
def find(name, **want):
    return [(l, v) for n, l, v in samples if n == name and all(l.get(k) == w for k, w in want.items())]
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
lines = [json.loads(l) for l in open(jsonl)]
T = find("telltale_interval_end_timestamp_seconds")[0][1]

# 6. One series per namespace and role, with that namespace's requests.
for role in ("server", "client"):
    got = find("telltale_requests_total", role=role, port=port)
    sets = [tuple(sorted(l.items())) for l, v in got]
    check(len(got) == 2 and len(set(sets)) == 2 and {l.get("netns") for l, v in got} == {ino1, ino2},
          "%s :%s: two series, one per netns label %s" % (role, port, sorted(str(l.get("netns")) for l, v in got)))
    for l, v in got:
        mine = [x for x in lines if x["type"] == "metrics" and x["service"]["role"] == role
                and x["service"]["port"] == int(port) and x["service"].get("netns") == int(l["netns"])
                and ts(x["ts"]) <= T + 0.0011]
        want = sum(x["requests"] for x in mine)
        cg = {str(x["service"]["cgroup_id"]) if "cgroup_id" in x["service"] else None for x in mine}
        cnt = find("telltale_request_duration_seconds_count", **l)
        check(v == want and want > 0 and cnt and cnt[0][1] == want and cg == {l.get("cgroup_id")},
              "%s netns %s: requests_total %d, _count %s, JSON lines %d, cgroup_id %s (JSON %s)"
              % (role, l["netns"], v, cnt and cnt[0][1], want, l.get("cgroup_id"), cg))
srv = sum(v for l, v in find("telltale_requests_total", role="server", port=port))
check(srv == int(completed), "the two servers' series sum to the clients' %s requests" % completed)

# 7. The agent's own series.
start = [x for x in lines if x["type"] == "agent" and x["event"] == "start"][0]
attached = re.search(r"attached (\S+) programs", open(err).read())[1]
b = find("telltale_build_info")
check(len(b) == 1 and b[0][1] == 1 and b[0][0] == {"version": version, "kernel": kernel, "programs": attached}
      and start["version"] == version and start["programs"] == attached,
      "telltale_build_info %s; telltale --version %s, uname -r %s, attached %s" % (b, version, kernel, attached))
stats = [x for x in lines if x["type"] == "agent" and x["event"] == "stats"]
after = [i for i, x in enumerate(stats) if ts(x["ts"]) >= T - 0.0011]
ok = bool(after) and after[0] > 0 and ts(stats[after[0]]["ts"]) - T < 0.5
check(ok, "a stats line right after the snapshot")
ok or sys.exit(1)
S, P = stats[after[0]], stats[after[0] - 1]
for stream in ("metrics", "alerts"):
    v = find("telltale_sink_lines_total", stream=stream)
    check(len(v) == 1 and v[0][1] == S["sinks"][stream]["lines"],
          "telltale_sink_lines_total{stream=%s} %s, stats line %d" % (stream, v and v[0][1], S["sinks"][stream]["lines"]))
ev = {l["program"]: v for l, v in find("telltale_bpf_events_total")}
check(set(ev) == set(S["events"]) and sum(ev.values()) > 0 and
      all(P["events"][p] <= ev[p] <= S["events"][p] for p in ev),
      "telltale_bpf_events_total within the stats lines around it: %s" %
      ", ".join("%s %d <= %d <= %d" % (p, P["events"].get(p, -1), ev[p], S["events"].get(p, -1)) for p in sorted(ev)))
# Walked at most every 15 s: the value of a walk since, which each stats line
# repeats microseconds after.
recent = [x["maps"] for x in stats if T - 16 <= ts(x["ts"]) <= ts(S["ts"])]
for m in ("services", "sockets"):
    v = find("telltale_bpf_map_entries", map=m)
    cap = find("telltale_bpf_map_capacity", map=m)
    # Four services at least: both namespaces' servers and clients.
    check(len(v) == 1 and v[0][1] in {r[m] for r in recent} and (m != "services" or v[0][1] >= 4) and cap and cap[0][1] == S["maps"][m + "_max"],
          "telltale_bpf_map_entries{map=%s} %s of capacity %s, stats lines since T-16 s: %s of %d"
          % (m, v and v[0][1], cap and cap[0][1], sorted({r[m] for r in recent}), S["maps"][m + "_max"]))
sys.exit(1 if bad else 0)
PY
	fail "the last scrape's series disagree with the agent's lines"

# 9. A series exported from Prometheus, scored (README, "Score a series from
# your own monitoring"): its jq and score steps as printed there.
now=$(date +%s)
curl -sf "http://127.0.0.1:$PPORT/api/v1/query_range" \
	--data-urlencode "query=rate(telltale_requests_total{$SEL}[5s])" \
	--data-urlencode "start=$((now - 30))" --data-urlencode "end=$now" --data-urlencode step=1 \
	>"$WORK/range.json" || fail "range query failed"
jq -r '.data.result[0].values[] | "\(.[0]),\(.[1])"' "$WORK/range.json" |
	"$TT_BIN" score - >"$WORK/scored.csv" 2>"$WORK/scored.err" || { cat "$WORK/scored.err"; fail "telltale score exited $?"; }
n=$(jq '.data.result[0].values | length' "$WORK/range.json")
[ "$n" -ge 10 ] || fail "Prometheus gave $n points of the server's request rate in 30 s"
# Each row: Prometheus's timestamp and value as it gave them, a score, an alert.
jq -r '.data.result[0].values[] | "\(.[0]),\(.[1])"' "$WORK/range.json" >"$WORK/range.csv"
tail -n +2 "$WORK/scored.csv" | cut -d, -f1,2 | cmp -s - "$WORK/range.csv" ||
	fail "score's rows are not Prometheus's points: $(head -3 "$WORK/scored.csv")"
[ "$(tail -n +2 "$WORK/scored.csv" | awk -F, 'NF == 4 && $4 ~ /^[01]$/' | wc -l)" = "$n" ] ||
	fail "score wrote rows without a score and an alert column: $(head -3 "$WORK/scored.csv")"
grep -Eq "$n lines, $n points, 0 missing, [0-9]+ alerts, 0 malformed" "$WORK/scored.err" ||
	fail "score's summary: $(cat "$WORK/scored.err")"
echo "ok: a range query of $n points through jq into telltale score: $(cat "$WORK/scored.err")"

# 5. Bad input.
expect_exit() {
	local want=$1 pattern=$2; shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	[ $rc -eq "$want" ] || { cat "$WORK/err"; fail "'$*' exited $rc, expected $want"; }
	grep -qF -- "$pattern" "$WORK/err" || { cat "$WORK/err"; fail "'$*' did not say '$pattern'"; }
	echo "ok: '$*' -> exit $rc, says '$pattern'"
}
expect_exit 2 "--listen: '127.0.0.1' is not ADDR:PORT" "$TT_BIN" --listen 127.0.0.1
expect_exit 2 "--listen: '300.0.0.1:9464' is not ADDR:PORT" "$TT_BIN" --listen 300.0.0.1:9464
expect_exit 2 "--listen: 'localhost:99999' is not ADDR:PORT" "$TT_BIN" --listen localhost:99999
expect_exit 2 "--alertmanager: 'ftp://127.0.0.1:9093' is" "$TT_BIN" --alertmanager ftp://127.0.0.1:9093
expect_exit 2 "--alertmanager: 'http://' is" "$TT_BIN" --alertmanager http://
echo '{"prometheus": {"listen": "nowhere"}}' >"$WORK/bad.json"
expect_exit 2 "prometheus.listen: " "$TT_BIN" -c "$WORK/bad.json" --check-config
BUSY=$(free_port)
python3 -c "import socket, time
s = socket.socket(); s.bind(('127.0.0.1', $BUSY)); s.listen(); time.sleep(30)" &
HOLD=$!
on_exit "kill $HOLD"
wait_port "$BUSY"
expect_exit 1 "cannot serve Prometheus metrics on 127.0.0.1:$BUSY: Address already in use" \
	"$TT_BIN" --listen "127.0.0.1:$BUSY" --duration 1

# 8. A host booted without IPv6 (tests/shim/nov6.c: socket(AF_INET6) fails
# with EAFNOSUPPORT): ":PORT", every address, serves on IPv4's; an explicit
# "[::]:PORT" is refused, naming the cause. Before, ":PORT" stopped the start.
NOV6=$(dirname "$TT_BIN")/tools/nov6.so
[ -f "$NOV6" ] || fail "$NOV6 is not built (make)"
# 10. A scrape that connects as soon as the port listens, while the agent
# still loads its programs, is answered with the agent's own series, not a
# 503: the first snapshot is in place before the server accepts.
P=$(free_port)
python3 - "$P" >"$WORK/early.out" 2>&1 <<'PY' &
import socket, sys, time
end = time.time() + 20
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        if time.time() > end:
            sys.exit("nothing listened in 20 s")
        time.sleep(0.002)
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
print(data.decode(errors="replace"))
PY
EARLY_PID=$!
LD_PRELOAD="$NOV6" "$TT_BIN" --allow-multiple --listen ":$P" --duration 5 --metrics none --alerts none \
	2>"$WORK/nov6.err" &
NOV6_PID=$!
wait $EARLY_PID || { cat "$WORK/early.out"; fail "the early scrape failed"; }
head -1 "$WORK/early.out" | grep -q '^HTTP/1\.[01] 200' || { head -5 "$WORK/early.out"; fail "a scrape queued while the agent loaded: $(head -1 "$WORK/early.out")"; }
grep -q '^telltale_build_info' "$WORK/early.out" || fail "a scrape queued while the agent loaded has no telltale_build_info"
echo "ok: a scrape queued while the agent loaded: $(head -1 "$WORK/early.out" | tr -d '\r'), with telltale_build_info"
ss -Htln "sport = :$P" | grep -q '0.0.0.0:' || { ss -Htln "sport = :$P"; fail "':$P' without IPv6 does not listen on 0.0.0.0"; }
curl -sf "http://127.0.0.1:$P/metrics" | grep -q '^telltale_build_info' ||
	fail "':$P' without IPv6: no metrics on 127.0.0.1"
wait $NOV6_PID || { cat "$WORK/nov6.err"; fail "the agent without IPv6 exited $?"; }
echo "ok: ':$P' on a host without IPv6 serves on every IPv4 address"
expect_exit 1 "cannot serve Prometheus metrics on [::]:$P: Address family not supported" \
	env LD_PRELOAD="$NOV6" "$TT_BIN" --allow-multiple --listen "[::]:$P" --duration 1
