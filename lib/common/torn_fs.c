/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The filesystem kinds torn runs on, and their names. */
#include <string.h>

#include "torn_fs.h"

static const char *const fs_kind_names[] = {
	[TORN_FS_EXT4_DAX] = "ext4-dax",
	[TORN_FS_XFS_DAX] = "xfs-dax",
	[TORN_FS_DEVDAX] = "devdax",
};

int torn_fs_kind_parse(const char *s)
{
	int i;

	for (i = 0; i < TORN_FS_COUNT; i++)
		if (!strcmp(s, fs_kind_names[i]))
			return i;
	return -1;
}

const char *torn_fs_kind_name(int kind)
{
	return kind >= 0 && kind < TORN_FS_COUNT ? fs_kind_names[kind] : "?";
}
