/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing engines, crash points, models and state ids; error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "states.h"
#include "trace.h"

struct engine_case {
	const char *text;
	int ok;
	const char *canonical; /* torn_engine_format of the result */
	const char *msg; /* a piece of the error message */
};

static const struct engine_case engine_cases[] = {
	{ "prefix", 1, "prefix", NULL },
	{ "subsets:2", 1, "subsets:2", NULL },
	{ "full", 1, "full:4096", NULL },
	{ "full:17", 1, "full:17", NULL },
	{ "random:50", 1, "random:50:0", NULL },
	{ "random:50:7", 1, "random:50:7", NULL },
	{ "torn", 1, "torn", NULL },
	{ "subsets", 0, NULL, "subsets:K" },
	{ "subsets:0", 0, NULL, "K >= 1" },
	{ "subsets:x", 0, NULL, "subsets:K" },
	{ "full:", 0, NULL, "full:CAP" },
	{ "full:0", 0, NULL, "CAP >= 1" },
	{ "random", 0, NULL, "random:N" },
	{ "random:5:", 0, NULL, "random:N:SEED" },
	{ "random:-1", 0, NULL, "random:N" },
	{ "prefix:3", 0, NULL, "unknown engine" },
	{ "torn:1", 0, NULL, "unknown engine" },
	{ "bogus", 0, NULL, "expected prefix, subsets:K" },
	{ "", 0, NULL, "unknown engine" },
};

static void test_engines(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(engine_cases) / sizeof(engine_cases[0]); i++) {
		const struct engine_case *c = &engine_cases[i];
		struct torn_err err = { .msg = "" };
		struct torn_engine e;
		char buf[64];
		int ret = torn_engine_parse(c->text, &e, &err);

		print_message("engine '%s'\n", c->text);
		if (!c->ok) {
			assert_int_equal(ret, TORN_E_USAGE);
			assert_non_null(strstr(err.msg, c->msg));
			continue;
		}
		assert_int_equal(ret, 0);
		torn_engine_format(&e, buf, sizeof(buf));
		assert_string_equal(buf, c->canonical);
	}
}

struct points_case {
	const char *text;
	int ok;
	unsigned int points;
	uint64_t store_every;
};

static const struct points_case points_cases[] = {
	{ "fence", 1, TORN_POINTS_FENCE, 1 },
	{ "flush", 1, TORN_POINTS_FLUSH, 1 },
	{ "marker", 1, TORN_POINTS_MARKER, 1 },
	{ "all", 1, TORN_POINTS_ALL, 1 },
	{ "store:100", 1, TORN_POINTS_STORE, 100 },
	{ "fence,marker,store:3", 1,
	  TORN_POINTS_FENCE | TORN_POINTS_MARKER | TORN_POINTS_STORE, 3 },
	{ "store", 0, 0, 0 },
	{ "store:0", 0, 0, 0 },
	{ "fence,", 0, 0, 0 },
	{ "fences", 0, 0, 0 },
	{ "", 0, 0, 0 },
};

static void test_points(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(points_cases) / sizeof(points_cases[0]); i++) {
		const struct points_case *c = &points_cases[i];
		struct torn_err err = { .msg = "" };
		unsigned int points = 0;
		uint64_t every = 1;
		int ret = torn_points_parse(c->text, &points, &every, &err);

		print_message("points '%s'\n", c->text);
		if (!c->ok) {
			assert_int_equal(ret, TORN_E_USAGE);
			assert_non_null(strstr(err.msg, "store:N"));
			continue;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(points, c->points);
		assert_int_equal(every, c->store_every);
	}
}

static void test_model_granularity(void **state)
{
	struct torn_err err = { .msg = "" };
	int v = 0;

	assert_int_equal(torn_model_parse("adr", &v, &err), 0);
	assert_int_equal(v, TORN_MODEL_ADR);
	assert_int_equal(torn_model_parse("eadr", &v, &err), 0);
	assert_int_equal(v, TORN_MODEL_EADR);
	assert_int_equal(torn_model_parse("ADR", &v, &err), TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "expected adr or eadr"));
	assert_int_equal(torn_granularity_parse("line", &v, &err), 0);
	assert_int_equal(v, TORN_GRAN_LINE);
	assert_int_equal(torn_granularity_parse("torn", &v, &err), 0);
	assert_int_equal(v, TORN_GRAN_TORN);
	assert_int_equal(torn_granularity_parse("byte", &v, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "expected line or torn"));
}

struct id_case {
	const char *id;
	int ok;
	uint64_t point, index;
	const char *engine; /* canonical */
};

