/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Known findings: the stock file against real states, and bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>

#include "known.h"

/* One oracle result: ORACLE:ok or ORACLE:failed:DETAIL, "" ends. */
struct res_case {
	const char *name;
	const char *fs;
	int verdict;
	const char *oracles[4][2]; /* name, NULL (passed) or detail */
	const char *want; /* finding id, NULL: none */
};

#define V_INC TORN_V_INCONSISTENT
#define V_UNR TORN_V_UNRECOVERABLE

/* Details as the checker recorded them in real runs (docs/findings.md). */
#define F1_FSCK                                                              \
	"exit 12: Journal superblock is corrupt.\nFix? no\n\n\n/dev/pmem0: " \
	"********** WARNING: Filesystem still has errors **********\n\n"
#define MOUNT_EUCLEAN "mount /dev/pmem0 on /mnt: Structure needs cleaning"
#define F6_WHY(what)                                                       \
	"BTT: ndctl check-namespace exit 250: namespace0.0: "              \
	"btt_check_bitmap: arena 0: internal block 0x3c is referenced by " \
	"two " what " entries: namespace0.0: btt_xlat_status: arena 0: "   \
	"bitmap error: internal blocks are incorrectly referenced\n"
#define F6_FSCK                                                                \
	"BTT: ndctl check-namespace exit 250: namespace0.0: btt_xlat_status: " \
	"arena 0: bitmap error: internal blocks are incorrectly referenced\n"
#define F3_DMESG                                                           \
	"XFS (pmem0): Internal error hlen <= 0 || hlen > bufsize at line " \
	"2959 of file fs/xfs/xfs_log_recover.c.  Caller "                  \
	"xlog_valid_rec_header+0x11d/0x150 [xfs]"
#define F5_FSCK                                                           \
	"exit 4: Warning: skipping journal recovery because doing a "     \
	"read-only filesystem check. One or more block group descriptor " \
	"checksums are invalid."

