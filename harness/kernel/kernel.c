/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn kernel build: Debian's linux-source, a config, patches, gcov. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glib.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"

#define KERNEL_FORMAT "torn-kernel-1"
#define DEFAULT_SOURCE "/usr/src/linux-source-6.1.tar.xz"

const char *const torn_kernel_gcov_paths[] = {
	"fs/ext4",     "fs/jbd2",	    "fs/xfs",
	"fs/btrfs",    "fs/dax.c",	    "drivers/nvdimm",
	"drivers/dax", "drivers/acpi/nfit", "drivers/md/dm-writecache.c",
	NULL,
};

/* The config lines a --gcov build adds after the fragments. */
static const char gcov_config[] = "CONFIG_GCOV_KERNEL=y\n"
				  "# CONFIG_GCOV_PROFILE_ALL is not set\n";

/*
 * A --gcov build's compiler flags for the profiled code: the kernel's
 * own, but with -fprofile-update=single where its Makefile picks
 * prefer-atomic.  An atomic counter is a LOCK-prefixed add on every arc,
 * and torn's tracer records each as a fence (docs/tracer.md): a gcov
 * kernel would order the NVDIMM stores of ext4, jbd2, XFS and the BTT
 * where the real kernel does not, and hide their reordering bugs.  Plain
 * counters may lose an increment when two CPUs race on one; whether a
 * counter was reached, which is what coverage reports, never changes.
 */
static const char gcov_cflags[] =
	"CFLAGS_GCOV=-fprofile-arcs -ftest-coverage -fno-tree-loop-im "
	"-fprofile-update=single";

/* ---- small helpers ----------------------------------------------------- */

static void say(const struct torn_kernel_build_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct torn_kernel_build_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	fputs("torn: kernel: ", o->progress);
	vfprintf(o->progress, fmt, ap);
	fputc('\n', o->progress);
	fflush(o->progress);
	va_end(ap);
}

static int hash_file(GChecksum *sum, const char *path)
{
	char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_checksum_update(sum, (const guchar *)buf, n);
	close(fd);
	return n < 0 ? -EIO : 0;
}

/* A labelled field of the hash, so that no two inputs run together. */
static void hash_field(GChecksum *sum, const char *label, const void *p,
		       size_t len)
{
	char head[128];

	snprintf(head, sizeof(head), "\n%s %zu\n", label, len);
	g_checksum_update(sum, (const guchar *)head, strlen(head));
	g_checksum_update(sum, p, len);
}

static int read_text(const char *path, char **out, struct torn_err *err,
		     const char *what)
{
	GError *gerr = NULL;

	if (g_file_get_contents(path, out, NULL, &gerr))
		return 0;
	int ret = torn_err_set(
		err, gerr->code == G_FILE_ERROR_NOENT ? TORN_E_NOTFOUND : -EIO,
		"cannot read %s '%s': %s", what, path, gerr->message);

	g_error_free(gerr);
	return ret;
}

static int write_text(const char *path, const char *s)
{
	GError *gerr = NULL;

	if (g_file_set_contents(path, s, strlen(s), &gerr))
		return 0;
	g_error_free(gerr);
	return -EIO;
}

static int mkdirs(const char *path)
{
	char *p = g_strdup(path);
	int ret = g_mkdir_with_parents(p, 0755) ? -errno : 0;

	g_free(p);
	return ret;
}

/*
 * Run argv in cwd, its output appended to log_fd (stdin /dev/null).
 * With count, every line of output that starts with "  CC" or "  LD" is
 * counted into *count and a progress line goes out every 30 s.  The exit
 * status, 128 + signal, or -errno.
 */
static int run_logged(const struct torn_kernel_build_opts *o, char *const *argv,
		      const char *cwd, int log_fd, long *count, long expect)
{
	int p[2], status = 0;
	time_t start = time(NULL), last = start;
	GString *line = g_string_new(NULL);
	pid_t pid;
	char buf[8192];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (cwd && chdir(cwd))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n <= 0)
			continue;
		/* a full disk shows in the build's own result */
		(void)!write(log_fd, buf, n);
		if (!count)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				g_string_append_c(line, buf[i]);
				continue;
			}
			if (g_str_has_prefix(line->str, "  CC") ||
			    g_str_has_prefix(line->str, "  LD") ||
			    g_str_has_prefix(line->str, "  AS"))
				(*count)++;
			g_string_truncate(line, 0);
		}
		if (time(NULL) - last >= 30) {
			long s = (long)(time(NULL) - start);

			last = time(NULL);
			if (expect > 0)
				say(o,
				    "compiling: %ld steps (a whole build has %ld), %ld:%02ld",
				    *count, expect, s / 60, s % 60);
			else
				say(o, "compiling: %ld steps, %ld:%02ld",
				    *count, s / 60, s % 60);
		}
	}
	close(p[0]);
	g_string_free(line, TRUE);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int rm_tree(const char *path)
{
	char *argv[] = { "rm", "-rf", "--", (char *)path, NULL };
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int ret = run_logged(&(struct torn_kernel_build_opts){ 0 }, argv, NULL,
			     fd, NULL, 0);

	close(fd);
	return ret;
}

