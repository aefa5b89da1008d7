/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON writer: exact output, misuse, round trips via the reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"

#define L(s) s, sizeof(s) - 1

/*
 * A document as a string of writer calls: { } [ ] begin and end, k the
 * key "k", s the string "s", 1 the number 1, - the number -1, t true,
 * f false, n null.
 */
static int write_ops(struct torn_json_writer *w, const char *ops)
{
	int ret = 0;

	for (; *ops; ops++) {
		switch (*ops) {
		case '{':
			ret = torn_json_write_begin_object(w);
			break;
		case '}':
			ret = torn_json_write_end_object(w);
			break;
		case '[':
			ret = torn_json_write_begin_array(w);
			break;
		case ']':
			ret = torn_json_write_end_array(w);
			break;
		case 'k':
			ret = torn_json_write_key(w, "k");
			break;
		case 's':
			ret = torn_json_write_str(w, "s");
			break;
		case '1':
			ret = torn_json_write_uint64(w, 1);
			break;
		case '-':
			ret = torn_json_write_int64(w, -1);
			break;
		case 't':
			ret = torn_json_write_bool(w, true);
			break;
		case 'f':
			ret = torn_json_write_bool(w, false);
			break;
		case 'n':
			ret = torn_json_write_null(w);
			break;
		default:
			fail_msg("bad op '%c'", *ops);
		}
	}
	return ret;
}

struct doc_case {
	const char *ops;
	int ret; /* of torn_json_writer_take */
	const char *compact; /* when ret is 0 */
	const char *pretty;
};

static const struct doc_case doc_cases[] = {
	{ "1", 0, "1", "1\n" },
	{ "s", 0, "\"s\"", "\"s\"\n" },
	{ "{}", 0, "{}", "{}\n" },
	{ "[]", 0, "[]", "[]\n" },
	{ "{k1ks}", 0, "{\"k\":1,\"k\":\"s\"}",
	  "{\n  \"k\": 1,\n  \"k\": \"s\"\n}\n" },
	{ "[1[t[n]]{}-f]", 0, "[1,[true,[null]],{},-1,false]",
	  "[\n  1,\n  [\n    true,\n    [\n      null\n    ]\n  ],\n  {},\n"
	  "  -1,\n  false\n]\n" },
	{ "{k[]k{}k{k[s]}}", 0, "{\"k\":[],\"k\":{},\"k\":{\"k\":[\"s\"]}}",
	  "{\n  \"k\": [],\n  \"k\": {},\n  \"k\": {\n    \"k\": [\n"
	  "      \"s\"\n    ]\n  }\n}\n" },
	/* misuse */
	{ "", TORN_E_USAGE, NULL, NULL }, /* nothing */
	{ "{", TORN_E_USAGE, NULL, NULL }, /* still open */
	{ "[1", TORN_E_USAGE, NULL, NULL },
	{ "{1}", TORN_E_USAGE, NULL, NULL }, /* a value, no key */
	{ "[k1]", TORN_E_USAGE, NULL, NULL }, /* a key in an array */
	{ "k", TORN_E_USAGE, NULL, NULL }, /* a key at the top */
	{ "{k}", TORN_E_USAGE, NULL, NULL }, /* a key, no value */
	{ "{kk1}", TORN_E_USAGE, NULL, NULL },
	{ "11", TORN_E_USAGE, NULL, NULL }, /* two documents */
	{ "{}[]", TORN_E_USAGE, NULL, NULL },
	{ "]", TORN_E_USAGE, NULL, NULL },
	{ "{]", TORN_E_USAGE, NULL, NULL },
	{ "[}", TORN_E_USAGE, NULL, NULL },
};

static void test_documents(void **state)
{
	size_t i;
	int pretty;

	for (i = 0; i < sizeof(doc_cases) / sizeof(doc_cases[0]); i++)
		for (pretty = 0; pretty < 2; pretty++) {
			const struct doc_case *c = &doc_cases[i];
			const char *want = pretty ? c->pretty : c->compact;
			struct torn_json_writer *w = NULL;
			struct torn_json *v = NULL;
			char *out = (char *)"unset";
			size_t len = 0;

			print_message("case %zu '%s' %s\n", i, c->ops,
				      pretty ? "pretty" : "compact");
			assert_int_equal(
				torn_json_writer_new(
					&w, pretty ? TORN_JSON_PRETTY : 0),
				0);
			write_ops(w, c->ops);
			assert_int_equal(torn_json_writer_take(w, &out, &len),
					 c->ret);
			if (c->ret) {
				assert_null(out);
			} else {
				assert_string_equal(out, want);
				assert_int_equal(len, strlen(want));
				/* and the reader takes it */
				assert_int_equal(
					torn_json_parse(out, len, &v, NULL), 0);
				torn_json_free(v);
			}
			free(out);
			/* the writer is empty again, error or not */
			assert_int_equal(torn_json_write_null(w), 0);
			assert_int_equal(torn_json_writer_take(w, &out, &len),
					 0);
			assert_string_equal(out, pretty ? "null\n" : "null");
			free(out);
			torn_json_writer_free(w);
		}
	torn_json_writer_free(NULL);
}

