/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON reader (lib/json): valid documents, malformed and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

struct parse_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	int ret; /* 0, TORN_E_FORMAT or TORN_E_TRUNCATED */
	int type; /* of the root when ret is 0 */
	const char *msg; /* a piece of the error message */
};

#define L(s) s, sizeof(s) - 1

static const struct parse_case parse_cases[] = {
	/* valid */
	{ "null", 0, 0, TORN_JSON_NULL, NULL },
	{ " true ", 0, 0, TORN_JSON_BOOL, NULL },
	{ "false", 0, 0, TORN_JSON_BOOL, NULL },
	{ "0", 0, 0, TORN_JSON_NUMBER, NULL },
	{ "-0.5e+3", 0, 0, TORN_JSON_NUMBER, NULL },
	{ "18446744073709551615", 0, 0, TORN_JSON_NUMBER, NULL },
	{ "\"\"", 0, 0, TORN_JSON_STRING, NULL },
	{ "[]", 0, 0, TORN_JSON_ARRAY, NULL },
	{ "[1, [2, [3]], {}]", 0, 0, TORN_JSON_ARRAY, NULL },
	{ "{}", 0, 0, TORN_JSON_OBJECT, NULL },
	{ "\t{\"a\" : 1 ,\r\n \"b\":[true,null]}\n", 0, 0, TORN_JSON_OBJECT,
	  NULL },
	/* malformed */
	{ "", 0, TORN_E_TRUNCATED, 0, "byte 0: input ends inside a value" },
	{ "   ", 0, TORN_E_TRUNCATED, 0, "inside a value" },
	{ "nul", 0, TORN_E_TRUNCATED, 0, "inside a literal" },
	{ "nulx", 0, TORN_E_FORMAT, 0, "unexpected character" },
	{ "True", 0, TORN_E_FORMAT, 0, "byte 0: unexpected character" },
	{ "NaN", 0, TORN_E_FORMAT, 0, "unexpected character" },
	{ "'a'", 0, TORN_E_FORMAT, 0, "unexpected character" },
	{ "01", 0, TORN_E_FORMAT, 0, "leading zero" },
	{ "-", 0, TORN_E_TRUNCATED, 0, "inside a number" },
	{ "-x", 0, TORN_E_FORMAT, 0, "needs a digit" },
	{ "1.", 0, TORN_E_TRUNCATED, 0, "inside a number" },
	{ "1.e5", 0, TORN_E_FORMAT, 0, "must follow '.'" },
	{ "1e", 0, TORN_E_TRUNCATED, 0, "inside a number" },
	{ "1e+x", 0, TORN_E_FORMAT, 0, "must follow the exponent" },
	{ "1e999", 0, TORN_E_FORMAT, 0, "out of range" },
	{ "+1", 0, TORN_E_FORMAT, 0, "unexpected character" },
	{ "1 2", 0, TORN_E_FORMAT, 0, "byte 2: text after the value" },
	{ "{} x", 0, TORN_E_FORMAT, 0, "text after the value" },
	{ "\"abc", 0, TORN_E_TRUNCATED, 0, "inside a string" },
	{ "\"ab\\\"", 0, TORN_E_TRUNCATED, 0, "inside a string" },
	{ "\"a\\", 0, TORN_E_TRUNCATED, 0, "inside a string" },
	{ "\"a\tb\"", 0, TORN_E_FORMAT, 0, "control character" },
	{ "\"a\nb\"", 0, TORN_E_FORMAT, 0, "control character" },
	{ "\"\\x41\"", 0, TORN_E_FORMAT, 0, "unknown escape" },
	{ "\"\\u12\"", 0, TORN_E_FORMAT, 0, "four hex digits" },
	{ "\"\\u12g4\"", 0, TORN_E_FORMAT, 0, "four hex digits" },
	{ "[1,]", 0, TORN_E_FORMAT, 0, "unexpected character" },
	{ "[1 2]", 0, TORN_E_FORMAT, 0, "expected ',' or ']'" },
	{ "[1", 0, TORN_E_TRUNCATED, 0, "inside an array" },
	{ "[", 0, TORN_E_TRUNCATED, 0, "inside an array" },
	{ "{\"a\":1,}", 0, TORN_E_FORMAT, 0, "expected a string key" },
	{ "{a:1}", 0, TORN_E_FORMAT, 0, "expected a string key" },
	{ "{\"a\" 1}", 0, TORN_E_FORMAT, 0, "expected ':'" },
	{ "{\"a\":1 \"b\":2}", 0, TORN_E_FORMAT, 0, "expected ',' or '}'" },
	{ "{\"a\":", 0, TORN_E_TRUNCATED, 0, "inside a value" },
	{ "{\"a\"", 0, TORN_E_TRUNCATED, 0, "inside an object" },
	{ "{\"state\":\"12.prefix.3\",\"verd", 0, TORN_E_TRUNCATED, 0,
	  "inside a string" },
	{ "/* c */ 1", 0, TORN_E_FORMAT, 0, "unexpected character" },
	/* a NUL byte outside a string is not whitespace */
	{ L("1\0"), TORN_E_FORMAT, 0, "text after the value" },
	{ L("\"a\0b\""), TORN_E_FORMAT, 0, "control character" },
};

