/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Options and helpers shared by the subcommands that boot guests. */
#ifndef TORN_GUEST_CLI_H
#define TORN_GUEST_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "kit.h"
#include "vm.h"

struct guest_opts {
	const char *cache_dir;
	const char *kernel;
	const char *modules;
	int fs_kind;
	int flush_mode;
	int keep; /* keep the work directory */
	int timeout_s; /* boot timeout */
	uint64_t pm_size; /* the NVDIMM's bytes; 0: TORN_KIT_PM_SIZE */
	const char *stage; /* a user test's stage archive (kit.h), or NULL */
	/* --backend libvirt[:URI]: guests as libvirt domains; NULL: QEMU */
	const char *libvirt_uri;
	unsigned int given; /* GUEST_GIVEN_*: set by guest_opts_set */
};

#define GUEST_GIVEN_FS 0x01
#define GUEST_GIVEN_FLUSH 0x02
#define GUEST_GIVEN_PM_SIZE 0x04

/* --backend libvirt without a URI */
#define GUEST_LIBVIRT_URI "qemu:///system"

/* The NVDIMM sizes --pm-size takes: 16 MiB .. 16 GiB, in 2 MiB steps. */
#define GUEST_PM_SIZE_MIN (16ull << 20)
#define GUEST_PM_SIZE_MAX (16ull << 30)
#define GUEST_PM_SIZE_ALIGN (2ull << 20)

/* o's NVDIMM size: --pm-size, else the default. */
uint64_t guest_pm_size(const struct guest_opts *o);

/* The longest --boot-timeout, in seconds. */
#define GUEST_BOOT_TIMEOUT_MAX 86400

/*
 * The one parser of those options, for a value from elsewhere (torn
 * run's spec): opt is the option as on the command line ("--fs",
 * "--flush", "--kernel", "--modules", "--cache", "--boot-timeout",
 * "--backend"); v
 * must outlive o.  0; TORN_E_NOTFOUND when opt is none of them;
 * TORN_E_USAGE with why in err ("expected 1..86400"), o unchanged.
 */
int guest_opts_set(struct guest_opts *o, const char *opt, const char *v,
		   struct torn_err *err);

/*
 * A size as --pm-size takes it: bytes, or a number with K, M or G
 * (binary units), e.g. "512M"; in GUEST_PM_SIZE_MIN..MAX and a multiple
 * of GUEST_PM_SIZE_ALIGN.  0, or TORN_E_USAGE with why in err.
 */
int guest_pm_size_parse(const char *v, uint64_t *out, struct torn_err *err);

/*
 * Consume a kit/guest option at argv[*i] (advancing *i past a value).
 * Returns 1 when consumed, 0 when not one of ours, -1 on a bad value
 * (message printed).
 */
int guest_opts_parse(struct guest_opts *o, int argc, char **argv, int *i);
/* Usage lines for those options. */
extern const char guest_opts_usage[];

/*
 * Build or reuse the kit, with o->stage's archive after its own when
 * set; prints one line about it on stderr.
 */
int guest_kit(const struct guest_opts *o, struct torn_kit *kit);

/* A fresh work directory under $TMPDIR (short: it holds a socket). */
int guest_workdir(const char *what, char *out, size_t len);
/* Remove a work directory and what is in it (one level). */
void guest_workdir_remove(const char *dir);

/*
 * *cfg := what boots kit on the NVDIMM backing file pm_path (pm_size
 * bytes) in workdir, with o's flush mode and boot timeout (default
 * 300 s); no plugin, the console in workdir.
 */
void guest_vm_config(const struct guest_opts *o, const struct torn_kit *kit,
		     const char *pm_path, uint64_t pm_size, const char *workdir,
		     struct torn_vm_config *cfg);

/*
 * A kind with an origin disk: the guest is given origin (never written:
 * its writes go to an overlay that dies with the guest).
 */
void guest_vm_origin(const struct torn_fs *fs, const char *origin,
		     struct torn_vm_config *cfg);

/*
 * A kind with an origin disk: fails (TORN_E_GUEST, saying so) when the
 * guest wrote to it since it booted, e.g. a block cache that wrote back:
 * the NVDIMM alone would no longer hold the crash state, and the next
 * state checked in this guest would see those writes.
 */
