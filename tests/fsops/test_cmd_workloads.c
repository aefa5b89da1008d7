/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn workloads generate and check, called as the CLI calls them. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "fsops_examples.h"
#include "registry.h"

int cmd_workloads(int argc, char **argv);

static char dir[256];

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/torn-wl-cli-XXXXXX",
		 t && *t ? t : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static int run(int argc, const char **argv)
{
	return cmd_workloads(argc, (char **)argv);
}

static int count_files(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dd);
	while ((e = readdir(dd)))
		n += strstr(e->d_name, ".fsops") != NULL;
	closedir(dd);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_generate_and_check(void **state)
{
	char out[300], first[400];
	const char *gen1[] = { "workloads", "generate", "--seq",
			       "1",	    "--out",	out };
	const char *gen2[] = {
		"workloads", "generate", "--seq", "2",
		"--out",     out,	 "--ops", "rename,mkdir"
	};
	const char *chk[] = { "workloads", "check", first };

	snprintf(out, sizeof(out), "%s/seq1", dir);
	assert_int_equal(run(6, gen1), TORN_EXIT_OK);
	assert_int_equal(count_files(out), 68);
	snprintf(first, sizeof(first), "%s/seq1-0001-write-fsync.fsops", out);
	assert_int_equal(run(3, chk), TORN_EXIT_OK);
	/* generating again into the same directory is the same */
	assert_int_equal(run(6, gen1), TORN_EXIT_OK);
	assert_int_equal(count_files(out), 68);
	snprintf(out, sizeof(out), "%s/seq2", dir);
	assert_int_equal(run(8, gen2), TORN_EXIT_OK);
	assert_true(count_files(out) > 0);
}

static void test_check_errors(void **state)
{
	char good[300], bad[300], fails[300], missing[300];
	const char *chk[] = { "workloads", "check", good, bad };
	const char *parse_only[] = { "workloads", "check", "--parse-only",
				     fails };
	const char *run_it[] = { "workloads", "check", "--show", fails };
	const char *none[] = { "workloads", "check", missing };

	snprintf(good, sizeof(good), "%s/good.fsops", dir);
	snprintf(bad, sizeof(bad), "%s/bad.fsops", dir);
	snprintf(fails, sizeof(fails), "%s/fails.fsops", dir);
	snprintf(missing, sizeof(missing), "%s/missing.fsops", dir);
	write_file(good, "creat a\npwrite a 0 1K rand:1\nfsync a\n");
	write_file(bad, "creat a\n\npwrite a x 1 fill:0\n");
	write_file(fails, "creat a\nrmdir a\n");
	assert_int_equal(run(4, chk), TORN_EXIT_FAIL);
	assert_int_equal(run(4, parse_only), TORN_EXIT_OK);
	assert_int_equal(run(4, run_it), TORN_EXIT_FAIL);
	assert_int_equal(run(3, none), TORN_EXIT_INFRA);
}

static void test_usage(void **state)
{
	const char *a[] = { "workloads" };
	const char *b[] = { "workloads", "frob" };
	const char *c[] = {
		"workloads", "generate", "--seq", "3", "--out", dir
	};
	const char *d[] = { "workloads", "generate", "--seq", "1" };
	const char *e[] = {
		"workloads", "generate", "--seq", "x", "--out", dir
	};
	const char *f[] = { "workloads", "check" };
	const char *g[] = { "workloads", "--help" };

	assert_int_equal(run(1, a), TORN_EXIT_USAGE);
	assert_int_equal(run(2, b), TORN_EXIT_USAGE);
	assert_int_equal(run(6, c), TORN_EXIT_USAGE);
	assert_int_equal(run(4, d), TORN_EXIT_USAGE);
	assert_int_equal(run(6, e), TORN_EXIT_USAGE);
	assert_int_equal(run(2, f), TORN_EXIT_USAGE);
	assert_int_equal(run(2, g), TORN_EXIT_OK);
}

/* cmd_workloads with argv; its stdout into out[0..size), NUL-terminated. */
static int run_stdout(int argc, const char *const *argv, char *out, size_t size)
{
	char path[300];
	FILE *f;
	size_t n;
	int saved, fd, ret;

	snprintf(path, sizeof(path), "%s/stdout", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 1), 1);
	close(fd);
	ret = run(argc, (const char **)argv);
	fflush(stdout);
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	return ret;
}

/* --help of each subcommand: its usage on stdout, exit 0, nothing run. */
static void test_help(void **state)
{
	static const struct {
		int argc;
		const char *argv[4];
		const char *usage;
	} cases[] = {
		{ 3,
		  { "workloads", "check", "--help" },
		  "usage: torn workloads check [--parse-only] [--show] FILE...\n" },
		{ 4,
		  { "workloads", "check", "/nonexistent.fsops", "--help" },
		  "usage: torn workloads check " },
		{ 3,
		  { "workloads", "check", "-h" },
		  "usage: torn workloads check " },
		{ 3,
		  { "workloads", "generate", "--help" },
		  "usage: torn workloads generate --seq 1|2 --out DIR "
		  "[--ops LIST]\n" },
		{ 4,
		  { "workloads", "generate", "--seq", "--help" },
		  "usage: torn workloads generate " },
		{ 2,
		  { "workloads", "--help" },
		  "usage: torn workloads generate " },
	};
	char out[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(run_stdout(cases[i].argc, cases[i].argv, out,
					    sizeof(out)),
				 TORN_EXIT_OK);
		assert_int_equal(
			strncmp(out, cases[i].usage, strlen(cases[i].usage)),
			0);
		assert_non_null(strstr(out, "Exit status:"));
	}
}

/* The registry's fsops workloads carry the example files, byte for byte. */
static void test_registry_texts(void **state)
{
	size_t i, n = 0;

	for (i = 0; i < torn_workloads_count; i++) {
		const struct torn_workload *w = &torn_workloads[i];
		char path[512], *text = NULL;
		size_t len = 0;
		FILE *f;

		if (!w->fsops_text)
			continue;
		n++;
		assert_string_equal(w->program, "torn-fsops");
		assert_non_null(strstr(w->env, "TORN_FSOPS_FILE="));
		assert_int_equal(strncmp(w->name, "fsops-", 6), 0);
		snprintf(path, sizeof(path), "%s/%s.fsops",
			 TORN_FSOPS_EXAMPLES_DIR, w->name + 6);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_true(getdelim(&text, &len, 0, f) > 0);
		fclose(f);
		assert_string_equal(w->fsops_text, text);
		free(text);
	}
	assert_int_equal(n, torn_fsops_examples_count);
	assert_non_null(torn_workload_find("fsops-default"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_and_check),
		cmocka_unit_test(test_check_errors),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_registry_texts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
