#!/bin/sh
# WalLog's checker, run on each recovered state: every committed record
# (the header's count covers it) holds what append wrote, and the count
# is at least the last record torn-mark 16 said was committed before the
# crash (TORN_MARKERS, "ID:ARG ...").  Exit 0 consistent, 1 not.
f=$1
[ -f "$f" ] || { echo "WalLog: $f is gone"; exit 1; }
head=$(dd if="$f" bs=64 count=1 2>/dev/null | head -n 1)
case "$head" in
"count "[0-9][0-9][0-9][0-9][0-9][0-9]*) ;;
*) echo "WalLog: header '$head' is not a count"; exit 1 ;;
esac
count=$(echo "$head" | sed 's/^count 0*\([0-9][0-9]*\).*/\1/')
marked=0
for m in $TORN_MARKERS; do
	case "$m" in 16:*) marked=${m#16:} ;; esac
done
[ "$count" -ge "$marked" ] ||
	{ echo "WalLog: count $count, but record $marked was committed before the crash"; exit 1; }
k=1
while [ "$k" -le "$count" ]; do
	want=$(printf 'record %06d: the quick brown fox jumps over' "$k")
	got=$(dd if="$f" bs=64 skip="$k" count=1 2>/dev/null | head -n 1 | sed 's/ *$//')
	[ "$got" = "$want" ] ||
		{ echo "WalLog: record $k of $count is committed but holds '$got'"; exit 1; }
	k=$((k + 1))
done
echo "WalLog: $count records, all whole"
