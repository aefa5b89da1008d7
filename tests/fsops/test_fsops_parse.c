/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fsops parser: every op, every error with its line, patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsops.h"

struct good_case {
	const char *src;
	enum torn_fsops_kind kind;
	int atomic;
	const char *path, *path2, *target;
	uint64_t offset, length;
	unsigned int mode, flags;
	enum torn_fsops_pattern_kind pkind;
	uint64_t pvalue;
	const char *ptext;
	const char *text; /* canonical */
};

static const struct good_case good[] = {
	{ "creat foo", TORN_FSOPS_CREAT, 0, "foo", NULL, NULL, 0, 0, 0644, 0, 0,
	  0, NULL, "creat foo" },
	{ "creat ./A/foo 0600", TORN_FSOPS_CREAT, 0, "A/foo", NULL, NULL, 0, 0,
	  0600, 0, 0, 0, NULL, "creat A/foo 0600" },
	{ "mkdir A", TORN_FSOPS_MKDIR, 0, "A", NULL, NULL, 0, 0, 0755, 0, 0, 0,
	  NULL, "mkdir A" },
	{ "mkdir A 700", TORN_FSOPS_MKDIR, 0, "A", NULL, NULL, 0, 0, 0700, 0, 0,
	  0, NULL, "mkdir A 0700" },
	{ "write foo 0 4K fill:0x41", TORN_FSOPS_WRITE, 0, "foo", NULL, NULL, 0,
	  4096, 0644, 0, TORN_FSOPS_FILL, 0x41, NULL,
	  "write foo 0 4096 fill:0x41" },
	{ "pwrite foo 0x10 1M rand:7", TORN_FSOPS_PWRITE, 0, "foo", NULL, NULL,
	  16, 1 << 20, 0644, 0, TORN_FSOPS_RAND, 7, NULL,
	  "pwrite foo 16 1048576 rand:7" },
	{ "append foo 10 text:abc", TORN_FSOPS_APPEND, 0, "foo", NULL, NULL, 0,
	  10, 0644, 0, TORN_FSOPS_TEXT, 0, "abc", "append foo 10 text:abc" },
	{ "truncate foo 0", TORN_FSOPS_TRUNCATE, 0, "foo", NULL, NULL, 0, 0,
	  0644, 0, 0, 0, NULL, "truncate foo 0" },
	{ "truncate foo 1g", TORN_FSOPS_TRUNCATE, 0, "foo", NULL, NULL, 0,
	  1 << 30, 0644, 0, 0, 0, NULL, "truncate foo 1073741824" },
	{ "fallocate foo 0 8K keep-size", TORN_FSOPS_FALLOCATE, 0, "foo", NULL,
	  NULL, 0, 8192, 0644, TORN_FSOPS_KEEP_SIZE, 0, 0, NULL,
	  "fallocate foo 0 8192 keep-size" },
	{ "fallocate foo 4096 4096 punch-hole", TORN_FSOPS_FALLOCATE, 0, "foo",
	  NULL, NULL, 4096, 4096, 0644, TORN_FSOPS_PUNCH_HOLE, 0, 0, NULL,
	  "fallocate foo 4096 4096 punch-hole" },
	{ "fallocate foo 0 1 zero-range keep-size", TORN_FSOPS_FALLOCATE, 0,
	  "foo", NULL, NULL, 0, 1, 0644,
	  TORN_FSOPS_ZERO_RANGE | TORN_FSOPS_KEEP_SIZE, 0, 0, NULL,
	  "fallocate foo 0 1 keep-size zero-range" },
	{ "fallocate foo 0 1", TORN_FSOPS_FALLOCATE, 0, "foo", NULL, NULL, 0, 1,
	  0644, 0, 0, 0, NULL, "fallocate foo 0 1" },
	{ "rename a b", TORN_FSOPS_RENAME, 0, "a", "b", NULL, 0, 0, 0644, 0, 0,
	  0, NULL, "rename a b" },
	{ "atomic rename a ./d/b", TORN_FSOPS_RENAME, 1, "a", "d/b", NULL, 0, 0,
	  0644, 0, 0, 0, NULL, "atomic rename a d/b" },
	{ "rename a a", TORN_FSOPS_RENAME, 0, "a", "a", NULL, 0, 0, 0644, 0, 0,
	  0, NULL, "rename a a" },
	{ "link a d/b", TORN_FSOPS_LINK, 0, "a", "d/b", NULL, 0, 0, 0644, 0, 0,
	  0, NULL, "link a d/b" },
	{ "symlink ../x s", TORN_FSOPS_SYMLINK, 0, "s", NULL, "../x", 0, 0,
	  0644, 0, 0, 0, NULL, "symlink ../x s" },
	{ "unlink a", TORN_FSOPS_UNLINK, 0, "a", NULL, NULL, 0, 0, 0644, 0, 0,
	  0, NULL, "unlink a" },
	{ "atomic unlink a", TORN_FSOPS_UNLINK, 1, "a", NULL, NULL, 0, 0, 0644,
	  0, 0, 0, NULL, "atomic unlink a" },
	{ "rmdir A", TORN_FSOPS_RMDIR, 0, "A", NULL, NULL, 0, 0, 0644, 0, 0, 0,
	  NULL, "rmdir A" },
	{ "mmap-write m 0 4K rand:3", TORN_FSOPS_MMAP_WRITE, 0, "m", NULL, NULL,
	  0, 4096, 0644, 0, TORN_FSOPS_RAND, 3, NULL,
	  "mmap-write m 0 4096 rand:3" },
	{ "mmap-write m 8K 100 fill:77 map-sync", TORN_FSOPS_MMAP_WRITE, 0, "m",
	  NULL, NULL, 8192, 100, 0644, TORN_FSOPS_MAP_SYNC, TORN_FSOPS_FILL, 77,
	  NULL, "mmap-write m 8192 100 fill:0x4d map-sync" },
	{ "msync m", TORN_FSOPS_MSYNC, 0, "m", NULL, NULL, 0, 0, 0644, 0, 0, 0,
	  NULL, "msync m" },
	{ "fsync .", TORN_FSOPS_FSYNC, 0, ".", NULL, NULL, 0, 0, 0644, 0, 0, 0,
	  NULL, "fsync ." },
	{ "fsync ./", TORN_FSOPS_FSYNC, 0, ".", NULL, NULL, 0, 0, 0644, 0, 0, 0,
	  NULL, "fsync ." },
	{ "fdatasync a/b", TORN_FSOPS_FDATASYNC, 0, "a/b", NULL, NULL, 0, 0,
	  0644, 0, 0, 0, NULL, "fdatasync a/b" },
	{ "sync", TORN_FSOPS_SYNC, 0, NULL, NULL, NULL, 0, 0, 0644, 0, 0, 0,
	  NULL, "sync" },
	{ "  pwrite\tfoo 1 2 fill:1   # a comment\r", TORN_FSOPS_PWRITE, 0,
	  "foo", NULL, NULL, 1, 2, 0644, 0, TORN_FSOPS_FILL, 1, NULL,
	  "pwrite foo 1 2 fill:0x01" },
};

