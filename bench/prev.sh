#!/bin/bash
# Builds the agent of an earlier commit, for bench/overhead's arm P (PREV_BIN):
# the BPF time per request of the layout before a change, beside today's in
# one run. The default is the last commit with the per-CPU histogram.
# usage: bench/prev.sh [REV] [DIR]    (default 193dc2b, build/prev); prints the binary's path
set -eu
REV=${1:-193dc2b}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${2:-$ROOT/build/prev}
git -C "$ROOT" rev-parse --verify -q "$REV^{commit}" >/dev/null ||
	{ echo "bench/prev.sh: no commit $REV in this clone (a shallow clone? fetch it first)" >&2; exit 1; }
if [ ! -x "$DIR/src/build/telltale" ] || [ "$(cat "$DIR/rev" 2>/dev/null)" != "$REV" ]; then
	rm -rf "$DIR"
	mkdir -p "$DIR/src"
	git -C "$ROOT" archive "$REV" | tar -x -C "$DIR/src"
	make -s -C "$DIR/src" build/telltale >&2
	echo "$REV" >"$DIR/rev"
fi
echo "$DIR/src/build/telltale"
