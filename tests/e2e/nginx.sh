#!/bin/bash
# nginx under wrk, over IPv4 and IPv6 at once (127.0.0.1 and ::1, a port
# each): for each port the agent's request count must equal wrk's completed
# requests, and its connection counts wrk's connections; for each agent, one
# per program set TT_SETS names (tests/e2e/lib.sh, start_agents).
. "$(dirname "$0")/lib.sh"
need nginx wrk jq ss

PORT=$(free_port)
PORT6=$(free_port)
CONNS=8
start_nginx "$PORT" "$PORT6"

start_agents
wrk -t1 -c$CONNS -d3s "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt" &
wrk4=$!
wrk -t1 -c$CONNS -d3s "http://[::1]:$PORT6/" >"$WORK/wrk6.txt" || fail "wrk over IPv6 failed"
wait $wrk4 || fail "wrk over IPv4 failed"
cat "$WORK/wrk.txt" "$WORK/wrk6.txt"
sleep 1.5
stop_agents

# usage: check_port PORT WRK_OUTPUT
check_port() {
	local port=$1 total srv cli peak
	total=$(awk '/requests in/ { print $1 }' "$2")
	[ -n "$total" ] || fail "no request total in $2"
	echo "-- port $port ($(basename "$2"))"
	srv=$(agent_sum server "$port" .requests)
	cli=$(agent_sum client "$port" .requests)
	# wrk counts a response when it has read it whole; the agent counts it
	# at its first byte. When wrk stops, each connection may have one
	# request answered but not yet counted by wrk: at most one per
	# connection.
	expect_range "server requests" "$srv" "$total" $((total + CONNS))
	expect_range "client (wrk) requests" "$cli" "$total" $((total + CONNS))
	# wrk opens one extra connection before the run to probe the server.
	expect_range "server connections opened" "$(agent_sum server "$port" .connections.opened)" $CONNS $((CONNS + 1))
	expect_range "server connections closed" "$(agent_sum server "$port" .connections.closed)" $CONNS $((CONNS + 1))
	expect_range "client connections opened" "$(agent_sum client "$port" .connections.opened)" $CONNS $((CONNS + 1))
	peak=$(jq -s --argjson p "$port" '[.[] | select(.type=="metrics" and .service.role=="server" and .service.port==$p) | .connections.active] | max' "$AGENT_OUT")
	expect_range "peak active server connections" "$peak" $CONNS $((CONNS + 1))
	expect_comm server "$port" nginx
	expect_comm client "$port" wrk
	expect_loopback_p50 "$port"
}
check_agent() {
	check_port "$PORT" "$WORK/wrk.txt"
	check_port "$PORT6" "$WORK/wrk6.txt"
}
for_each_agent check_agent
