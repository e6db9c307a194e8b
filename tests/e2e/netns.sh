#!/bin/bash
# Workload identity in the kernel's service key: two servers on the same
# port in two network namespaces the test makes, one answering in 1 ms and
# one in 10 ms, each driven by its own client inside its namespace, and in
# the second a connection opened before the agent started. Each namespace
# gets its own server and client service with exactly its own requests and a
# latency bracketing its own delay, its netns the namespace's inode, and the
# servers the cgroups they were started in (one named like a Docker
# container). Listening ports are each namespace's own: port Q listens in
# the first namespace only, and connections opened before the agent are
# classified from their own namespace's ports: one to Q in the first is a
# server and a client of Q there, while the second namespace's early client,
# bound to local port Q, stays a client of PORT (were the ports the host's,
# it would be a server of Q). For each agent, one per program set TT_SETS
# names (lib.sh, start_agents).
. "$(dirname "$0")/lib.sh"
need ip jq python3
TOOLS=$(dirname "$TT_BIN")/tools
for t in delay_server loadgen ttident; do
	[ -x "$TOOLS/$t" ] || fail "build the tools first (make): $TOOLS/$t"
done

CGROOT=$("$TOOLS/ttident" walk | sed -n 's/^root \([^ ]*\) .*/\1/p')
[ -n "$CGROOT" ] && [ -d "$CGROOT" ] || fail "no cgroup v2 mount found (ttident walk)"
ID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
REL=/tt-e2e-netns-$$
CG1=$REL/system.slice/docker-$ID.scope
CG2=$REL/slow
mkdir -p "$CGROOT$CG1" "$CGROOT$CG2" || fail "cannot make cgroups under $CGROOT$REL"
on_exit "find '$CGROOT$REL' -depth -type d -exec rmdir {} +"

PORT=$(free_port)
Q=$(free_port)
while [ "$Q" = "$PORT" ]; do Q=$(free_port); done
for n in 1 2; do
	ip netns add "tt-e2e-$$-$n" || fail "ip netns add tt-e2e-$$-$n"
	on_exit "ip netns del tt-e2e-$$-$n"
	ip -n "tt-e2e-$$-$n" link set lo up
done
NS1=tt-e2e-$$-1 NS2=tt-e2e-$$-2
INO1=$(stat -L -c %i "/run/netns/$NS1")
INO2=$(stat -L -c %i "/run/netns/$NS2")

# A socket records the cgroup of the process that creates it, so each server
# joins its cgroup before it exists (the shell moves itself, then execs).
start_server() { # NS CGROUP DELAY_US LOG [PORT]
	sh -c 'echo $$ >"$1/cgroup.procs" && exec ip netns exec "$2" "$3" "$4" "$5" "$5"' \
		sh "$CGROOT$2" "$1" "$TOOLS/delay_server" "${5:-$PORT}" "$3" 2>"$4" &
}
start_server "$NS1" "$CG1" 1000 "$WORK/srv1.err"
SRV1=$!
start_server "$NS2" "$CG2" 10000 "$WORK/srv2.err"
SRV2=$!
start_server "$NS1" "$CG1" 1000 "$WORK/srvq.err" "$Q"
SRVQ=$!
on_exit "kill $SRV1 $SRV2 $SRVQ; wait $SRV1 $SRV2 $SRVQ"
listens() { ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .; }
for ns in "$NS1:$PORT" "$NS2:$PORT" "$NS1:$Q"; do
	for i in $(seq 100); do
		listens "${ns%:*}" "${ns#*:}" && break
		sleep 0.1
	done
	listens "${ns%:*}" "${ns#*:}" || fail "nothing listens on ${ns#*:} in ${ns%:*}"
done
listens "$NS2" "$Q" && fail "port $Q listens in $NS2 too"

# Opened before the agent: five turns once $WORK/go exists, from local port
# BIND (0: any).
early() { # NS PORT BIND OUT
	ip netns exec "$1" python3 - "$2" "$3" "$WORK/go" >"$4" 2>&1 <<'EOF' &
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), source_address=("127.0.0.1", int(sys.argv[2])))
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
n = 0
for _ in range(5):
    s.sendall(b"x\n")
    n += s.recv(16) == b"ok\n"
print(n)
EOF
}
early "$NS2" "$PORT" "$Q" "$WORK/early.out"
EARLY=$!
early "$NS1" "$Q" 0 "$WORK/earlyq.out"
EARLYQ=$!

