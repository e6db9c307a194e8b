#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Detection benchmark on real labelled series: unpacks ../shared/corpora into
# BUILD_DIR/corpora (once), runs `telltale score` on every series at the
# agent's defaults and prints the NAB-method table (bench/detection/run.py).
# Any corpus works: a .tgz holding one folder of timestamp,value,label CSVs.
#   bench/detection/run.sh [BUILD_DIR] [run.py options]
set -eu
cd "$(dirname "$0")/../.."
OUT=${1:-build}
[ $# -gt 0 ] && shift
SRC=${TT_CORPORA:-../shared/corpora}
[ -x "$OUT/telltale" ] || { echo "bench/detection: $OUT/telltale is not built (make)" >&2; exit 1; }
# A folder of unpacked corpora (one folder each) is used as it is.
if ! ls "$SRC"/*.tgz >/dev/null 2>&1; then
	ls -d "$SRC"/*/ >/dev/null 2>&1 ||
		{ echo "bench/detection: no corpora at $SRC (set TT_CORPORA=DIR to the folder of the .tgz files or of unpacked corpora)" >&2; exit 1; }
	exec python3 bench/detection/run.py --telltale "$OUT/telltale" --corpora "$SRC" "$@"
fi
mkdir -p "$OUT/corpora"
for t in "$SRC"/*.tgz; do
	name=$(basename "$t" .tgz)
	stamp="$OUT/corpora/.$name.unpacked"
	if [ ! -e "$stamp" ] || [ "$t" -nt "$stamp" ]; then
		rm -rf "${OUT:?}/corpora/$name"
		tar xzf "$t" -C "$OUT/corpora"
		touch "$stamp"
	fi
done
exec python3 bench/detection/run.py --telltale "$OUT/telltale" --corpora "$OUT/corpora" "$@"
