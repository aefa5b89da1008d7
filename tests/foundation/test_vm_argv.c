/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU command-line construction for each flush mode and bad configs; the
 * libvirt backend's domain XML of the same guests (harness/vm/vm_libvirt.c):
 * the NVDIMM shared and pinned, the plugin and the write-tracking shim,
 * paths escaped, each document checked against libvirt's own schema when
 * virt-xml-validate (libvirt-clients) is installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <glib.h>

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

/*
 * Warm start: a savable guest has its RAM as a named backend (QEMU 10.0
 * under TCG asserts when it migrates the board's own RAM beside a small
 * NVDIMM) and a QMP socket; an incoming one also waits for its stream;
 * a plain guest has neither; a libvirt or console guest cannot be saved.
 */
static void test_savable_incoming(void **state)
{
	struct torn_vm_config c = base_cfg();
	char **argv;

	(void)state;
	assert_int_equal(torn_vm_build_argv(&c, &argv), 0);
	assert_false(has(argv, "-qmp"));
	assert_false(has(argv, "-incoming"));
	assert_false(has(argv, "memory-backend=ram0"));
	torn_vm_argv_free(argv);

	c.savable = 1;
	c.mem_mb = 768;
	assert_int_equal(torn_vm_build_argv(&c, &argv), 0);
	assert_true(has(argv, "memory-backend-ram,id=ram0,size=768M"));
	assert_true(has(argv, "memory-backend=ram0"));
	assert_string_equal(after(argv, "-qmp"),
			    "unix:/w/qmp.sock,server=on,wait=off");
	assert_false(has(argv, "-incoming"));
	torn_vm_argv_free(argv);

	c.savable = 0;
	c.incoming = "/cache/guests/x.mig";
	assert_int_equal(torn_vm_build_argv(&c, &argv), 0);
	assert_string_equal(after(argv, "-incoming"), "defer");
	assert_true(has(argv, "memory-backend=ram0"));
	assert_non_null(after(argv, "-qmp"));
	torn_vm_argv_free(argv);

	c.console_stdio = 1;
	assert_int_equal(torn_vm_build_argv(&c, &argv), TORN_E_USAGE);
	c.console_stdio = 0;
	c.libvirt_uri = "qemu:///system";
	assert_int_equal(torn_vm_build_argv(&c, &argv), TORN_E_USAGE);
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

/* libvirt's schema on xml: 0 valid, 1 not, -1 no validator here. */
static int validate(const char *xml)
{
	char path[] = "/tmp/torn-domain-XXXXXX.xml";
	int fd = mkstemps(path, 4), status;
	char *cmd;

	if (access("/usr/bin/virt-xml-validate", X_OK) || fd < 0)
		return -1;
	assert_true(write(fd, xml, strlen(xml)) == (ssize_t)strlen(xml));
	close(fd);
	cmd = g_strdup_printf("virt-xml-validate %s domain >/dev/null 2>&1",
			      path);
	status = system(cmd);
	g_free(cmd);
	unlink(path);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void test_domain_modes(void **state)
{
	static const struct {
		int mode;
		const char *persistence;
		int clwb_off, clflushopt_off;
	} cases[] = {
		{ TORN_FLUSH_MODE_CLWB, "mem-ctrl", 0, 0 },
		{ TORN_FLUSH_MODE_CLFLUSHOPT, "mem-ctrl", 1, 0 },
		{ TORN_FLUSH_MODE_CLFLUSH, "mem-ctrl", 1, 1 },
		{ TORN_FLUSH_MODE_EADR, "cpu", 0, 0 },
		{ TORN_FLUSH_MODE_NT, "mem-ctrl", 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct torn_vm_config c = base_cfg();
		char *x = NULL, want[200];

		c.flush_mode = cases[i].mode;
		assert_int_equal(torn_vm_build_domain_xml(&c, "torn-1-1", &x),
				 0);
		assert_non_null(strstr(x, "<domain type='qemu'"));
		assert_non_null(strstr(x, "<name>torn-1-1</name>"));
		/* shared: else QEMU maps the file privately */
		assert_non_null(strstr(x, "<memory model='nvdimm' "
					  "access='shared'>"));
		assert_non_null(
			strstr(x, "<source><path>/w/pm.img</path></source>"));
		assert_non_null(strstr(x, "<size unit='KiB'>65536</size>"));
		assert_non_null(strstr(x, "base='0x100000000'"));
		assert_non_null(strstr(x, "<maxMemory slots='2' unit='MiB'>"
					  "2048</maxMemory>"));
		assert_non_null(strstr(x, "<acpi/>")); /* memory hotplug */
		assert_non_null(strstr(x, "path='/w/agent.sock'"));
		assert_non_null(strstr(x, "name='torn.agent'"));
		assert_non_null(strstr(x, "path='/w/console.log'"));
		snprintf(want, sizeof(want),
			 "<qemu:arg value='nvdimm-persistence=%s'/>",
			 cases[i].persistence);
		assert_non_null(strstr(x, want));
		assert_int_equal(strstr(x, "name='clwb'") != NULL,
				 cases[i].clwb_off);
		assert_int_equal(strstr(x, "name='clflushopt'") != NULL,
				 cases[i].clflushopt_off);
		assert_null(strstr(x, "-plugin"));
		assert_null(strstr(x, "LD_PRELOAD"));
		assert_int_not_equal(validate(x), 1);
		g_free(x);
	}
}

static void test_domain_plugin_shim_origin(void **state)
{
	struct torn_vm_config c = base_cfg();
	char *x = NULL;

	(void)state;
	c.plugin = "/b/libtorn_tracer.so,out=/r/trace.torn,arm=start";
	c.wp_shim = "/b/libtorn_wp_shim.so";
	c.origin_path = "/w/origin.img";
	c.append = "torn.x=<a&b>";
	c.pm_path = "/w/it's.img";
	assert_int_equal(torn_vm_build_domain_xml(&c, "torn-2-7", &x), 0);
	assert_non_null(strstr(x, "<qemu:arg value='-plugin'/>\n"
				  "    <qemu:arg value='/b/libtorn_tracer.so,"
				  "out=/r/trace.torn,arm=start'/>"));
	assert_non_null(strstr(x, "<qemu:env name='LD_PRELOAD' "
				  "value='/b/libtorn_wp_shim.so'/>"));
	assert_non_null(strstr(
		x, "<qemu:env name='TORN_WP_FILE' value='/w/it&apos;s.img'/>"));
	assert_non_null(strstr(x, "<qemu:env name='TORN_WP_STATUS' "
				  "value='/w/wp.status'/>"));
	assert_non_null(strstr(x, "<source file='/w/origin.img'/>"));
	assert_non_null(strstr(x, "<transient/>")); /* a throw-away overlay */
	assert_non_null(strstr(x, "torn.x=&lt;a&amp;b&gt;</cmdline>"));
	assert_null(strstr(x, "<a&b>"));
	assert_int_not_equal(validate(x), 1);
	g_free(x);
	c.origin_writable = 1;
	assert_int_equal(torn_vm_build_domain_xml(&c, "torn-2-8", &x), 0);
	assert_null(strstr(x, "<transient/>"));
	g_free(x);
}

/* On another host's hypervisor: no path of this host's work directory. */
static void test_domain_remote(void **state)
{
	struct torn_vm_config c = base_cfg();
	char *x = NULL;

	(void)state;
	c.libvirt_uri = "qemu+tcp://192.0.2.1/system";
	c.pm_remote = 1;
	c.pm_path = "/var/lib/libvirt/images/torn/torn-h-1-0.img";
	assert_int_equal(torn_vm_build_domain_xml(&c, "torn-3-1", &x), 0);
	assert_non_null(strstr(x, "<serial type='pty'><target port='0'/>"));
	assert_non_null(strstr(x, "<channel type='unix'><source mode='bind'/>"
				  "<target type='virtio' name='torn.agent'/>"));
	assert_non_null(strstr(x, "<path>/var/lib/libvirt/images/torn/"
				  "torn-h-1-0.img</path>"));
	assert_null(strstr(x, c.workdir));
	assert_int_not_equal(validate(x), 1);
	g_free(x);
	/* the shim there: its status, ask and answer files are volumes */
	c.wp_shim = "/var/lib/libvirt/images/torn/kit-1-libtorn_wp_shim.so";
	c.wp_status = "/p/v.status";
	c.wp_ask = "/p/v.ask";
	c.wp_answer = "/p/v.wp";
	assert_int_equal(torn_vm_build_domain_xml(&c, "torn-3-3", &x), 0);
	assert_non_null(strstr(x, "<qemu:env name='TORN_WP_STATUS' "
				  "value='/p/v.status'/>"));
	assert_non_null(strstr(x, "<qemu:env name='TORN_WP_ASK' "
				  "value='/p/v.ask'/>"));
	assert_non_null(strstr(x, "<qemu:env name='TORN_WP_ANSWER' "
				  "value='/p/v.wp'/>"));
	assert_null(strstr(x, c.workdir));
	assert_int_not_equal(validate(x), 1);
	g_free(x);
	c.wp_shim = NULL;
	/* this host's own URIs keep the work directory's files */
	c.libvirt_uri = "qemu:///system?socket=/x/libvirt-sock";
	assert_int_equal(torn_vm_build_domain_xml(&c, "torn-3-2", &x), 0);
	assert_non_null(strstr(x, "/console.log'/>"));
	g_free(x);
}

static void test_domain_bad(void **state)
{
	struct torn_vm_config c = base_cfg();
	char *x = NULL;

	(void)state;
	c.pm_size = 3ull << 20; /* not a multiple of 2 MiB */
	assert_int_equal(torn_vm_build_domain_xml(&c, "t", &x), TORN_E_RANGE);
	c = base_cfg();
	c.console_stdio = 1; /* a domain has no terminal */
	assert_int_equal(torn_vm_build_domain_xml(&c, "t", &x), TORN_E_USAGE);
	c = base_cfg();
	c.flush_mode = 99;
	assert_int_equal(torn_vm_build_domain_xml(&c, "t", &x), TORN_E_USAGE);
	c = base_cfg();
	c.kernel = NULL;
	assert_int_equal(torn_vm_build_domain_xml(&c, "t", &x), TORN_E_USAGE);
	assert_int_equal(torn_vm_build_domain_xml(&c, NULL, &x), TORN_E_USAGE);
	assert_null(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_plugin_and_console),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_savable_incoming),
		cmocka_unit_test(test_flush_mode_names),
		cmocka_unit_test(test_domain_modes),
		cmocka_unit_test(test_domain_plugin_shim_origin),
		cmocka_unit_test(test_domain_remote),
		cmocka_unit_test(test_domain_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
