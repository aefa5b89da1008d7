/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's plan (harness/cli/run_plan.c): settings into stage options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "run_plan.h"
#include "torn_verdict.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A spec, command-line settings over it, and the first complaint. */
struct plan_case {
	const char *spec;
	const char *args[6]; /* key, value, key, value ... */
	const char *err; /* NULL: the plan is made */
};

/* clang-format off */
static const struct plan_case plan_cases[] = {
	{ "[run]\nfs = xfs-dax\n", { NULL }, NULL },
	{ "[run]\n\nfs = nope\n", { NULL },
	  "s.ini:3: key 'fs': expected ext4-dax, xfs-dax, devdax, ext4-btt, xfs-btt, btrfs-pmem or dm-writecache (or a spec's [fs] kind)" },
	/* the command line overrides the spec, and is blamed as an option */
	{ "[run]\nfs = ext4-dax\n", { "fs", "nope" },
	  "--fs: expected ext4-dax, xfs-dax, devdax, ext4-btt, xfs-btt, btrfs-pmem or dm-writecache (or a spec's [fs] kind)" },
	{ "[run]\nfs = nope\n", { "fs", "xfs-dax" }, NULL },
	{ "[run]\nflush = x\n", { NULL },
	  "s.ini:2: key 'flush': expected clwb, clflushopt, clflush, eadr or nt" },
	{ "[run]\nworkload = nope\n", { NULL },
	  "s.ini:2: key 'workload': unknown workload; 'torn trace --help' lists them" },
	{ "[run]\nworkload = fsops:/any/file\n", { NULL }, NULL },
	{ "[run]\njobs = 0x\n", { NULL }, "s.ini:2: key 'jobs': '0x': expected 1..64" },
	{ "[run]\n", { "timeout", "3601" }, "--timeout: '3601': expected 1..3600" },
	{ "[run]\nlimit = 0\n", { NULL },
	  "s.ini:2: key 'limit': '0': expected a number from 1" },
	{ "[run]\n", { "from-op", "-1" }, "--from-op: '-1': expected a number from 1" },
	{ "[run]\nboot-timeout = 99999\n", { NULL },
	  "s.ini:2: key 'boot-timeout': '99999': expected 1..86400" },
	/* what torn check used to find only after the trace */
	{ "[run]\nfs = ext4-dax\nengine = bogus\n", { NULL },
	  "s.ini:3: key 'engine': unknown engine 'bogus': expected prefix, subsets:K, full[:CAP], random:N[:SEED] or torn" },
	{ "[run]\n", { "engine", "prefix,prefix,prefix,prefix,prefix,prefix,prefix,prefix,torn" },
	  "--engine: at most 8 engines" },
	{ "[run]\npoints = x\n", { NULL },
	  "s.ini:2: key 'points': unknown crash points 'x': expected fence, flush, store:N, marker or all" },
	{ "[run]\nmodel = x\n", { NULL },
	  "s.ini:2: key 'model': unknown model 'x': expected adr or eadr" },
	{ "[run]\ngranularity = x\n", { NULL },
	  "s.ini:2: key 'granularity': unknown granularity 'x': expected line or torn" },
	{ "[run]\noracles = mount,x\n", { NULL },
	  "s.ini:2: key 'oracles': unknown oracle 'x' (mount, fsck, dmesg, durability, atomicity, usability, custom, all)" },
	{ "[run]\npm-size = 3M\n", { NULL },
	  "s.ini:2: key 'pm-size': expected 16M..16G in steps of 2M" },
	{ "[run]\n", { "pm-size", "65M" }, "--pm-size: expected 16M..16G in steps of 2M" },
	{ "[run]\n", { "pm-size", "17G" }, "--pm-size: expected 16M..16G in steps of 2M" },
	{ "[run]\n", { "pm-size", "M" }, "--pm-size: expected a size such as 512M or 1G" },
	{ "[run]\n", { "pm-size", "1073741824" }, NULL },
	{ "[run]\nstrict = maybe\n", { NULL },
	  "s.ini:2: key 'strict': expected yes or no" },
	{ "[run]\nallow-empty = 1\n", { NULL },
	  "s.ini:2: key 'allow-empty': expected yes or no" },
	{ "[run]\nknown = a b c d e f g h i j k l m n o p q\n", { NULL },
	  "s.ini:2: key 'known': at most 16 known findings files" },
	/* a test of one's own (docs/own-tests.md) */
	{ "[test]\nprogram = /bin/true\nargs = a {target}\n", { NULL }, NULL },
	{ "[test]\nprogram = a\nscript = b\n", { NULL },
	  "s.ini:3: key 'script': a test has a program or a script" },
	{ "[test]\nprogram = a\nworkload = files\n", { NULL },
	  "s.ini:3: key 'workload': a test with a program or a script has no workload" },
	{ "[run]\nchecker = x\n", { NULL },
	  "s.ini:2: key 'checker': belongs to a test: give program or script" },
	{ "[run]\n", { "env", "A=1" },
	  "--env: belongs to a test: give program or script" },
	{ "[test]\nscript = a.sh\nexpect = maybe\n", { NULL },
	  "s.ini:3: key 'expect': expected consistent or inconsistent" },
	{ "[test]\nprogram = a\nchecker-args = x\n", { NULL },
	  "s.ini:3: key 'checker-args': needs a checker" },
	/* the first bad value, in the order fs, flush, workload, numbers, states */
	{ "[run]\nengine = bogus\njobs = 0\nflush = x\n", { NULL },
	  "s.ini:4: key 'flush': expected clwb, clflushopt, clflush, eadr or nt" },
};
/* clang-format on */

