/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building the guest kit: kernel, initramfs from host binaries, base PM images.
 */
#include "kit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm.h"

#define KIT_FORMAT "torn-kit-v1"
#define BASE_FORMAT "torn-base-v1"

/* Kernel modules the guest needs; their dependencies come from modules.dep. */
static const char *const wanted_modules[] = {
	/* crc32c first: libcrc32c asks the crypto API for it at load time */
	"crc32c_generic", "crc32c_intel", "virtio_pci", "virtio_console",
	"nfit",		  "nd_pmem",	  "nd_btt",	"dax_pmem",
	"device_dax",	  "ext4",	  "xfs",	NULL,
};

/* Modules that may be missing without harm (e.g. not built for this arch). */
static int module_optional(const char *name)
{
	return !strcmp(name, "crc32c_intel") || !strcmp(name, "crc32c_generic");
}

/* Host programs in every kit. */
static const char *const kit_programs[] = {
	"busybox",  "mke2fs",	"mkfs.ext4",  "e2fsck", "fsck.ext4",  "debugfs",
	"dumpe2fs", "mkfs.xfs", "xfs_repair", "xfs_db", "mkfs.btrfs", "btrfs",
	"dmsetup",  "ndctl",	"daxctl",     NULL,
};

/* Modules loaded when used, not at boot (each kind's modules, too). */
static const char *const on_demand_modules[] = { "dm_writecache", "virtio_blk",
						 NULL };

/* ---- small helpers ----------------------------------------------------- */

