#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vm test: torn check on a remote hypervisor.  A second libvirtd that the
# test starts in a network namespace of its own (scripts/private-libvirtd
# --remote: its own address, reached over qemu+tcp://, and this host's
# /root, /tmp, /work and /home empty in its mounts), so that "remote" is
# real: no file is shared, the kit and every state's image go through the
# libvirt connection.  Checks:
#   - the daemon cannot see this host's kit (the proof that nothing is
#     shared)
#   - one traced seeded bug (bug-noflush on devdax) checked by local QEMU
#     guests and by the remote hypervisor's: the same verdicts, state by
#     state, flagged and consistent alike; what the transfer cost
#   - a second check reuses the kit uploaded by the first; no domain and
#     no state volume is left on the remote host
# Skips (exit 4) only where the daemons cannot start, saying why.
torn=$(realpath "$1")
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
top=$(cd "$(dirname "$0")/../.." && pwd)
d=$(mktemp -d /tmp/torn-remote-XXXXXX)
rt=$d/lv
trap '"$top/scripts/private-libvirtd" stop "$rt"; rm -rf "$d"' EXIT
uri=$("$top/scripts/private-libvirtd" start "$rt" --remote 2>"$d/start.err") ||
	{ echo "skip: $(cat "$d/start.err")"; exit 4; }
echo "remote libvirtd: $uri, $(grep -m1 'Using library' "$rt/version")"
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
table() { sed -n 's/^{"state":"\([^"]*\)".*"verdict":"\([a-z]*\)".*/\1 \2/p' "$1/verdicts.jsonl" | sort; }

kits=${XDG_CACHE_HOME:-$HOME/.cache}/torn
seen=$(nsenter -t "$(cat "$rt/run/libvirtd.pid")" -m ls -A "$HOME" 2>&1 | wc -l)
[ "$seen" -eq 0 ] && ok "the remote daemon sees none of $HOME (this host's kits: $kits)" ||
	bad "the remote daemon sees $seen entries of $HOME"

"$torn" trace --fs devdax --workload bug-noflush --out "$d/run" >/dev/null 2>"$d/trace.err" ||
	{ cat "$d/trace.err"; echo "FAIL trace"; exit 1; }
cp -r "$d/run" "$d/q"
cp -r "$d/run" "$d/r"
cp -r "$d/run" "$d/r2"
"$torn" check "$d/q" --engine prefix -j 2 >"$d/q.out" 2>&1
rq=$?
"$torn" check "$d/r" --engine prefix -j 2 --backend "libvirt:$uri" >"$d/r.out" 2>&1
rr=$?
flagged=$(table "$d/r" | grep -c ' inconsistent$')
consistent=$(table "$d/r" | grep -c ' consistent$')
if [ $rq -eq 1 ] && [ $rr -eq 1 ] && [ "$flagged" -gt 0 ] && [ "$consistent" -gt 0 ] &&
	diff <(table "$d/q") <(table "$d/r") >"$d/diff"; then
	ok "check on the remote hypervisor = by local QEMU: $(table "$d/r" | wc -l) states, $flagged flagged, $consistent consistent"
else
	bad "check: local exit $rq, remote exit $rr, $flagged flagged"; head -5 "$d/diff"; tail -5 "$d/r.out"
fi
grep -q "torn: remote NVDIMMs: uploaded" "$d/r.out" && ok "$(grep -m1 'remote NVDIMMs' "$d/r.out" | sed 's/^torn: //')" ||
	bad "no transfer figures: $(tail -3 "$d/r.out")"
echo "local:  $(grep -m1 '^checked' "$d/q.out")"
echo "remote: $(grep -m1 '^checked' "$d/r.out")"

# the kit is not uploaded again
vols() { virsh -c "$uri" vol-list torn 2>/dev/null | awk 'NR > 2 && $1 { print $1 }' | sort; }
before=$(vols)
"$torn" check "$d/r2" --engine prefix -j 1 --limit 3 --backend "libvirt:$uri" >"$d/r2.out" 2>&1
rc=$?
after=$(vols)
[ $rc -le 1 ] && [ "$before" = "$after" ] && echo "$after" | grep -q 'initrd' &&
	ok "a second check reuses the uploaded kit: $(echo "$after" | grep -vc '\.ok$') kit volumes" ||
	bad "second check: exit $rc; volumes before: $before; after: $after"
left=$(virsh -c "$uri" list --all --name | grep -c .)
states=$(vols | grep -c '^torn-')
[ "$left" -eq 0 ] && [ "$states" -eq 0 ] && ok "no domain and no state volume left on the remote host" ||
	bad "$left domains, $states state volumes left: $(vols | grep '^torn-')"
echo "remote: $([ $fail = 0 ] && echo passed || echo failed)"
exit $fail
