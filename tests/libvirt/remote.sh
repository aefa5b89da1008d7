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
#   - a second check reuses the kit uploaded by the first; after every
#     upload the remote volume equals the state's image, byte for byte,
#     with the shim's tracking of the remote guest's writes and with the
#     whole-image read-back; no domain and no state volume is left there
#   - the volumes a killed torn of this host left there are deleted
# Skips (exit 4) only where the daemons cannot start, saying why.
torn=$(realpath "$1")
. "$(dirname "$0")/common.sh"
start_daemon --remote
echo "remote libvirtd: $uri, $(grep -m1 'Using library' "$rt/version")"

kits=${XDG_CACHE_HOME:-$HOME/.cache}/torn
seen=$(nsenter -t "$(cat "$rt/run/libvirtd.pid")" -m ls -A "$HOME" 2>&1 | wc -l)
[ "$seen" -eq 0 ] && ok "the remote daemon sees none of $HOME (this host's kits: $kits)" ||
	bad "the remote daemon sees $seen entries of $HOME"

trace_seeded
cp -r "$d/run" "$d/r2"
# litter of a torn of this host that was killed: swept by the next check
gone=$(sh -c 'echo $$')
virsh -c "$uri" pool-list --all --name | grep -qx torn ||
	virsh -c "$uri" pool-define-as torn dir --target /var/lib/libvirt/images/torn >/dev/null
virsh -c "$uri" pool-build torn >/dev/null 2>&1
virsh -c "$uri" pool-start torn >/dev/null 2>&1
virsh -c "$uri" vol-create-as torn "torn-$(hostname)-$gone-0.img" 1M >/dev/null ||
	bad "cannot make a litter volume"
check_same r "$uri" "check on the remote hypervisor"
swept=$(grep -m1 'left there by torns of this host' "$d/r.out")
if ! virsh -c "$uri" vol-list torn | grep -q "torn-$(hostname)-$gone-" && [ -n "$swept" ]; then
	ok "${swept#torn: }"
else
	bad "the volume of a torn that is gone: ${swept:-not said}; $(virsh -c "$uri" vol-list torn | grep "$gone")"
fi
grep -q "torn: remote NVDIMMs: uploaded" "$d/r.out" && ok "$(grep -m1 'remote NVDIMMs' "$d/r.out" | sed 's/^torn: //')" ||
	bad "no transfer figures: $(tail -3 "$d/r.out")"
echo "local:  $(grep -m1 '^checked' "$d/q.out")"
echo "remote: $(grep -m1 '^checked' "$d/r.out")"

# the kit is not uploaded again; every upload leaves the volume equal
# to the state's image (TORN_VERIFY_RESTORE reads it back and compares),
# with the shim's tracking and with the whole-image read-back
vols() { virsh -c "$uri" vol-list torn 2>/dev/null | awk 'NR > 2 && $1 { print $1 }' | sort; }
before=$(vols)
TORN_VERIFY_RESTORE=1 "$torn" check "$d/r2" --engine prefix -j 1 --limit 20 --backend "libvirt:$uri" >"$d/r2.out" 2>&1
rc=$?
after=$(vols)
[ $rc -le 1 ] && [ "$before" = "$after" ] && echo "$after" | grep -q 'initrd' &&
	ok "a second check reuses the uploaded kit: $(echo "$after" | grep -c '\.ok$') kit files" ||
	bad "second check: exit $rc; volumes before: $before; after: $after"
cp -r "$d/run" "$d/r3"
TORN_WP_SHIM= TORN_VERIFY_RESTORE=1 "$torn" check "$d/r3" --engine prefix -j 1 --limit 8 --backend "libvirt:$uri" >"$d/r3.out" 2>&1
for r in r2 r3; do
	line=$(grep -m1 'verify remote restore' "$d/$r.out")
	how=tracked; grep -q 'no write-tracking shim' "$d/$r.out" && how="read back whole"
	if echo "$line" | grep -q ' 0 volumes unequal' && grep -q ' 0 restored wrong' "$d/$r.out" &&
		[ -z "$(comm -23 <(table "$d/$r") <(table "$d/q"))" ]; then
		ok "$how: $(table "$d/$r" | wc -l) states, ${line#torn: verify remote restore: }, verdicts as local"
	else
		bad "$how: ${line:-no verify line}: $(tail -3 "$d/$r.out")"
	fi
done
grep -q 'no write-tracking shim' "$d/r3.out" || bad "TORN_WP_SHIM= did not turn the shim off"
left=$(virsh -c "$uri" list --all --name | grep -c .)
states=$(vols | grep -c '^torn-')
[ "$left" -eq 0 ] && [ "$states" -eq 0 ] && ok "no domain and no state volume left on the remote host" ||
	bad "$left domains, $states state volumes left: $(vols | grep '^torn-')"
echo "remote: $([ $fail = 0 ] && echo passed || echo failed)"
exit $fail
