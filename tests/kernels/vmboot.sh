#!/bin/bash
# Boots the Debian kernel of SUITE (a line of tests/kernels/list, default
# bookworm; or an Ubuntu release of tests/kernels/ubuntu) under
# qemu-system-x86_64 with software emulation (TCG), an initramfs of busybox,
# the agent, the shared libraries ldd lists for it, tests/kernels/vmecho and
# the kernel test binaries, and lets that kernel's own verifier judge every
# program set (tests/kernels/vminit.sh runs in the VM). The matrix check
# (matrix.sh) only relocates the programs against the kernel's BTF; this
# loads them there.
#
# Prints what the agent chose and attached, the requests it counted, each
# forced set's verdict (a refusal with the verifier's last lines) and the
# kernel tests' results by set. Fails when the agent does not choose the
# set the list expects, when that set counts no requests where
# build/tools/kcheck says it counts them, or when a set kcheck says would
# count requests there is refused. Everything the VM sent is kept in
# BUILD_DIR/vm/SUITE. Not part of make test: it takes minutes under TCG.
#
# usage: tests/kernels/vmboot.sh BUILD_DIR [SUITE]
#   VMBOOT_TIMEOUT: seconds for the whole VM (default 1800).
set -u
OUT=${1:?usage: vmboot.sh BUILD_DIR [SUITE]}
SUITE=${2:-bookworm}
TIMEOUT=${VMBOOT_TIMEOUT:-1800}
PORT=8080
SETS="tp_btf tracepoint tp_btf+syscalls tp_btf+syscalls+probe_read tracepoint+syscalls"
cd "$(dirname "$0")/../.." || exit 1

expect=$(awk -v s="$SUITE" '$1 == s { print $3 }' tests/kernels/list)
fetch=(tests/kernels/fetch.sh "$OUT/kernels" "$SUITE")
if [ -z "$expect" ]; then
	expect=$(awk -v s="$SUITE" '$1 == s { print $2 }' tests/kernels/ubuntu)
	fetch=(tests/kernels/fetch-ubuntu.sh "$OUT/kernels" "$SUITE")
fi
[ -n "$expect" ] || { echo "FAIL: $SUITE is not a suite of tests/kernels/list or tests/kernels/ubuntu"; exit 1; }
for f in "$OUT/telltale" "$OUT/telltale.bpf.o" "$OUT/tools/kcheck" "$OUT/tools/vmecho"; do
	[ -e "$f" ] || { echo "FAIL: $f is not built (make vmtest builds it)"; exit 1; }
done
for c in qemu-system-x86_64 busybox gzip base64 jq ldd timeout curl; do
	command -v $c >/dev/null || { echo "SKIP: $c is not installed (make vmtest installs it)"; exit 77; }
done
if ! "${fetch[@]}"; then
	echo "SKIP: cannot fetch the $SUITE kernel"
	exit 77
fi
K=$OUT/kernels/$SUITE
release=$(cat "$K/release")
# What the matrix check says each set does on this kernel.
kcheck=$("$OUT/tools/kcheck" "$OUT/telltale.bpf.o" "$K/vmlinux.btf" "$K/config")
counts() { awk -v s="$1" '$1 == "set" && $2 == s { print $4 }' <<<"$kcheck"; }

VM=$OUT/vm/$SUITE
rm -rf "$VM"
mkdir -p "$VM/root"/{bin,etc,proc,sys,dev,tmp,run}
bins=("$(command -v busybox)" "$OUT/telltale" "$OUT/tools/vmecho")
for t in "$OUT"/tests/ktest_*; do
	[ -x "$t" ] && bins+=("$t")
