#!/bin/bash
# --user: once attached and its files are open, the agent runs as that user
# with no capability left, still counts through the map descriptors it holds,
# and can no longer open a root-only file (a SIGHUP reopen into a directory
# only root may write fails, and says so). On a kernel that lets only a
# capable process read maps (before 5.19; TELLTALE_FAULT=privs:old-kernel
# answers as one here) it keeps CAP_BPF alone, says so, and still counts.
. "$(dirname "$0")/lib.sh"
need nginx wrk jq ss runuser

PORT=$(free_port)
start_nginx "$PORT"
mkdir -m 0755 "$WORK/root-only"
"$TT_BIN" --interval 0.5 --user nobody --metrics "$WORK/root-only/m.jsonl" --alerts none \
	2>"$WORK/agent.err" &
AGENT_PID=$!
for i in $(seq 100); do grep -q attached "$WORK/agent.err" && break; sleep 0.1; done
sleep 0.5

status=/proc/$AGENT_PID/status
uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "$status")
nobody=$(id -u nobody)
[ "$uid" = "$nobody $nobody $nobody $nobody" ] || fail "agent uids are '$uid', expected $nobody"
for set in CapEff CapPrm CapInh CapBnd CapAmb; do
	v=$(awk -v k="$set:" '$1 == k { print $2 }' "$status")
	[ "$v" = 0000000000000000 ] || fail "$set is $v after the drop"
done
grep -q '^NoNewPrivs:[[:space:]]*1' "$status" || fail "no_new_privs not set"
echo "ok: running as nobody with every capability set empty"

wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt"
sleep 1
reqs=$(jq -s --argjson p "$PORT" '[.[] | select(.type == "metrics" and .service.role == "server" and .service.port == $p) | .requests] | add // 0' "$WORK/root-only/m.jsonl")
wrk_total=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
# The same bound as tests/e2e/nginx.sh: at most one answered, uncounted
# request per wrk connection when wrk stops.
[ "$reqs" -ge "$wrk_total" ] && [ "$reqs" -le $((wrk_total + 4)) ] ||
	fail "counted $reqs requests after the drop, wrk completed $wrk_total"
echo "ok: still counting after the drop: $reqs requests (wrk: $wrk_total)"

mv "$WORK/root-only/m.jsonl" "$WORK/m.old"
kill -HUP $AGENT_PID
sleep 0.5
grep -q "reopening the output files failed: Permission denied" "$WORK/agent.err" ||
	{ cat "$WORK/agent.err"; fail "the agent could still create a file in a root-only directory"; }
[ ! -e "$WORK/root-only/m.jsonl" ] || fail "a file appeared in the root-only directory"
echo "ok: cannot open a root-only file any more"
kill -INT $AGENT_PID
wait $AGENT_PID || fail "agent exited $? after the drop"
AGENT_PID=

# As on 5.10 (tests/kernels/vmboot.sh bullseye shows the real kernel's
# refusal): only CAP_BPF kept, permitted and effective, nothing else.
TELLTALE_FAULT=privs:old-kernel "$TT_BIN" --interval 0.5 --user nobody --metrics "$WORK/old.jsonl" \
	--alerts none 2>"$WORK/old.err" &
AGENT_PID=$!
for i in $(seq 100); do grep -q attached "$WORK/old.err" && break; sleep 0.1; done
sleep 0.5
status=/proc/$AGENT_PID/status
grep -q "lets only CAP_BPF read BPF maps" "$WORK/old.err" || { cat "$WORK/old.err"; fail "no word of the kept capability"; }
for set in CapEff CapPrm; do
	v=$(awk -v k="$set:" '$1 == k { print $2 }' "$status")
	[ "$v" = 0000008000000000 ] || fail "$set is $v, expected CAP_BPF alone"
done
for set in CapInh CapBnd CapAmb; do
	v=$(awk -v k="$set:" '$1 == k { print $2 }' "$status")
	[ "$v" = 0000000000000000 ] || fail "$set is $v after the drop"
done
wrk -t1 -c2 -d1s "http://127.0.0.1:$PORT/" >"$WORK/wrk2.txt"
sleep 1
kill -INT $AGENT_PID
wait $AGENT_PID || fail "agent exited $? keeping CAP_BPF"
AGENT_PID=
reqs=$(jq -s --argjson p "$PORT" '[.[] | select(.type == "metrics" and .service.role == "server" and .service.port == $p) | .requests] | add // 0' "$WORK/old.jsonl")
wrk_total=$(awk '/requests in/ { print $1 }' "$WORK/wrk2.txt")
[ "$reqs" -ge "$wrk_total" ] && [ "$reqs" -le $((wrk_total + 2)) ] ||
	fail "counted $reqs requests keeping CAP_BPF, wrk completed $wrk_total"
echo "ok: an old kernel's agent keeps CAP_BPF alone and counts: $reqs requests (wrk: $wrk_total)"