static void test_every_op(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct good_case *c = &good[i];
		struct torn_err err = { "" };
		struct torn_fsops *w = NULL, *again = NULL;
		const struct torn_fsops_op *op;

		if (torn_fsops_parse(c->src, strlen(c->src), "w", &w, &err)) {
			print_error("case '%s': %s\n", c->src, err.msg);
			fail();
		}
		assert_int_equal(w->nops, 1);
		op = &w->ops[0];
		assert_int_equal(op->line, 1);
		assert_int_equal(op->kind, c->kind);
		assert_int_equal(op->atomic, c->atomic);
		if (c->path)
			assert_string_equal(op->path, c->path);
		else
			assert_null(op->path);
		if (c->path2)
			assert_string_equal(op->path2, c->path2);
		else
			assert_null(op->path2);
		if (c->target)
			assert_string_equal(op->target, c->target);
		else
			assert_null(op->target);
		assert_int_equal(op->offset, c->offset);
		assert_int_equal(op->length, c->length);
		if (c->kind == TORN_FSOPS_CREAT || c->kind == TORN_FSOPS_MKDIR)
			assert_int_equal(op->mode, c->mode);
		assert_int_equal(op->flags, c->flags);
		if (c->kind == TORN_FSOPS_WRITE ||
		    c->kind == TORN_FSOPS_PWRITE ||
		    c->kind == TORN_FSOPS_APPEND ||
		    c->kind == TORN_FSOPS_MMAP_WRITE) {
			assert_int_equal(op->pattern.kind, c->pkind);
			if (c->pkind == TORN_FSOPS_TEXT)
				assert_string_equal(op->pattern.text, c->ptext);
			else
				assert_int_equal(op->pattern.value, c->pvalue);
		}
		assert_string_equal(op->text, c->text);
		/* the canonical text parses to itself */
		assert_int_equal(torn_fsops_parse(op->text, strlen(op->text),
						  "w", &again, &err),
				 0);
		assert_string_equal(again->ops[0].text, op->text);
		torn_fsops_free(again);
		torn_fsops_free(w);
	}
}

struct bad_case {
	const char *src;
	size_t len; /* 0: strlen */
	const char *msg;
};

