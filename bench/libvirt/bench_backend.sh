#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --backend libvirt against torn's own QEMU, side by side in one run: one
# traced run checked by each backend with one checker guest (-j 1), the
# three alternating ROUNDS times so that the shared machine's noise hits
# all: torn's QEMU, a libvirtd of the bench's own on this host
# (scripts/private-libvirtd) and one in a network namespace over
# qemu+tcp:// (--remote: the NVDIMM a volume on the "other host", each
# state uploaded and what recovery wrote read back through libvirt:
# "remote" with the shim's tracking there, "remote-whole" without the
# shim, reading the whole volume back after each state).  JSON lines: each check
# (states, seconds, steady states/s from the first verdict to the last,
# the boot included in seconds, the mean restore ms a state: for the
# remote one the uploads and read-back); then the ratios of the medians
# to QEMU's.  Figures in docs/performance.md.
# usage: bench/libvirt/bench_backend.sh TORN [ROUNDS] [FS] [WORKLOAD]
set -u
torn=$(realpath "${1:?usage: bench_backend.sh TORN [ROUNDS] [FS] [WORKLOAD]}")
rounds=${2:-2} fs=${3:-devdax} wl=${4:-bug-noflush}
top=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d /tmp/torn-bench-libvirt-XXXXXX)
trap '"$top/scripts/private-libvirtd" stop "$d/lv"; "$top/scripts/private-libvirtd" stop "$d/rv"; rm -rf "$d"' EXIT
uri=$("$top/scripts/private-libvirtd" start "$d/lv") || { echo '{"error":"no libvirtd"}'; exit 4; }
ruri=$("$top/scripts/private-libvirtd" start "$d/rv" --remote) || { echo '{"error":"no remote libvirtd"}'; exit 4; }
"$torn" trace --fs "$fs" --workload "$wl" --out "$d/run" >/dev/null 2>&1 ||
	{ echo '{"error":"torn trace failed"}'; exit 3; }
one() { # backend round -> JSON line
	local dir=$d/$1-$2 t0 t1
	cp -r "$d/run" "$dir"
	t0=$(date +%s%N)
	env ${4:-} "$torn" check "$dir" -j 1 --engine prefix --backend "$3" >/dev/null 2>&1
	t1=$(date +%s%N)
	restore=$(grep -o '"restore":[0-9]*' "$dir/verdicts.jsonl" | cut -d: -f2 | awk '{s += $1} END {printf "%.1f", s / NR}')
	grep -o '"at_ms":[0-9]*' "$dir/verdicts.jsonl" | cut -d: -f2 | sort -n | awk -v b="$1" -v ns=$((t1 - t0)) \
		-v k="$(wc -l <"$dir/verdicts.jsonl")" -v fs="$fs" -v wl="$wl" -v rs="$restore" '{a[NR]=$1} END {
		printf "{\"bench\":\"backend\",\"backend\":\"%s\",\"fs\":\"%s\",\"workload\":\"%s\",\"states\":%d,\"seconds\":%.2f,\"steady_states_per_s\":%.2f,\"first_verdict_ms\":%d,\"restore_ms_per_state\":%s}\n",
			b, fs, wl, k, ns / 1e9, (NR - 1) * 1000 / (a[NR] - a[1]), a[1], rs }'
	rm -rf "$dir"
}
for r in $(seq "$rounds"); do
	one qemu "$r" qemu
	one libvirt "$r" "libvirt:$uri"
	one remote "$r" "libvirt:$ruri"
	one remote-whole "$r" "libvirt:$ruri" TORN_WP_SHIM=
done | tee "$d/lines"
awk -F'[:,]' '{for (i = 1; i < NF; i++) {if ($i == "\"backend\"") b = $(i + 1); if ($i == "\"seconds\"") s[b] = s[b] " " $(i + 1); if ($i == "\"first_verdict_ms\"") f[b] = f[b] " " $(i + 1)}}
function med(l,  n, v, i, j, t) { n = split(l, v, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }; return v[int((n + 1) / 2)] }
END { printf "{\"bench\":\"backend\",\"libvirt_over_qemu_seconds\":%.2f,\"libvirt_over_qemu_first_verdict\":%.2f,\"remote_over_qemu_seconds\":%.2f,\"remote_over_libvirt_seconds\":%.2f,\"remote_whole_over_remote_seconds\":%.2f}\n", med(s["\"libvirt\""]) / med(s["\"qemu\""]), med(f["\"libvirt\""]) / med(f["\"qemu\""]), med(s["\"remote\""]) / med(s["\"qemu\""]), med(s["\"remote\""]) / med(s["\"libvirt\""]), med(s["\"remote-whole\""]) / med(s["\"remote\""]) }' "$d/lines"