static int mkdirs(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int torn_cache_dir(const char *override, char *out, size_t len)
{
	const char *env = getenv("TORN_CACHE");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (override)
		snprintf(out, len, "%s", override);
	else if (env && *env)
		snprintf(out, len, "%s", env);
	else if (xdg && *xdg)
		snprintf(out, len, "%s/torn", xdg);
	else
		snprintf(out, len, "%s/.cache/torn", home ? home : "/tmp");
	return mkdirs(out);
}

int torn_copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, ret = 0;
	struct stat st;
	off_t off = 0;

	if (in < 0)
		return -errno;
	if (fstat(in, &st)) {
		ret = -errno;
		close(in);
		return ret;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	if (ftruncate(out, st.st_size))
		ret = -errno;
	/* SEEK_DATA/SEEK_HOLE keep sparse images sparse */
	while (!ret && off < st.st_size) {
		off_t data = lseek(in, off, SEEK_DATA), hole;

		if (data < 0)
			break; /* only holes left */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		off = data;
		while (off < hole) {
			loff_t ioff = off, ooff = off;
			ssize_t n = copy_file_range(in, &ioff, out, &ooff,
						    hole - off, 0);

			if (n < 0 && (errno == EXDEV || errno == ENOSYS ||
				      errno == EINVAL)) {
				char buf[1 << 16];
				size_t want = hole - off < (off_t)sizeof(buf)
						      ? (size_t)(hole - off)
						      : sizeof(buf);

				n = pread(in, buf, want, off);
				if (n > 0 && pwrite(out, buf, n, off) != n)
					n = -1;
			}
			if (n <= 0) {
				ret = n < 0 ? -errno : -EIO;
				break;
			}
			off += n;
		}
	}
	if (close(out) && !ret)
		ret = -errno;
	close(in);
	return ret;
}

/* Run argv, capture stdout (up to cap), return exit status or -errno. */
static int capture(char *const argv[], char **out)
{
	int p[2], status;
	GString *s = g_string_new(NULL);
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		g_string_free(s, TRUE);
		return -errno;
	}
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		dup2(p[1], 1);
		if (nul >= 0)
			dup2(nul, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(s, buf, n);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*out = g_string_free(s, FALSE);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Find a program on PATH plus the sbin directories. */
static int find_program(const char *name, char *out, size_t len)
{
	static const char *const dirs[] = {
		"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
		"/sbin",	   "/bin",	     NULL
	};
	size_t i;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) ? -errno : 0;
	}
	for (i = 0; dirs[i]; i++) {
		snprintf(out, len, "%s/%s", dirs[i], name);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* ---- the initramfs entries --------------------------------------------- */

enum entry_type { ENTRY_DIR, ENTRY_FILE, ENTRY_LINK };

struct entry {
	char *path; /* in the guest, absolute */
	int type;
	unsigned int mode;
	char *src; /* FILE: host path, or NULL with data */
	GBytes *data; /* FILE contents (loaded) */
	char *target; /* LINK */
};

struct entries {
	GPtrArray *v;
	GHashTable *by_path;
};

static void entry_free(gpointer p)
{
	struct entry *e = p;

	g_free(e->path);
	g_free(e->src);
	g_free(e->target);
	if (e->data)
		g_bytes_unref(e->data);
	g_free(e);
}

/* /bin/x -> /usr/bin/x and friends: Debian 12 has merged /usr. */
static char *guest_path(const char *p)
{
	static const char *const merged[] = { "/bin/", "/sbin/", "/lib/",
					      "/lib64/", NULL };
	size_t i;

	for (i = 0; merged[i]; i++)
		if (!strncmp(p, merged[i], strlen(merged[i])))
			return g_strconcat("/usr", p, NULL);
	return g_strdup(p);
}

static struct entry *add_entry(struct entries *es, const char *path, int type)
{
	struct entry *e = g_hash_table_lookup(es->by_path, path);

	if (e)
		return NULL; /* first one wins */
	e = g_new0(struct entry, 1);
	e->path = g_strdup(path);
	e->type = type;
	g_ptr_array_add(es->v, e);
	g_hash_table_insert(es->by_path, e->path, e);
	return e;
}

static void add_dirs_of(struct entries *es, const char *path)
{
	char *d = g_path_get_dirname(path);

	if (strcmp(d, "/") && strcmp(d, ".")) {
		add_dirs_of(es, d);
		if (!g_hash_table_lookup(es->by_path, d)) {
			struct entry *e = add_entry(es, d, ENTRY_DIR);

			if (e)
				e->mode = 0755;
		}
	}
	g_free(d);
}

static void add_link(struct entries *es, const char *path, const char *target)
{
	struct entry *e;

	add_dirs_of(es, path);
	e = add_entry(es, path, ENTRY_LINK);
	if (e) {
		e->mode = 0777;
		e->target = g_strdup(target);
	}
}

static int add_data(struct entries *es, const char *path, unsigned int mode,
		    const void *data, size_t len)
{
	struct entry *e;

	add_dirs_of(es, path);
	e = add_entry(es, path, ENTRY_FILE);
	if (e) {
		e->mode = mode;
		e->data = g_bytes_new(data, len);
	}
	return 0;
}

/*
 * Add a host file: at `as` when given, else at its real path in the guest
 * with a link at the path it was asked for when that differs (e.g.
 * /sbin/mkfs.ext4 -> mke2fs).
 */
static int add_host_file(struct entries *es, const char *host, const char *as,
			 struct torn_err *err)
{
	char real[PATH_MAX];
	char *gp, *greal;
	struct stat st;
	gchar *contents;
	gsize len;
	GError *gerr = NULL;

	if (!realpath(host, real) || stat(real, &st))
		return torn_err_set(err, -errno, "cannot include %s: %s", host,
				    strerror(errno));
	/*
	 * A file given a place (as) goes there: torn's own programs live in
	 * the build tree, which may be under /tmp, and the guest mounts a
	 * tmpfs over /tmp.
	 */
	greal = guest_path(as ? as : real);
	gp = guest_path(as ? as : host);
	if (!g_hash_table_lookup(es->by_path, greal)) {
		struct entry *e;

		if (!g_file_get_contents(real, &contents, &len, &gerr)) {
			torn_err_set(err, -EIO, "cannot read %s: %s", real,
				     gerr->message);
			g_error_free(gerr);
			g_free(gp);
			g_free(greal);
			return -EIO;
		}
		add_dirs_of(es, greal);
		e = add_entry(es, greal, ENTRY_FILE);
		e->mode = st.st_mode & 07777;
		e->src = g_strdup(real);
		e->data = g_bytes_new_take(contents, len);
	}
	if (strcmp(gp, greal))
		add_link(es, gp, greal);
	g_free(gp);
	g_free(greal);
	return 0;
}

/*
 * The shared libraries ldd says host needs, but those under the host
 * directory inside (a staged tree that brings its own; NULL: none).  A
 * library ldd cannot find is an error for a program (inside NULL); in a
 * tree it is not: a runtime's libraries need others it loads first
 * itself (a JVM's libjava.so needs the libjvm.so java dlopen()ed).
 */
static int add_libs(struct entries *es, const char *host, const char *inside,
		    struct torn_err *err)
{
	char *argv[] = { "ldd", (char *)host, NULL };
	char *out = NULL;
	char **lines, **l;
	int ret = 0;

	if (capture(argv, &out) < 0) {
		g_free(out);
		return torn_err_set(err, -ENOENT, "cannot run ldd on %s", host);
	}
	lines = g_strsplit(out, "\n", -1);
	for (l = lines; *l && !ret; l++) {
		char *arrow = strstr(*l, "=> "), *p, *end;

		p = arrow ? arrow + 3 : g_strstrip(*l);
		if (arrow && g_str_has_prefix(p, "not found") && inside)
			continue;
		if (arrow && g_str_has_prefix(p, "not found")) {
			*arrow = 0;
			ret = torn_err_set(
				err, TORN_E_NOTFOUND,
				"%s needs %s, which the host's loader cannot find (ldd says not found)",
				host, g_strstrip(*l));
			break;
		}
		if (*p != '/')
			continue;
		end = strchr(p, ' ');
		if (end)
			*end = 0;
		if (inside && g_str_has_prefix(p, inside) &&
		    p[strlen(inside)] == '/')
			continue;
		ret = add_host_file(es, p, NULL, err);
	}
	g_strfreev(lines);
	g_free(out);
	return ret;
}

/* A host program and the shared libraries ldd says it needs. */
static int add_program(struct entries *es, const char *host, const char *as,
		       struct torn_err *err)
{
	int ret = add_host_file(es, host, as, err);

	return ret ? ret : add_libs(es, host, NULL, err);
}

/* Does the file at path start as an ELF object does? */
static bool is_elf(const char *path)
{
	unsigned char magic[4] = { 0 };
	FILE *f = fopen(path, "rbe");
	bool elf;

	if (!f)
		return false;
	elf = fread(magic, 1, 4, f) == 4 && !memcmp(magic,
						    "\x7f"
						    "ELF",
						    4);
	fclose(f);
	return elf;
}

/* ---- kernel modules ------------------------------------------------------ */

static char *module_name(const char *path)
{
	char *base = g_path_get_basename(path), *dot = strstr(base, ".ko");
	char *c;

	if (dot)
		*dot = 0;
	for (c = base; *c; c++)
		if (*c == '-')
			*c = '_';
	return base;
}

struct moddep {
	GHashTable *deps; /* name -> GPtrArray of names */
	GHashTable *paths; /* name -> relative path */
	GHashTable *builtin; /* name -> 1 */
};

static int read_moddep(const char *moddir, struct moddep *md,
		       struct torn_err *err)
{
	char *path = g_strdup_printf("%s/modules.dep", moddir), *text;
	char **lines, **l;
	GError *gerr = NULL;

	md->deps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					 (GDestroyNotify)g_ptr_array_unref);
	md->paths =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	md->builtin =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (!g_file_get_contents(path, &text, NULL, &gerr)) {
		torn_err_set(err, -ENOENT, "cannot read %s: %s", path,
			     gerr->message);
		g_error_free(gerr);
		g_free(path);
		return -ENOENT;
	}
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l; l++) {
		char *colon = strchr(*l, ':'), *name;
		char **deps, **d;
		GPtrArray *arr;

		if (!colon)
			continue;
		*colon = 0;
		name = module_name(*l);
		arr = g_ptr_array_new_with_free_func(g_free);
		deps = g_strsplit(g_strstrip(colon + 1), " ", -1);
		for (d = deps; *d; d++)
			if (**d)
				g_ptr_array_add(arr, module_name(*d));
		g_strfreev(deps);
		g_hash_table_replace(md->paths, g_strdup(name), g_strdup(*l));
		g_hash_table_replace(md->deps, name, arr);
	}
	g_strfreev(lines);
	g_free(text);
	g_free(path);
	path = g_strdup_printf("%s/modules.builtin", moddir);
	if (g_file_get_contents(path, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (l = lines; *l; l++)
			if (**l)
				g_hash_table_replace(md->builtin,
						     module_name(*l),
						     GINT_TO_POINTER(1));
		g_strfreev(lines);
		g_free(text);
	}
	g_free(path);
	return 0;
}

static void moddep_free(struct moddep *md)
{
	g_hash_table_destroy(md->deps);
	g_hash_table_destroy(md->paths);
	g_hash_table_destroy(md->builtin);
}

/* Depth-first: dependencies before the module, each once. */
static void order_module(struct moddep *md, const char *name, GHashTable *done,
			 GPtrArray *order, int depth)
{
	GPtrArray *deps;
	guint i;

	if (depth > 64 || g_hash_table_contains(done, name))
		return;
	g_hash_table_add(done, g_strdup(name));
	deps = g_hash_table_lookup(md->deps, name);
	for (i = 0; deps && i < deps->len; i++)
		order_module(md, deps->pdata[i], done, order, depth + 1);
	if (g_hash_table_contains(md->paths, name))
		g_ptr_array_add(order, g_strdup(name));
}

/* Stage the modules in order and list their guest paths in list. */
static int stage_modules(struct entries *es, struct moddep *md,
			 const char *moddir, const char *release,
			 GPtrArray *order, GString *list, struct torn_err *err)
{
	int ret = 0;

	for (guint i = 0; i < order->len && !ret; i++) {
		const char *rel =
			g_hash_table_lookup(md->paths, order->pdata[i]);
		char *host = g_strdup_printf("%s/%s", moddir, rel);
		char *guest =
			g_strdup_printf("/lib/modules/%s/%s", release, rel);

		ret = add_host_file(es, host, guest, err);
		g_string_append_printf(list, "/usr/lib/modules/%s/%s\n",
				       release, rel);
		g_free(host);
		g_free(guest);
	}
	return ret;
}

/*
 * The modules every guest loads at boot (/etc/torn/modules), and the
 * ones a filesystem kind loads when it is used: each of those gets
 * /etc/torn/modules.d/NAME, its dependencies that boot does not load
 * first (the agent's load-modules request).
 */
static int add_modules(struct entries *es, const char *moddir,
		       const char *release, const char *const *on_demand,
		       struct torn_err *err)
{
	struct moddep md;
	GHashTable *done;
	GPtrArray *order;
	GString *list;
	size_t i;
	int ret = read_moddep(moddir, &md, err);

	if (ret)
		return ret;
	done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	order = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; wanted_modules[i]; i++) {
		const char *m = wanted_modules[i];

		if (g_hash_table_contains(md.builtin, m))
			continue;
		if (!g_hash_table_contains(md.paths, m)) {
			if (module_optional(m))
				continue;
			ret = torn_err_set(
				err, -ENOENT,
				"kernel module %s is neither in %s/modules.dep nor built in",
				m, moddir);
			goto out;
		}
		order_module(&md, m, done, order, 0);
	}
	list = g_string_new(
		"# kernel modules in load order (from modules.dep)\n");
	ret = stage_modules(es, &md, moddir, release, order, list, err);
	if (!ret)
		add_data(es, "/etc/torn/modules", 0644, list->str, list->len);
	g_string_free(list, TRUE);
	for (i = 0; !ret && on_demand && on_demand[i]; i++) {
		GHashTable *seen = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, NULL);
		GHashTableIter it;
		gpointer k;
		char *name = g_strdelimit(g_strdup(on_demand[i]), "-", '_');
		char *path = g_strdup_printf("/etc/torn/modules.d/%s", name);

		if (g_hash_table_lookup(es->by_path, path)) {
			g_hash_table_destroy(seen); /* named twice */
			g_free(path);
			g_free(name);
			continue;
		}
		g_hash_table_iter_init(&it, done);
		while (g_hash_table_iter_next(&it, &k, NULL))
			g_hash_table_add(seen, g_strdup(k));
		g_ptr_array_set_size(order, 0);
		if (g_hash_table_contains(md.builtin, name))
			; /* an empty list: nothing to load */
		else if (!g_hash_table_contains(md.paths, name))
			ret = torn_err_set(
				err, -ENOENT,
				"kernel module %s is neither in %s/modules.dep nor built in",
				on_demand[i], moddir);
		else
			order_module(&md, name, seen, order, 0);
		list = g_string_new("");
		if (!ret)
			ret = stage_modules(es, &md, moddir, release, order,
					    list, err);
		if (!ret)
			add_data(es, path, 0644, list->str, list->len);
		g_string_free(list, TRUE);
		g_hash_table_destroy(seen);
		g_free(path);
		g_free(name);
	}
