/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn verify's checks on hand-written traces: replay and durability points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "trace.h"
#include "verify.h"

#define HDR \
	"header pm_base=0x100000000 pm_size=0x10000 features=clflush,clflushopt,clwb\n"

static struct torn_trace *parse(const char *text)
{
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };

	if (torn_trace_parse_text(text, &t, &err))
		fail_msg("parse: %s", err.msg);
	return t;
}

static void test_durability(void **state)
{
	static const struct {
		const char *name;
		int eadr;
		size_t violations;
		const char *trace;
	} cases[] = {
		{ "user store flushed and fenced", 0, 0,
		  "store 0x1000 8 0102030405060708\nflush clwb 0x1000\nfence sfence\nmark 5 1\n" },
		{ "user store never flushed", 0, 1,
		  "store 0x1000 8 0102030405060708\nmark 5 1\n" },
		{ "flushed but not fenced", 0, 1,
		  "store 0x1000 8 0102030405060708\nflush clwb 0x1000\nmark 5 1\n" },
		{ "clflushopt then mfence", 0, 0,
		  "store 0x1000 8 0102030405060708\nflush clflushopt 0x1000\nfence mfence\nmark 5 1\n" },
		{ "clflush needs no fence", 0, 0,
		  "store 0x1000 8 0102030405060708\nflush clflush 0x1000\nmark 5 1\n" },
		{ "flush of another line does not count", 0, 1,
		  "store 0x1000 8 0102030405060708\nflush clwb 0x1040\nfence sfence\nmark 5 1\n" },
		{ "store after the flush reopens the line", 0, 1,
		  "store 0x1000 8 0102030405060708\nflush clwb 0x1000\nstore 0x1008 8 0102030405060708\nfence sfence\nmark 5 1\n" },
		{ "store straddling two lines, one flushed", 0, 1,
		  "store 0x103c 8 0102030405060708\nflush clwb 0x1000\nfence sfence\nmark 5 1\n" },
		{ "kernel NT store unfenced", 0, 1,
		  "nt_store 0x2000 8 0102030405060708 kernel\nmark 5 1\n" },
		{ "kernel NT store fenced", 0, 0,
		  "nt_store 0x2000 8 0102030405060708 kernel\nfence sfence\nmark 5 1\n" },
		{ "kernel cached store is not judged", 0, 0,
		  "store 0x2000 8 0102030405060708 kernel\nmark 5 1\n" },
		{ "no durability marker, nothing judged", 0, 0,
		  "store 0x1000 8 0102030405060708\nmark 3 1\n" },
		{ "a violation is reported once", 0, 1,
		  "store 0x1000 8 0102030405060708\nmark 5 1\nmark 5 2\n" },
		{ "eadr: cached user store needs nothing", 1, 0,
		  "store 0x1000 8 0102030405060708\nmark 5 1\n" },
		{ "eadr: NT store still needs a fence", 1, 1,
		  "nt_store 0x1000 8 0102030405060708\nmark 5 1\n" },
		{ "wbinvd persists everything", 0, 0,
		  "store 0x1000 8 0102030405060708\nfence wbinvd\nmark 5 1\n" },
		/* eadr: flushes change nothing (model.h) */
		{ "eadr: clflush does not fence an NT store", 1, 1,
		  "nt_store 0x1000 8 0102030405060708\nflush clflush 0x1000\nmark 5 1\n" },
		{ "eadr: clflush then a fence", 1, 0,
		  "nt_store 0x1000 8 0102030405060708\nflush clflush 0x1000\nfence sfence\nmark 5 1\n" },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *text = malloc(strlen(HDR) + strlen(cases[c].trace) + 1);
		struct torn_trace *t;
		size_t v;

		strcpy(text, HDR);
		strcat(text, cases[c].trace);
		t = parse(text);
		v = verify_durability(t, cases[c].eadr, NULL, NULL);
		if (v != cases[c].violations)
			fail_msg("%s: %zu violations, expected %zu",
				 cases[c].name, v, cases[c].violations);
		torn_trace_free(t);
		free(text);
	}
}

#define MAX_VIOL 4

struct collected {
	struct verify_violation v[MAX_VIOL];
	size_t n;
};

static void collect(const struct verify_violation *v, void *ctx)
{
	struct collected *c = ctx;

	assert_true(c->n < MAX_VIOL);
	c->v[c->n++] = *v;
}