/* The error is sticky: the calls after it return it and write nothing. */
static void test_sticky(void **state)
{
	struct torn_json_writer *w = NULL;
	char *out;

	assert_int_equal(torn_json_writer_new(&w, 0), 0);
	assert_int_equal(torn_json_write_begin_object(w), 0);
	assert_int_equal(torn_json_write_uint64(w, 1), TORN_E_USAGE);
	assert_int_equal(torn_json_write_key(w, "a"), TORN_E_USAGE);
	assert_int_equal(torn_json_write_uint64(w, 1), TORN_E_USAGE);
	assert_int_equal(torn_json_write_end_object(w), TORN_E_USAGE);
	assert_int_equal(torn_json_writer_take(w, &out, NULL), TORN_E_USAGE);
	assert_null(out);
	/* a NULL string with a length, a NULL key, a NULL str */
	assert_int_equal(torn_json_write_string(w, NULL, 1), TORN_E_USAGE);
	torn_json_writer_take(w, &out, NULL);
	assert_int_equal(torn_json_write_string(w, NULL, 0), 0);
	assert_int_equal(torn_json_writer_take(w, &out, NULL), 0);
	assert_string_equal(out, "\"\"");
	free(out);
	assert_int_equal(torn_json_write_str(w, NULL), TORN_E_USAGE);
	torn_json_writer_take(w, &out, NULL);
	assert_int_equal(torn_json_write_begin_object(w), 0);
	assert_int_equal(torn_json_write_key(w, NULL), TORN_E_USAGE);
	torn_json_writer_free(w);
}

/* TORN_JSON_DEPTH_MAX levels may be written (and read), not one more. */
static void test_depth(void **state)
{
	struct torn_json_writer *w = NULL;
	struct torn_json *v = NULL;
	char *out;
	size_t len;
	int i;

	assert_int_equal(torn_json_writer_new(&w, 0), 0);
	for (i = 0; i < TORN_JSON_DEPTH_MAX; i++)
		assert_int_equal(torn_json_write_begin_array(w), 0);
	assert_int_equal(torn_json_write_begin_array(w), TORN_E_USAGE);
	torn_json_writer_take(w, &out, NULL);
	for (i = 0; i < TORN_JSON_DEPTH_MAX; i++)
		torn_json_write_begin_array(w);
	for (i = 0; i < TORN_JSON_DEPTH_MAX; i++)
		torn_json_write_end_array(w);
	assert_int_equal(torn_json_writer_take(w, &out, &len), 0);
	assert_int_equal(len, 2 * TORN_JSON_DEPTH_MAX);
	assert_int_equal(torn_json_parse(out, len, &v, NULL), 0);
	torn_json_free(v);
	free(out);
	torn_json_writer_free(w);
}

struct string_case {
	const char *s;
	size_t len;
	const char *json; /* what the writer makes of it */
	bool latin1; /* not UTF-8: read back as other bytes */
};

