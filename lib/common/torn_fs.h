/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filesystem kinds torn runs on: what namespace the NVDIMM holds,
 * what is made on it once for the base image, and how a recovered state
 * is mounted and checked.  The built-in kinds are rows of one table;
 * a spec's [fs] section registers a kind of the user's own the same way
 * (docs/filesystems.md).
 */
#ifndef TORN_FS_H
#define TORN_FS_H

#include <stdbool.h>

/* The built-in kinds; kinds of the user's own follow them. */
enum torn_fs_kind {
	TORN_FS_EXT4_DAX = 0,
	TORN_FS_XFS_DAX,
	TORN_FS_DEVDAX,
	TORN_FS_EXT4_BTT,
	TORN_FS_XFS_BTT,
	TORN_FS_BTRFS_PMEM,
	TORN_FS_DM_WRITECACHE,
	TORN_FS_BUILTIN, /* how many are built in */
};

#define TORN_FS_MAX 32 /* kinds in all, built-in and registered */

/*
 * Where an fsdax (--map=mem) or devdax namespace's data starts in the
 * NVDIMM: what /dev/pmem0 or /dev/dax0.0 reads at its offset 0.
 */
#define TORN_NS_DATA_OFFSET (2u << 20)

/* What ndctl makes of the NVDIMM's namespace. */
enum torn_ns_mode {
	TORN_NS_FSDAX, /* /dev/pmem0, DAX-capable, data 2 MiB in */
	TORN_NS_SECTOR, /* /dev/pmem0s behind the BTT */
	TORN_NS_DEVDAX, /* /dev/dax0.0 */
};

/* Which fsck the host may run on the backing file itself. */
enum torn_host_fsck {
	TORN_HOST_FSCK_NONE,
	TORN_HOST_FSCK_EXT4,
	TORN_HOST_FSCK_XFS,
};

/*
 * One kind.  The argument vectors are NULL-terminated, with {dev} (the
 * guest's device for ns), {mnt} (/mnt) and {origin} (the origin disk)
 * expanded when they run.  mount NULL: nothing is mounted (device DAX).
 * fstype and mount_data, when fstype is set, are mount's mount(2) form,
 * which the agent does without a program.
 *
 * origin_mb, when not 0: the guest has a second disk of that many MiB
 * (a virtio disk, {origin}), made with the base image and never written
 * after it: a block cache's origin (dm-writecache).  blockdev: the block
 * device the mount step makes (a device-mapper target), which block-level
 * workloads write; NULL: none.
 */
struct torn_fs {
	const char *name;
	int ns; /* enum torn_ns_mode */
	bool dax; /* mounted with DAX: MAP_SYNC works on its files */
	const char *const *modules; /* loaded in the guest before use */
	const char *const *mkfs; /* NULL: the namespace is all */
	const char *const *mount;
	const char *const *umount;
	const char *const *fsck; /* NULL: no fsck oracle */
	const char *fstype, *mount_data;
	int host_fsck; /* enum torn_host_fsck */
	unsigned int origin_mb;
	const char *blockdev;
};

int torn_fs_kind_parse(const char *s); /* "ext4-dax" ... or -1 */
const char *torn_fs_kind_name(int kind); /* "?" out of range */
const struct torn_fs *torn_fs_get(int kind); /* NULL out of range */
int torn_fs_count(void); /* built-in and registered */

/* The guest's device for a namespace mode, e.g. "/dev/pmem0s". */
const char *torn_fs_ns_dev(int ns);
const char *torn_fs_ns_name(int ns); /* "fsdax", "sector", "devdax" */
int torn_fs_ns_parse(const char *s); /* or -1 */
#define TORN_FS_MNT "/mnt"
#define TORN_FS_ORIGIN_NAME "vda" /* the origin disk, when there is one */
#define TORN_FS_ORIGIN_DEV "/dev/" TORN_FS_ORIGIN_NAME
#define TORN_FS_ORIGIN_MB_MAX 4096u

/* The device the kind's filesystem (or data) lives on in the guest. */
static inline const char *torn_fs_dev(const struct torn_fs *fs)
{
	return torn_fs_ns_dev(fs->ns);
}

/*
 * Register a kind of the user's own; fs and everything it points to
 * must outlive every use (the caller keeps them).  Returns the new kind,
 * the existing kind when one of that name has the same definition, or -1
 * with why set (a name taken by a different kind, no room).
 */
int torn_fs_register(const struct torn_fs *fs, char *why, size_t len);

/* Two definitions are the same kind (every field equal). */
bool torn_fs_same(const struct torn_fs *a, const struct torn_fs *b);

/*
 * argv with {dev}, {mnt} and {origin} expanded, malloc'd (torn_fs_argv_free);
 * NULL when argv is NULL or memory runs out.
 */
char **torn_fs_argv(const struct torn_fs *fs, const char *const *argv);
void torn_fs_argv_free(char **argv);

#endif
