#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The folders' dependency order (docs/architecture.md), checked on the
# sources: every #include "x.h" must name a header of the same folder or of
# a folder on a lower floor.  Folders on one floor are peers and do not
# import each other, so there is no import loop.  With --graph, print
# which folders each folder imports (the table in docs/architecture.md).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

# folder floor; a folder holds everything below it (workloads/pm is
# workloads)
floors='
lib/common 0
lib/json 1
lib/trace 1
lib/proto 1
lib/symbols 1
lib/gcov 1
lib/rundir 2
injectors 3
oracles 3
workloads 3
guests 4
harness/vm 5
harness/kit 6
harness/kernel 6
harness/guest 7
harness/symbols 7
harness/tracer 8
harness/verify 8
harness/tracing 9
harness/check 10
harness/report 10
harness/coverage 10
harness/replay 11
harness/cli 12
'

folder_of() { # path -> its folder in the table, or ""
	local p=$1 f
	while read -r f _; do
		[ -n "$f" ] || continue
		case "$p" in "$f"/*) echo "$f"; return ;; esac
	done <<<"$floors"
	echo ""
}
floor_of() { awk -v f="$1" '$1 == f { print $2 }' <<<"$floors"; }

# every source and header file of the folders, as "folder file" (examples/
# are programs of a user's own, built against nothing of torn's but
# torn_mark.h)
files=$(git ls-files -co --exclude-standard -- '*.c' '*.h' |
	grep -v '^tests/\|^bench/\|^examples/' || true)
declare -A header_folder
declare -A file_folder
bad=0
for p in $files; do
	[ -f "$p" ] || continue
	f=$(folder_of "$p")
	if [ -z "$f" ]; then
		echo "layers: $p is in no folder of the table (tests/arch/layers.sh)" >&2
		bad=1
		continue
	fi
	file_folder[$p]=$f
	case "$p" in *.h)
		b=$(basename "$p")
		if [ -n "${header_folder[$b]:-}" ] && [ "${header_folder[$b]}" != "$f" ]; then
			echo "layers: header $b is in both ${header_folder[$b]} and $f" >&2
			bad=1
		fi
		header_folder[$b]=$f
		;;
	esac
done

declare -A edges
for p in "${!file_folder[@]}"; do
	f=${file_folder[$p]}
	ff=$(floor_of "$f")
	while read -r inc; do
		[ -n "$inc" ] || continue
		t=${header_folder[$(basename "$inc")]:-}
		[ -n "$t" ] || continue # a system or generated header
		[ "$t" = "$f" ] && continue
		edges["$f $t"]=1
		tf=$(floor_of "$t")
		if [ "$tf" -ge "$ff" ]; then
			echo "layers: $p (floor $ff, $f) includes \"$inc\" of $t (floor $tf): an import upward or between peers" >&2
			bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$p")
done

# The command line is option parsing and printing: a file there that grows
# past this holds a stage that wants a library of its own.
cli_max=330
for p in harness/cli/*.c; do
	n=$(wc -l <"$p")
	if [ "$n" -gt $cli_max ]; then
		echo "layers: $p has $n lines (harness/cli keeps under $cli_max: move the stage into its library)" >&2
		bad=1
	fi
done

if [ "${1:-}" = --graph ]; then
	while read -r f n; do
		[ -n "$f" ] || continue
		deps=$(for e in "${!edges[@]}"; do
			if [ "${e%% *}" = "$f" ]; then echo "${e#* }"; fi
		done | sort | tr '\n' ' ')
		printf '| %s | %s | %s |\n' "$n" "$f" "${deps:-(nothing)}"
	done <<<"$floors"
fi
if [ $bad != 0 ]; then
	echo "layers: FAILED" >&2
	exit 1
fi
echo "layers: ${#file_folder[@]} files in $(grep -c . <<<"$floors") folders, no import upward, none between peers"