static void settings(const struct plan_case *c, struct run_settings *s)
{
	struct torn_err err = { .msg = "" };
	int i;

	assert_int_equal(
		run_spec_parse("s.ini", c->spec, strlen(c->spec), s, &err), 0);
	for (i = 0; c->args[i]; i += 2)
		run_settings_set(s, run_key_parse(c->args[i]), c->args[i + 1]);
	run_settings_default(s, RUN_FS, "ext4-dax");
	run_settings_default(s, RUN_FLUSH, "clwb");
	/* as torn run: a test of one's own has no default workload */
	if (!run_settings_get(s, RUN_PROGRAM) &&
	    !run_settings_get(s, RUN_SCRIPT))
		run_settings_default(s, RUN_WORKLOAD, "fsops-default");
	run_settings_default(s, RUN_ENGINE, "prefix,subsets:1");
	run_settings_default(s, RUN_POINTS, "fence");
}

static void test_errors(void **state)
{
	size_t k;

	for (k = 0; k < N(plan_cases); k++) {
		const struct plan_case *c = &plan_cases[k];
		struct torn_err err = { .msg = "" };
		struct run_settings s = { 0 };
		struct run_plan p;
		int ret;

		print_message("case %zu\n", k);
		settings(c, &s);
		ret = run_plan_make(&s, &p, &err);
		if (c->err) {
			assert_int_equal(ret, TORN_E_USAGE);
			assert_string_equal(err.msg, c->err);
		} else {
			assert_int_equal(ret, 0);
		}
		run_plan_fini(&p);
		run_settings_free(&s);
	}
}

/* Every setting reaches the stage that uses it. */
static void test_placed(void **state)
{
	static const struct plan_case c = {
		"[run]\nfs = xfs-dax\nflush = eadr\nworkload = files\n"
		"engine = torn\npoints = store:5\nmodel = adr\n"
		"granularity = torn\nout = /tmp/x\noracles = mount,fsck\n"
		"timeout = 7\njobs = 3\nkernel = /k\nmodules = /m\n"
		"cache = /c\nlimit = 9\nfrom-op = 4\nboot-timeout = 11\n"
		"known = my.findings  none\nstrict = yes\nallow-empty = yes\n"
		"pm-size = 512M\n",
		{ "engine", "prefix,subsets:2" },
		NULL
	};
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };
	struct run_plan p;

	settings(&c, &s);
	assert_int_equal(run_plan_make(&s, &p, &err), 0);
	assert_string_equal(p.workload, "files");
	assert_null(p.trace.workload); /* resolved with the trace */
	assert_string_equal(p.trace.out, "/tmp/x");
	assert_string_equal(p.check.dir, "/tmp/x");
	assert_false(p.trace.self_check);
	assert_true(p.trace.pc);
	assert_int_equal(p.trace.guest.fs_kind, TORN_FS_XFS_DAX);
	assert_int_equal(p.trace.guest.flush_mode, TORN_FLUSH_MODE_EADR);
	assert_string_equal(p.trace.guest.kernel, "/k");
	assert_string_equal(p.trace.guest.modules, "/m");
	assert_string_equal(p.trace.guest.cache_dir, "/c");
	assert_int_equal(p.trace.guest.timeout_s, 11);
	assert_string_equal(p.check.guest.kernel, "/k");
	assert_int_equal(p.check.guest.timeout_s, 11);
	assert_int_equal(p.check.oracles,
			 TORN_O_BIT(TORN_O_MOUNT) | TORN_O_BIT(TORN_O_FSCK));
	assert_int_equal(p.check.timeout_ms, 7000);
	assert_int_equal(p.check.jobs, 3);
	assert_int_equal(p.check.limit, 9);
	assert_int_equal(p.check.from_op, 4);
	assert_int_equal(p.check.states.model, TORN_MODEL_ADR);
	assert_int_equal(p.check.states.granularity, TORN_GRAN_TORN);
	assert_int_equal(p.check.states.points, TORN_POINTS_STORE);
	assert_int_equal(p.check.states.store_every, 5);
	assert_string_equal(p.check.points_text, "store:5");
	/* the command line's engines replace the spec's */
	assert_int_equal(p.check.states.n_engines, 2);
	assert_int_equal(p.check.states.engines[0].kind, TORN_ENGINE_PREFIX);
	assert_int_equal(p.check.states.engines[1].kind, TORN_ENGINE_SUBSETS);
	assert_int_equal(p.trace.guest.pm_size, 512ull << 20);
	assert_int_equal(p.check.guest.pm_size, 512ull << 20);
	assert_int_equal(guest_pm_size(&p.trace.guest), 512ull << 20);
	assert_int_equal(p.known.n, 2);
	assert_string_equal(p.known.files[0], "my.findings");
	assert_string_equal(p.known.files[1], "none");
	assert_true(p.known.strict);
	assert_true(p.check.allow_empty);
	run_plan_fini(&p);
	run_settings_free(&s);
}

