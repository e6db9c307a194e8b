#!/bin/bash
# The service map loses nothing. At the default cap: 400 listening ports, 12
# of them 512 apart (they started their slot search at one slot under the old
# hash) and the rest at random, port i answering i % 3 + 1 requests of one
# client: all 800 services reported, each exactly. Past the cap
# (--max-services 64, 200 services): the overflow services (`other`, one per
# role and namespace) carry the excess, and the requests of each role summed
# over every line equal the client's. For each agent, one per program set
# TT_SETS names (lib.sh, start_agents).
. "$(dirname "$0")/lib.sh"
need jq python3

# A server on every port of $WORK/ports, answering each line with "ok".
start_servers() {
	python3 - "$WORK/ports" "$WORK/listening" <<'EOF' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
for p in open(sys.argv[1]).read().split():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(p)))
    s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, None)
open(sys.argv[2], "w").close()
while True:
    for key, _ in sel.select():
        if key.data is None:
            c, _ = key.fileobj.accept()
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, b"")
            continue
        c = key.fileobj
        try:
            d = c.recv(4096)
        except BlockingIOError:
            continue
        if not d:
            sel.unregister(c)
            c.close()
            continue
        c.sendall(b"ok\n" * d.count(b"\n"))
EOF
	SRV=$!
	on_exit "kill $SRV"
	for i in $(seq 100); do [ -e "$WORK/listening" ] && return 0; sleep 0.1; done
	fail "the servers did not start"
}

# Port i of the list gets i % 3 + 1 requests, one connection each; prints
# the total.
drive() {
	python3 - "$WORK/ports" <<'EOF'
import socket, sys
total = 0
for i, p in enumerate(open(sys.argv[1]).read().split()):
    s = socket.create_connection(("127.0.0.1", int(p)))
    for _ in range(i % 3 + 1):
        s.sendall(b"x\n")
        assert s.recv(16) == b"ok\n"
        total += 1
    s.close()
print(total)
EOF
}

# N free ports: the 512-apart set first when asked, then random ones.
pick_ports() { # N APART
	python3 - "$1" "$2" <<'EOF' >"$WORK/ports"
import random, socket, sys
n, apart = int(sys.argv[1]), int(sys.argv[2])
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
ports = []
base = 20003
while apart and len(ports) < 12 and base < 60000:
    if free(base):
        ports.append(base)
    base += 512
while len(ports) < n:
    p = random.randint(20000, 59999)
    if p not in ports and free(p):
        ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

# 1. At the default cap: every service exact.
pick_ports 400 1
start_servers
start_agents
TOTAL=$(drive) || fail "the client failed"
sleep 2.5
stop_agents
check_default_cap() {
	python3 - "$WORK/ports" "$AGENT_OUT" <<'EOF' || fail "services lost or miscounted at the default cap"
import json, sys
ports = list(map(int, open(sys.argv[1]).read().split()))
got = {}
for l in open(sys.argv[2]):
    d = json.loads(l)
    if d["type"] == "metrics":
        k = (d["service"]["role"], d["service"]["port"])
        got[k] = got.get(k, 0) + d["requests"]
bad = [(r, p, got.get((r, p), 0), i % 3 + 1) for i, p in enumerate(ports)
       for r in ("server", "client") if got.get((r, p), 0) != i % 3 + 1]
for b in bad[:10]:
    print("%s:%d counted %d, client sent %d" % b)
print("%d of %d services exact" % (2 * len(ports) - len(bad), 2 * len(ports)))
sys.exit(1 if bad else 0)
EOF
	OVER=$(jq -s '[.[] | select(.type == "agent" and .event == "stop") | .maps.service_overflows] | add' "$AGENT_OUT")
	[ "$OVER" = 0 ] || fail "service_overflows is $OVER with 800 services under the cap of 1024"
	echo "ok: $TOTAL requests over 800 services, each exact; service_overflows 0"
}
for_each_agent check_default_cap
kill $SRV
wait $SRV 2>/dev/null
rm -f "$WORK/listening"

# 2. Past the cap: the excess in `other`, the totals exact.
pick_ports 100 0
start_servers
start_agents --max-services 64
TOTAL=$(drive) || fail "the client failed"
sleep 2.5
stop_agents
check_past_cap() {
	for role in server client; do
		N=$(jq -s --arg r "$role" --slurpfile ports <(jq -R 'split(" ") | map(tonumber)' "$WORK/ports") \
			'[.[] | select(.type == "metrics" and .service.role == $r and
			   (.service.other == true or (.service.port as $p | $ports[0] | index($p)))) | .requests] | add // 0' \
			"$AGENT_OUT")
		expect_range "$role requests summed over every line, other included" "$N" "$TOTAL" "$TOTAL"
		O=$(jq -s --arg r "$role" '[.[] | select(.type == "metrics" and .service.role == $r and .service.other == true) | .requests] | add // 0' "$AGENT_OUT")
		[ "$O" -gt 0 ] || fail "no $role requests in the overflow service past the cap"
		echo "ok: $O of them in the $role overflow service"
	done
}
for_each_agent check_past_cap
