/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn_quote(): what a terminal is shown of untrusted names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "torn_quote.h"

static void test_quote(void **state)
{
	static const struct {
		const char *in;
		size_t len; /* 0: strlen */
		size_t size;
		const char *out;
	} cases[] = {
		{ "run/trace.torn", 0, 64, "run/trace.torn" },
		{ "a\033[2Jb", 0, 64, "a\\x1b[2Jb" },
		{ "line\nfake: ok\r", 0, 64, "line\\x0afake: ok\\x0d" },
		{ "tab\there\x7f", 0, 64, "tab\\x09here\\x7f" },
		{ "back\\slash", 0, 64, "back\\\\slash" },
		{ "caf\xc3\xa9 \xe2\x82\xac", 0, 64,
		  "caf\xc3\xa9 \xe2\x82\xac" },
		{ "\xff\xfe", 0, 64, "\\xff\\xfe" },
		{ "\xc2\x9b"
		  "2J",
		  0, 64, "\\xc2\\x9b2J" }, /* C1 CSI */
		{ "\xc0\xaf", 0, 64, "\\xc0\\xaf" }, /* overlong '/' */
		{ "\xed\xa0\x80", 0, 64, "\\xed\\xa0\\x80" }, /* surrogate */
		{ "\xe2\x82", 0, 64, "\\xe2\\x82" }, /* cut short */
		{ "a\0b", 3, 64, "a\\x00b" },
		{ "", 0, 64, "" },
		/* cut: "..." at a boundary, never half an escape */
		{ "abcdefghij", 0, 8, "abcd..." },
		{ "abcdefg", 0, 8, "abcdefg" },
		{ "abc\033defg", 0, 8, "abc..." },
		{ "ab\xc3\xa9\xc3\xa9\xc3\xa9", 0, 8, "ab\xc3\xa9..." },
		{ "abcdef", 0, 4, "..." },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

		print_message("case %zu\n", i);
		assert_ptr_equal(
			torn_quote_mem(cases[i].in, len, buf, cases[i].size),
			buf);
		assert_string_equal(buf, cases[i].out);
		assert_true(strlen(buf) < cases[i].size);
	}
}

static void test_quote_null(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(torn_quote(NULL, buf, sizeof(buf)), "(null)");
	assert_string_equal(torn_quote("x\033", buf, sizeof(buf)), "x\\x1b");
	buf[0] = 'z';
	torn_quote("abc", buf, 2);
	assert_int_equal(buf[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_quote_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
