#!/bin/bash
# Workload identity, the user side, on this machine: processes the test
# places in a network namespace and in cgroups named like a Docker container,
# a containerd container of a Kubernetes pod and a systemd unit (all made
# here, under a cgroup of the test's own) are named by the chain the agent
# runs: the netns from /proc/PID/ns/net, the cgroup id from the inode of the
# cgroup's directory, one walk of the cgroup tree, the naming patterns. The
# server's (netns, port) is among the listening ports per namespace, and the
# lines validate against the schemas. Then the real agent on the host
# network: two servers on two ports, each with its client in a cgroup the
# test makes, every request counted on both sides and each service's lines
# carrying its own cgroup's path.
. "$(dirname "$0")/lib.sh"
need ip jq python3 ss
TOOLS=$(dirname "$TT_BIN")/tools
[ -x "$TOOLS/ttident" ] && [ -x "$TOOLS/delay_server" ] || fail "build the tools first (make)"

CGROOT=$("$TOOLS/ttident" walk | sed -n 's/^root \([^ ]*\) .*/\1/p')
[ -n "$CGROOT" ] && [ -d "$CGROOT" ] || fail "no cgroup v2 mount found (ttident walk)"
hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ID1=$(hex)
ID2=$(hex)
UID_DASH=$(python3 -c 'import uuid; print(uuid.uuid4())')
UID_US=${UID_DASH//-/_}
REL=/tt-e2e-$$
DOCKER=$REL/system.slice/docker-$ID1.scope
POD=$REL/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$UID_US.slice
KUBE=$POD/cri-containerd-$ID2.scope
UNIT=$REL/system.slice/tt-e2e-$$.service
for d in "$DOCKER" "$KUBE" "$UNIT"; do
	mkdir -p "$CGROOT$d" || fail "cannot make cgroup $CGROOT$d"
done
# Removed deepest first, once the processes in them are gone.
on_exit "find '$CGROOT$REL' -depth -type d -exec rmdir {} +"

NS=tt-e2e-$$
ip netns add "$NS" || fail "ip netns add $NS"
on_exit "ip netns del $NS"
ip -n "$NS" link set lo up
PORT=$(free_port)

# A server inside the namespace, moved into the Docker-named cgroup; two
# idle processes on the host network in the other two.
ip netns exec "$NS" "$TOOLS/delay_server" "$PORT" 1000 1000 2>"$WORK/server.err" &
SRV=$!
sleep 300 &
KPID=$!
sleep 300 &
UPID=$!
on_exit "kill $SRV $KPID $UPID; wait $SRV $KPID $UPID"
echo "$SRV" >"$CGROOT$DOCKER/cgroup.procs" || fail "cannot move $SRV into $DOCKER"
echo "$KPID" >"$CGROOT$KUBE/cgroup.procs" || fail "cannot move $KPID into $KUBE"
echo "$UPID" >"$CGROOT$UNIT/cgroup.procs" || fail "cannot move $UPID into $UNIT"
for i in $(seq 100); do
	ip netns exec "$NS" ss -Htln "sport = :$PORT" | grep -q . && break
	sleep 0.1
done
ip netns exec "$NS" ss -Htln "sport = :$PORT" | grep -q . || fail "the server does not listen in $NS"

NSINO=$(stat -L -c %i "/run/netns/$NS")
[ "$(readlink "/proc/$SRV/ns/net")" = "net:[$NSINO]" ] || fail "the server is not in $NS"
[ "$(ip netns identify "$SRV")" = "$NS" ] || fail "ip netns identify $SRV is not $NS"
HOSTNS=$("$TOOLS/ttident" walk | sed -n 's/.* host_netns \([0-9]*\) .*/\1/p')

# One line a file: each is seq 1 of its own stream.
"$TOOLS/ttident" pid "$SRV" server "$PORT" >"$WORK/srv.jsonl" || fail "ttident pid $SRV"
"$TOOLS/ttident" pid "$KPID" client 5432 >"$WORK/kube.jsonl" || fail "ttident pid $KPID"
"$TOOLS/ttident" pid "$UPID" server 80 >"$WORK/unit.jsonl" || fail "ttident pid $UPID"
cat "$WORK/srv.jsonl" "$WORK/kube.jsonl" "$WORK/unit.jsonl" | tee "$WORK/lines.jsonl"

python3 - "$WORK/lines.jsonl" "$NSINO" "$HOSTNS" "$DOCKER" "$ID1" "$KUBE" "$ID2" "$UID_DASH" \
	"$UNIT" "$PORT" <<'EOF' || fail "the service objects are not what the cgroups and netns say"
import json, sys
path, nsino, hostns, docker, id1, kube, id2, uid, unit, port = sys.argv[1:]
srv, kpod, svc = [json.loads(l)["service"] for l in open(path)]
want = [
    (srv, {"role": "server", "port": int(port), "netns": int(nsino), "cgroup": docker,
           "container": {"id": id1, "runtime": "docker"}}),
    (kpod, {"role": "client", "port": 5432, "netns": int(hostns), "host_netns": True,
            "cgroup": kube, "container": {"id": id2, "runtime": "containerd"}, "pod_uid": uid}),
    (svc, {"role": "server", "port": 80, "netns": int(hostns), "host_netns": True,
           "cgroup": unit, "unit": unit.rsplit("/", 1)[1]}),
]
bad = 0
for got, exp in want:
    got = dict(got)
    got.pop("cgroup_id", None) or print("no cgroup_id in", got) or exit(1)
    if got != exp:
        print("got  %s\nwant %s" % (got, exp))
        bad += 1
sys.exit(bad)
EOF
echo "ok: netns $NSINO, docker container $ID1, pod $UID_DASH (containerd), unit $(basename "$UNIT")"

"$TOOLS/ttident" listen >"$WORK/listen.txt" || fail "ttident listen"
grep -qx "$NSINO $PORT" "$WORK/listen.txt" || { cat "$WORK/listen.txt"; fail "($NSINO, $PORT) is not among the listening ports"; }
grep -qx "$HOSTNS $PORT" "$WORK/listen.txt" && fail "port $PORT listens in $NS only, yet the host's namespace has it"
echo "ok: $(tail -1 "$WORK/listen.txt"); ($NSINO, $PORT) among them, not on the host"

python3 "$(dirname "$0")/../validate.py" "$WORK/srv.jsonl" "$WORK/kube.jsonl" "$WORK/unit.jsonl" \
	2>/dev/null || fail "lines do not validate"
echo "ok: the lines validate against docs/schema"

# The agent, host network: server and client of port A in cgroup $REL/web-a,
# of port B in $REL/web-b (each process joins its cgroup before it makes a
# socket, which records the cgroup at creation).
CGA=$REL/web-a CGB=$REL/web-b
mkdir -p "$CGROOT$CGA" "$CGROOT$CGB" || fail "cannot make cgroups under $CGROOT$REL"
in_cgroup() { # CGROUP COMMAND...: becomes COMMAND, in CGROUP (run it with & or in a subshell)
	local cg=$1
	shift
	exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROOT$cg" "$@"
}
PA=$(free_port)
in_cgroup "$CGA" "$TOOLS/delay_server" "$PA" 500 500 2>"$WORK/a.err" &
SA=$!
PB=$(free_port)
while [ "$PB" = "$PA" ]; do PB=$(free_port); done
in_cgroup "$CGB" "$TOOLS/delay_server" "$PB" 500 500 2>"$WORK/b.err" &
SB=$!
on_exit "kill $SA $SB; wait $SA $SB"
wait_port "$PA"
wait_port "$PB"
start_agent --allow-multiple
turns() { # CGROUP PORT N: N request/response turns on one connection
	(in_cgroup "$1" python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for _ in range(int(sys.argv[2])):
    s.sendall(b"x\n")
    assert s.recv(16) == b"ok\n"
' "$2" "$3") || fail "the client of port $2 failed"
}
NA=30 NB=70
turns "$CGA" "$PA" $NA &
CA=$!
turns "$CGB" "$PB" $NB
wait $CA || fail "the client of port $PA failed"
sleep 1.2
stop_agent
for side in server client; do
	expect_range "$side:$PA requests" "$(agent_sum $side "$PA" .requests)" $NA $NA
	expect_range "$side:$PB requests" "$(agent_sum $side "$PB" .requests)" $NB $NB
done
cgroups() { # PORT: the cgroup paths and netns flags of its lines, both roles
	jq -rs --argjson p "$1" '[.[] | select(.type == "metrics" and .service.port == $p) |
		"\(.service.role) \(.service.cgroup) \(.service.host_netns)"] | unique | join(",")' \
		"$WORK/agent.jsonl"
}
[ "$(cgroups "$PA")" = "client $CGA true,server $CGA true" ] ||
	fail "port $PA's lines name $(cgroups "$PA"), expected $CGA on the host network"
[ "$(cgroups "$PB")" = "client $CGB true,server $CGB true" ] ||
	fail "port $PB's lines name $(cgroups "$PB"), expected $CGB on the host network"
echo "ok: the agent names server and client of $PA by $CGA, of $PB by $CGB, requests exact"
