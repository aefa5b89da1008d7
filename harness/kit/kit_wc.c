/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * torn-wc, the guest's steps of the dm-writecache kind (torn_fs.c), staged
 * into every kit as /usr/bin/torn-wc.  It is a shell script because each
 * step is a few commands in a row; a C string here rather than a file so
 * that the kit's hash covers it like everything else the kit holds.
 *
 * The table line: pmem mode ("p"), 4 KiB blocks, the cache on the fsdax
 * namespace, high_watermark 100 so that only a full cache writes back
 * (the workloads fill a few percent of it) and the origin stays as the
 * base image made it: the NVDIMM alone holds the crash state.  The
 * harness checks that the origin was never written (guest_origin_check).
 */
#include "kit.h"

const char torn_kit_wc_script[] =
	"#!/bin/sh\n"
	"# torn-wc STEP CACHE ORIGIN [MNT]: the dm-writecache kind's steps\n"
	"# (STEP: mkfs, mount, umount, fsck, table).  ext4 takes the origin's\n"
	"# first 48 MiB; block-level workloads write the rest.\n"
	"name=torn-wc\n"
	"dm=/dev/mapper/$name\n"
	"step=$1 cache=$2 origin=$3 mnt=${4:-/mnt}\n"
	"die() { echo \"torn-wc: $*\" >&2; exit 1; }\n"
	"table() {\n"
	"  s=$(cat /sys/block/${origin#/dev/}/size) || die \"no origin disk $origin\"\n"
	"  echo \"0 $s writecache p $origin $cache 4096 4 high_watermark 100 low_watermark 99\"\n"
	"}\n"
	"up() {\n"
	"  t=$(table) || exit 1\n"
	"  dmsetup create --noudevsync $name --table \"$t\" ||\n"
	"    die \"dmsetup create $name --table '$t' failed\"\n"
	"  [ -b $dm ] || dmsetup mknodes $name\n"
	"}\n"
	"down() { dmsetup remove --noudevsync $name || die \"dmsetup remove $name failed\"; }\n"
	"case $step in\n"
	"mkfs)\n"
	"  mkfs.ext4 -F -q -b 4096 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \\\n"
	"    $origin 12288 || die \"mkfs.ext4 on $origin failed\"\n"
	"  # a zeroed first block: dm-writecache makes a new, empty cache\n"
	"  dd if=/dev/zero of=$cache bs=4096 count=1 conv=fsync 2>/dev/null ||\n"
	"    die \"cannot zero the first block of $cache\"\n"
	"  up && down ;;\n"
	"mount)\n"
	"  up\n"
	"  mount -t ext4 $dm $mnt || { down; exit 1; } ;;\n"
	"umount)\n"
	"  umount $mnt && down ;;\n"
	"fsck)\n"
	"  up\n"
	"  e2fsck -fn $dm; rc=$?\n"
	"  down\n"
	"  exit $rc ;;\n"
	"table) table ;;\n"
	"*) die \"unknown step '$step' (mkfs, mount, umount, fsck, table)\" ;;\n"
	"esac\n";
