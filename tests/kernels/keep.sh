#!/bin/bash
# Keeps what the matrix check and vmboot.sh need of one unpacked kernel
# package in DEST: vmlinux.btf (the BTF of the image, from its vmlinuz),
# config, vmlinuz, release and package. fetch.sh (Debian) and
# fetch-ubuntu.sh (Ubuntu) both end here.
#
# usage: tests/kernels/keep.sh VMLINUZ CONFIG DEST PACKAGE
set -u
VMLINUZ=${1:?usage: keep.sh VMLINUZ CONFIG DEST PACKAGE}
CONFIG=${2:?} DEST=${3:?} PACKAGE=${4:?}
HERE=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
"$HERE/extract-vmlinux" "$VMLINUZ" >"$tmp/vmlinux" || exit 1
objcopy --dump-section .BTF="$tmp/vmlinux.btf" "$tmp/vmlinux" /dev/null 2>/dev/null ||
	{ echo "keep: $PACKAGE has no BTF (.BTF section)"; exit 1; }
mkdir -p "$DEST" || exit 1
cp "$CONFIG" "$DEST/config" && cp "$VMLINUZ" "$DEST/vmlinuz" || exit 1
basename "$VMLINUZ" | sed 's/^vmlinuz-//' >"$DEST/release"
echo "$PACKAGE" >"$DEST/package"
mv "$tmp/vmlinux.btf" "$DEST/vmlinux.btf"
