/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the trace library: round trips, corruption, text errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[] = "/tmp/torn-test-trace-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* The text form of t, malloc'd. */
static char *to_text(const struct torn_trace *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(torn_trace_write_text(t, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct torn_trace *parse_ok(const char *text)
{
	struct torn_err err = { .msg = "" };
	struct torn_trace *t = NULL;
	int ret = torn_trace_parse_text(text, &t, &err);

	if (ret)
		fail_msg("parse failed: %s\n%s", err.msg, text);
	assert_non_null(t);
	return t;
}

static void assert_records_equal(const struct torn_trace *a,
				 const struct torn_trace *b)
{
	const struct torn_record *ra = torn_trace_get_records(a);
	const struct torn_record *rb = torn_trace_get_records(b);
	const struct torn_trace_header *ha = torn_trace_get_header(a);
	const struct torn_trace_header *hb = torn_trace_get_header(b);
	size_t i;

	assert_int_equal(ha->version, hb->version);
	assert_int_equal(ha->pm_base, hb->pm_base);
	assert_int_equal(ha->pm_size, hb->pm_size);
	assert_int_equal(ha->line_size, hb->line_size);
	assert_int_equal(ha->cpu_features, hb->cpu_features);
	assert_int_equal(ha->flags, hb->flags);
	assert_int_equal(torn_trace_get_count(a), torn_trace_get_count(b));
	for (i = 0; i < torn_trace_get_count(a); i++) {
		assert_int_equal(ra[i].kind, rb[i].kind);
		assert_int_equal(ra[i].flags, rb[i].flags);
		assert_int_equal(ra[i].sub, rb[i].sub);
		assert_int_equal(ra[i].size, rb[i].size);
		assert_int_equal(ra[i].mark_id, rb[i].mark_id);
		assert_int_equal(ra[i].offset, rb[i].offset);
		assert_int_equal(ra[i].vaddr, rb[i].vaddr);
		assert_int_equal(ra[i].arg, rb[i].arg);
		assert_int_equal(ra[i].pc, rb[i].pc);
		if (ra[i].size)
			assert_memory_equal(ra[i].data, rb[i].data, ra[i].size);
	}
}

/* ---- round trips ----------------------------------------------------- */

/* Texts in canonical form: parsing and writing each gives it back. */
static const char *const canonical_texts[] = {
	"header pm_base=0x100000000 pm_size=0x4000000 "
	"features=clflush,clflushopt,clwb flags=none\n",

	"header pm_base=0x100000000 pm_size=0x4000000 "
	"features=clflush,clflushopt,clwb flags=pc\n"
	"store 0x1000 8 0102030405060708 pc=0xffffffff81234567 kernel\n"
	"nt_store 0x1040 4 deadbeef\n"
	"store 0x2000 64 *ab\n"
	"store 0x2040 9 000000000000000001\n"
	"store 0x2080 8 abababababababab\n"
	"flush clwb 0x1000 pc=0x10 kernel\n"
	"flush clflushopt 0x1040\n"
	"flush clflush 0x3ffffff\n"
	"unresolved clwb va=0x7f0000001000 pc=0x401000\n"
	"fence sfence\n"
	"fence mfence kernel\n"
	"fence locked pc=0x1\n"
	"fence serializing\n"
	"fence wbinvd pc=0xffffffff81000000 kernel\n"
	"mark 3 7 \"pwrite /mnt/a 0 4096\"\n"
	"mark 1 0\n"
	"mark 2 0 kernel\n",

	"header pm_base=0x0 pm_size=0x40 features=none flags=none\n"
	"store 0x0 64 000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
	"1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d"
	"3e3f\n"
	"store 0x3f 1 ff\n"
	"nt_store 0x38 8 0000000000000000 kernel\n"
	"flush clwb 0x3f\n",

	"header pm_base=0xffffffffffffffc0 pm_size=0x40 "
	"features=clflush,clflushopt,clwb,eadr flags=pc,from-boot\n"
	"mark 4294967295 18446744073709551615 "
	"\"quote \\\" backslash \\\\ newline \\n nul \\x00 high \\xff\" "
	"kernel\n"
	"unresolved clflush va=0x0\n"
	"unresolved clflushopt va=0xffffffffffffffff kernel\n",

	"header pm_base=0x100000000 pm_size=0x4000000 "
	"features=clwb flags=none\n"
	"mark 16 1 \"0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	"0123456789abcde\"\n",
};

/* text -> trace -> text is the identity on canonical text. */
static void test_text_round_trip(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(canonical_texts); i++) {
		struct torn_trace *t = parse_ok(canonical_texts[i]);
		char *out = to_text(t);

		assert_string_equal(out, canonical_texts[i]);
		free(out);
		torn_trace_free(t);
	}
}

/* binary -> text -> binary is the identity, byte for byte. */
static void test_binary_text_binary(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(canonical_texts); i++) {
		struct torn_trace *t = parse_ok(canonical_texts[i]);
		struct torn_trace *loaded = NULL, *again;
		struct torn_err err = { .msg = "" };
		uint8_t *bin, *bin2;
		size_t len, len2;
		char *text;

		assert_int_equal(torn_trace_encode(t, &bin, &len), 0);
		assert_int_equal(torn_trace_load_buf(bin, len, &loaded, &err),
				 0);
		text = to_text(loaded);
		again = parse_ok(text);
		assert_int_equal(torn_trace_encode(again, &bin2, &len2), 0);
		assert_int_equal(len, len2);
		assert_memory_equal(bin, bin2, len);
		free(text);
		free(bin);
		free(bin2);
		torn_trace_free(t);
		torn_trace_free(loaded);
		torn_trace_free(again);
	}
}

/* write (save) -> load gives identical records, and the same bytes. */
static void test_binary_round_trip(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(canonical_texts); i++) {
		struct torn_trace *t = parse_ok(canonical_texts[i]);
		struct torn_err err = { .msg = "" };
		struct torn_trace *loaded = NULL;
		const char *path = tmp_path("round.torn");
		uint8_t *bin, *file;
		size_t len;
		FILE *f;

		assert_int_equal(torn_trace_save(t, path), 0);
		if (torn_trace_load(path, &loaded, &err))
			fail_msg("load: %s", err.msg);
		assert_records_equal(t, loaded);

		assert_int_equal(torn_trace_encode(t, &bin, &len), 0);
		file = malloc(len + 1);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(file, 1, len + 1, f), len);
		fclose(f);
		assert_memory_equal(bin, file, len);
		free(bin);
		free(file);
		torn_trace_free(t);
		torn_trace_free(loaded);
	}
}