out:
	g_ptr_array_unref(order);
	g_hash_table_destroy(done);
	moddep_free(&md);
	return ret;
}

/* ---- cpio (newc) ------------------------------------------------------- */

static int by_path(gconstpointer a, gconstpointer b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	return strcmp(x->path, y->path);
}

static void cpio_header(GString *out, unsigned int ino, unsigned int mode,
			size_t size, const char *name)
{
	size_t namesize = strlen(name) + 1;

	g_string_append_printf(
		out,
		"070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, 1, 0, (unsigned int)size, 0, 0, 0, 0,
		(unsigned int)namesize, 0);
	g_string_append_len(out, name, namesize);
	while (out->len % 4)
		g_string_append_c(out, 0);
}

static void cpio_pad(GString *out)
{
	while (out->len % 4)
		g_string_append_c(out, 0);
}

/* Field i (0: ino .. 12: check) of the newc header at h, or -1. */
static long long cpio_field(const char *h, int i)
{
	char hex[9];
	char *end;
	unsigned long long v;

	memcpy(hex, h + 6 + 8 * i, 8);
	hex[8] = 0;
	v = strtoull(hex, &end, 16);
	return *end ? -1 : (long long)v;
}

int torn_kit_stage_file(const void *stage, size_t len, const char *guest,
			const void **data, size_t *size)
{
	const char *p = stage;
	size_t at = 0;

	while (at + 110 <= len) {
		long long mode = cpio_field(p + at, 1);
		long long fsize = cpio_field(p + at, 6);
		long long nsize = cpio_field(p + at, 11);
		size_t name = at + 110, body;

		if (memcmp(p + at, "070701", 6) || mode < 0 || fsize < 0 ||
		    nsize < 1 || (size_t)nsize > len - name ||
		    p[name + nsize - 1])
			return TORN_E_FORMAT;
		if (!strcmp(p + name, "TRAILER!!!"))
			break;
		body = (name + (size_t)nsize + 3) & ~(size_t)3;
		if (body > len || (size_t)fsize > len - body)
			return TORN_E_FORMAT;
		if ((mode & 0170000) == 0100000 && guest[0] == '/' &&
		    !strcmp(p + name, guest + 1)) {
			*data = p + body;
			*size = (size_t)fsize;
			return 0;
		}
		at = (body + (size_t)fsize + 3) & ~(size_t)3;
	}
	return TORN_E_NOTFOUND;
}

