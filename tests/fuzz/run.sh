#!/bin/bash
# Runs one libFuzzer target: every input of its corpus tests/fuzz/TARGET/
# once (the seeds and the regression inputs of crashes found before), then
# SECONDS of fuzzing from it. New inputs go to WORK (a scratch directory
# unless given), crashes to OUT/fuzz/TARGET-crash-*. Prints the executions.
# usage: tests/fuzz/run.sh OUT TARGET SECONDS [WORK]
set -u
OUT=$1 TARGET=$2 SECONDS_=$3 WORK=${4:-}
cd "$(dirname "$0")/../.."
BIN=$OUT/fuzz/fuzz_$TARGET
CORPUS=tests/fuzz/$TARGET
[ -x "$BIN" ] || { echo "SKIP: $BIN is not built (make fuzzers; needs clang and libclang-rt-14-dev)"; exit 77; }
[ -d "$CORPUS" ] || { echo "FAIL: no corpus at $CORPUS"; exit 1; }
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d /tmp/telltale-fuzz.XXXXXX)
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK" "$OUT/fuzz"
# -runs=0: the corpus only, each input once.
"$BIN" -runs=0 -timeout=10 "$CORPUS" 2>"$OUT/fuzz/$TARGET-replay.log" ||
	{ tail -40 "$OUT/fuzz/$TARGET-replay.log"; echo "FAIL: an input of $CORPUS fails"; exit 1; }
echo "ok: $(ls "$CORPUS" | wc -l) corpus inputs of $TARGET run clean"
"$BIN" -max_total_time="$SECONDS_" -timeout=10 -print_final_stats=1 \
	-artifact_prefix="$OUT/fuzz/$TARGET-" "$WORK" "$CORPUS" 2>"$OUT/fuzz/$TARGET.log"
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz/$TARGET.log")
if [ $rc -ne 0 ]; then
	grep -A30 "ERROR\|==ERROR\|runtime error\|deadly signal" "$OUT/fuzz/$TARGET.log" | head -50
	echo "FAIL: fuzz_$TARGET found a crash after ${execs:-?} executions: $(ls "$OUT/fuzz/$TARGET-"* 2>/dev/null | grep -v '\.log$' | head -3)"
	exit 1
fi
echo "ok: fuzz_$TARGET: $execs executions in $SECONDS_ s, $(ls "$WORK" | wc -l) new inputs, no crash"