static const struct id_case id_cases[] = {
	{ "12.prefix.3", 1, 12, 3, "prefix" },
	{ "0.subsets:2.17", 1, 0, 17, "subsets:2" },
	{ "9.full.1", 1, 9, 1, "full:4096" },
	{ "9.random:5:7.4", 1, 9, 4, "random:5:7" },
	{ "18446744073709551615.torn.0", 1, UINT64_MAX, 0, "torn" },
	{ "12.prefix", 0, 0, 0, NULL },
	{ "12..3", 0, 0, 0, NULL },
	{ "x.prefix.3", 0, 0, 0, NULL },
	{ "12.prefix.-3", 0, 0, 0, NULL },
	{ "12.nope.3", 0, 0, 0, NULL },
	{ "", 0, 0, 0, NULL },
};

static void test_state_ids(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct id_case *c = &id_cases[i];
		struct torn_err err = { .msg = "" };
		struct torn_crash_state st;
		struct torn_engine e;
		uint64_t point, index;
		char buf[96], eng[64];
		int ret;

		print_message("id '%s'\n", c->id);
		ret = torn_state_id_parse(c->id, &point, &e, &index, &err);
		if (!c->ok) {
			assert_int_equal(ret, TORN_E_USAGE);
			assert_true(err.msg[0] != '\0');
			continue;
		}
		assert_int_equal(ret, 0);
		assert_true(point == c->point);
		assert_true(index == c->index);
		torn_engine_format(&e, eng, sizeof(eng));
		assert_string_equal(eng, c->engine);
		/* Formatting gives the canonical id back. */
		memset(&st, 0, sizeof(st));
		st.point = point;
		st.index = index;
		st.engine = &e;
		torn_state_id_format(&st, buf, sizeof(buf));
		snprintf(eng, sizeof(eng), "%s", buf);
		ret = torn_state_id_parse(eng, &point, &e, &index, &err);
		assert_int_equal(ret, 0);
		assert_true(point == c->point && index == c->index);
	}
}

/* Errors of torn_states_new and torn_state_image name what is wrong. */
static void test_errors(void **state)
{
	const char *text = "header pm_size=0x1000\n"
			   "store 0x0 8 *aa\n"
			   "flush clwb 0x0\n"
			   "fence sfence\n";
	struct torn_err err = { .msg = "" };
	struct torn_states_opts o;
	struct torn_states *s;
	struct torn_trace *t;
	static uint8_t img[0x1000];

	assert_int_equal(torn_trace_parse_text(text, &t, &err), 0);
	torn_states_opts_init(&o);
	assert_int_equal(torn_states_new(&s, t, NULL, 0x800, &o, &err),
			 TORN_E_RANGE);
	assert_non_null(strstr(err.msg, "2048 bytes"));
	o.n_engines = 0;
	assert_int_equal(torn_states_new(&s, t, NULL, 0x1000, &o, &err),
			 TORN_E_USAGE);
	torn_states_opts_init(&o);
	o.threads = 3;
	assert_int_equal(torn_states_new(&s, t, NULL, 0x1000, &o, &err),
			 TORN_E_USAGE);
	torn_states_opts_init(&o);
	/* Point 2 (the sfence) has 2 prefix states; the trace 3 records. */
	assert_int_equal(torn_state_image(t, NULL, 0x1000, &o, "2.prefix.1",
					  img, NULL, &err),
			 0);
	assert_int_equal(img[0], 0xaa);
	assert_int_equal(torn_state_image(t, NULL, 0x1000, &o, "2.prefix.0",
					  img, NULL, &err),
			 0);
	assert_int_equal(img[0], 0);
	assert_int_equal(torn_state_image(t, NULL, 0x1000, &o, "2.prefix.2",
					  img, NULL, &err),
			 TORN_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "has 2 states"));
	assert_int_equal(torn_state_image(t, NULL, 0x1000, &o, "4.prefix.0",
					  img, NULL, &err),
			 TORN_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "no crash point 4"));
	assert_int_equal(torn_state_image(t, NULL, 0x1000, &o, "2.prefix", img,
					  NULL, &err),
			 TORN_E_USAGE);
	/*
	 * Any record index names a point for state-image, even one with
	 * nothing in flight: the end (3), after the sfence persisted A.
	 */
	memset(img, 0, sizeof(img));
	assert_int_equal(torn_state_image(t, NULL, 0x1000, &o, "3.prefix.0",
					  img, NULL, &err),
			 0);
	assert_int_equal(img[0], 0xaa);
	torn_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engines),
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_model_granularity),
		cmocka_unit_test(test_state_ids),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