/* Serialize entries; the hash covers exactly these bytes. */
static GString *cpio_build(struct entries *es)
{
	GString *out = g_string_sized_new(64 << 20);
	guint i;

	g_ptr_array_sort(es->v, by_path);
	for (i = 0; i < es->v->len; i++) {
		struct entry *e = es->v->pdata[i];
		const char *name = e->path + 1; /* cpio names are relative */

		switch (e->type) {
		case ENTRY_DIR:
			cpio_header(out, i + 1, 040000 | e->mode, 0, name);
			break;
		case ENTRY_LINK:
			cpio_header(out, i + 1, 0120000 | 0777,
				    strlen(e->target), name);
			g_string_append(out, e->target);
			cpio_pad(out);
			break;
		case ENTRY_FILE: {
			gsize len;
			const void *p = g_bytes_get_data(e->data, &len);

			cpio_header(out, i + 1, 0100000 | e->mode, len, name);
			g_string_append_len(out, p, len);
			cpio_pad(out);
			break;
		}
		}
	}
	cpio_header(out, 0, 0, 0, "TRAILER!!!");
	return out;
}

/* ---- the kit ----------------------------------------------------------- */

static const char init_script[] =
	"#!/bin/sh\n"
	"# torn guest init: the agent mounts, loads modules and serves the host\n"
	"/usr/bin/torn-agent --init\n"
	"echo \"torn-agent exited with status $?\"\n"
	"if grep -q torn.shell /proc/cmdline 2>/dev/null; then\n"
	"  echo 'torn: shell on the console; exit to power off'\n"
	"  setsid cttyhack sh\n"
	"fi\n"
	"poweroff -f\n";

static int find_stock_kernel(char *kernel, size_t klen, char *release,
			     size_t rlen, struct torn_err *err)
{
	DIR *d = opendir("/boot");
	struct dirent *e;
	char best[256] = "";

	if (!d)
		return torn_err_set(err, -errno, "cannot list /boot: %s",
				    strerror(errno));
	while ((e = readdir(d))) {
		char dep[PATH_MAX];
		const char *rel;

		if (strncmp(e->d_name, "vmlinuz-", 8))
			continue;
		rel = e->d_name + 8;
		snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", rel);
		if (access(dep, R_OK))
			continue;
		if (!best[0] || strverscmp(rel, best) > 0)
			snprintf(best, sizeof(best), "%s", rel);
	}
	closedir(d);
	if (!best[0])
		return torn_err_set(
			err, -ENOENT,
			"no Debian kernel with modules in /boot (install linux-image-amd64)");
	snprintf(kernel, klen, "/boot/vmlinuz-%s", best);
	snprintf(release, rlen, "%s", best);
	return 0;
}

static int write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = g_strdup_printf("%s.tmp.%d", path, getpid());
	GError *gerr = NULL;
	int ret = 0;

	if (!g_file_set_contents(tmp, data, len, &gerr)) {
		g_error_free(gerr);
		ret = -EIO;
	} else if (rename(tmp, path)) {
		ret = -errno;
	}
	if (ret)
		unlink(tmp);
	g_free(tmp);
	return ret;
}

