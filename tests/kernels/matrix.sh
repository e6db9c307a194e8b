#!/bin/bash
# The kernel matrix: which of telltale's program sets would load on each
# kernel of tests/kernels/list (fetched and cached by fetch.sh) and on the
# running one, and what the agent would choose there (build/tools/kcheck).
# Fails when a kernel's chosen set cannot be relocated or is not the one the
# list expects, or when the checker misjudges the relocations of
# build/broken.bpf.o. Prints a table: kernel, set chosen, metrics.
#
# usage: tests/kernels/matrix.sh [BUILD_DIR]
set -u
OUT=${1:-build}
cd "$(dirname "$0")/../.."
KCHECK=$OUT/tools/kcheck
OBJ=$OUT/telltale.bpf.o
CACHE=$OUT/kernels
for f in "$KCHECK" "$OBJ" "$OUT/broken.bpf.o"; do
	[ -e "$f" ] || { echo "FAIL: $f is not built (make all)"; exit 1; }
done
for c in apt-get dpkg-deb objcopy lz4 xz zstd; do
	command -v $c >/dev/null || { echo "SKIP: $c is not installed (make deps installs it)"; exit 77; }
done
if ! tests/kernels/fetch.sh "$CACHE"; then
	# Without the network the cache stays empty: a skip, a failure under CI.
	echo "SKIP: cannot fetch the kernels of tests/kernels/list"
	exit 77
fi

bad=0
# The checker's own test, against the oldest and the running kernel's BTF.
for btf in "$CACHE/bullseye/vmlinux.btf" /sys/kernel/btf/vmlinux; do
	for p in broken_field broken_type broken_kind; do
		"$KCHECK" "$OUT/broken.bpf.o" "$btf" - $p >/dev/null &&
			{ echo "FAIL: kcheck passes $p against $btf"; bad=1; }
	done
	"$KCHECK" "$OUT/broken.bpf.o" "$btf" - guarded_field real_field >/dev/null ||
		{ echo "FAIL: kcheck fails guarded_field or real_field against $btf"; bad=1; }
done
[ $bad = 0 ] && echo "ok: kcheck fails a missing field, a missing type and a field of another type, and passes a guarded and a real field"

# libbpf makes a map of every data section; a constant pool clang leaves
# behind (.rodata.cst32 from a struct's initialiser) was one that 5.4
# refuses to create, so no set loaded there. The object keeps to the three
# sections libbpf's maps of them were tested with.
extra=$(objdump -h "$OBJ" | awk '$2 ~ /^\.(rodata|data|bss)/ && $2 !~ /^\.(rodata|data|bss)$/ { print $2 }')
if [ -n "$extra" ]; then
	echo "FAIL: $OBJ has data sections beyond .rodata, .data and .bss, each a map some kernels refuse: $extra"
	bad=1
else
	echo "ok: $OBJ has no data section beyond .rodata, .data and .bss"
fi

table=$(mktemp)
trap 'rm -f "$table"' EXIT
row() { # NAME BTF CONFIG EXPECT
	local out rc chosen
	out=$("$KCHECK" "$OBJ" "$2" "$3")
	rc=$?
	echo "== $1"
	echo "$out"
	chosen=$(sed -n 's/^chosen: \([^ ]*\) (\(.*\)).*/\1|\2/p' <<<"$out")
	[ $rc = 0 ] || { echo "FAIL: $1: the set the agent would choose does not relocate"; bad=1; }
	[ -z "$4" ] || [ "${chosen%%|*}" = "$4" ] ||
		{ echo "FAIL: $1: the agent would choose ${chosen%%|*}, the list expects $4"; bad=1; }
	echo "| $1 | ${chosen%%|*} | ${chosen#*|} |" >>"$table"
}
while read -r suite pkg expect; do
	case $suite in "#"* | "") continue ;; esac
	row "$(cat "$CACHE/$suite/release") (Debian $suite)" "$CACHE/$suite/vmlinux.btf" "$CACHE/$suite/config" "$expect"
done <tests/kernels/list
row "$(uname -r) (this machine)" /sys/kernel/btf/vmlinux - ""

echo
echo "| kernel | program set chosen | metrics |"
echo "| --- | --- | --- |"
cat "$table"
exit $bad