/* ---- inputs ------------------------------------------------------------ */

/* The newest /boot/config-REL with modules installed (the kit's kernel). */
static int stock_config(char *out, size_t len, struct torn_err *err)
{
	DIR *d = opendir("/boot");
	struct dirent *e;
	char best[256] = "";

	if (!d)
		return torn_err_set(err, TORN_E_NOTFOUND,
				    "cannot list /boot: %s", strerror(errno));
	while ((e = readdir(d))) {
		char dep[PATH_MAX];
		const char *rel = e->d_name + 7;

		if (strncmp(e->d_name, "config-", 7))
			continue;
		snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", rel);
		if (access(dep, R_OK))
			continue;
		if (!best[0] || strverscmp(rel, best) > 0)
			snprintf(best, sizeof(best), "%s", rel);
	}
	closedir(d);
	if (!best[0])
		return torn_err_set(
			err, TORN_E_NOTFOUND,
			"no stock kernel config in /boot (install linux-image-amd64)");
	snprintf(out, len, "/boot/config-%s", best);
	return 0;
}

struct patch {
	char *name; /* as the series names it */
	char *path;
	int strip; /* patch -pN */
};

static void patch_free(gpointer p)
{
	struct patch *pt = p;

	g_free(pt->name);
	g_free(pt->path);
	g_free(pt);
}

/*
 * DIR/series: a patch name per line, "-pN" after it (default -p1), '#'
 * comments and blank lines skipped.
 */
static int read_series(const char *dir, GPtrArray *out, struct torn_err *err)
{
	char *path = g_build_filename(dir, "series", NULL);
	char *text = NULL, **lines;
	int ret = read_text(path, &text, err, "patch series");

	if (ret) {
		g_free(path);
		return ret;
	}
	lines = g_strsplit(text, "\n", -1);
	for (size_t i = 0; !ret && lines[i]; i++) {
		char *l = g_strstrip(lines[i]), **w;
		struct patch *pt;

		if (!*l || *l == '#')
			continue;
		w = g_strsplit_set(l, " \t", -1);
		pt = g_new0(struct patch, 1);
		pt->name = g_strdup(w[0]);
		pt->path = g_build_filename(dir, w[0], NULL);
		pt->strip = 1;
		for (size_t k = 1; w[k]; k++) {
			if (!*w[k] || w[k][0] == '#')
				break;
			if (!strncmp(w[k], "-p", 2) && w[k][2] >= '0' &&
			    w[k][2] <= '9' && !w[k][3]) {
				pt->strip = w[k][2] - '0';
			} else {
				ret = torn_err_set(
					err, TORN_E_USAGE,
					"%s line %zu: '%s' is not a -pN option",
					path, i + 1, w[k]);
			}
		}
		g_strfreev(w);
		g_ptr_array_add(out, pt);
		if (!ret && (strstr(pt->name, "..") || pt->name[0] == '/'))
			ret = torn_err_set(
				err, TORN_E_USAGE,
				"%s line %zu: a patch must be a file in %s",
				path, i + 1, dir);
		if (!ret && access(pt->path, R_OK))
			ret = torn_err_set(err, TORN_E_NOTFOUND,
					   "%s names '%s': %s", path, pt->name,
					   strerror(errno));
	}
	if (!ret && !out->len)
		ret = torn_err_set(err, TORN_E_USAGE, "%s names no patch",
				   path);
	g_strfreev(lines);
	g_free(text);
	g_free(path);
	return ret;
}

/* "6.1.192" from the tarball's name or the tree's Makefile. */
static void source_version(const char *tree, char *out, size_t len)
{
	char *mk = g_build_filename(tree, "Makefile", NULL), *text = NULL;
	int v = -1, p = -1, s = -1;

	if (g_file_get_contents(mk, &text, NULL, NULL)) {
		char *l;

		if ((l = strstr(text, "\nVERSION = ")))
			v = atoi(l + 11);
		if ((l = strstr(text, "\nPATCHLEVEL = ")))
			p = atoi(l + 14);
		if ((l = strstr(text, "\nSUBLEVEL = ")))
			s = atoi(l + 12);
	}
	if (v >= 0 && p >= 0 && s >= 0)
		snprintf(out, len, "%d.%d.%d", v, p, s);
	else
		snprintf(out, len, "unknown");
	g_free(text);
	g_free(mk);
}

/* ---- the config -------------------------------------------------------- */

/*
 * The stock config with its modules off, then the fragments in order.
 * Kconfig (olddefconfig) resolves it in the tree.
 */
static char *compose_config(const char *base, const char *const *frags)
{
	GString *s = g_string_new(NULL);
	char **lines = g_strsplit(base, "\n", -1);

	for (size_t i = 0; lines[i]; i++) {
		size_t n = strlen(lines[i]);

		if (n > 9 && !strncmp(lines[i], "CONFIG_", 7) &&
		    !strcmp(lines[i] + n - 2, "=m")) {
			g_string_append_printf(s, "# %.*s is not set\n",
					       (int)(n - 2), lines[i]);
			continue;
		}
		if (lines[i][0] || lines[i + 1])
			g_string_append_printf(s, "%s\n", lines[i]);
	}
	g_strfreev(lines);
	for (size_t i = 0; frags[i]; i++)
		g_string_append(s, frags[i]);
	return g_string_free(s, FALSE);
}

