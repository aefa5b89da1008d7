#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: torn check --shard I/N on copies of one traced run, joined by
# torn merge, gives the verdicts of an unsharded check, state by state
# (the seeded bug bug-noflush on devdax: a run with flagged states); the
# shards are disjoint; torn report of the merged run reports the whole
# check; a shard alone is reported as a shard.
torn=$1
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
d=$(mktemp -d /tmp/torn-shards-test-XXXXXX)
trap 'rm -rf "$d"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
# "STATE VERDICT FAILED-ORACLES", one line per state, sorted
table() { sed -n 's/^{"state":"\([^"]*\)".*"verdict":"\([a-z]*\)".*"failed":\[\([^]]*\)\].*/\1 \2 \3/p' "$1/verdicts.jsonl" | sort; }
eng=(--engine prefix)

"$torn" trace --fs devdax --flush clwb --workload bug-noflush --out "$d/run" >/dev/null 2>"$d/trace.err" ||
	{ cat "$d/trace.err"; echo "FAIL trace"; exit 1; }
for s in all 1 2 3; do cp -r "$d/run" "$d/$s"; done
"$torn" check "$d/all" "${eng[@]}" -j 2 >"$d/all.out" 2>&1; rc_all=$?
for i in 1 2 3; do
	"$torn" check "$d/$i" "${eng[@]}" -j 2 --shard "$i/3" >"$d/$i.out" 2>&1
	echo "shard $i/3: exit $?, $(wc -l <"$d/$i/verdicts.jsonl") states"
done
[ $rc_all -eq 1 ] && ok "unsharded check: exit 1, $(wc -l <"$d/all/verdicts.jsonl") states" ||
	{ bad "unsharded check: exit $rc_all"; tail -5 "$d/all.out"; }

# disjoint shards, every one with states
dups=$(cat "$d"/[123]/verdicts.jsonl | cut -d'"' -f4 | sort | uniq -d | wc -l)
empty=0
for i in 1 2 3; do [ -s "$d/$i/verdicts.jsonl" ] || empty=$((empty + 1)); done
[ "$dups" -eq 0 ] && [ $empty -eq 0 ] && ok "shards disjoint and none empty" ||
	bad "shards: $dups states in two shards, $empty empty"

# a shard alone: its own states only, not an incomplete check
"$torn" report "$d/2" >"$d/r2.out" 2>"$d/r2.err"; rc=$?
if [ $rc -le 1 ] && grep -q "shard 2 of 3" "$d/r2.err" && ! grep -q "ERROR:" "$d/r2.out"; then
	ok "torn report of one shard: exit $rc, a shard's report"
else
	bad "torn report of one shard: exit $rc"; cat "$d/r2.err"; grep ERROR "$d/r2.out"
fi

# merged == unsharded, state by state
"$torn" merge "$d/merged" "$d/3" "$d/1" "$d/2" >"$d/merge.out" 2>&1 ||
	{ bad "merge: $(cat "$d/merge.out")"; }
if diff <(table "$d/all") <(table "$d/merged") >"$d/diff"; then
	ok "merged verdicts equal the unsharded check's ($(table "$d/all" | wc -l) states)"
else
	bad "merged verdicts differ:"; head -20 "$d/diff"
fi
"$torn" report "$d/merged" >"$d/rm.out" 2>&1; rc=$?
[ $rc -eq 1 ] && ! grep -q "ERROR:" "$d/rm.out" && ok "torn report of the merged run: exit 1, complete" ||
	{ bad "torn report of the merged run: exit $rc"; grep -i "error\|shard" "$d/rm.out"; }

# refused: a shard missing, one given twice
"$torn" merge "$d/m2" "$d/1" "$d/2" >"$d/m2.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "shard 3 of 3 is missing" "$d/m2.out" && [ ! -e "$d/m2" ] &&
	ok "merge without shard 3: refused, nothing made" || bad "merge without shard 3: exit $rc: $(cat "$d/m2.out")"
"$torn" check "$d/1" "${eng[@]}" --resume --shard 2/3 >"$d/rs.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q -- "--shard 2/3: the run was checked as shard 1/3" "$d/rs.out" &&
	ok "--resume with another shard: refused" || bad "--resume with another shard: exit $rc: $(tail -2 "$d/rs.out")"
# a copy traced with another kit (another torn, another machine's kernel):
# refused before anything is written
cp -r "$d/run" "$d/kit"
sed -i 's/"kit": *"[0-9a-f]*"/"kit": "00000000000000000000000000000000000000000000000000000000000000ff"/' "$d/kit/meta.json"
"$torn" check "$d/kit" "${eng[@]}" --shard 1/3 >"$d/kit.out" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "was traced with kit 000000000000, this torn's kit is" "$d/kit.out" &&
	[ ! -e "$d/kit/check.json" ] && [ ! -e "$d/kit/verdicts.jsonl" ] &&
	ok "a run of another kit: refused, nothing written" || bad "a run of another kit: exit $rc: $(tail -2 "$d/kit.out")"
# the shards' check.json name the kit that checked them
grep -q '"kit": "[0-9a-f]\{64\}"' "$d/1/check.json" && ok "check.json records the checking kit" ||
	bad "check.json has no kit: $(cat "$d/1/check.json")"
echo "shards: $([ $fail = 0 ] && echo passed || echo failed)"
exit $fail
