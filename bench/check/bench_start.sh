#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checker start: booted (TORN_WARM=0) against started from the saved guest,
# side by side, rounds alternating.  Traces FS's `files` workload once, then
# per round checks 1 state each way (-j 1) and reads the start's time from
# torn's "checker starts" line; then checks STATES states each way with -j 2
# (including the starts).  JSON lines on stdout.
# Usage: bench_start.sh TORN [ROUNDS] [STATES] [FS]
set -u
torn=${1:?usage: bench_start.sh TORN [ROUNDS] [STATES] [FS]}
rounds=${2:-5}
n=${3:-100}
fs=${4:-ext4-dax}
d=$(mktemp -d /tmp/torn-bench-start-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$torn" trace --fs "$fs" --workload files --out "$d/run" >/dev/null 2>&1 ||
	{ echo '{"error":"torn trace failed"}'; exit 3; }
# prime: the first check saves the guest, if the cache has none
cp -r "$d/run" "$d/prime"
"$torn" check "$d/prime" --limit 1 -j 1 >/dev/null 2>"$d/prime.err"
snap=$(grep -o 'saved guest /[^ ]*\.mig' "$d/prime.err" | cut -d' ' -f3)
save_ms=$(grep -o 'a booted guest saved in [0-9]*' "$d/prime.err" | grep -o '[0-9]*$')
start_ms() { # dir, env... -> the mean start ms of its one checker
	local dir=$1
	shift
	rm -rf "$dir"
	cp -r "$d/run" "$dir"
	env "$@" "$torn" check "$dir" --limit 1 -j 1 >/dev/null 2>"$dir.err"
	grep -o 'checker starts: .*' "$dir.err" |
		sed -n 's/.*: \([0-9]*\) warm (mean \([0-9]*\) ms), \([0-9]*\) booted (mean \([0-9]*\) ms).*/\1 \2 \3 \4/p'
}
boot=() warm=()
for r in $(seq 1 "$rounds"); do
	read -r _ _ nb mb < <(start_ms "$d/b$r" TORN_WARM=0)
	read -r nw mw _ _ < <(start_ms "$d/w$r")
	[ "${nb:-0}" -eq 1 ] && boot+=("$mb")
	[ "${nw:-0}" -eq 1 ] && warm+=("$mw")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "null"}'; }
mb=$(median "${boot[@]}")
mw=$(median "${warm[@]}")
size=$( [ -n "$snap" ] && stat -c %s "$snap" 2>/dev/null || echo null)
echo "{\"bench\":\"checker_start\",\"fs\":\"$fs\",\"rounds\":$rounds,\"boot_ms_median\":$mb,\"warm_ms_median\":$mw,\"boot_ms\":[$(IFS=,; echo "${boot[*]}")],\"warm_ms\":[$(IFS=,; echo "${warm[*]}")],\"saved_guest_bytes\":$size,\"save_ms\":${save_ms:-null}}"
rate() { # dir, env... -> states, wall s, states/s
	local dir=$1 t0 t1 k
	shift
	cp -r "$d/run" "$dir"
	t0=$(date +%s%N)
	env "$@" "$torn" check "$dir" --limit "$n" -j 2 >/dev/null 2>&1
	t1=$(date +%s%N)
	k=$(wc -l <"$dir/verdicts.jsonl")
	awk -v k="$k" -v ns="$((t1 - t0))" 'BEGIN {printf "%d %.3f %.2f\n", k, ns / 1e9, k / (ns / 1e9)}'
}
read -r kb sb rb < <(rate "$d/cb" TORN_WARM=0)
read -r kw sw rw < <(rate "$d/cw")
same=false
v() { grep -o '"state":"[^"]*"\|"verdict":"[^"]*"' "$1/verdicts.jsonl" | paste - - | sort; }
[ "$(v "$d/cb")" = "$(v "$d/cw")" ] && same=true
echo "{\"bench\":\"checker_start\",\"mode\":\"check -j 2 --limit $n, booted\",\"states\":$kb,\"seconds\":$sb,\"states_per_s\":$rb}"
echo "{\"bench\":\"checker_start\",\"mode\":\"check -j 2 --limit $n, warm\",\"states\":$kw,\"seconds\":$sw,\"states_per_s\":$rw,\"same_verdicts\":$same}"
awk -v b="$mb" -v w="$mw" -v sb="$sb" -v sw="$sw" 'BEGIN {printf "{\"bench\":\"checker_start\",\"start_ratio\":%.1f,\"check_wall_ratio\":%.2f}\n", b / w, sb / sw}'
