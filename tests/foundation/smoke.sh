#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: `torn smoke` on a real guest must pass and show dax=always.
torn=$1 fs=$2
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
out=$("$torn" smoke --fs "$fs") ; rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: torn smoke exited $rc"; exit 1; }
case $fs in
*-dax) grep -q 'ok   mounted with dax=always' <<<"$out" || { echo "FAIL: no dax=always"; exit 1; } ;;
esac
grep -q '^boot [0-9.]* s' <<<"$out" || { echo "FAIL: no boot time"; exit 1; }
exit 0
