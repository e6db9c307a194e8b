#!/bin/bash
# The user side's stages only include downwards (docs/architecture.md):
#   lib  <  agent, core  <  out  <  cli
# agent and core are peers that never include each other. Also: every include
# of a project header names its stage ("core/model.h"), and no user file
# includes a BPF-side header. Exits 1 naming each include that breaks it.
set -u
cd "$(dirname "$0")/.."
rank() {
	case $1 in
	lib) echo 0 ;; agent | core) echo 1 ;; out) echo 2 ;; cli) echo 3 ;; *) echo -1 ;;
	esac
}
bad=0
for f in user/*/*.[ch]; do
	stage=$(basename "$(dirname "$f")")
	r=$(rank "$stage")
	[ "$r" -ge 0 ] || { echo "$f: $stage is not a stage folder"; bad=1; continue; }
	while IFS= read -r inc; do
		case $inc in
		telltale.h | telltale.skel.h) continue ;;
		*.bpf.h) echo "$f: includes the BPF-side header $inc"; bad=1; continue ;;
		*/*) ;;
		*) echo "$f: #include \"$inc\" does not name its stage"; bad=1; continue ;;
		esac
		to=${inc%%/*}
		t=$(rank "$to")
		if [ "$t" -lt 0 ]; then
			echo "$f: #include \"$inc\": $to is not a stage"; bad=1
		elif [ "$t" -gt "$r" ] || { [ "$t" -eq "$r" ] && [ "$to" != "$stage" ]; }; then
			echo "$f: $stage includes $inc, from a stage above or beside it"; bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
[ $bad -eq 0 ] && echo "layers: every include points down ($(ls user/*/*.[ch] | wc -l) files)"
exit $bad
