/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The filesystem kinds torn runs on: the built-in table and the user's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torn_fs.h"

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* lazy init: every inode table and the journal written at mkfs time */
#define MKFS_EXT4                                      \
	A("mkfs.ext4", "-F", "-q", "-b", "4096", "-E", \
	  "nodiscard,lazy_itable_init=0,lazy_journal_init=0", "{dev}")
/* the fstests way past xfsprogs' 300 MB floor (docs/user-guide.md) */
#define MKFS_XFS                                                     \
	A("env", "TEST_DIR=/tmp", "TEST_DEV={dev}", "QA_CHECK_FS=1", \
	  "mkfs.xfs", "-f", "-q", "-m", "reflink=0", "-K", "{dev}")
#define UMOUNT A("umount", "{mnt}")
#define FSCK_EXT4 A("e2fsck", "-fn", "{dev}")
#define FSCK_XFS A("xfs_repair", "-n", "{dev}")

static const struct torn_fs builtin[TORN_FS_BUILTIN] = {
	[TORN_FS_EXT4_DAX] = {
		.name = "ext4-dax", .ns = TORN_NS_FSDAX, .dax = true,
		.mkfs = MKFS_EXT4,
		.mount = A("mount", "-t", "ext4", "-o", "dax", "{dev}", "{mnt}"),
		.umount = UMOUNT, .fsck = FSCK_EXT4,
		.fstype = "ext4", .mount_data = "dax",
		.host_fsck = TORN_HOST_FSCK_EXT4,
	},
	[TORN_FS_XFS_DAX] = {
		.name = "xfs-dax", .ns = TORN_NS_FSDAX, .dax = true,
		.mkfs = MKFS_XFS,
		.mount = A("mount", "-t", "xfs", "-o", "dax", "{dev}", "{mnt}"),
		.umount = UMOUNT, .fsck = FSCK_XFS,
		.fstype = "xfs", .mount_data = "dax",
		.host_fsck = TORN_HOST_FSCK_XFS,
	},
	[TORN_FS_DEVDAX] = { .name = "devdax", .ns = TORN_NS_DEVDAX },
	/* the BTT's data blocks move, so the host cannot read the fs */
	[TORN_FS_EXT4_BTT] = {
		.name = "ext4-btt", .ns = TORN_NS_SECTOR,
		.mkfs = MKFS_EXT4,
		.mount = A("mount", "-t", "ext4", "{dev}", "{mnt}"),
		.umount = UMOUNT, .fsck = FSCK_EXT4,
		.fstype = "ext4", .mount_data = "",
	},
	[TORN_FS_XFS_BTT] = {
		.name = "xfs-btt", .ns = TORN_NS_SECTOR,
		.mkfs = MKFS_XFS,
		.mount = A("mount", "-t", "xfs", "{dev}", "{mnt}"),
		.umount = UMOUNT, .fsck = FSCK_XFS,
		.fstype = "xfs", .mount_data = "",
	},
	/*
	 * Mixed block groups: mkfs.btrfs's floor is 109 MiB without them,
	 * and they are what it advises for small filesystems.
	 */
	[TORN_FS_BTRFS_PMEM] = {
		.name = "btrfs-pmem", .ns = TORN_NS_FSDAX,
		.modules = A("btrfs"),
		.mkfs = A("mkfs.btrfs", "-f", "-q", "--mixed", "{dev}"),
		.mount = A("mount", "-t", "btrfs", "{dev}", "{mnt}"),
		.umount = UMOUNT,
		.fsck = A("btrfs", "check", "--readonly", "{dev}"),
		.fstype = "btrfs", .mount_data = "",
	},
	/*
	 * ext4 without DAX on a dm-writecache target whose cache is the
	 * fsdax namespace (pmem mode) and whose origin is a virtio disk.
	 * torn-wc (the kit's, harness/kit/kit_wc.c) holds the table line;
	 * ext4 takes the origin's first 48 MiB, block workloads the rest.
	 */
	[TORN_FS_DM_WRITECACHE] = {
		.name = "dm-writecache", .ns = TORN_NS_FSDAX,
		.modules = A("virtio_blk", "dm_writecache"),
		.mkfs = A("torn-wc", "mkfs", "{dev}", "{origin}"),
		.mount = A("torn-wc", "mount", "{dev}", "{origin}", "{mnt}"),
		.umount = A("torn-wc", "umount", "{dev}", "{origin}", "{mnt}"),
		.fsck = A("torn-wc", "fsck", "{dev}", "{origin}"),
		.origin_mb = 64,
		.blockdev = "/dev/mapper/torn-wc",
	},
};

/* kinds of the user's own, after the built-in ones */
static const struct torn_fs *registered[TORN_FS_MAX - TORN_FS_BUILTIN];
static int nregistered;

