/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's spec parser (harness/cli/run_spec.c): values, lines, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "guest.h"
#include "run_spec.h"
#include "torn_fs.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct spec_case {
	const char *text;
	int ret;
	const char *err; /* the whole message, or its start ending '*' */
	struct {
		enum run_key key;
		const char *value;
		int line;
	} want[3];
	int nwant;
};

/* clang-format off */
static const struct spec_case spec_cases[] = {
	{ "[run]\nfs = xfs-dax\nengine = prefix,subsets:2\n", 0, NULL,
	  { { RUN_FS, "xfs-dax", 2 }, { RUN_ENGINE, "prefix,subsets:2", 3 } },
	  2 },
	{ "# a comment\n\n[run]\n  jobs = 4\nfrom-op=3\nboot-timeout\t= 9\n",
	  0, NULL,
	  { { RUN_JOBS, "4", 4 }, { RUN_FROM_OP, "3", 5 },
	    { RUN_BOOT_TIMEOUT, "9", 6 } },
	  3 },
	/* a repeated group is merged */
	{ "[run]\nfs = a\n[run]\nflush = b\n", 0, NULL,
	  { { RUN_FS, "a", 2 }, { RUN_FLUSH, "b", 4 } }, 2 },
	/* an empty [run] asks for the defaults */
	{ "[run]\n", 0, NULL, { { RUN_FS, NULL, 0 } }, 1 },
	/* a repeated key is an error, not the last one silently */
	{ "[run]\nfs = ext4-dax\nflush = clwb\nfs = nope\n", TORN_E_FORMAT,
	  "spec.ini:4: key 'fs' given twice (first on line 2)", { { 0 } }, 0 },
	{ "[run]\nfs = a\n[run]\n fs\t= b\n", TORN_E_FORMAT,
	  "spec.ini:4: key 'fs' given twice (first on line 2)", { { 0 } }, 0 },
	/* what would run the default job without asking for it */
	{ "", TORN_E_FORMAT,
	  "spec.ini:1: empty spec, no [run] group; settings go in [run]",
	  { { 0 } }, 0 },
	{ "# only a comment\n\n", TORN_E_FORMAT,
	  "spec.ini:1: empty spec, no [run] group; settings go in [run]",
	  { { 0 } }, 0 },
	/* control bytes of the spec are shown escaped */
	{ "[run]\nf\x1b[2Js = 1\n", TORN_E_FORMAT,
	  "spec.ini: Invalid key name: f\\x1b[2Js", { { 0 } }, 0 },
	{ "[run]\nfs = ext4-dax\n\x1b[2J\n", TORN_E_FORMAT,
	  "spec.ini: *", { { 0 } }, 0 },
	/* errors name the file, and the line */
	{ "[run]\nfs = ext4-dax\n\nbogus = 1\n", TORN_E_FORMAT,
	  "spec.ini:4: unknown key 'bogus'", { { 0 } }, 0 },
	{ "# c\n[run]\nfs = ext4-dax\nengine =\n", TORN_E_FORMAT,
	  "spec.ini:4: key 'engine' has no value", { { 0 } }, 0 },
	{ "[run]\nfs = ext4-dax\n[other]\nx = 1\n", TORN_E_FORMAT,
	  "spec.ini: unknown group [other]; settings go in [run] or [test], a filesystem kind in [fs]", { { 0 } },
	  0 },
	{ "[run\nfs = x\n", TORN_E_FORMAT, "spec.ini: *", { { 0 } }, 0 },
	{ "fs = x\n", TORN_E_FORMAT, "spec.ini: *", { { 0 } }, 0 },
	/* not UTF-8: an error, not a crash */
	{ "[run]\nfs = \xff\xfe\n", TORN_E_FORMAT, "spec.ini*", { { 0 } }, 0 },
	{ "[run]\nFS = ext4-dax\n", TORN_E_FORMAT,
	  "spec.ini:2: unknown key 'FS'", { { 0 } }, 0 },
	/* a test of one's own: [test], the same keys, comments after # */
	{ "[test]\nprogram = build/wal   # host path\n"
	  "args = 'a #b' c\\ #d # e\nfs = xfs-dax\n", 0, NULL,
	  { { RUN_PROGRAM, "build/wal", 2 }, { RUN_ARGS, "'a #b' c\\ #d", 3 },
	    { RUN_FS, "xfs-dax", 4 } },
	  3 },
	{ "[test]\nprogram = a\n[run]\nfs = x\n", TORN_E_FORMAT,
	  "spec.ini: [run] and [test]: one group a spec", { { 0 } }, 0 },
	{ "[test]\nprogram = a\nprogram = b\n", TORN_E_FORMAT,
	  "spec.ini:3: key 'program' given twice (first on line 2)", { { 0 } },
	  0 },
	{ "[test]\nsetup = # only a comment\n", TORN_E_FORMAT,
	  "spec.ini:2: key 'setup' has no value", { { 0 } }, 0 },
	/* a filesystem kind of one's own: [fs], and fs = defaults to it */
	{ "[run]\nengine = prefix\n[fs]\nname = my-ext4\nnamespace = fsdax\n"
	  "mount = mount -t ext4 {dev} {mnt}\n", 0, NULL,
	  { { RUN_FS, "my-ext4", 4 }, { RUN_ENGINE, "prefix", 2 } }, 2 },
	{ "[run]\nfs = ext4-dax\n[fs]\nname = other-kind\nnamespace = sector\n"
	  "mount = mount -t ext4 {dev} {mnt}\n", 0, NULL,
	  { { RUN_FS, "ext4-dax", 2 } }, 1 },
	{ "[run]\n[fs]\nname = k1\nnamespace = sector\nmount = x\nmkfs = mkfs.ext4 {dev}\n"
	  "fsk = e2fsck\n", TORN_E_FORMAT,
	  "spec.ini:7: [fs] unknown key 'fsk' (name, namespace, dax, modules, mkfs, mount, umount, fsck, origin, blockdev)",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k8\nnamespace = fsdax\nmount = m\norigin = 0M\n",
	  TORN_E_FORMAT,
	  "spec.ini:6: [fs] origin '0M': expected the origin disk's size, 1M to 4096M",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k9\nnamespace = fsdax\nmount = m\norigin = 8G\n",
	  TORN_E_FORMAT,
	  "spec.ini:6: [fs] origin '8G': expected the origin disk's size, 1M to 4096M",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k10\nnamespace = fsdax\nmount = m\n"
	  "blockdev = mapper/x\n",
	  TORN_E_FORMAT,
	  "spec.ini:6: [fs] blockdev 'mapper/x': expected a device under /dev/",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = my-wc\nnamespace = fsdax\nmount = m {origin}\n"
	  "origin = 32M\nblockdev = /dev/mapper/w\n",
	  0, NULL, { { RUN_FS, "my-wc", 3 } }, 1 },
	{ "[run]\n[fs]\nname = k2\nnamespace = pmem\nmount = x\n", TORN_E_FORMAT,
	  "spec.ini:4: [fs] namespace 'pmem': expected fsdax, sector or devdax",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k3\nnamespace = fsdax\n", TORN_E_FORMAT,
	  "spec.ini:4: [fs] mount is needed (namespace fsdax)", { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k4\nnamespace = devdax\nmount = m\n",
	  TORN_E_FORMAT,
	  "spec.ini:4: [fs] namespace devdax has no filesystem: no mkfs or mount",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k5\nnamespace = sector\ndax = yes\nmount = m\n",
	  TORN_E_FORMAT,
	  "spec.ini:5: [fs] dax = yes on a sector namespace: the BTT has no DAX",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k6\nnamespace = fsdax\ndax = maybe\nmount = m\n",
	  TORN_E_FORMAT, "spec.ini:5: [fs] dax 'maybe': expected yes or no",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = k7\nnamespace = fsdax\nmount = mount 'x\n",
	  TORN_E_FORMAT, "spec.ini:5: [fs] mount: *", { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = a b\nnamespace = fsdax\nmount = m\n",
	  TORN_E_FORMAT,
	  "spec.ini:3: [fs] name 'a b': expected letters, digits, - and _",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = ext4-dax\nnamespace = fsdax\nmount = m\n",
	  TORN_E_FORMAT,
	  "spec.ini:3: [fs] filesystem kind 'ext4-dax' is built in; give yours another name",
	  { { 0 } }, 0 },
	{ "[run]\n[fs]\nname = my-ext4\nnamespace = sector\nmount = m\n",
	  TORN_E_FORMAT,
	  "spec.ini:3: [fs] filesystem kind 'my-ext4' is defined twice, differently",
	  { { 0 } }, 0 },
};
/* clang-format on */

static void test_spec(void **state)
{
	size_t k;
	int i;

	for (k = 0; k < N(spec_cases); k++) {
		const struct spec_case *c = &spec_cases[k];
		struct torn_err err = { .msg = "" };
		struct run_settings s = { 0 };
		int ret;

		print_message("case %zu\n", k);
		ret = run_spec_parse("spec.ini", c->text, strlen(c->text), &s,
				     &err);
		assert_int_equal(ret, c->ret);
		assert_null(strchr(err.msg, '\x1b'));
		if (c->err && c->err[strlen(c->err) - 1] == '*')
			assert_int_equal(
				strncmp(err.msg, c->err, strlen(c->err) - 1),
				0);
		else if (c->err)
			assert_string_equal(err.msg, c->err);
		for (i = 0; i < c->nwant; i++) {
			const char *v = run_settings_get(&s, c->want[i].key);

			if (!c->want[i].value) {
				assert_null(v);
				continue;
			}
			assert_non_null(v);
			assert_string_equal(v, c->want[i].value);
			assert_int_equal(s.set[c->want[i].key].line,
					 c->want[i].line);
		}
		run_settings_free(&s);
	}
}

/*
 * text's [fs] group, parsed: a kind registered beside the built-in ones
 * that is want (name and all), and that reads back the same from what a
 * run directory keeps of it (guest_fs_text).  Its kind number.
 */
static int spec_kind(const char *text, const struct torn_fs *want)
{
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };
	GKeyFile *kf = g_key_file_new();
	int kind, again;
	char *def;

	assert_int_equal(
		run_spec_parse("spec.ini", text, strlen(text), &s, &err), 0);
	kind = torn_fs_kind_parse(run_settings_get(&s, RUN_FS));
	assert_true(kind >= TORN_FS_BUILTIN);
	assert_true(torn_fs_same(torn_fs_get(kind), want));
	def = guest_fs_text(torn_fs_get(kind));
	assert_true(g_key_file_load_from_data(kf, def, strlen(def),
					      G_KEY_FILE_NONE, NULL));
	assert_int_equal(guest_fs_parse(kf, def, "fs.spec", &again, &err), 0);
	assert_int_equal(again, kind);
	g_free(def);
	g_key_file_free(kf);
	run_settings_free(&s);
	return kind;
}

/*
 * ext4-dax written as a spec's [fs] group is the built-in kind (but for
 * its name, and the fsck torn runs on the host for the built-in).
 */
static void test_fs_as_spec(void **state)
{
	static const char text[] =
		"[run]\n[fs]\nname = ext4-dax-spec\nnamespace = fsdax\n"
		"dax = yes\n"
		"mkfs = mkfs.ext4 -F -q -b 4096 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 {dev}\n"
		"mount = mount -t ext4 -o dax {dev} {mnt}\n"
		"umount = umount {mnt}\nfsck = e2fsck -fn {dev}\n";
	struct torn_fs want = *torn_fs_get(TORN_FS_EXT4_DAX);
	char **argv;
	int kind;

	(void)state;
	want.name = "ext4-dax-spec";
	want.host_fsck = TORN_HOST_FSCK_NONE;
	kind = spec_kind(text, &want);
	argv = torn_fs_argv(torn_fs_get(kind), torn_fs_get(kind)->mount);
	assert_string_equal(argv[5], "/dev/pmem0");
	assert_string_equal(argv[6], "/mnt");
	torn_fs_argv_free(argv);
}

/* dm-writecache as a spec: the origin disk and the block device too. */
static void test_wc_as_spec(void **state)
{
	static const char text[] =
		"[run]\n[fs]\nname = wc-spec\nnamespace = fsdax\n"
		"modules = virtio_blk dm_writecache\n"
		"mkfs = torn-wc mkfs {dev} {origin}\n"
		"mount = torn-wc mount {dev} {origin} {mnt}\n"
		"umount = torn-wc umount {dev} {origin} {mnt}\n"
		"fsck = torn-wc fsck {dev} {origin}\n"
		"origin = 64M\nblockdev = /dev/mapper/torn-wc\n";
	struct torn_fs want = *torn_fs_get(TORN_FS_DM_WRITECACHE);
	char **argv;
	int kind;

	(void)state;
	want.name = "wc-spec";
	kind = spec_kind(text, &want);
	argv = torn_fs_argv(torn_fs_get(kind), torn_fs_get(kind)->mount);
	assert_string_equal(argv[2], "/dev/pmem0");
	assert_string_equal(argv[3], TORN_FS_ORIGIN_DEV);
	assert_string_equal(argv[4], "/mnt");
	torn_fs_argv_free(argv);
	/* one field off: not the same kind */
	want.origin_mb = 32;
	assert_false(torn_fs_same(torn_fs_get(kind), &want));
	want.origin_mb = 64;
	want.blockdev = "/dev/mapper/other";
	assert_false(torn_fs_same(torn_fs_get(kind), &want));
}

/* NUL bytes: GKeyFile would read the text as ending at the first. */
static void test_spec_nul(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *err;
	} cases[] = {
		{ "\0\0\0\0", 4, "spec.ini:1: a NUL byte: not a text spec" },
		{ "\0\0\0[run]\nfs = ext4-dax\n", 22,
		  "spec.ini:1: a NUL byte: not a text spec" },
		{ "[run]\nfs = ext4\0-dax\n", 20,
		  "spec.ini:2: a NUL byte: not a text spec" },
		{ "[run]\nfs = ext4-dax\n\0", 21,
		  "spec.ini:3: a NUL byte: not a text spec" },
	};
	size_t k;

	(void)state;
	for (k = 0; k < N(cases); k++) {
		struct torn_err err = { .msg = "" };
		struct run_settings s = { 0 };

		print_message("case %zu\n", k);
		assert_int_equal(run_spec_parse("spec.ini", cases[k].text,
						cases[k].len, &s, &err),
				 TORN_E_FORMAT);
		assert_string_equal(err.msg, cases[k].err);
		assert_null(s.spec);
		run_settings_free(&s);
	}
}