static const struct string_case string_cases[] = {
	{ L(""), "\"\"", false },
	{ L("plain text"), "\"plain text\"", false },
	{ L("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"", false },
	{ L("\n\t"), "\"\\n\\t\"", false },
	{ L("\x01\x1f\r\b\f"), "\"\\u0001\\u001f\\u000d\\u0008\\u000c\"",
	  false },
	{ L("a\0b\0"), "\"a\\u0000b\\u0000\"", false },
	/* DEL and UTF-8 as they are; bytes that are not UTF-8 escaped */
	{ L("\x7f\x80\xff\xc3\xa9"), "\"\x7f\\u0080\\u00ff\xc3\xa9\"", true },
	/* cut, overlong, surrogate and too-high sequences are not UTF-8 */
	{ L("\xe2\x82"), "\"\\u00e2\\u0082\"", true },
	{ L("\xc0\xaf"), "\"\\u00c0\\u00af\"", true },
	{ L("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"", true },
	{ L("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"", true },
	{ L("\xe2\x82\xac\xf0\x9f\x98\x80"), "\"\xe2\x82\xac\xf0\x9f\x98\x80\"",
	  false },
	{ L("\"\"\\\\"), "\"\\\"\\\"\\\\\\\\\"", false },
	{ L("</script>\x1b[2J"), "\"</script>\\u001b[2J\"", false },
};

/* Every string as a value and as a key: exact text, same bytes back. */
static void test_strings(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		const struct string_case *c = &string_cases[i];
		struct torn_json_writer *w = NULL;
		struct torn_json *v = NULL;
		const char *s;
		char *out, *key;
		size_t len, n;

		print_message("string %zu: %s\n", i, c->json);
		assert_int_equal(torn_json_writer_new(&w, 0), 0);
		assert_int_equal(torn_json_write_string(w, c->s, c->len), 0);
		assert_int_equal(torn_json_writer_take(w, &out, &len), 0);
		assert_int_equal(len, strlen(c->json));
		assert_memory_equal(out, c->json, len);
		assert_int_equal(torn_json_parse(out, len, &v, NULL), 0);
		s = torn_json_get_string(v, &n);
		assert_non_null(s);
		if (!c->latin1) {
			assert_int_equal(n, c->len);
			assert_memory_equal(s, c->s, n);
		}
		torn_json_free(v);
		free(out);
		/* as a key (keys are NUL-terminated: up to the first NUL) */
		key = strndup(c->s, c->len);
		assert_int_equal(torn_json_write_begin_object(w), 0);
		assert_int_equal(torn_json_write_key(w, key), 0);
		assert_int_equal(torn_json_write_bool(w, true), 0);
		assert_int_equal(torn_json_write_end_object(w), 0);
		assert_int_equal(torn_json_writer_take(w, &out, &len), 0);
		assert_int_equal(torn_json_parse(out, len, &v, NULL), 0);
		if (!c->latin1) {
			assert_string_equal(torn_json_get_key_at(v, 0), key);
			assert_non_null(torn_json_get(v, key));
		}
		torn_json_free(v);
		free(out);
		free(key);
		torn_json_writer_free(w);
	}
}

struct number_case {
	bool is_signed;
	uint64_t u;
	int64_t i;
	const char *json;
};

static const struct number_case number_cases[] = {
	{ false, 0, 0, "0" },
	{ false, 1, 0, "1" },
	{ false, (uint64_t)INT64_MAX + 1, 0, "9223372036854775808" },
	{ false, UINT64_MAX, 0, "18446744073709551615" },
	{ true, 0, 0, "0" },
	{ true, 0, -1, "-1" },
	{ true, 0, INT64_MAX, "9223372036854775807" },
	{ true, 0, INT64_MIN, "-9223372036854775808" },
};

static void test_numbers(void **state)
{
	size_t k;

	for (k = 0; k < sizeof(number_cases) / sizeof(number_cases[0]); k++) {
		const struct number_case *c = &number_cases[k];
		struct torn_json_writer *w = NULL;
		struct torn_json *v = NULL;
		char *out;
		size_t len;
		uint64_t u;
		int64_t i;

		print_message("number %s\n", c->json);
		assert_int_equal(torn_json_writer_new(&w, 0), 0);
		if (c->is_signed)
			torn_json_write_int64(w, c->i);
		else
			torn_json_write_uint64(w, c->u);
		assert_int_equal(torn_json_writer_take(w, &out, &len), 0);
		assert_string_equal(out, c->json);
		assert_int_equal(torn_json_parse(out, len, &v, NULL), 0);
		if (c->is_signed) {
			assert_int_equal(torn_json_get_int64(v, &i), 0);
			assert_true(i == c->i);
		} else {
			assert_int_equal(torn_json_get_uint64(v, &u), 0);
			assert_true(u == c->u);
		}
		torn_json_free(v);
		free(out);
		torn_json_writer_free(w);
	}
}

/*
 * A whole document, pretty (as meta.json is written, and as a script
 * greps it: "key": N) and compact, read back value by value.
 */
static void test_document_round_trip(void **state)
{
	static const char pretty[] = "{\n"
				     "  \"name\": \"a\\u0000\\\"b\\\"\",\n"
				     "  \"boot_ms\": 1234,\n"
				     "  \"min\": -9223372036854775808,\n"
				     "  \"max\": 18446744073709551615,\n"
				     "  \"grid\": [\n"
				     "    [\n"
				     "      1,\n"
				     "      2\n"
				     "    ],\n"
				     "    [],\n"
				     "    [\n"
				     "      [\n"
				     "        null\n"
				     "      ]\n"
				     "    ]\n"
				     "  ],\n"
				     "  \"ok\": false\n"
				     "}\n";
	int flags;

	for (flags = 0; flags <= TORN_JSON_PRETTY; flags += TORN_JSON_PRETTY) {
		struct torn_json_writer *w = NULL;
		struct torn_json *v = NULL;
		const struct torn_json *grid, *row;
		const char *s;
		char *out;
		size_t len;
		uint64_t u;
		int64_t i;
		bool b = true;

		assert_int_equal(torn_json_writer_new(&w, (unsigned int)flags),
				 0);
		torn_json_write_begin_object(w);
		torn_json_write_key(w, "name");
		torn_json_write_string(w, L("a\0\"b\""));
		torn_json_write_key(w, "boot_ms");
		torn_json_write_int64(w, 1234);
		torn_json_write_key(w, "min");
		torn_json_write_int64(w, INT64_MIN);
		torn_json_write_key(w, "max");
		torn_json_write_uint64(w, UINT64_MAX);
		torn_json_write_key(w, "grid");
		torn_json_write_begin_array(w);
		torn_json_write_begin_array(w);
		torn_json_write_uint64(w, 1);
		torn_json_write_uint64(w, 2);
		torn_json_write_end_array(w);
		torn_json_write_begin_array(w);
		torn_json_write_end_array(w);
		torn_json_write_begin_array(w);
		torn_json_write_begin_array(w);
		torn_json_write_null(w);
		torn_json_write_end_array(w);
		torn_json_write_end_array(w);
		torn_json_write_end_array(w);
		torn_json_write_key(w, "ok");
		torn_json_write_bool(w, false);
		torn_json_write_end_object(w);
		assert_int_equal(torn_json_writer_take(w, &out, &len), 0);
		torn_json_writer_free(w);
		if (flags)
			assert_string_equal(out, pretty);
		else
			assert_string_equal(
				out,
				"{\"name\":\"a\\u0000\\\"b\\\"\","
				"\"boot_ms\":1234,"
				"\"min\":-9223372036854775808,"
				"\"max\":18446744073709551615,"
				"\"grid\":[[1,2],[],[[null]]],\"ok\":false}");
		assert_int_equal(torn_json_parse(out, len, &v, NULL), 0);
		s = torn_json_get_member_string(v, "name", &len);
		assert_int_equal(len, 5);
		assert_memory_equal(s, "a\0\"b\"", 5);
		assert_int_equal(
			torn_json_get_int64(torn_json_get(v, "boot_ms"), &i),
			0);
		assert_true(i == 1234);
		assert_int_equal(
			torn_json_get_int64(torn_json_get(v, "min"), &i), 0);
		assert_true(i == INT64_MIN);
		assert_int_equal(torn_json_get_member_uint64(v, "max", &u), 0);
		assert_true(u == UINT64_MAX);
		grid = torn_json_get(v, "grid");
		assert_int_equal(torn_json_get_count(grid), 3);
		row = torn_json_get_at(grid, 0);
		assert_int_equal(torn_json_get_count(row), 2);
		assert_int_equal(
			torn_json_get_uint64(torn_json_get_at(row, 1), &u), 0);
		assert_true(u == 2);
		assert_int_equal(torn_json_get_type(torn_json_get_at(grid, 1)),
				 TORN_JSON_ARRAY);
		assert_int_equal(torn_json_get_count(torn_json_get_at(grid, 1)),
				 0);
		row = torn_json_get_at(torn_json_get_at(grid, 2), 0);
		assert_int_equal(torn_json_get_type(torn_json_get_at(row, 0)),
				 TORN_JSON_NULL);
		assert_int_equal(torn_json_get_bool(torn_json_get(v, "ok"), &b),
				 0);
		assert_false(b);
		torn_json_free(v);
		free(out);
	}
}

/* A long string grows the buffer many times and comes back whole. */
static void test_long_string(void **state)
{
	size_t n = 1 << 20, i, len, got;
	char *s = malloc(n), *out;
	struct torn_json_writer *w = NULL;
	struct torn_json *v = NULL;
	const char *back;

	assert_non_null(s);
	/* every ASCII byte, so that it comes back the same */
	for (i = 0; i < n; i++)
		s[i] = (char)((i * 7) & 0x7f);
	assert_int_equal(torn_json_writer_new(&w, 0), 0);
	assert_int_equal(torn_json_write_string(w, s, n), 0);
	assert_int_equal(torn_json_writer_take(w, &out, &len), 0);
	assert_int_equal(torn_json_parse(out, len, &v, NULL), 0);
	back = torn_json_get_string(v, &got);
	assert_int_equal(got, n);
	assert_memory_equal(back, s, n);
	torn_json_free(v);
	free(out);
	free(s);
	torn_json_writer_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_document_round_trip),
		cmocka_unit_test(test_long_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