static const struct bad_case bad[] = {
	{ "frob a", 0, "w:1: unknown operation 'frob'" },
	{ "pwrite foo x 1 fill:0", 0,
	  "w:1: pwrite: offset 'x' is not a number" },
	{ "pwrite foo 1x 1 fill:0", 0,
	  "w:1: pwrite: offset '1x' is not a number" },
	{ "pwrite foo 18446744073709551616 1 fill:0", 0,
	  "w:1: pwrite: offset '18446744073709551616' is above 1099511627776" },
	{ "pwrite foo 0 0 fill:0", 0, "w:1: pwrite: length 0 does nothing" },
	{ "pwrite foo 0 65M fill:0", 0,
	  "w:1: pwrite: length '65M' is above 67108864" },
	{ "pwrite foo 1099511627776 1 fill:0", 0,
	  "w:1: pwrite: the range ends beyond 1099511627776" },
	{ "pwrite foo 0 1", 0,
	  "w:1: pwrite: missing PATTERN (usage: pwrite PATH OFFSET LENGTH PATTERN)" },
	{ "write foo", 0,
	  "w:1: write: missing OFFSET (usage: write PATH OFFSET LENGTH PATTERN)" },
	{ "pwrite foo 0 1 fill:0 extra", 0,
	  "w:1: pwrite: unexpected 'extra' (usage: pwrite PATH OFFSET LENGTH PATTERN)" },
	{ "pwrite foo 0 1 fill:256", 0,
	  "w:1: pwrite: fill byte '256' is not a number 0..255" },
	{ "append foo 1 rand:x", 0,
	  "w:1: append: random seed 'x' is not a 64-bit number" },
	{ "append foo 1 text:", 0,
	  "w:1: append: text pattern must have 1..255 bytes" },
	{ "append foo 1 zeros", 0,
	  "w:1: append: pattern 'zeros' is not fill:BYTE, rand:SEED or text:STRING" },
	{ "creat /abs", 0,
	  "w:1: creat: path '/abs' is absolute; paths are relative to the mount point" },
	{ "creat a/../b", 0, "w:1: creat: path 'a/../b' has a '..' component" },
	{ "unlink a/./b", 0, "w:1: unlink: path 'a/./b' has a '.' component" },
	{ "rmdir a//b", 0, "w:1: rmdir: path 'a//b' has an empty component" },
	{ "mkdir a/", 0, "w:1: mkdir: path 'a/' ends with '/'" },
	{ "creat .", 0, "w:1: creat: path '.' is the mount point itself" },
	{ "rename a .", 0, "w:1: rename: path '.' is the mount point itself" },
	{ "creat foo 0999", 0,
	  "w:1: creat: mode '0999' is not an octal mode like 0644" },
	{ "mkdir foo 17777", 0,
	  "w:1: mkdir: mode '17777' is not an octal mode like 0644" },
	{ "truncate foo 0x20000000000", 0,
	  "w:1: truncate: size '0x20000000000' is above 1099511627776" },
	{ "truncate foo", 0,
	  "w:1: truncate: missing SIZE (usage: truncate PATH SIZE)" },
	{ "fallocate foo 0 1 sideways", 0,
	  "w:1: fallocate: unknown flag 'sideways' (known: keep-size, punch-hole, zero-range)" },
	{ "fallocate foo 0 1 punch-hole zero-range", 0,
	  "w:1: fallocate: punch-hole and zero-range exclude each other" },
	{ "mmap-write m 0 1 fill:0 keep-size", 0,
	  "w:1: mmap-write: unknown flag 'keep-size' (known: map-sync)" },
	{ "atomic", 0, "w:1: atomic: expects an operation after it" },
	{ "atomic fsync a", 0,
	  "w:1: fsync: cannot be atomic: it changes nothing in the tree" },
	{ "atomic sync", 0,
	  "w:1: sync: cannot be atomic: it changes nothing in the tree" },
	{ "rename A A/b", 0, "w:1: rename: 'A/b' is inside 'A'" },
	{ "sync now", 0, "w:1: sync: unexpected 'now' (usage: sync)" },
	{ "fsync", 0, "w:1: fsync: missing PATH (usage: fsync PATH)" },
	{ "symlink t", 0,
	  "w:1: symlink: missing PATH (usage: symlink TARGET PATH)" },
	{ "link a", 0, "w:1: link: missing NEW (usage: link EXISTING NEW)" },
	{ "msync", 0, "w:1: msync: missing PATH (usage: msync PATH)" },
	{ "creat a\001b", 0,
	  "w:1: creat: path 'a\001b' has a control character" },
	{ "\n\n# a comment\n\ncreat a\npwrite a b 1 fill:0\n", 0,
	  "w:6: pwrite: offset 'b' is not a number" },
	{ "creat a\0b\n", 10, "w:1: line has a NUL byte" },
	{ "a b c d e f g h i j k l m n o p q", 0, "w:1: more than 16 words" },
};

