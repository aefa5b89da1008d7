#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The tracer in a real guest: boot Debian's kernel with a throwaway
# initramfs, make the NVDIMM fsdax, mount ext4 with DAX, run the test
# program under the plugin, and check the trace it leaves.  Twice:
#  1. arm=start: the program's START..STOP, checked record by record,
#     with check_walk=on (direct-map flushes page-walked as well);
#  2. arm=boot, no STOP (closed at exit): the zeroed NVDIMM plus every
#     store of the trace must equal the backing file QEMU leaves;
#  3. a wrong direct_map=: no flush can be translated, and every one
#     must still be in the trace as UNRESOLVED;
#  4. (when PMEM-PROGRAM is given) libpmem: pmem_persist's flushes and
#     pmem_memcpy_persist's NT stores.
#
# usage: tracer_vm_test.sh PLUGIN GUEST CHECKER TORN_MARK WORKDIR [PMEM-PROGRAM]
# Exits 4 (skip) when qemu, a kernel with its modules, busybox, cpio or
# mke2fs is missing.  TORN_KERNEL=/boot/vmlinuz-X picks the kernel.
set -eu

plugin=$1 guest=$2 checker=$3 torn_mark=$4 work=$5 pmem=${6:-}
pm_base=0x100000000
pm_size=64M

skip() {
	echo "SKIP: $*"
	exit 4
}

command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
command -v cpio >/dev/null || skip "no cpio"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || skip "no busybox"
ldd "$busybox" >/dev/null 2>&1 && skip "busybox is not static"
mke2fs=$(command -v mke2fs || ls /sbin/mke2fs 2>/dev/null || true)
[ -n "$mke2fs" ] || skip "no mke2fs"

kernel=${TORN_KERNEL:-}
if [ -z "$kernel" ]; then
	for k in /boot/vmlinuz-*; do
		[ -d "/lib/modules/${k#/boot/vmlinuz-}/kernel" ] && kernel=$k
	done
fi
[ -n "$kernel" ] && [ -r "$kernel" ] || skip "no readable kernel in /boot"
kver=${kernel#*/vmlinuz-}
moddir=/lib/modules/$kver
[ -r "$moddir/modules.dep" ] || skip "no modules for $kver"

rm -rf "$work"
mkdir -p "$work/root/bin" "$work/root/lib/modules" "$work/root/proc" \
	"$work/root/sys" "$work/root/dev" "$work/root/mnt" "$work/root/etc"
root=$work/root

# Modules in load order, dependencies first (modules.dep lists them).
mods="libnvdimm nd_btt nd_pmem nfit crc32c_generic crc16 mbcache jbd2 ext4"
for m in $mods; do
	path=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$moddir/modules.dep" |
	       cut -d: -f1)
	[ -n "$path" ] || skip "module $m not in $moddir"
	case $path in
	*.xz) xz -dc "$moddir/$path" >"$root/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$moddir/$path" >"$root/lib/modules/$m.ko" ;;
	*) cp "$moddir/$path" "$root/lib/modules/$m.ko" ;;
	esac
done

cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$guest" "$root/bin/tracer-vm-guest"
cp "$torn_mark" "$root/bin/torn-mark"
# mke2fs (and the libpmem program) with the shared libraries they need,
# at the same paths.
cp --parents "$mke2fs" "$root"
[ -z "$pmem" ] || cp "$pmem" "$root/bin/tracer-vm-pmem"
for bin in "$mke2fs" $pmem; do
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || cp --parents -L "$lib" "$root"
	done
