#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# torn trace-dump end to end: text form, --stats, exit codes, messages.
# usage: trace_dump.sh TORN FUZZ_TRACE_MUTATE
set -u
torn=$1
seeder=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect CODE CMD...: run CMD, check its exit status
expect() {
	want=$1
	shift
	"$@" >"$dir/out" 2>"$dir/err"
	got=$?
	[ "$got" = "$want" ] || fail "$* exited $got, not $want"
}

"$seeder" --write-seeds "$dir" >/dev/null || exit 1

# seed-00.torn is a binary trace, seed-01.txt its text form.
expect 0 "$torn" trace-dump "$dir/seed-00.torn"
cmp -s "$dir/out" "$dir/seed-01.txt" || fail "text form differs"
[ -s "$dir/err" ] && fail "stderr not empty on success"

expect 0 "$torn" trace-dump --stats "$dir/seed-00.torn"
grep -q '^records: 6$' "$dir/out" || fail "--stats: no 'records: 6'"
grep -q '^markers: 1$' "$dir/out" || fail "--stats: no 'markers: 1'"
grep -q '^lines touched: 2$' "$dir/out" || fail "--stats: lines touched"

head -c 100 "$dir/seed-00.torn" >"$dir/cut.torn"
expect 3 "$torn" trace-dump "$dir/cut.torn"
[ "$(wc -l <"$dir/err")" = 1 ] || fail "corrupt: not one line on stderr"
grep -q "^torn: cannot read trace '$dir/cut.torn': record 1 at byte 0x5c: " \
	"$dir/err" || fail "corrupt: message: $(cat "$dir/err")"
[ -s "$dir/out" ] && fail "corrupt: stdout not empty"

expect 3 "$torn" trace-dump "$dir/missing.torn"
expect 3 "$torn" trace-dump "$dir/seed-01.txt"
expect 2 "$torn" trace-dump
expect 2 "$torn" trace-dump --bogus "$dir/seed-00.torn"
expect 2 "$torn" trace-dump "$dir/seed-00.torn" "$dir/seed-00.torn"
expect 0 "$torn" trace-dump --help
grep -q '^usage: torn trace-dump FILE \[--stats\]' "$dir/out" ||
	fail "--help: no usage line"

# a reader that goes away (| head) is the end of the output, not an
# error: the writer starts after the reader is gone, so it gets EPIPE
for opt in "" --stats; do
	{
		sleep 0.3
		"$torn" trace-dump $opt "$dir/seed-00.torn" 2>"$dir/err"
		echo $? >"$dir/rc"
	} | true
	[ "$(cat "$dir/rc")" = 0 ] ||
		fail "trace-dump $opt | true exited $(cat "$dir/rc"), not 0"
	[ -s "$dir/err" ] && fail "trace-dump $opt | true: $(cat "$dir/err")"
done

# names from the user are shown with their control bytes escaped
esc=$(printf '\033')
expect 3 "$torn" trace-dump "$dir/a${esc}[2Jb.torn"
grep -qF "'$dir/a\x1b[2Jb.torn': No such file or directory" "$dir/err" ||
	fail "control bytes of a path: $(cat "$dir/err")"
grep -q "$esc" "$dir/err" && fail "an escape byte reached stderr"
expect 2 "$torn" trace-dump "--x${esc}[31m"
grep -qF "unknown option '--x\x1b[31m'" "$dir/err" ||
	fail "control bytes of an option: $(cat "$dir/err")"

# what is not a trace is refused at once, not read to its end
expect 3 timeout 10 "$torn" trace-dump /dev/zero --stats
grep -qF "'/dev/zero': not a regular file" "$dir/err" ||
	fail "/dev/zero: $(cat "$dir/err")"

[ "$fails" = 0 ] || exit 1
echo "trace_dump: all checks passed"