static const struct res_case cases[] = {
	{ "F1: fsck says the journal superblock is corrupt",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", "mount /dev/pmem0 on /mnt: Invalid argument" },
	    { "fsck", F1_FSCK } },
	  "F1" },
	{ "F1 with the JBD2 dmesg line too",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", "mount /dev/pmem0 on /mnt: Bad message" },
	    { "fsck", F1_FSCK },
	    { "dmesg", "JBD2: Unknown checksum type" } },
	  "F1" },
	{ "F1's messages on XFS: not F1",
	  "xfs-dax",
	  V_UNR,
	  { { "mount", "mount failed" }, { "fsck", F1_FSCK } },
	  NULL },
	{ "F1's fsck, and durability lost too: not explained",
	  "ext4-dax",
	  V_UNR,
	  { { "fsck", F1_FSCK }, { "durability", "a.txt: lost" } },
	  NULL },
	{ "F2: MOUNT_EUCLEAN, fsck clean",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", MOUNT_EUCLEAN }, { "fsck", NULL } },
	  "F2" },
	{ "F2 with the jbd2 dmesg line",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", MOUNT_EUCLEAN },
	    { "fsck", NULL },
	    { "dmesg", "JBD2: journal transaction 2 on pmem0-8 is corrupt." } },
	  "F2" },
	{ "MOUNT_EUCLEAN and fsck never ran: not F2",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", MOUNT_EUCLEAN } },
	  NULL },
	{ "F5: MOUNT_EUCLEAN, fsck finds bad group descriptor checksums",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", MOUNT_EUCLEAN }, { "fsck", F5_FSCK } },
	  "F5" },
	{ "MOUNT_EUCLEAN and some other fsck failure: neither F2 nor F5",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", MOUNT_EUCLEAN }, { "fsck", "exit 4: inode 12 is bad" } },
	  NULL },
	{ "F6: the BTT check's bitmap error, then ext4's journal",
	  "ext4-btt",
	  V_UNR,
	  { { "mount", "mount /dev/pmem0s on /mnt: Invalid argument" },
	    { "fsck", F6_FSCK "; " F1_FSCK },
	    { "dmesg", "JBD2: no valid journal superblock found" } },
	  "F6" },
	{ "F6 as ndctl check-namespace -v words which block",
	  "ext4-btt",
	  V_INC,
	  { { "fsck", F6_WHY("map/log") } },
	  "F6" },
	{ "F6's BTT check on ext4-dax: not F6 (no BTT there)",
	  "ext4-dax",
	  V_INC,
	  { { "fsck", F6_FSCK } },
	  NULL },
	{ "F1's signature on ext4-btt: not F1 (the BTT's blocks do not tear)",
	  "ext4-btt",
	  V_UNR,
	  { { "mount", "mount failed" }, { "fsck", F1_FSCK } },
	  NULL },
	{ "F7: btrfs's superblock checksum, fsck fails too",
	  "btrfs-pmem",
	  V_UNR,
	  { { "mount", "mount /dev/pmem0 on /mnt: Invalid argument" },
	    { "fsck", "exit 1: Opening filesystem to check..." },
	    { "dmesg",
	      "BTRFS error (device pmem0): superblock checksum mismatch" } },
	  "F7" },
	{ "F7's kernel line with durability lost: not explained",
	  "btrfs-pmem",
	  V_UNR,
	  { { "mount", "mount /dev/pmem0 on /mnt: Invalid argument" },
	    { "dmesg",
	      "BTRFS error (device pmem0): superblock checksum mismatch" },
	    { "durability", "a: lost" } },
	  NULL },
	{ "F3: the XFS internal error in dmesg alone",
	  "xfs-dax",
	  V_INC,
	  { { "mount", NULL }, { "fsck", NULL }, { "dmesg", F3_DMESG } },
	  "F3" },
	{ "F3's line, atomicity broken too: not explained",
	  "xfs-dax",
	  V_INC,
	  { { "dmesg", F3_DMESG }, { "atomicity", "f: a mix" } },
	  NULL },
	{ "F4: the superblock checksum",
	  "ext4-dax",
	  V_UNR,
	  { { "mount", "mount /dev/pmem0 on /mnt: Bad message" },
	    { "fsck",
	      "exit 8: ext2fs_open2: Superblock checksum does not match "
	      "superblock" } },
	  "F4" },
	{ "a durability loss alone: new",
	  "ext4-dax",
	  V_INC,
	  { { "mount", NULL }, { "durability", "f: lost 4096 bytes" } },
	  NULL },
};

static void fill(const struct res_case *c, struct torn_oracle_result *r)
{
	int i;

	memset(r, 0, sizeof(*r) * TORN_O_COUNT);
	for (i = 0; i < 4 && c->oracles[i][0]; i++) {
		int o = torn_oracle_parse(c->oracles[i][0]);

		assert_true(o >= 0);
		r[o].ran = true;
		r[o].ok = !c->oracles[i][1];
		if (c->oracles[i][1])
			snprintf(r[o].detail, sizeof(r[o].detail), "%s",
				 c->oracles[i][1]);
	}
}

static struct torn_known *stock(void)
{
	struct torn_known *k = torn_known_new();
	const char *text = torn_known_builtin("stock");
	struct torn_err err = { "" };

	assert_non_null(k);
	assert_non_null(text);
	if (torn_known_add(k, "stock", text, strlen(text), &err))
		fail_msg("stock: %s", err.msg);
	return k;
}

static void test_stock(void **state)
{
	struct torn_known *k = stock();
	struct torn_oracle_result r[TORN_O_COUNT];
	struct torn_finding_info info;
	size_t i;

	(void)state;
	assert_int_equal(torn_known_count(k), 7);
	for (i = 0; i < torn_known_count(k); i++) {
		torn_known_info(k, i, &info);
		assert_true(info.title[0]);
		assert_true(!strncmp(info.doc, "docs/findings.md#", 17));
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct res_case *c = &cases[i];
		int got;

		fill(c, r);
		got = torn_known_match(k, c->fs, c->verdict, r);
		if (got >= 0)
			torn_known_info(k, (size_t)got, &info);
		print_message("%-60s %s\n", c->name, got < 0 ? "-" : info.id);
		if (!c->want)
			assert_int_equal(got, -1);
		else
			assert_int_equal(got, torn_known_find(k, c->want));
	}
	/* consistent, timeout and error states are never explained */
	fill(&cases[0], r);
	assert_int_equal(torn_known_match(k, "ext4-dax", TORN_V_TIMEOUT, r),
			 -1);
	assert_int_equal(torn_known_match(k, "ext4-dax", TORN_V_ERROR, r), -1);
	torn_known_free(k);
}