/* Non-canonical text parses to the canonical form shown. */
static const struct {
	const char *in;
	const char *out;
} normalize_cases[] = {
	{ "", "header pm_base=0x100000000 pm_size=0x4000000 "
	      "features=clflush,clflushopt,clwb flags=none\n" },
	{ "# only a comment\n\n   \n\t# another\n",
	  "header pm_base=0x100000000 pm_size=0x4000000 "
	  "features=clflush,clflushopt,clwb flags=none\n" },
	{ "store 4096 2 ABcd kernel pc=16   # decimal, upper case\n",
	  "header pm_base=0x100000000 pm_size=0x4000000 "
	  "features=clflush,clflushopt,clwb flags=none\n"
	  "store 0x1000 2 abcd pc=0x10 kernel\n" },
	{ "header pm_size=0x1000 features= flags=\r\n"
	  "store 0x0 4 *7f\r\n"
	  "mark 1 0x10 \"\"\r\n"
	  "fence sfence pc=0\n",
	  "header pm_base=0x100000000 pm_size=0x1000 features=none "
	  "flags=none\n"
	  "store 0x0 4 7f7f7f7f\n"
	  "mark 1 16\n"
	  "fence sfence\n" },
	{ "  header   flags=from-boot,pc features=eadr,clwb\n"
	  "mark 5 3 \"a#b\" # the # in the string is text\n"
	  "mark 5 3 \"\\x41\\x0a\"\n",
	  "header pm_base=0x100000000 pm_size=0x4000000 features=clwb,eadr "
	  "flags=pc,from-boot\n"
	  "mark 5 3 \"a#b\"\n"
	  "mark 5 3 \"A\\n\"\n" },
};

static void test_text_normalize(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(normalize_cases); i++) {
		struct torn_trace *t = parse_ok(normalize_cases[i].in);
		char *out = to_text(t);

		assert_string_equal(out, normalize_cases[i].out);
		free(out);
		torn_trace_free(t);
	}
}

/* ---- corrupt binary files -------------------------------------------- */

/*
 * The base trace of the corruption cases; record byte offsets:
 * 0 store 0x40, 1 flush 0x5c, 2 fence 0x70, 3 mark 0x7c,
 * 4 unresolved 0x8e, 5 nt_store 0xa2, end 0xba, length 0xc6.
 */
static const char base_text[] =
	"header pm_base=0x100000000 pm_size=0x10000 "
	"features=clflush,clflushopt,clwb flags=pc\n"
	"store 0x1000 8 0102030405060708 pc=0x10 kernel\n"
	"flush clwb 0x1000 pc=0x11\n"
	"fence sfence pc=0x12\n"
	"mark 16 1 \"hi\"\n"
	"unresolved clflushopt va=0x7f0000 pc=0x13\n"
	"nt_store 0x40 4 deadbeef\n";
#define BASE_LEN 0xc6

enum edit {
	E_NONE,
	E_U8, /* put value (8 bits) at at */
	E_U32,
	E_U64,
	E_TRUNCATE, /* cut the file to at bytes */
	E_APPEND, /* append `value` bytes of 0x07 */
};