static void test_every_error(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct torn_err err = { "" };
		struct torn_fsops *w = (struct torn_fsops *)1;
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].src);
		int ret = torn_fsops_parse(bad[i].src, len, "w", &w, &err);

		if (ret >= 0 || strcmp(err.msg, bad[i].msg)) {
			print_error("case %zu '%s': ret %d, message '%s'\n", i,
				    bad[i].src, ret, err.msg);
			fail();
		}
		assert_null(w);
	}
}

static void test_long_line_and_limits(void **state)
{
	char *text = malloc(5000);
	struct torn_err err = { "" };
	struct torn_fsops *w;
	char path[300];

	memset(text, 'a', 4999);
	memcpy(text, "creat ", 6);
	text[4999] = 0;
	assert_int_equal(torn_fsops_parse(text, 4999, "w", &w, &err),
			 TORN_E_RANGE);
	assert_string_equal(err.msg, "w:1: line is longer than 4096 bytes");
	free(text);

	memset(path, 'x', 256);
	path[256] = 0;
	snprintf(path + 256, sizeof(path) - 256, "/y");
	text = malloc(400);
	snprintf(text, 400, "creat %s", path);
	assert_int_equal(torn_fsops_parse(text, strlen(text), "w", &w, &err),
			 TORN_E_RANGE);
	assert_non_null(
		strstr(err.msg, "has a component longer than 255 bytes"));
	free(text);
}

static void test_workload_lines(void **state)
{
	static const char src[] = "# a workload\n"
				  "creat foo\n"
				  "\n"
				  "pwrite foo 0 4K rand:1   # data\n"
				  "   \t\n"
				  "atomic rename foo bar\n"
				  "fsync ."; /* no final newline */
	struct torn_err err = { "" };
	struct torn_fsops *w;

	assert_int_equal(
		torn_fsops_parse(src, strlen(src), "x.fsops", &w, &err), 0);
	assert_string_equal(w->name, "x.fsops");
	assert_int_equal(w->nops, 4);
	assert_int_equal(w->ops[0].line, 2);
	assert_int_equal(w->ops[1].line, 4);
	assert_int_equal(w->ops[2].line, 6);
	assert_int_equal(w->ops[3].line, 7);
	assert_true(torn_fsops_op_is_durability(&w->ops[3]));
	assert_false(torn_fsops_op_is_durability(&w->ops[2]));
	torn_fsops_free(w);
	/* an empty workload is fine: it does nothing */
	assert_int_equal(torn_fsops_parse("", 0, "e", &w, &err), 0);
	assert_int_equal(w->nops, 0);
	torn_fsops_free(w);
	torn_fsops_free(NULL);
}

static void test_kind_names(void **state)
{
	int k;

	for (k = 0; k < TORN_FSOPS_NKINDS; k++) {
		const char *name = torn_fsops_kind_name(k);

		assert_int_equal(torn_fsops_kind_by_name(name), k);
	}
	assert_int_equal(torn_fsops_kind_by_name("frob"), -1);
	assert_null(torn_fsops_kind_name(TORN_FSOPS_NKINDS));
}

static void test_patterns(void **state)
{
	struct torn_fsops_pattern fill = { TORN_FSOPS_FILL, 0x41, NULL };
	struct torn_fsops_pattern rnd = { TORN_FSOPS_RAND, 0, NULL };
	struct torn_fsops_pattern txt = { TORN_FSOPS_TEXT, 0, "abc" };
	uint8_t a[64], b[64];
	uint64_t first = 0;
	int i;

	torn_fsops_pattern_fill(&fill, 0, a, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(a[i], 0x41);
	torn_fsops_pattern_fill(&txt, 4, a, 5);
	assert_memory_equal(a, "bcabc", 5);
	/* SplitMix64 from 0: its well-known first output, little-endian */
	torn_fsops_pattern_fill(&rnd, 0, a, 64);
	for (i = 7; i >= 0; i--)
		first = first << 8 | a[i];
	assert_int_equal(first, 0xe220a8397b1dcdafull);
	/* random access: bytes 13.. are the same from any start */
	torn_fsops_pattern_fill(&rnd, 13, b, 51);
	assert_memory_equal(a + 13, b, 51);
	rnd.value = 1;
	torn_fsops_pattern_fill(&rnd, 0, b, 64);
	assert_memory_not_equal(a, b, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op),
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_long_line_and_limits),
		cmocka_unit_test(test_workload_lines),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
