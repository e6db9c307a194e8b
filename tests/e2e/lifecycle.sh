#!/bin/bash
# Services come and go: 5,000 short-lived services (2,500 ports, a server and
# a client service each, port i answering i % 3 + 1 requests) in waves of 56
# through --max-services 64 and service_idle_s 0.3 (interval 0.1 s). Each wave waits for its
# services to retire before the next starts, so no more than 56 are alive at
# once: every service exact, each retired once, no overflow, no late event
# in a freed slot, every slot freed and reused, RSS flat.
. "$(dirname "$0")/lib.sh"
need jq python3

PORTS=2500 WAVE=28
echo '{"service_idle_s": 0.3, "agent_interval_s": 5}' >"$WORK/cfg.json"
start_agent --allow-multiple --max-services 64 --interval 0.1 -c "$WORK/cfg.json"

# The waves: in one process, both ends of every connection; after each wave,
# wait for the agent to retire its services, then one read more for the
# slots to be freed.
python3 - "$PORTS" "$WAVE" "$WORK/agent.jsonl" "$WORK/expected" <<'EOF' || fail "the waves failed"
import json, socket, sys, time
nports, wave, lines, expected = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]

def listener(p):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        return None
    s.listen(4)
    return s

retired, seen = set(), 0
def read_retired():
    global seen
    with open(lines) as f:
        f.seek(seen)
        for l in f:
            if not l.endswith("\n"):
                break
            seen += len(l)
            d = json.loads(l)
            if d.get("event") == "service_retired":
                retired.add((d["service"]["role"], d["service"]["port"]))

out, port, done, i = open(expected, "w"), 10000, 0, 0
start = time.time()
while done < nports:
    batch = []
    while len(batch) < min(wave, nports - done) and port < 20000:
        s = listener(port)
        port += 1
        if s:
            batch.append(s)
    if not batch:
        sys.exit("no free ports left in 10000..19999")
    ports = [s.getsockname()[1] for s in batch]
    for s, p in zip(batch, ports):
        c = socket.create_connection(("127.0.0.1", p))
        a, _ = s.accept()
        for _ in range(i % 3 + 1):
            c.sendall(b"x\n")
            assert a.recv(16) == b"x\n"
            a.sendall(b"ok\n")
            assert c.recv(16) == b"ok\n"
        print(p, i % 3 + 1, file=out)
        c.close(); a.close(); s.close()
        i += 1
    done += len(batch)
    out.flush()
    deadline = time.time() + 15
    wanted = {(r, p) for p in ports for r in ("server", "client")}
    while not wanted <= retired:
        if time.time() > deadline:
            sys.exit("wave %d: %d of %d services not retired in 15 s"
                     % (done // wave, len(wanted - retired), len(wanted)))
        time.sleep(0.1)
        read_retired()
    time.sleep(0.25)
print("%d services in %d waves, %.0f s" % (2 * done, (done + wave - 1) // wave, time.time() - start))
EOF
stop_agent

python3 - "$WORK/expected" "$WORK/agent.jsonl" <<'EOF' || fail "services miscounted, lost or mixed"
import json, sys
want = {}
for l in open(sys.argv[1]):
    p, n = map(int, l.split())
    want[("server", p)] = want[("client", p)] = n
got, retired, other, rss, stop = {}, {}, 0, [], None
for l in open(sys.argv[2]):
    d = json.loads(l)
    if d["type"] == "metrics":
        s = d["service"]
        if s.get("other"):
            other += d["requests"]
            continue
        k = (s["role"], s["port"])
        got[k] = got.get(k, 0) + d["requests"]
    elif d.get("event") == "service_retired":
        k = (d["service"]["role"], d["service"]["port"])
        retired[k] = retired.get(k, 0) + 1
    elif d.get("event") in ("stats", "stop"):
        rss.append(d["rss_kb"])
        stop = d
bad = [(k, got.get(k, 0), n) for k, n in want.items() if got.get(k, 0) != n]
for k, g, n in bad[:10]:
    print("%s:%d counted %d, client sent %d" % (k + (g, n)))
print("%d of %d services exact" % (len(want) - len(bad), len(want)))
twice = [k for k in want if retired.get(k) != 1]
print("%d of %d retired exactly once" % (len(want) - len(twice), len(want)))
m = stop["maps"]
print("service_overflows %d, service_late_events %d, service_slots_freed %d, other requests %d"
      % (m["service_overflows"], m["service_late_events"], m["service_slots_freed"], other))
print("rss_kb per stats line:", rss)
ok = not bad and not twice and m["service_overflows"] == 0 and m["service_late_events"] == 0
ok = ok and m["service_slots_freed"] >= len(want) and other == 0
# Flat: after the first few waves, the agent's memory does not grow with the
# services it has seen.
ok = ok and len(rss) >= 6 and max(rss[3:]) - rss[3] <= 1024
sys.exit(0 if ok else 1)
EOF
echo "ok: 5000 services through 64 slots, each exact and retired once, slots freed and reused"
