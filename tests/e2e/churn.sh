#!/bin/bash
# Connection churn on the smallest socket table (1,024 sockets, 2,048 ways):
# wrk's two threads open a new connection for every request to nginx's two
# workers, so on both CPUs sockets close and new ones take the ways they
# left, in the same sets at the same time (over 100,000 sockets through
# 256 sets). Every request is counted on nginx's port, server and client,
# or its loss is counted by the agent (a full set): none is lost silently.
# For each agent, one per program set TT_SETS names (lib.sh, start_agents).
. "$(dirname "$0")/lib.sh"
need nginx wrk jq

PORT=$(free_port)
CONNS=16
start_nginx "$PORT"
start_agents --max-sockets 1024
wrk -t2 -c$CONNS -d4s -H "Connection: close" "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt" ||
	fail "wrk failed"
cat "$WORK/wrk.txt"
sleep 1.5
stop_agents

wrk_total=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
[ -n "$wrk_total" ] || fail "no request total in wrk's output"
# A connection wrk dropped on an error opened without a request it counts.
errs=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$WORK/wrk.txt")
errs=${errs:-0}
check_agent() {
	maps=$(jq -c 'select(.event == "stop") | .maps' "$AGENT_OUT")
	full=$(jq -r ".socket_table_full // 0" <<<"$maps")
	tracked=$(jq -r .sockets_tracked <<<"$maps")
	echo "the agent's maps at stop: $maps"
	# Each request has its own connection: the churn is there to see.
	expect_range "sockets tracked" "$tracked" $((2 * wrk_total)) $((2 * (wrk_total + CONNS + 1 + errs) + 2 * CONNS))
	# wrk counts a response read whole, the agent at its first byte: at most one
	# more a connection when wrk stops. A full set's loss is counted, not silent.
	expect_range "server requests" "$(agent_sum server "$PORT" .requests)" $((wrk_total - full)) $((wrk_total + CONNS + errs))
	expect_range "client (wrk) requests" "$(agent_sum client "$PORT" .requests)" $((wrk_total - full)) $((wrk_total + CONNS + errs))
	# Each of wrk's connections has at most one open when it stops, and it opens
	# one more before the run to probe the server.
	expect_range "server connections opened" "$(agent_sum server "$PORT" .connections.opened)" $((wrk_total - full)) $((wrk_total + CONNS + 1 + errs))
}
for_each_agent check_agent