/* The value config gives sym: "y", "\"x\"", or "n" for "is not set". */
static char *config_value(const char *config, const char *sym)
{
	char *want = g_strdup_printf("\n%s=", sym);
	const char *p = strstr(config, want);
	char *v;

	if (p) {
		const char *q = p + strlen(want), *e = strchr(q, '\n');

		v = e ? g_strndup(q, e - q) : g_strdup(q);
	} else {
		v = g_strdup("n");
	}
	g_free(want);
	return v;
}

/*
 * Every setting of the fragments holds in the resolved config, or one
 * line in err naming the first that does not.
 */
static int check_config(const char *config, const char *const *frags,
			const char *const *frag_names, const char *path,
			struct torn_err *err)
{
	char *cfg = g_strconcat("\n", config, NULL);
	int ret = 0;

	for (size_t f = 0; !ret && frags[f]; f++) {
		char **lines = g_strsplit(frags[f], "\n", -1);

		for (size_t i = 0; !ret && lines[i]; i++) {
			const char *l = lines[i];
			char *sym = NULL, *want = NULL, *got;

			if (!strncmp(l, "CONFIG_", 7) && strchr(l, '=')) {
				sym = g_strndup(l, strchr(l, '=') - l);
				want = g_strdup(strchr(l, '=') + 1);
			} else if (!strncmp(l, "# CONFIG_", 9) &&
				   g_str_has_suffix(l, " is not set")) {
				sym = g_strndup(l + 2, strlen(l) - 2 - 11);
				want = g_strdup("n");
			} else {
				continue;
			}
			got = config_value(cfg, sym);
			/* an empty string is what an absent one means */
			if (strcmp(got, want) &&
			    !(!strcmp(want, "\"\"") && !strcmp(got, "n")))
				ret = torn_err_set(
					err, -EIO,
					"%s asks for %s=%s but Kconfig gave %s=%s (a dependency or a select decides it; see %s)",
					frag_names[f], sym, want, sym, got,
					path);
			g_free(got);
			g_free(sym);
			g_free(want);
		}
		g_strfreev(lines);
	}
	g_free(cfg);
	return ret;
}

/* ---- the tree ---------------------------------------------------------- */

/* A --gcov tree: GCOV_PROFILE for each of torn_kernel_gcov_paths. */
static int add_gcov_profile(const char *tree)
{
	int ret = 0;

	for (size_t i = 0; !ret && torn_kernel_gcov_paths[i]; i++) {
		const char *p = torn_kernel_gcov_paths[i];
		char *mk, *line, *dir, *base;
		FILE *f;

		if (g_str_has_suffix(p, ".c")) {
			dir = g_path_get_dirname(p);
			base = g_path_get_basename(p);
			base[strlen(base) - 1] = 'o';
			line = g_strdup_printf("GCOV_PROFILE_%s := y\n", base);
			g_free(base);
		} else {
			dir = g_strdup(p);
			line = g_strdup("GCOV_PROFILE := y\n");
		}
		mk = g_build_filename(tree, dir, "Makefile", NULL);
		f = fopen(mk, "a");
		if (!f ||
		    fprintf(f, "# torn kernel build --gcov\n%s", line) < 0)
			ret = -errno ? -errno : -EIO;
		if (f && fclose(f) && !ret)
			ret = -errno;
		g_free(mk);
		g_free(line);
		g_free(dir);
	}
	return ret;
}

/* Undo the patches .torn-applied lists, last first. */
static int revert_applied(const struct torn_kernel_build_opts *o,
			  const char *tree, int log_fd)
{
	char *list = g_build_filename(tree, ".torn-applied", NULL);
	char *text = NULL, **lines;
	int ret = 0;
	size_t n;

	if (!g_file_get_contents(list, &text, NULL, NULL)) {
		g_free(list);
		return 0;
	}
	lines = g_strsplit(text, "\n", -1);
	n = g_strv_length(lines);
	while (!ret && n-- > 0) {
		char strip[8], *copy;

		if (!lines[n][0])
			continue;
		copy = strchr(lines[n], ' ');
		if (!copy)
			break;
		*copy++ = 0;
		snprintf(strip, sizeof(strip), "-p%s", lines[n]);
		say(o, "reverting %s", copy);
		char *argv[] = { "patch",   strip, "-R", "--batch", "-s",
				 "--force", "-i",  copy, NULL };
		ret = run_logged(o, argv, tree, log_fd, NULL, 0) ? -EIO : 0;
		lines[n][0] = 0;
		if (!ret) {
			GString *rest = g_string_new(NULL);

			for (size_t i = 0; i < n; i++)
				if (lines[i][0])
					g_string_append_printf(
						rest, "%s %s\n", lines[i],
						lines[i] + strlen(lines[i]) +
							1);
			ret = write_text(list, rest->str);
			g_string_free(rest, TRUE);
		}
	}
	g_strfreev(lines);
	g_free(text);
	if (!ret)
		unlink(list);
	g_free(list);
	return ret;
}

