/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A user's own test before anything boots: each bad input gives its one
 * line (torn_trace_user_workload), and a good test stages what it names
 * with the words expanded (torn_user_words).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "kit.h"
#include "tracing.h"
#include "user.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char dir[256]; /* the test's files, made by setup */

static void put(const char *name, const char *text, int mode)
{
	char *p = g_build_filename(dir, name, NULL);
	char *d = g_path_get_dirname(p);

	g_mkdir_with_parents(d, 0755);
	assert_true(g_file_set_contents(p, text, -1, NULL));
	chmod(p, mode);
	g_free(d);
	g_free(p);
}

static int setup(void **state)
{
	gchar *exe = NULL;
	gsize len;

	snprintf(dir, sizeof(dir), "/tmp/torn-own-XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("data.txt", "data\n", 0644);
	put("ok.sh", "#!/bin/sh\necho ok\n", 0755);
	put("bad-interp.sh", "#!/no/such/interpreter\n", 0755);
	put("d1/x", "1", 0644);
	put("d2/x", "2", 0644);
	/* alone, away from the library its RUNPATH ($ORIGIN) finds */
	assert_true(g_file_get_contents(NEEDS_LIB, &exe, &len, NULL));
	put("needs-lib", "", 0755);
	{
		char *p = g_build_filename(dir, "needs-lib", NULL);

		assert_true(g_file_set_contents(p, exe, (gssize)len, NULL));
		chmod(p, 0755);
		g_free(p);
	}
	g_free(exe);
	assert_int_equal(chdir(dir), 0);
	return 0;
}

static int teardown(void **state)
{
	char *argv[] = { "rm", "-rf", dir, NULL };

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
		     NULL, NULL, NULL);
	return 0;
}

/* 1,100 bytes of checker arguments */
#define LONG10 "xxxxxxxxx "
#define LONG100 \
	LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10 LONG10
#define LONG_ARGS                                                       \
	LONG100 LONG100 LONG100 LONG100 LONG100 LONG100 LONG100 LONG100 \
		LONG100 LONG100 LONG100

struct bad_case {
	struct torn_user_test t;
	int code;
	const char *err;
};

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{ { 0 }, TORN_E_USAGE, "a test needs a program or a script" },
	{ { .program = "/bin/true", .script = "ok.sh" }, TORN_E_USAGE,
	  "program and script: give one of them" },
	{ { .program = "nope" }, TORN_E_NOTFOUND, "program 'nope': no such file" },
	{ { .program = "data.txt" }, TORN_E_USAGE,
	  "program 'data.txt': not an executable file" },
	{ { .program = "/bin/true", .checker = "gone" }, TORN_E_NOTFOUND,
	  "checker 'gone': no such file" },
	{ { .program = "/bin/true", .setup = "data.txt" }, TORN_E_USAGE,
	  "setup 'data.txt': not an executable file" },
	{ { .program = "/bin/true", .files = "d1/x d2/x" }, TORN_E_USAGE,
	  "file 'd1/x' and 'd2/x' would both be /opt/torn/files/x in the guest" },
	{ { .program = "/bin/true", .files = "missing/file" }, TORN_E_NOTFOUND,
	  "file 'missing/file': no such file" },
	{ { .program = "/bin/true", .env = "FOO" }, TORN_E_USAGE,
	  "env: 'FOO' is not NAME=VALUE" },
	{ { .program = "/bin/true", .env = "1X=2" }, TORN_E_USAGE,
	  "env: '1X=2' is not NAME=VALUE" },
	{ { .program = "/bin/true", .args = "'unclosed" }, TORN_E_FORMAT,
	  "args: Text ended before matching quote was found for '. (The text was “'unclosed”)" },
	{ { .program = "/bin/true", .args = "{tagret}/x" }, TORN_E_FORMAT,
	  "args: '{tagret}': torn knows {target}, {mnt} and {fs}" },
	{ { .program = "/bin/true", .checker = "/bin/true",
	    .checker_args = "{mnt}/a {oops" }, TORN_E_FORMAT,
	  "checker-args: '{oops': torn knows {target}, {mnt} and {fs}" },
	{ { .program = "/bin/true", .checker = "/bin/true",
	    .checker_args = LONG_ARGS }, TORN_E_USAGE,
	  "the checker's command line with env is 1152 bytes; meta.json keeps 1023" },
	{ { .script = "bad-interp.sh" }, TORN_E_NOTFOUND, NULL },
	{ { .program = "needs-lib" }, TORN_E_NOTFOUND, NULL },
};
/* clang-format on */

