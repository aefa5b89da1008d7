#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A workload of many operations (bigops: N records, each stored, clwb'd and
# fenced between op markers, on a MAP_SYNC file on ext4-dax), traced once per
# N; per N: trace wall time, the workload's own time in the guest, trace
# size and records, and `torn states` (the default engines) wall time and
# max RSS.  JSON lines on stdout.
# Usage: bench_large.sh TORN BIGOPS [N ...]   (default N: 1000 10000 100000)
set -u
torn=${1:?usage: bench_large.sh TORN BIGOPS [N ...]}
prog=${2:?usage: bench_large.sh TORN BIGOPS [N ...]}
shift 2
[ $# -gt 0 ] || set -- 1000 10000 100000
d=$(mktemp -d /tmp/torn-bench-large-XXXXXX)
trap 'rm -rf "$d"' EXIT
for n in "$@"; do
	t0=$(date +%s%N)
	"$torn" run --program "$prog" --arg "$n" --fs ext4-dax --trace-only \
		--out "$d/r$n" >"$d/r$n.log" 2>&1 ||
		{ echo "{\"bench\":\"large\",\"ops\":$n,\"error\":\"torn run --trace-only failed\"}"; continue; }
	t1=$(date +%s%N)
	size=$(stat -c %s "$d/r$n/trace.torn")
	wl=$(grep -o '"workload_ms": *[0-9]*' "$d/r$n/meta.json" | grep -o '[0-9]*$')
	/usr/bin/time -f '%e %M' -o "$d/time" "$torn" states "$d/r$n" >"$d/states.out" 2>&1
	read -r secs rss_kb <"$d/time"
	# "total points P states S unique U ..."
	read -r _ _ points _ states _ unique _ < <(grep '^total points' "$d/states.out")
	records=$("$torn" trace-dump "$d/r$n/trace.torn" 2>/dev/null | wc -l)
	awk -v n="$n" -v tw="$(((t1 - t0) / 1000000))" -v wl="${wl:-null}" -v sz="$size" \
		-v rec="$records" -v s="$secs" -v rss="$rss_kb" -v st="${states:-null}" \
		-v pt="${points:-null}" -v uq="${unique:-null}" 'BEGIN {
		printf "{\"bench\":\"large\",\"ops\":%d,\"trace_wall_ms\":%d,\"workload_ms\":%s,\"trace_bytes\":%d,\"records\":%d,\"bytes_per_record\":%.1f,\"crash_points\":%s,\"states\":%s,\"unique\":%s,\"enumerate_s\":%s,\"enumerate_max_rss_mib\":%.1f}\n",
		n, tw, wl, sz, rec, sz / rec, pt, st, uq, s, rss / 1024 }'
	rm -rf "$d/r$n"
done
