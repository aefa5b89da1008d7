#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checking speed: states checked per second per core by long-lived checker
# guests, and the same states checked by booting a fresh guest per state,
# side by side in one run on one traced ext4-DAX run (64 MiB NVDIMM).
# usage: bench/check/bench_check.sh TORN [STATES] [BASELINE_STATES]
set -u
torn=${1:?usage: bench_check.sh TORN [STATES] [BASELINE_STATES]}
n=${2:-60}
nb=${3:-8}
d=$(mktemp -d /tmp/torn-bench-check-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$torn" trace --fs ext4-dax --workload files --out "$d/run" >/dev/null 2>&1 ||
	{ echo '{"error":"torn trace failed"}'; exit 3; }
rate() { # dir, extra args -> states/s over wall time
	local t0 t1 k
	t0=$(date +%s%N)
	"$torn" check "$1" -j 1 "${@:2}" >/dev/null 2>&1
	t1=$(date +%s%N)
	k=$(wc -l <"$1/verdicts.jsonl")
	awk -v k="$k" -v ns="$((t1 - t0))" 'BEGIN {printf "%d %.3f %.2f\n", k, ns / 1e9, k / (ns / 1e9)}'
}
cp -r "$d/run" "$d/pool"; cp -r "$d/run" "$d/boot"
read -r k1 s1 r1 < <(rate "$d/pool" --limit "$n")
read -r k2 s2 r2 < <(rate "$d/boot" --limit "$nb" --boot-per-state)
restore=$(grep -o '"restore":[0-9]*' "$d/pool/verdicts.jsonl" | cut -d: -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
check=$(grep -o '"check":[0-9]*' "$d/pool/verdicts.jsonl" | cut -d: -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
# steady state: from the first verdict to the last (the one boot excluded)
steady=$(grep -o '"at_ms":[0-9]*' "$d/pool/verdicts.jsonl" | cut -d: -f2 | sort -n |
	awk '{a[NR]=$1} END {printf "%.2f", (NR - 1) * 1000 / (a[NR] - a[1])}')
echo "{\"bench\":\"check\",\"mode\":\"pool\",\"states\":$k1,\"seconds\":$s1,\"states_per_s_per_core\":$r1,\"steady_states_per_s_per_core\":$steady,\"median_restore_ms\":$restore,\"median_check_ms\":$check}"
echo "{\"bench\":\"check\",\"mode\":\"boot-per-state\",\"states\":$k2,\"seconds\":$s2,\"states_per_s_per_core\":$r2}"
awk -v a="$r1" -v s="$steady" -v b="$r2" 'BEGIN {printf "{\"bench\":\"check\",\"speedup_vs_boot_per_state\":%.1f,\"steady_speedup_vs_boot_per_state\":%.1f,\"budget_states_per_s\":5,\"budget_speedup\":20}\n", a / b, s / b}'
