/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * harness/kernel on a cache of its own: the same inputs give the same
 * build id, any changed input another; a finished build is found by id,
 * hash prefix and name; bad inputs give one line and the right code.
 * Nothing is compiled: the "source" is a small file and builds are
 * looked up with cached_only, or made by hand as torn kernel build
 * leaves them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "kernel.h"

struct env {
	char *dir, *cache, *source, *base, *torn, *frag, *patches;
};

static void put(const char *path, const char *text)
{
	assert_true(g_file_set_contents(path, text, -1, NULL));
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->dir = g_dir_make_tmp("torn-kernel-XXXXXX", NULL);
	e->cache = g_build_filename(e->dir, "cache", NULL);
	e->source = g_build_filename(e->dir, "linux-source.tar.xz", NULL);
	e->base = g_build_filename(e->dir, "config-stock", NULL);
	e->torn = g_build_filename(e->dir, "torn.config", NULL);
	e->frag = g_build_filename(e->dir, "frag.config", NULL);
	e->patches = g_build_filename(e->dir, "patches", NULL);
	g_mkdir(e->cache, 0755);
	g_mkdir(e->patches, 0755);
	put(e->source, "not really a tarball\n");
	put(e->base, "CONFIG_EXT4_FS=m\nCONFIG_FS_DAX=y\n");
	put(e->torn, "CONFIG_EXT4_FS=y\n");
	put(e->frag, "# CONFIG_XFS_FS is not set\n");
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char *argv[] = { "rm", "-rf", e->dir, NULL };

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
		     NULL, NULL, NULL);
	g_free(e->dir);
	g_free(e->cache);
	g_free(e->source);
	g_free(e->base);
	g_free(e->torn);
	g_free(e->frag);
	g_free(e->patches);
	free(e);
	return 0;
}

static struct torn_kernel_build_opts opts(const struct env *e)
{
	return (struct torn_kernel_build_opts){
		.cache_dir = e->cache,
		.source = e->source,
		.base_config = e->base,
		.torn_config = e->torn,
		.cached_only = 1,
	};
}

/* The id cached_only computes for o, which must not be built. */
static void id_of(const struct torn_kernel_build_opts *o, char *id)
{
	struct torn_err err = { "" };
	struct torn_kernel k;

	assert_int_equal(torn_kernel_build(o, &k, &err), 0);
	assert_int_equal(k.built, 0);
	assert_int_equal(strncmp(k.id, "built:", 6), 0);
	assert_int_equal(strlen(k.id), 22);
	assert_int_equal(strlen(k.hash), 64);
	strcpy(id, k.id);
}

static void test_hash_follows_every_input(void **state)
{
	struct env *e = *state;
	struct torn_kernel_build_opts o = opts(e);
	char a[32], b[32], c[32], d[32], f[32], g[32], h[32];
	char *series = g_build_filename(e->patches, "series", NULL);
	char *p1 = g_build_filename(e->patches, "0001-a.patch", NULL);

	id_of(&o, a);
	id_of(&o, b);
	assert_string_equal(a, b); /* the same inputs: the same build */
	o.gcov = 1;
	id_of(&o, c);
	assert_string_not_equal(a, c);
	o.fragment = e->frag;
	id_of(&o, d);
	assert_string_not_equal(c, d);
	put(series, "# one patch\n0001-a.patch\n");
	put(p1, "--- a/x\n+++ b/x\n");
	o.patches = e->patches;
	id_of(&o, f);
	assert_string_not_equal(d, f);
	put(p1, "--- a/x\n+++ b/x\n@@ changed\n");
	id_of(&o, g);
	assert_string_not_equal(f, g); /* a patch's text is in the hash */
	put(series, "0001-a.patch -p0\n");
	id_of(&o, h);
	assert_string_not_equal(g, h); /* so is its strip level */
	/* jobs and progress are not */
	o.jobs = 7;
	id_of(&o, a);
	assert_string_equal(a, h);
	g_free(series);
	g_free(p1);
}

/* A finished build as torn kernel build leaves it. */
static void fake_build(const struct env *e, const char *hash,
		       const char *release, const char *name)
{
	char *dir = g_strdup_printf("%s/kernels/%.16s", e->cache, hash);
	char *mods = g_strdup_printf("%s/lib/modules/%s", dir, release);
	char *p;

	g_mkdir_with_parents(mods, 0755);
	p = g_build_filename(dir, "vmlinuz", NULL);
	put(p, "bzImage");
	g_free(p);
	p = g_build_filename(dir, "kernel.txt", NULL);
	{
		char *info = g_strdup_printf("hash %s\nrelease %s\ngcov 1\n"
					     "patch /x/0001-a.patch\n",
					     hash, release);
		put(p, info);
		g_free(info);
	}
	g_free(p);
	if (name) {
		char *names = g_strdup_printf("%s/kernels/names", e->cache);
		char *link = g_build_filename(names, name, NULL);
		char *target = g_strdup_printf("../%.16s", hash);

		g_mkdir_with_parents(names, 0755);
		assert_int_equal(symlink(target, link), 0);
		g_free(names);
		g_free(link);
		g_free(target);
	}
	g_free(mods);
	g_free(dir);
}

