#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel: each seeded kernel bug of kernel-patches/6.1 caught on its
# patched kernel, and its twin clean on the unpatched one
# (tests/kernel/rows.txt, through tests/validation/validate.sh with
# --kernel built:HASH).  The kernels are --gcov builds of torn kernel
# build; they are built only with TORN_KERNEL_BUILD=1 (the first about
# 15 minutes, each patched one a few more), otherwise a missing one skips
# the test (exit 4) and says which.  Without TORN_VALIDATION=full only
# the rows tagged ci run.
# usage: seeded.sh TORN [ROWS] [OUT]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
torn=${1:?usage: seeded.sh TORN [ROWS] [OUT]}
rows=${2:-$here/rows.txt}
out=${3:-$(mktemp -d /tmp/torn-kernel-XXXXXX)}
mkdir -p "$out"
cd "$top" # the rows' paths are from here
command -v qemu-system-x86_64 >/dev/null || { echo "skip: no qemu-system-x86_64"; exit 4; }
[ -r /usr/src/linux-source-6.1.tar.xz ] || { echo "skip: no linux-source-6.1"; exit 4; }

kernels=$(awk -v full="${TORN_VALIDATION:-}" '
	/^#/ || NF < 7 { next }
	full == "full" || ("," $8 ",") ~ /,ci,/ { print $1 }' "$rows" | sort -u)
declare -A id
for k in $kernels; do
	args=(--gcov)
	[ "$k" = unpatched ] || args+=(--patches "$top/kernel-patches/6.1/$k")
	mode=--cached
	[ "${TORN_KERNEL_BUILD:-}" = 1 ] && mode=
	line=$("$torn" kernel build "${args[@]}" $mode 2>"$out/kernel-$k.log" | awk '/^kernel / {print $2}')
	rc=${PIPESTATUS[0]}
	if [ "$rc" = 4 ]; then
		echo "skip: kernel $k is not built (TORN_KERNEL_BUILD=1 $0 builds it)"
		exit 4
	fi
	if [ "$rc" != 0 ] || [ -z "$line" ]; then
		echo "FAIL: torn kernel build of $k (exit $rc):"
		tail -5 "$out/kernel-$k.log" | sed 's/^/     /'
		exit 1
	fi
	id[$k]=$line
	echo "kernel $k: $line"
done

pass=0 fail=0 det=0 seeded=0 fp=0 clean=0 t0=$(date +%s)
# a group per kernel and set of more options (the ninth column)
groups=$(awk '!/^#/ && NF >= 7 { print $1 "|" (NF >= 9 ? $9 : "") }' "$rows" | sort -u)
g=0
for grp in $groups; do
	k=${grp%%|*} extra=${grp#*|}
	[ -n "${id[$k]:-}" ] || continue
	g=$((g + 1))
	sub="$out/rows-$g-$k.txt"
	awk -v k="$k" -v x="$extra" '!/^#/ && NF >= 7 && $1 == k && (NF >= 9 ? $9 : "") == x {
		print $2, $3, $4, $5, $6, $7, (NF >= 8 ? $8 : "-") }' "$rows" >"$sub"
	res=$(TORN_RUN_ARGS="--kernel ${id[$k]} ${extra//,/ }" "$top/tests/validation/validate.sh" \
		"$torn" "$sub" "$out/$g-$k" 2>&1)
	sed "s/^/[$k] /" <<<"$res" | grep -v '^\[.*\] \(seeded\|validation:\)'
	p=$(sed -n 's/^validation: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$res")
	f=$(sed -n 's/^validation: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$res")
	pass=$((pass + ${p:-0})) fail=$((fail + ${f:-1}))
	read -r a b c d < <(sed -n 's/^seeded bugs detected: \([0-9]*\)\/\([0-9]*\); false positives: \([0-9]*\)\/\([0-9]*\) .*/\1 \2 \3 \4/p' <<<"$res")
	det=$((det + ${a:-0})) seeded=$((seeded + ${b:-0})) fp=$((fp + ${c:-0})) clean=$((clean + ${d:-0}))
done
echo "seeded kernel bugs caught: $det/$seeded rows; false positives: $fp/$clean clean rows"
echo "kernel tests: $pass passed, $fail failed, $(($(date +%s) - t0)) s"
[ "$fail" = 0 ]