/* Apply the series in order, each checked with --dry-run first. */
static int apply_series(const struct torn_kernel_build_opts *o,
			const char *tree, GPtrArray *series, int log_fd,
			const char *logp, const char *version,
			struct torn_err *err)
{
	char *dir = g_build_filename(tree, ".torn-patches", NULL);
	char *list = g_build_filename(tree, ".torn-applied", NULL);
	int ret = mkdirs(dir);

	for (guint i = 0; !ret && i < series->len; i++) {
		struct patch *pt = g_ptr_array_index(series, i);
		char *copy = g_strdup_printf("%s/%04u.patch", dir, i);
		char strip[8], *text = NULL;
		FILE *f;

		snprintf(strip, sizeof(strip), "-p%d", pt->strip);
		ret = read_text(pt->path, &text, err, "patch");
		if (!ret && write_text(copy, text))
			ret = torn_err_set(err, -EIO, "cannot write %s", copy);
		g_free(text);
		if (!ret) {
			char *dry[] = { "patch",     strip,	"--dry-run",
					"--forward", "--batch", "-s",
					"-i",	     copy,	NULL };
			char *apply[] = { "patch",   strip, "--forward",
					  "--batch", "-s",  "-i",
					  copy,	     NULL };

			say(o, "applying %s", pt->name);
			if (run_logged(o, dry, tree, log_fd, NULL, 0) ||
			    run_logged(o, apply, tree, log_fd, NULL, 0))
				ret = torn_err_set(
					err, -EIO,
					"patch %s does not apply to linux-source %s (patch's output in %s)",
					pt->name, version, logp);
		}
		if (!ret) {
			f = fopen(list, "a");
			if (!f || fprintf(f, "%d %s\n", pt->strip, copy) < 0 ||
			    fclose(f))
				ret = torn_err_set(err, -EIO, "cannot write %s",
						   list);
		}
		g_free(copy);
	}
	g_free(list);
	g_free(dir);
	return ret;
}

/*
 * The tree for key: unpacked, its Makefiles profiled for gcov and its
 * config composed, once.  A tree whose patches cannot be reverted is
 * unpacked again.
 */
static int ensure_tree(const struct torn_kernel_build_opts *o, const char *tree,
		       const char *config, int log_fd, struct torn_err *err)
{
	char *ok = g_build_filename(tree, ".torn-tree-ok", NULL);
	char *cfg = g_build_filename(tree, ".config", NULL);
	const char *source = o->source ? o->source : DEFAULT_SOURCE;
	int ret = 0;

	if (!access(ok, F_OK) && revert_applied(o, tree, log_fd)) {
		say(o,
		    "the tree's earlier patches do not revert; unpacking it again");
		unlink(ok);
	}
	if (access(ok, F_OK)) {
		say(o, "unpacking %s", source);
		rm_tree(tree);
		ret = mkdirs(tree);
		if (!ret) {
			char *argv[] = {
				"tar", "-xf",	     (char *)source,
				"-C",  (char *)tree, "--strip-components=1",
				NULL
			};

			if (run_logged(o, argv, NULL, log_fd, NULL, 0))
				ret = torn_err_set(
					err, -EIO,
					"cannot unpack %s into %s (is the disk full?)",
					source, tree);
		} else {
			torn_err_set(err, -EIO, "cannot create %s: %s", tree,
				     strerror(-ret));
		}
		if (!ret && o->gcov && add_gcov_profile(tree))
			ret = torn_err_set(err, -EIO,
					   "cannot profile %s for gcov", tree);
		if (!ret && write_text(cfg, config))
			ret = torn_err_set(err, -EIO, "cannot write %s", cfg);
		if (!ret && write_text(ok, "unpacked\n"))
			ret = torn_err_set(err, -EIO, "cannot write %s", ok);
	}
	g_free(cfg);
	g_free(ok);
	return ret;
}

/* ---- installing a build ------------------------------------------------ */

static int copy_file(const char *from, const char *to)
{
	char *data = NULL, *dir = g_path_get_dirname(to);
	gsize len;
	int ret = mkdirs(dir);

	g_free(dir);
	if (ret)
		return ret;
	if (!g_file_get_contents(from, &data, &len, NULL))
		return -ENOENT;
	ret = g_file_set_contents(to, data, len, NULL) ? 0 : -EIO;
	g_free(data);
	return ret;
}

static const char *gcov_tree, *gcov_out;
static int gcov_copied;

/* nftw: a .gcno and the source it was compiled from, into gcov_out. */
static int copy_gcno(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	size_t n = strlen(path), t = strlen(gcov_tree);
	char *to, *src, *src_to;
	int ret;

	(void)st;
	(void)ftw;
	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".gcno"))
		return 0;
	to = g_strconcat(gcov_out, path + t, NULL);
	ret = copy_file(path, to);
	src = g_strndup(path, n - 5);
	src_to = g_strndup(to, strlen(to) - 5);
	{
		char *c = g_strconcat(src, ".c", NULL);
		char *c_to = g_strconcat(src_to, ".c", NULL);

		if (!ret && !access(c, R_OK))
			ret = copy_file(c, c_to);
		g_free(c);
		g_free(c_to);
	}
	g_free(src);
	g_free(src_to);
	g_free(to);
	gcov_copied += !ret;
	return ret ? 1 : 0;
}

