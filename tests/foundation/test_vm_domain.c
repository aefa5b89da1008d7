/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libvirt backend's domain XML (harness/vm/vm_libvirt.c): the guest
 * torn_vm_build_argv describes, for each flush mode; the NVDIMM shared and
 * pinned; the plugin and the write-tracking shim; paths escaped; bad
 * configurations refused.  Each document is checked against libvirt's own
 * schema when virt-xml-validate (libvirt-clients) is installed.
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

static void test_modes(void **state)
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

static void test_plugin_shim_origin_escaping(void **state)
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

static void test_bad(void **state)
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
		cmocka_unit_test(test_plugin_shim_origin_escaping),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