/* A user's file after the stock one: order, its own oracles, fs any. */
static void test_user_file(void **state)
{
	static const char text[] =
		"# my baseline\n"
		"[MY-1]\n"
		"  title = the app's checker on a torn log  \n"
		"custom = ^log: bad crc at [0-9]+$\n"
		"\n"
		"[MY-2]\r\n"
		"title = durability, any fs\r\n"
		"durability = \\(lost\\)\r\n"
		"may-fail = dmesg, usability;custom\r\n";
	struct torn_known *k = stock();
	struct torn_oracle_result r[TORN_O_COUNT];
	struct torn_finding_info info;
	struct torn_err err = { "" };
	int o = TORN_O_CUSTOM;

	(void)state;
	assert_int_equal(
		torn_known_add(k, "my.findings", text, strlen(text), &err), 0);
	assert_int_equal(torn_known_count(k), 9);
	torn_known_info(k, 7, &info);
	assert_string_equal(info.id, "MY-1");
	assert_string_equal(info.title, "the app's checker on a torn log");
	assert_string_equal(info.source, "my.findings");
	assert_int_equal(info.line, 2);
	memset(r, 0, sizeof(r));
	r[o].ran = true;
	snprintf(r[o].detail, sizeof(r[o].detail), "log: bad crc at 12");
	assert_int_equal(torn_known_match(k, "devdax", V_INC, r), 7);
	snprintf(r[o].detail, sizeof(r[o].detail), "log: bad crc at 12!");
	assert_int_equal(torn_known_match(k, "devdax", V_INC, r), -1);
	o = TORN_O_DURABILITY;
	r[o].ran = true;
	snprintf(r[o].detail, sizeof(r[o].detail), "f: 12 bytes (lost)");
	assert_int_equal(torn_known_match(k, "devdax", V_INC, r), 8);
	assert_int_equal(torn_known_match(k, NULL, V_INC, r), 8);
	/* the same ids again: refused, nothing added */
	assert_int_equal(torn_known_add(k, "again", text, strlen(text), &err),
			 TORN_E_FORMAT);
	assert_string_equal(err.msg, "again:2: finding 'MY-1' given twice "
				     "(first in my.findings:2)");
	assert_int_equal(torn_known_count(k), 9);
	torn_known_free(k);
}

