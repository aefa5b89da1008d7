/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A run directory's symbols (harness/symbols) on this very program: its
 * maps as the guest would keep them, the program under a guest path that
 * only the stage archive holds (a user's test), or at a path the host has
 * (a library the kit copied); and damaged maps and archives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "kit.h"
#include "run_syms.h"
#include "rundir.h"

#define GUEST_PROG "/opt/torn/bin/selfcopy"

__attribute__((noinline)) static int located(int x)
{
	return x * 5 + 2;
}

struct run {
	char *dir;
	char exe[4096];
};

static int make_run(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	r->dir = g_dir_make_tmp("torn-test-run-syms-XXXXXX", NULL);
	assert_non_null(r->dir);
	assert_true(readlink("/proc/self/exe", r->exe, sizeof(r->exe) - 1) > 0);
	*state = r;
	return 0;
}

static int remove_run(void **state)
{
	struct run *r = *state;
	const char *names[] = { TORN_RUN_MAPS, TORN_RUN_STAGE, "kallsyms" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		char *p = g_build_filename(r->dir, names[i], NULL);

		g_unlink(p);
		g_free(p);
	}
	g_rmdir(r->dir);
	g_free(r->dir);
	free(r);
	return 0;
}

static void put(const struct run *r, const char *name, const void *data,
		size_t len)
{
	char *p = g_build_filename(r->dir, name, NULL);

	assert_true(g_file_set_contents(p, data, (gssize)len, NULL));
	g_free(p);
}

/* This process's maps with its program's path replaced by as. */
static void put_maps(const struct run *r, const char *as)
{
	gchar *maps = NULL, **parts, *text;

	assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
	parts = g_strsplit(maps, r->exe, -1);
	text = g_strjoinv(as, parts);
	put(r, TORN_RUN_MAPS, text, strlen(text));
	g_strfreev(parts);
	g_free(text);
	g_free(maps);
}

static char *where_located(const struct run *r, const char *workload)
{
	struct torn_syms *s = torn_run_syms(r->dir, workload, "");
	char buf[1024];
	const char *w = torn_syms_where(s, (uint64_t)(uintptr_t)&located, buf,
					sizeof(buf));
	char *out = w ? g_strdup(w) : NULL;

	located(1);
	torn_syms_free(s);
	return out;
}

/* A user's test: the program only the stage archive holds. */
static void test_from_stage(void **state)
{
	struct run *r = *state;
	struct torn_stage_item item = { r->exe, GUEST_PROG, TORN_STAGE_PROGRAM,
					"program" };
	struct torn_err err = { "" };
	void *stage;
	size_t len;
	char *w;

	assert_int_equal(torn_kit_stage_build(&item, 1, &stage, &len, &err), 0);
	put(r, TORN_RUN_STAGE, stage, len);
	g_free(stage);
	put_maps(r, GUEST_PROG);
	w = where_located(r, "test:selfcopy");
	assert_non_null(w);
	assert_non_null(strstr(w, "located+0x0 at "));
	assert_non_null(strstr(w, "test_run_syms.c:"));
	g_free(w);
}

/* A file at a path the host has: the host's (as for a kit's library). */
static void test_from_host(void **state)
{
	struct run *r = *state;
	char *w;

	put_maps(r, r->exe);
	w = where_located(r, "");
	assert_non_null(w);
	assert_non_null(strstr(w, "located+0x0 at "));
	g_free(w);
}

/* The guest path nowhere to be found: no name, no crash. */
static void test_unknown_file(void **state)
{
	struct run *r = *state;

	put_maps(r, "/nonexistent/prog");
	assert_null(where_located(r, "test:prog"));
}

/* A stage archive cut short, maps that are noise: left out. */
static void test_damaged(void **state)
{
	struct run *r = *state;
	struct torn_stage_item item = { r->exe, GUEST_PROG, TORN_STAGE_PROGRAM,
					"program" };
	struct torn_err err = { "" };
	static const char noise[] = "\x01\x02garbage\n-\n0-0 r 0 0 0 /\n";
	const void *data;
	size_t len, size;
	void *stage;

	assert_int_equal(torn_kit_stage_build(&item, 1, &stage, &len, &err), 0);
	assert_int_equal(
		torn_kit_stage_file(stage, len, GUEST_PROG, &data, &size), 0);
	assert_int_equal(
		torn_kit_stage_file(stage, len, "/no/such", &data, &size),
		TORN_E_NOTFOUND);
	/* cut inside the program's data, then inside a header */
	assert_int_equal(torn_kit_stage_file(stage,
					     (size_t)((const char *)data -
						      (const char *)stage) +
						     size / 2,
					     GUEST_PROG, &data, &size),
			 TORN_E_FORMAT);
	assert_int_equal(
		torn_kit_stage_file(stage, 50, GUEST_PROG, &data, &size),
		TORN_E_NOTFOUND);
	memcpy(stage, "070702", 6);
	assert_int_equal(
		torn_kit_stage_file(stage, len, GUEST_PROG, &data, &size),
		TORN_E_FORMAT);
	put(r, TORN_RUN_STAGE, stage, 200);
	g_free(stage);
	put_maps(r, GUEST_PROG);
	assert_null(where_located(r, "test:selfcopy"));
	put(r, TORN_RUN_MAPS, noise, sizeof(noise) - 1);
	assert_null(where_located(r, "test:selfcopy"));
}

/* Kernel PCs from the kallsyms capture; no debug vmlinux here. */
static void test_kallsyms(void **state)
{
	struct run *r = *state;
	static const char ks[] = "ffffffff81000000 T _text\n"
				 "ffffffff81400000 t dax_iomap_rw\n";
	struct torn_syms *s;
	char buf[256], *vm;

	put(r, "kallsyms", ks, sizeof(ks) - 1);
	g_setenv("TORN_DEBUG_ROOT", r->dir, TRUE);
	vm = torn_run_syms_vmlinux("6.1.0-57-amd64");
	assert_true(g_str_has_prefix(vm, r->dir));
	assert_true(g_str_has_suffix(
		vm, "/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64"));
	g_free(vm);
	s = torn_run_syms(r->dir, "", "6.1.0-57-amd64");
	assert_string_equal(
		torn_syms_where(s, 0xffffffff81400010ull, buf, sizeof(buf)),
		"dax_iomap_rw+0x10");
	assert_int_equal(torn_syms_n_files(s), 0);
	torn_syms_free(s);
	g_unsetenv("TORN_DEBUG_ROOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_from_stage, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_from_host, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_unknown_file, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_damaged, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_kallsyms, make_run,
						remove_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