static void test_bad(void **state)
{
	for (size_t k = 0; k < N(bad_cases); k++) {
		const struct bad_case *c = &bad_cases[k];
		struct torn_trace_workload w;
		struct torn_err err = { "" };

		print_message("case %zu\n", k);
		assert_int_equal(torn_trace_user_workload(
					 &c->t, TORN_FS_EXT4_DAX, &w, &err),
				 c->code);
		if (c->err)
			assert_string_equal(err.msg, c->err);
		assert_null(w.wl);
		assert_null(w.stage);
	}
}

/* The two errors that name the host's paths, as a user sees them. */
static void test_bad_paths(void **state)
{
	struct torn_user_test interp = { .script = "bad-interp.sh" };
	struct torn_user_test lib = { .program = "needs-lib" };
	struct torn_trace_workload w;
	struct torn_err err = { "" };

	torn_trace_user_workload(&interp, TORN_FS_EXT4_DAX, &w, &err);
	/* a script is run by sh, but its #! says what it needs */
	assert_non_null(strstr(err.msg, "its interpreter /no/such/interpreter "
					"is not on this host"));
	torn_trace_user_workload(&lib, TORN_FS_EXT4_DAX, &w, &err);
	assert_non_null(strstr(err.msg, "needs libtorn_test_missing_lib.so"));
	assert_non_null(strstr(err.msg, "ldd says not found"));
}

/* Does the newc archive hold an entry called name (no leading /)? */
static bool has_entry(const void *cpio, size_t len, const char *name)
{
	const char *p = cpio, *end = p + len;

	while (p + 110 <= end && !memcmp(p, "070701", 6)) {
		char hex[9] = { 0 };
		unsigned long namesize, filesize;

		memcpy(hex, p + 94, 8);
		namesize = strtoul(hex, NULL, 16);
		memcpy(hex, p + 54, 8);
		filesize = strtoul(hex, NULL, 16);
		if (p + 110 + namesize > end)
			return false;
		if (!strcmp(p + 110, name))
			return true;
		p += (110 + namesize + 3) & ~3ul;
		p += (filesize + 3) & ~3ul;
	}
	return false;
}

/* A good test: staged, its words expanded, its checker's line quoted. */
static void test_good(void **state)
{
	struct torn_user_test t = {
		.program = "/bin/true",
		.args = "--log {target}/wal.log 'two words' {fs}",
		.checker = "/usr/bin/true", /* the same file (merged /usr) */
		.checker_args = "{target}/wal.log",
		.files = "d1",
		.setup = "ok.sh",
		.env = "A=1 'B=x y'",
	};
	struct torn_trace_workload w;
	struct torn_err err = { "" };
	const struct torn_workload *wl;

	assert_int_equal(
		torn_trace_user_workload(&t, TORN_FS_XFS_DAX, &w, &err), 0);
	wl = w.wl;
	assert_string_equal(wl->name, "test:true");
	assert_string_equal(wl->program, "/opt/torn/bin/true");
	assert_string_equal(wl->args[0], "--log");
	assert_string_equal(wl->args[1], "/mnt/wal.log");
	assert_string_equal(wl->args[2], "two words");
	assert_string_equal(wl->args[3], "xfs-dax");
	assert_null(wl->args[4]);
	assert_string_equal(wl->envs[0], "TORN_FILES=/opt/torn/files");
	assert_string_equal(wl->envs[1], "A=1");
	assert_string_equal(wl->envs[2], "B=x y");
	assert_string_equal(wl->setup[0], "/opt/torn/bin/ok.sh");
	assert_string_equal(wl->setup[1], "/mnt");
	/* the same program as its own checker is staged once, by any path */
	assert_string_equal(wl->checker,
			    "env 'TORN_FILES=/opt/torn/files' 'A=1' 'B=x y' "
			    "/opt/torn/bin/true {target}/wal.log");
	assert_non_null(w.stage);
	assert_true(has_entry(w.stage, w.stage_len, "opt/torn/bin/true"));
	assert_true(has_entry(w.stage, w.stage_len, "opt/torn/bin/ok.sh"));
	assert_true(has_entry(w.stage, w.stage_len, "opt/torn/files/d1/x"));
	/* its libraries and loader, as ldd names them */
	assert_true(has_entry(w.stage, w.stage_len,
			      "usr/lib/x86_64-linux-gnu/libc.so.6"));
	torn_trace_workload_clear(&w);
}

