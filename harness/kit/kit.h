/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest kit: kernel, initramfs and base PM images, cached by content hash.
 */
#ifndef TORN_KIT_H
#define TORN_KIT_H

#include <stdint.h>

#include "torn_err.h"
#include "torn_fs.h"

/*
 * NVDIMM sizes.  xfsprogs refuses filesystems under 300 MB except under
 * fstests; torn formats XFS the way fstests does (TEST_DIR, TEST_DEV and
 * QA_CHECK_FS set), so every kind fits a 64 MiB NVDIMM and crash images
 * stay small.  docs/user-guide.md says so.
 */
#define TORN_KIT_PM_SIZE (64ull << 20)

struct torn_kit_options {
	const char *kernel; /* NULL: Debian's stock kernel in /boot */
	const char *modules; /* with kernel: its /lib/modules/VERSION */
	const char *cache_dir; /* NULL: $TORN_CACHE, $XDG_CACHE_HOME/torn,
				  ~/.cache/torn */
	const char *agent; /* torn-agent binary (static) */
	const char *mark; /* torn-mark binary, may be NULL */
	const char *const *
		extra_bins; /* more host programs to include, NULL-terminated */
	int verbose;
};

struct torn_kit {
	char hash[65]; /* sha256 of everything in the kit */
	char dir[4096]; /* cache_dir/kits/HASH */
	char kernel[4096]; /* dir/vmlinuz */
	char initrd[4096]; /* dir/initrd.cpio */
	char release[128]; /* kernel release, e.g. 6.1.0-56-amd64 */
	char cache_dir[4096];
	int reused; /* nothing was built */
};

/* Build the kit, or find it already built.  Progress goes to stderr. */
int torn_kit_ensure(const struct torn_kit_options *opt, struct torn_kit *kit,
		    struct torn_err *err);

/*
 * The base PM image of a filesystem kind and size (bytes, a multiple of
 * 2 MiB) for this kit: built by booting the kit once (ndctl
 * create-namespace, mkfs) and cached per kit, kind and size.  path gets
 * the image's path; reused is set when it was already there.
 */
int torn_kit_base_image(const struct torn_kit *kit, int fs_kind,
			uint64_t pm_size, char *path, size_t pathlen,
			int *reused, struct torn_err *err);

/* The directory for the cache (created). */
int torn_cache_dir(const char *override, char *out, size_t len);

/* Copy a file, sparse-aware (copy_file_range); dst is replaced. */
int torn_copy_file(const char *src, const char *dst);

#endif
