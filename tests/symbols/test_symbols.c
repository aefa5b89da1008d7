/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/symbols on this very program: its own functions, found at the
 * addresses they run at (a PIE, so through its load bias from
 * /proc/self/maps), by name and source line; kallsyms captures; maps
 * lines; and files that are not programs.
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "symbols.h"

static int target_line;

/* The function looked up; its first line is recorded where it runs. */
__attribute__((noinline)) static int target(int x)
{
	target_line = __LINE__;
	return x * 3 + 1;
}

struct self {
	char exe[4096];
	uint64_t lo, hi, bias;
	bool have_bias;
	struct torn_err err;
};

static int on_map(const struct torn_syms_map *m, void *arg)
{
	struct self *s = arg;

	if (strcmp(m->path, s->exe))
		return 0;
	if (!s->lo || m->lo < s->lo)
		s->lo = m->lo;
	if (m->hi > s->hi)
		s->hi = m->hi;
	if (!s->have_bias && !m->offset) {
		assert_int_equal(
			torn_syms_elf_bias(s->exe, -1, m, &s->bias, &s->err),
			0);
		s->have_bias = true;
	}
	return 0;
}

static void self_map(struct self *s)
{
	gchar *maps = NULL;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	n = readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1);
	assert_true(n > 0);
	assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
	assert_int_equal(torn_syms_parse_maps(maps, on_map, s), 0);
	g_free(maps);
	assert_true(s->have_bias);
}

static void expect_target(const struct torn_syms *syms)
{
	char buf[512], want[64];
	bool found = false;
	int line;
	uint64_t pc = (uint64_t)(uintptr_t)&target;

	target(1);
	assert_non_null(torn_syms_where(syms, pc, buf, sizeof(buf)));
	assert_non_null(strstr(buf, "target+0x0"));
	/* the first instruction is on the opening line, or (optimized) on
	 * the first statement's */
	for (line = target_line - 2; line <= target_line; line++) {
		snprintf(want, sizeof(want), "test_symbols.c:%d", line);
		found = found || strstr(buf, want);
	}
	assert_true(found);
	assert_non_null(strstr(buf, " at "));
}

/* This program, by path, where it runs. */
static void test_self_by_path(void **state)
{
	struct torn_syms *syms = torn_syms_new();
	struct self s;

	(void)state;
	self_map(&s);
	assert_int_equal(
		torn_syms_add_elf(syms, s.exe, -1, s.lo, s.hi, s.bias, &s.err),
		0);
	assert_int_equal(torn_syms_n_files(syms), 1);
	expect_target(syms);
	torn_syms_free(syms);
}