start_agents
touch "$WORK/go"
ip netns exec "$NS1" "$TOOLS/loadgen" "$PORT" 200 2 3 >"$WORK/load1.json" &
L1=$!
ip netns exec "$NS2" "$TOOLS/loadgen" "$PORT" 40 2 3 >"$WORK/load2.json" &
L2=$!
wait $L1 || fail "loadgen in $NS1 failed: $(cat "$WORK/load1.json")"
wait $L2 || fail "loadgen in $NS2 failed: $(cat "$WORK/load2.json")"
wait $EARLY || fail "the early client failed: $(cat "$WORK/early.out")"
[ "$(cat "$WORK/early.out")" = 5 ] || fail "the early client got $(cat "$WORK/early.out") answers of 5"
wait $EARLYQ || fail "the early client of $Q failed: $(cat "$WORK/earlyq.out")"
[ "$(cat "$WORK/earlyq.out")" = 5 ] || fail "the early client of $Q got $(cat "$WORK/earlyq.out") answers of 5"
sleep 2.5
stop_agents

check_agent() {
	# Sums over the lines of one service: role, port and netns.
	ns_sum() { # ROLE NETNS FIELD [PORT]
		jq -s --arg r "$1" --argjson n "$2" --argjson p "${4:-$PORT}" \
			"[.[] | select(.type == \"metrics\" and .service.role == \$r and .service.port == \$p and .service.netns == \$n) | $3] | add // 0" \
			"$AGENT_OUT"
	}
	C1=$(jq .completed "$WORK/load1.json")
	C2=$(( $(jq .completed "$WORK/load2.json") + 5 ))
	for side in server client; do
		expect_range "$side requests in $NS1" "$(ns_sum $side "$INO1" .requests)" "$C1" "$C1"
		expect_range "$side requests in $NS2" "$(ns_sum $side "$INO2" .requests)" "$C2" "$C2"
	done
	mean() { # ROLE NETNS: the requests-weighted mean latency, us, whole
		jq -s --arg r "$1" --argjson n "$2" --argjson p "$PORT" \
			'[.[] | select(.type == "metrics" and .service.role == $r and .service.port == $p and .service.netns == $n and .requests > 0)] |
			 ((map(.latency_us.mean * .requests) | add) / (map(.requests) | add)) | floor' "$AGENT_OUT"
	}
	for side in server client; do
		expect_range "$side mean latency in $NS1, us" "$(mean $side "$INO1")" 1000 5000
		expect_range "$side mean latency in $NS2, us" "$(mean $side "$INO2")" 10000 20000
	done

	# One server service per namespace, named by the cgroup it was started in.
	jq -c --argjson p "$PORT" 'select(.type == "metrics" and .service.role == "server" and .service.port == $p) | .service | del(.comm)' \
		"$AGENT_OUT" | sort -u >"$WORK/servers.txt"
	python3 - "$WORK/servers.txt" "$INO1" "$INO2" "$CG1" "$CG2" "$ID" <<'EOF' || fail "the servers' identities are wrong"
import json, sys
path, ino1, ino2, cg1, cg2, cid = sys.argv[1:]
got = {}
for l in open(path):
    s = json.loads(l)
    s.pop("cgroup_id", None) or sys.exit("no cgroup_id in %s" % s)
    got.setdefault(s["netns"], []).append(s)
want = {int(ino1): {"cgroup": cg1, "container": {"id": cid, "runtime": "docker"}},
        int(ino2): {"cgroup": cg2}}
bad = 0
for ino, exp in want.items():
    for s in got.get(ino, [{}]):
        sub = {k: s.get(k) for k in exp}
        if sub != exp or len(got.get(ino, [])) != 1:
            print("netns %d: got %s, want %s" % (ino, got.get(ino), exp))
            bad += 1
sys.exit(bad)
EOF
	echo "ok: one server per namespace, named by its cgroup ($CG1 as docker $ID, $CG2)"

	# Port Q: a server and a client in the first namespace, exactly the early
	# connection's five turns; nothing of Q in the second, where the early client
	# bound to local port Q was counted as a client of PORT above.
	QLINES=$(jq -c --argjson q "$Q" 'select(.type == "metrics" and .service.port == $q) | .service | {role, netns}' \
		"$AGENT_OUT" | sort -u | tr '\n' ' ')
	[ "$QLINES" = "{\"role\":\"client\",\"netns\":$INO1} {\"role\":\"server\",\"netns\":$INO1} " ] ||
		fail "port $Q's services are $QLINES; expected a server and a client in $NS1 only"
	for side in server client; do
		expect_range "$side:$Q requests in $NS1" "$(ns_sum $side "$INO1" .requests "$Q")" 5 5
	done
	echo "ok: port $Q listens in $NS1 only: its early connection there a server and a client, the one from local port $Q in $NS2 a client of $PORT"
}
for_each_agent check_agent