int guest_origin_check(struct torn_vm *vm, const struct torn_fs *fs,
		       int timeout_ms, struct torn_err *err);

/* A guest on a fresh copy of a base image of the kit. */
struct guest_pm {
	struct torn_kit kit;
	char base[4096]; /* the cached base image it was copied from */
	char work[4096]; /* the work directory */
	char pm[4200]; /* WORK/pm.img, the NVDIMM backing file */
	char origin[4200]; /* the base origin disk ("": the kind has none) */
	struct torn_vm_config cfg; /* guest_vm_config() for them: points
				      into pm and work, so no copies */
};

/*
 * The kit, o->fs_kind's base image, a work directory named after what,
 * the base image copied into it, and the configuration to boot that:
 * TORN_EXIT_OK, or TORN_EXIT_INFRA after one line on stderr (the work
 * directory removed).  The caller removes g->work when done.
 */
int guest_pm_prepare(const struct guest_opts *o, const char *what,
		     struct guest_pm *g);

/*
 * Call the agent's "run": fills status ("exit 0"...), out and err (static
 * copies, valid until the next call).  Returns 0 when the call itself
 * worked, whatever the program's status.
 */
int guest_run(struct torn_vm *vm, int timeout_ms, const char *const *argv,
	      const char **status, const char **out, const char **err_out,
	      struct torn_err *err);

/* Simple call returning the first field after "ok" (static copy) or NULL. */
int guest_call(struct torn_vm *vm, int timeout_ms, const char *const *args,
	       const char **detail, struct torn_err *err);

/*
 * Mount fs's device on /mnt in the guest, its modules loaded first:
 * with mount(2) when the kind has that form, else with its mount
 * program.  0; TORN_E_GUEST with why in err when the mount failed
 * (a verdict); another code when the call itself did.
 */
int guest_fs_mount(struct torn_vm *vm, const struct torn_fs *fs, int timeout_ms,
		   struct torn_err *err);

/*
 * A sector namespace between crash states.  The BTT keeps its free list
 * and log positions in memory, read when the namespace is enabled, so a
 * restored image under a live BTT would take writes into blocks the
 * image uses.  guest_fs_ns_recover disables the namespace (unless
 * disabled says it is) and enables it again: the BTT reads the arena
 * afresh and runs its own recovery (a map entry its log says was being
 * written is completed).  guest_fs_ns_check disables it and runs the
 * BTT's own check, ndctl check-namespace: bad gets "" or its status and
 * output.  Other kinds: nothing, 0.  0, or as guest_fs_mount.
 */
int guest_fs_ns_recover(struct torn_vm *vm, const struct torn_fs *fs,
			bool disabled, int timeout_ms, struct torn_err *err);
int guest_fs_ns_check(struct torn_vm *vm, const struct torn_fs *fs,
		      int timeout_ms, char *bad, size_t len,
		      struct torn_err *err);

/* Unmount it again, the same way. */
int guest_fs_umount(struct torn_vm *vm, const struct torn_fs *fs,
		    int timeout_ms, struct torn_err *err);

/* The kind's mount line as a user reads it ("mount -t ext4 -o dax ..."). */
char *guest_fs_line(const struct torn_fs *fs, const char *const *argv);

/*
 * Kinds of the user's own (docs/filesystems.md).  guest_fs_parse reads
 * kf's [fs] group (text is the spec's text and src its name, for
 * messages) and registers the kind: *kind, or TORN_E_FORMAT with one
 * line in err.  guest_fs_text is the [fs] group that defines fs
 * (g_free); guest_fs_load reads one from a file.  guest_fs_load_run
 * finds a run's kind by name: built in, or RUN/fs.spec.
 */
/* The line of key in [group] of a spec's text (the last; 0: none). */
int guest_spec_line(const char *text, const char *group, const char *key);
int guest_fs_parse(GKeyFile *kf, const char *text, const char *src, int *kind,
		   struct torn_err *err);
char *guest_fs_text(const struct torn_fs *fs);
int guest_fs_load(const char *path, int *kind, struct torn_err *err);
int guest_fs_load_run(const char *dir, const char *name, int *kind,
		      struct torn_err *err);

/*
 * The copies are per thread: a thread that called either frees its own
 * with this before it ends (their pointers are then gone).
 */
void guest_thread_done(void);

#endif