/*
 * The profiled code's .gcno files and sources into out/gcov, at their
 * paths in the tree: the tree itself changes with the next build.
 */
static int copy_gcov(const char *tree, const char *out, int *files)
{
	int ret = 0;

	gcov_tree = tree;
	gcov_out = g_build_filename(out, "gcov", NULL);
	gcov_copied = 0;
	for (size_t i = 0; !ret && torn_kernel_gcov_paths[i]; i++) {
		char *p =
			g_build_filename(tree, torn_kernel_gcov_paths[i], NULL);

		if (g_str_has_suffix(p, ".c")) {
			char *gcno = g_strdup(p);

			strcpy(gcno + strlen(gcno) - 2, ".gcno");
			ret = copy_gcno(gcno, NULL, FTW_F, NULL);
			g_free(gcno);
		} else {
			ret = nftw(p, copy_gcno, 16, FTW_PHYS);
		}
		g_free(p);
	}
	g_free((char *)gcov_out);
	*files = gcov_copied;
	return ret ? -EIO : 0;
}

static void fill(struct torn_kernel *k, const char *kernels, const char *hash,
		 const char *release, int gcov)
{
	snprintf(k->hash, sizeof(k->hash), "%s", hash);
	snprintf(k->id, sizeof(k->id), "built:%.16s", hash);
	snprintf(k->dir, sizeof(k->dir), "%s/%.16s", kernels, hash);
	snprintf(k->vmlinuz, sizeof(k->vmlinuz), "%s/vmlinuz", k->dir);
	snprintf(k->release, sizeof(k->release), "%s", release);
	snprintf(k->modules, sizeof(k->modules), "%s/lib/modules/%s", k->dir,
		 release);
	snprintf(k->log, sizeof(k->log), "%s/build.log", k->dir);
	k->gcov = gcov;
}

/* The value of "key VALUE" in a kernel.txt, or NULL. */
static char *info_get(const char *info, const char *key)
{
	char *want = g_strdup_printf("\n%s ", key), *all;
	const char *p, *e;
	char *v = NULL;

	all = g_strconcat("\n", info, NULL);
	p = strstr(all, want);
	if (p) {
		p += strlen(want);
		e = strchr(p, '\n');
		v = e ? g_strndup(p, e - p) : g_strdup(p);
	}
	g_free(all);
	g_free(want);
	return v;
}

static int load_info(const char *kernels, const char *dir16,
		     struct torn_kernel *k)
{
	char *path = g_strdup_printf("%s/%s/kernel.txt", kernels, dir16);
	char *info = NULL, *hash, *release, *gcov;
	int ret = -ENOENT;

	if (g_file_get_contents(path, &info, NULL, NULL)) {
		hash = info_get(info, "hash");
		release = info_get(info, "release");
		gcov = info_get(info, "gcov");
		if (hash && release && strlen(hash) == 64 &&
		    !strncmp(hash, dir16, 16)) {
			char *tree = info_get(info, "tree");

			fill(k, kernels, hash, release,
			     gcov && !strcmp(gcov, "1"));
			snprintf(k->tree, sizeof(k->tree), "%s",
				 tree ? tree : "");
			g_free(tree);
			ret = access(k->vmlinuz, R_OK) ? -ENOENT : 0;
		}
		g_free(hash);
		g_free(release);
		g_free(gcov);
	}
	g_free(info);
	g_free(path);
	return ret;
}

/* ---- the build --------------------------------------------------------- */

int torn_kernel_build(const struct torn_kernel_build_opts *o,
		      struct torn_kernel *k, struct torn_err *err)
{
	const char *source = o->source ? o->source : DEFAULT_SOURCE;
	const char *torn_cfg =
		o->torn_config ? o->torn_config : TORN_KERNEL_CONFIG_PATH;
	char base_cfg[PATH_MAX], version[32], jobs[16], localversion[64];
	char *kernels = g_build_filename(o->cache_dir, "kernels", NULL);
	char *base = NULL, *torn_text = NULL, *frag = NULL, *config = NULL;
	char *tree = NULL, *lockp = NULL, *out = NULL, *tmp = NULL;
	char *logp = NULL, *resolved = NULL, *release = NULL;
	GPtrArray *series = g_ptr_array_new_with_free_func(patch_free);
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	GChecksum *tsum = g_checksum_new(G_CHECKSUM_SHA256);
	char hash[65], tkey[65];
	int ret, lock_fd = -1, log_fd = -1, gcno = 0;
	long steps = 0, expect = 0;
	time_t start = time(NULL);

	memset(k, 0, sizeof(*k));
	ret = 0;
	if (o->base_config)
		snprintf(base_cfg, sizeof(base_cfg), "%s", o->base_config);
	else
		ret = stock_config(base_cfg, sizeof(base_cfg), err);
	if (!ret && access(source, R_OK))
		ret = torn_err_set(
			err, TORN_E_NOTFOUND,
			"no kernel source '%s' (install linux-source-6.1, or give --source)",
			source);
	if (!ret)
		ret = read_text(base_cfg, &base, err, "base config");
	if (!ret)
		ret = read_text(torn_cfg, &torn_text, err, "config fragment");
	if (!ret && o->fragment)
		ret = read_text(o->fragment, &frag, err, "config fragment");
	if (!ret && o->patches)
		ret = read_series(o->patches, series, err);
	if (ret)
		goto out;

