#!/bin/bash
# The kernel's filesystems as the reference: ACE-style seq-1 fsops workloads
# (torn workloads generate --seq 1) traced on ext4-dax and xfs-dax, a sample
# of each one's unique crash states checked, every flagged state either
# explained by a known kernel finding (findings.txt) or counted as a false
# positive.  Prints a line per workload and closes with "N passed, N failed".
# usage: seq1.sh TORN [EVERY-KTH-WORKLOAD] [STATES-PER-RUN] [FS...]
here=$(cd "$(dirname "$0")" && pwd)
torn=${1:?usage: seq1.sh TORN [EVERY] [STATES] [FS...]}
every=${2:-1}
states=${3:-100}
shift 3 2>/dev/null || shift $#
fss=("$@")
[ ${#fss[@]} -gt 0 ] || fss=(ext4-dax xfs-dax)
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
d=$(mktemp -d /tmp/torn-seq1-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$torn" workloads generate --seq 1 --out "$d/wl" >/dev/null || { echo "FAIL generate"; exit 1; }
pass=0 fail=0 total=0 flagged=0 fp=0 i=0
t0=$(date +%s)
for w in "$d"/wl/*.fsops; do
	i=$((i + 1))
	[ $(((i - 1) % every)) -eq 0 ] || continue
	for fs in "${fss[@]}"; do
		name=$(basename "$w" .fsops)
		run="$d/$name-$fs"
		if ! "$torn" trace --fs "$fs" --workload "fsops:$w" --out "$run" >"$run.log" 2>&1; then
			fail=$((fail + 1)); echo "FAIL $name $fs: trace failed: $(tail -1 "$run.log")"; continue
		fi
		"$torn" check "$run" --order shuffle:1 --limit "$states" >>"$run.log" 2>&1
		rc=$?
		k=$(grep -c . "$run/verdicts.jsonl" 2>/dev/null); k=${k:-0}
		total=$((total + k))
		cls=$("$here/classify.sh" "$run/verdicts.jsonl")
		nf=$(awk '{s += $2} END {print s + 0}' <<<"$cls")
		flagged=$((flagged + nf))
		if grep -q '^unexplained' <<<"$cls"; then
			fp=$((fp + $(awk '/^unexplained/ {print $2}' <<<"$cls")))
			fail=$((fail + 1)); echo "FAIL $name $fs: $k states, unexplained: $cls"
			grep '"verdict":"\(inconsistent\|unrecoverable\)"' "$run/verdicts.jsonl" | head -2 | cut -c1-400 | sed 's/^/     /'
		elif [ $rc -gt 1 ]; then
			fail=$((fail + 1)); echo "FAIL $name $fs: torn check exit $rc"
		else
			pass=$((pass + 1)); echo "ok   $name $fs: $k states${cls:+, known findings: $(tr '\n' ' ' <<<"$cls")}"
		fi
		rm -rf "$run"
	done
done
echo "seq-1: $total states checked, $flagged flagged, $fp false positives; wall time $(($(date +%s) - t0)) s"
echo "seq1: $pass passed, $fail failed"
[ $fail -eq 0 ]
