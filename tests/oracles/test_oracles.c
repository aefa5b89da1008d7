/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host-side oracles: each has an input that must be flagged beside one that
 * must pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oracles.h"
#include "trace.h"

/* A workload: creat a (1), pwrite a (2), fsync a (3), atomic rename a->b (4),
 * fsync dir (5). */
static const char expected_txt[] =
	"# torn expected v1\n"
	"op 1 0 creat a\n"
	"touch 1 ./a\n"
	"op 2 0 pwrite a 0 4096\n"
	"touch 2 ./a\n"
	"op 3 0 fsync a\n"
	"durable 3 f * * 4096 00000000000000aa ./a\n"
	"op 4 1 rename a b\n"
	"touch 4 ./a\n"
	"touch 4 ./b\n"
	"pre 4 f 0644 1 4096 00000000000000aa ./a\n"
	"pre 4 - ./b\n"
	"post 4 - ./a\n"
	"post 4 f 0644 1 4096 00000000000000aa ./b\n"
	"op 5 0 fsync .\n"
	"durable 5 - ./a\n"
	"durable 5 f * * 4096 00000000000000aa ./b\n";

static const char dump_before[] =
	"d 0755 .\nf 0644 1 4096 00000000000000aa ./a\n";
static const char dump_after[] =
	"d 0755 .\nf 0644 1 4096 00000000000000aa ./b\n";
static const char dump_both[] = "d 0755 .\nf 0644 2 4096 00000000000000aa ./a\n"
				"f 0644 2 4096 00000000000000aa ./b = ./a\n";
static const char dump_neither[] = "d 0755 .\n";
static const char dump_short[] = "d 0755 .\nf 0644 1 0 cbf29ce484222325 ./a\n";

static void progress(struct oracle_progress *p, uint64_t begun,
		     uint64_t durable)
{
	memset(p, 0, sizeof(*p));
	p->last_begun = begun;
	p->last_ended = begun;
	p->last_durable = durable;
}

static void test_durability_and_atomicity(void **state)
{
	static const struct {
		const char *name;
		uint64_t begun, durable;
		const char *dump;
		int durability_bad, atomicity_bad;
	} cases[] = {
		{ "nothing durable yet, empty fs", 2, 0, dump_neither, 0, 0 },
		{ "fsync a done, a intact", 3, 3, dump_before, 0, 0 },
		{ "fsync a done, a lost", 3, 3, dump_neither, 1, 0 },
		{ "fsync a done, a short", 3, 3, dump_short, 1, 0 },
		{ "rename in flight: before", 4, 3, dump_before, 0, 0 },
		{ "rename in flight: after", 4, 3, dump_after, 0, 0 },
		{ "rename in flight: both names", 4, 3, dump_both, 0, 1 },
		{ "rename in flight: neither", 4, 3, dump_neither, 0, 1 },
		{ "dir fsynced: after", 5, 5, dump_after, 0, 0 },
		{ "dir fsynced: rename lost", 5, 5, dump_before, 1, 0 },
	};
	struct oracle_expected *e;
	struct torn_err err;
	size_t c;

	assert_int_equal(oracle_expected_parse(expected_txt,
					       strlen(expected_txt), &e, &err),
			 0);
	assert_int_equal(oracle_expected_ops(e), 5);
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct oracle_progress p;
		char d[600];
		int bad;

		progress(&p, cases[c].begun, cases[c].durable);
		bad = oracle_durability(e, &p, cases[c].dump, d, sizeof(d));
		if (bad != cases[c].durability_bad)
			fail_msg("%s: durability %d (%s)", cases[c].name, bad,
				 d);
		bad = oracle_atomicity(e, &p, cases[c].dump, d, sizeof(d));
		if (bad != cases[c].atomicity_bad)
			fail_msg("%s: atomicity %d (%s)", cases[c].name, bad,
				 d);
	}
	oracle_expected_free(e);
}

static void test_expected_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "op x 0 creat\n", "expected.txt:1: expected KEYWORD N" },
		{ "# c\nop 1 2 creat\n", "expected.txt:2: op: atomic flag" },
		{ "touch 1\n", "expected.txt:1: touch needs one path" },
		{ "touch 1 ./a ./b\n", "expected.txt:1: touch needs one path" },
		{ "durable 1 z ./a\n", "expected.txt:1: not a dump line" },
		{ "durable 1 f 0644 ./a\n", "expected.txt:1: not a dump line" },
		{ "sometimes 1 - ./a\n", "expected.txt:1: unknown keyword" },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct oracle_expected *e = NULL;
		struct torn_err err = { "" };

		assert_int_equal(oracle_expected_parse(cases[c].text,
						       strlen(cases[c].text),
						       &e, &err),
				 TORN_E_FORMAT);
		if (strncmp(err.msg, cases[c].msg, strlen(cases[c].msg)))
			fail_msg("'%s': message '%s'", cases[c].text, err.msg);
		assert_null(e);
	}
}

static void test_line_matches(void **state)
{
	assert_true(oracle_line_matches("f * * 4096 aa ./a",
					"f 0644 1 4096 aa ./a"));
	assert_false(oracle_line_matches("f * * 4096 aa ./a",
					 "f 0644 1 4095 aa ./a"));
	assert_false(oracle_line_matches("f * * 4096 aa ./a",
					 "f 0644 1 4096 aa ./b"));
	assert_true(oracle_line_matches("f 0644 2 1 aa ./b",
					"f 0644 2 1 aa ./b = ./a"));
	assert_false(oracle_line_matches("d 0755 ./d", "f 0755 1 0 aa ./d"));
}

