#!/bin/bash
# The maps' kernel memory: `telltale --print-memory` computes it from the
# map definitions; here its figure for this host's CPU count must match what
# the kernel charges the running agent (the memlock of each map in
# /proc/PID/fdinfo), on both socket-state layouts, and its 128-CPU and 2-CPU
# totals at the default caps must stay within 64 MiB and 8 MiB for both.
. "$(dirname "$0")/lib.sh"
need python3

"$TT_BIN" --print-memory >"$WORK/mem.txt" || fail "--print-memory failed"
cat "$WORK/mem.txt"
# total SET: columns 2, 64, 128 CPUs and this host's, MiB.
col() { awk -v s="total $1" -v c="$2" 'index($0, s) == 1 { print $(2 + c) }' "$WORK/mem.txt"; }
for set in tp_btf tracepoint; do
	python3 - "$set" "$(col $set 1)" "$(col $set 3)" <<'EOF2' || fail "the $set set's maps exceed their budget"
import sys
s, two, big = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print("%s set: %.2f MiB on 2 CPUs (budget 8), %.2f MiB on 128 (budget 64)" % (s, two, big))
sys.exit(0 if two <= 8 and big <= 64 else 1)
EOF2
done

# The kernel's own figure for the running agent's maps, MiB.
charged() {
	local sum=0 fd
	for fd in /proc/"$AGENT_PID"/fd/*; do
		[ "$(readlink "$fd")" = anon_inode:bpf-map ] || continue
		sum=$((sum + $(awk '/^memlock:/ { print $2 }' /proc/"$AGENT_PID"/fdinfo/"${fd##*/}")))
	done
	python3 -c "print('%.2f' % ($sum / 1048576))"
}

for set in tp_btf tracepoint; do
	TT_SET=$set start_agent --allow-multiple
	sleep 0.5
	GOT=$(charged)
	stop_agent
	WANT=$(col "$set" 4)
	python3 - "$set" "$WANT" "$GOT" <<'EOF2' || fail "--print-memory is off for the $set set"
import sys
s, want, got = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
print("%s set: printed %.2f MiB, the kernel charges %.2f MiB" % (s, want, got))
sys.exit(0 if abs(want - got) <= max(0.02, 0.01 * got) else 1)
EOF2
done
echo "ok: --print-memory matches the kernel's accounting on both layouts"