done
[ -r /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"

cat >"$root/init" <<EOF
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "tracer-vm-init: \$*"; poweroff -f; }
wait_for() { i=0; while [ ! -e "\$1" ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done; [ -e "\$1" ]; }
for m in $mods; do insmod /lib/modules/\$m.ko || fail "insmod \$m"; done
wait_for /sys/bus/nd/devices/namespace0.0 || fail "no namespace0.0"
# What "ndctl create-namespace -f -e namespace0.0 -m fsdax --map=mem"
# does to a label-less namespace, through sysfs.
d=/sys/bus/nd/devices
pfn=\$(cat \$d/region0/pfn_seed)
echo namespace0.0 >/sys/bus/nd/drivers/nd_pmem/unbind || fail "unbind"
cat /proc/sys/kernel/random/uuid >\$d/\$pfn/uuid || fail "pfn uuid"
echo ram >\$d/\$pfn/mode || fail "pfn mode"
echo namespace0.0 >\$d/\$pfn/namespace || fail "pfn namespace"
echo \$pfn >/sys/bus/nd/drivers/nd_pmem/bind || fail "pfn bind"
wait_for /dev/pmem0 || fail "no /dev/pmem0"
$mke2fs -q -F -t ext4 -b 4096 /dev/pmem0 || fail "mke2fs"
mount -t ext4 -o dax /dev/pmem0 /mnt || fail "mount -o dax"
grep -q 'dax' /proc/mounts || fail "not mounted with dax"
case " \$(cat /proc/cmdline) " in
*" torn_no_stop "*) /bin/tracer-vm-guest /mnt --no-stop ;;
*" torn_pmem "*) /bin/tracer-vm-pmem /mnt ;;
*) /bin/tracer-vm-guest /mnt ;;
esac || fail "the test program failed"
echo "tracer-vm-init: program done"
umount /mnt
echo "tracer-vm-init: finished"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

# boot NAME PLUGIN-ARGS [KERNEL-ARGS]: one guest run in $work/NAME.
boot() {
	name=$1 args=$2 extra=${3:-}
	out=$work/$name
	mkdir -p "$out"
	truncate -s $pm_size "$out/pm.img"
	echo "== $name: booting $kernel under the tracer ($args)"
	start=$(date +%s)
	status=0
	timeout 900 qemu-system-x86_64 \
		-machine pc,nvdimm=on -accel tcg -cpu max,la57=off -smp 1 \
		-m 512M,slots=2,maxmem=2G \
		-object memory-backend-file,id=pm0,share=on,mem-path="$out/pm.img",size=$pm_size \
		-device nvdimm,id=nv0,memdev=pm0,addr=$pm_base \
		-kernel "$kernel" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 nokaslr pti=off panic=-1 loglevel=4 noreplace-smp rdinit=/init $extra" \
		-display none -serial file:"$out/console.log" -monitor none \
		-no-reboot -d plugin -D "$out/plugin.log" \
		-plugin "$plugin,out=$out/trace.torn,pm_base=$pm_base,pm_size=$pm_size,stats=$out/stats.json$args" \
		</dev/null || status=$?
	echo "qemu exited with $status after $(($(date +%s) - start)) s"
	grep -E "tracer-vm|BUG|Oops|WARNING" "$out/console.log" || true
	cat "$out/plugin.log" "$out/stats.json" 2>/dev/null || true
	grep -q "tracer-vm-init: program done" "$out/console.log" || {
		echo "FAIL: the guest program did not finish"
		tail -30 "$out/console.log"
		exit 1
	}
}

boot start ",check_walk=on"
"$checker" "$work/start/trace.torn" $pm_base
# Every direct-map flush was also page-walked (through 2 MiB/1 GiB pages
# of the direct map), and the walks agreed.
grep -q '"walk_mismatches":0,' "$work/start/stats.json" &&
	! grep -q '"walk_checks":0,' "$work/start/stats.json" &&
	! grep -q '"walk_large_pages":0,' "$work/start/stats.json" || {
	echo "FAIL: page walks disagree with the direct map, or never ran"
	exit 1
}
echo "ok: page walks agree with the direct map"
boot boot ",arm=boot" torn_no_stop
"$checker" self-check "$work/boot/trace.torn" "$work/boot/pm.img"
boot unresolved ",direct_map=0xffff888800000000"
"$checker" unresolved "$work/unresolved/trace.torn" 0xffff888000000000
if [ -n "$pmem" ]; then
	boot pmem "" torn_pmem
	"$checker" pmem "$work/pmem/trace.torn"
else
	echo "no libpmem: the libpmem boot is left out"
fi