static const struct bad_case {
	const char *text;
	const char *msg;
} bad[] = {
	{ "title = x\n", "f:1: key 'title': outside a [FINDING-ID] group" },
	{ "[A]\ntitle = t\nfsck = x\nfsck = y\n",
	  "f:4: key 'fsck': given twice" },
	{ "[A]\ntitle = t\ntitle = u\nfsck = x\n",
	  "f:3: key 'title': given twice" },
	{ "[A]\ntitle = t\nfsck = (\n",
	  "f:3: key 'fsck': bad regular expression: " },
	{ "[A]\ntitle = t\nfsk = x\n", "f:3: key 'fsk': unknown key (" },
	{ "[A]\ntitle = t\nfsck = x\nfs = ext4\n",
	  "f:4: key 'fs': unknown filesystem 'ext4' (ext4-dax, xfs-dax, "
	  "devdax, ext4-btt, xfs-btt, btrfs-pmem, dm-writecache)" },
	{ "[A]\ntitle = t\nfsck = x\nverdict = timeout\n",
	  "f:4: key 'verdict': 'timeout' is not inconsistent or "
	  "unrecoverable" },
	{ "[A]\ntitle = t\nfsck = x\nmay-fail = mount fsk\n",
	  "f:4: key 'may-fail': unknown oracle 'fsk'" },
	{ "[A]\ntitle = t\nfsck = x\npassed = ,;\n",
	  "f:4: key 'passed': an empty list" },
	{ "[A]\ntitle = t\nfsck =\n", "f:3: key 'fsck': no value" },
	{ "[A]\nfsck = x\n[B]\n", "f:1: finding 'A' has no title" },
	{ "[A]\ntitle = t\nfs = devdax\n",
	  "f:1: finding 'A' names no oracle (e.g. fsck = REGULAR-EXPRESSION): "
	  "it would explain every state" },
	{ "[A]\ntitle = t\nfsck = x\npassed = fsck\n",
	  "f:1: finding 'A' has an oracle both failed and passed" },
	{ "[A]\ntitle = t\nfsck = x\n[A]\n",
	  "f:4: finding 'A' given twice (first in f:1)" },
	{ "[A B]\n", "f:1: '[A B]' is not a [FINDING-ID] line" },
	{ "[]\n", "f:1: '[]' is not a [FINDING-ID] line" },
	{ "[A]\ntitle\n", "f:2: 'title' is not 'key = value'" },
	{ "[A]\n= x\n", "f:2: '= x' has no key" },
	{ "[A12345678901234567890123456789012345678901]\n",
	  "f:1: finding id 'A12345678901234567890123456789012345678901' is "
	  "longer than 40 bytes" },
};

static void test_bad_files(void **state)
{
	struct torn_known *k = torn_known_new();
	struct torn_err err = { "" };
	static const char nul[] = "[A]\ntitle = t\0\nfsck = x\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(torn_known_add(k, "f", bad[i].text,
						strlen(bad[i].text), &err),
				 TORN_E_FORMAT);
		print_message("%s\n", err.msg);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("got '%s', want '%s'", err.msg, bad[i].msg);
		assert_int_equal(torn_known_count(k), 0);
	}
	assert_int_equal(torn_known_add(k, "f", nul, sizeof(nul) - 1, &err),
			 TORN_E_FORMAT);
	assert_string_equal(err.msg, "f:2: a NUL byte: not a text file");
	assert_null(torn_known_builtin("nosuch"));
	torn_known_free(k);
}

/* A proposal parses, explains its state, and says what it saw. */
static void test_propose(void **state)
{
	struct torn_oracle_result r[TORN_O_COUNT];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct res_case *c = &cases[i];
		struct torn_known *k = torn_known_new();
		struct torn_err err = { "" };
		char *text;

		fill(c, r);
		text = torn_known_propose("NEW-1", c->fs, c->verdict, r);
		assert_non_null(text);
		if (torn_known_add(k, "proposal", text, strlen(text), &err))
			fail_msg("%s: %s\n%s", c->name, err.msg, text);
		assert_int_equal(torn_known_match(k, c->fs, c->verdict, r), 0);
		if (!strcmp(c->name, cases[0].name)) {
			print_message("%s", text);
			assert_non_null(strstr(
				text,
				"\nfsck = Journal superblock is corrupt\n"));
			assert_non_null(
				strstr(text, "\nmount = Invalid argument\n"));
			assert_non_null(strstr(text, "\nfs = ext4-dax\n"));
		}
		if (!strcmp(c->name,
			    "F3: the XFS internal error in dmesg alone"))
			assert_non_null(strstr(
				text, "dmesg = XFS \\(pmem[0-9]+\\): Internal "
				      "error hlen <= [0-9]+ \\|\\| hlen > "
				      "bufsize at line [0-9]+ of file"));
		g_free(text);
		torn_known_free(k);
		n++;
	}
	fill(&cases[0], r);
	assert_null(torn_known_propose("X", "ext4-dax", TORN_V_CONSISTENT, r));
	memset(r, 0, sizeof(r));
	assert_null(
		torn_known_propose("X", "ext4-dax", TORN_V_INCONSISTENT, r));
	print_message("%zu proposals parsed and matched\n", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stock),
		cmocka_unit_test(test_user_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_propose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
