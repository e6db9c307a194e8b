# Shared helpers for the end-to-end tests; source it. Each test runs real
# servers and clients on 127.0.0.1 only, in a scratch directory, and cleans up.
set -u
TT_BIN=${TT_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/telltale}
WORK=$(mktemp -d /tmp/telltale-e2e.XXXXXX)
chmod 755 "$WORK"
AGENT_PID=
AGENT_PIDS=() # start_agents'
CLEANUPS=()
# The lines the checks below read: start_agent's, or for_each_agent's.
AGENT_OUT="$WORK/agent.jsonl"

# Stops an agent left running: SIGINT, and SIGKILL if it is still there
# after 10 s. A background job of a shell starts with SIGINT ignored until
# the agent installs its handler, so a SIGINT sent in its first moments is
# lost, and a bare wait would hang the suite.
reap_agent() {
	local i
	kill -INT "$1" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	local i
	[ -n "$AGENT_PID" ] && reap_agent "$AGENT_PID"
	for i in "${AGENT_PIDS[@]}"; do [ -n "$i" ] && reap_agent "$i"; done
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1; done
	rm -rf "$WORK"
}
trap cleanup EXIT

on_exit() { CLEANUPS+=("$*"); }
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

need() {
	[ "$(id -u)" = 0 ] || skip "needs root to load BPF programs"
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "$c is not installed (make deps installs it)"
	done
}

# A TCP port on 127.0.0.1 no socket uses.
free_port() {
	local p
	while :; do
		p=$(( 20000 + RANDOM % 20000 ))
		# Any socket on it, not just a listener: a connection left closing
		# by an earlier test still holds its port against bind(). Nor one
		# this test was given already and has yet to bind: e2e/prometheus
		# once got Prometheus's port again for its namespaces' servers.
		grep -qx "$p" "$WORK/ports.given" 2>/dev/null && continue
		ss -Htan "sport = :$p" | grep -q . || { echo "$p" >>"$WORK/ports.given"; echo $p; return; }
	done
}

wait_port() {
	local port=$1 i
	for i in $(seq 100); do
		ss -Htln "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $port after 10 s"
}

# TT_SET=NAME runs the agent on one program set (tests/run.sh runs the
# request tests with an agent on each, start_agents): tp_btf and tracepoint
# forced, tp_btf+syscalls chosen by the agent itself on a kernel made to
# look like one without the socket data tracepoints (6.2),
# tp_btf+syscalls+probe_read on one without bpf_rdonly_cast either (6.1),
# tracepoint+syscalls+stack on one without bpf_task_pt_regs either (5.10),
# tracepoint+syscalls forced.
set_env() {
	local hide=TELLTALE_HIDE_TRACEPOINTS=sock/sock_recv_length,sock/sock_send_length
	case ${TT_SET:-} in
	"") ;;
	tp_btf+syscalls) echo "$hide" ;;
	tp_btf+syscalls+probe_read) echo "$hide TELLTALE_HIDE_KFUNCS=bpf_rdonly_cast" ;;
	tracepoint+syscalls+stack) echo "$hide TELLTALE_HIDE_HELPERS=bpf_task_pt_regs" ;;
	*) echo "TELLTALE_HOOKS=$TT_SET" ;;
	esac
}

# Starts the agent with its lines in $WORK/agent.jsonl; returns once it has
# attached (its first line is printed) the program set TT_SET names.
start_agent() {
	launch_agent agent AGENT_PID "$@"
}

# launch_agent NAME PIDVAR [ARGS]: start_agent for an agent whose lines go to
# $WORK/NAME.jsonl and messages to $WORK/NAME.err, its pid in PIDVAR (set
# before it attaches, so a failure's cleanup can reap it).
launch_agent() {
	local name=$1 pidvar=$2 out="$WORK/$1.jsonl" err="$WORK/$1.err" pid i
	shift 2
	# The redirections below truncate an earlier agent's files only once
	# the child runs: the loop once found the last agent's "attached" and
	# returned before this one had started.
	rm -f "$out" "$err"
	env $(set_env) "$TT_BIN" --interval 1 "$@" >"$out" 2>"$err" &
	pid=$!
	printf -v "$pidvar" %s $pid
	for i in $(seq 100); do
		if grep -q attached "$err" 2>/dev/null; then
			[ -z "${TT_SET:-}" ] || grep -q "attached $TT_SET programs" "$err" ||
				fail "$name attached another set than $TT_SET: $(cat "$err")"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$err"
			printf -v "$pidvar" %s ""
			grep -q "kernel refused" "$err" && [ -n "${TT_SET:-}" ] &&
				skip "this kernel cannot load the $TT_SET program set"
			fail "$name${TT_SET:+ (on $TT_SET)} exited"
		fi
		sleep 0.1
	done
	fail "$name${TT_SET:+ (on $TT_SET)} did not attach in 10 s"
}

# The request tests run one agent per program set at once, on the same
# servers and clients, and hold each to every check: TT_SETS="A B ..." names
# the sets (tests/run.sh), TT_SET=NAME one, neither the kernel's choice.
AGENT_SETS=()
start_agents() {
	local s i=0
	AGENT_SETS=(${TT_SETS:-${TT_SET:-default}})
	for s in "${AGENT_SETS[@]}"; do
		[ "$s" = default ] && s=
		TT_SET=$s launch_agent "agent.$i" "AGENT_PIDS[$i]" --allow-multiple "$@"
		i=$((i + 1))
	done
}