static void test_parse_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		struct torn_err err = { "" };
		struct torn_json *v = NULL;
		int ret = torn_json_parse(c->text, len, &v, &err);

		print_message("case %zu: '%s'\n", i, c->text);
		assert_int_equal(ret, c->ret);
		if (ret) {
			assert_null(v);
			assert_non_null(strstr(err.msg, c->msg));
			continue;
		}
		assert_int_equal(torn_json_get_type(v), c->type);
		torn_json_free(v);
	}
}

struct string_case {
	const char *text;
	const char *want;
	size_t want_len;
};

static const struct string_case string_cases[] = {
	{ "\"plain\"", L("plain") },
	{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", L("\"\\/\b\f\n\r\t") },
	{ "\"\\u0041\\u00e9\\u20ac\"", L("A\xc3\xa9\xe2\x82\xac") },
	{ "\"\\ud83d\\ude00\"", L("\xf0\x9f\x98\x80") }, /* a pair */
	{ "\"\\ud800x\"", L("\xef\xbf\xbdx") }, /* lone high surrogate */
	{ "\"\\udc00\"", L("\xef\xbf\xbd") }, /* lone low surrogate */
	{ "\"\\ud800\\u0041\"", L("\xef\xbf\xbd"
				  "A") },
	{ "\"a\\u0000b\"", L("a\0b") }, /* NUL kept, with the length */
	{ "\"\xff\xfe raw\"", L("\xff\xfe raw") }, /* raw bytes pass */
	{ "\"<script>\"", L("<script>") },
};

static void test_strings(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		const struct string_case *c = &string_cases[i];
		struct torn_json *v = NULL;
		const char *s;
		size_t len;

		print_message("string %zu: %s\n", i, c->text);
		assert_int_equal(
			torn_json_parse(c->text, strlen(c->text), &v, NULL), 0);
		s = torn_json_get_string(v, &len);
		assert_non_null(s);
		assert_int_equal(len, c->want_len);
		assert_memory_equal(s, c->want, len);
		assert_int_equal(s[len], '\0');
		torn_json_free(v);
	}
}

struct number_case {
	const char *text;
	int is_uint;
	uint64_t u;
	int is_int;
	int64_t i;
	double d;
};

static const struct number_case number_cases[] = {
	{ "0", 1, 0, 1, 0, 0 },
	{ "42", 1, 42, 1, 42, 42 },
	{ "-7", 0, 0, 1, -7, -7 },
	{ "9223372036854775807", 1, INT64_MAX, 1, INT64_MAX,
	  9223372036854775807.0 },
	{ "9223372036854775808", 1, 9223372036854775808ULL, 0, 0,
	  9223372036854775808.0 },
	{ "18446744073709551615", 1, UINT64_MAX, 0, 0, 18446744073709551615.0 },
	{ "18446744073709551616", 0, 0, 0, 0, 18446744073709551616.0 },
	{ "-9223372036854775808", 0, 0, 1, INT64_MIN, -9223372036854775808.0 },
	{ "-9223372036854775809", 0, 0, 0, 0, -9223372036854775809.0 },
	{ "1.5", 0, 0, 0, 0, 1.5 },
	{ "1e2", 0, 0, 0, 0, 100 },
};

static void test_numbers(void **state)
{
	size_t k;

	for (k = 0; k < sizeof(number_cases) / sizeof(number_cases[0]); k++) {
		const struct number_case *c = &number_cases[k];
		struct torn_json *v = NULL;
		uint64_t u = 12345;
		int64_t i = 12345;
		double d;

		print_message("number %s\n", c->text);
		assert_int_equal(
			torn_json_parse(c->text, strlen(c->text), &v, NULL), 0);
		assert_int_equal(torn_json_get_uint64(v, &u),
				 c->is_uint ? 0 : -1);
		if (c->is_uint)
			assert_true(u == c->u);
		assert_int_equal(torn_json_get_int64(v, &i),
				 c->is_int ? 0 : -1);
		if (c->is_int)
			assert_true(i == c->i);
		assert_int_equal(torn_json_get_double(v, &d), 0);
		assert_true(d == c->d);
		torn_json_free(v);
	}
}