static void test_dmesg(void **state)
{
	static const struct {
		const char *log;
		int bad;
	} cases[] = {
		{ "EXT4-fs (pmem0): mounted filesystem with ordered data mode\n",
		  0 },
		{ "EXT4-fs (pmem0): recovery complete\nXFS (pmem0): Ending recovery\n",
		  0 },
		{ "", 0 },
		{ "EXT4-fs error (device pmem0): ext4_lookup:1810: inode #2: comm ls: deleted inode referenced: 12\n",
		  1 },
		{ "ok\nXFS (pmem0): Metadata corruption detected at xfs_dinode_verify\n",
		  1 },
		{ "WARNING: CPU: 0 PID: 91 at fs/ext4/inode.c:1234 ext4_foo+0x1/0x2\n",
		  1 },
		{ "BUG: kernel NULL pointer dereference, address: 0000000000000008\n",
		  1 },
		{ "Buffer I/O error on dev pmem0, logical block 7\n", 1 },
		/* jbd2 (fs/jbd2/journal.c, recovery.c) */
		{ "JBD2: journal transaction 2 on pmem0-8 is corrupt.\n", 1 },
		{ "JBD2: Invalid checksum recovering block 1090 in log\n", 1 },
		{ "JBD2: recovery failed\n", 1 },
		{ "JBD2: no valid journal superblock found\n", 1 },
		{ "JBD2: Error -5 detected when updating journal superblock for pmem0-8.\n",
		  1 },
		/* ext4 */
		{ "EXT4-fs (pmem0): ext4_check_descriptors: Checksum for group 0 failed (1234!=5678)\n",
		  1 },
		{ "EXT4-fs (pmem0): group descriptors corrupted!\n", 1 },
		{ "EXT4-fs (pmem0): Remounting filesystem read-only\n", 1 },
		{ "EXT4-fs (pmem0): error loading journal\n", 1 },
		{ "EXT4-fs warning (device pmem0): ext4_dx_add_entry: Directory index full!\n",
		  1 },
		{ "EXT4-fs (pmem0): re-mounted. Opts: errors=remount-ro. Quota mode: none.\n",
		  0 },
		{ "EXT4-fs (pmem0): mounted filesystem with ordered data mode. Quota mode: none.\n",
		  0 },
		{ "EXT4-fs (pmem0): recovery complete\n", 0 },
		/* XFS */
		{ "XFS (pmem0): Metadata CRC error detected at xfs_agf_read_verify+0x1/0x2, xfs_agf block 0x1\n",
		  1 },
		{ "XFS (pmem0): log mount failed\n", 1 },
		{ "XFS (pmem0): Filesystem has been shut down due to log error (0x2).\n",
		  1 },
		{ "XFS (pmem0): Please unmount the filesystem and rectify the problem(s)\n"
		  "XFS (pmem0): Unmount and run xfs_repair\n",
		  1 },
		{ "XFS (pmem0): Mounting V5 Filesystem\nXFS (pmem0): Starting recovery (logdev: internal)\n",
		  0 },
		{ "XFS (pmem0): Torn write (CRC failure) detected at log block 0x2a2. Truncating head block from 0x2aa to 0x2a2.\n",
		  0 },
		{ "XFS (pmem0): Ending clean mount\n", 0 },
		/* btrfs (fs/btrfs/messages.c: "BTRFS LEVEL (device DEV): ") */
		{ "BTRFS error (device pmem0): superblock checksum mismatch\n"
		  "BTRFS error (device pmem0): open_ctree failed: -22\n",
		  1 },
		{ "BTRFS critical (device pmem0): corrupt leaf: root=2 block=30523392 slot=0\n",
		  1 },
		{ "BTRFS warning (device pmem0): csum failed root 5 ino 257 off 0 csum 0x8941f998 expected csum 0x1\n",
		  1 },
		{ "BTRFS: device fsid 715af9f3 devid 1 transid 7 /dev/pmem0 scanned by torn-agent (80)\n"
		  "BTRFS info (device pmem0): first mount of filesystem 715af9f3\n"
		  "BTRFS info (device pmem0): using crc32c (crc32c-intel) checksum algorithm\n",
		  0 },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char d[400];

		if (oracle_dmesg(cases[c].log, d, sizeof(d)) != cases[c].bad)
			fail_msg("case %zu: '%s'", c, cases[c].log);
	}
}

static void test_progress(void **state)
{
	static const struct oracle_marker m[] = {
		{ 10, TORN_MARK_OP_BEGIN, 1 }, { 20, TORN_MARK_OP_END, 1 },
		{ 30, TORN_MARK_OP_BEGIN, 2 }, { 40, TORN_MARK_OP_END, 2 },
		{ 41, TORN_MARK_DURABLE, 2 },  { 50, TORN_MARK_OP_BEGIN, 3 },
	};
	struct oracle_progress p;

	oracle_progress_at(m, 6, 5, &p);
	assert_int_equal(p.last_begun, 0);
	oracle_progress_at(m, 6, 35, &p);
	assert_int_equal(p.last_begun, 2);
	assert_int_equal(p.last_ended, 1);
	assert_int_equal(p.last_durable, 0);
	/* a crash point is before its record: the marker at 41 is not done */
	oracle_progress_at(m, 6, 41, &p);
	assert_int_equal(p.last_durable, 0);
	oracle_progress_at(m, 6, 42, &p);
	assert_int_equal(p.last_durable, 2);
	assert_int_equal(p.nmarkers, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durability_and_atomicity),
		cmocka_unit_test(test_expected_errors),
		cmocka_unit_test(test_line_matches),
		cmocka_unit_test(test_dmesg),
		cmocka_unit_test(test_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
