#!/bin/bash
# Services come and go: 2,500 short-lived services (1,250 ports, a server and
# a client service each, port i answering i % 3 + 1 requests) in waves of 56
# through --max-services 64 and service_idle_s 0.3 (interval 0.1 s). Each wave waits for its
# services to retire before the next starts, so no more than 56 are alive at
# once: every service exact, each retired once, no overflow, no late event
# in a freed slot, every slot freed and reused, RSS flat. Then one wave of
# BIG ports (2 * BIG services) alive at once, more than the 64 slots: the
# services past the cap go to the other services, so each role's requests
# over all lines still equal the client's, and the stats line's
# service_map_full is 0 until that wave and non-zero after it, while
# service_overflows (events with no slot at all) stays 0.
. "$(dirname "$0")/lib.sh"
need jq python3

PORTS=1250 WAVE=28 BIG=40
echo '{"service_idle_s": 0.3, "agent_interval_s": 1}' >"$WORK/cfg.json"
start_agent --allow-multiple --max-services 64 --interval 0.1 -c "$WORK/cfg.json"

# The waves: in one process, both ends of every connection; after each wave,
# wait for the agent to retire its services, then one read more for the
# slots to be freed. Then a stats line, and the big wave.
python3 - "$PORTS" "$WAVE" "$WORK/agent.jsonl" "$WORK/expected" "$BIG" "$WORK/big" <<'EOF' || fail "the waves failed"
import datetime, json, socket, sys, time
nports, wave, lines, expected = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
big, big_file = int(sys.argv[5]), sys.argv[6]

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

retired, seen, stats = set(), 0, []
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
            elif d.get("event") == "stats":
                stats.append(d)

def epoch(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()

def turns(c, a, n):
    for _ in range(n):
        c.sendall(b"x\n")
        assert a.recv(16) == b"x\n"
        a.sendall(b"ok\n")
        assert c.recv(16) == b"ok\n"

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
        turns(c, a, i % 3 + 1)
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

# A stats line written after the last wave: the counters before the big one.
small_end = time.time()
while not stats or epoch(stats[-1]["ts"]) < small_end:
    if time.time() > small_end + 5:
        sys.exit("no stats line in 5 s")
    time.sleep(0.1)
    read_retired()
conns, ports, total = [], [], 0
while len(conns) < big and port < 20000:
    s = listener(port)
    port += 1
    if s:
        c = socket.create_connection(("127.0.0.1", s.getsockname()[1]))
        a, _ = s.accept()
        conns.append((s, c, a))
        ports.append(s.getsockname()[1])
for k, (s, c, a) in enumerate(conns):
    turns(c, a, k % 3 + 1)
    total += k % 3 + 1
for s, c, a in conns:
    c.close(); a.close(); s.close()
json.dump({"ports": ports, "requests": total, "before": stats[-1]["maps"]}, open(big_file, "w"))
print("big wave: %d services alive at once, %d requests" % (2 * len(ports), total))
time.sleep(0.3)
EOF
stop_agent

python3 - "$WORK/expected" "$WORK/agent.jsonl" "$WORK/big" <<'EOF' || fail "services miscounted, lost or mixed"
import json, sys
want = {}
for l in open(sys.argv[1]):
    p, n = map(int, l.split())
    want[("server", p)] = want[("client", p)] = n
bigw = json.load(open(sys.argv[3]))
bigports = set(bigw["ports"])
got, retired, other, rss, stop = {}, {}, {}, [], None
for l in open(sys.argv[2]):
    d = json.loads(l)
    if d["type"] == "metrics":
        s = d["service"]
        if s.get("other"):
            other[s["role"]] = other.get(s["role"], 0) + d["requests"]
            continue
        k = (s["role"], s["port"])
        got[k] = got.get(k, 0) + d["requests"]
    elif d.get("event") == "service_retired":
        k = (d["service"]["role"], d["service"]["port"])
        retired[k] = retired.get(k, 0) + 1
    elif d.get("event") in ("stats", "stop"):
        if d["maps"]["service_map_full"] == 0:
            rss.append(d["rss_kb"])
        stop = d
bad = [(k, got.get(k, 0), n) for k, n in want.items() if got.get(k, 0) != n]
for k, g, n in bad[:10]:
    print("%s:%d counted %d, client sent %d" % (k + (g, n)))
print("%d of %d services exact" % (len(want) - len(bad), len(want)))
twice = [k for k in want if retired.get(k) != 1]
print("%d of %d retired exactly once" % (len(want) - len(twice), len(want)))
m, b = stop["maps"], bigw["before"]
print("before the big wave: service_map_full %d, service_overflows %d, service_late_events %d"
      % (b["service_map_full"], b["service_overflows"], b["service_late_events"]))
ok = not bad and not twice and b["service_overflows"] == 0 and b["service_late_events"] == 0
ok = ok and b["service_map_full"] == 0 and b["service_slots_freed"] >= len(want)
# Flat: after the first waves (10 stats lines), the agent's memory does not
# grow with the services it has seen.
print("rss_kb per stats line before the big wave:", rss)
ok = ok and len(rss) >= 20 and max(rss[10:]) - rss[10] <= 1024
# The big wave: the services with a slot exact, the rest in other, and
# each role's total over all lines the client's.
want_big = {p: k % 3 + 1 for k, p in enumerate(bigw["ports"])}
own = {r: sum(got.get((r, p), 0) for p in bigports) for r in ("server", "client")}
inexact = [(k, v) for k, v in got.items() if k[1] in bigports and v != want_big[k[1]]]
lines = sum(1 for k in got if k[1] in bigports)
print("big wave: %d of %d services with lines of their own (%d inexact); other server %d, client %d"
      % (lines, 2 * len(bigports), len(inexact), other.get("server", 0), other.get("client", 0)))
for r in ("server", "client"):
    print("  %s: own %d + other %d = %d, the client made %d"
          % (r, own[r], other.get(r, 0), own[r] + other.get(r, 0), bigw["requests"]))
    ok = ok and own[r] + other.get(r, 0) == bigw["requests"] and other.get(r, 0) > 0
print("after it: service_map_full %d, service_overflows %d" % (m["service_map_full"], m["service_overflows"]))
ok = ok and not inexact and lines <= 64 and m["service_map_full"] > 0 and m["service_overflows"] == 0
sys.exit(0 if ok else 1)
EOF
echo "ok: $((2 * PORTS)) services through 64 slots, each exact and retired once, slots freed and reused; $((2 * BIG)) alive at once: the excess in other, totals exact, service_map_full only then"
