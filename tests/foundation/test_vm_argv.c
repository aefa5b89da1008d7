/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU command-line construction for each flush mode and bad configs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

/* The value following option opt in argv, or NULL. */
static const char *after(char **argv, const char *opt)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		if (!strcmp(argv[i], opt) && argv[i + 1])
			return argv[i + 1];
	return NULL;
}

static int has(char **argv, const char *s)
{
	size_t i;

	for (i = 0; argv[i]; i++)
		if (!strcmp(argv[i], s))
			return 1;
	return 0;
}

static struct torn_vm_config base_cfg(void)
{
	struct torn_vm_config c = {
		.kernel = "/k/vmlinuz",
		.initrd = "/k/initrd.cpio",
		.pm_path = "/w/pm.img",
		.pm_size = 64ull << 20,
		.workdir = "/w",
	};
	return c;
}

static void test_modes(void **state)
{
	static const struct {
		int mode;
		const char *cpu;
		const char *machine;
	} cases[] = {
		{ TORN_FLUSH_MODE_CLWB, "max,la57=off",
		  "pc,accel=tcg,nvdimm=on,nvdimm-persistence=mem-ctrl" },
		{ TORN_FLUSH_MODE_CLFLUSHOPT, "max,la57=off,clwb=off",
		  "pc,accel=tcg,nvdimm=on,nvdimm-persistence=mem-ctrl" },
		{ TORN_FLUSH_MODE_CLFLUSH,
		  "max,la57=off,clwb=off,clflushopt=off",
		  "pc,accel=tcg,nvdimm=on,nvdimm-persistence=mem-ctrl" },
		{ TORN_FLUSH_MODE_EADR, "max,la57=off",
		  "pc,accel=tcg,nvdimm=on,nvdimm-persistence=cpu" },
		{ TORN_FLUSH_MODE_NT, "max,la57=off",
		  "pc,accel=tcg,nvdimm=on,nvdimm-persistence=mem-ctrl" },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct torn_vm_config cfg = base_cfg();
		char **argv;

		cfg.flush_mode = cases[c].mode;
		assert_int_equal(torn_vm_build_argv(&cfg, &argv), 0);
		assert_string_equal(argv[0], "qemu-system-x86_64");
		assert_string_equal(after(argv, "-cpu"), cases[c].cpu);
		assert_string_equal(after(argv, "-machine"), cases[c].machine);
		assert_string_equal(after(argv, "-smp"), "1");
		assert_string_equal(after(argv, "-m"),
				    "512M,slots=2,maxmem=2048M");
		assert_string_equal(after(argv, "-object"),
				    "memory-backend-file,id=pm0,share=on,"
				    "mem-path=/w/pm.img,size=67108864");
		assert_string_equal(
			after(argv, "-device"),
			"nvdimm,id=nv0,memdev=pm0,addr=0x100000000");
		assert_string_equal(after(argv, "-serial"),
				    "file:/w/console.log");
		assert_string_equal(
			after(argv, "-chardev"),
			"socket,id=agent,path=/w/agent.sock,server=on,wait=off");
		assert_non_null(strstr(after(argv, "-append"), "nokaslr"));
		assert_true(has(argv, "-no-reboot"));
		assert_null(after(argv, "-plugin"));
		torn_vm_argv_free(argv);
	}
}

static void test_plugin_and_console(void **state)
{
	struct torn_vm_config cfg = base_cfg();
	char **argv;

	cfg.plugin = "/b/libtorn_tracer.so,out=/w/trace.torn";
	cfg.console_stdio = 1;
	cfg.mem_mb = 1024;
	cfg.append = "torn.shell";
	assert_int_equal(torn_vm_build_argv(&cfg, &argv), 0);
	assert_string_equal(after(argv, "-plugin"), cfg.plugin);
	assert_string_equal(after(argv, "-serial"), "stdio");
	assert_string_equal(after(argv, "-m"), "1024M,slots=2,maxmem=3072M");
	assert_non_null(strstr(after(argv, "-append"), " torn.shell"));
	torn_vm_argv_free(argv);
}

static void test_bad_configs(void **state)
{
	static const struct {
		const char *name;
		int field; /* which field to spoil */
		int expect;
	} cases[] = {
		{ "comma in backing path", 0, TORN_E_USAGE },
		{ "no kernel", 1, TORN_E_USAGE },
		{ "size not 2 MiB aligned", 2, TORN_E_RANGE },
		{ "unknown flush mode", 3, TORN_E_USAGE },
		{ "zero size", 4, TORN_E_USAGE },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct torn_vm_config cfg = base_cfg();
		char **argv = NULL;

		switch (cases[c].field) {
		case 0:
			cfg.pm_path = "/w/a,b.img";
			break;
		case 1:
			cfg.kernel = NULL;
			break;
		case 2:
			cfg.pm_size = (64ull << 20) + 4096;
			break;
		case 3:
			cfg.flush_mode = 99;
			break;
		case 4:
			cfg.pm_size = 0;
			break;
		}
		assert_int_equal(torn_vm_build_argv(&cfg, &argv),
				 cases[c].expect);
		assert_null(argv);
	}
}

static void test_flush_mode_names(void **state)
{
	static const char *const names[] = { "clwb", "clflushopt", "clflush",
					     "eadr", "nt" };
	size_t i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(torn_flush_mode_parse(names[i]), (int)i);
		assert_string_equal(torn_flush_mode_name((int)i), names[i]);
	}
	assert_int_equal(torn_flush_mode_parse("clwb2"), -1);
	assert_int_equal(torn_flush_mode_parse(""), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_plugin_and_console),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_flush_mode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
