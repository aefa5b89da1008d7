#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: torn check on a real traced run.  Every oracle gets a state that
# must be flagged beside states that must pass; a hanging, babbling checker
# ends in `timeout` verdicts while the run completes; verdicts do not depend
# on the order states are checked in; --resume checks only what is missing;
# --from-op checks exactly the states from that op on; a corrupt directory
# block is flagged by the dmesg and usability oracles; a guest that dies
# mid-check is restarted and the state recorded as an error; SIGINT
# leaves no guest behind and no half-written verdict; the backing file a
# state is checked on equals its image built from scratch, byte for byte,
# with recovery's writes tracked; nothing one state leaves cached in the
# guest leaks into the next; checkers started warm from a saved guest give
# the same verdicts as booted ones, and a corrupt saved guest is said,
# deleted and replaced while the check goes on by booting.
torn=$1
mktrace=$2
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
d=$(mktemp -d /tmp/torn-check-test-XXXXXX)
trap 'rm -rf "$d"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
# a few states spread over the whole trace: one per 1000 stores
sel=(--points store:1000 --engine random:1:1)
verdicts() { grep -o '"verdict":"[a-z]*"' "$1/verdicts.jsonl" | cut -d'"' -f4 | sort | uniq -c | tr -s ' ' | tr '\n' ' '; }
count() { grep -c "$2" "$1/verdicts.jsonl"; }

"$torn" trace --fs ext4-dax --workload files --out "$d/run" >/dev/null 2>"$d/trace.err" ||
	{ cat "$d/trace.err"; echo "FAIL trace"; exit 1; }

# 1. the correct run: every state consistent
cp -r "$d/run" "$d/good"
"$torn" check "$d/good" "${sel[@]}" >"$d/good.out" 2>&1; rc=$?
n=$(wc -l <"$d/good/verdicts.jsonl")
if [ $rc -eq 0 ] && [ "$n" -ge 5 ] && [ "$(count "$d/good" '"consistent"')" -eq "$n" ]; then
	ok "correct run: $n states, $(verdicts "$d/good")"
else
	bad "correct run: exit $rc, $(verdicts "$d/good")"; cat "$d/good.out"
fi

# 2. mount + fsck: the ext4 superblock zeroed in the base image
cp -r "$d/run" "$d/sb"
sbmagic=$(LC_ALL=C grep -obUaP '\x53\xef\x01\x00' "$d/sb/base.img" | cut -d: -f1 |
	while read -r off; do [ $(((off - 0x38 - 1024) % 4096)) -eq 0 ] && { echo $((off - 0x38)); break; }; done)
if [ -z "$sbmagic" ]; then
	bad "no ext4 superblock found in base.img"
else
	dd if=/dev/zero of="$d/sb/base.img" bs=1 seek="$sbmagic" count=1024 conv=notrunc 2>/dev/null
	"$torn" check "$d/sb" "${sel[@]}" --limit 3 >/dev/null 2>&1; rc=$?
	if [ $rc -eq 1 ] && [ "$(count "$d/sb" '"unrecoverable"')" -eq 3 ] &&
	   grep -q '"fsck":{"ok":false' "$d/sb/verdicts.jsonl"; then
		ok "zeroed superblock: mount and fsck flag all 3 states ($(verdicts "$d/sb"))"
	else
		bad "zeroed superblock: exit $rc, $(verdicts "$d/sb")"
	fi
fi

# 3. durability: a promise the workload never kept (a file after its fsync)
cp -r "$d/run" "$d/dur"
echo "durable 3 f * * 4096 0000000000000000 ./ghost" >>"$d/dur/expected.txt"
"$torn" check "$d/dur" "${sel[@]}" >/dev/null 2>&1; rc=$?
nd=$(count "$d/dur" '"durability":{"ok":false')
np=$(count "$d/dur" '"durability":{"ok":true')
if [ $rc -eq 1 ] && [ "$nd" -ge 1 ] && [ "$np" -ge 1 ]; then
	ok "missing durable file: $nd states flagged (after the fsync), $np passed (before it)"
