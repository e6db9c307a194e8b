#!/bin/bash
# redis-server under redis-benchmark: the agent's request counts for redis's
# port, server side and client side, must equal the request/response turns
# redis processed, and its connection counts the connections redis accepted;
# for each agent, one per program set TT_SETS names (lib.sh, start_agents).
# The reference is redis's own INFO, read before the agent starts and after it
# stops so that redis-cli's connections are not in the agent's figures.
. "$(dirname "$0")/lib.sh"
need redis-server redis-benchmark redis-cli jq ss

PORT=$(free_port)
CONNS=8
N=40000 # requests per test; two tests (SET, GET), about 1 s in all here
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
	--daemonize no --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
on_exit "kill $REDIS_PID; wait $REDIS_PID"
wait_port "$PORT"

# One INFO field from a saved "INFO all" reply (0 when the line is absent).
info_field() { awk -F'[:=,]' -v k="$2" '$1 == k { v = $3 == "" ? $2 : $3 } END { print v + 0 }' "$1"; }
redis_info() { redis-cli -h 127.0.0.1 -p "$PORT" info all | tr -d '\r' >"$1" || fail "redis-cli info failed"; }

redis_info "$WORK/info.before"
wait_idle "$PORT"
start_agents
redis-benchmark -h 127.0.0.1 -p "$PORT" -n $N -c $CONNS -P 1 -t set,get -q \
	>"$WORK/bench.txt" 2>&1 || { cat "$WORK/bench.txt"; fail "redis-benchmark failed"; }
tr '\r' '\n' <"$WORK/bench.txt" | grep 'requests per second'
wait_idle "$PORT"
stop_agents
redis_info "$WORK/info.after"

delta() { echo $(( $(info_field "$WORK/info.after" "$1") - $(info_field "$WORK/info.before" "$1") )); }
# Each INFO is counted after it runs and its connection when accepted, so the
# deltas hold the first INFO's command and the second INFO's connection: -1.
cmds=$(( $(delta total_commands_processed) - 1 ))
conns=$(( $(delta total_connections_received) - 1 ))
sets=$(delta 'cmdstat_set')
gets=$(delta 'cmdstat_get')
cfg=$(delta 'cmdstat_config|get')
echo "redis: $cmds commands ($sets SET, $gets GET, $cfg CONFIG GET), $conns connections"
# redis-benchmark issues exactly -n commands per test, nothing else per
# connection, and before the tests opens one connection on which it pipelines
# CONFIG GET save and CONFIG GET appendonly in one write (redis-benchmark 7.0,
# getRedisConfig). Measured: cmds = 2N + 2, conns = 2 * CONNS + 1 (each test
# opens its own CONNS connections).
expect_range "redis SET+GET commands" $((sets + gets)) $((2 * N)) $((2 * N))
[ $((sets + gets + cfg)) -eq "$cmds" ] || fail "redis processed $cmds commands, not only SET, GET and CONFIG GET"
# The agent counts request/response turns, not commands: the pipelined CONFIG
# GET pair is one turn (one write, one ~60-byte segment on loopback, so one
# recv; the replies go out in one write), every benchmark command one turn.
# Every turn completes before redis-benchmark exits, so the count is exact.
turns=$((sets + gets + (cfg > 0 ? 1 : 0)))
check_agent() {
	# Every connection redis accepted in the window was redis-benchmark's, and all
	# were closed before the agent stopped: exact.
	expect_exact "$PORT" $turns $conns redis-benchmark
	# Tests run one after another and the CONFIG connection is closed before
	# they start, so at most CONNS connections are ever open at an interval's end;
	# none are left at the last.
	active=$(jq -s --argjson p "$PORT" '[.[] | select(.type=="metrics" and .service.role=="server" and .service.port==$p) | .connections.active]' "$AGENT_OUT")
	expect_range "peak active server connections" "$(jq max <<<"$active")" 0 $CONNS
	expect_range "active server connections at the end" "$(jq last <<<"$active")" 0 0
	expect_comm server "$PORT" redis-server
	expect_comm client "$PORT" redis-benchmark
	expect_loopback_p50 "$PORT"
}
for_each_agent check_agent