done
cp "${bins[@]}" "$VM/root/bin/"
ln -s busybox "$VM/root/bin/sh"
# The libraries of every binary, at the paths their loader looks in.
for lib in $(for b in "${bins[@]}"; do ldd "$b" 2>/dev/null; done |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
	mkdir -p "$VM/root$(dirname "$lib")"
	cp -L "$lib" "$VM/root$lib"
done
cp tests/kernels/vminit.sh "$VM/root/init"
chmod +x "$VM/root/init"
cat >"$VM/root/etc/vmboot.conf" <<EOF
PORT=$PORT
DURATION=3
SETS="$SETS"
AGENT_TIMEOUT=300
KTEST_TIMEOUT=900
EOF
(cd "$VM/root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$VM/initrd.gz"

echo "vmboot: $release ($SUITE) under qemu-system-x86_64 (TCG, 2 CPUs, 1024 MiB)"
start=$(date +%s)
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
	-kernel "$K/vmlinuz" -initrd "$VM/initrd.gz" -append "console=ttyS0 panic=-1 quiet" \
	-serial mon:stdio -serial file:"$VM/ttyS1.txt" </dev/null >"$VM/console.log" 2>&1
qrc=$?
took=$(($(date +%s) - start))
tr -d '\r' <"$VM/ttyS1.txt" >"$VM/results.txt"
# The files the VM sent, unpacked beside the results.
awk -v d="$VM" '/^@@file / { f = d "/" $2 ".b64"; next } /^@@end/ { f = ""; next }
	f { print > f }' "$VM/results.txt"
for b in "$VM"/*.b64; do
	[ -e "$b" ] && base64 -d "$b" | gunzip >"${b%.b64}" && rm -f "$b"
done

boot=$(awk '$1 == "@@boot" { print $2 }' "$VM/results.txt")
if [ -z "$boot" ]; then
	echo "FAIL: the VM did not reach its init (qemu exit $qrc); its console: $VM/console.log"
	tail -20 "$VM/console.log"
	exit 1
fi
echo "vmboot: init ran at ${boot} s of the guest's uptime; the whole VM took ${took} s (qemu exit $qrc)"
grep -q '^@@done' "$VM/results.txt" || echo "vmboot: the VM stopped before the end; its console: $VM/console.log"

bad=0
# FILE ROLE FIELD: FIELD summed over FILE's metrics lines of vmecho's port.
sum() {
	jq -s --argjson p $PORT --arg r "$2" "[.[] | select(.type == \"metrics\" and
		.service.port == \$p and .service.role == \$r) | .$3] | add // 0" "$1"
}

# NAME: one run's verdict: the set loaded, the hooks attached, the requests
# and connections of vmecho's port; or the refusal with the verifier's last
# lines. Sets LOADED and REQ.
verdict() {
	local name=$1 err=$VM/$1.err out=$VM/$1.out rc attached start cli conn turns
	rc=$(awk -v n="$name" '$1 == "@@run" && $2 == n { print $4 }' "$VM/results.txt")
	[ -e "$err" ] || { echo "$name: no result (the VM stopped before this run)"; return; }
	LOADED=$(sed -n 's/^telltale: attached \([^ ]*\) programs: .*/\1/p' "$err")
	if [ -z "$LOADED" ]; then
		echo "$name: refused (exit $rc)"
		grep '^telltale: ' "$err" | sed 's/^/    /'
		# libbpf prints each refused program's verifier log between these.
		awk '/-- BEGIN PROG LOAD LOG --/ { n = 0; on = 1; next }
			/-- END PROG LOAD LOG --/ { on = 0; for (i = n > 25 ? n - 25 : 0; i < n; i++) print "    | " l[i]; next }
			on { l[n++] = $0 }' "$err"
		return
	fi
	attached=$(sed -n 's/^telltale: attached [^ ]* programs: \([^;]*\);.*/\1/p' "$err")
	start=$(jq -r 'select(.type == "agent" and .event == "start") | .programs' "$out" 2>/dev/null)
	REQ=$(sum "$out" server requests)
	cli=$(sum "$out" client requests)
	conn=$(sum "$out" server connections.opened)
	turns=$(awk '{ n += $2 } END { print n + 0 }' "$VM/$name.traffic")
	echo "$name: loaded $LOADED (start line: ${start:-none}; exit $rc): port $PORT server requests $REQ, client requests $cli, connections opened $conn ($turns turns made)"
	echo "    attached: $attached"
	if ! grep -Eq 'syscalls/|sock/sock_(recv|send)_length' <<<"$attached"; then
		echo "    connections only; kcheck on $release: $(awk -v s="$name" '$1 == "set" && $2 == s { sub(/.*missing: /, "missing "); print }' <<<"$kcheck")"
		grep -m1 '^telltale: warning' "$err" | sed "s/^/    $(grep -c '^telltale: warning' "$err") warnings, the first: /"
	fi
}

echo
LOADED="" REQ=0
verdict chosen
if [ "$LOADED" != "$expect" ]; then
	echo "FAIL: the agent chose ${LOADED:-nothing} on $release, the list expects $expect"
	bad=1
elif [ "$(counts "$expect")" = yes ] && [ "$REQ" -le 0 ]; then
	echo "FAIL: $expect counted no requests on $release"
	bad=1
fi
# The server's cgroup, read from its sockets in the kernel (the id's layout
# changed in 5.5) and named from the cgroup tree.
cg=$(jq -r --argjson p $PORT 'select(.type == "metrics" and .service.port == $p and
	.service.role == "server") | .service.cgroup' "$VM/chosen.out" 2>/dev/null | sort -u | tr '\n' ' ')
echo "chosen: the server's cgroup as the agent names it: ${cg:-none}"
[ "$cg" = "/vmecho " ] || { echo "FAIL: the server runs in /vmecho, the agent said ${cg:-nothing}"; bad=1; }
for set in $SETS; do
	LOADED="" REQ=0
	verdict "$set"
	if [ "$(counts "$set")" = yes ] && { [ "$LOADED" != "$set" ] || [ "$REQ" -le 0 ]; }; then
		echo "FAIL: $set should count requests on $release (kcheck), and here it does not"
		bad=1
	fi
done

# The kernel tests: checks failed under each "-- SET programs" heading.
echo
awk '/^@@ktest / { t = $2; next }
	/^@@ktest-rc / { printf "%s: exit %s; failed checks by section:", $2, $3
		for (i = 0; i < n; i++) printf "%s %s %d", i ? "," : "", h[i], f[h[i]]
		print ""; n = 0; t = ""; next }
	t && /^-- / { h[n++] = substr($0, 4); f[h[n - 1]] = 0; next }
	t && n && /CHECK(_NEAR)? failed/ { f[h[n - 1]]++ }' "$VM/results.txt"
awk '/^@@ktest / { t = 1; next } /^@@ktest-rc / { t = 0 } t' "$VM/results.txt" >"$VM/ktest.txt"
grep -q 'nft: not found' "$VM/ktest.txt" &&
	echo "(the retransmit sections drop packets with nft, which the initramfs lacks: their checks fail)"
echo "(the kernel tests' output: $VM/ktest.txt; every run's lines: $VM/*.out, *.err)"
exit $bad