else
	bad "durability: exit $rc, flagged $nd, passed $np"
fi

# 4. atomicity: an op that claims to be atomic over paths that never change
cp -r "$d/run" "$d/atom"
printf 'op 4 1 rename a b\npre 4 f * * 1 0000000000000000 ./x\npost 4 f * * 1 0000000000000000 ./y\n' >>"$d/atom/expected.txt"
sed -i '/^durable/d' "$d/atom/expected.txt"
"$torn" check "$d/atom" "${sel[@]}" --oracles atomicity,mount >/dev/null 2>&1; rc=$?
na=$(count "$d/atom" '"atomicity":{"ok":false')
if [ $rc -eq 1 ] && [ "$na" -ge 1 ]; then
	ok "rename caught halfway (neither before nor after): $na states flagged"
else
	bad "atomicity: exit $rc, flagged $na"
fi

# 5. custom: a checker that exits 1 beside one that exits 0
cp -r "$d/run" "$d/cf"; cp -r "$d/run" "$d/ct"
"$torn" check "$d/cf" "${sel[@]}" --limit 2 --checker false --oracles custom,mount >/dev/null 2>&1; rcf=$?
"$torn" check "$d/ct" "${sel[@]}" --limit 2 --checker true --oracles custom,mount >/dev/null 2>&1; rct=$?
if [ $rcf -eq 1 ] && [ "$(count "$d/cf" '"custom":{"ok":false')" -eq 2 ] &&
   [ $rct -eq 0 ] && [ "$(count "$d/ct" '"custom":{"ok":true')" -eq 2 ]; then
	ok "custom checker: exit 1 flagged, exit 0 passed"
else
	bad "custom checker: false->$rcf true->$rct"
fi

# 6. a checker that hangs and babbles: timeout verdicts, the run completes
cp -r "$d/run" "$d/hang"
"$torn" check "$d/hang" "${sel[@]}" --limit 2 --timeout 3 --checker "cat /dev/zero" --oracles custom,mount >/dev/null 2>&1; rc=$?
if [ "$(count "$d/hang" '"timeout"')" -eq 2 ] && [ "$(wc -l <"$d/hang/verdicts.jsonl")" -eq 2 ]; then
	ok "hanging checker: 2 timeout verdicts, run completed (exit $rc)"
else
	bad "hanging checker: exit $rc, $(verdicts "$d/hang")"
fi

# 7. order independence: the same states, reversed, give the same verdicts
cp -r "$d/run" "$d/rev"
"$torn" check "$d/rev" "${sel[@]}" --order reverse -j 1 >/dev/null 2>&1
key() { grep -o '"state":"[^"]*"\|"semantic_hash":"[^"]*"\|"verdict":"[^"]*"' "$1/verdicts.jsonl" | paste - - - | sort; }
if [ -n "$(key "$d/good")" ] && [ "$(key "$d/good")" = "$(key "$d/rev")" ]; then
	ok "reverse order: identical verdicts and semantic hashes"
else
	bad "reverse order differs"; diff <(key "$d/good") <(key "$d/rev")
fi

# 8. resume: a run cut short checks only what is missing
cp -r "$d/run" "$d/res"
"$torn" check "$d/res" "${sel[@]}" --limit 2 >/dev/null 2>&1
"$torn" check "$d/res" "${sel[@]}" --resume >"$d/res.out" 2>&1
if [ "$(wc -l <"$d/res/verdicts.jsonl")" -eq "$n" ] && grep -q 'skipped 2 states' "$d/res.out"; then
	ok "resume: 2 kept, the rest checked, $n in all"
else
	bad "resume: $(wc -l <"$d/res/verdicts.jsonl") lines"; cat "$d/res.out"
fi

