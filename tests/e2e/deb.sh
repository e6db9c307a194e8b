#!/bin/bash
# The Debian package (make deb): its control data names the libraries the
# binary links and the configuration as conffiles; the same tree builds the
# same bytes. dpkg installs it on this host, and the installed agent attaches
# its programs; an edited configuration survives a reinstall and a removal,
# and a purge deletes it. The maintainer scripts drive systemd as
# packaging/deb/ says, checked against a stub systemctl under DPKG_ROOT (no
# systemd runs on the test machine, so the real install leaves them idle).
. "$(dirname "$0")/lib.sh"
need make dpkg-deb dpkg-shlibdeps jq man
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${OUT:-build}
case $B in /*) ;; *) B="$ROOT/$B" ;; esac
dpkg-query -W -f='${Status}' telltale 2>/dev/null | grep -q "ok installed" &&
	skip "a telltale package is installed here; this test would replace it"
[ -e /etc/telltale ] && skip "/etc/telltale exists; this test would install over it"

build_deb() {
	make -C "$ROOT" --no-print-directory deb OUT="$B" 2>"$WORK/deb.err" | tail -1 ||
		{ cat "$WORK/deb.err"; fail "make deb failed"; }
}
DEB=$(build_deb)
[ -f "$DEB" ] || { cat "$WORK/deb.err"; fail "make deb made no package"; }
SUM=$(sha256sum <"$DEB")
[ "$(sha256sum <"$(build_deb)")" = "$SUM" ] || fail "a second make deb gave other bytes"
echo "ok: $(basename "$DEB"), the same bytes twice"

# Control data.
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = telltale ] || fail "Package is $(field Package)"
VERSION=$("$TT_BIN" --version | awk '{ print $2 }')
[ "$(field Version)" = "$VERSION-1" ] || fail "Version $(field Version), the binary says $VERSION"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture $(field Architecture)"
DEPENDS=$(field Depends)
for p in libbpf1 libc6 libcjson1 libcurl4 libmicrohttpd12 zlib1g; do
	grep -Eq "(^|, )$p( |,|$)" <<<"$DEPENDS" || fail "Depends lacks $p: $DEPENDS"
done
dpkg-deb -I "$DEB" conffiles >"$WORK/conffiles"
[ "$(sort "$WORK/conffiles" | tr '\n' ' ')" = "/etc/telltale/telltale.json /etc/telltale/telltale.json.example " ] ||
	fail "conffiles: $(cat "$WORK/conffiles")"
dpkg-deb -c "$DEB" >"$WORK/contents"
grep -q '^-rwxr-xr-x root/root .* \./usr/sbin/telltale$' "$WORK/contents" || fail "no root-owned 0755 /usr/sbin/telltale"
for f in lib/systemd/system/telltale.service usr/share/man/man8/telltale.8.gz \
	usr/share/doc/telltale/copyright usr/share/doc/telltale/prometheus/telltale.rules.yml; do
	grep -q " \./$f$" "$WORK/contents" || fail "the package lacks /$f"
done
echo "ok: control data, Depends $DEPENDS, conffiles, contents"

# 1. The maintainer scripts against stubs: every call to systemctl and
# deb-systemd-invoke is logged; is-enabled answers from a flag file; a start
# fails when asked to.
dpkg-deb -e "$DEB" "$WORK/ctl"
STUBS="$WORK/stubs" LOG="$WORK/calls"
mkdir -p "$STUBS"
cat >"$STUBS/systemctl" <<EOF
#!/bin/sh
echo "systemctl \$*" >>"$LOG"
case "\$1" in
enable) touch "$WORK/enabled" ;;
is-enabled) [ -e "$WORK/enabled" ] ;;
esac
EOF
cat >"$STUBS/deb-systemd-invoke" <<EOF
#!/bin/sh
echo "invoke \$*" >>"$LOG"
[ ! -e "$WORK/fail_start" ]
EOF
chmod +x "$STUBS/systemctl" "$STUBS/deb-systemd-invoke"
SD="$WORK/sd"
mkdir -p "$SD/run/systemd/system"
script() { # ROOT SCRIPT ARGS...: runs one script, its calls in $LOG
	local root=$1 s=$2
	shift 2
	: >"$LOG"
	PATH="$STUBS:$PATH" DPKG_ROOT=$root "$WORK/ctl/$s" "$@" 2>"$WORK/script.err" ||
		fail "$s $* exited $?: $(cat "$WORK/script.err")"
}
calls() { tr '\n' ';' <"$LOG"; }

script "$WORK/nosd" postinst configure ""
[ ! -s "$LOG" ] || fail "postinst without systemd called: $(calls)"
script "$SD" postinst configure ""
[ "$(calls)" = "systemctl daemon-reload;systemctl enable telltale.service;systemctl is-enabled --quiet telltale.service;invoke restart telltale.service;" ] ||
	fail "first install: $(calls)"
rm "$WORK/enabled"
script "$SD" postinst configure 0.0.9-1
[ "$(calls)" = "systemctl daemon-reload;systemctl is-enabled --quiet telltale.service;" ] ||
	fail "an upgrade enabled or started a disabled service: $(calls)"
touch "$WORK/enabled" "$WORK/fail_start"
script "$SD" postinst configure 0.0.9-1
[ "$(calls)" = "systemctl daemon-reload;systemctl is-enabled --quiet telltale.service;invoke restart telltale.service;" ] ||
	fail "an upgrade of an enabled service: $(calls)"
grep -q "journalctl -u telltale" "$WORK/script.err" || fail "a failed start says nothing: $(cat "$WORK/script.err")"
script "$SD" prerm upgrade 0.1.1-1
[ ! -s "$LOG" ] || fail "prerm upgrade called: $(calls)"
script "$SD" prerm remove
[ "$(calls)" = "systemctl stop telltale.service;systemctl disable telltale.service;" ] || fail "prerm remove: $(calls)"
mkdir -p "$SD/var/log/telltale" "$SD/etc/telltale"
touch "$SD/var/log/telltale/alerts.jsonl" "$SD/etc/telltale/mine.json"
script "$SD" postrm purge
[ "$(calls)" = "systemctl daemon-reload;" ] || fail "postrm purge: $(calls)"
[ ! -e "$SD/var/log/telltale" ] || fail "purge left the logs"
[ -e "$SD/etc/telltale/mine.json" ] || fail "purge deleted a file the package did not install"
grep -q "is kept" "$WORK/script.err" || fail "purge does not say why /etc/telltale stays"
echo "ok: the maintainer scripts enable and start on install, respect a disabled service on upgrade, stop and disable on removal"

# 2. The real thing: dpkg on this host.
on_exit "dpkg -P telltale"
dpkg_do() { timeout 120 env DEBIAN_FRONTEND=noninteractive dpkg "$@" </dev/null >"$WORK/dpkg.log" 2>&1 ||
	{ cat "$WORK/dpkg.log"; fail "dpkg $* failed"; }; }
dpkg_do -i "$DEB"
[ "$(dpkg-query -W -f='${Status} ${Version}' telltale)" = "install ok installed $VERSION-1" ] ||
	fail "dpkg says: $(dpkg-query -W -f='${Status} ${Version}' telltale)"
[ "$(command -v telltale)" = /usr/sbin/telltale ] || fail "telltale is not /usr/sbin/telltale on PATH"
/usr/sbin/telltale --check-config >/dev/null || fail "the packaged /etc/telltale/telltale.json is rejected"
man -w telltale | grep -q '^/usr/share/man/man8/telltale.8.gz$' || fail "man does not find the page"
# The packaged (stripped) binary with the packaged config, its streams on
# stdout here and its endpoint on a free port.
/usr/sbin/telltale --allow-multiple --alerts - --metrics - --listen "127.0.0.1:$(free_port)" \
	--duration 2 >"$WORK/run.jsonl" 2>"$WORK/run.err" || { cat "$WORK/run.err"; fail "the installed agent exited $?"; }
grep -q "attached" "$WORK/run.err" || fail "the installed agent attached nothing: $(cat "$WORK/run.err")"
[ "$(jq -s '[.[] | select(.type == "host")] | length' "$WORK/run.jsonl")" -ge 1 ] || fail "the installed agent printed no interval"
echo "ok: dpkg -i; the installed agent attached and printed its lines"

echo '{"interval_s": 5}' >/etc/telltale/telltale.json
dpkg_do -i "$DEB"
grep -q '"interval_s": 5' /etc/telltale/telltale.json || fail "a reinstall replaced the edited configuration"
dpkg_do -r telltale
[ ! -e /usr/sbin/telltale ] || fail "dpkg -r left /usr/sbin/telltale"
grep -q '"interval_s": 5' /etc/telltale/telltale.json || fail "dpkg -r removed the edited configuration"
dpkg_do -P telltale
[ ! -e /etc/telltale ] || fail "dpkg -P left /etc/telltale: $(ls /etc/telltale)"
[ ! -e /var/log/telltale ] || fail "dpkg -P left /var/log/telltale"
echo "ok: an edited configuration survives a reinstall and a removal; a purge deletes it"