	/* the hash: everything but the patches keys the tree too */
	g_checksum_update(tsum, (const guchar *)KERNEL_FORMAT,
			  strlen(KERNEL_FORMAT));
	if (hash_file(tsum, source)) {
		ret = torn_err_set(err, -EIO, "cannot read '%s'", source);
		goto out;
	}
	hash_field(tsum, "base", base, strlen(base));
	hash_field(tsum, "torn", torn_text, strlen(torn_text));
	hash_field(tsum, "fragment", frag ? frag : "", frag ? strlen(frag) : 0);
	hash_field(tsum, "gcov", o->gcov ? gcov_cflags : "0",
		   o->gcov ? strlen(gcov_cflags) : 1);
	snprintf(tkey, sizeof(tkey), "%s", g_checksum_get_string(tsum));
	hash_field(sum, "tree", tkey, 64);
	for (guint i = 0; i < series->len; i++) {
		struct patch *pt = g_ptr_array_index(series, i);
		char *text = NULL;

		ret = read_text(pt->path, &text, err, "patch");
		if (ret)
			goto out;
		hash_field(sum, "patch", pt->name, strlen(pt->name));
		hash_field(sum, "strip", &pt->strip, sizeof(pt->strip));
		hash_field(sum, "text", text, strlen(text));
		g_free(text);
	}
	snprintf(hash, sizeof(hash), "%s", g_checksum_get_string(sum));
	snprintf(localversion, sizeof(localversion), "LOCALVERSION=-torn-%.8s",
		 hash);

	{
		char h16[17];

		snprintf(h16, sizeof(h16), "%.16s", hash);
		if (!load_info(kernels, h16, k)) {
			k->reused = 1;
			k->built = 1;
			goto named;
		}
	}
	if (o->cached_only) {
		snprintf(k->hash, sizeof(k->hash), "%s", hash);
		snprintf(k->id, sizeof(k->id), "built:%.16s", hash);
		goto out;
	}