static const struct corrupt_case {
	const char *name;
	enum edit edit;
	size_t at;
	uint64_t value;
	int code;
	const char *msg;
} corrupt_cases[] = {
	{ "empty", E_TRUNCATE, 0, 0, TORN_E_FORMAT,
	  "empty file, not a torn trace" },
	{ "magic prefix only", E_TRUNCATE, 5, 0, TORN_E_TRUNCATED,
	  "bad magic, not a torn trace" },
	{ "header cut", E_TRUNCATE, 30, 0, TORN_E_TRUNCATED,
	  "header cut short at byte 0x1e" },
	{ "bad magic", E_U8, 0, 'X', TORN_E_FORMAT,
	  "bad magic, not a torn trace" },
	{ "magic without nul", E_U8, 7, 'X', TORN_E_FORMAT,
	  "bad magic, not a torn trace" },
	{ "version 2", E_U32, 8, 2, TORN_E_VERSION,
	  "trace version 2 is not the supported version 1" },
	{ "version 0", E_U32, 8, 0, TORN_E_VERSION,
	  "trace version 0 is not the supported version 1" },
	{ "header size", E_U32, 12, 65, TORN_E_FORMAT,
	  "header size 65 is not 64" },
	{ "pm base unaligned", E_U64, 16, 0x100000008, TORN_E_FORMAT,
	  "header: pm base 0x100000008 is not 64-byte aligned" },
	{ "pm wraps", E_U64, 16, 0xffffffffffffffc0, TORN_E_FORMAT,
	  "header: pm base 0xffffffffffffffc0 + size 0x10000 wraps around" },
	{ "pm size 0", E_U64, 24, 0, TORN_E_FORMAT,
	  "header: pm size 0x0 is not a positive multiple of 64" },
	{ "pm size odd", E_U64, 24, 0x10001, TORN_E_FORMAT,
	  "header: pm size 0x10001 is not a positive multiple of 64" },
	{ "line size", E_U32, 32, 32, TORN_E_FORMAT,
	  "header: line size 32 is not 64" },
	{ "features", E_U32, 36, 0x17, TORN_E_FORMAT,
	  "header: unknown cpu feature bits 0x10" },
	{ "flags", E_U32, 40, 0x5, TORN_E_FORMAT,
	  "header: unknown header flag bits 0x4" },
	{ "reserved", E_U8, 63, 1, TORN_E_FORMAT,
	  "header: reserved byte 0x3f is not zero" },
	{ "head cut", E_TRUNCATE, 0x42, 0, TORN_E_TRUNCATED,
	  "record 0 at byte 0x40: cut short in its head" },
	{ "store size 0", E_U8, 0x43, 0, TORN_E_FORMAT,
	  "record 0 at byte 0x40: store size 0 outside 1..64" },
	{ "store size 65", E_U8, 0x43, 65, TORN_E_FORMAT,
	  "record 0 at byte 0x40: store size 65 outside 1..64" },
	{ "store beyond pm", E_U64, 0x44, 0xfffc, TORN_E_FORMAT,
	  "record 0 at byte 0x40: store of 8 bytes at offset 0xfffc beyond "
	  "pm size 0x10000" },
	{ "store offset wraps", E_U64, 0x44, 0xfffffffffffffffc, TORN_E_FORMAT,
	  "record 0 at byte 0x40: store of 8 bytes at offset "
	  "0xfffffffffffffffc beyond pm size 0x10000" },
	{ "store sub", E_U8, 0x42, 1, TORN_E_FORMAT,
	  "record 0 at byte 0x40: store sub-kind 1 is not 0" },
	{ "store flags", E_U8, 0x41, 0x07, TORN_E_FORMAT,
	  "record 0 at byte 0x40: store has unknown flag bits 0x04" },
	{ "string flag off a store", E_U8, 0x5d, 0x02, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: flush has the string flag (stores only)" },
	{ "kind 0", E_U8, 0x5c, 0, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: unknown record kind 0" },
	{ "kind 9", E_U8, 0x5c, 9, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: unknown record kind 9" },
	{ "flush kind 0", E_U8, 0x5e, 0, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: flush kind 0 is not a flush kind" },
	{ "flush kind 4", E_U8, 0x5e, 4, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: flush kind 4 is not a flush kind" },
	{ "flush len", E_U8, 0x5f, 1, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: flush length 1 is not 0" },
	{ "flush beyond pm", E_U64, 0x60, 0x10000, TORN_E_FORMAT,
	  "record 1 at byte 0x5c: flush offset 0x10000 beyond pm size "
	  "0x10000" },
	{ "fence kind 6", E_U8, 0x72, 6, TORN_E_FORMAT,
	  "record 2 at byte 0x70: fence kind 6 is not a fence kind" },
	{ "fence len", E_U8, 0x73, 8, TORN_E_FORMAT,
	  "record 2 at byte 0x70: fence length 8 is not 0" },
	{ "mark sub", E_U8, 0x7e, 1, TORN_E_FORMAT,
	  "record 3 at byte 0x7c: mark sub-kind 1 is not 0" },
	{ "mark text too long", E_U8, 0x7f, 255, TORN_E_TRUNCATED,
	  "record 3 at byte 0x7c: mark of 271 bytes cut short after 74" },
	{ "unresolved kind", E_U8, 0x90, 0, TORN_E_FORMAT,
	  "record 4 at byte 0x8e: unresolved kind 0 is not a flush kind" },
	{ "nt_store cut", E_TRUNCATE, 0xb9, 0, TORN_E_TRUNCATED,
	  "record 5 at byte 0xa2: nt_store of 24 bytes cut short after 23" },
	{ "no end", E_TRUNCATE, 0xba, 0, TORN_E_TRUNCATED,
	  "record 6 at byte 0xba: trace ends without an end record, cut "
	  "short" },
	{ "end cut", E_TRUNCATE, 0xbf, 0, TORN_E_TRUNCATED,
	  "record 6 at byte 0xba: end of 12 bytes cut short after 5" },
	{ "end flags", E_U8, 0xbb, 1, TORN_E_FORMAT,
	  "record 6 at byte 0xba: end head has non-zero fields" },
	{ "end count low", E_U64, 0xbe, 5, TORN_E_FORMAT,
	  "record 6 at byte 0xba: end counts 5 records, the trace has 6" },
	{ "end count high", E_U64, 0xbe, 1ULL << 63, TORN_E_FORMAT,
	  "record 6 at byte 0xba: end counts 9223372036854775808 records, "
	  "the trace has 6" },
	{ "byte after end", E_APPEND, 0, 1, TORN_E_FORMAT,
	  "record 6 at byte 0xba: 1 byte(s) after the end record" },
	{ "second end", E_APPEND, 0, 12, TORN_E_FORMAT,
	  "record 6 at byte 0xba: 12 byte(s) after the end record" },
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_corrupt(void **state)
{
	struct torn_trace *base = parse_ok(base_text);
	uint8_t *bin, *buf;
	size_t len, i;

	assert_int_equal(torn_trace_encode(base, &bin, &len), 0);
	assert_int_equal(len, BASE_LEN);
	buf = malloc(len + 64);
	for (i = 0; i < ARRAY_SIZE(corrupt_cases); i++) {
		const struct corrupt_case *c = &corrupt_cases[i];
		struct torn_err err = { .msg = "" };
		struct torn_trace *t = (struct torn_trace *)0x1;
		size_t n = len;
		const char *path;
		FILE *f;
		int ret;

		memcpy(buf, bin, len);
		switch (c->edit) {
		case E_NONE:
			break;
		case E_U8:
			put_le(buf + c->at, c->value, 1);
			break;
		case E_U32:
			put_le(buf + c->at, c->value, 4);
			break;
		case E_U64:
			put_le(buf + c->at, c->value, 8);
			break;
		case E_TRUNCATE:
			n = c->at;
			break;
		case E_APPEND:
			memset(buf + len, TORN_REC_END, c->value);
			n = len + c->value;
			break;
		}
		ret = torn_trace_load_buf(buf, n, &t, &err);
		if (ret != c->code || strcmp(err.msg, c->msg))
			fail_msg("case '%s': got %d '%s', want %d '%s'",
				 c->name, ret, err.msg, c->code, c->msg);
		assert_ptr_equal(t, (struct torn_trace *)0x1);

		/* The same through a file. */
		path = tmp_path("corrupt.torn");
		f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, n, f), n);
		assert_int_equal(fclose(f), 0);
		memset(err.msg, 0, sizeof(err.msg));
		ret = torn_trace_load(path, &t, &err);
		assert_int_equal(ret, c->code);
		assert_string_equal(err.msg, c->msg);
	}
	/* A NULL err is allowed. */
	{
		struct torn_trace *t = NULL;

		assert_int_equal(torn_trace_load_buf(bin, 3, &t, NULL),
				 TORN_E_TRUNCATED);
		assert_null(t);
	}
	free(buf);
	free(bin);
	torn_trace_free(base);
}

static void test_load_errors(void **state)
{
	struct torn_err err = { .msg = "" };
	struct torn_trace *t = NULL;

	assert_int_equal(torn_trace_load(tmp_path("missing.torn"), &t, &err),
			 -ENOENT);
	assert_string_equal(err.msg, "No such file or directory");
	assert_int_equal(torn_trace_load(tmpdir, &t, &err), -EISDIR);
	assert_string_equal(err.msg, "Is a directory");
	assert_null(t);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * What is not a trace is refused before it is read: a FIFO (no writer:
 * it would hang), /dev/zero (it never ends), 2 GB after a bad magic or
 * another version.  Each in well under a second.
 */
static void test_load_fast_refusal(void **state)
{
	static const struct {
		const char *name; /* NULL: path is absolute */
		const char *path;
		const char *head; /* NULL: a FIFO */
		size_t head_len;
		int ret;
		const char *msg;
	} cases[] = {
		{ "fifo.torn", NULL, NULL, 0, TORN_E_FORMAT,
		  "not a regular file (a FIFO), not a torn trace" },
		{ NULL, "/dev/zero", NULL, 0, TORN_E_FORMAT,
		  "not a regular file (a character device), not a torn trace" },
		{ "zeros.torn", NULL, "", 0, TORN_E_FORMAT,
		  "bad magic, not a torn trace" },
		{ "elf.torn", NULL,
		  "\x7f"
		  "ELF\2\1\1\0",
		  8, TORN_E_FORMAT, "bad magic, not a torn trace" },
		{ "v9.torn", NULL, "TORNTRC\0\x09\0\0\0", 12, TORN_E_VERSION,
		  "trace version 9 is not the supported version 1" },
	};
	struct torn_err err = { .msg = "" };
	struct torn_trace *t = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path =
			cases[i].name ? tmp_path(cases[i].name) : cases[i].path;
		double t0;
		FILE *f;

		print_message("%s\n", path);
		if (cases[i].name && !cases[i].head) {
			assert_int_equal(mkfifo(path, 0600), 0);
		} else if (cases[i].name) {
			f = fopen(path, "w");
			assert_non_null(f);
			assert_int_equal(
				fwrite(cases[i].head, 1, cases[i].head_len, f),
				cases[i].head_len);
			assert_int_equal(fclose(f), 0);
			/* 2 GB more, sparse: reading it all takes seconds */
			assert_int_equal(truncate(path, 2LL << 30), 0);
		} else if (access(path, R_OK)) {
			continue;
		}
		t0 = now_s();
		assert_int_equal(torn_trace_load(path, &t, &err), cases[i].ret);
		assert_true(now_s() - t0 < 1.0);
		assert_string_equal(err.msg, cases[i].msg);
		assert_null(t);
		if (cases[i].name)
			unlink(path);
	}
}

/* ---- text parse errors ----------------------------------------------- */

static const struct {
	const char *text;
	const char *msg;
} parse_error_cases[] = {
	{ "store 0x1000 0 00\n", "line 1: store size 0 outside 1..64" },
	{ "\n\nstore 0x1000 65 *00\n", "line 3: store size 65 outside 1..64" },
	{ "# c\nfoo 1\n", "line 2: unknown record kind 'foo'" },
	{ "store 0x3fffffc 8 *00\n",
	  "line 1: store of 8 bytes at offset 0x3fffffc beyond pm size "
	  "0x4000000" },
	{ "header pm_size=0x40\nflush clwb 0x40\n",
	  "line 2: flush offset 0x40 beyond pm size 0x40" },
	{ "mark 1 2 \"abc\n", "line 1: string without a closing quote" },
	{ "mark 1 2 \"a\\qb\"\n", "line 1: unknown escape in string" },
	{ "mark 1 2 \"\\x4\"\n", "line 1: \\x needs two hex digits" },
	{ "mark 1 2 \"a\" \"b\"\n", "line 1: more than one string" },
	{ "mark 1 2 \"a\"b\n", "line 1: junk after a closing quote" },
	{ "mark 4294967296 0\n", "line 1: mark id '4294967296' is too large" },
	{ "mark 1\n", "line 1: too few fields, expected ID ARG [\"TEXT\"]" },
	{ "fence\n", "line 1: too few fields, expected KIND" },
	{ "fence x\n", "line 1: unknown fence kind 'x'" },
	{ "fence sfence pc=1 pc=2\n", "line 1: unexpected field 'pc=2'" },
	{ "fence sfence kernel kernel\n", "line 1: unexpected field 'kernel'" },
	{ "fence sfence user\n", "line 1: unexpected field 'user'" },
	{ "mark 1 2 pc=0x10\n", "line 1: unexpected field 'pc=0x10'" },
	{ "fence sfence pc=0x\n", "line 1: pc '0x' is not a number" },
	{ "flush clwb\n", "line 1: too few fields, expected KIND OFFSET" },
	{ "flush clwbx 0x0\n", "line 1: unknown flush kind 'clwbx'" },
	{ "flush clwb va=1\n", "line 1: offset 'va=1' is not a number" },
	{ "unresolved clwb 0x10\n", "line 1: expected va=ADDRESS, not '0x10'" },
	{ "store 1 2 0g00\n", "line 1: value '0g00' is not hex bytes or *XX" },
	{ "store 1 2 000\n", "line 1: value has 3 hex digits, size 2 needs 4" },
	{ "store -1 2 0000\n", "line 1: offset '-1' is not a number" },
	{ "store 18446744073709551616 1 00\n",
	  "line 1: offset '18446744073709551616' is not a number" },
	{ "store 1 2 \"ab\"\n", "line 1: value 'ab' is not hex bytes or *XX" },
	{ "header pm_size=0x41\n",
	  "line 1: header: pm size 0x41 is not a positive multiple of 64" },
	{ "header pm_base=0x1\n",
	  "line 1: header: pm base 0x1 is not 64-byte aligned" },
	{ "header features=clwb,avx\n", "line 1: unknown feature 'avx'" },
	{ "header flags=pc,,\n", "line 1: unknown flag ''" },
	{ "header line_size=64\n",
	  "line 1: unknown header field 'line_size=64'" },
	{ "header flags=pc flags=pc\n",
	  "line 1: header field 'flags=pc' given twice" },
	{ "fence sfence\nheader\n",
	  "line 2: the header line must come first, and only once" },
	{ "header\nheader\n",
	  "line 2: the header line must come first, and only once" },
	{ "fence a b c d e f g h i\n", "line 1: too many fields" },
	{ "mark 1 2 \""
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	  "\"\n",
	  "line 1: mark text longer than 255 bytes" },
};

static void test_parse_errors(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(parse_error_cases); i++) {
		struct torn_err err = { .msg = "" };
		struct torn_trace *t = NULL;
		int ret;

		ret = torn_trace_parse_text(parse_error_cases[i].text, &t,
					    &err);
		if (ret != TORN_E_FORMAT ||
		    strcmp(err.msg, parse_error_cases[i].msg))
			fail_msg("case %zu: got %d '%s', want '%s'", i, ret,
				 err.msg, parse_error_cases[i].msg);
		assert_null(t);
	}
}

/* ---- in-memory append ------------------------------------------------ */

static const uint8_t eight[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static const struct {
	struct torn_record rec;
	const char *msg;
} append_error_cases[] = {
	{ { .kind = 0 }, "record 0: unknown record kind 0" },
	{ { .kind = TORN_REC_END }, "record 0: unknown record kind 7" },
	{ { .kind = 200 }, "record 0: unknown record kind 200" },
	{ { .kind = TORN_REC_STORE, .size = 8 },
	  "record 0: store has no value bytes" },
	{ { .kind = TORN_REC_STORE, .size = 0, .data = eight },
	  "record 0: store size 0 outside 1..64" },
	{ { .kind = TORN_REC_NT_STORE,
	    .size = 8,
	    .data = eight,
	    .offset = 0x3fffff9 },
	  "record 0: nt_store of 8 bytes at offset 0x3fffff9 beyond pm size "
	  "0x4000000" },
	{ { .kind = TORN_REC_STORE, .size = 8, .data = eight, .flags = 0x80 },
	  "record 0: store has unknown flag bits 0x80" },
	{ { .kind = TORN_REC_FLUSH,
	    .sub = TORN_FLUSH_CLWB,
	    .offset = 0x4000000 },
	  "record 0: flush offset 0x4000000 beyond pm size 0x4000000" },
	{ { .kind = TORN_REC_FENCE, .sub = 0 },
	  "record 0: fence kind 0 is not a fence kind" },
	{ { .kind = TORN_REC_MARK, .size = 3 },
	  "record 0: mark has no text bytes" },
};

static void test_append(void **state)
{
	struct torn_trace_header hdr = {
		.pm_base = 0x100000000,
		.pm_size = 64 << 20,
		.line_size = TORN_LINE_SIZE,
	};
	struct torn_record rec;
	struct torn_trace *t;
	uint8_t value[8];
	size_t i;

	assert_int_equal(torn_trace_new(&t, &hdr), 0);
	for (i = 0; i < ARRAY_SIZE(append_error_cases); i++) {
		struct torn_err err = { .msg = "" };

		assert_int_equal(
			torn_trace_append(t, &append_error_cases[i].rec, &err),
			TORN_E_FORMAT);
		assert_string_equal(err.msg, append_error_cases[i].msg);
	}
	assert_int_equal(torn_trace_get_count(t), 0);

	/* Data is copied; unused fields are dropped; pointers survive. */
	memcpy(value, eight, sizeof(value));
	rec = (struct torn_record){ .kind = TORN_REC_STORE,
				    .size = 8,
				    .data = value,
				    .offset = 0x40,
				    .vaddr = 99,
				    .arg = 5,
				    .mark_id = 3 };
	assert_int_equal(torn_trace_append(t, &rec, NULL), 0);
	memset(value, 0, sizeof(value));
	rec = (struct torn_record){ .kind = TORN_REC_FENCE,
				    .size = 0,
				    .sub = TORN_FENCE_MFENCE,
				    .offset = 77,
				    .data = value };
	for (i = 0; i < 100000; i++)
		assert_int_equal(torn_trace_append(t, &rec, NULL), 0);
	assert_int_equal(torn_trace_get_count(t), 100001);
	assert_memory_equal(torn_trace_get_records(t)[0].data, eight, 8);
	assert_int_equal(torn_trace_get_records(t)[0].vaddr, 0);
	assert_int_equal(torn_trace_get_records(t)[0].arg, 0);
	assert_int_equal(torn_trace_get_records(t)[0].mark_id, 0);
	assert_int_equal(torn_trace_get_records(t)[1].offset, 0);
	assert_null(torn_trace_get_records(t)[1].data);
	torn_trace_free(t);
	torn_trace_free(NULL);

	/* Bad headers. */
	hdr.line_size = 32;
	assert_int_equal(torn_trace_new(&t, &hdr), TORN_E_RANGE);
	hdr.line_size = TORN_LINE_SIZE;
	hdr.pm_size = 100;
	assert_int_equal(torn_trace_new(&t, &hdr), TORN_E_RANGE);
	assert_int_equal(torn_trace_new(&t, NULL), 0);
	assert_int_equal(torn_trace_get_header(t)->pm_size, 64 << 20);
	assert_int_equal(torn_trace_get_header(t)->version, TORN_TRACE_VERSION);
	torn_trace_free(t);
}

/* ---- the writer ------------------------------------------------------ */

/* Record i of a long deterministic sequence (covers every kind). */
static void nth_record(size_t i, struct torn_record *rec, uint8_t *buf)
{
	size_t k;

	memset(rec, 0, sizeof(*rec));
	rec->pc = i * 3;
	rec->flags = i & 1;
	switch (i % 6) {
	case 0:
	case 1:
		rec->kind = i % 6 ? TORN_REC_NT_STORE : TORN_REC_STORE;
		rec->size = 1 + i % 64;
		rec->offset = (i * 64) % ((64 << 20) - 64);
		for (k = 0; k < rec->size; k++)
			buf[k] = (uint8_t)(i + k);
		rec->data = buf;
		break;
	case 2:
		rec->kind = TORN_REC_FLUSH;
		rec->sub = 1 + i % 3;
		rec->offset = i % (64 << 20);
		break;
	case 3:
		rec->kind = TORN_REC_UNRESOLVED;
		rec->sub = 1 + i % 3;
		rec->vaddr = i << 12;
		break;
	case 4:
		rec->kind = TORN_REC_FENCE;
		rec->sub = 1 + i % 5;
		break;
	case 5:
		rec->kind = TORN_REC_MARK;
		rec->pc = 0; /* marks carry no pc */
		rec->mark_id = (uint32_t)i;
		rec->arg = ~(uint64_t)i;
		rec->size = i % 256;
		for (k = 0; k < rec->size; k++)
			buf[k] = (uint8_t)(k * 7);
		rec->data = rec->size ? buf : NULL;
		break;
	}
}

static void test_writer(void **state)
{
	struct torn_trace_header hdr = {
		.pm_base = 0x100000000,
		.pm_size = 64 << 20,
		.line_size = TORN_LINE_SIZE,
		.flags = TORN_TRACE_F_PC,
		.cpu_features = TORN_CPU_CLWB,
	};
	const size_t n = 300000; /* well over the 4 MiB buffer */
	const char *path = tmp_path("writer.torn");
	struct torn_err err = { .msg = "" };
	const struct torn_record *recs;
	struct torn_trace_writer *w;
	struct torn_record rec, bad;
	struct torn_trace *t;
	uint8_t buf[256];
	struct stat st;
	size_t i;

	assert_int_equal(torn_trace_writer_new(&w, path, &hdr), 0);
	for (i = 0; i < n; i++) {
		nth_record(i, &rec, buf);
		assert_int_equal(torn_trace_writer_append(w, &rec), 0);
		if (i == 1000) {
			bad = rec;
			bad.kind = TORN_REC_END;
			assert_int_equal(torn_trace_writer_append(w, &bad),
					 TORN_E_RANGE);
		}
	}
	/* Flushed but not ended: a reader must call it cut short. */
	assert_int_equal(torn_trace_writer_flush(w), 0);
	assert_int_equal(torn_trace_load(path, &t, &err), TORN_E_TRUNCATED);
	assert_non_null(strstr(err.msg, "without an end record"));
	assert_int_equal(torn_trace_writer_close(w), 0);

	assert_int_equal(stat(path, &st), 0);
	if (torn_trace_load(path, &t, &err))
		fail_msg("load: %s", err.msg);
	assert_int_equal(torn_trace_get_count(t), n);
	assert_int_equal(torn_trace_get_header(t)->flags, TORN_TRACE_F_PC);
	assert_int_equal(torn_trace_get_header(t)->cpu_features, TORN_CPU_CLWB);
	recs = torn_trace_get_records(t);
	for (i = 0; i < n; i++) {
		nth_record(i, &rec, buf);
		assert_int_equal(recs[i].kind, rec.kind);
		assert_int_equal(recs[i].flags, rec.flags);
		assert_int_equal(recs[i].sub, rec.sub);
		assert_int_equal(recs[i].size, rec.size);
		assert_int_equal(recs[i].offset, rec.offset);
		assert_int_equal(recs[i].vaddr, rec.vaddr);
		assert_int_equal(recs[i].arg, rec.arg);
		assert_int_equal(recs[i].mark_id, rec.mark_id);
		assert_int_equal(recs[i].pc, rec.pc);
		if (rec.size)
			assert_memory_equal(recs[i].data, buf, rec.size);
	}
	torn_trace_free(t);

	/* An empty trace is a header and an END. */
	assert_int_equal(torn_trace_writer_new(&w, path, &hdr), 0);
	assert_int_equal(torn_trace_writer_close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 64 + 12);
	assert_int_equal(torn_trace_load(path, &t, &err), 0);
	assert_int_equal(torn_trace_get_count(t), 0);
	torn_trace_free(t);
	assert_int_equal(torn_trace_writer_close(NULL), 0);

	assert_int_equal(torn_trace_writer_new(&w, tmp_path("no/such"), &hdr),
			 -ENOENT);
	hdr.pm_size = 0;
	assert_int_equal(torn_trace_writer_new(&w, path, &hdr), TORN_E_RANGE);
}

/* ---- statistics and names -------------------------------------------- */

static void test_stats(void **state)
{
	/* A small NVDIMM counts lines in a bitmap, a huge one by sorting. */
	static const char *const headers[] = {
		"header pm_size=0x4000000\n",
		"header pm_size=0x100000000000\n",
	};
	static const char records[] =
		"store 0x3c 8 *01 kernel\n" /* lines 0 and 1 */
		"store 0x40 1 02\n" /* line 1 again */
		"nt_store 0x1000 64 *03\n" /* line 0x40 */
		"store 0x3c 4 04050607 kernel\n"
		"flush clwb 0x0\n"
		"flush clwb 0x40\n"
		"flush clflush 0x40\n"
		"unresolved clflushopt va=0x10\n"
		"fence sfence\n"
		"fence wbinvd\n"
		"fence wbinvd\n"
		"mark 1 0\n";
	struct torn_trace_stats st;
	struct torn_trace *t;
	char text[1024];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(headers); i++) {
		snprintf(text, sizeof(text), "%s%s", headers[i], records);
		t = parse_ok(text);
		assert_int_equal(torn_trace_get_stats(t, &st), 0);
		assert_int_equal(st.records[TORN_REC_STORE], 3);
		assert_int_equal(st.records[TORN_REC_NT_STORE], 1);
		assert_int_equal(st.records[TORN_REC_FLUSH], 3);
		assert_int_equal(st.records[TORN_REC_UNRESOLVED], 1);
		assert_int_equal(st.records[TORN_REC_FENCE], 3);
		assert_int_equal(st.records[TORN_REC_MARK], 1);
		assert_int_equal(st.records[TORN_REC_END], 0);
		assert_int_equal(st.flushes[TORN_FLUSH_CLWB], 2);
		assert_int_equal(st.flushes[TORN_FLUSH_CLFLUSH], 1);
		assert_int_equal(st.flushes[TORN_FLUSH_CLFLUSHOPT], 0);
		assert_int_equal(st.fences[TORN_FENCE_SFENCE], 1);
		assert_int_equal(st.fences[TORN_FENCE_WBINVD], 2);
		assert_int_equal(st.bytes_stored, 8 + 1 + 64 + 4);
		assert_int_equal(st.kernel_stores, 2);
		assert_int_equal(st.lines_touched, 3);
		torn_trace_free(t);

		t = parse_ok(headers[i]);
		assert_int_equal(torn_trace_get_stats(t, &st), 0);
		assert_int_equal(st.lines_touched, 0);
		torn_trace_free(t);
	}
}

static void test_names(void **state)
{
	static const struct {
		const char *(*fn)(int);
		int kind;
		const char *name;
	} cases[] = {
		{ torn_record_kind_name, TORN_REC_STORE, "store" },
		{ torn_record_kind_name, TORN_REC_NT_STORE, "nt_store" },
		{ torn_record_kind_name, TORN_REC_FLUSH, "flush" },
		{ torn_record_kind_name, TORN_REC_FENCE, "fence" },
		{ torn_record_kind_name, TORN_REC_MARK, "mark" },
		{ torn_record_kind_name, TORN_REC_UNRESOLVED, "unresolved" },
		{ torn_record_kind_name, TORN_REC_END, "end" },
		{ torn_record_kind_name, 0, "?" },
		{ torn_record_kind_name, 8, "?" },
		{ torn_record_kind_name, -1, "?" },
		{ torn_flush_kind_name, TORN_FLUSH_CLFLUSH, "clflush" },
		{ torn_flush_kind_name, TORN_FLUSH_CLFLUSHOPT, "clflushopt" },
		{ torn_flush_kind_name, TORN_FLUSH_CLWB, "clwb" },
		{ torn_flush_kind_name, 0, "?" },
		{ torn_flush_kind_name, 4, "?" },
		{ torn_fence_kind_name, TORN_FENCE_SFENCE, "sfence" },
		{ torn_fence_kind_name, TORN_FENCE_MFENCE, "mfence" },
		{ torn_fence_kind_name, TORN_FENCE_LOCKED, "locked" },
		{ torn_fence_kind_name, TORN_FENCE_SERIALIZING, "serializing" },
		{ torn_fence_kind_name, TORN_FENCE_WBINVD, "wbinvd" },
		{ torn_fence_kind_name, 6, "?" },
		{ torn_fence_kind_name, 1000, "?" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		assert_string_equal(cases[i].fn(cases[i].kind), cases[i].name);
}

static void test_record_write_text(void **state)
{
	struct torn_trace *t = parse_ok("mark 3 7 \"x\" kernel\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n;

	n = torn_record_write_text(&torn_trace_get_records(t)[0], f);
	fclose(f);
	assert_string_equal(buf, "mark 3 7 \"x\" kernel");
	assert_int_equal(n, strlen(buf));
	free(buf);
	torn_trace_free(t);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const names[] = { "round.torn", "corrupt.torn",
					     "writer.torn" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		unlink(tmp_path(names[i]));
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_binary_text_binary),
		cmocka_unit_test(test_binary_round_trip),
		cmocka_unit_test(test_text_normalize),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_fast_refusal),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_record_write_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
