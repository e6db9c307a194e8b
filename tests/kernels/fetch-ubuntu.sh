#!/bin/bash
# Fetches the current kernel of an Ubuntu release named in
# tests/kernels/ubuntu (its -updates pocket's linux-image-generic) for
# tests/kernels/vmboot.sh, into DIR/SUITE as fetch.sh does for Debian's:
# vmlinuz, vmlinux.btf, config (from the modules package), release. Over
# HTTPS from archive.ubuntu.com (UBUNTU_MIRROR), each package checked
# against the SHA256 of the index. Not used by make test: a second mirror
# is one more thing a CI machine may not reach.
#
# usage: tests/kernels/fetch-ubuntu.sh DIR SUITE
set -u
DIR=${1:?usage: fetch-ubuntu.sh DIR SUITE}
SUITE=${2:?usage: fetch-ubuntu.sh DIR SUITE}
HERE=$(cd "$(dirname "$0")" && pwd)
MIRROR=${UBUNTU_MIRROR:-https://archive.ubuntu.com/ubuntu}
[ -s "$DIR/$SUITE/vmlinuz" ] && [ -s "$DIR/$SUITE/vmlinux.btf" ] && exit 0
work=$DIR/$SUITE.tmp
rm -rf "$work" && mkdir -p "$work" || exit 1
curl -fsS "$MIRROR/dists/$SUITE-updates/main/binary-amd64/Packages.gz" | gunzip >"$work/Packages" ||
	{ echo "fetch-ubuntu: cannot read the $SUITE-updates index from $MIRROR"; exit 1; }
# FIELD of package NAME in the index.
field() {
	awk -v p="$1" -v f="$2:" '$1 == "Package:" { on = $2 == p } on && $1 == f { print $2; exit }' "$work/Packages"
}
abi=$(awk '$1 == "Package:" { on = $2 == "linux-image-generic" }
	on && $1 == "Depends:" { sub(/^linux-image-/, "", $2); sub(/,$/, "", $2); print $2; exit }' "$work/Packages")
[ -n "$abi" ] || { echo "fetch-ubuntu: no linux-image-generic in $SUITE-updates"; exit 1; }
for pkg in "linux-image-unsigned-$abi" "linux-modules-$abi"; do
	file=$(field "$pkg" Filename)
	sum=$(field "$pkg" SHA256)
	[ -n "$file" ] || { echo "fetch-ubuntu: $pkg is not in the index"; exit 1; }
	curl -fsS -o "$work/$pkg.deb" "$MIRROR/$file" || { echo "fetch-ubuntu: cannot download $file"; exit 1; }
	echo "$sum  $work/$pkg.deb" | sha256sum -c --quiet || { echo "fetch-ubuntu: $pkg.deb does not match the index"; exit 1; }
done
dpkg-deb --fsys-tarfile "$work/linux-image-unsigned-$abi.deb" | tar -x -C "$work" './boot/vmlinuz-'"$abi" &&
	dpkg-deb --fsys-tarfile "$work/linux-modules-$abi.deb" | tar -x -C "$work" './boot/config-'"$abi" ||
	{ echo "fetch-ubuntu: no vmlinuz or config in the $abi packages"; exit 1; }
"$HERE/keep.sh" "$work/boot/vmlinuz-$abi" "$work/boot/config-$abi" "$DIR/$SUITE" \
	"linux-image-unsigned-$abi" || exit 1
rm -rf "$work"
echo "fetch-ubuntu: $SUITE: linux-image-unsigned-$abi"