	tree = g_strdup_printf("%s/trees/%.16s", kernels, tkey);
	lockp = g_strdup_printf("%s/trees/%.16s.lock", kernels, tkey);
	out = g_strdup_printf("%s/%.16s", kernels, hash);
	tmp = g_strdup_printf("%s/%.16s.tmp", kernels, hash);
	ret = mkdirs(tmp);
	if (!ret) {
		char *trees = g_build_filename(kernels, "trees", NULL);

		ret = mkdirs(trees);
		g_free(trees);
	}
	if (ret) {
		ret = torn_err_set(err, -EIO, "cannot create %s: %s", tmp,
				   strerror(-ret));
		goto out;
	}
	logp = g_build_filename(tmp, "build.log", NULL);
	log_fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (log_fd < 0 || lock_fd < 0) {
		ret = torn_err_set(err, -EIO, "cannot open %s: %s",
				   log_fd < 0 ? logp : lockp, strerror(errno));
		goto out;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB)) {
		say(o, "waiting for another build in %s", tree);
		if (flock(lock_fd, LOCK_EX)) {
			ret = torn_err_set(err, -EIO, "cannot lock %s: %s",
					   lockp, strerror(errno));
			goto out;
		}
	}
	{
		const char *frags[] = { torn_text, frag ? frag : "",
					o->gcov ? gcov_config : "", NULL };

		config = compose_config(base, frags);
	}
	say(o, "%.16s: %s, %s with modules off, %s%s%s%s, %u patch%s", hash,
	    source, base_cfg, torn_cfg, o->fragment ? ", " : "",
	    o->fragment ? o->fragment : "", o->gcov ? ", gcov" : "",
	    series->len, series->len == 1 ? "" : "es");
	ret = ensure_tree(o, tree, config, log_fd, err);
	source_version(tree, version, sizeof(version));
	if (!ret)
		ret = apply_series(o, tree, series, log_fd, logp, version, err);
	if (ret)
		goto out;

	say(o, "configuring (make olddefconfig)");
	{
		char *cfgp = g_build_filename(tree, ".config", NULL);
		char *argv[] = { "make", "-s", "olddefconfig", NULL };
		const char *frags[] = { torn_text, frag ? frag : "",
					o->gcov ? gcov_config : "", NULL };
		const char *names[] = { torn_cfg,
					o->fragment ? o->fragment : "",
					"--gcov", NULL };

		/* the composed config each time: a patch may add symbols */
		if (write_text(cfgp, config) ||
		    run_logged(o, argv, tree, log_fd, NULL, 0))
			ret = torn_err_set(err, -EIO,
					   "make olddefconfig failed (log: %s)",
					   logp);
		g_free(resolved);
		resolved = NULL;
		if (!ret)
			ret = read_text(cfgp, &resolved, err, "config");
		if (!ret)
			ret = check_config(resolved, frags, names, cfgp, err);
		g_free(cfgp);
		if (ret)
			goto out;
	}

	{
		char *countp = g_build_filename(tree, ".torn-steps", NULL);
		char *text = NULL;

		if (g_file_get_contents(countp, &text, NULL, NULL))
			expect = atol(text);
		g_free(text);
		snprintf(jobs, sizeof(jobs), "-j%d",
			 o->jobs > 0 ? o->jobs
				     : (int)sysconf(_SC_NPROCESSORS_ONLN));
		say(o, "compiling (make %s bzImage modules; log %s/build.log)",
		    jobs, out);
		char *argv[] = {
			"make",	      jobs,
			localversion, "bzImage",
			"modules",    o->gcov ? (char *)gcov_cflags : NULL,
			NULL
		};
		ret = run_logged(o, argv, tree, log_fd, &steps, expect);
		if (ret) {
			ret = torn_err_set(
				err, -EIO,
				ret > 128
					? "the kernel build was interrupted (log: %s)"
					: "the kernel build failed (log: %s)",
				logp);
			g_free(countp);
			goto out;
		}
		if (!expect || steps > expect / 4) {
			char n[32];

			snprintf(n, sizeof(n), "%ld\n", steps);
			write_text(countp, n);
		}
		g_free(countp);
	}

	say(o, "installing");
	{
		char *argv[] = { "make", "-s", localversion, "kernelrelease",
				 NULL };
		char *relp = g_build_filename(tmp, "release", NULL);
		int rfd = open(relp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0644);
		char *mod_path = g_strdup_printf("INSTALL_MOD_PATH=%s", tmp);
		char *inst[] = { "make",
				 "-s",
				 localversion,
				 mod_path,
				 "INSTALL_MOD_STRIP=1",
				 "modules_install",
				 NULL };
		char *from, *to;

		if (rfd < 0 || run_logged(o, argv, tree, rfd, NULL, 0))
			ret = torn_err_set(err, -EIO,
					   "make kernelrelease failed");
		if (rfd >= 0)
			close(rfd);
		if (!ret)
			ret = read_text(relp, &release, err, "release");
		if (!ret)
			g_strstrip(release);
		unlink(relp);
		g_free(relp);
		if (!ret && run_logged(o, inst, tree, log_fd, NULL, 0))
			ret = torn_err_set(
				err, -EIO,
				"make modules_install failed (log: %s)", logp);
		g_free(mod_path);
		from = g_build_filename(tree, "arch/x86/boot/bzImage", NULL);
		to = g_build_filename(tmp, "vmlinuz", NULL);
		if (!ret && copy_file(from, to))
			ret = torn_err_set(err, -EIO, "cannot copy %s", from);
		g_free(from);
		g_free(to);
		for (int i = 0; !ret && i < 2; i++) {
			static const char *const names[][2] = {
				{ "System.map", "System.map" },
				{ ".config", "config" }
			};
			from = g_build_filename(tree, names[i][0], NULL);
			to = g_build_filename(tmp, names[i][1], NULL);
			if (copy_file(from, to))
				ret = torn_err_set(err, -EIO, "cannot copy %s",
						   from);
			g_free(from);
			g_free(to);
		}
		if (!ret && o->gcov && copy_gcov(tree, tmp, &gcno))
			ret = torn_err_set(err, -EIO,
					   "cannot copy the .gcno files of %s",
					   tree);
		if (!ret && o->gcov && !gcno)
			ret = torn_err_set(
				err, -EIO,
				"a --gcov build made no .gcno file (log: %s)",
				logp);
		if (ret)
			goto out;
	}
	{
		GString *info = g_string_new(NULL);
		char *infop = g_build_filename(tmp, "kernel.txt", NULL);
		long s = (long)(time(NULL) - start);

		g_string_append_printf(
			info,
			"hash %s\nrelease %s\nsource %s\n"
			"source_version %s\nbase_config %s\n"
			"torn_config %s\nfragment %s\ngcov %d\n"
			"gcno_files %d\ntree %s\nbuild_seconds %ld\n"
			"build_steps %ld\n",
			hash, release, source, version, base_cfg, torn_cfg,
			o->fragment ? o->fragment : "-", o->gcov, gcno, tree, s,
			steps);
		for (guint i = 0; i < series->len; i++)
			g_string_append_printf(
				info, "patch %s\n",
				((struct patch *)g_ptr_array_index(series, i))
					->path);
		ret = write_text(infop, info->str);
		g_string_free(info, TRUE);
		g_free(infop);
		close(log_fd);
		log_fd = -1;
		if (!ret) {
			rm_tree(out);
			ret = rename(tmp, out) ? -errno : 0;
		}
		if (ret) {
			ret = torn_err_set(
				err, -EIO,
				"cannot install the build into %s: %s", out,
				strerror(-ret));
			goto out;
		}
		fill(k, kernels, hash, release, o->gcov);
		snprintf(k->tree, sizeof(k->tree), "%s", tree);
		k->built = 1;
		say(o, "built %s in %ld:%02ld (%ld steps)", k->id, s / 60,
		    s % 60, steps);
	}