int torn_kit_ensure(const struct torn_kit_options *opt, struct torn_kit *kit,
		    struct torn_err *err)
{
	struct entries es;
	char moddir[PATH_MAX], prog[PATH_MAX];
	GChecksum *sum = NULL;
	GString *cpio = NULL;
	gchar *kernel_data = NULL;
	gsize kernel_len = 0;
	GError *gerr = NULL;
	size_t i;
	int ret;

	memset(kit, 0, sizeof(*kit));
	snprintf(kit->kernel_id, sizeof(kit->kernel_id), "%s",
		 opt->kernel_id ? opt->kernel_id
		 : opt->kernel	? opt->kernel
				: "stock");
	ret = torn_cache_dir(opt->cache_dir, kit->cache_dir,
			     sizeof(kit->cache_dir));
	if (ret)
		return torn_err_set(err, ret,
				    "cannot create cache directory %s: %s",
				    kit->cache_dir, strerror(-ret));
	if (opt->kernel) {
		const char *slash;

		if (!opt->modules)
			return torn_err_set(
				err, TORN_E_USAGE,
				"--kernel needs --modules DIR (its /lib/modules/VERSION)");
		snprintf(prog, sizeof(prog), "%s", opt->kernel);
		snprintf(moddir, sizeof(moddir), "%s", opt->modules);
		while (strlen(moddir) > 1 && moddir[strlen(moddir) - 1] == '/')
			moddir[strlen(moddir) - 1] = 0;
		slash = strrchr(moddir, '/');
		snprintf(kit->release, sizeof(kit->release), "%s",
			 slash ? slash + 1 : moddir);
	} else {
		ret = find_stock_kernel(prog, sizeof(prog), kit->release,
					sizeof(kit->release), err);
		if (ret)
			return ret;
		snprintf(moddir, sizeof(moddir), "/lib/modules/%s",
			 kit->release);
	}
	if (!g_file_get_contents(prog, &kernel_data, &kernel_len, &gerr)) {
		ret = torn_err_set(err, -ENOENT, "cannot read kernel %s: %s",
				   prog, gerr->message);
		g_error_free(gerr);
		return ret;
	}

	es.v = g_ptr_array_new_with_free_func(entry_free);
	es.by_path = g_hash_table_new(g_str_hash, g_str_equal);
	static const char *const dirs[] = {
		"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64", "/etc/torn",
		"/proc",    "/sys",	 "/dev",     "/mnt",	   "/tmp",
		"/run",	    "/root",	 "/var/tmp", NULL
	};
	for (i = 0; dirs[i]; i++) {
		add_dirs_of(&es, dirs[i]);
		add_entry(&es, dirs[i], ENTRY_DIR)->mode =
			!strcmp(dirs[i], "/tmp") ? 01777 : 0755;
	}
	add_link(&es, "/bin", "usr/bin");
	add_link(&es, "/sbin", "usr/sbin");
	add_link(&es, "/lib", "usr/lib");
	add_link(&es, "/lib64", "usr/lib64");
	add_data(&es, "/init", 0755, init_script, strlen(init_script));
	add_data(&es, "/etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n",
		 30);
	add_data(&es, "/etc/group", 0644, "root:x:0:\n", 10);
	add_data(&es, "/usr/bin/torn-wc", 0755, torn_kit_wc_script,
		 strlen(torn_kit_wc_script));
	if (!access("/etc/mke2fs.conf", R_OK))
		ret = add_host_file(&es, "/etc/mke2fs.conf", NULL, err);

	for (i = 0; !ret && kit_programs[i]; i++) {
		if (find_program(kit_programs[i], prog, sizeof(prog))) {
			ret = torn_err_set(
				err, -ENOENT,
				"program %s not found on this host (run the set-up step)",
				kit_programs[i]);
			break;
		}
		ret = add_program(&es, prog, NULL, err);
	}
	for (i = 0; !ret && opt->extra_bins && opt->extra_bins[i]; i++) {
		char *base = g_path_get_basename(opt->extra_bins[i]);
		char *as = g_strdup_printf("/usr/bin/%s", base);

		ret = add_program(&es, opt->extra_bins[i], as, err);
		g_free(base);
		g_free(as);
	}
	if (!ret)
		ret = add_host_file(&es, opt->agent, "/usr/bin/torn-agent",
				    err);
	if (!ret && opt->mark)
		ret = add_host_file(&es, opt->mark, "/usr/bin/torn-mark", err);
	if (!ret) {
		/* busybox applets: a link per applet name not already there */
		char *argv[] = { "/usr/bin/busybox", "--list", NULL };
		char *out = NULL;

		if (find_program("busybox", prog, sizeof(prog)) == 0)
			argv[0] = prog;
		if (capture(argv, &out) == 0) {
			char **names = g_strsplit(out, "\n", -1), **n;

			for (n = names; *n; n++) {
				char *p;

				if (!**n)
					continue;
				p = g_strdup_printf("/usr/bin/%s", *n);
				if (!g_hash_table_lookup(es.by_path, p))
					add_link(&es, p, "busybox");
				g_free(p);
			}
			g_strfreev(names);
		} else {
			ret = torn_err_set(
				err, -ENOENT,
				"busybox --list failed (install busybox-static)");
		}
		g_free(out);
	}
	if (!ret) {
		GPtrArray *mods = g_ptr_array_new();

		for (i = 0; on_demand_modules[i]; i++)
			g_ptr_array_add(mods, (char *)on_demand_modules[i]);
		for (int k = 0; k < TORN_FS_BUILTIN; k++)
			for (const char *const *m = torn_fs_get(k)->modules;
			     m && *m; m++)
				g_ptr_array_add(mods, (char *)*m);
		for (i = 0; opt->load_modules && opt->load_modules[i]; i++)
			g_ptr_array_add(mods, (char *)opt->load_modules[i]);
		g_ptr_array_add(mods, NULL);
		ret = add_modules(&es, moddir, kit->release,
				  (const char *const *)mods->pdata, err);
		g_ptr_array_unref(mods);
	}
	if (ret)
		goto out;