/* What each violation names: the marker, the line, the store. */
static void test_durability_fields(void **state)
{
	static const struct {
		const char *name;
		int eadr;
		const char *trace;
		struct verify_violation v[MAX_VIOL]; /* up to marker_index 0 */
	} cases[] = {
		{ "the last store in flight is named",
		  0,
		  "store 0x1000 8 *01\nflush clwb 0x1000\nstore 0x1008 8 *02\n"
		  "fence sfence\nmark 5 7\n",
		  { { 4, 7, 0x1000, 2, 0, 0, 0 } } },
		{ "flushed but not fenced",
		  0,
		  "store 0x1000 8 *01\nflush clwb 0x1000\nmark 5 1\n",
		  { { 2, 1, 0x1000, 0, 0, 0, 1 } } },
		{ "an NT store waits for a fence",
		  0,
		  "nt_store 0x1000 8 *01\nmark 5 1\n",
		  { { 1, 1, 0x1000, 0, 0, 1, 1 } } },
		{ "eadr: an NT store waits for a fence",
		  1,
		  "store 0x1040 8 *01\nnt_store 0x1000 8 *02\nmark 5 1\n",
		  { { 2, 1, 0x1000, 1, 0, 1, 1 } } },
		{ "lines in order of their oldest store in flight",
		  0,
		  "store 0x1040 8 *01\nstore 0x1000 8 *02\nstore 0x1040 8 *03\n"
		  "mark 5 1\n",
		  { { 3, 1, 0x1040, 2, 0, 0, 0 },
		    { 3, 1, 0x1000, 1, 0, 0, 0 } } },
		{ "a kernel store after a user store is not named",
		  0,
		  "store 0x1000 8 *01 pc=0x401000\nstore 0x1008 8 *02 kernel\n"
		  "mark 5 1\n",
		  { { 2, 1, 0x1000, 0, 0x401000, 0, 0 } } },
		{ "reported again after the next store only",
		  0,
		  "store 0x1000 8 *01\nmark 5 1\nmark 5 2\nstore 0x1000 8 *02\n"
		  "mark 5 3\n",
		  { { 1, 1, 0x1000, 0, 0, 0, 0 },
		    { 4, 3, 0x1000, 3, 0, 0, 0 } } },
		{ "a store crossing lines: the unflushed half",
		  0,
		  "store 0x103c 8 *01\nflush clwb 0x1000\nfence sfence\n"
		  "mark 5 1\n",
		  { { 3, 1, 0x1040, 0, 0, 0, 0 } } },
	};
	size_t c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char *text = malloc(strlen(HDR) + strlen(cases[c].trace) + 1);
		struct collected got = { .n = 0 };
		struct torn_trace *t;
		size_t n;

		print_message("case: %s\n", cases[c].name);
		strcpy(text, HDR);
		strcat(text, cases[c].trace);
		t = parse(text);
		for (n = 0; n < MAX_VIOL && cases[c].v[n].marker_index; n++)
			;
		assert_int_equal(
			verify_durability(t, cases[c].eadr, collect, &got), n);
		assert_int_equal(got.n, n);
		for (i = 0; i < n; i++) {
			const struct verify_violation *w = &cases[c].v[i];

			assert_int_equal(got.v[i].marker_index,
					 w->marker_index);
			assert_int_equal(got.v[i].marker_arg, w->marker_arg);
			assert_int_equal(got.v[i].line_offset, w->line_offset);
			assert_int_equal(got.v[i].store_index, w->store_index);
			assert_int_equal(got.v[i].store_pc, w->store_pc);
			assert_int_equal(got.v[i].nt, w->nt);
			assert_int_equal(got.v[i].flushed, w->flushed);
		}
		torn_trace_free(t);
		free(text);
	}
}

/*
 * More clflushed stores between fences than the NVDIMM has lines: the
 * old per-line check listed a line again after each clflush and wrote
 * past its list.
 */
static void test_durability_many_clflushes(void **state)
{
	static const char pair[] = "store 0x1000 8 *01\nflush clflush 0x1000\n";
	size_t lines = 0x10000 / 64, i, len = strlen(HDR);
	char *text = malloc(len + (lines + 10) * strlen(pair) + 32);
	struct torn_trace *t;

	assert_non_null(text);
	strcpy(text, HDR);
	for (i = 0; i < lines + 10; i++) {
		strcpy(text + len, pair);
		len += strlen(pair);
	}
	strcpy(text + len, "store 0x2000 8 *02\nmark 5 1\n");
	t = parse(text);
	assert_int_equal(verify_durability(t, 0, NULL, NULL), 1);
	torn_trace_free(t);
	free(text);
}

static void test_replay(void **state)
{
	struct torn_trace *t = parse(HDR "store 0x10 4 aabbccdd\n"
					 "nt_store 0x12 2 eeff kernel\n"
					 "store 0x2000 8 *11\n");
	uint8_t *base = calloc(1, 0x10000), *final = calloc(1, 0x10000);
	struct verify_range r[4];
	size_t n;

	memcpy(final + 0x10, "\xaa\xbb\xee\xff", 4);
	memset(final + 0x2000, 0x11, 8);
	assert_int_equal(verify_replay(t, base, final, r, 4, &n), 0);
	assert_int_equal(n, 0);
	/* the guest wrote something the trace missed: two ranges */
	final[0x3000] = 1;
	final[0x3001] = 1;
	final[0x5000] = 7;
	assert_int_equal(verify_replay(t, base, final, r, 4, &n), 3);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].offset, 0x3000);
	assert_int_equal(r[0].length, 2);
	assert_int_equal(r[1].offset, 0x5000);
	assert_int_equal(r[1].length, 1);
	free(base);
	free(final);
	torn_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durability),
		cmocka_unit_test(test_durability_fields),
		cmocka_unit_test(test_durability_many_clflushes),
		cmocka_unit_test(test_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
