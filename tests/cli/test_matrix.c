/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * torn matrix's cells (harness/cli/matrix.c): specs x fs x flush x engine
 * x shard in a stable order with stable ids, ids read back as torn run
 * --cell reads them, cells a kind cannot run left out with the reason,
 * bad specs and axes refused with one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "matrix.h"

static char *dir;

static char *put(const char *name, const char *text)
{
	char *p = g_build_filename(dir, name, NULL);

	assert_true(g_file_set_contents(p, text, -1, NULL));
	return p;
}

static int setup(void **state)
{
	(void)state;
	dir = g_dir_make_tmp("torn-matrix-XXXXXX", NULL);
	assert_non_null(dir);
	g_free(put("b.torn", "[run]\nworkload = fsops-default\n"
			     "fs = ext4-dax xfs-dax\nflush = clwb\n"));
	g_free(put("a.torn", "[run]\nworkload = pmem\nfs = devdax\n"
			     "flush = clwb eadr\nengine = prefix\n"));
	g_free(put("notes.txt", "not a spec\n"));
	return 0;
}

static int teardown(void **state)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	(void)state;
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
		     NULL, NULL, NULL);
	g_free(dir);
	return 0;
}

static void test_cells_and_ids(void **state)
{
	const char *srcs[] = { dir };
	struct matrix_axes ax = { .shards = 2 };
	struct torn_err err = { "" };
	struct matrix m, again;
	const char *const want[] = {
		"a.devdax.clwb.prefix.1of2",
		"a.devdax.clwb.prefix.2of2",
		"a.devdax.eadr.prefix.1of2",
		"a.devdax.eadr.prefix.2of2",
		"b.ext4-dax.clwb.prefix+subsets-1.1of2",
		"b.ext4-dax.clwb.prefix+subsets-1.2of2",
		"b.xfs-dax.clwb.prefix+subsets-1.1of2",
		"b.xfs-dax.clwb.prefix+subsets-1.2of2",
	};

	(void)state;
	assert_int_equal(matrix_build(srcs, 1, &ax, &m, &err), 0);
	assert_int_equal(m.n, G_N_ELEMENTS(want));
	for (size_t i = 0; i < m.n; i++) {
		struct matrix_id id;
		char *spec = NULL;

		assert_string_equal(m.cells[i].id, want[i]);
		assert_null(m.cells[i].skip);
		assert_int_equal(m.cells[i].shards, 2);
		assert_int_equal(m.cells[i].shard, i % 2 + 1);
		assert_int_equal(strncmp(m.cells[i].id, m.cells[i].trace,
					 strlen(m.cells[i].trace)),
				 0);
		/* the id read back: the cell's own axes and spec */
		assert_int_equal(matrix_id_parse(m.cells[i].id, &id, &err), 0);
		assert_string_equal(id.name, m.cells[i].name);
		assert_string_equal(id.fs, m.cells[i].fs);
		assert_string_equal(id.flush, m.cells[i].flush);
		assert_string_equal(id.engine, m.cells[i].engine);
		assert_int_equal(id.shard, m.cells[i].shard);
		assert_int_equal(id.shards, 2);
		assert_int_equal(
			matrix_find_spec(srcs, 1, id.name, &spec, &err), 0);
		assert_string_equal(spec, m.cells[i].spec);
		g_free(spec);
		matrix_id_clear(&id);
	}
	/* the same inputs, the same cells (stable ids across machines) */
	assert_int_equal(matrix_build(srcs, 1, &ax, &again, &err), 0);
	assert_int_equal(again.n, m.n);
	for (size_t i = 0; i < m.n; i++)
		assert_string_equal(again.cells[i].id, m.cells[i].id);
	matrix_free(&again);
	matrix_free(&m);
}

static void test_axes_and_skips(void **state)
{
	char *b = g_build_filename(dir, "b.torn", NULL);
	const char *srcs[] = { b };
	struct matrix_axes ax = { .fs = "devdax ext4-dax",
				  .engine = "prefix subsets:2" };
	struct torn_err err = { "" };
	struct matrix m;
	size_t cells = 0;

	(void)state;
	assert_int_equal(matrix_build(srcs, 1, &ax, &m, &err), 0);
	/* 2 engines on ext4-dax run; the devdax pair is left out, last */
	assert_int_equal(m.n, 4);
	for (size_t i = 0; i < m.n; i++)
		cells += !m.cells[i].skip;
	assert_int_equal(cells, 2);
	assert_string_equal(m.cells[0].id, "b.ext4-dax.clwb.prefix");
	assert_string_equal(m.cells[1].id, "b.ext4-dax.clwb.subsets-2");
	assert_string_equal(m.cells[2].id, "b.devdax.clwb.prefix");
	assert_non_null(strstr(m.cells[2].skip, "does not run on devdax"));
	assert_string_equal(m.cells[0].trace, m.cells[0].id); /* no shards */
	assert_string_equal(m.cells[0].expect, "consistent");
	matrix_free(&m);

	/* no spec: the built-in default run */
	ax = (struct matrix_axes){ 0 };
	assert_int_equal(matrix_build(NULL, 0, &ax, &m, &err), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.cells[0].id,
			    "default.ext4-dax.clwb.prefix+subsets-1");
	assert_null(m.cells[0].spec);
	matrix_free(&m);
	g_free(b);
}