/* A spec that is not a regular file is refused, not read forever. */
static void test_read_special(void **state)
{
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };

	(void)state;
	assert_int_equal(run_spec_read("/dev/zero", &s, &err), TORN_E_FORMAT);
	assert_string_equal(err.msg,
			    "cannot read spec '/dev/zero': not a regular file");
	assert_int_equal(run_spec_read("/", &s, &err), TORN_E_FORMAT);
	assert_string_equal(err.msg, "cannot read spec '/': a directory");
	assert_int_equal(run_spec_read("/nonexistent/a\x1b[2Jb", &s, &err),
			 TORN_E_FORMAT);
	assert_string_equal(err.msg, "cannot read spec '/nonexistent/"
				     "a\\x1b[2Jb': No such file or directory");
	run_settings_free(&s);
}

/* A bad value is blamed where it came from: the spec's line, or the option. */
static void test_blame(void **state)
{
	const char *text = "[run]\n\nfs = nope\njobs = 0\n";
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };

	assert_int_equal(run_spec_parse("my.ini", text, strlen(text), &s, &err),
			 0);
	run_settings_blame(&s, RUN_FS, "expected ext4-dax, xfs-dax or devdax",
			   &err);
	assert_string_equal(
		err.msg,
		"my.ini:3: key 'fs': expected ext4-dax, xfs-dax or devdax");
	/* the command line overrides the spec: blame the option */
	run_settings_set(&s, RUN_JOBS, "65");
	run_settings_blame(&s, RUN_JOBS, "'65': expected 1..64", &err);
	assert_string_equal(err.msg, "--jobs: '65': expected 1..64");
	/* a default is not in the spec either */
	run_settings_default(&s, RUN_POINTS, "fence");
	run_settings_default(&s, RUN_FS, "ext4-dax");
	assert_string_equal(run_settings_get(&s, RUN_FS), "nope");
	run_settings_blame(&s, RUN_POINTS, "why", &err);
	assert_string_equal(err.msg, "--points: why");
	run_settings_free(&s);

	/* no spec at all */
	run_settings_set(&s, RUN_FROM_OP, "x");
	run_settings_blame(&s, RUN_FROM_OP, "why", &err);
	assert_string_equal(err.msg, "--from-op: why");
	run_settings_free(&s);
}

