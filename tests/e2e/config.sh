#!/bin/bash
# The agent's configuration step: --check-config and --print-config on a real
# file, bad files and flags with their messages and exit code 2, the
# permission check, and (as root) an agent run driven by the file alone.
# TT_BIN may point at build/tools/configcheck to test the loader on its own.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "jq is not installed (make deps installs it)"
"$TT_BIN" --help 2>/dev/null | grep -q -- --check-config ||
	skip "$TT_BIN has no --check-config yet (main.c does not call config__load)"
EXAMPLE="$(cd "$(dirname "$0")/../.." && pwd)/packaging/telltale.json"

expect_exit() {
	local want=$1 pattern=$2; shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	[ $rc -eq "$want" ] || { cat "$WORK/out" "$WORK/err"; fail "'$*' exited $rc, expected $want"; }
	grep -qF -- "$pattern" "$WORK/out" "$WORK/err" ||
		{ cat "$WORK/out" "$WORK/err"; fail "'$*' did not say '$pattern'"; }
	echo "ok: '$*' -> exit $rc, says '$pattern'"
}

# put NAME MODE TEXT: a config file in $WORK.
put() {
	printf '%s\n' "$3" >"$WORK/$1"
	chmod "$2" "$WORK/$1"
}

install -m 0644 "$EXAMPLE" "$WORK/example.json"
expect_exit 0 "telltale: config OK ($WORK/example.json)" "$TT_BIN" --check-config -c "$WORK/example.json"

# Effective configuration: file beneath flags, printed as JSON that loads back.
put site.json 0644 '{"interval_s": 2, "host": "fromfile", "output": {"alerts": "/var/log/tt/alerts.jsonl"},
 "rules": [{"metric": "load1", "above": 16, "clear": 12, "hold": 2}], "model": {"lambda": 0.99}}'
"$TT_BIN" --config "$WORK/site.json" --interval 0.5 --rotate-size 8M --print-config >"$WORK/printed.json" 2>"$WORK/err" ||
	{ cat "$WORK/err"; fail "--print-config exited $?"; }
jq -e '.interval_s == 0.5 and .host == "fromfile" and .output.alerts == "/var/log/tt/alerts.jsonl"
	and .output.metrics == "-" and .output.rotate_size == 8388608 and .model.lambda == 0.99
	and (.rules | length) == 1 and .rules[0].metric == "load1" and .rules[0].hold == 2' \
	"$WORK/printed.json" >/dev/null || { cat "$WORK/printed.json"; fail "--print-config shows the wrong values"; }
echo "ok: --print-config: flags over the file over the defaults"
chmod 0600 "$WORK/printed.json"
"$TT_BIN" -c "$WORK/printed.json" --print-config >"$WORK/again.json" || fail "printed config does not load back"
cmp -s "$WORK/printed.json" "$WORK/again.json" || { diff "$WORK/printed.json" "$WORK/again.json"; fail "round trip changed the config"; }
echo "ok: --print-config output loads back unchanged"
if [ ! -e /etc/telltale/telltale.json ]; then
	# ...but for the endpoint, which the example enables on loopback.
	"$TT_BIN" --print-config | jq -e --slurpfile ex "$WORK/example.json" \
		'. == ($ex[0] | del(.prometheus["//"]) | .prometheus.listen = "")' >/dev/null ||
		fail "packaging/telltale.json is not the defaults"
	echo "ok: packaging/telltale.json holds the defaults (and prometheus.listen 127.0.0.1:9464)"
fi

# Bad files name the file, the key path and what was expected; exit 2.
put types.json 0644 '{"rules": [{"metric": "cpu_pct", "above": 80}, {"metric": "mem_pct", "above": "90"}]}'
expect_exit 2 "telltale: $WORK/types.json: rules[1].above: expected a number, got a string" \
	"$TT_BIN" --check-config -c "$WORK/types.json"
put typo.json 0644 '{"output": {"rotat_size": 1048576}}'
expect_exit 2 "output.rotat_size: unknown key (did you mean rotate_size?)" "$TT_BIN" -c "$WORK/typo.json"
put range.json 0644 '{"interval_s": 0}'
expect_exit 2 "interval_s: expected a number from 0.1 to 3600, got 0" "$TT_BIN" -c "$WORK/range.json" --check-config
put tz.json 0644 '{"detector": {"timezone": "Nowhere/Atlantis"}}'
expect_exit 2 "detector.timezone: no time zone 'Nowhere/Atlantis' (no file /usr/share/zoneinfo/Nowhere/Atlantis)" \
	"$TT_BIN" -c "$WORK/tz.json" --check-config