named:
	if (o->name) {
		char *names = g_build_filename(kernels, "names", NULL);
		char *link = g_build_filename(names, o->name, NULL);
		char *target = g_strdup_printf("../%.16s", hash);

		if (strchr(o->name, '/') || o->name[0] == '.' ||
		    !strncmp(o->name, "built:", 6)) {
			ret = torn_err_set(err, TORN_E_USAGE,
					   "bad kernel name '%s'", o->name);
		} else {
			mkdirs(names);
			unlink(link);
			if (symlink(target, link))
				ret = torn_err_set(
					err, -EIO,
					"cannot name the kernel %s: %s", link,
					strerror(errno));
		}
		g_free(target);
		g_free(link);
		g_free(names);
	}
out:
	if (log_fd >= 0)
		close(log_fd);
	if (lock_fd >= 0)
		close(lock_fd);
	g_checksum_free(sum);
	g_checksum_free(tsum);
	g_ptr_array_unref(series);
	g_free(release);
	g_free(resolved);
	g_free(logp);
	g_free(tmp);
	g_free(out);
	g_free(lockp);
	g_free(tree);
	g_free(config);
	g_free(frag);
	g_free(torn_text);
	g_free(base);
	g_free(kernels);
	return ret;
}

/* ---- finding builds ---------------------------------------------------- */

int torn_kernel_is_built_spec(const char *spec)
{
	return spec && !strncmp(spec, "built:", 6);
}

int torn_kernel_find(const char *cache_dir, const char *spec,
		     struct torn_kernel *k, struct torn_err *err)
{
	char *kernels = g_build_filename(cache_dir, "kernels", NULL);
	const char *x = torn_kernel_is_built_spec(spec) ? spec + 6 : spec;
	char *link, target[PATH_MAX];
	char found[17] = "";
	int matches = 0, ret;
	ssize_t n;
	DIR *d;

	memset(k, 0, sizeof(*k));
	link = g_build_filename(kernels, "names", x, NULL);
	n = *x && !strchr(x, '/') ? readlink(link, target, sizeof(target) - 1)
				  : -1;
	g_free(link);
	if (n > 0) {
		target[n] = 0;
		snprintf(found, sizeof(found), "%s",
			 strrchr(target, '/') ? strrchr(target, '/') + 1
					      : target);
		matches = 1;
	} else if (strlen(x) >= 4 &&
		   strspn(x, "0123456789abcdef") == strlen(x)) {
		struct dirent *e;

		d = opendir(kernels);
		while (d && (e = readdir(d))) {
			if (strlen(e->d_name) != 16 ||
			    strncmp(e->d_name, x,
				    strlen(x) < 16 ? strlen(x) : 16))
				continue;
			{
				struct torn_kernel t; /* finished ones only */

				if (load_info(kernels, e->d_name, &t) ||
				    strncmp(t.hash, x, strlen(x)))
					continue;
			}
			snprintf(found, sizeof(found), "%s", e->d_name);
			matches++;
		}
		if (d)
			closedir(d);
	}
	if (matches > 1)
		ret = torn_err_set(
			err, TORN_E_USAGE,
			"kernel '%s' names %d builds: give more of the hash",
			spec, matches);
	else if (!matches || load_info(kernels, found, k))
		ret = torn_err_set(
			err, TORN_E_NOTFOUND,
			"no built kernel '%s' in %s (torn kernel list shows them; torn kernel build makes one)",
			spec, kernels);
	else
		ret = 0;
	g_free(kernels);
	return ret;
}

int torn_kernel_list(const char *cache_dir, FILE *f)
{
	char *kernels = g_build_filename(cache_dir, "kernels", NULL);
	char *names = g_build_filename(kernels, "names", NULL);
	DIR *d = opendir(kernels);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		struct torn_kernel k;
		char *infop, *info = NULL;
		GString *named = g_string_new(NULL);
		DIR *nd;

		if (strlen(e->d_name) != 16 ||
		    load_info(kernels, e->d_name, &k))
			continue;
		nd = opendir(names);
		for (struct dirent *ne; nd && (ne = readdir(nd));) {
			char *l = g_build_filename(names, ne->d_name, NULL);
			char t[PATH_MAX];
			ssize_t len = readlink(l, t, sizeof(t) - 1);

			if (len > 0) {
				t[len] = 0;
				if (g_str_has_suffix(t, e->d_name))
					g_string_append_printf(
						named, " name=%s", ne->d_name);
			}
			g_free(l);
		}
		if (nd)
			closedir(nd);
		infop = g_build_filename(k.dir, "kernel.txt", NULL);
		fprintf(f, "%s %s%s%s", k.id, k.release, k.gcov ? " gcov" : "",
			named->str);
		if (g_file_get_contents(infop, &info, NULL, NULL)) {
			char **lines = g_strsplit(info, "\n", -1);

			for (size_t i = 0; lines[i]; i++)
				if (g_str_has_prefix(lines[i], "patch "))
					fprintf(f, " patch=%s",
						strrchr(lines[i], '/')
							? strrchr(lines[i],
								  '/') +
								  1
							: lines[i] + 6);
			g_strfreev(lines);
		}
		fputc('\n', f);
		g_free(info);
		g_free(infop);
		g_string_free(named, TRUE);
		n++;
	}
	if (d)
		closedir(d);
	g_free(names);
	g_free(kernels);
	return n;
}
