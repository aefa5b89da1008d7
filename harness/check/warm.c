/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checkers started warm: the first checker that boots saves its guest
 * (vm.h, torn_vm_save) in torn's cache, and every later checker and
 * every restart, of this check and of later ones with the same guest,
 * starts from that file instead of booting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_int.h"
#include "torn_time.h"

/*
 * Saved guests kept in the cache (about 148 MB each); the ones used
 * least recently are deleted.  torn's own CI uses about a dozen.
 */
#define WARM_KEEP 16
/* The NVDIMM bytes hashed into the key at each end (its metadata). */
#define WARM_META (2u << 20)

struct check_warm {
	char path[4300]; /* CACHE/guests/KEY.mig */
	pthread_mutex_t lock;
	bool saving; /* a checker of this check saves it */
	bool broken; /* a warm start failed: boot from now on */
	const char *off; /* why checkers boot, NULL: they start warm */
	/* under lock */
	unsigned int warm, cold;
	bool saved;
	long long ms_warm, ms_cold, ms_save;
};

/*
 * What stands for a file in the key: its path, size and mtime, not its
 * inode, so that a cache restored on another machine (a CI runner's) with
 * the same packages still matches.
 */
static void add_file(GChecksum *sum, const char *path)
{
	struct stat st;
	char line[4400];

	if (!path || stat(path, &st))
		snprintf(line, sizeof(line), "%s -\n", path ? path : "");
	else
		snprintf(line, sizeof(line), "%s %lld %lld.%09ld\n", path,
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec);
	g_checksum_update(sum, (const guchar *)line, (gssize)strlen(line));
}

/*
 * The key of cfg's guest: QEMU's command line with this checker's paths
 * left out, the QEMU binary, kernel and initrd (content-addressed kit
 * files: named by their stat), and the NVDIMM's metadata in the base
 * image (its first and last 2 MiB: the namespace's info blocks, which
 * the guest reads as it boots).  A checker boots on any state's image;
 * what it must share with the saved guest is the namespace.
 */
static char *warm_key(const struct check_run *run, struct torn_vm_config cfg)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char **argv = NULL, *qemu, *key;
	uint64_t meta = run->pm_size < WARM_META ? run->pm_size : WARM_META;

	cfg.pm_path = "/pm";
	cfg.workdir = "/work";
	cfg.savable = 1;
	cfg.wp_shim = NULL;
	if (torn_vm_build_argv(&cfg, &argv)) {
		g_checksum_free(sum);
		return NULL;
	}
	g_checksum_update(sum, (const guchar *)"torn warm 1\n", 12);
	for (char **a = argv; *a; a++)
		g_checksum_update(sum, (const guchar *)*a,
				  (gssize)strlen(*a) + 1);
	qemu = g_find_program_in_path(argv[0]);
	add_file(sum, qemu);
	g_free(qemu);
	add_file(sum, cfg.kernel);
	add_file(sum, cfg.initrd);
	torn_vm_argv_free(argv);
	g_checksum_update(sum, run->base, (gssize)meta);
	g_checksum_update(sum, run->base + run->pm_size - meta, (gssize)meta);
	key = g_strndup(g_checksum_get_string(sum), 24);
	g_checksum_free(sum);
	return key;
}

/* Why checkers of run cannot start warm, or NULL. */
static const char *warm_why_not(const struct check_run *run)
{
	const char *env = getenv("TORN_WARM");

	if (env && !strcmp(env, "0"))
		return "TORN_WARM=0";
	if (run->guest.libvirt_uri)
		return "libvirt guests boot";
	if (torn_fs_get(run->fs_kind)->origin_mb)
		return "a guest with an origin disk boots";
	if (run->boot_per_state)
		return "--boot-per-state";
	if (!run->base || !run->pm_size)
		return "no base image";
	return NULL;
}

void check_warm_setup(struct check_run *run)
{
	struct torn_vm_config cfg;
	char cache[4096], dir[4200], *key;
	const char *why = warm_why_not(run);
	struct check_warm *w;

	/* counted either way, so that a check can say what its starts cost */
	w = g_new0(struct check_warm, 1);
	pthread_mutex_init(&w->lock, NULL);
	run->warm = w;
	w->off = why;
	if (why)
		return;
	w->off = "no cache directory";
	if (torn_cache_dir(run->guest.cache_dir, cache, sizeof(cache)))
		return;
	snprintf(dir, sizeof(dir), "%s/guests", cache);
	if (g_mkdir_with_parents(dir, 0755)) {
		fprintf(stderr, "torn: checkers boot: cannot create %s: %s\n",
			dir, strerror(errno));
		w->off = "no guests directory in the cache";
		return;
	}
	guest_vm_config(&run->guest, &run->kit, "/pm", run->pm_size, "/work",
			&cfg);
	key = warm_key(run, cfg);
	w->off = "out of memory";
	if (!key)
		return;
	snprintf(w->path, sizeof(w->path), "%s/%s.mig", dir, key);
	g_free(key);
	w->off = NULL;
}

