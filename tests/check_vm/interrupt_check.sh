#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: SIGINT or SIGTERM to torn check while its checker guests work
# loses nothing and leaves nothing: exit 130 with "interrupted; N verdicts
# kept in RUN/verdicts.jsonl; continue with torn check RUN --resume", N
# whole lines in the file, no checker work directory and no QEMU left;
# --resume then checks exactly the states still to check (the seeded bug
# bug-noflush on devdax, so that it has flagged states to keep).
torn=$1
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
d=$(mktemp -d /tmp/torn-interrupt-test-XXXXXX)
trap 'pkill -9 -f "$d/" 2>/dev/null; rm -rf "$d"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
eng=(--engine prefix)

"$torn" trace --fs devdax --flush clwb --workload bug-noflush --out "$d/run" >/dev/null 2>"$d/trace.err" ||
	{ cat "$d/trace.err"; echo "FAIL trace"; exit 1; }
want=$("$torn" states "$d/run" "${eng[@]}" --stats 2>&1 | sed -n 's/^states to check \([0-9]*\).*/\1/p')
[ -n "$want" ] && [ "$want" -gt 20 ] || { echo "FAIL: states to check: '$want'"; exit 1; }

for sig in INT TERM; do
	run=$d/$sig
	cp -r "$d/run" "$run"
	mkdir -p "$d/tmp-$sig"
	TMPDIR=$d/tmp-$sig "$torn" check "$run" "${eng[@]}" -j 2 >"$d/$sig.out" 2>"$d/$sig.err" &
	pid=$!
	# a few verdicts in: both checkers up and working
	for _ in $(seq 1 900); do
		[ "$(cat "$run/verdicts.jsonl" 2>/dev/null | wc -l)" -ge 4 ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	kill -s "$sig" $pid
	wait $pid
	rc=$?
	kept=$(wc -l <"$run/verdicts.jsonl")
	if [ $rc -eq 130 ] &&
		grep -q "interrupted; $kept verdicts\? kept in $run/verdicts.jsonl; continue with torn check $run --resume" "$d/$sig.err"; then
		ok "SIG$sig: exit 130, says $kept verdicts kept and how to continue"
	else
		bad "SIG$sig: exit $rc, $kept verdicts; stderr:"; tail -3 "$d/$sig.err"
	fi
	[ "$kept" -lt "$want" ] || bad "SIG$sig came after the check had finished ($kept of $want)"
	whole=$(python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    json.loads(l); n+=1
print(n)' "$run/verdicts.jsonl" 2>/dev/null)
	[ "$whole" = "$kept" ] && ok "SIG$sig: the $kept lines are whole JSON" ||
		bad "SIG$sig: verdicts.jsonl has a broken line ($whole of $kept read)"
	left=$(find "$d/tmp-$sig" -mindepth 1 -maxdepth 1 | wc -l)
	[ "$left" -eq 0 ] && ok "SIG$sig: no checker work directory left" ||
		{ bad "SIG$sig: $left left in TMPDIR:"; ls -la "$d/tmp-$sig"; }
	sleep 1
	pgrep -f "qemu-system.*$d/" >/dev/null && bad "SIG$sig: a QEMU of this check survived" ||
		ok "SIG$sig: no QEMU left"
	"$torn" check "$run" --resume -j 2 >"$d/$sig.resume" 2>&1
	rc=$?
	total=$(wc -l <"$run/verdicts.jsonl")
	dups=$(cut -d'"' -f4 "$run/verdicts.jsonl" | sort | uniq -d | wc -l)
	[ $rc -eq 1 ] && [ "$total" -eq "$want" ] && [ "$dups" -eq 0 ] &&
		ok "SIG$sig: --resume checked the rest: $total of $want states, none twice, bug caught" ||
		{ bad "SIG$sig: --resume: exit $rc, $total of $want states, $dups twice"; tail -3 "$d/$sig.resume"; }
done
exit $fail
