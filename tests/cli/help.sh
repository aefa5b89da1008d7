#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every command's --help: usage on stdout, exit 0; torn run --help names
# an option for every spec key (harness/cli/run_spec.c's key table).
# usage: help.sh TORN
set -u
torn=$1
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

for cmd in "run" "workloads" "workloads check" "workloads generate" \
	"report" "trace-dump" "check"; do
	# shellcheck disable=SC2086 # cmd is words
	"$torn" $cmd --help >"$out" 2>/dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "torn $cmd --help exited $rc"
	grep -q "^usage: torn $cmd" "$out" || fail "torn $cmd --help: no usage"
done

"$torn" run --help >"$out"
for key in fs flush workload engine points model granularity out oracles \
	timeout jobs kernel modules cache limit from-op boot-timeout; do
	grep -q -- "--$key " "$out" || fail "torn run --help: no --$key"
done

[ "$fails" = 0 ] || exit 1
echo "help: all checks passed"
