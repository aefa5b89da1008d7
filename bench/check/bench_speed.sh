#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checking speed before and after a change, side by side in one run: one
# trace per filesystem and NVDIMM size, then the same first STATES unique
# states checked by each torn binary with one checker guest (-j 1), the
# binaries alternating so that the shared machine's noise hits both.  One
# JSON line per (fs, size, binary): states/s per core including the boot
# and steady (first verdict to last), median restore and check ms; then
# the after/before ratios.  Figures in docs/performance.md.
# usage: bench/check/bench_speed.sh BEFORE AFTER [STATES] [FS...] [-- SIZE...]
set -u
before=${1:?usage: bench_speed.sh BEFORE AFTER [STATES] [FS...] [-- SIZE...]}
after=${2:?usage: bench_speed.sh BEFORE AFTER [STATES] [FS...] [-- SIZE...]}
n=${3:-100}
shift 3 2>/dev/null || shift $#
fss=() sizes=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do fss+=("$1"); shift; done
[ "${1:-}" = -- ] && shift
sizes=("$@")
[ ${#fss[@]} -gt 0 ] || fss=(ext4-dax xfs-dax)
[ ${#sizes[@]} -gt 0 ] || sizes=(64M 512M)
d=$(mktemp -d /tmp/torn-bench-speed-XXXXXX)
trap 'rm -rf "$d"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : 0}'; }
one() { # label binary run-dir
	local t0 t1 k steady restore check
	rm -rf "$d/c"; cp -r "$3" "$d/c"
	t0=$(date +%s%N)
	"$2" check "$d/c" -j 1 --limit "$n" >/dev/null 2>"$d/c.err"
	t1=$(date +%s%N)
	k=$(grep -c . "$d/c/verdicts.jsonl")
	steady=$(grep -o '"at_ms":[0-9]*' "$d/c/verdicts.jsonl" | cut -d: -f2 | sort -n |
		awk '{a[NR]=$1} END {printf "%.2f", (NR > 1) ? (NR - 1) * 1000 / (a[NR] - a[1] + 1) : 0}')
	restore=$(grep -o '"restore":[0-9]*' "$d/c/verdicts.jsonl" | cut -d: -f2 | median)
	check=$(grep -o '"check":[0-9]*' "$d/c/verdicts.jsonl" | cut -d: -f2 | median)
	grep -o '"state":"[^"]*","[^}]*"verdict":"[a-z]*"' "$d/c/verdicts.jsonl" |
		sed 's/"point.*"verdict"/ /' | sort >"$d/$1.verdicts"
	awk -v l="$1" -v k="$k" -v ns="$((t1 - t0))" -v s="$steady" -v r="$restore" -v c="$check" \
		'BEGIN {printf "{\"bench\":\"check_speed\",\"run\":\"%s\",\"states\":%d,\"seconds\":%.1f,\"states_per_s_per_core\":%.2f,\"steady_states_per_s_per_core\":%s,\"median_restore_ms\":%d,\"median_check_ms\":%d}\n", l, k, ns / 1e9, k / (ns / 1e9), s, r, c}'
}
for fs in "${fss[@]}"; do
	for size in "${sizes[@]}"; do
		run="$d/run-$fs-$size"
		"$after" trace --fs "$fs" --pm-size "$size" --workload files --out "$run" >/dev/null 2>&1 ||
			{ echo "{\"error\":\"torn trace --fs $fs --pm-size $size failed\"}"; continue; }
		b=$(one "$fs-$size-before" "$before" "$run")
		a=$(one "$fs-$size-after" "$after" "$run")
		echo "$b"; echo "$a"
		same=$(cmp -s "$d/$fs-$size-before.verdicts" "$d/$fs-$size-after.verdicts" && echo true || echo false)
		sb=$(echo "$b" | grep -o '"steady_states_per_s_per_core":[0-9.]*' | cut -d: -f2)
		sa=$(echo "$a" | grep -o '"steady_states_per_s_per_core":[0-9.]*' | cut -d: -f2)
		wb=$(echo "$b" | grep -o '"states_per_s_per_core":[0-9.]*' | head -1 | cut -d: -f2)
		wa=$(echo "$a" | grep -o '"states_per_s_per_core":[0-9.]*' | head -1 | cut -d: -f2)
		awk -v f="$fs" -v z="$size" -v sb="$sb" -v sa="$sa" -v wb="$wb" -v wa="$wa" -v same="$same" \
			'BEGIN {printf "{\"bench\":\"check_speed\",\"fs\":\"%s\",\"pm_size\":\"%s\",\"steady_ratio\":%.2f,\"with_boot_ratio\":%.2f,\"same_verdicts\":%s}\n", f, z, sb ? sa / sb : 0, wb ? wa / wb : 0, same}'
	done
done
