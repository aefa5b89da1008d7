#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: --backend libvirt against a real libvirtd and virtlogd that the
# test starts as root (qemu:///system, scripts/private-libvirtd: a private
# mount namespace, the machine's own libvirt left alone).  Checks:
#   - a trace through libvirt (the tracer plugin by <qemu:commandline>)
#     passes the tracer's self-check
#   - one traced seeded bug (bug-noflush on devdax) checked by QEMU and by
#     libvirt guests: the same verdicts, state by state, flagged and
#     consistent alike
#   - no domain is left behind; a daemon not there, a remote URI and a bad
#     --backend each give one line and their exit code
# Skips (exit 4) only where the daemons cannot start, saying why.
torn=$(realpath "$1")
. "$(dirname "$0")/common.sh"
start_daemon
echo "libvirtd: $(grep -m1 'Using library' "$rt/version")"

# a trace through libvirt, and the tracer's self-check on it
"$torn" trace --fs devdax --workload pmlog --backend "libvirt:$uri" --out "$d/lt" >"$d/lt.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && "$torn" verify "$d/lt" >"$d/lt.verify" 2>&1; then
	ok "trace through libvirt: $(grep -m1 '^ok   replay' "$d/lt.verify")"
else
	bad "trace through libvirt: exit $rc"; tail -5 "$d/lt.out" "$d/lt.verify"
fi

# one trace, checked by QEMU guests and by libvirt guests
trace_seeded
check_same l "$uri" "check by libvirt guests"
left=$(virsh -c "$uri" list --all --name | grep -c .)
[ "$left" -eq 0 ] && ok "no domain left behind" || bad "$left domains left: $(virsh -c "$uri" list --all)"

# bad backends: one line each
cp -r "$d/run" "$d/e1"
"$torn" check "$d/e1" --engine prefix -j 1 --backend "libvirt:qemu:///system?socket=$d/none" >"$d/e1.out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "is libvirtd running" "$d/e1.out" && ok "no daemon at the URI: exit 3, said" ||
	bad "no daemon: exit $rc: $(grep -m2 libvirt "$d/e1.out")"
"$torn" trace --fs devdax --workload pmlog --backend "libvirt:qemu+tcp://192.0.2.1/system" --out "$d/e2" >"$d/e2.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "traces are made on this host's hypervisor" "$d/e2.out" && [ ! -e "$d/e2" ] &&
	ok "a trace on a remote URI: exit 2, said, nothing written" || bad "trace on a remote URI: exit $rc: $(tail -2 "$d/e2.out")"
cp -r "$d/run" "$d/e2"
"$torn" check "$d/e2" --backend vmware >"$d/e3.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "expected qemu, libvirt or libvirt:URI" "$d/e3.out" && ok "--backend vmware: exit 2" ||
	bad "--backend vmware: exit $rc: $(cat "$d/e3.out")"
echo "libvirt: $([ $fail = 0 ] && echo passed || echo failed)"
exit $fail
