#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Validation suite: runs each row of rows.txt with `torn run` and checks the
# verdict.  A `caught` row (a seeded bug) must exit 1 with at least one
# flagged state that no known kernel finding explains (torn run records
# the finding of each flagged state it knows, docs/findings.md, and exits
# 0 when every one is known).  A `clean` row must exit 0 with no flagged
# state beyond the known findings.  TORN_VALIDATION=full runs every
# row; otherwise only the rows tagged ci.  Prints a line per row, the
# detection rate and the false-positive count, and closes with
# "N passed, N failed".  TORN_RUN_ARGS: more words for every torn run
# (the kernel tests give --kernel built:HASH).
# usage: validate.sh TORN [ROWS-FILE] [OUT-DIR]
here=$(cd "$(dirname "$0")" && pwd)
torn=${1:?usage: validate.sh TORN [ROWS] [OUT]}
rows=${2:-$here/rows.txt}
out=${3:-}
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
keep=1
[ -n "$out" ] || { out=$(mktemp -d /tmp/torn-validation-XXXXXX); keep=0; }
mkdir -p "$out"
pass=0 fail=0 seeded=0 detected=0 clean=0 fp=0 known=0 states=0 n=0
t0=$(date +%s)
while read -r wl fs flush engines points expect tags; do
	case "$wl" in ''|\#*) continue ;; esac
	[ "${TORN_VALIDATION:-}" = full ] || [[ ",$tags," == *",ci,"* ]] || continue
	n=$((n + 1))
	name=${wl##*/} # fsops:DIR/FILE.fsops: the file's name
	dir="$out/$n-${name//[:]/_}-$fs-$flush-${engines//[:,]/_}-${points//,/_}"
	start=$(date +%s)
	"$torn" run --workload "$wl" --fs "$fs" --flush "$flush" --engine "$engines" \
		--points "$points" --out "$dir" ${TORN_RUN_ARGS:-} >"$dir.log" 2>&1
	rc=$?
	k=$(grep -c . "$dir/verdicts.jsonl" 2>/dev/null); k=${k:-0}
	bad=$(grep -c '"verdict":"\(inconsistent\|unrecoverable\)"' "$dir/verdicts.jsonl" 2>/dev/null); bad=${bad:-0}
	states=$((states + k))
	note=""
	cls=$("$here/classify.sh" "$dir/verdicts.jsonl")
	new=$(awk '/^unexplained/ {print $2}' <<<"$cls")
	kn=$(grep -v '^unexplained' <<<"$cls" | tr '\n' ' ')
	[ -n "${kn// }" ] && note=" (known kernel findings: $kn)"
	if [ "$expect" = caught ]; then
		seeded=$((seeded + 1))
		good=0
		# caught: torn run exits 1 for flagged states no finding explains
		if [ $rc -eq 1 ] && [ -n "$new" ]; then
			detected=$((detected + 1))
			good=1
		fi
	else
		clean=$((clean + 1))
		good=$([ $rc -eq 0 ] && [ -z "$new" ] && echo 1 || echo 0)
		[ -n "$new" ] && fp=$((fp + 1))
		[ $rc -eq 0 ] && [ -n "${kn// }" ] && known=$((known + 1))
	fi
	line=$(printf '%-17s %-9s %-10s %-22s %-12s %-7s exit %d, %d states, %d flagged, %ds%s' \
		"$wl" "$fs" "$flush" "$engines" "$points" "$expect" "$rc" "$k" "$bad" \
		$(($(date +%s) - start)) "$note")
	if [ "$good" = 1 ]; then
		pass=$((pass + 1)); echo "ok   $line"
	else
		fail=$((fail + 1)); echo "FAIL $line"; tail -5 "$dir.log" | sed 's/^/     /'
	fi
	[ $keep = 1 ] || rm -rf "$dir" "$dir.log"
done <"$rows"
[ $keep = 1 ] || rm -rf "$out"
echo "seeded bugs detected: $detected/$seeded; false positives: $fp/$clean correct runs ($known more flagged only by known kernel findings); states checked: $states; wall time: $(($(date +%s) - t0)) s"
echo "validation: $pass passed, $fail failed"
[ $fail -eq 0 ]
