/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The symbols of a run directory (run_syms.h). */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kit.h"
#include "registry.h"
#include "run_syms.h"
#include "rundir.h"

struct loader {
	struct torn_syms *syms;
	const char *dir;
	const struct torn_workload *wl; /* a built-in workload, or NULL */
	gchar *stage; /* stage.cpio, NULL without one */
	gsize stage_len;
};

/* The built-in workload's program on this host, when guest names it. */
static char *builtin_program(const struct loader *l, const char *guest)
{
	char **bins, **b, *found = NULL;
	const char *base = strrchr(guest, '/');

	if (!l->wl || !l->wl->program || !base ||
	    strcmp(base + 1, l->wl->program))
		return NULL;
	bins = g_strsplit(TORN_WORKLOAD_BINS, ":", -1);
	for (b = bins; *b && !found; b++) {
		const char *hb = strrchr(*b, '/');

		if (hb && !strcmp(hb + 1, l->wl->program))
			found = g_strdup(*b);
	}
	g_strfreev(bins);
	return found;
}

/* A file of the stage as a memory file (its descriptor), or -1. */
static int stage_fd(const struct loader *l, const char *guest)
{
	const void *data;
	size_t size;
	int fd;

	if (!l->stage ||
	    torn_kit_stage_file(l->stage, l->stage_len, guest, &data, &size))
		return -1;
	fd = memfd_create("torn-stage", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The host file behind guest path m->path: the stage's (a user's test
 * brought it), the build's (a built-in workload), else the host's own at
 * the same path (the kit copies libraries from there).
 */
static int add_mapped(struct loader *l, const struct torn_syms_map *m,
		      uint64_t lo, uint64_t hi)
{
	struct torn_err err = { "" };
	char *host = NULL;
	uint64_t bias = 0;
	int fd = stage_fd(l, m->path);

	if (fd < 0)
		host = builtin_program(l, m->path);
	if (fd < 0 && !host && g_file_test(m->path, G_FILE_TEST_IS_REGULAR))
		host = g_strdup(m->path);
	if ((fd >= 0 || host) &&
	    !torn_syms_elf_bias(host ? host : m->path, fd, m, &bias, &err))
		torn_syms_add_elf(l->syms, host ? host : m->path, fd, lo, hi,
				  bias, &err);
	if (fd >= 0)
		close(fd);
	g_free(host);
	return 0;
}

struct span {
	struct torn_syms_map first; /* the mapping at file offset 0 */
	uint64_t lo, hi;
	char *path;
};

static int collect(const struct torn_syms_map *m, void *arg)
{
	GPtrArray *spans = arg;
	struct span *s = NULL;
	guint i;

	for (i = 0; i < spans->len && !s; i++)
		if (!strcmp(((struct span *)spans->pdata[i])->path, m->path))
			s = spans->pdata[i];
	if (!s) {
		s = g_new0(struct span, 1);
		s->path = g_strdup(m->path);
		s->lo = m->lo;
		s->first.offset = UINT64_MAX;
		g_ptr_array_add(spans, s);
	}
	if (m->lo < s->lo)
		s->lo = m->lo;
	if (m->hi > s->hi)
		s->hi = m->hi;
	if (!m->offset && s->first.offset == UINT64_MAX) {
		s->first = *m;
		s->first.path = s->path;
	}
	return 0;
}

static void span_free(gpointer p)
{
	struct span *s = p;

	g_free(s->path);
	g_free(s);
}

/* Each file of the maps, once, over all of its mappings. */
static bool load_maps(struct loader *l)
{
	gchar *text = NULL,
	      *path = g_build_filename(l->dir, TORN_RUN_MAPS, NULL);
	GPtrArray *spans = g_ptr_array_new_with_free_func(span_free);
	bool have = g_file_get_contents(path, &text, NULL, NULL);
	guint i;

	g_free(path);
	if (have)
		torn_syms_parse_maps(text, collect, spans);
	for (i = 0; i < spans->len; i++) {
		struct span *s = spans->pdata[i];

		if (s->first.offset != UINT64_MAX)
			add_mapped(l, &s->first, s->lo, s->hi);
	}
	g_ptr_array_unref(spans);
	g_free(text);
	return have;
}

/* No maps (a run traced before torn kept them): a fixed-address program. */
static void load_program(struct loader *l)
{
	struct torn_err err = { "" };
	char *host = NULL;

	if (l->wl && l->wl->program) {
		char *guest = g_strconcat("/usr/bin/", l->wl->program, NULL);

		host = builtin_program(l, guest);
		g_free(guest);
	}
	if (host)
		torn_syms_add_elf(l->syms, host, -1, 0, 0, 0, &err);
	g_free(host);
}

char *torn_run_syms_vmlinux(const char *kernel)
{
	const char *root = getenv("TORN_DEBUG_ROOT");

	return g_strdup_printf("%s/usr/lib/debug/boot/vmlinux-%s",
			       root ? root : "", kernel);
}

/* The kernel's own code with lines, moved by the KASLR slide kallsyms shows. */
static void load_vmlinux(struct loader *l, const char *kernel)
{
	struct torn_err err = { "" };
	uint64_t text = torn_syms_kallsyms_addr(l->syms, "_text"), lo, hi;
	char *path = torn_run_syms_vmlinux(kernel);

	if (text && !torn_syms_elf_span(path, &lo, &hi, &err))
		torn_syms_add_elf(l->syms, path, -1, text, text + (hi - lo),
				  text - lo, &err);
	g_free(path);
}

struct torn_syms *torn_run_syms(const char *dir, const char *workload,
				const char *kernel)
{
	struct loader l = { .syms = torn_syms_new(), .dir = dir };
	gchar *path = g_build_filename(dir, "kallsyms", NULL);

	torn_syms_add_kallsyms(l.syms, path);
	g_free(path);
	if (kernel && *kernel)
		load_vmlinux(&l, kernel);
	l.wl = workload && *workload ? torn_workload_find(workload) : NULL;
	path = g_build_filename(dir, TORN_RUN_STAGE, NULL);
	if (!g_file_get_contents(path, &l.stage, &l.stage_len, NULL))
		l.stage = NULL;
	g_free(path);
	if (!load_maps(&l))
		load_program(&l);
	g_free(l.stage);
	return l.syms;
}
