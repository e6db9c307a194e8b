#!/bin/bash
# make install into a DESTDIR: binary, man page, unit, configs land where
# documented with the right modes; the installed config passes --check-config;
# the unit's ExecStart follows PREFIX; the man page renders.
. "$(dirname "$0")/lib.sh"
need make man
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
D="$WORK/root"

make -C "$ROOT" --no-print-directory install DESTDIR="$D" PREFIX=/usr OUT="${OUT:-build}" >"$WORK/install.log" 2>&1 ||
	{ cat "$WORK/install.log"; fail "make install failed"; }
check_file() {
	[ -f "$D$1" ] || fail "$1 not installed"
	[ "$(stat -c %a "$D$1")" = "$2" ] || fail "$1 has mode $(stat -c %a "$D$1"), expected $2"
	echo "ok: $1 ($2)"
}
check_file /usr/sbin/telltale 755
check_file /usr/share/man/man8/telltale.8 644
check_file /lib/systemd/system/telltale.service 644
check_file /etc/telltale/telltale.json 644
check_file /etc/telltale/telltale.json.example 644
[ "$(stat -c %a "$D/var/log/telltale")" = 750 ] || fail "/var/log/telltale mode"
grep -q '^ExecStart=/usr/sbin/telltale --config /etc/telltale/telltale.json$' "$D/lib/systemd/system/telltale.service" ||
	fail "ExecStart does not follow PREFIX"
"$D/usr/sbin/telltale" --config "$D/etc/telltale/telltale.json" --check-config || fail "installed config rejected"
"$D/usr/sbin/telltale" --config "$D/etc/telltale/telltale.json" --print-config |
	jq -e '.output.alerts == "/var/log/telltale/alerts.jsonl"' >/dev/null || fail "installed config does not write to /var/log/telltale"
"$D/usr/sbin/telltale" --config "$D/etc/telltale/telltale.json" --print-config |
	jq -e '.prometheus.listen == "127.0.0.1:9464"' >/dev/null || fail "installed config does not serve /metrics on 127.0.0.1:9464"
grep -q '^RestrictAddressFamilies=.*AF_INET ' "$D/lib/systemd/system/telltale.service" ||
	fail "the unit forbids the endpoint's socket"
for f in prometheus.yml telltale.rules.yml telltale.rules.test.yml alertmanager.yml grafana-dashboard.json; do
	check_file /usr/share/doc/telltale/prometheus/$f 644
done
"$D/usr/sbin/telltale" --version | grep -q '^telltale [0-9]' || fail "--version"
MANWIDTH=80 man -l "$D/usr/share/man/man8/telltale.8" 2>"$WORK/man.err" | grep -q -- '--rotate-size' || fail "man page does not render"
[ ! -s "$WORK/man.err" ] || { cat "$WORK/man.err"; fail "man page warnings"; }
# The man page's defaults are the binary's (it once said 65536 sockets
# after the default became 49152).
DEFAULTS=$(echo '{}' >"$WORK/empty.json" && "$D/usr/sbin/telltale" -c "$WORK/empty.json" --print-config)
man_default() { # the "(default N)" within two lines of the option's heading
	sed 's/\\//g' "$ROOT/packaging/telltale.8" | grep -A2 -- "--$1 " | grep -o '(default [0-9.]*)' | grep -o '[0-9.]*'
}
for k in max-sockets:max_sockets max-services:max_services interval:interval_s rotate-keep:output.rotate_keep; do
	want=$(jq -r ".${k#*:}" <<<"$DEFAULTS")
	got=$(man_default "${k%%:*}")
	[ "$got" = "$want" ] || fail "the man page says --${k%%:*} defaults to '$got', the binary $want"
done
echo "ok: the man page's defaults are the binary's"
# An existing configuration survives a reinstall.
echo '{"interval_s": 5}' >"$D/etc/telltale/telltale.json"
make -C "$ROOT" --no-print-directory install DESTDIR="$D" PREFIX=/usr OUT="${OUT:-build}" >/dev/null 2>&1
grep -q '"interval_s": 5' "$D/etc/telltale/telltale.json" || fail "reinstall overwrote the config"
echo "ok: installed, the config is valid, the man page renders, reinstall keeps the config"