	cpio = cpio_build(&es);
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, (const guchar *)KIT_FORMAT, strlen(KIT_FORMAT));
	g_checksum_update(sum, (const guchar *)kernel_data, kernel_len);
	g_checksum_update(sum, (const guchar *)cpio->str, cpio->len);
	snprintf(kit->hash, sizeof(kit->hash), "%s",
		 g_checksum_get_string(sum));
	snprintf(kit->dir, sizeof(kit->dir), "%s/kits/%.16s", kit->cache_dir,
		 kit->hash);
	snprintf(kit->kernel, sizeof(kit->kernel), "%s/vmlinuz", kit->dir);
	snprintf(kit->initrd, sizeof(kit->initrd), "%s/initrd.cpio", kit->dir);
	if (!access(kit->initrd, R_OK) && !access(kit->kernel, R_OK)) {
		kit->reused = 1;
		goto out;
	}
	ret = mkdirs(kit->dir);
	if (!ret)
		ret = write_file_atomic(kit->kernel, kernel_data, kernel_len);
	if (!ret)
		ret = write_file_atomic(kit->initrd, cpio->str, cpio->len);
	if (!ret) {
		char *info = g_strdup_printf(
			"hash %s\nkernel %s\nrelease %s\nentries %u\ninitrd_bytes %zu\n",
			kit->hash, kit->kernel_id, kit->release, es.v->len,
			cpio->len);
		char *p = g_strdup_printf("%s/kit.txt", kit->dir);

		ret = write_file_atomic(p, info, strlen(info));
		g_free(p);
		g_free(info);
	}
	if (ret)
		torn_err_set(err, ret, "cannot write the kit into %s: %s",
			     kit->dir, strerror(-ret));
out:
	if (sum)
		g_checksum_free(sum);
	if (cpio)
		g_string_free(cpio, TRUE);
	g_free(kernel_data);
	g_hash_table_destroy(es.by_path);
	g_ptr_array_unref(es.v);
	return ret;
}

/* ---- base PM images ------------------------------------------------------ */

/* Run a program in the guest; fails unless it exits 0. */
static int guest_run(struct torn_vm *vm, const char *const *argv,
		     struct torn_err *err)
{
	const char *req[16] = { "run", "600000" };
	struct torn_proto_msg reply;
	size_t n = 2;
	int ret;

	while (*argv && n < 15)
		req[n++] = *argv++;
	ret = torn_vm_call(vm, 620000, n, req, &reply, err);
	if (ret)
		return ret;
	if (!torn_proto_field_is(&reply, 1, "exit 0")) {
		char *status = torn_proto_field_dup(&reply, 1);
		char *out = torn_proto_field_dup(&reply, 3);

		ret = torn_err_set(err, TORN_E_GUEST, "guest: %s: %s: %.300s",
				   req[2], status ? status : "?",
				   out ? out : "");
		free(status);
		free(out);
	}
	torn_proto_msg_clear(&reply);
	return ret;
}

int torn_kit_load_modules(struct torn_vm *vm, const struct torn_fs *fs,
			  struct torn_err *err)
{
	const char *req[18] = { "load-modules" };
	struct torn_proto_msg reply;
	size_t n = 1;
	int ret;

	for (const char *const *m = fs->modules; m && *m && n < 17; m++)
		req[n++] = *m;
	if (n == 1)
		return 0;
	ret = torn_vm_call(vm, 120000, n, req, &reply, err);
	if (!ret)
		torn_proto_msg_clear(&reply);
	return ret;
}

static int format_base(struct torn_vm *vm, const struct torn_fs *fs,
		       struct torn_err *err)
{
	const char *ns[] = { "ndctl", "create-namespace", "-f", "-e",
			     "namespace0.0", "-m", torn_fs_ns_name(fs->ns),
			     /* the page map in DRAM: no struct pages on pm */
			     fs->ns == TORN_NS_SECTOR ? NULL : "--map=mem",
			     NULL };
	static const char *const sync_argv[] = { "sync", NULL };
	char **mkfs = torn_fs_argv(fs, fs->mkfs);
	int ret;

	ret = guest_run(vm, ns, err);
	if (!ret)
		ret = torn_kit_load_modules(vm, fs, err);
	if (!ret && mkfs)
		ret = guest_run(vm, (const char *const *)mkfs, err);
	if (!ret)
		ret = guest_run(vm, sync_argv, err);
	torn_fs_argv_free(mkfs);
	return ret;
}

/* What makes a kind's base image: the namespace, modules and mkfs. */
static void base_key_add(GString *k, const char *what, const char *const *argv)
{
	g_string_append_printf(k, " %s", what);
	for (; argv && *argv; argv++)
		g_string_append_printf(k, " %zu:%s", strlen(*argv), *argv);
}

void torn_kit_origin_path(const char *base, char *out, size_t len)
{
	size_t n = strlen(base);

	if (n > 4 && !strcmp(base + n - 4, ".img"))
		n -= 4;
	snprintf(out, len, "%.*s.origin.img", (int)n, base);
}

/* A sparse file of size bytes (a fresh NVDIMM or origin disk). */
static int make_sparse(const char *path, uint64_t size, struct torn_err *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int ret = 0;

	if (fd < 0 || ftruncate(fd, (off_t)size))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret ? torn_err_set(err, ret, "cannot create %s: %s", path,
				  strerror(-ret))
		   : 0;
}

