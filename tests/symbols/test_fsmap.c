/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an in-flight line is in the filesystem (harness/symbols/fsmap.h), on
 * images made here with the real tools: an ext4 with one file written by
 * debugfs, its superblock, group descriptor, inode, data and journal lines
 * named; an XFS superblock; devdax offsets; kinds torn does not map; no
 * filesystem.
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

#include "fsmap.h"

#define PM_SIZE (64u << 20)
#define NS (2u << 20)

/* Run argv (a shell line); its stdout. */
static char *run(const char *line)
{
	gchar *out = NULL;
	gint status = 0;

	assert_true(g_spawn_command_line_sync(line, &out, NULL, &status, NULL));
	assert_true(g_spawn_check_wait_status(status, NULL));
	return out;
}

struct img {
	char *fs; /* the filesystem file */
	uint8_t *pm; /* the NVDIMM: the filesystem 2 MiB in */
};

/* An empty file of the namespace's data size for mkfs. */
static void new_fs(struct img *m)
{
	int fd = g_file_open_tmp("torn-test-fsmap-XXXXXX", &m->fs, NULL);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, PM_SIZE - NS), 0);
	close(fd);
}

static void load(struct img *m)
{
	gchar *data = NULL;
	gsize len = 0;

	m->pm = g_malloc0(PM_SIZE);
	assert_true(g_file_get_contents(m->fs, &data, &len, NULL));
	assert_int_equal(len, PM_SIZE - NS);
	memcpy(m->pm + NS, data, len);
	g_free(data);
}

static void drop(struct img *m)
{
	g_unlink(m->fs);
	g_free(m->fs);
	g_free(m->pm);
}

static char *fsmap(int kind, const uint8_t *img, const uint64_t *offs, size_t n)
{
	uint64_t *lines = g_new(uint64_t, n);
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	for (i = 0; i < n; i++)
		lines[i] = offs[i] / 64;
	struct torn_fsmap m;

	torn_fsmap_make(torn_fs_get(kind), img, NULL, PM_SIZE, lines, n, &m);
	torn_fsmap_print(&m, f);
	torn_fsmap_fini(&m);
	fclose(f);
	g_free(lines);
	return text;
}

static uint64_t number(const char *cmd, const char *key)
{
	char *out = run(cmd);
	const char *p = key ? strstr(out, key) : out;
	uint64_t v;

	assert_non_null(p);
	v = strtoull(p + (key ? strlen(key) : 0), NULL, 0);
	g_free(out);
	return v;
}

static void test_ext4(void **state)
{
	struct img m;
	char cmd[512], *text, *hello;
	uint64_t itable_blk, ino_off, data_blk, journal_blk, offs[6];
	int fd;

	(void)state;
	new_fs(&m);
	fd = g_file_open_tmp("torn-test-fsmap-data-XXXXXX", &hello, NULL);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	snprintf(
		cmd, sizeof(cmd),
		"mkfs.ext4 -F -q -b 4096 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 %s",
		m.fs);
	g_free(run(cmd));
	snprintf(cmd, sizeof(cmd), "debugfs -w -R 'write %s hello' %s", hello,
		 m.fs);
	g_free(run(cmd));
	g_unlink(hello);
	g_free(hello);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'imap hello' %s", m.fs);
	itable_blk = number(cmd, "located at block ");
	ino_off = number(cmd, "offset ");
	snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap hello 0' %s", m.fs);
	data_blk = number(cmd, NULL);
	snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap <8> 0' %s", m.fs);
	journal_blk = number(cmd, NULL);
	load(&m);
	offs[0] = NS + 1024; /* the superblock */
	offs[1] = NS + 4096 + 64; /* descriptors: group 0 and 1 (64 bytes) */
	offs[2] = NS + itable_blk * 4096 + ino_off;
	offs[3] = NS + data_blk * 4096;
	offs[4] = NS + journal_blk * 4096;
	offs[5] = NS + (PM_SIZE - NS - 4096); /* the last block: free */
	text = fsmap(TORN_FS_EXT4_DAX, m.pm, offs, 6);
	print_message("%s", text);
	assert_non_null(strstr(text, "block 0      superblock"));
	assert_non_null(strstr(text, "group descriptor of group 1"));
	assert_non_null(
		strstr(text, "inode table of group 0: inode 12 /hello"));
	assert_non_null(strstr(text, "data block of inode 12 /hello"));
	assert_non_null(strstr(text, "journal superblock"));
	assert_non_null(strstr(text, "a block no inode holds"));
	g_free(text);
	/* the same lines on the BTT: its blocks move, so nothing is named */
	text = fsmap(TORN_FS_EXT4_BTT, m.pm, offs, 1);
	assert_non_null(strstr(text, "not mapped on ext4-btt"));
	g_free(text);
	/* no filesystem there */
	memset(m.pm + NS, 0, 8192);
	text = fsmap(TORN_FS_EXT4_DAX, m.pm, offs, 1);
	assert_non_null(strstr(text, "no ext4 filesystem"));
	g_free(text);
	drop(&m);
}

static void test_xfs(void **state)
{
	struct img m;
	char cmd[512], *text;
	uint64_t offs[1] = { NS };

	(void)state;
	new_fs(&m);
	/* as the kit makes it (lib/common/torn_fs.c) */
	snprintf(
		cmd, sizeof(cmd),
		"env TEST_DIR=/tmp TEST_DEV=%s QA_CHECK_FS=1 mkfs.xfs -f -q -m reflink=0 -K %s",
		m.fs, m.fs);
	g_free(run(cmd));
	load(&m);
	text = fsmap(TORN_FS_XFS_DAX, m.pm, offs, 1);
	print_message("%s", text);
	assert_non_null(strstr(text, "xfs_db"));
	assert_non_null(strstr(text, "block 0 "));
	assert_non_null(strstr(text, "sb"));
	g_free(text);
	drop(&m);
}

static void test_devdax_and_others(void **state)
{
	uint8_t *pm = g_malloc0(PM_SIZE);
	uint64_t offs[2] = { NS + 0x80, NS + 0x40 };
	char *text;

	(void)state;
	text = fsmap(TORN_FS_DEVDAX, pm, offs, 2);
	/* sorted by offset, each with the device's own offset */
	assert_non_null(strstr(text, "0x00200040"));
	assert_true(strstr(text, "/dev/dax0.0 at 0x40\n") <
		    strstr(text, "/dev/dax0.0 at 0x80\n"));
	g_free(text);
	text = fsmap(TORN_FS_BTRFS_PMEM, pm, offs, 2);
	assert_non_null(strstr(text, "not mapped on btrfs-pmem"));
	g_free(text);
	text = fsmap(TORN_FS_EXT4_DAX, pm, offs, 0);
	assert_string_equal(text, "");
	g_free(text);
	g_free(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext4),
		cmocka_unit_test(test_xfs),
		cmocka_unit_test(test_devdax_and_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