/*
 * A staged tree is a runtime (a JVM): its ELF files get the host
 * libraries they need, and a library of its own ldd cannot resolve by
 * itself (libjava.so needs the libjvm.so java loads first) is no error.
 */
static void test_tree(void **state)
{
	/* a script run by the kit's sh: no library but the tree's */
	struct torn_user_test t = { .script = "ok.sh", .files = "rt" };
	struct torn_trace_workload w;
	struct torn_err err = { "" };
	gchar *exe = NULL;
	gsize len;

	assert_true(g_file_get_contents(NEEDS_LIB, &exe, &len, NULL));
	g_mkdir_with_parents("rt/lib", 0755);
	assert_true(g_file_set_contents("rt/lib/needs-lib", exe, (gssize)len,
					NULL));
	g_free(exe);
	assert_int_equal(
		torn_trace_user_workload(&t, TORN_FS_EXT4_DAX, &w, &err), 0);
	assert_true(has_entry(w.stage, w.stage_len,
			      "opt/torn/files/rt/lib/needs-lib"));
	assert_true(has_entry(w.stage, w.stage_len,
			      "usr/lib/x86_64-linux-gnu/libc.so.6"));
	torn_trace_workload_clear(&w);
}

/*
 * A script runs as INTERPRETER SCRIPT ARGS, the interpreter its #! line
 * names; on devdax {target} is the device.
 */
static void test_script(void **state)
{
	struct torn_user_test t = { .script = "ok.sh", .args = "{target}" };
	struct torn_trace_workload w;
	struct torn_err err = { "" };

	assert_int_equal(torn_trace_user_workload(&t, TORN_FS_DEVDAX, &w, &err),
			 0);
	assert_string_equal(w.wl->program, "/bin/sh");
	assert_string_equal(w.wl->args[0], "/opt/torn/bin/ok.sh");
	assert_string_equal(w.wl->args[1], "/dev/dax0.0");
	assert_null(w.wl->args[2]);
	assert_null(w.wl->checker);
	torn_trace_workload_clear(&w);
}

/* The words: quoting as a shell's, no expansion but torn's three. */
static void test_words(void **state)
{
	struct torn_err err = { "" };
	bool named;
	char **v;

	assert_int_equal(torn_user_words("a \"$HOME\" `x` {mnt}{fs}", false,
					 "/t", "ext4-dax", &v, &named, &err),
			 0);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "$HOME");
	assert_string_equal(v[2], "`x`");
	assert_string_equal(v[3], "/mntext4-dax");
	assert_false(named);
	g_strfreev(v);
	assert_int_equal(torn_user_words("check {target}/p", false, "/t", "",
					 &v, &named, &err),
			 0);
	assert_string_equal(v[1], "/t/p");
	assert_true(named);
	g_strfreev(v);
	assert_int_equal(torn_user_words("  ", true, "/t", "", &v, NULL, &err),
			 0);
	assert_null(v[0]);
	g_strfreev(v);
	assert_int_equal(torn_user_words("", false, "/t", "", &v, NULL, &err),
			 TORN_E_FORMAT);
	assert_string_equal(err.msg, "an empty command line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),    cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_good),   cmocka_unit_test(test_tree),
		cmocka_unit_test(test_script), cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