/* TORN_JSON_DEPTH_MAX levels of nesting parse, one more does not. */
static void test_depth(void **state)
{
	char text[2 * TORN_JSON_DEPTH_MAX + 8];
	struct torn_err err = { "" };
	struct torn_json *v = NULL;
	int levels;

	for (levels = TORN_JSON_DEPTH_MAX; levels <= TORN_JSON_DEPTH_MAX + 1;
	     levels++) {
		memset(text, '[', levels);
		memset(text + levels, ']', levels);
		assert_int_equal(torn_json_parse(text, 2 * levels, &v, &err),
				 levels > TORN_JSON_DEPTH_MAX ? TORN_E_FORMAT
							      : 0);
		if (levels > TORN_JSON_DEPTH_MAX)
			assert_non_null(strstr(err.msg, "nested too deeply"));
		torn_json_free(v);
		v = NULL;
	}
}

/* A verdict line as torn check writes it, read member by member. */
static void test_verdict_object(void **state)
{
	static const char line[] =
		"{\"state\":\"412.subsets:2.3\",\"point\":412,\"engine\":"
		"\"subsets:2\","
		"\"index\":3,\"verdict\":\"inconsistent\",\"failed\":["
		"\"durability\"],"
		"\"oracles\":{\"mount\":{\"ok\":true},\"durability\":{\"ok\":"
		"false,"
		"\"detail\":\"./a: expected f, found absent\"}},"
		"\"markers\":{\"last_op_begin\":3,\"last_op_end\":2,\"last_"
		"durable\":1},"
		"\"ms\":{\"restore\":4,\"check\":380},\"attempts\":1,"
		"\"checker\":0,"
		"\"state\":\"dup\"}";
	const struct torn_json *o, *failed;
	struct torn_json *v = NULL;
	uint64_t u;
	bool b;
	size_t len;

	assert_int_equal(torn_json_parse(line, strlen(line), &v, NULL), 0);
	assert_int_equal(torn_json_get_type(v), TORN_JSON_OBJECT);
	/* the first of a repeated key */
	assert_string_equal(torn_json_get_member_string(v, "state", &len),
			    "412.subsets:2.3");
	assert_int_equal(len, 15);
	assert_int_equal(torn_json_get_member_uint64(v, "point", &u), 0);
	assert_true(u == 412);
	assert_null(torn_json_get(v, "absent"));
	assert_null(torn_json_get_member_string(v, "point", NULL));
	assert_int_equal(torn_json_get_member_uint64(v, "state", &u), -1);
	failed = torn_json_get(v, "failed");
	assert_int_equal(torn_json_get_count(failed), 1);
	assert_string_equal(
		torn_json_get_string(torn_json_get_at(failed, 0), NULL),
		"durability");
	assert_null(torn_json_get_at(failed, 1));
	assert_null(torn_json_get_key_at(failed, 0));
	o = torn_json_get(v, "oracles");
	assert_int_equal(torn_json_get_count(o), 2);
	assert_string_equal(torn_json_get_key_at(o, 1), "durability");
	assert_int_equal(
		torn_json_get_bool(torn_json_get(torn_json_get_at(o, 1), "ok"),
				   &b),
		0);
	assert_false(b);
	assert_int_equal(torn_json_get_bool(torn_json_get(v, "point"), &b), -1);
	assert_int_equal(torn_json_get_count(v), 12);
	/* NULLs are safe everywhere */
	assert_int_equal(torn_json_get_type(NULL), 0);
	assert_null(torn_json_get(NULL, "a"));
	assert_int_equal(torn_json_get_count(NULL), 0);
	torn_json_free(NULL);
	torn_json_free(v);
}

/*
 * Every prefix of a valid line, and every single-byte corruption of it,
 * parses or fails cleanly (run under the sanitizers in CI builds).
 */
static void test_mutations(void **state)
{
	static const char line[] =
		"{\"state\":\"1.prefix.0\",\"a\":[1,-2.5e3,true,null,"
		"\"\\u00e9\\ud83d\\ude00\"],"
		"\"o\":{\"k\":{\"ok\":false,\"detail\":\"x\\n\\\"y\\\"\"}}}";
	static const char bytes[] = "{}[]\",:\\0-eE.+tfnu \x01\x80\xff";
	size_t n = strlen(line), i, j, ok = 0;

	for (i = 0; i <= n; i++) {
		struct torn_json *v = NULL;
		char *copy = malloc(i ? i : 1);

		memcpy(copy, line, i);
		if (!torn_json_parse(copy, i, &v, NULL)) {
			ok++;
			torn_json_free(v);
		}
		free(copy);
	}
	assert_int_equal(ok, 1); /* only the whole line */
	for (i = 0; i < n; i++)
		for (j = 0; j < sizeof(bytes) - 1; j++) {
			char copy[sizeof(line)];
			struct torn_json *v = NULL;

			memcpy(copy, line, n);
			copy[i] = bytes[j];
			if (!torn_json_parse(copy, n, &v, NULL))
				torn_json_free(v);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_verdict_object),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