/* The same file from a descriptor (a program out of a stage archive). */
static void test_self_by_fd(void **state)
{
	struct torn_syms *syms = torn_syms_new();
	gchar *data = NULL;
	gsize len;
	struct self s;
	int fd;

	(void)state;
	self_map(&s);
	assert_true(g_file_get_contents(s.exe, &data, &len, NULL));
	fd = memfd_create("prog", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	g_free(data);
	/* hi 0: the range from the file's segments, moved by the bias */
	assert_int_equal(
		torn_syms_add_elf(syms, "stage:prog", fd, 0, 0, s.bias, &s.err),
		0);
	close(fd); /* the syms keep their own */
	expect_target(syms);
	torn_syms_free(syms);
}

/* A wrong bias names some other place, never crashes; no file: NULL. */
static void test_outside(void **state)
{
	struct torn_syms *syms = torn_syms_new();
	char buf[256];

	(void)state;
	assert_null(torn_syms_where(syms, 0x401000, buf, sizeof(buf)));
	torn_syms_free(syms);
}

static char *write_tmp(const void *data, size_t len)
{
	char *path = g_strdup("/tmp/torn-test-symbols-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Not a program: text, nothing, a cut ELF header, a directory. */
static void test_bad_files(void **state)
{
	struct torn_syms *syms = torn_syms_new();
	struct torn_err err = { "" };
	struct torn_syms_map m = { 0x1000, 0x2000, 0, "/x" };
	uint64_t bias;
	gchar *self = NULL;
	gsize len;
	char exe[4096] = "";
	const char *inputs[3] = { "hello, world\n", "", NULL };
	size_t i;

	(void)state;
	assert_true(readlink("/proc/self/exe", exe, sizeof(exe) - 1) > 0);
	assert_true(g_file_get_contents(exe, &self, &len, NULL));
	for (i = 0; i < 3; i++) {
		char *p = inputs[i] ? write_tmp(inputs[i], strlen(inputs[i]))
				    : write_tmp(self, 40);

		assert_int_equal(torn_syms_add_elf(syms, p, -1, 0, 0, 0, &err),
				 TORN_E_FORMAT);
		assert_non_null(strstr(err.msg, "not an ELF"));
		assert_int_equal(torn_syms_elf_bias(p, -1, &m, &bias, &err),
				 TORN_E_FORMAT);
		unlink(p);
		g_free(p);
	}
	/* the ELF header whole, its program headers cut away */
	{
		char *p = write_tmp(self, 64);

		assert_true(torn_syms_add_elf(syms, p, -1, 0, 0, 0, &err) < 0);
		unlink(p);
		g_free(p);
	}
	assert_int_equal(
		torn_syms_add_elf(syms, "/nonexistent/x", -1, 0, 0, 0, &err),
		-ENOENT);
	assert_true(torn_syms_add_elf(syms, "/tmp", -1, 0, 0, 0, &err) < 0);
	assert_int_equal(torn_syms_n_files(syms), 0);
	g_free(self);
	torn_syms_free(syms);
}

static void test_kallsyms(void **state)
{
	static const char text[] = "ffffffff81000000 T _text\n"
				   "ffffffff81001000 T startup_64\n"
				   "ffffffff81200000 t dax_writeback_one\n"
				   "ffffffff81200400 D some_data\n"
				   "ffffffffc0100000 t ext4_sync_file\t[ext4]\n"
				   "garbage line\n"
				   "0000000000000000 T hidden\n";
	struct torn_syms *syms = torn_syms_new();
	char *p = write_tmp(text, sizeof(text) - 1);
	char buf[256];

	(void)state;
	assert_int_equal(torn_syms_add_kallsyms(syms, p), 4);
	assert_int_equal(torn_syms_add_kallsyms(syms, "/nonexistent"), 0);
	assert_string_equal(
		torn_syms_where(syms, 0xffffffff81200412ull, buf, sizeof(buf)),
		"dax_writeback_one+0x412");
	assert_string_equal(
		torn_syms_where(syms, 0xffffffffc0100010ull, buf, sizeof(buf)),
		"ext4_sync_file+0x10");
	assert_null(
		torn_syms_where(syms, 0xffffffff80000000ull, buf, sizeof(buf)));
	/* a megabyte past the last symbol is no function of it */
	assert_null(
		torn_syms_where(syms, 0xffffffffc0300000ull, buf, sizeof(buf)));
	assert_int_equal(torn_syms_kallsyms_addr(syms, "_text"),
			 0xffffffff81000000ull);
	assert_int_equal(torn_syms_kallsyms_addr(syms, "none"), 0);
	unlink(p);
	g_free(p);
	torn_syms_free(syms);
}

struct seen {
	int n;
	char paths[4][64];
	uint64_t lo[4], off[4];
};

static int collect(const struct torn_syms_map *m, void *arg)
{
	struct seen *s = arg;

	if (s->n == 4)
		return 7;
	snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", m->path);
	s->lo[s->n] = m->lo;
	s->off[s->n] = m->offset;
	s->n++;
	return 0;
}

static void test_maps(void **state)
{
	static const char text[] =
		"00400000-00401000 r--p 00000000 fe:01 1234 /usr/bin/torn-pmlog\n"
		"00401000-00402000 r-xp 00001000 fe:01 1234 /usr/bin/torn-pmlog\n"
		"01000000-01021000 rw-p 00000000 00:00 0 [heap]\n"
		"7ffff7c00000-7ffff7c28000 r--p 00000000 fe:01 99 /usr/lib/x86_64-linux-gnu/lib c.so\n"
		"7ffff7ff0000-7ffff7ff2000 rw-p 00000000 00:00 0\n"
		"not a maps line\n"
		"7ffff7ff4000-7ffff7ff3000 r--p 00000000 fe:01 5 /backwards\n"
		"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]\n";
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(torn_syms_parse_maps(text, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.paths[0], "/usr/bin/torn-pmlog");
	assert_int_equal(s.off[1], 0x1000);
	assert_int_equal(s.lo[1], 0x401000);
	/* a path with a space is the rest of the line */
	assert_string_equal(s.paths[2], "/usr/lib/x86_64-linux-gnu/lib c.so");
	assert_int_equal(torn_syms_parse_maps(NULL, collect, &s), 0);
	/* the callback's first non-zero return ends the walk */
	s.n = 4;
	assert_int_equal(torn_syms_parse_maps(text, collect, &s), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_by_path),
		cmocka_unit_test(test_self_by_fd),
		cmocka_unit_test(test_outside),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
