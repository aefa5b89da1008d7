/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The filesystem kinds torn runs on, and their names. */
#ifndef TORN_FS_H
#define TORN_FS_H

/* Filesystem kinds a base PM image can hold. */
enum torn_fs_kind {
	TORN_FS_EXT4_DAX = 0,
	TORN_FS_XFS_DAX,
	TORN_FS_DEVDAX,
	TORN_FS_COUNT,
};

int torn_fs_kind_parse(const char *s); /* "ext4-dax" ... or -1 */
const char *torn_fs_kind_name(int kind); /* "?" out of range */

#endif
