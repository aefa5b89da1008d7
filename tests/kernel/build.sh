#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kernel: torn kernel build's cache and its errors, and a built kernel
# booted to DAX ext4 (torn smoke --kernel built:HASH).  The --gcov build
# must be there already (the kernel tests' base, about 15 minutes to
# build): TORN_KERNEL_BUILD=1 builds it, otherwise the test skips (exit 4).
# usage: build.sh TORN
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
torn=${1:?usage: build.sh TORN}
work=$(mktemp -d /tmp/torn-kbuild-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
[ -r /usr/src/linux-source-6.1.tar.xz ] || { echo "skip: no linux-source-6.1"; exit 4; }

mode=--cached
[ "${TORN_KERNEL_BUILD:-}" = 1 ] && mode=
"$torn" kernel build --gcov $mode >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 4 ] && { echo "skip: the --gcov kernel is not built (TORN_KERNEL_BUILD=1 $0 builds it)"; exit 4; }
[ $rc = 0 ] || { bad "torn kernel build --gcov: exit $rc"; cat "$work/err"; exit 1; }
id=$(awk '/^kernel / {print $2}' "$work/out")

# 1. a second build of the same inputs is a no-op that says so
start=$(date +%s.%N)
"$torn" kernel build --gcov --name torn-test-gcov >"$work/out2" 2>"$work/err2"
rc=$? secs=$(echo "$(date +%s.%N) - $start" | bc)
if [ $rc = 0 ] && grep -q "kernel $id is built already; nothing to do" "$work/err2" &&
	grep -q "^kernel $id$" "$work/out2"; then
	ok "second build of $id: nothing to do (${secs} s)"
else
	bad "second build: exit $rc"; cat "$work/err2"
fi

# 2. found by id, by prefix and by name; what it holds
for spec in "$id" "${id:0:11}" built:torn-test-gcov torn-test-gcov; do
	"$torn" kernel show "$spec" >"$work/show" 2>&1 && grep -q "^kernel $id$" "$work/show" ||
		bad "torn kernel show $spec"
done
vmlinuz=$(awk '/^vmlinuz / {print $2}' "$work/show")
modules=$(awk '/^modules / {print $2}' "$work/show")
if [ -s "$vmlinuz" ] && [ -r "$modules/modules.builtin" ] && [ -r "$modules/modules.dep" ] &&
	grep -q 'fs/ext4/ext4.ko' "$modules/modules.builtin" &&
	grep -q '^gcov 1$' "$(dirname "$vmlinuz")/kernel.txt" &&
	[ "$(find "$(dirname "$vmlinuz")/gcov" -name '*.gcno' | wc -l)" -gt 100 ]; then
	ok "$id: vmlinuz, ext4 built in, $(find "$(dirname "$vmlinuz")/gcov" -name '*.gcno' | wc -l) .gcno files kept"
else
	bad "$id: the build's files"
fi
"$torn" kernel list | grep -q "^$id .* gcov name=torn-test-gcov" && ok "torn kernel list names it" ||
	bad "torn kernel list"

# 3. bad input: one line, the right exit status, nothing built
check_err() { # expected-exit pattern what args...
	local want=$1 pat=$2 what=$3
	shift 3
	"$torn" kernel build "$@" >"$work/o" 2>"$work/e"
	local rc=$?
	local last
	last=$(tail -1 "$work/e")
	if [ $rc = "$want" ] && grep -q -- "$pat" <<<"$last"; then
		ok "$what: exit $rc, $last"
	else
		bad "$what: exit $rc (want $want), stderr:"; sed 's/^/     /' "$work/e"
	fi
}
mkdir -p "$work/p1" "$work/p2" "$work/p3"
printf '0001-missing.patch\n' >"$work/p1/series"
check_err 2 "names '0001-missing.patch'" "a series naming a missing patch" --gcov --patches "$work/p1"
printf 'x.patch -q\n' >"$work/p2/series"; : >"$work/p2/x.patch"
check_err 2 "is not a -pN option" "a bad series option" --gcov --patches "$work/p2"
check_err 2 "no kernel source" "no such source" --source "$work/none.tar.xz"
check_err 2 "cannot read patch series" "no series in --patches" --patches "$work"
# a patch that does not apply: refused before it touches the tree
cat >"$work/p3/0001-bad.patch" <<'PATCH'
--- a/fs/dax.c
+++ b/fs/dax.c
@@ -1,3 +1,3 @@
-this line is not in fs/dax.c
+nor is this one
 and neither is this
 or this
PATCH
printf '0001-bad.patch\n' >"$work/p3/series"
check_err 3 "patch 0001-bad.patch does not apply to linux-source 6.1" "a patch that does not apply" \
	--gcov --patches "$work/p3"
# a setting Kconfig cannot give, in a cache of its own (a tree unpacked and
# configured, about 20 s; nothing compiled)
printf 'CONFIG_XEN_PVH=y\n' >"$work/frag"
check_err 3 "asks for CONFIG_XEN_PVH=y but Kconfig gave CONFIG_XEN_PVH=n" "a fragment Kconfig refuses" \
	--config-fragment "$work/frag" --cache "$work/cache"

# 4. it boots to DAX ext4 with the stock kit's programs
start=$(date +%s)
if "$torn" smoke --fs ext4-dax --kernel "$id" >"$work/smoke" 2>&1; then
	ok "torn smoke --fs ext4-dax --kernel $id: $(grep -c . "$work/smoke") lines, $(($(date +%s) - start)) s"
else
	bad "torn smoke --kernel $id"; tail -15 "$work/smoke" | sed 's/^/     /'
fi
grep -q "6.1.192-torn-" "$work/smoke" && ok "the guest ran the built kernel" ||
	bad "the smoke output does not name the built kernel's release"
exit $fail
