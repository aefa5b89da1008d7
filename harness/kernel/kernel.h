/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest kernels torn builds from Debian's linux-source, cached by content. */
#ifndef TORN_KERNEL_H
#define TORN_KERNEL_H

#include <stdio.h>

#include "torn_err.h"

/*
 * What a build is made of.  Everything here goes into the build's hash,
 * except jobs and progress: the same inputs give the same hash on every
 * machine with the same linux-source and stock config.
 */
struct torn_kernel_build_opts {
	const char *cache_dir; /* resolved (torn_cache_dir) */
	const char *source; /* NULL: /usr/src/linux-source-6.1.tar.xz */
	/* NULL: /boot/config-REL of the newest stock kernel in /boot */
	const char *base_config;
	const char *torn_config; /* NULL: TORN_KERNEL_CONFIG_PATH */
	const char *fragment; /* --config-fragment FILE, or NULL */
	const char
		*patches; /* a directory with a quilt-style series, or NULL */
	int gcov; /* profile the recovery code (TORN_KERNEL_GCOV_DIRS) */
	const char *name; /* a name for it besides its hash, or NULL */
	int jobs; /* make -j; 0: the number of cores */
	int cached_only; /* find it built, never build: k->built says */
	FILE *progress; /* progress lines, or NULL */
};

/* A built kernel in the cache. */
struct torn_kernel {
	char hash[65]; /* sha256 of the build's inputs */
	char id[24]; /* "built:" and the hash's first 16 digits */
	char dir[4096]; /* CACHE/kernels/HASH16 */
	char vmlinuz[4096]; /* dir/vmlinuz */
	char modules[4096]; /* dir/lib/modules/RELEASE, for the kit */
	char release[128]; /* e.g. 6.1.192-torn-1a2b3c4d */
	char log[4096]; /* the build's log (dir/build.log) */
	int gcov; /* built with --gcov: dir/gcov holds the .gcno and sources */
	/*
	 * the tree it compiled in: the guest's /sys/kernel/debug/gcov names
	 * the profiled files by their paths there
	 */
	char tree[4096];
	int reused; /* it was in the cache: nothing was built */
	int built; /* it exists (0 only with cached_only: hash and id set) */
};

/*
 * The directories and files whose code a --gcov kernel profiles, relative
 * to the source tree, NULL-terminated: the recovery code of the
 * filesystems, DAX, the NVDIMM drivers and dm-writecache.
 */
extern const char *const torn_kernel_gcov_paths[];

/*
 * Build the kernel opt describes, or find it built.  The tree a build
 * compiles in is kept (CACHE/kernels/trees/KEY) for the builds that
 * differ from it only in their patches, so those recompile only what the
 * patches touch.  0, or one line in err: an input missing
 * (TORN_E_NOTFOUND), a bad series or fragment (TORN_E_USAGE), a patch
 * that does not apply, a fragment setting Kconfig refused, or a failed
 * make, with the log's path (-EIO).
 */
int torn_kernel_build(const struct torn_kernel_build_opts *opt,
		      struct torn_kernel *k, struct torn_err *err);

/*
 * The built kernel that spec names: "built:X" or X, where X is a name
 * given at build time or a prefix (4 or more digits) of one hash.  0;
 * TORN_E_NOTFOUND (none, or not finished); TORN_E_USAGE (a prefix of
 * several).
 */
int torn_kernel_find(const char *cache_dir, const char *spec,
		     struct torn_kernel *k, struct torn_err *err);

/* Whether a --kernel value names a built kernel rather than a file. */
int torn_kernel_is_built_spec(const char *spec);

/*
 * Every finished build in the cache, one line each on f: id, release,
 * gcov or not, names, patches.  The number listed, or -errno.
 */
int torn_kernel_list(const char *cache_dir, FILE *f);

#endif
