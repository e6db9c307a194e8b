#!/bin/bash
# nginx under wrk: the agent's request count for nginx's port must equal wrk's
# completed requests, and its connection counts wrk's connections.
. "$(dirname "$0")/lib.sh"
need nginx wrk jq ss

PORT=$(free_port)
CONNS=8
start_nginx "$PORT"

start_agent
wrk -t2 -c$CONNS -d3s "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt" || fail "wrk failed"
cat "$WORK/wrk.txt"
sleep 1.5
stop_agent

wrk_total=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
[ -n "$wrk_total" ] || fail "no request total in wrk's output"
srv=$(agent_sum server "$PORT" .requests)
cli=$(agent_sum client "$PORT" .requests)
# wrk counts a response when it has read it whole; the agent counts it at its
# first byte. When wrk stops, each connection may have one request answered
# but not yet counted by wrk: at most one per connection.
expect_range "server requests" "$srv" "$wrk_total" $((wrk_total + CONNS))
expect_range "client (wrk) requests" "$cli" "$wrk_total" $((wrk_total + CONNS))
# wrk opens one extra connection before the run to probe the server.
expect_range "server connections opened" "$(agent_sum server "$PORT" .connections.opened)" $CONNS $((CONNS + 1))
expect_range "server connections closed" "$(agent_sum server "$PORT" .connections.closed)" $CONNS $((CONNS + 1))
expect_range "client connections opened" "$(agent_sum client "$PORT" .connections.opened)" $CONNS $((CONNS + 1))
peak=$(jq -s --argjson p "$PORT" '[.[] | select(.type=="metrics" and .service.role=="server" and .service.port==$p) | .connections.active] | max' "$WORK/agent.jsonl")
expect_range "peak active server connections" "$peak" $CONNS $((CONNS + 1))
expect_comm server "$PORT" nginx
expect_comm client "$PORT" wrk
expect_loopback_p50 "$PORT"