int torn_kit_base_image(const struct torn_kit *kit, int fs_kind,
			uint64_t pm_size, char *path, size_t pathlen,
			int *reused, struct torn_err *err)
{
	struct torn_vm_config cfg = { 0 };
	struct torn_vm *vm;
	char dir[PATH_MAX], tmp[PATH_MAX + 32], work[PATH_MAX + 32];
	char origin[PATH_MAX + 32], origin_tmp[PATH_MAX + 64];
	const struct torn_fs *fs = torn_fs_get(fs_kind);
	GChecksum *sum;
	GString *key;
	int ret;

	*reused = 0;
	if (!fs)
		return torn_err_set(err, TORN_E_USAGE,
				    "unknown filesystem kind");
	key = g_string_new(NULL);
	g_string_printf(key, "%s %s %s %s %llu", BASE_FORMAT, kit->hash,
			fs->name, torn_fs_ns_name(fs->ns),
			(unsigned long long)pm_size);
	base_key_add(key, "modules", fs->modules);
	base_key_add(key, "mkfs", fs->mkfs);
	if (fs->origin_mb)
		g_string_append_printf(key, " origin %u", fs->origin_mb);
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, (const guchar *)key->str, key->len);
	snprintf(dir, sizeof(dir), "%s/base/%.16s", kit->cache_dir,
		 g_checksum_get_string(sum));
	g_checksum_free(sum);
	g_string_free(key, TRUE);
	snprintf(path, pathlen, "%s/%s.img", dir, torn_fs_kind_name(fs_kind));
	torn_kit_origin_path(path, origin, sizeof(origin));
	/* the origin is renamed into place first: the image says both are */
	if (!access(path, R_OK) && (!fs->origin_mb || !access(origin, R_OK))) {
		*reused = 1;
		return 0;
	}
	ret = mkdirs(dir);
	if (ret)
		return torn_err_set(err, ret, "cannot create %s: %s", dir,
				    strerror(-ret));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	snprintf(origin_tmp, sizeof(origin_tmp), "%s.tmp.%d", origin, getpid());
	snprintf(work, sizeof(work), "%s/work-%s", dir,
		 torn_fs_kind_name(fs_kind));
	mkdirs(work);
	ret = make_sparse(tmp, pm_size, err);
	if (!ret && fs->origin_mb)
		ret = make_sparse(origin_tmp, (uint64_t)fs->origin_mb << 20,
				  err);
	if (ret)
		goto out_unlink;
	cfg.kernel = kit->kernel;
	cfg.initrd = kit->initrd;
	cfg.pm_path = tmp;
	cfg.pm_size = pm_size;
	cfg.workdir = work;
	if (fs->origin_mb) {
		cfg.origin_path = origin_tmp;
		cfg.origin_writable = 1;
	}
	fprintf(stderr,
		"torn: building the %s base image of %llu MiB (boots a guest)\n",
		torn_fs_kind_name(fs_kind),
		(unsigned long long)(pm_size >> 20));
	ret = torn_vm_start(&cfg, &vm, err);
	if (ret)
		goto out_unlink;
	ret = format_base(vm, fs, err);
	if (ret) {
		torn_vm_kill(vm);
		goto out_unlink;
	}
	ret = torn_vm_stop(vm, 60000);
	if (ret < 0) {
		torn_err_set(err, ret,
			     "guest did not power off after formatting");
		goto out_unlink;
	}
	if (fs->origin_mb && rename(origin_tmp, origin)) {
		ret = torn_err_set(err, -errno, "cannot rename %s: %s",
				   origin_tmp, strerror(errno));
		goto out_unlink;
	}
	if (rename(tmp, path)) {
		ret = torn_err_set(err, -errno, "cannot rename %s: %s", tmp,
				   strerror(errno));
		goto out_unlink;
	}
	return 0;
out_unlink:
	unlink(tmp);
	unlink(origin_tmp);
	return ret;
}

/* ---- the stage: a user's test, in an archive after the kit's ------------ */

int torn_kit_shebang(const char *path, char *interp, size_t ilen, char *arg,
		     size_t alen)
{
	char line[512] = "", *p, *end;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	if (strncmp(line, "#!", 2))
		return 0;
	p = line + 2 + strspn(line + 2, " \t");
	end = p + strcspn(p, " \t\r\n");
	snprintf(interp, ilen, "%.*s", (int)(end - p), p);
	p = g_strstrip(end);
	snprintf(arg, alen, "%s", p);
	return 1;
}

/* A script's #! interpreter, staged unless the kit's busybox is it. */
static int add_interpreter(struct entries *es, const char *host,
			   struct torn_err *err)
{
	char interp[PATH_MAX], arg[512], prog[PATH_MAX], *p = interp, *base;
	int ret = torn_kit_shebang(host, interp, sizeof(interp), arg,
				   sizeof(arg)),
	    busybox;

	if (ret < 0)
		return torn_err_set(err, ret, "cannot read %s: %s", host,
				    strerror(-ret));
	if (!ret)
		return 0; /* an ELF program, or one the kernel runs as sh */
	if (!strcmp(interp, "/usr/bin/env")) {
		/* #!/usr/bin/env NAME: busybox's env finds NAME on PATH */
		p = arg;
		p[strcspn(p, " \t")] = 0;
	}
	if (!*p)
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s: a #! line without an interpreter",
				    host);
	base = g_path_get_basename(p);
	busybox = !strcmp(base, "sh") || !strcmp(base, "ash");
	g_free(base);
	if (busybox)
		return 0; /* the kit's /bin/sh is busybox */
	if (find_program(p, prog, sizeof(prog)))
		return torn_err_set(
			err, TORN_E_NOTFOUND,
			"%s: its interpreter %s is not on this host", host, p);
	return add_program(es, prog, NULL, err);
}

