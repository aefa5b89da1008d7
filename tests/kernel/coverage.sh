#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel: a run checked with --coverage on the --gcov kernel, and torn
# coverage of it: jbd2's recovery (jbd2_journal_recover, do_one_pass)
# reached, coverage_new per state, the states to 90%, the lcov tracefile,
# genhtml's report in headless chromium, the differential view against
# the same trace's first 30 states (which can reach nothing the whole run
# does not), --coverage-batch (every state counted, one read in 16,
# at least what per-state reads reached), and the errors: no coverage in
# a run, --coverage on the stock kernel.  Skips (exit 4) when the --gcov kernel is not built
# (TORN_KERNEL_BUILD=1 builds it).
# usage: coverage.sh TORN
set -uo pipefail
torn=${1:?usage: coverage.sh TORN}
work=$(mktemp -d /tmp/torn-kcov-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
mode=--cached
[ "${TORN_KERNEL_BUILD:-}" = 1 ] && mode=
id=$("$torn" kernel build --gcov $mode 2>"$work/kerr" | awk '/^kernel / {print $2}')
[ -n "$id" ] || { echo "skip: the --gcov kernel is not built (TORN_KERNEL_BUILD=1 $0 builds it)"; exit 4; }

run=$work/run
start=$(date +%s)
"$torn" run --workload files --fs ext4-dax --flush clwb --engine prefix \
	--kernel "$id" --coverage --out "$run" >"$work/run.log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
states=$(grep -c . "$run/verdicts.jsonl" 2>/dev/null)
withcov=$(grep -c '"coverage_new":' "$run/verdicts.jsonl" 2>/dev/null)
if [ $rc -eq 0 ] && [ "${states:-0}" -gt 0 ] && [ "$states" = "$withcov" ] &&
	[ -s "$run/coverage/summary.json" ]; then
	ok "torn run --coverage: $states states, each with coverage_new, ${secs} s; $(grep 'kernel coverage:' "$work/run.log")"
else
	bad "torn run --coverage: exit $rc, $states states, $withcov with coverage"; tail -5 "$work/run.log"
fi
ms=$(grep -o '"coverage":[0-9]*' "$run/verdicts.jsonl" | cut -d: -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "     median gcov read per state: ${ms:-?} ms"

"$torn" coverage "$run" --html "$work/html" --lcov "$work/lcov.info" >"$work/cov.txt" 2>"$work/cov.err"
rc=$?
[ $rc -eq 0 ] && ok "torn coverage: exit 0" || { bad "torn coverage: exit $rc"; cat "$work/cov.err"; }
sed 's/^/     /' "$work/cov.txt" | grep -E 'jbd2/recovery|^     fs/|^     drivers|all profiled|states reached'
for fn in jbd2_journal_recover do_one_pass; do
	n=$(awk -F'[:,]' -v f="$fn" '$1 == "FNDA" && $3 == f { print $2 }' "$work/lcov.info" | head -1)
	[ "${n:-0}" -gt 0 ] && ok "lcov: $fn ran $n times" || bad "lcov: $fn not reached"
done
grep -q '^fs/jbd2/recovery.c ' "$work/cov.txt" && ok "the table has fs/jbd2/recovery.c" ||
	bad "no fs/jbd2/recovery.c row"
grep -q 'states reached 90% of the' "$work/cov.txt" && ok "$(grep 'states reached 90%' "$work/cov.txt")" ||
	bad "no 90% line"

browser=$(command -v chromium || true)
if [ -n "$browser" ] && [ -s "$work/html/index.html" ]; then
	page=$(find "$work/html" -path '*jbd2*' -name 'recovery.c.gcov.html' | head -1)
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$work/profile" --dump-dom "file://$work/html/index.html" \
		>"$work/index.dom" 2>/dev/null
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$work/profile" --dump-dom "file://$page" >"$work/rec.dom" 2>/dev/null
	if grep -q 'jbd2' "$work/index.dom" && grep -q 'do_one_pass' "$work/rec.dom" &&
		grep -q 'lineCov' "$work/rec.dom"; then
		ok "genhtml's report in chromium: the index names jbd2, recovery.c's page shows do_one_pass with covered lines"
	else
		bad "genhtml's report in chromium"
	fi
else
	bad "no HTML report (or no chromium)"
fi

# the first 30 states of the same trace reach nothing the whole run does not
run2=$work/run2
mkdir -p "$run2"
for f in "$run"/*; do
	case $(basename "$f") in verdicts.jsonl* | coverage | report* | junit*) ;; *) cp -a "$f" "$run2/" ;; esac
done
"$torn" check "$run2" --coverage --limit 30 --engine prefix >"$work/run2.log" 2>&1
"$torn" coverage "$run" --base "$run2" >"$work/diff.txt" 2>&1
line=$(grep ' did not$' "$work/diff.txt")
if echo "$line" | grep -q "$run2 reached 0 lines $run did not"; then
	ok "differential view: $line"
else
	bad "differential view: $line"; tail -3 "$work/diff.txt"
fi

# the same 30 states read once every 16 states of a checker: every state
# counted, at most 30/16 + 2 reads with a verdict line (each checker's last
# batch is read when it stops), and at least what per-state reading reached
# (a batch also counts the oracles' own calls between the recoveries)
run3=$work/run3
cp -a "$run2" "$run3"
"$torn" check "$run3" --fresh --coverage-batch 16 --limit 30 --engine prefix >"$work/run3.log" 2>&1
rc=$?
n3=$(grep -c . "$run3/verdicts.jsonl")
r3=$(grep -c '"coverage_new":' "$run3/verdicts.jsonl")
sum3=$(cat "$run3/coverage/summary.json" 2>/dev/null)
reached2=$(sed -n 's/.*"reached":\([0-9]*\).*/\1/p' "$run2/coverage/summary.json" 2>/dev/null)
reached3=$(sed -n 's/.*"reached":\([0-9]*\).*/\1/p' <<<"$sum3")
if [ $rc = 0 ] && [ "$n3" = 30 ] && grep -q '"states":30,"batch":16,"lost":0' <<<"$sum3" &&
	[ "$r3" -le 3 ] && [ "${reached3:-0}" -ge "${reached2:-1}" ]; then
	ok "--coverage-batch 16: 30 states counted, $r3 read with a verdict, $reached3 counters reached (per state: $reached2)"
else
	bad "--coverage-batch 16: exit $rc, $n3 states, $r3 reads, $sum3 (per state: ${reached2:-?} reached)"
	tail -3 "$work/run3.log"
fi

# errors: one line, exit 2
"$torn" coverage "$work" >/dev/null 2>"$work/e1"; rc=$?
[ $rc = 2 ] && grep -q 'has no coverage' "$work/e1" && ok "no coverage in a run: $(cat "$work/e1")" ||
	bad "no coverage: exit $rc $(cat "$work/e1")"
rel=$(ls /boot | sed -n 's/^vmlinuz-//p' | sort -V | tail -1)
"$torn" check "$run2" --coverage --fresh --limit 1 --kernel "/boot/vmlinuz-$rel" \
	--modules "/lib/modules/$rel" >/dev/null 2>"$work/e2"; rc=$?
grep -q -- '--coverage needs a kernel torn built with --gcov' "$work/e2" && [ $rc = 2 ] &&
	ok "the stock kernel: $(grep -- '--coverage' "$work/e2")" || bad "--coverage on the stock kernel: exit $rc $(cat "$work/e2")"
exit $fail