static void test_find_by_id_prefix_and_name(void **state)
{
	struct env *e = *state;
	struct torn_kernel_build_opts o = opts(e);
	struct torn_err err = { "" };
	struct torn_kernel k, f;
	const char *other =
		"abcd000000000000000000000000000000000000000000000000000000000000";
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	assert_int_equal(torn_kernel_build(&o, &k, &err), 0);
	assert_int_equal(k.built, 0);
	fake_build(e, k.hash, "6.1.192-torn-test", "mine");
	fake_build(e, other, "6.1.192-torn-other", NULL);

	/* cached_only now finds it: built, reused, its files */
	assert_int_equal(torn_kernel_build(&o, &f, &err), 0);
	assert_int_equal(f.built, 1);
	assert_int_equal(f.reused, 1);
	assert_string_equal(f.id, k.id);
	assert_string_equal(f.release, "6.1.192-torn-test");
	assert_non_null(strstr(f.modules, "/lib/modules/6.1.192-torn-test"));
	assert_int_equal(f.gcov, 1);

	const char *const specs[] = { k.id, k.id + 6, "built:mine", "mine",
				      k.hash };
	for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
		char pre[16];

		assert_int_equal(torn_kernel_find(e->cache, specs[i], &f, &err),
				 0);
		assert_string_equal(f.hash, k.hash);
		snprintf(pre, sizeof(pre), "built:%.6s", k.hash);
		assert_int_equal(torn_kernel_find(e->cache, pre, &f, &err), 0);
	}
	assert_int_equal(torn_kernel_find(e->cache, "built:abcd", &f, &err), 0);
	assert_string_equal(f.release, "6.1.192-torn-other");

	/* not found, too short, a name with a slash: one line each */
	const char *const missing[] = { "built:ffff", "built:nope", "abc",
					"../x", "" };
	for (size_t i = 0; i < G_N_ELEMENTS(missing); i++) {
		err.msg[0] = 0;
		assert_int_equal(
			torn_kernel_find(e->cache, missing[i], &f, &err),
			TORN_E_NOTFOUND);
		assert_non_null(strstr(err.msg, "torn kernel list"));
		assert_null(strchr(err.msg, '\n'));
	}

	/* a prefix of two builds: ambiguous */
	fake_build(
		e,
		"abcd111100000000000000000000000000000000000000000000000000000000",
		"6.1.192-torn-third", NULL);
	assert_int_equal(torn_kernel_find(e->cache, "built:abcd", &f, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "names 2 builds"));

	/* a build not finished (no vmlinuz) is not there */
	{
		char *v = g_strdup_printf("%s/kernels/abcd111100000000/vmlinuz",
					  e->cache);

		unlink(v);
		g_free(v);
	}
	assert_int_equal(torn_kernel_find(e->cache, "built:abcd", &f, &err), 0);
	assert_string_equal(f.release, "6.1.192-torn-other");

	m = open_memstream(&out, &len);
	assert_int_equal(torn_kernel_list(e->cache, m), 2);
	fclose(m);
	assert_non_null(strstr(out, " 6.1.192-torn-test gcov name=mine"
				    " patch=0001-a.patch\n"));
	assert_non_null(
		strstr(out, "built:abcd000000000000 6.1.192-torn-other"));
	free(out);
}

static void test_bad_inputs(void **state)
{
	struct env *e = *state;
	struct torn_kernel_build_opts o;
	char *series = g_build_filename(e->patches, "series", NULL);
	char *nosrc = g_build_filename(e->dir, "none.tar.xz", NULL);
	struct torn_err err;
	struct torn_kernel k;
	const struct {
		const char *series; /* NULL: no series file */
		int code;
		const char *msg;
	} cases[] = {
		{ NULL, TORN_E_NOTFOUND, "cannot read patch series" },
		{ "", TORN_E_USAGE, "names no patch" },
		{ "# only a comment\n", TORN_E_USAGE, "names no patch" },
		{ "0009-missing.patch\n", TORN_E_NOTFOUND,
		  "names '0009-missing.patch'" },
		{ "0001-a.patch -x\n", TORN_E_USAGE,
		  "'-x' is not a -pN option" },
		{ "../escape.patch\n", TORN_E_USAGE,
		  "a patch must be a file in" },
	};

	char *p1 = g_build_filename(e->patches, "0001-a.patch", NULL);

	put(p1, "--- a/x\n");
	g_free(p1);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		o = opts(e);
		o.patches = e->patches;
		unlink(series);
		if (cases[i].series)
			put(series, cases[i].series);
		err.msg[0] = 0;
		assert_int_equal(torn_kernel_build(&o, &k, &err),
				 cases[i].code);
		assert_non_null(strstr(err.msg, cases[i].msg));
		assert_null(strchr(err.msg, '\n'));
	}
	o = opts(e);
	o.source = nosrc;
	assert_int_equal(torn_kernel_build(&o, &k, &err), TORN_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "install linux-source-6.1"));
	o = opts(e);
	o.fragment = nosrc;
	assert_int_equal(torn_kernel_build(&o, &k, &err), TORN_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "cannot read config fragment"));
	assert_false(torn_kernel_is_built_spec("/boot/vmlinuz"));
	assert_true(torn_kernel_is_built_spec("built:x"));
	g_free(series);
	g_free(nosrc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hash_follows_every_input,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_by_id_prefix_and_name,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