# Stops every agent start_agents started; each must exit 0 with every line
# valid.
stop_agents() {
	local i
	for i in "${!AGENT_PIDS[@]}"; do
		kill -INT "${AGENT_PIDS[$i]}"
		wait "${AGENT_PIDS[$i]}" || fail "agent on ${AGENT_SETS[$i]} exited with $?"
		AGENT_PIDS[$i]=
		"$(dirname "${BASH_SOURCE[0]}")/../validate.py" "$WORK/agent.$i.jsonl" ||
			fail "the lines of the agent on ${AGENT_SETS[$i]} fail the schema"
	done
}

# for_each_agent COMMAND [ARGS]: COMMAND once per agent of start_agents, its
# lines in AGENT_OUT, after a line naming its set.
for_each_agent() {
	local i
	for i in "${!AGENT_SETS[@]}"; do
		AGENT_OUT="$WORK/agent.$i.jsonl"
		echo "== the agent on ${AGENT_SETS[$i]/#default/the set this kernel gets}"
		"$@"
	done
}

stop_agent() {
	kill -INT "$AGENT_PID"
	wait "$AGENT_PID" || fail "agent exited with $?"
	AGENT_PID=
	# Every line must match its JSON Schema, with contiguous seq per stream.
	"$(dirname "${BASH_SOURCE[0]}")/../validate.py" "$WORK/agent.jsonl" || fail "agent lines fail the schema"
}

# Sum of a numeric field over the agent's metrics lines of one service.
# usage: agent_sum ROLE PORT FIELD   (FIELD is a jq path like .requests)
agent_sum() {
	jq -s --arg r "$1" --argjson p "$2" \
		"[.[] | select(.type == \"metrics\" and .service.role == \$r and .service.port == \$p) | $3] | add // 0" \
		"$AGENT_OUT"
}

# usage: expect_exact PORT TURNS CONNS CLIENT: the server and the client
# (named CLIENT in messages) of PORT counted TURNS request/response turns and
# opened and closed CONNS connections, exactly.
expect_exact() {
	local port=$1 turns=$2 conns=$3 role
	expect_range "server requests" "$(agent_sum server "$port" .requests)" "$turns" "$turns"
	expect_range "client ($4) requests" "$(agent_sum client "$port" .requests)" "$turns" "$turns"
	for role in server client; do
		expect_range "$role connections opened" "$(agent_sum $role "$port" .connections.opened)" "$conns" "$conns"
		expect_range "$role connections closed" "$(agent_sum $role "$port" .connections.closed)" "$conns" "$conns"
	done
}

# Fails unless lo <= value <= hi.
expect_range() {
	local what=$1 v=$2 lo=$3 hi=$4
	if [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then
		fail "$what = $v, expected $lo..$hi"
	fi
	echo "ok: $what = $v (expected $lo..$hi)"
}

# A private keep-alive nginx on 127.0.0.1:PORT (and on [::1]:PORT6 when
# given) answering every request with a short body from memory.
start_nginx() {
	local port=$1 port6=${2:-} listen6=
	[ -z "$port6" ] || listen6="listen [::1]:$port6;"
	mkdir -p "$WORK/nginx/logs"
	cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_timeout 60;
	keepalive_requests 1000000;
	server { listen 127.0.0.1:$port; $listen6 location / { return 200 "telltale\\n"; } }
}
CONF
	nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
	local pid=$!
	on_exit "kill $pid; wait $pid"
	wait_port "$port"
	[ -z "$port6" ] || wait_port "$port6"
}

# Waits (at most 5 s) until no socket to or from PORT is left open but in
# TIME-WAIT (closed, for the agent). A server closes its side only once it has
# read the client's FIN: an earlier client's close must not land in the
# agent's window, and a benchmark's closes must be in its last interval.
wait_idle() {
	local port=$1 i
	for i in $(seq 50); do
		ss -Htn state connected exclude time-wait "( sport = :$port or dport = :$port )" | grep -q . || return 0
		sleep 0.1
	done
	fail "connections to port $port still open after 5 s"
}

# Fails unless every metrics line of ROLE PORT names the process WANT, or
# names none and has no requests.
expect_comm() {
	local role=$1 port=$2 want=$3 comm
	# The comm is taken at a socket's first answered request, so a line of
	# connections alone (wrk connecting just before an interval's end) may
	# have none yet (README: "absent until known"); one with requests may not.
	comm=$(jq -rs --arg r "$role" --argjson p "$port" '[.[] | select(.type == "metrics" and .service.role == $r and .service.port == $p) | select(.service.comm != null or .requests > 0) | .service.comm] | unique | join(",")' "$AGENT_OUT")
	[ "$comm" = "$want" ] || fail "$role comm is '$comm', expected $want"
	echo "ok: $role comm $want"
}

# Fails unless the server on PORT had a loopback-sized p50 (0..10 ms) in its
# busy intervals; prints it.
expect_loopback_p50() {
	local p50
	p50=$(jq -s --argjson p "$1" '[.[] | select(.type == "metrics" and .service.role == "server" and .service.port == $p and .requests > 1000) | .latency_us.p50] | min' "$AGENT_OUT")
	awk -v v="$p50" 'BEGIN { exit !(v > 0 && v < 10000) }' || fail "server p50 $p50 us is not a loopback latency"
	echo "ok: server p50 $p50 us"
}
