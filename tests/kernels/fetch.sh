#!/bin/bash
# Fetches the kernel package of each line of tests/kernels/list from the
# host's Debian mirror and keeps what the matrix check needs of it in
# DIR/SUITE: vmlinux.btf (the BTF of the image, from its vmlinuz), config,
# release and the vmlinuz itself (tests/kernels/vmboot.sh boots it). A suite
# already there is not fetched again, so a second run needs no network; with
# SUITE, only that suite is fetched, and again if its vmlinuz is missing (a
# cache of an older fetch.sh kept none). apt runs on a state of its own under
# DIR/apt: the host's own sources and lists are not touched.
#
# usage: tests/kernels/fetch.sh DIR [SUITE]
set -u
DIR=${1:?usage: fetch.sh DIR [SUITE]}
ONLY=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

# The URI the host fetches Debian's main archive from (deb822 .sources or a
# one-line sources.list).
mirror() {
	{
		awk '/^URIs:/ { u = $2 } /^Suites:/ && / (bookworm|trixie|bullseye)( |$)/ { print u; exit }' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list 2>/dev/null
	} | grep -v security | head -1
}

APT=$DIR/apt
# The package caches are named: a host whose apt.conf empties their names
# (Debian's container images do) has every apt-cache call parse the four
# suites' lists again, 2.5 s each, 8 calls.
aptc() {
	"$@" -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
		-o Dir::Cache::pkgcache="$APT/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$APT/cache/srcpkgcache.bin" -o Debug::NoLocking=1
}

need=$(grep -v "^#" "$HERE/list" | while read -r suite pkg _; do
	[ -n "$suite" ] || continue
	if [ -z "$ONLY" ]; then
		[ -s "$DIR/$suite/vmlinux.btf" ] || echo "$suite $pkg"
	elif [ "$suite" = "$ONLY" ]; then
		[ -s "$DIR/$suite/vmlinux.btf" ] && [ -s "$DIR/$suite/vmlinuz" ] || echo "$suite $pkg"
	fi
done)
if [ -n "$ONLY" ] && ! grep -q "^$ONLY " "$HERE/list"; then
	echo "fetch: $ONLY is not a suite of $HERE/list"
	exit 1
fi
[ -z "$need" ] && exit 0

uri=$(mirror)
[ -n "$uri" ] || { echo "fetch: no Debian mirror in the host's apt sources"; exit 1; }
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
grep -v '^#' "$HERE/list" | awk -v u="$uri" 'NF { print "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] " u, $1, "main" }' \
	>"$APT/sources.list"
aptc apt-get -qq update || { echo "fetch: apt-get update from $uri failed"; exit 1; }

echo "$need" | while read -r suite pkg; do
	# The metapackage of the suite depends on the image package of its kernel.
	ver=$(aptc apt-cache madison "$pkg" | awk -F'|' -v s="$suite/" '$3 ~ s { gsub(/ /, "", $2); print $2; exit }')
	image=$(aptc apt-cache depends "$pkg=$ver" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$image" ] || { echo "fetch: no kernel image for $pkg in $suite"; exit 1; }
	work=$DIR/$suite.tmp
	rm -rf "$work" && mkdir -p "$work"
	# The unsigned image where there is one: the same kernel, fewer bytes.
	(cd "$work" && { aptc apt-get -qq download "$image-unsigned" 2>/dev/null ||
		aptc apt-get -qq download "$image"; }) || { echo "fetch: cannot download $image"; exit 1; }
	dpkg-deb --fsys-tarfile "$work"/*.deb | tar -x -C "$work" --wildcards './boot/vmlinuz-*' './boot/config-*' ||
		{ echo "fetch: no vmlinuz in $image"; exit 1; }
	"$HERE/keep.sh" "$work"/boot/vmlinuz-* "$work"/boot/config-* "$DIR/$suite" "$image" || exit 1
	rm -rf "$work"
	echo "fetch: $suite: $image"
done
