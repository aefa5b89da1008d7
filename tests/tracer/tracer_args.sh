#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin's argument parsing, in a real QEMU with no guest (-machine
# none): every bad argument gets a one-line error naming it and QEMU refuses
# the plugin; a full set of good arguments loads.
plugin=$1
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
fail=0
load() { timeout "${2:-10}" qemu-system-x86_64 -machine none -display none -monitor none \
	-serial none -plugin "$plugin,$1" 2>&1; }
bad() {
	local out
	out=$(load "$1")
	if grep -q "^torn-tracer: $2" <<<"$out" && grep -q 'Could not load plugin' <<<"$out"; then
		echo "ok   $1: $(head -1 <<<"$out")"
	else
		echo "FAIL $1: $out"; fail=1
	fi
}
o=out=/dev/null
bad "foo=1" "unknown argument 'foo'"
bad "out=" "bad value '' for out"
bad "$o,arm=bogus" "bad value 'bogus' for arm"
bad "$o,pc=maybe" "bad value 'maybe' for pc"
bad "$o,pm_size=12q" "bad value '12q' for pm_size"
bad "$o,fences=some" "bad value 'some' for fences"
bad "$o,features=clwb+zz" "bad value 'clwb+zz' for features"
bad "$o,out=/dev/null" "argument 'out' given twice"
good="$o,pm_base=0x100000000,pm_size=0x4000000,arm=boot,pc=on,fences=all,features=clflush+clwb,check_walk=off"
out=$(load "$good" 3); rc=$?
if [ $rc -eq 124 ] && ! grep -q 'torn-tracer:\|Could not load' <<<"$out"; then
	echo "ok   good arguments load (QEMU ran until stopped)"
else
	echo "FAIL good arguments: exit $rc: $out"; fail=1
fi
exit $fail