static void test_bad(void **state)
{
	char *dup_dir = g_build_filename(dir, "sub", NULL);
	char *dup = NULL, *bad = put("bad.torn", "[run]\nfs = zfs\n");
	char *sharded = put("shard.torn", "[run]\nshard = 1/2\n");
	char *empty = g_build_filename(dir, "empty", NULL);
	const struct {
		const char *src;
		struct matrix_axes ax;
		int code;
		const char *msg;
	} cases[] = {
		{ bad, { 0 }, TORN_E_USAGE, "bad.torn" },
		{ "/nonexistent/x.torn",
		  { 0 },
		  TORN_E_NOTFOUND,
		  "No such file" },
		{ empty, { 0 }, TORN_E_NOTFOUND, "no test spec" },
		{ NULL,
		  { .fs = "ext4-dax ext4-dax" },
		  TORN_E_USAGE,
		  "given twice" },
		{ NULL, { .flush = "clwb bogus" }, TORN_E_USAGE, "flush" },
		{ NULL, { .engine = "prefix nope" }, TORN_E_USAGE, "nope" },
		{ NULL, { .fs = " " }, TORN_E_USAGE, "no filesystem kind" },
		{ NULL, { .shards = 5000 }, TORN_E_USAGE, "at most" },
		{ sharded, { 0 }, TORN_E_USAGE, "shard.torn:2: " },
	};
	struct torn_err err;
	struct matrix m;
	struct matrix_id id;

	(void)state;
	g_mkdir(empty, 0755);
	g_mkdir(dup_dir, 0755);
	dup = g_build_filename(dup_dir, "b.torn", NULL);
	assert_true(g_file_set_contents(dup, "[run]\n", -1, NULL));
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *srcs[] = { cases[i].src };

		err.msg[0] = 0;
		assert_int_equal(matrix_build(srcs, cases[i].src ? 1 : 0,
					      &cases[i].ax, &m, &err),
				 cases[i].code);
		assert_non_null(strstr(err.msg, cases[i].msg));
		assert_null(strchr(err.msg, '\n'));
		assert_int_equal(m.n, 0);
	}
	{
		/* two specs of one name: ids could not tell them apart */
		char *b = g_build_filename(dir, "b.torn", NULL);
		const char *srcs[] = { b, dup };

		assert_int_equal(matrix_build(srcs, 2,
					      &(struct matrix_axes){ 0 }, &m,
					      &err),
				 TORN_E_USAGE);
		assert_non_null(strstr(err.msg, "two specs named 'b'"));
		g_free(b);
	}
	/* ids that are not a cell's */
	const char *const ids[] = { "x", "a.b.c", "..ext4-dax.clwb.prefix",
				    "a b.ext4-dax.clwb.prefix", "" };
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		assert_int_equal(matrix_id_parse(ids[i], &id, &err),
				 TORN_E_USAGE);
		assert_non_null(strstr(err.msg, "NAME.FS.FLUSH.ENGINE"));
	}
	/* a name with dots, a shard, an engine with its options */
	assert_int_equal(matrix_id_parse("my.test.xfs-dax.eadr.prefix+random-"
					 "9-3.3of4",
					 &id, &err),
			 0);
	assert_string_equal(id.name, "my.test");
	assert_string_equal(id.fs, "xfs-dax");
	assert_string_equal(id.engine, "prefix,random:9:3");
	assert_int_equal(id.shard, 3);
	assert_int_equal(id.shards, 4);
	matrix_id_clear(&id);
	{
		char *path = NULL;
		const char *srcs[] = { dir };

		assert_int_equal(matrix_find_spec(srcs, 1, "zz", &path, &err),
				 TORN_E_NOTFOUND);
		assert_int_equal(matrix_find_spec(NULL, 0, "b", &path, &err),
				 TORN_E_NOTFOUND);
		assert_int_equal(
			matrix_find_spec(NULL, 0, "default", &path, &err), 0);
		assert_null(path);
	}
	unlink(dup);
	g_rmdir(dup_dir);
	g_free(dup);
	g_free(dup_dir);
	unlink(bad);
	g_free(bad);
	unlink(sharded);
	g_free(sharded);
	g_free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_and_ids),
		cmocka_unit_test(test_axes_and_skips),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
