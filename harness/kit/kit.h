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
	/* what to call the kernel in kit.txt and meta.json; NULL: its path */
	const char *kernel_id;
	const char *cache_dir; /* NULL: $TORN_CACHE, $XDG_CACHE_HOME/torn,
				  ~/.cache/torn */
	const char *agent; /* torn-agent binary (static) */
	const char *mark; /* torn-mark binary, may be NULL */
	const char *const *
		extra_bins; /* more host programs to include, NULL-terminated */
	/*
	 * More kernel modules a filesystem kind loads when it is used (beside
	 * every built-in kind's), NULL-terminated or NULL.
	 */
	const char *const *load_modules;
	int verbose;
};

struct torn_kit {
	char hash[65]; /* sha256 of everything in the kit */
	char dir[4096]; /* cache_dir/kits/HASH */
	char kernel[4096]; /* dir/vmlinuz */
	char initrd[4096]; /* dir/initrd.cpio */
	char release[128]; /* kernel release, e.g. 6.1.0-56-amd64 */
	/* which kernel: "stock", "built:HASH16" (torn kernel build), its path
	 */
	char kernel_id[4096];
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

/*
 * A kind with an origin disk (torn_fs.origin_mb): the base origin that
 * goes with the base image at base ("KIND.img" -> "KIND.origin.img").
 * A run directory keeps its copy as TORN_RUN_ORIGIN (rundir.h).
 */
void torn_kit_origin_path(const char *base, char *out, size_t len);

/* /usr/bin/torn-wc, the dm-writecache kind's steps (kit_wc.c). */
extern const char torn_kit_wc_script[];

struct torn_vm;

/*
 * Load fs's kernel modules in a booted kit guest (its agent's
 * load-modules request); 0 when it has none.
 */
int torn_kit_load_modules(struct torn_vm *vm, const struct torn_fs *fs,
			  struct torn_err *err);

/*
 * The stage: what a user's test brings into the guest (docs/own-tests.md),
 * a second initramfs archive the kernel unpacks after the kit's, so that
 * a changed program re-stages in a second without rebuilding the kit or
 * its base images.
 */
enum torn_stage_kind {
	/*
	 * An executable at guest: an ELF program with the shared libraries
	 * and the loader ldd names, a script with its #! interpreter (the
	 * kit's busybox for sh).
	 */
	TORN_STAGE_PROGRAM,
	TORN_STAGE_FILE, /* a file, or a directory tree, as it is */
	TORN_STAGE_SCRIPT, /* a file, and the interpreter its #! names */
};

struct torn_stage_item {
	const char *host; /* the host path */
	const char *guest; /* absolute path in the guest */
	int kind; /* enum torn_stage_kind */
	const char *what; /* what it is to the user ("checker"), for errors */
};

/*
 * The stage archive (newc cpio) of items into *out (g_free it), *len
 * bytes.  0, or with one line in err: "WHAT 'HOST': no such file"
 * (TORN_E_NOTFOUND), "WHAT 'HOST': not an executable file" for a
 * program (TORN_E_USAGE), a library or interpreter the host cannot
 * resolve (TORN_E_NOTFOUND), a file unreadable.
 */
int torn_kit_stage_build(const struct torn_stage_item *items, size_t n,
			 void **out, size_t *len, struct torn_err *err);

/*
 * The file at guest (an absolute path) in a stage archive of len bytes:
 * *data and *size point into stage.  0; TORN_E_NOTFOUND when the archive
 * has no such regular file; TORN_E_FORMAT for a damaged archive.
 */
int torn_kit_stage_file(const void *stage, size_t len, const char *guest,
			const void **data, size_t *size);

/*
 * Boot kit with the stage archive at stage_path: kit->initrd becomes the
 * kit's archive followed by the stage's, cached in KIT/staged/ by the
 * stage's hash.  0, or -errno / TORN_E_FORMAT with err filled.
 */
int torn_kit_use_stage(struct torn_kit *kit, const char *stage_path,
		       struct torn_err *err);

/*
 * The #! line of the script at path: 1 with its interpreter in interp
 * and the rest of the line (the one argument the kernel passes it, ""
 * when none) in arg; 0 when the file does not start with #!; -errno when
 * it cannot be read.  An interpreter longer than ilen is cut.
 */
int torn_kit_shebang(const char *path, char *interp, size_t ilen, char *arg,
		     size_t alen);

/* The directory for the cache (created). */
int torn_cache_dir(const char *override, char *out, size_t len);

/* Copy a file, sparse-aware (copy_file_range); dst is replaced. */
int torn_copy_file(const char *src, const char *dst);

#endif
