#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: SIGINT, SIGTERM or SIGKILL to torn while a guest boots leaves no QEMU.
torn=$1
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
"$torn" kit --fs ext4-dax >/dev/null || { echo "FAIL: torn kit"; exit 1; }
fail=0
for sig in INT TERM KILL; do
	"$torn" smoke --fs ext4-dax >/dev/null 2>&1 &
	pid=$!
	qpid=""
	for _ in $(seq 1 200); do
		qpid=$(pgrep -P "$pid" -f qemu-system-x86_64)
		[ -n "$qpid" ] && break
		sleep 0.1
	done
	[ -n "$qpid" ] || { echo "FAIL: no qemu child appeared for SIG$sig"; kill -9 $pid; exit 1; }
	sleep 1
	kill -s "$sig" "$pid"
	wait "$pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$qpid" 2>/dev/null; then
		echo "FAIL: qemu $qpid survived SIG$sig to torn"
		kill -9 "$qpid"
		fail=1
	else
		echo "ok: SIG$sig to torn during boot left no qemu"
	fi
done
exit $fail
