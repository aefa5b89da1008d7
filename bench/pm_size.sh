#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# torn run's memory at NVDIMM sizes, side by side: the torn process's
# peak RSS (VmHWM, polled each second) and the largest sum of its QEMU
# guests' RSS, one JSON line per size (docs/performance.md).
# usage: bench/pm_size.sh TORN [SIZE...]   (default 64M 512M)
torn=${1:?usage: pm_size.sh TORN [SIZE...]}
shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(64M 512M)
d=$(mktemp -d /tmp/torn-pm-size-XXXXXX)
trap 'rm -rf "$d"' EXIT
for size in "${sizes[@]}"; do
	start=$(date +%s)
	"$torn" run --pm-size "$size" --fs devdax --workload pmlog --engine prefix -j 2 \
		--out "$d/$size" >"$d/$size.log" 2>&1 &
	pid=$!
	hwm=0 guests=0
	while kill -0 $pid 2>/dev/null; do
		h=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null)
		[ -n "$h" ] && hwm=$h
		q=$(ps -o rss= --ppid $pid 2>/dev/null | awk '{s += $1} END {print s + 0}')
		[ "$q" -gt "$guests" ] && guests=$q
		sleep 1
	done
	wait $pid
	rc=$?
	states=$(grep -c . "$d/$size/verdicts.jsonl" 2>/dev/null)
	printf '{"bench":"pm_size","pm_size":"%s","exit":%d,"states":%d,"torn_peak_rss_kb":%d,"guests_rss_kb":%d,"wall_s":%d}\n' \
		"$size" "$rc" "${states:-0}" "$hwm" "$guests" $(($(date +%s) - start))
done