/* A test's keys reach the trace's user test; expect is kept. */
static void test_user_placed(void **state)
{
	static const struct plan_case c = {
		"[test]\nprogram = build/wal   # a comment\n"
		"args = --log {target}/wal.log 'a b'\nchecker = build/chk\n"
		"checker-args = {target}/wal.log\nfiles = d/ e\n"
		"setup = mk.sh\nenv = A=1\nexpect = inconsistent\n",
		{ NULL },
		NULL
	};
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };
	struct run_plan p;

	settings(&c, &s);
	assert_int_equal(run_plan_make(&s, &p, &err), 0);
	assert_true(p.is_user);
	assert_true(p.expect_inconsistent);
	assert_string_equal(p.workload, "test:wal");
	assert_string_equal(p.user.program, "build/wal");
	assert_null(p.user.script);
	assert_string_equal(p.user.args, "--log {target}/wal.log 'a b'");
	assert_string_equal(p.user.checker, "build/chk");
	assert_string_equal(p.user.checker_args, "{target}/wal.log");
	assert_string_equal(p.user.files, "d/ e");
	assert_string_equal(p.user.setup, "mk.sh");
	assert_string_equal(p.user.env, "A=1");
	run_plan_fini(&p);
	run_settings_free(&s);
}

/* Unset, the check keeps its own defaults. */
static void test_defaults(void **state)
{
	static const struct plan_case c = { "[run]\n", { NULL }, NULL };
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };
	struct torn_check_opts d;
	struct run_plan p;

	settings(&c, &s);
	assert_int_equal(run_plan_make(&s, &p, &err), 0);
	torn_check_opts_init(&d);
	assert_null(p.trace.out);
	assert_int_equal(p.check.jobs, d.jobs);
	assert_int_equal(p.check.timeout_ms, d.timeout_ms);
	assert_int_equal(p.check.limit, d.limit);
	assert_int_equal(p.check.from_op, 0);
	assert_int_equal(p.check.oracles, d.oracles);
	assert_int_equal(p.check.states.model, TORN_MODEL_AUTO);
	assert_int_equal(p.check.states.n_engines, 2);
	assert_int_equal(p.trace.guest.fs_kind, TORN_FS_EXT4_DAX);
	assert_int_equal(p.trace.guest.timeout_s, 0);
	assert_int_equal(guest_pm_size(&p.trace.guest), 64ull << 20);
	assert_int_equal(p.known.n, 0);
	assert_false(p.known.strict);
	assert_false(p.check.allow_empty);
	run_plan_fini(&p);
	run_settings_free(&s);
}

/* On another host's hypervisor the check runs there, the trace here. */
static void test_backend_remote(void **state)
{
	static const struct plan_case remote = {
		"[run]\nbackend = libvirt:qemu+tcp://192.0.2.1/system\n",
		{ NULL },
		NULL
	};
	static const struct plan_case local = {
		"[run]\nbackend = libvirt:qemu:///system\n", { NULL }, NULL
	};
	struct torn_err err = { .msg = "" };
	struct run_settings s = { 0 };
	struct run_plan p;

	(void)state;
	settings(&remote, &s);
	assert_int_equal(run_plan_make(&s, &p, &err), 0);
	assert_null(p.trace.guest.libvirt_uri);
	assert_string_equal(p.check.guest.libvirt_uri,
			    "qemu+tcp://192.0.2.1/system");
	run_plan_fini(&p);
	run_settings_free(&s);
	memset(&s, 0, sizeof(s));
	settings(&local, &s);
	assert_int_equal(run_plan_make(&s, &p, &err), 0);
	assert_string_equal(p.trace.guest.libvirt_uri, "qemu:///system");
	assert_string_equal(p.check.guest.libvirt_uri, "qemu:///system");
	run_plan_fini(&p);
	run_settings_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_placed),
		cmocka_unit_test(test_user_placed),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_backend_remote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
