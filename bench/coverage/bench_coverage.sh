#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What --coverage costs: one trace on a --gcov kernel checked three ways
# side by side in one run, -j 2: without coverage, with the counters read
# after each state's recovery (--coverage), and read once every BATCH
# states of a checker (--coverage-batch).  JSON lines: per way the states,
# seconds, states/s, the median gcov read (ms.coverage of the states that
# read) and the counters reached; then the ratios.  Figures in
# docs/coverage.md.
# usage: bench/coverage/bench_coverage.sh TORN KERNEL [FS] [WORKLOAD] [ENGINE] [BATCH]
set -u
torn=${1:?usage: bench_coverage.sh TORN KERNEL [FS] [WORKLOAD] [ENGINE] [BATCH]}
kernel=${2:?usage: bench_coverage.sh TORN KERNEL (built:HASH of a --gcov build)}
fs=${3:-ext4-dax} wl=${4:-files} eng=${5:-prefix} batch=${6:-16}
d=$(mktemp -d /tmp/torn-bench-cov-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$torn" trace --fs "$fs" --workload "$wl" --kernel "$kernel" --out "$d/run" \
	>"$d/trace.log" 2>&1 || { echo '{"error":"torn trace failed"}'; exit 3; }
base="\"bench\":\"coverage\",\"fs\":\"$fs\",\"workload\":\"$wl\",\"engine\":\"$eng\",\"kernel\":\"$kernel\""
# way NAME [ARGS]: one JSON line, and "SECONDS" in $d/NAME.s
way() {
	local name=$1 t0 t1 n s ms reached
	shift
	cp -r "$d/run" "$d/$name"
	t0=$(date +%s%N)
	"$torn" check "$d/$name" -j 2 --engine "$eng" "$@" >/dev/null 2>"$d/$name.log"
	t1=$(date +%s%N)
	n=$(grep -c . "$d/$name/verdicts.jsonl")
	s=$(awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", ns / 1e9}')
	echo "$s" >"$d/$name.s"
	ms=$(grep -o '"coverage":[0-9]*' "$d/$name/verdicts.jsonl" | cut -d: -f2 | sort -n |
		awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : "null"}')
	reached=$(sed -n 's/.*"reached":\([0-9]*\).*/\1/p' "$d/$name/coverage/summary.json" 2>/dev/null)
	echo "{$base,\"way\":\"$name\",\"states\":$n,\"seconds\":$s,\"states_per_s\":$(awk -v n="$n" -v s="$s" 'BEGIN {printf "%.2f", n / s}'),\"median_read_ms\":$ms,\"reached\":${reached:-null}}"
}
way none
way per-state --coverage
way batch-$batch --coverage-batch "$batch"
awk -v a="$(cat "$d/none.s")" -v b="$(cat "$d/per-state.s")" -v c="$(cat "$d/batch-$batch.s")" -v base="$base" 'BEGIN {
	printf "{%s,\"per_state_over_none\":%.2f,\"batch_over_none\":%.2f,\"per_state_over_batch\":%.2f}\n", base, b / a, c / a, b / c }'
