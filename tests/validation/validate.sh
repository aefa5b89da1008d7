#!/bin/bash
# Validation suite: runs each row of rows.txt with `torn run` and checks the
# verdict: `caught` rows must exit 1 (an inconsistent state found), `clean`
# rows must exit 0.  TORN_VALIDATION=full runs every row; otherwise only the
# rows tagged ci.  Prints a line per row, the detection rate and the
# false-positive count, and closes with "N passed, N failed".
# usage: validate.sh TORN [ROWS-FILE] [OUT-DIR]
torn=${1:?usage: validate.sh TORN [ROWS] [OUT]}
rows=${2:-$(dirname "$0")/rows.txt}
out=${3:-}
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
keep=1
[ -n "$out" ] || { out=$(mktemp -d /tmp/torn-validation-XXXXXX); keep=0; }
mkdir -p "$out"
pass=0 fail=0 seeded=0 detected=0 clean=0 fp=0 states=0 n=0
t0=$(date +%s)
while read -r wl fs flush engines points expect tags; do
	case "$wl" in ''|\#*) continue ;; esac
	[ "${TORN_VALIDATION:-}" = full ] || [[ ",$tags," == *",ci,"* ]] || continue
	n=$((n + 1))
	dir="$out/$n-$wl-$fs-$flush-${engines//[:,]/_}-${points//,/_}"
	start=$(date +%s)
	"$torn" run --workload "$wl" --fs "$fs" --flush "$flush" --engine "$engines" \
		--points "$points" --out "$dir" >"$dir.log" 2>&1
	rc=$?
	k=$(wc -l <"$dir/verdicts.jsonl" 2>/dev/null || echo 0)
	bad=$(grep -c '"verdict":"\(inconsistent\|unrecoverable\)"' "$dir/verdicts.jsonl" 2>/dev/null || echo 0)
	states=$((states + k))
	if [ "$expect" = caught ]; then
		seeded=$((seeded + 1))
		[ $rc -eq 1 ] && detected=$((detected + 1))
		want=1
	else
		clean=$((clean + 1))
		[ $rc -eq 1 ] && fp=$((fp + 1))
		want=0
	fi
	line=$(printf '%-17s %-9s %-10s %-22s %-12s %-7s exit %d, %d states, %d flagged, %ds' \
		"$wl" "$fs" "$flush" "$engines" "$points" "$expect" "$rc" "$k" "$bad" $(($(date +%s) - start)))
	if [ $rc -eq $want ]; then
		pass=$((pass + 1)); echo "ok   $line"
	else
		fail=$((fail + 1)); echo "FAIL $line"; tail -5 "$dir.log" | sed 's/^/     /'
	fi
	[ $keep = 1 ] || rm -rf "$dir" "$dir.log"
done <"$rows"
[ $keep = 1 ] || rm -rf "$out"
echo "seeded bugs detected: $detected/$seeded; false positives: $fp/$clean correct runs; states checked: $states; wall time: $(($(date +%s) - t0)) s"
echo "validation: $pass passed, $fail failed"
[ $fail -eq 0 ]