bool check_warm_config(struct checker *c, struct torn_vm_config *cfg)
{
	struct check_warm *w = c->run->warm;
	bool warm = false;

	if (!w || w->off || c->store)
		return false;
	cfg->savable = 1;
	pthread_mutex_lock(&w->lock);
	/* its mtime is its last use: the eviction's order */
	if (!w->broken && !utimensat(AT_FDCWD, w->path, NULL, 0)) {
		cfg->incoming = w->path;
		cfg->incoming_release = c->run->kit.release;
		warm = true;
	}
	pthread_mutex_unlock(&w->lock);
	return warm;
}

void check_warm_failed(struct checker *c, const struct torn_err *err)
{
	struct check_warm *w = c->run->warm;

	pthread_mutex_lock(&w->lock);
	if (!w->broken) {
		fprintf(stderr,
			"torn: checker %d: cannot start from the saved guest "
			"%s (%s); deleted, checkers boot\n",
			c->idx, w->path, err->msg);
		unlink(w->path);
	}
	w->broken = true;
	pthread_mutex_unlock(&w->lock);
}

/* Delete all but the WARM_KEEP saved guests of dir used last (mtime). */
static void warm_evict(const char *path)
{
	char *dir = g_path_get_dirname(path);
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	while (d && (name = g_dir_read_name(d)))
		if (g_str_has_suffix(name, ".mig"))
			g_ptr_array_add(all, g_build_filename(dir, name, NULL));
	if (d)
		g_dir_close(d);
	while (all->len > WARM_KEEP) {
		guint oldest = 0;
		time_t t_old = 0;

		for (guint i = 0; i < all->len; i++) {
			struct stat st;

			if (stat(all->pdata[i], &st))
				st.st_mtime = 0;
			if (i == 0 || st.st_mtime < t_old) {
				oldest = i;
				t_old = st.st_mtime;
			}
		}
		unlink(all->pdata[oldest]);
		g_ptr_array_remove_index_fast(all, oldest);
	}
	g_ptr_array_unref(all);
	g_free(dir);
}

void check_warm_started(struct checker *c, bool warm, long long ms)
{
	struct check_warm *w = c->run->warm;
	struct torn_err err = { "" };
	bool save = false;
	long long t0;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	if (warm) {
		w->warm++;
		w->ms_warm += ms;
	} else {
		w->cold++;
		w->ms_cold += ms;
		/* once per check, even after a saved guest that failed */
		save = !w->off && !c->store && !w->saving &&
		       access(w->path, R_OK);
		w->saving = w->saving || save;
	}
	pthread_mutex_unlock(&w->lock);
	if (!save)
		return;
	t0 = torn_now_ms();
	if (torn_vm_save(c->vm, w->path, &err)) {
		fprintf(stderr,
			"torn: checker %d: cannot save its guest for warm "
			"starts: %s\n",
			c->idx, err.msg);
		return;
	}
	warm_evict(w->path);
	pthread_mutex_lock(&w->lock);
	w->saved = true;
	w->ms_save = torn_now_ms() - t0;
	pthread_mutex_unlock(&w->lock);
}

void check_warm_say(const struct check_run *run)
{
	const struct check_warm *w = run->warm;

	if (!w || !(w->warm + w->cold))
		return;
	fprintf(stderr,
		"torn: checker starts: %u warm (mean %lld ms), %u booted "
		"(mean %lld ms)",
		w->warm, w->warm ? w->ms_warm / w->warm : 0, w->cold,
		w->cold ? w->ms_cold / w->cold : 0);
	if (w->off)
		fprintf(stderr, "; warm starts off: %s", w->off);
	else
		fprintf(stderr, "; saved guest %s", w->path);
	if (w->saved)
		fprintf(stderr, "; a booted guest saved in %lld ms",
			w->ms_save);
	fputc('\n', stderr);
}

void check_warm_fini(struct check_run *run)
{
	if (!run->warm)
		return;
	pthread_mutex_destroy(&run->warm->lock);
	g_free(run->warm);
	run->warm = NULL;
}