put berlin.json 0644 '{"detector": {"timezone": "Europe/Berlin"}}'
expect_exit 0 "telltale: config OK ($WORK/berlin.json)" "$TT_BIN" --check-config -c "$WORK/berlin.json"
put broken.json 0644 '{
  "interval_s": 2
  "host": "x"
}'
expect_exit 2 "telltale: $WORK/broken.json: line 3, column 3: malformed JSON" "$TT_BIN" -c "$WORK/broken.json"
expect_exit 2 "telltale: $WORK/missing.json: No such file or directory" "$TT_BIN" -c "$WORK/missing.json"

# Bad flags, in the agent's usual style.
expect_exit 2 "unrecognized option '--bogus'" "$TT_BIN" --bogus
expect_exit 2 "telltale: --interval: '0' is not a number from 0.1 to 3600" "$TT_BIN" -c "$WORK/example.json" --interval 0
expect_exit 2 "telltale: --rotate-size: '10X' is not 0 or a size from 1K to 1024G" "$TT_BIN" --rotate-size 10X
expect_exit 2 "telltale: user 'no-such-user-tt': no such user" "$TT_BIN" --user no-such-user-tt --check-config
# An output whose folder is missing: a note, as the run would stop there
# (systemd's LogsDirectory= may make it first).
expect_exit 0 "telltale: note: the metrics output '$WORK/no-dir/m.jsonl': its folder '$WORK/no-dir' does not exist; the agent stops there" \
	"$TT_BIN" --metrics "$WORK/no-dir/m.jsonl" --check-config
expect_exit 0 "telltale: note: the alerts output '$WORK/example.json/a.jsonl': '$WORK/example.json' is not a folder" \
	"$TT_BIN" --alerts "$WORK/example.json/a.jsonl" --check-config

# Files others could write are refused, with the fix.
put open.json 0666 '{}'
expect_exit 2 "writable by group and others (mode 0666); refusing it (run: chmod go-w $WORK/open.json)" \
	"$TT_BIN" --check-config -c "$WORK/open.json"
put group.json 0664 '{}'
expect_exit 2 "run: chmod go-w" "$TT_BIN" -c "$WORK/group.json"
if [ "$(id -u)" = 0 ]; then
	put owned.json 0644 '{}'
	chown nobody "$WORK/owned.json"
	expect_exit 2 "owned by uid $(id -u nobody), not root; refusing it (run: chown root $WORK/owned.json)" \
		"$TT_BIN" --check-config -c "$WORK/owned.json"
fi

# No --config and no /etc/telltale/telltale.json: the defaults, no error.
if [ ! -e /etc/telltale/telltale.json ]; then
	expect_exit 0 "config OK (no config file" "$TT_BIN" --check-config
fi

# The agent takes its interval and duration from the file.
if [ "$(id -u)" = 0 ] && [ "$(basename "$TT_BIN")" = telltale ]; then
	put run.json 0644 '{"interval_s": 0.5, "duration_s": 1.2, "host": "cfgtest"}'
	"$TT_BIN" -c "$WORK/run.json" >"$WORK/run.jsonl" 2>"$WORK/run.err" || { cat "$WORK/run.err"; fail "agent exited $?"; }
	n=$(jq -s '[.[] | select(.type == "host" and .host == "cfgtest")] | length' "$WORK/run.jsonl")
	[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "agent printed $n host lines named cfgtest, expected 2..4"
	echo "ok: agent ran 1.2 s at 0.5 s intervals as host cfgtest, from the file ($n host lines)"
fi
# replay takes the core's settings from --config: a CPU rule at 50 % with a
# hold of 1 fires on a stream at 60 % where the default rule (80 %) cannot.
if [ "$(basename "$TT_BIN")" = telltale ]; then
	for i in 1 2 3; do
		printf '{"ts":"2026-11-23T05:42:1%d.000Z","type":"host","schema":"1.0","host":"h","seq":%d,"interval_s":1,"cpu_pct":60,"mem_pct":10,"load1":0.5}\n' "$i" "$i"
	done >"$WORK/cpu60.jsonl"
	put rule.json 0644 '{"rules": [{"metric": "cpu_pct", "above": 50, "clear": 40, "hold": 1}]}'
	[ "$("$TT_BIN" replay "$WORK/cpu60.jsonl" 2>/dev/null | wc -l)" = 0 ] || fail "default rules fired at 60 %"
	"$TT_BIN" replay --config "$WORK/rule.json" "$WORK/cpu60.jsonl" 2>/dev/null |
		jq -e 'select(.kind == "threshold" and .metric == "cpu_pct" and .state == "firing" and .threshold == 50)' >/dev/null ||
		fail "replay --config did not use the file's rule"
	echo "ok: replay --config applies the file's rules"
fi
echo PASS
