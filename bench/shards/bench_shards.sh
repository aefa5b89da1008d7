#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One traced run checked whole and as 2 shards, side by side in one run,
# each check with one checker guest (-j 1): what two machines of one core
# each save over one.  The shards run one after the other here (this
# machine's cores are shared); their wall time on two machines is the
# longer of the two.  JSON lines: the whole check; each shard (states,
# seconds); torn merge; the ratios (the longer shard over the whole, and
# both shards' sum over the whole: the split's overhead), and whether the
# merged verdicts equal the whole check's.  Figures in docs/performance.md.
# usage: bench/shards/bench_shards.sh TORN [FS] [WORKLOAD] [ENGINE]
set -u
torn=${1:?usage: bench_shards.sh TORN [FS] [WORKLOAD] [ENGINE]}
fs=${2:-ext4-dax} wl=${3:-files} eng=${4:-prefix}
d=$(mktemp -d /tmp/torn-bench-shards-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$torn" trace --fs "$fs" --workload "$wl" --out "$d/run" >/dev/null 2>&1 ||
	{ echo '{"error":"torn trace failed"}'; exit 3; }
# check DIR [ARGS]: "STATES SECONDS" of torn check DIR -j 1 ARGS
check() {
	local t0 t1
	t0=$(date +%s%N)
	"$torn" check "$1" -j 1 --engine "$eng" "${@:2}" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(wc -l <"$1/verdicts.jsonl") $(awk -v ns=$((t1 - t0)) 'BEGIN {printf "%.2f", ns / 1e9}')"
}
table() { sed -n 's/^{"state":"\([^"]*\)".*"verdict":"\([a-z]*\)".*/\1 \2/p' "$1/verdicts.jsonl" | sort; }
for c in whole s1 s2; do cp -r "$d/run" "$d/$c"; done
read -r kw sw < <(check "$d/whole")
read -r k1 s1 < <(check "$d/s1" --shard 1/2)
read -r k2 s2 < <(check "$d/s2" --shard 2/2)
t0=$(date +%s%N)
"$torn" merge "$d/merged" "$d/s1" "$d/s2" >/dev/null 2>&1
sm=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.2f", ns / 1e9}')
same=false
diff -q <(table "$d/whole") <(table "$d/merged") >/dev/null && same=true
base="\"bench\":\"shards\",\"fs\":\"$fs\",\"workload\":\"$wl\",\"engine\":\"$eng\""
echo "{$base,\"check\":\"whole\",\"states\":$kw,\"seconds\":$sw}"
echo "{$base,\"check\":\"shard 1/2\",\"states\":$k1,\"seconds\":$s1}"
echo "{$base,\"check\":\"shard 2/2\",\"states\":$k2,\"seconds\":$s2}"
echo "{$base,\"merge_seconds\":$sm,\"merged_equals_whole\":$same}"
awk -v w="$sw" -v a="$s1" -v b="$s2" -v m="$sm" -v base="$base" 'BEGIN {
	l = a > b ? a : b
	printf "{%s,\"two_machines_wall_ratio\":%.2f,\"with_merge_wall_ratio\":%.2f,\"shards_sum_over_whole\":%.2f}\n", base, l / w, (l + m) / w, (a + b) / w }'