/* A host directory tree at guest, as it is (files, links, directories). */
static int add_tree(struct entries *es, const char *host, const char *guest,
		    const char *root, int depth, struct torn_err *err)
{
	GDir *d;
	GError *gerr = NULL;
	const char *name;
	int ret = 0;

	if (depth > 32)
		return torn_err_set(err, TORN_E_RANGE,
				    "%s: directories nested too deep", host);
	d = g_dir_open(host, 0, &gerr);
	if (!d) {
		ret = torn_err_set(err, -ENOENT, "cannot list %s: %s", host,
				   gerr->message);
		g_error_free(gerr);
		return ret;
	}
	add_dirs_of(es, guest);
	if (!g_hash_table_lookup(es->by_path, guest))
		add_entry(es, guest, ENTRY_DIR)->mode = 0755;
	while (!ret && (name = g_dir_read_name(d))) {
		char *h = g_build_filename(host, name, NULL);
		char *g = g_build_filename(guest, name, NULL);
		struct stat st;

		if (lstat(h, &st)) {
			ret = torn_err_set(err, -errno, "cannot stat %s: %s", h,
					   strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			ret = add_tree(es, h, g, root, depth + 1, err);
		} else if (S_ISLNK(st.st_mode)) {
			char *target = g_file_read_link(h, NULL);

			if (target)
				add_link(es, g, target);
			g_free(target);
		} else if (S_ISREG(st.st_mode)) {
			/* a runtime's programs and libraries need theirs */
			ret = add_host_file(es, h, g, err);
			if (!ret && is_elf(h))
				ret = add_libs(es, h, root, err);
		}
		g_free(h);
		g_free(g);
	}
	g_dir_close(d);
	return ret;
}

int torn_kit_stage_build(const struct torn_stage_item *items, size_t n,
			 void **out, size_t *len, struct torn_err *err)
{
	struct entries es;
	GString *cpio;
	size_t i;
	int ret = 0;

	*out = NULL;
	*len = 0;
	es.v = g_ptr_array_new_with_free_func(entry_free);
	es.by_path = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < n && !ret; i++) {
		const struct torn_stage_item *it = &items[i];
		struct stat st;

		if (stat(it->host, &st)) {
			ret = torn_err_set(err, TORN_E_NOTFOUND, "%s '%s': %s",
					   it->what, it->host,
					   errno == ENOENT ? "no such file"
							   : strerror(errno));
		} else if (it->kind == TORN_STAGE_PROGRAM &&
			   (!S_ISREG(st.st_mode) || access(it->host, X_OK))) {
			ret = torn_err_set(err, TORN_E_USAGE,
					   "%s '%s': not an executable file",
					   it->what, it->host);
		} else if (it->kind == TORN_STAGE_PROGRAM) {
			ret = add_interpreter(&es, it->host, err);
			if (!ret)
				ret = add_program(&es, it->host, it->guest,
						  err);
		} else if (it->kind == TORN_STAGE_SCRIPT) {
			ret = add_interpreter(&es, it->host, err);
			if (!ret)
				ret = add_host_file(&es, it->host, it->guest,
						    err);
		} else if (S_ISDIR(st.st_mode)) {
			char root[PATH_MAX];

			ret = realpath(it->host, root)
				      ? add_tree(&es, it->host, it->guest, root,
						 0, err)
				      : torn_err_set(err, -errno, "%s: %s",
						     it->host, strerror(errno));
		} else {
			ret = add_host_file(&es, it->host, it->guest, err);
		}
	}
	if (!ret) {
		cpio = cpio_build(&es);
		*len = cpio->len;
		*out = g_string_free(cpio, FALSE);
	}
	g_hash_table_destroy(es.by_path);
	g_ptr_array_unref(es.v);
	return ret;
}

int torn_kit_use_stage(struct torn_kit *kit, const char *stage_path,
		       struct torn_err *err)
{
	gchar *stage = NULL, *base = NULL;
	gsize slen, blen;
	GError *gerr = NULL;
	char *dir, *path;
	int ret = 0;

	if (!g_file_get_contents(stage_path, &stage, &slen, &gerr)) {
		ret = torn_err_set(err, -ENOENT, "cannot read the stage %s: %s",
				   stage_path, gerr->message);
		g_error_free(gerr);
		return ret;
	}
	if (slen < 6 || memcmp(stage, "070701", 6)) {
		g_free(stage);
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s is not a stage archive (newc cpio)",
				    stage_path);
	}
	{
		gchar *sum = g_compute_checksum_for_data(
			G_CHECKSUM_SHA256, (const guchar *)stage, slen);

		dir = g_strdup_printf("%s/staged", kit->dir);
		path = g_strdup_printf("%s/%.16s.cpio", dir, sum);
		g_free(sum);
	}
	if (access(path, R_OK)) {
		/* the kernel unpacks concatenated archives, later ones over */
		if (!g_file_get_contents(kit->initrd, &base, &blen, &gerr)) {
			ret = torn_err_set(err, -ENOENT, "cannot read %s: %s",
					   kit->initrd, gerr->message);
			g_error_free(gerr);
			goto out;
		}
		base = g_realloc(base, blen + slen);
		memcpy(base + blen, stage, slen);
		ret = mkdirs(dir);
		if (!ret)
			ret = write_file_atomic(path, base, blen + slen);
		if (ret) {
			torn_err_set(err, ret, "cannot write %s: %s", path,
				     strerror(-ret));
			goto out;
		}
	}
	snprintf(kit->initrd, sizeof(kit->initrd), "%s", path);
out:
	g_free(base);
	g_free(stage);
	g_free(dir);
	g_free(path);
	return ret;
}
