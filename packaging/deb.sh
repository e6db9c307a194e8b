#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Builds the Debian binary package of the agent from a built tree:
#   packaging/deb.sh OUT VERSION   (run by `make deb`)
# writes OUT/telltale_VERSION-1_ARCH.deb. Its files are what `make install
# PREFIX=/usr` installs; its dependencies are the shared libraries the binary
# links, as dpkg-shlibdeps names them; the configuration under /etc is kept
# across upgrades (conffiles); the maintainer scripts enable and start the
# service on install and stop it on removal (packaging/deb/).
set -eu
OUT=$1
VERSION=$2
cd "$(dirname "$0")/.."
case $OUT in /*) ;; *) OUT="$PWD/$OUT" ;; esac
ARCH=$(dpkg --print-architecture)
STAGE="$OUT/deb/root"
DEB="$OUT/telltale_${VERSION}-1_${ARCH}.deb"

rm -rf "$OUT/deb"
mkdir -p "$STAGE/DEBIAN"
make --no-print-directory install DESTDIR="$STAGE" PREFIX=/usr OUT="$OUT" >/dev/null
strip --strip-unneeded "$STAGE/usr/sbin/telltale"
gzip -9n "$STAGE/usr/share/man/man8/telltale.8"
install -d "$STAGE/usr/share/doc/telltale"
gzip -9n <README.md >"$STAGE/usr/share/doc/telltale/README.md.gz"
# Debian keeps a package's copyright in its doc folder.
printf 'telltale\nLicense: GPL-2.0 OR BSD-3-Clause (SPDX headers in every source file)\n' \
	>"$STAGE/usr/share/doc/telltale/copyright"

# dpkg-shlibdeps reads a source package's control file from debian/: a
# minimal one in a scratch folder.
SHL="$OUT/deb/shlibs"
mkdir -p "$SHL/debian"
printf 'Source: telltale\n\nPackage: telltale\nArchitecture: any\n' >"$SHL/debian/control"
BIN="$STAGE/usr/sbin/telltale"
DEPENDS=$(cd "$SHL" && dpkg-shlibdeps -O "$BIN" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$DEPENDS" ] || { echo "deb: dpkg-shlibdeps found no dependencies of $BIN" >&2; exit 1; }

cat >"$STAGE/DEBIAN/control" <<EOF
Package: telltale
Version: ${VERSION}-1
Architecture: $ARCH
Maintainer: telltale developers <root@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
Depends: $DEPENDS
Section: admin
Priority: optional
Description: kernel-level telemetry agent (eBPF)
 Counts requests, request latency and TCP connections per service in the
 kernel with CO-RE eBPF programs, learns what is normal for each service,
 and writes alerts and metrics as JSON lines; serves Prometheus metrics and
 sends alerts to Alertmanager.
EOF
# Every file under /etc is the operator's once installed.
(cd "$STAGE" && find etc -type f | sed 's|^|/|' | sort) >"$STAGE/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "packaging/deb/$s" "$STAGE/DEBIAN/$s"
done
# The same tree gives the same package: dpkg-deb stamps every member with
# the last commit's time.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || stat -c %Y Makefile)
	export SOURCE_DATE_EPOCH
fi
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
