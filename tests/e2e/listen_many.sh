#!/bin/bash
# A host with 6,000 listening ports (more than the listening-port map's
# minimum of 4,096), each with a connection opened before the agent starts:
# the agent seeds every port and says so with room to spare, and after it
# starts one request on each connection is counted on server:PORT and
# client:PORT, exactly: every accepted socket is classified a server from the
# seeded ports, none becomes a client of its ephemeral peer. The one loss
# allowed is one the agent counts: a socket its full table sets could not
# take (socket_table_full), its service short by its one request.
. "$(dirname "$0")/lib.sh"
need python3 jq

N=6000
# Three descriptors a port: the listener and both ends of its connection.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((3 * N + 100)) ] ||
	fail "the open-file limit $(ulimit -n) is below the $((3 * N + 100)) this test needs"
mkfifo "$WORK/go"
python3 - "$N" "$WORK/ports" "$WORK/ready" "$WORK/go" "$WORK/done" <<'EOF2' &
import random, socket, sys
n, ports_file, ready, go, done = int(sys.argv[1]), *sys.argv[2:]
pairs, ports = [], []
while len(ports) < n:
    p = random.randint(20000, 32000)
    if p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    s.listen(2)
    c = socket.create_connection(("127.0.0.1", p))
    a, _ = s.accept()
    pairs.append((s, c, a))
    ports.append(p)
open(ports_file, "w").write(" ".join(map(str, ports)))
open(ready, "w").close()
open(go).read()
for s, c, a in pairs:
    c.sendall(b"q")
    assert a.recv(1) == b"q"
    a.sendall(b"a")
    assert c.recv(1) == b"a"
open(done, "w").close()
open(go).read()
EOF2
PY=$!
on_exit "kill $PY"
for i in $(seq 300); do [ -e "$WORK/ready" ] && break; sleep 0.1; done
[ -e "$WORK/ready" ] || fail "the $N servers did not start in 30 s"

start_agent --allow-multiple --max-services 16384
SEEDED=$(sed -n 's/.* \([0-9]*\) listening ports seeded from .* (room for \([0-9]*\)).*/\1 \2/p' "$WORK/agent.err")
read -r FOUND ROOM <<<"$SEEDED"
[ -n "$FOUND" ] || fail "no seeding figure in the start message: $(cat "$WORK/agent.err")"
expect_range "listening ports seeded" "$FOUND" "$N" 100000
expect_range "room in the listening-port map" "$ROOM" "$FOUND" 100000000
# The JSON start line says the same.
jq -se --argjson n "$FOUND" --argjson room "$ROOM" '.[0].maps | .listen_ports_seeded == $n and
	.listen_ports_max == $room and .listen_namespaces >= 1' "$WORK/agent.jsonl" >/dev/null ||
	fail "the start line's maps are not the seeding figures: $(head -1 "$WORK/agent.jsonl")"
echo >"$WORK/go"
for i in $(seq 300); do [ -e "$WORK/done" ] && break; sleep 0.1; done
[ -e "$WORK/done" ] || fail "the requests did not finish in 30 s"
sleep 2.5
stop_agent
echo >"$WORK/go"
# The stop line: every seeded port in the map, none refused for room.
jq -se --argjson n "$FOUND" --argjson room "$ROOM" '[.[] | select(.event == "stop")][0].maps |
	.listen_ports >= $n and .listen_ports <= $room and .listen_ports_max == $room and
	.listen_ports_full == 0' "$WORK/agent.jsonl" >/dev/null ||
	fail "the stop line's listening-port figures: $(grep '"stop"' "$WORK/agent.jsonl")"
echo "ok: start and stop lines: $FOUND listening ports seeded, $(jq -s '[.[] | select(.event == "stop")][0].maps.listen_ports' "$WORK/agent.jsonl") in the map of $ROOM, none refused"

python3 - "$WORK/ports" "$WORK/agent.jsonl" <<'EOF2' || fail "connections opened before the agent misclassified or miscounted"
import json, sys
ports = set(map(int, open(sys.argv[1]).read().split()))
got, strays, maps = {}, 0, None
for l in open(sys.argv[2]):
    d = json.loads(l)
    if d.get("event") == "stop":
        maps = d.get("maps")
    if d["type"] != "metrics":
        continue
    k = (d["service"]["role"], d["service"]["port"])
    got[k] = got.get(k, 0) + d["requests"]
    if d["service"]["comm"].startswith("python") and d["service"]["port"] not in ports:
        strays += 1
bad = [(r, p, got.get((r, p), 0)) for p in sorted(ports) for r in ("server", "client")
       if got.get((r, p), 0) != 1]
for b in bad[:10]:
    print("%s:%d counted %d requests, the client made 1" % b)
print("%d of %d services exact; %d lines of the test's sockets on other ports" %
      (2 * len(ports) - len(bad), 2 * len(ports), strays))
if bad or strays:
    # What the agent says it lost: a miss it counts (a full socket-table set,
    # no service slot) is not a silent one.
    print("the agent's maps at stop:", json.dumps(maps))
# A socket whose two table sets were full (8 ways each; 12,000 sockets in
# 6,144 sets) is not tracked, and its service misses its one request: the
# agent counts each such event (socket_table_full, at least one a socket).
# Such a miss, and only as many as it counted, is a loss reported, not a
# miscount (with one set a socket, a service was short twice on record, once
# with 2 such events counted; with two, bench/sock_table.py loses none at
# this fill).
full = (maps or {}).get("socket_table_full", 0)
counted = all(n < 1 for _, _, n in bad) and len(bad) <= full
if bad and counted and not strays:
    print("the %d services short by one are the sockets the agent counted as not tracked "
          "(socket_table_full %d)" % (len(bad), full))
sys.exit(1 if strays or (bad and not counted) else 0)
EOF2
echo "ok: $N listening ports seeded, every connection opened before the agent a server, exact"
