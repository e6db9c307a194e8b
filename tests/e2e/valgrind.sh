#!/bin/bash
# The agent under valgrind while nginx serves wrk, with the Prometheus
# endpoint scraped in both formats and an Alertmanager URL nobody answers:
# no invalid access, no use of uninitialised memory, no leak. tests/valgrind.supp lists libbpf's bpf()
# attribute unions, which valgrind cannot size.
. "$(dirname "$0")/lib.sh"
need valgrind nginx wrk jq ss curl

PORT=$(free_port)
LPORT=$(free_port)
DEAD=$(free_port)
start_nginx "$PORT"
valgrind -q --error-exitcode=9 --suppressions="$(dirname "$0")/../valgrind.supp" \
	--leak-check=full --errors-for-leak-kinds=definite,indirect \
	"$TT_BIN" --interval 0.5 --duration 5 --listen "127.0.0.1:$LPORT" \
	--alertmanager "http://127.0.0.1:$DEAD" >"$WORK/agent.jsonl" 2>"$WORK/vg.err" &
VG=$!
for i in $(seq 200); do grep -q attached "$WORK/vg.err" && break; sleep 0.1; done
wrk -t1 -c4 -d1s "http://127.0.0.1:$PORT/" >/dev/null
sleep 1
for i in 1 2 3; do
	curl -sf "http://127.0.0.1:$LPORT/metrics" | grep -q "telltale_requests_total{role=\"server\",port=\"$PORT\"" ||
		fail "no nginx series on /metrics under valgrind"
	curl -sf -H 'Accept: application/openmetrics-text' "http://127.0.0.1:$LPORT/metrics" | tail -1 | grep -q '# EOF' ||
		fail "no OpenMetrics under valgrind"
	curl -sf "http://127.0.0.1:$LPORT/healthz" >/dev/null || fail "/healthz under valgrind"
	sleep 0.5
done
wait $VG
rc=$?
grep -v "unhandled eBPF command" "$WORK/vg.err"
[ $rc -eq 0 ] || fail "valgrind reported errors (exit $rc)"
n=$(jq -s --argjson p "$PORT" '[.[] | select(.type == "metrics" and .service.port == $p)] | length' "$WORK/agent.jsonl")
[ "$n" -ge 2 ] || fail "the agent saw no traffic under valgrind"
echo "ok: clean under valgrind, $n service lines"
