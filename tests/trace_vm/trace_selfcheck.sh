#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: torn trace --self-check holds for every built-in workload on
# ext4-dax and xfs-dax and for the libpmem workload on devdax: base + every
# store == final image, no unresolved flush, durable lines flushed.
torn=$1
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
out=$(mktemp -d /tmp/torn-trace-test-XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0
for combo in ext4-dax:files ext4-dax:pmem ext4-dax:msync xfs-dax:files xfs-dax:pmem xfs-dax:msync devdax:pmem; do
	fs=${combo%%:*} wl=${combo#*:}
	res=$("$torn" trace --fs "$fs" --workload "$wl" --out "$out/$fs-$wl" --self-check 2>&1)
	rc=$?
	n_ok=$(grep -c '^ok ' <<<"$res")
	if [ $rc -ne 0 ] || [ "$n_ok" -ne 3 ]; then
		echo "FAIL $fs $wl (exit $rc):"
		echo "$res"
		fail=1
	else
		echo "ok   $fs $wl: $(grep '^ok   replay' <<<"$res" | cut -c6-)"
	fi
	# a corrupted trace must be refused with one line, not crash
	if [ $rc -eq 0 ] && [ "$fs-$wl" = ext4-dax-files ]; then
		cp -r "$out/$fs-$wl" "$out/bad"
		truncate -s -7 "$out/bad/trace.torn"
		msg=$("$torn" verify "$out/bad" 2>&1); brc=$?
		if [ $brc -eq 3 ] && [ "$(wc -l <<<"$msg")" -eq 1 ]; then
			echo "ok   truncated trace refused: $msg"
		else
			echo "FAIL truncated trace: exit $brc: $msg"; fail=1
		fi
		# a final image that does not match must fail the replay check
		printf '\x55' | dd of="$out/bad/final.img" bs=1 seek=4096 conv=notrunc 2>/dev/null
		cp "$out/$fs-$wl/trace.torn" "$out/bad/trace.torn"
		if "$torn" verify "$out/bad" | grep -q '^FAIL replay'; then
			echo "ok   a differing final image fails the replay check"
		else
			echo "FAIL differing final image not caught"; fail=1
		fi
	fi
done
exit $fail