static const char *const ns_names[] = {
	[TORN_NS_FSDAX] = "fsdax",
	[TORN_NS_SECTOR] = "sector",
	[TORN_NS_DEVDAX] = "devdax",
};
static const char *const ns_devs[] = {
	[TORN_NS_FSDAX] = "/dev/pmem0",
	[TORN_NS_SECTOR] = "/dev/pmem0s",
	[TORN_NS_DEVDAX] = "/dev/dax0.0",
};

const struct torn_fs *torn_fs_get(int kind)
{
	if (kind >= 0 && kind < TORN_FS_BUILTIN)
		return &builtin[kind];
	if (kind >= TORN_FS_BUILTIN && kind < TORN_FS_BUILTIN + nregistered)
		return registered[kind - TORN_FS_BUILTIN];
	return NULL;
}

int torn_fs_count(void)
{
	return TORN_FS_BUILTIN + nregistered;
}

int torn_fs_kind_parse(const char *s)
{
	int i;

	for (i = 0; s && i < torn_fs_count(); i++)
		if (!strcmp(s, torn_fs_get(i)->name))
			return i;
	return -1;
}

const char *torn_fs_kind_name(int kind)
{
	const struct torn_fs *fs = torn_fs_get(kind);

	return fs ? fs->name : "?";
}

const char *torn_fs_ns_dev(int ns)
{
	return ns >= 0 && ns <= TORN_NS_DEVDAX ? ns_devs[ns] : "?";
}

const char *torn_fs_ns_name(int ns)
{
	return ns >= 0 && ns <= TORN_NS_DEVDAX ? ns_names[ns] : "?";
}

int torn_fs_ns_parse(const char *s)
{
	int i;

	for (i = 0; s && i <= TORN_NS_DEVDAX; i++)
		if (!strcmp(s, ns_names[i]))
			return i;
	return -1;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool argv_eq(const char *const *a, const char *const *b)
{
	if (!a || !b)
		return a == b;
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b))
			return false;
	return !*a && !*b;
}

bool torn_fs_same(const struct torn_fs *a, const struct torn_fs *b)
{
	return str_eq(a->name, b->name) && a->ns == b->ns && a->dax == b->dax &&
	       argv_eq(a->modules, b->modules) && argv_eq(a->mkfs, b->mkfs) &&
	       argv_eq(a->mount, b->mount) && argv_eq(a->umount, b->umount) &&
	       argv_eq(a->fsck, b->fsck) && str_eq(a->fstype, b->fstype) &&
	       str_eq(a->mount_data, b->mount_data) &&
	       a->host_fsck == b->host_fsck && a->origin_mb == b->origin_mb &&
	       str_eq(a->blockdev, b->blockdev);
}

int torn_fs_register(const struct torn_fs *fs, char *why, size_t len)
{
	int kind = torn_fs_kind_parse(fs->name);

	if (kind >= 0) {
		if (torn_fs_same(torn_fs_get(kind), fs))
			return kind;
		snprintf(
			why, len,
			kind < TORN_FS_BUILTIN
				? "filesystem kind '%s' is built in; give yours another name"
				: "filesystem kind '%s' is defined twice, differently",
			fs->name);
		return -1;
	}
	if (nregistered == TORN_FS_MAX - TORN_FS_BUILTIN) {
		snprintf(why, len, "more than %d filesystem kinds",
			 TORN_FS_MAX);
		return -1;
	}
	registered[nregistered++] = fs;
	return TORN_FS_BUILTIN + nregistered - 1;
}

/* s with every {dev}, {mnt} and {origin} replaced, malloc'd */
static char *expand(const char *s, const char *dev, const char *mnt)
{
	static const char origin[] = TORN_FS_ORIGIN_DEV;
	size_t cap = strlen(s) + 1, n = 0;
	char *out;

	for (const char *p = s; (p = strchr(p, '{')); p++)
		cap += strlen(dev) + strlen(mnt) + strlen(origin);
	out = malloc(cap);
	if (!out)
		return NULL;
	while (*s) {
		const char *with = !strncmp(s, "{dev}", 5)	? dev
				   : !strncmp(s, "{mnt}", 5)	? mnt
				   : !strncmp(s, "{origin}", 8) ? origin
								: NULL;

		if (with) {
			memcpy(out + n, with, strlen(with));
			n += strlen(with);
			s += with == origin ? 8 : 5;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = 0;
	return out;
}

char **torn_fs_argv(const struct torn_fs *fs, const char *const *argv)
{
	size_t n = 0, i;
	char **v;

	if (!argv)
		return NULL;
	while (argv[n])
		n++;
	v = calloc(n + 1, sizeof(*v));
	for (i = 0; v && i < n; i++) {
		v[i] = expand(argv[i], torn_fs_dev(fs), TORN_FS_MNT);
		if (!v[i]) {
			torn_fs_argv_free(v);
			return NULL;
		}
	}
	return v;
}

void torn_fs_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
