#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: a user's own tests, as docs/own-tests.md runs them.  The
# libpmemobj example (examples/pmemobj-log) from its spec: the correct
# program's crash states all pass its checker; its seeded bug (expect =
# inconsistent) is caught, so that run passes too; torn replay re-checks
# a flagged state in a guest with the test staged again; the Java
# example (examples/java-log: a JVM, MAP_SYNC) and its seeded bug; a
# script that
# fails before STOP is exit 3 with its output shown; bad paths fail
# before anything boots.  Engines subsets:1 and one record keep it short
# (the specs' defaults check ~1,100 states each).
torn=$1 pmlog=$2 src=$3 javadir=$4
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
[ -x "$pmlog" ] || { echo "skip: pmlog not built (no libpmemobj-dev)"; exit 4; }
d=$(mktemp -d /tmp/torn-own-test-XXXXXX)
trap 'rm -rf "$d"' EXIT
cd "$src" || exit 1
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
ex=examples/pmemobj-log
quick=(--program "$pmlog" --checker "$pmlog" --engine subsets:1 -j 2)
one=(--args "append {target}/log.pool 1") # one record, not the specs' 2

# before anything boots: one line, exit 2
"$torn" run --program /no/such/prog --out "$d/x" >"$d/x.out" 2>"$d/x.err"; rc=$?
[ $rc -eq 2 ] && grep -q "program '/no/such/prog': no such file" "$d/x.err" &&
	[ ! -e "$d/x/trace.torn" ] && ok "a missing program: exit 2 before a boot" ||
	{ bad "a missing program: exit $rc"; cat "$d/x.err"; }
"$torn" run $ex/pmlog.torn --program "$pmlog" --env NOEQUALS --out "$d/y" >"$d/y.out" 2>"$d/y.err"; rc=$?
[ $rc -eq 2 ] && grep -q "env: 'NOEQUALS' is not NAME=VALUE" "$d/y.err" &&
	ok "a bad env word: exit 2 before a boot" || { bad "a bad env word: exit $rc"; cat "$d/y.err"; }

# the correct program: every state consistent
"$torn" run $ex/pmlog.torn "${quick[@]}" "${one[@]}" --out "$d/ok" >"$d/ok.out" 2>"$d/ok.err"; rc=$?
n=$(grep -c . "$d/ok/verdicts.jsonl" 2>/dev/null)
if [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ] && grep -q "verdict: all $n crash states consistent" "$d/ok.out" &&
	[ -s "$d/ok/stage.cpio" ]; then
	ok "pmlog.torn: $n states, all consistent, the checker ran on each"
else
	bad "pmlog.torn: exit $rc, ${n:-0} states"; tail -5 "$d/ok.out" "$d/ok.err"
fi
c=$(grep -c '"custom":{"ok":true}' "$d/ok/verdicts.jsonl" 2>/dev/null)
[ "${c:-0}" -eq "${n:-0}" ] && [ "${c:-0}" -gt 0 ] && ok "the custom oracle passed $c states" ||
	bad "the custom oracle ran on ${c:-0} of ${n:-0} states"

# the seeded bug: caught, so the test passes
"$torn" run $ex/pmlog-bug.torn "${quick[@]}" --args "append {target}/log.pool 1 --bug" --out "$d/bug" >"$d/bug.out" 2>"$d/bug.err"; rc=$?
f=$(grep -c '"custom":{"ok":false,"detail":"pmlog: record [0-9]* of [0-9]* is committed but holds' "$d/bug/verdicts.jsonl" 2>/dev/null)
if [ $rc -eq 0 ] && [ "${f:-0}" -gt 0 ] && grep -q "expect = inconsistent: the bug was caught" "$d/bug.out"; then
	ok "pmlog-bug.torn: caught in $f states, exit 0 as expected"
else
	bad "pmlog-bug.torn: exit $rc, ${f:-0} states caught"; tail -5 "$d/bug.out" "$d/bug.err"
fi

# torn replay boots the stage from the run directory for its re-check
st=$(grep -m1 '"verdict":"inconsistent"' "$d/bug/verdicts.jsonl" | cut -d'"' -f4)
if [ -n "$st" ]; then
	"$torn" replay "$d/bug" "$st" >"$d/replay.out" 2>&1; rc=$?
	[ $rc -eq 1 ] && grep -q "is committed but holds" "$d/replay.out" &&
		ok "torn replay $st: re-checked with the staged checker, flagged again" ||
		{ bad "torn replay $st: exit $rc"; tail -8 "$d/replay.out"; }
else
	bad "no flagged state to replay"
fi

# the Java example: a JVM writing through MAP_SYNC, its twin and its bug
if [ -x "$javadir/jre/bin/java" ]; then
	jf=(--file "$javadir/jre" --file "$javadir/classes")
	for spec in wallog wallog-bug; do
		"$torn" run examples/java-log/$spec.torn "${jf[@]}" -j 2 --out "$d/$spec" \
			>"$d/$spec.out" 2>"$d/$spec.err"; rc=$?
		n=$(grep -c . "$d/$spec/verdicts.jsonl" 2>/dev/null)
		f=$(grep -c '"custom":{"ok":false,"detail":"WalLog: record [0-9]* of [0-9]* is committed but holds' \
			"$d/$spec/verdicts.jsonl" 2>/dev/null)
		if [ $spec = wallog ] && [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ] && [ "${f:-0}" -eq 0 ] &&
			grep -q "verdict: all $n crash states consistent" "$d/$spec.out"; then
			ok "wallog.torn (Java, MAP_SYNC): $n states, all consistent"
		elif [ $spec = wallog-bug ] && [ $rc -eq 0 ] && [ "${f:-0}" -gt 0 ] &&
			grep -q "the bug was caught" "$d/$spec.out"; then
			ok "wallog-bug.torn (Java): caught in $f of ${n:-0} states"
		else
			bad "$spec.torn: exit $rc, ${n:-0} states, ${f:-0} flagged"; tail -5 "$d/$spec.out" "$d/$spec.err"
		fi
	done
else
	bad "the Java example was not built (openjdk-17-jdk-headless)"
fi

# a script that fails before STOP: infrastructure, its output shown
"$torn" run --script "$src/tests/own/fail.sh" --arg 'two words' --out "$d/fail" \
	>"$d/fail.out" 2>"$d/fail.err"; rc=$?
if [ $rc -eq 3 ] && grep -q "ended with exit 7 before STOP" "$d/fail.err" &&
	grep -q "fail.sh got 'two words' and fails now" "$d/fail.err" &&
	grep -q "fail.sh: to stderr" "$d/fail.err" && ! grep -q "^verdict: all" "$d/fail.out"; then
	ok "a failing script: exit 3 with its stdout and stderr"
else
	bad "a failing script: exit $rc"; cat "$d/fail.err" | tail -8
fi
[ $fail -eq 0 ] && echo "own tests: all passed" || echo "own tests: FAILED"
exit $fail