static void test_keys(void **state)
{
	int k;

	for (k = 0; k < RUN_KEYS; k++)
		assert_int_equal(run_key_parse(run_key_name(k)), k);
	assert_int_equal(run_key_parse("boot-timeout"), RUN_BOOT_TIMEOUT);
	assert_int_equal(run_key_parse("j"), -1);
	assert_int_equal(run_key_parse(""), -1);
}

/* --arg, --checker-arg, --file, --env: one word of their list each. */
static void test_option_keys(void **state)
{
	static const struct {
		const char *option;
		int key, one_word;
	} cases[] = {
		{ "arg", RUN_ARGS, 1 },
		{ "checker-arg", RUN_CHECKER_ARGS, 1 },
		{ "file", RUN_FILES, 1 },
		{ "env", RUN_ENV, 1 },
		/* the list's own key takes shell words, as in a spec */
		{ "args", RUN_ARGS, 0 },
		{ "program", RUN_PROGRAM, 0 },
		{ "argz", -1, 0 },
	};
	int one;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_option_key(cases[i].option, &one),
				 cases[i].key);
		assert_int_equal(one, cases[i].one_word);
	}
}

static void test_read_missing(void **state)
{
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };

	assert_int_equal(run_spec_read("/nonexistent/spec.ini", &s, &err),
			 TORN_E_FORMAT);
	assert_int_equal(
		strncmp(err.msg,
			"cannot read spec '/nonexistent/spec.ini': ", 42),
		0);
	assert_null(s.spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_spec_nul),
		cmocka_unit_test(test_fs_as_spec),
		cmocka_unit_test(test_wc_as_spec),
		cmocka_unit_test(test_read_special),
		cmocka_unit_test(test_blame),
		cmocka_unit_test(test_option_keys),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_read_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
