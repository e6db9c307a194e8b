#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Scenario suite of the anomaly core: generates each labelled stream, runs it
# through "telltale replay", checks the alerts and prints the table
# (docs/scenarios.md). Exits non-zero when a scenario fails.
#   tests/scenarios/run.sh [BUILD_DIR]
set -u
out=${1:-build}
tools=$out/tools
# The agent binary when it is built with replay, else the core-only driver.
if [ -x "$out/telltale" ] && "$out/telltale" replay --help 2>&1 | grep -q "telltale replay"; then
	replay="$out/telltale replay"
else
	replay="$tools/ttcore replay"
fi
for t in scengen scencheck ttcore; do
	[ -x "$tools/$t" ] || { echo "run.sh: $tools/$t missing (make $tools/$t)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "replay: $replay"
echo "| scenario | detections | false alerts | time to detect | notes | result |"
echo "| --- | --- | --- | --- | --- | --- |"
fail=0
for s in a b c d e f; do
	"$tools/scengen" $s --labels "$work/$s.lab" >"$work/$s.jsonl" || { fail=1; continue; }
	# Replay twice: the output must be byte-identical.
	$replay "$work/$s.jsonl" >"$work/$s.out" 2>"$work/$s.err" || { echo "replay failed on $s" >&2; cat "$work/$s.err" >&2; fail=1; continue; }
	$replay "$work/$s.jsonl" >"$work/$s.out2" 2>/dev/null
	cmp -s "$work/$s.out" "$work/$s.out2" || { echo "replay of $s is not deterministic" >&2; fail=1; }
	"$tools/scencheck" $s "$work/$s.lab" "$work/$s.out" "$work/$s.jsonl" || fail=1
done
exit $fail
