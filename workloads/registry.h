/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The workloads torn knows by name: guest programs, their arguments, checkers.
 */
#ifndef TORN_WORKLOAD_REGISTRY_H
#define TORN_WORKLOAD_REGISTRY_H

#include <stddef.h>

/* Workload flags. */
#define TORN_WL_FS 0x01 /* runs on a DAX filesystem (ext4-dax, xfs-dax) */
#define TORN_WL_DEVDAX 0x02 /* runs on devdax */
#define TORN_WL_BUGGY 0x04 /* a seeded bug: some mode must be flagged */
/* runs on a filesystem without DAX too (ext4-btt, btrfs-pmem): no MAP_SYNC */
#define TORN_WL_NODAX 0x08
/*
 * writes the kind's block device (torn_fs.blockdev) below its filesystem,
 * not a file: runs on kinds with one (dm-writecache); its argument is
 * that device, and its checker finds it in $TORN_BLOCKDEV
 */
#define TORN_WL_BLOCK 0x10

/*
 * One workload.  In the guest torn runs `program ARG` where ARG is fs_arg
 * on a filesystem (mounted at /mnt) and devdax_arg on device DAX, with
 * env added to the environment.  The program emits markers
 * (workloads/include/torn_mark.h) and may write /tmp/torn-expected.txt
 * (docs/oracles.md).  checker, when set, is the custom oracle run on each
 * recovered state (`checker TARGET`, see docs/oracles.md).
 *
 * buggy_modes lists the flush modes (comma-separated, e.g. "clwb,nt") in
 * which the checker must find a bug with engines detect_engines; twin
 * names the correct twin of a seeded bug.
 */
struct torn_workload {
	const char *name;
	const char *program;
	const char *fs_arg;
	const char *devdax_arg;
	const char *checker;
	const char *env; /* "NAME=VALUE" or NULL */
	unsigned int flags;
	const char *buggy_modes;
	const char *detect_engines; /* e.g. "subsets:2" */
	const char *twin;
	const char *summary;
	/*
	 * An fsops workload (docs/workloads.md): its source text, which torn
	 * writes into the guest as the file that env's TORN_FSOPS_FILE names
	 * before it runs program (torn-fsops) with fs_arg (the mount point).
	 */
	const char *fsops_text;
	/*
	 * A user's own test (docs/own-tests.md), all NULL for the built-ins:
	 * args, the program's argument vector (replaces fs_arg and
	 * devdax_arg); envs, more NAME=VALUE words (beside env); setup, the
	 * argument vector of a step run before START and not traced.  Each
	 * NULL-terminated, with {target}, {mnt} and {fs} already expanded.
	 */
	const char *const *args;
	const char *const *envs;
	const char *const *setup;
};

extern const struct torn_workload torn_workloads[];
extern const size_t torn_workloads_count;

/* The workload named name, or NULL. */
const struct torn_workload *torn_workload_find(const char *name);

#endif
