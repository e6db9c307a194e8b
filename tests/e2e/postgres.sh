#!/bin/bash
# PostgreSQL under pgbench (select-only, fixed -t): the agent's request counts
# for the server's port, on the server side (the backends) and the client side
# (pgbench's connections), must equal the request/response turns on the wire,
# and its connection counts pgbench's connections. The reference is the
# server's own log: every statement and every TCP connection it received.
# For each agent, one per program set TT_SETS names (lib.sh, start_agents).
. "$(dirname "$0")/lib.sh"
need runuser jq ss
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pgbench" ] || skip "PostgreSQL is not installed (make deps installs it)"
id postgres >/dev/null 2>&1 || skip "no postgres user to run the server as"

PORT=$(free_port)
CONNS=4
TXNS=4000 # per connection; about 1-2 s in all here
PG=$WORK/pg
mkdir "$PG" && chown postgres: "$PG"
as_postgres() { (cd "$PG" && runuser -u postgres -- "$@"); }
as_postgres "$PGBIN/initdb" -D "$PG/data" -A trust -U postgres --no-sync >"$WORK/initdb.log" 2>&1 ||
	{ cat "$WORK/initdb.log"; fail "initdb failed"; }
on_exit "cd / && runuser -u postgres -- $PGBIN/pg_ctl -D $PG/data -m immediate stop"
# ssl=off pins the connection startup whatever the host's defaults: libpq's
# sslmode=prefer sends an SSLRequest, which the server then answers "N" (no
# TLS handshake turns follow).
as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 30 -o "-p $PORT \
	-c listen_addresses=127.0.0.1 -k $PG -c fsync=off -c ssl=off \
	-c log_statement=all -c log_connections=on" start >/dev/null || { cat "$PG/server.log"; fail "postgres did not start"; }
wait_port "$PORT"
"$PGBIN/pgbench" -h "$PG" -p "$PORT" -U postgres -i -s 1 -q postgres >"$WORK/init.txt" 2>&1 ||
	{ cat "$WORK/init.txt"; fail "pgbench -i failed"; }

# GSSAPI encryption off: with Kerberos credentials on the host libpq would
# first try a GSSENCRequest, one more turn per connection.
export PGGSSENCMODE=disable
wait_idle "$PORT"
log_start=$(stat -c %s "$PG/server.log")
start_agents
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -S -n -t $TXNS -c $CONNS postgres \
	>"$WORK/pgbench.txt" 2>&1 || { cat "$WORK/pgbench.txt"; fail "pgbench failed"; }
grep -E '^(number of|tps)' "$WORK/pgbench.txt"
wait_idle "$PORT"
stop_agents

processed=$(awk '/^number of transactions actually processed:/ { split($6, a, "/"); print a[1] }' "$WORK/pgbench.txt")
expect_range "pgbench transactions" "${processed:-0}" $((CONNS * TXNS)) $((CONNS * TXNS))
tail -c +$((log_start + 1)) "$PG/server.log" >"$WORK/window.log"
stmts=$(grep -c 'LOG:  statement: ' "$WORK/window.log")
conns=$(grep -c 'LOG:  connection received: host=127.0.0.1 ' "$WORK/window.log")
echo "postgres: $stmts statements, $conns TCP connections"
# pgbench opens one connection first, on which it runs two queries (the scale
# from pgbench_branches, the partitioning of pgbench_accounts) and closes it;
# then one connection per client, each running -t statements and nothing else.
# Measured: stmts = CONNS * TXNS + 2, conns = CONNS + 1.
expect_range "server statements" "$stmts" $((CONNS * TXNS + 2)) $((CONNS * TXNS + 2))
expect_range "server TCP connections" "$conns" $((CONNS + 1)) $((CONNS + 1))
# The agent counts turns: every simple-protocol statement is one (Query out,
# RowDescription..ReadyForQuery back), and each connection's startup adds two:
# SSLRequest / "N", then StartupMessage / AuthenticationOk..ReadyForQuery
# (trust authentication, no password round trip); measured: 2 * conns, and
# 1 * conns with PGSSLMODE=disable. The closing Terminate gets no reply and is
# never counted. Every turn completes before pgbench exits: the count is exact.
turns=$((stmts + 2 * conns))
check_agent() {
	expect_exact "$PORT" $turns $conns pgbench
	expect_comm server "$PORT" postgres
	expect_comm client "$PORT" pgbench
	expect_loopback_p50 "$PORT"
}
for_each_agent check_agent
