#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tracing slowdown: the same workload traced and untraced under TCG, side by
# side in one run (alternating, so machine noise hits both alike).  Prints
# one JSON line per run and a summary line with the median ratio.
# usage: bench/tracer/bench_tracer.sh TORN [ROUNDS] [FS] [WORKLOADS...]
set -u
torn=${1:?usage: bench_tracer.sh TORN [ROUNDS] [FS] [WORKLOADS...]}
rounds=${2:-3}
fs=${3:-ext4-dax}
shift 3 2>/dev/null || shift $#
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(files pmem msync)
d=$(mktemp -d /tmp/torn-bench-tracer-XXXXXX)
trap 'rm -rf "$d"' EXIT
field() { grep -o "\"$2\": [0-9]*" "$1/meta.json" | grep -o '[0-9]*$'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for wl in "${workloads[@]}"; do
	: >"$d/ratios-$wl"
	for r in $(seq 1 "$rounds"); do
		for mode in untraced traced; do
			out="$d/$wl-$mode-$r"
			flag=""
			[ $mode = untraced ] && flag=--untraced
			t0=$(date +%s%N)
			"$torn" trace --fs "$fs" --workload "$wl" --out "$out" $flag >/dev/null 2>&1 ||
				{ echo "{\"error\":\"torn trace $wl $mode failed\"}"; exit 3; }
			t1=$(date +%s%N)
			wms=$(field "$out" workload_ms)
			echo "{\"bench\":\"tracer\",\"fs\":\"$fs\",\"workload\":\"$wl\",\"mode\":\"$mode\",\"round\":$r,\"workload_ms\":$wms,\"session_ms\":$(((t1 - t0) / 1000000))}"
			eval "${mode}_ms=$wms"
		done
		awk -v t="$traced_ms" -v u="$untraced_ms" 'BEGIN {printf "%.3f\n", t / (u ? u : 1)}' >>"$d/ratios-$wl"
	done
	echo "{\"bench\":\"tracer\",\"fs\":\"$fs\",\"workload\":\"$wl\",\"rounds\":$rounds,\"median_slowdown\":$(median <"$d/ratios-$wl"),\"budget\":3}"
done