# 9. --from-op: exactly the states of the correct run from op 3's begin on
cp -r "$d/run" "$d/from"
"$torn" check "$d/from" "${sel[@]}" --from-op 3 >"$d/from.out" 2>&1
late() { grep -E '"last_op_begin":([3-9]|[1-9][0-9])' "$1/verdicts.jsonl" | grep -o '"state":"[^"]*"' | sort; }
nf=$(wc -l <"$d/from/verdicts.jsonl")
if [ "$nf" -gt 0 ] && [ "$nf" -lt "$n" ] && [ "$(late "$d/good")" = "$(grep -o '"state":"[^"]*"' "$d/from/verdicts.jsonl" | sort)" ]; then
	ok "--from-op 3: $nf of $n states, the same as the full run's from op 3 on"
else
	bad "--from-op 3: $nf states"; cat "$d/from.out"
fi
"$torn" check "$d/from" --resume --from-op 99 >"$d/from99.out" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q -- '--from-op 99: the run was checked from op 3 (check.json)' "$d/from99.out" && [ "$(wc -l <"$d/from/verdicts.jsonl")" -eq "$nf" ]; then
	ok "--resume --from-op 99 on a run checked from op 3: usage error, verdicts kept"
else
	bad "--from-op 99: exit $rc"; cat "$d/from99.out"
fi
"$torn" check "$d/from" --fresh --from-op 99 >"$d/from99.out" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q 'the trace has ops 1\.\.' "$d/from99.out"; then
	ok "--from-op 99: usage error ($(cat "$d/from99.out"))"
else
	bad "--fresh --from-op 99: exit $rc"; cat "$d/from99.out"
fi
# A checked run is never truncated: without --resume or --fresh, refused
# before anything boots, the verdicts as they were.
"$torn" check "$d/from" >"$d/again.out" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q 'already holds .* --resume continues, --fresh starts over' "$d/again.out" && [ "$(wc -l <"$d/from/verdicts.jsonl")" -eq "$nf" ]; then
	ok "checked run again without --resume: refused, $nf verdicts kept"
else
	bad "checked run again without --resume: exit $rc"; cat "$d/again.out"
fi

# 10. dmesg + usability: lost+found's directory block fails its checksum.
# The mount works, but reading the directory logs "EXT4-fs error" and no
# file can be created in it; the states of the correct run passed both.
cp -r "$d/run" "$d/lf"
dd if="$d/lf/base.img" of="$d/lf.fs" bs=1M skip=2 2>/dev/null
blk=$(debugfs -R "bmap /lost+found 0" "$d/lf.fs" 2>/dev/null)
if ! [ "${blk:-0}" -gt 0 ] 2>/dev/null; then
	bad "no lost+found block found with debugfs"
else
	printf 'torn' | dd of="$d/lf/base.img" bs=1 seek=$((2097152 + blk * 4096 + 64)) conv=notrunc 2>/dev/null
	"$torn" check "$d/lf" "${sel[@]}" --limit 2 >/dev/null 2>&1; rc=$?
	nm=$(count "$d/lf" '"dmesg":{"ok":false,"detail":"[^"]*EXT4-fs error')
	nu=$(count "$d/lf" '"usability":{"ok":false')
	ng=$(grep -c '"dmesg":{"ok":true}.*"usability":{"ok":true}\|"usability":{"ok":true}.*"dmesg":{"ok":true}' "$d/good/verdicts.jsonl")
	if [ $rc -eq 1 ] && [ "$nm" -eq 2 ] && [ "$nu" -eq 2 ] && [ "$ng" -eq "$n" ]; then
		ok "corrupt lost+found: dmesg and usability flag both states; all $n of the correct run passed them"
	else
		bad "corrupt lost+found: exit $rc, dmesg flagged $nm, usability flagged $nu, correct run passed both in $ng of $n"
		head -2 "$d/lf/verdicts.jsonl" | cut -c1-600
	fi
fi

# 11. a checker guest that dies mid-check: restarted, the state retried
# once, then recorded as an error; the run completes (exit 3: errors only)
cp -r "$d/run" "$d/die"
"$torn" check "$d/die" "${sel[@]}" --limit 1 -j 1 --checker "poweroff -f" --oracles custom,mount >"$d/die.out" 2>&1; rc=$?
if [ $rc -eq 3 ] && [ "$(count "$d/die" '"verdict":"error".*"attempts":2')" -eq 1 ] &&
   [ "$(grep -c 'restarting it' "$d/die.out")" -eq 2 ]; then
	ok "guest dies in the checker: restarted twice, 1 error verdict after 2 attempts, exit 3"
else
	bad "guest dies in the checker: exit $rc, $(verdicts "$d/die")"; tail -5 "$d/die.out"
fi

# 12. SIGINT in the middle of a check: the guests go with torn, every
# verdict line written so far is whole
cp -r "$d/run" "$d/intr"
# (the default engines: hundreds of states, so that the check is still
# going when the first verdict is there)
"$torn" check "$d/intr" -j 1 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1500); do [ -s "$d/intr/verdicts.jsonl" ] && break; sleep 0.2; done
guests=$(pgrep -P $pid -f qemu-system)
kill -INT $pid; wait $pid; rc=$?
# gone: no such process, or a zombie waiting for init to reap it
alive() { for g in $guests; do ps -o stat= -p "$g" 2>/dev/null | grep -qv Z && echo "$g"; done; }
for _ in $(seq 1 10); do left=$(alive); [ -z "$left" ] && break; sleep 1; done
lines=$(wc -l <"$d/intr/verdicts.jsonl")
whole=$(grep -c '^{"state":".*}$' "$d/intr/verdicts.jsonl")
if [ $rc -eq 130 ] && [ -n "$guests" ] && [ -z "$left" ] && [ "$lines" -ge 1 ] && [ "$whole" -eq "$lines" ]; then
	ok "SIGINT: exit 130, guests $(echo $guests) gone, $lines whole verdict lines kept"
else
	bad "SIGINT: exit $rc, guests '$guests', left '$left', $whole of $lines lines whole"
fi
# 13. restore exact: each restored backing file against the state's image
# built from scratch (TORN_VERIFY_RESTORE), over 60 states of the default
# engines (recovery writes the journal and superblock pages in each)
cp -r "$d/run" "$d/exact"
TORN_VERIFY_RESTORE=1 "$torn" check "$d/exact" --limit 60 -j 2 >/dev/null 2>"$d/exact.err"; rc=$?
if grep -q 'verify restore: 60 states, 0 restored wrong' "$d/exact.err" &&
   grep -q 'recovery wrote [1-9][0-9]* pages (tracked)' "$d/exact.err" && [ $rc -ne 3 ]; then
	ok "restore exact: $(grep -o 'verify restore:.*' "$d/exact.err"); $(grep -o 'restores copied.*' "$d/exact.err")"
else
	bad "restore exact: exit $rc"; grep -v 'checked [0-9]*/' "$d/exact.err" | tail -5
fi
# 14. no stale cache: two states that differ in their superblock (a
# synthetic trace: one store zeroing a line of it, in flight at a fence)
# checked back to back in one guest, in both orders: each its own verdict
if [ -n "$sbmagic" ]; then
	mkdir "$d/cache"
	cp "$d/run/base.img" "$d/run/meta.json" "$d/cache/"
	{ "$torn" trace-dump "$d/run/trace.torn" | head -1
	  printf 'store %#x 64 *00\nfence sfence\n' $(((sbmagic / 64) * 64)); } |
		"$mktrace" "$d/cache/trace.torn" || bad "synthetic trace not written"
	cp -r "$d/cache" "$d/cache2"
	"$torn" check "$d/cache" --engine prefix -j 1 --oracles mount,fsck >/dev/null 2>&1
	"$torn" check "$d/cache2" --engine prefix -j 1 --oracles mount,fsck --order reverse >/dev/null 2>&1
	order() { grep -o '"state":"[^"]*"\|"verdict":"[^"]*"' "$1/verdicts.jsonl" | cut -d'"' -f4 | paste - - | tr '\t' ' ' | tr '\n' ' '; }
	if [ "$(order "$d/cache")" = "1.prefix.0 consistent 1.prefix.1 unrecoverable " ] &&
	   [ "$(order "$d/cache2")" = "1.prefix.1 unrecoverable 1.prefix.0 consistent " ]; then
		ok "no stale cache: superblock intact, then zeroed, and back: $(order "$d/cache")/ $(order "$d/cache2")"
	else
		bad "stale cache: trace order '$(order "$d/cache")', reverse '$(order "$d/cache2")'"
	fi
fi
# 15. warm starts: the same states checked by booted checkers
# (TORN_WARM=0) and by checkers started from the saved guest give the same
# verdicts state by state; a saved guest cut in half fails to load, is
# said and deleted, the check boots and saves a new one
per_state() { grep -o '"state":"[^"]*"\|"verdict":"[^"]*"\|"semantic_hash":"[^"]*"' "$1/verdicts.jsonl" | paste - - - | sort; }
cp -r "$d/run" "$d/cold"; cp -r "$d/run" "$d/warm"; cp -r "$d/run" "$d/torn"
TORN_WARM=0 "$torn" check "$d/cold" --limit 40 -j 2 >/dev/null 2>"$d/cold.err"
"$torn" check "$d/warm" --limit 40 -j 2 >/dev/null 2>"$d/warm.err"
warm=$(grep -o 'checker starts: [0-9]* warm' "$d/warm.err" | grep -o '[0-9]*')
snap=$(grep -o 'saved guest /[^ ]*\.mig' "$d/warm.err" | cut -d' ' -f3)
if grep -q 'checker starts: 0 warm .* 2 booted .*warm starts off: TORN_WARM=0' "$d/cold.err" && [ "${warm:-0}" -eq 2 ] &&
   grep -q ', 0 booted' "$d/warm.err" && [ "$(per_state "$d/cold")" = "$(per_state "$d/warm")" ] &&
   [ "$(wc -l <"$d/warm/verdicts.jsonl")" -eq 40 ]; then
	ok "warm starts: 40 states, the same verdicts booted and warm; $(grep -o 'checker starts: [^;]*' "$d/warm.err")"
else
	bad "warm starts: warm '${warm:-}', $(grep 'checker starts' "$d/warm.err")"; diff <(per_state "$d/cold") <(per_state "$d/warm") | head -5
fi
if [ -n "$snap" ] && [ -f "$snap" ]; then
	half=$(($(stat -c %s "$snap") / 2))
	head -c "$half" "$snap" >"$snap.cut" && mv "$snap.cut" "$snap"
	"$torn" check "$d/torn" --limit 40 -j 1 >/dev/null 2>"$d/torn.err"
	if grep -q 'cannot start from the saved guest.*deleted, checkers boot' "$d/torn.err" &&
	   grep -q 'checker starts: 0 warm.* 1 booted.*saved guest' "$d/torn.err" &&
	   [ "$(per_state "$d/cold")" = "$(per_state "$d/torn")" ] &&
	   [ "$(stat -c %s "$snap")" -gt "$half" ]; then
		ok "corrupt saved guest: $(grep -o 'cannot start.*' "$d/torn.err" | cut -c1-120)...; booted, same verdicts, saved again"
	else
		bad "corrupt saved guest: $(grep -v 'checked [0-9]*/' "$d/torn.err" | tail -4)"
	fi
else
	bad "warm starts: no saved guest named in: $(grep 'checker starts' "$d/warm.err")"
fi
exit $fail
