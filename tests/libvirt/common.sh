# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the libvirt vm tests (libvirt.sh, remote.sh), $torn set.
fail=0
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# start_daemon [--remote]: the test's libvirtd (scripts/private-libvirtd)
# in $rt, its URI in $uri, its work in $d; skips (exit 4) saying why
start_daemon() {
	command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
	ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "skip: no guest kernel in /boot"; exit 4; }
	d=$(mktemp -d /tmp/torn-libvirt-XXXXXX)
	rt=$d/lv
	trap '"$top/scripts/private-libvirtd" stop "$rt"; rm -rf "$d"' EXIT
	uri=$("$top/scripts/private-libvirtd" start "$rt" "$@" 2>"$d/start.err") ||
		{ echo "skip: $(cat "$d/start.err")"; exit 4; }
}
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
# "state verdict" lines of a checked run, sorted
table() { sed -n 's/^{"state":"\([^"]*\)".*"verdict":"\([a-z]*\)".*/\1 \2/p' "$1/verdicts.jsonl" | sort; }

# trace_seeded: bug-noflush on devdax into $d/run, checked by torn's own
# QEMU into $d/q (exit 1: its states flagged)
trace_seeded() {
	"$torn" trace --fs devdax --workload bug-noflush --out "$d/run" >/dev/null 2>"$d/trace.err" ||
		{ cat "$d/trace.err"; echo "FAIL trace"; exit 1; }
	cp -r "$d/run" "$d/q"
	"$torn" check "$d/q" --engine prefix -j 2 >"$d/q.out" 2>&1
	rq=$?
}

# check_same NAME URI WHAT: $d/run checked on libvirt:URI into $d/NAME,
# state by state the verdicts of $d/q, some flagged and some consistent
check_same() {
	local n=$1 rc flagged consistent
	cp -r "$d/run" "$d/$n"
	"$torn" check "$d/$n" --engine prefix -j 2 --backend "libvirt:$2" >"$d/$n.out" 2>&1
	rc=$?
	flagged=$(table "$d/$n" | grep -c ' inconsistent$')
	consistent=$(table "$d/$n" | grep -c ' consistent$')
	if [ "$rq" -eq 1 ] && [ $rc -eq 1 ] && [ "$flagged" -gt 0 ] && [ "$consistent" -gt 0 ] &&
		diff <(table "$d/q") <(table "$d/$n") >"$d/$n.diff"; then
		ok "$3 = by QEMU guests: $(table "$d/$n" | wc -l) states, $flagged flagged, $consistent consistent"
	else
		bad "$3: QEMU exit $rq, exit $rc, $flagged flagged"; head -5 "$d/$n.diff"; tail -5 "$d/$n.out"
	fi
}
