#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel's filesystems as the reference: ACE-style seq-1 fsops workloads
# (torn workloads generate --seq 1) traced on ext4-dax and xfs-dax, their
# crash states checked, every flagged state either explained by a known
# kernel finding (recorded by torn check, docs/findings.md) or counted as
# a false positive.
#
# The set-up (mkdir, creat, pwrite, sync) is the same in every workload, so
# as in ACE its crash states are checked once per filesystem, in the first
# workload run there; the other workloads are checked from their first op
# under test on (torn check --from-op).  STATES limits the states checked
# per workload (a shuffled sample); "all" checks every one.
# EVERY "auto" (the ctest validation_seq1) is every workload with the
# set-up checked once when TORN_VALIDATION=full, and otherwise (CI) every
# 34th workload (1 and 35 of 68) from its first op under test on, the
# set-up not checked.
# SEQ1_SETUP=skip never checks the set-up; SEQ1_FIRST=N starts at the Nth
# workload (to continue a run that was stopped).
# Prints a line per workload and closes with "N passed, N failed".
# usage: seq1.sh TORN [EVERY-KTH-WORKLOAD|auto] [STATES|all] [FS...]
here=$(cd "$(dirname "$0")" && pwd)
torn=${1:?usage: seq1.sh TORN [EVERY|auto] [STATES|all] [FS...]}
every=${2:-1}
states=${3:-all}
shift 3 2>/dev/null || shift $#
fss=("$@")
setup=${SEQ1_SETUP:-once}
first_wl=${SEQ1_FIRST:-1}
if [ "$every" = auto ]; then
	every=1
	[ "${TORN_VALIDATION:-}" = full ] || { every=34; setup=skip; }
fi
[ ${#fss[@]} -gt 0 ] || fss=(ext4-dax xfs-dax)
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
d=$(mktemp -d /tmp/torn-seq1-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$torn" workloads generate --seq 1 --out "$d/wl" >/dev/null || { echo "FAIL generate"; exit 1; }
sample=()
[ "$states" = all ] || sample=(--order shuffle:1 --limit "$states")
pass=0 fail=0 total=0 flagged=0 fp=0 i=0
declare -A setup_done
t0=$(date +%s)
for w in "$d"/wl/*.fsops; do
	i=$((i + 1))
	[ $(((i - 1) % every)) -eq 0 ] && [ $i -ge "$first_wl" ] || continue
	# ops are numbered from 1 over the file: the first op after "# under test"
	first=$(awk '/^# under test/ {print n + 1; exit} /^[^#]/ && NF {n++}' "$w")
	for fs in "${fss[@]}"; do
		name=$(basename "$w" .fsops)
		run="$d/$name-$fs"
		from=(--from-op "$first") what="from op $first"
		if [ $setup = once ] && [ -z "${setup_done[$fs]:-}" ]; then
			from=() what="set-up included"
		fi
		if ! "$torn" trace --fs "$fs" --workload "fsops:$w" --out "$run" >"$run.log" 2>&1; then
			fail=$((fail + 1)); echo "FAIL $name $fs: trace failed: $(tail -1 "$run.log")"; continue
		fi
		start=$(date +%s)
		"$torn" check "$run" "${from[@]}" "${sample[@]}" >>"$run.log" 2>&1
		rc=$?
		k=$(grep -c . "$run/verdicts.jsonl" 2>/dev/null); k=${k:-0}
		total=$((total + k))
		cls=$("$here/classify.sh" "$run/verdicts.jsonl")
		nf=$(awk '{s += $2} END {print s + 0}' <<<"$cls")
		flagged=$((flagged + nf))
		line="$name $fs: $k states ($what), check $(($(date +%s) - start)) s"
		if grep -q '^unexplained' <<<"$cls"; then
			fp=$((fp + $(awk '/^unexplained/ {print $2}' <<<"$cls")))
			fail=$((fail + 1)); echo "FAIL $line, unexplained: $(tr '\n' ' ' <<<"$cls")"
			grep '"verdict":"\(inconsistent\|unrecoverable\)"' "$run/verdicts.jsonl" | head -2 | cut -c1-400 | sed 's/^/     /'
		elif [ $rc -ne 0 ]; then
			fail=$((fail + 1)); echo "FAIL $line: torn check exit $rc: $(tail -1 "$run.log")"
		else
			setup_done[$fs]=1
			pass=$((pass + 1)); echo "ok   $line${cls:+, known findings: $(tr '\n' ' ' <<<"$cls")}"
		fi
		rm -rf "$run"
	done
done
echo "seq-1: $total states checked, $flagged flagged, $fp false positives; wall time $(($(date +%s) - t0)) s"
echo "seq1: $pass passed, $fail failed"
[ $fail -eq 0 ]
