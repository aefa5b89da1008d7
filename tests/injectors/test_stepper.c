/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stepper on tiny traces: in-flight writes and persisted image, by hand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stepper.h"
#include "trace.h"

#define PM 0x1000
#define HDR "header pm_size=0x1000\n"
#define HDR_EADR "header pm_size=0x1000 features=clwb,eadr\n"
#define MAXW 6
#define MAXAT 6

struct want_write {
	size_t record;
	uint64_t offset;
	uint32_t len; /* 0 ends the list */
	bool nt, fi; /* fi: flush_initiated */
};

/*
 * After records 0..pos-1: the persisted image is a list of stores
 * applied, in the order given, to the base: "2" is record 2 whole,
 * "2@0x40" its part within the line at 0x40; "" is the base itself.
 */
struct want_at {
	size_t pos;
	const char *persisted; /* NULL ends the list */
	struct want_write w[MAXW]; /* in flight, program order */
};

struct stepper_case {
	const char *name;
	const char *trace;
	int model;
	struct want_at at[MAXAT];
};

#define CACHED false
#define NT true

static const struct stepper_case cases[] = {
	/*
	 * adr: clwb flush-initiates A only; the sfence persists it and
	 * leaves B, never flushed, in flight.
	 */
	{ "clwb + sfence, adr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x40 8 *bb\n"
	      "flush clwb 0x0\n"
	      "fence sfence\n",
	  TORN_MODEL_ADR,
	  { { 0, "", { { 0 } } },
	    { 2,
	      "",
	      { { 0, 0x0, 8, CACHED, false }, { 1, 0x40, 8, CACHED, false } } },
	    { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, true }, { 1, 0x40, 8, CACHED, false } } },
	    { 4, "0", { { 1, 0x40, 8, CACHED, false } } } } },
	/* eadr: the flush changes nothing, the sfence persists both. */
	{ "clwb + sfence, eadr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x40 8 *bb\n"
	      "flush clwb 0x0\n"
	      "fence sfence\n",
	  TORN_MODEL_EADR,
	  { { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, false }, { 1, 0x40, 8, CACHED, false } } },
	    { 4, "0 1", { { 0 } } } } },
	/*
	 * clflush persists its line's writes at once, without a fence;
	 * the sfence after it leaves C, never flushed, in flight.
	 */
	{ "clflush, adr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x8 8 *bb\n"
	      "store 0x40 8 *cc\n"
	      "flush clflush 0x0\n"
	      "fence sfence\n",
	  TORN_MODEL_ADR,
	  { { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, false },
		{ 1, 0x8, 8, CACHED, false },
		{ 2, 0x40, 8, CACHED, false } } },
	    { 4, "0 1", { { 2, 0x40, 8, CACHED, false } } },
	    { 5, "0 1", { { 2, 0x40, 8, CACHED, false } } } } },
	{ "clflush, eadr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x8 8 *bb\n"
	      "store 0x40 8 *cc\n"
	      "flush clflush 0x0\n"
	      "fence sfence\n",
	  TORN_MODEL_EADR,
	  { { 4,
	      "",
	      { { 0, 0x0, 8, CACHED, false },
		{ 1, 0x8, 8, CACHED, false },
		{ 2, 0x40, 8, CACHED, false } } },
	    { 5, "0 1 2", { { 0 } } } } },
	/*
	 * clflushopt covers A, not B stored after it; a marker is no
	 * ordering point, so both stay in flight until the mfence, which
	 * persists A alone.
	 */
	{ "clflushopt without a fence, adr",
	  HDR "store 0x0 8 *aa\n"
	      "flush clflushopt 0x0\n"
	      "store 0x8 8 *bb\n"
	      "mark 5 1\n"
	      "fence mfence\n",
	  TORN_MODEL_ADR,
	  { { 2, "", { { 0, 0x0, 8, CACHED, true } } },
	    { 4,
	      "",
	      { { 0, 0x0, 8, CACHED, true }, { 2, 0x8, 8, CACHED, false } } },
	    { 5, "0", { { 2, 0x8, 8, CACHED, false } } } } },
	{ "clflushopt without a fence, eadr",
	  HDR "store 0x0 8 *aa\n"
	      "flush clflushopt 0x0\n"
	      "store 0x8 8 *bb\n"
	      "mark 5 1\n"
	      "fence mfence\n",
	  TORN_MODEL_EADR,
	  { { 4,
	      "",
	      { { 0, 0x0, 8, CACHED, false }, { 2, 0x8, 8, CACHED, false } } },
	    { 5, "0 2", { { 0 } } } } },
	/* An NT store is flush-initiated at once (adr) and fenced. */
	{ "NT store, adr",
	  HDR "nt_store 0x0 8 *aa\n"
	      "fence sfence\n",
	  TORN_MODEL_ADR,
	  { { 1, "", { { 0, 0x0, 8, NT, true } } }, { 2, "0", { { 0 } } } } },
	{ "NT store, eadr",
	  HDR "nt_store 0x0 8 *aa\n"
	      "fence sfence\n",
	  TORN_MODEL_EADR,
	  { { 1, "", { { 0, 0x0, 8, NT, false } } }, { 2, "0", { { 0 } } } } },
	/*
	 * An NT store to a cached line evicts it: A is flush-initiated
	 * with C; B on another line is not.
	 */
	{ "NT store over a cached line, adr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x40 8 *bb\n"
	      "nt_store 0x8 8 *cc\n"
	      "fence sfence\n",
	  TORN_MODEL_ADR,
	  { { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, true },
		{ 1, 0x40, 8, CACHED, false },
		{ 2, 0x8, 8, NT, true } } },
	    { 4, "0 2", { { 1, 0x40, 8, CACHED, false } } } } },
	{ "NT store over a cached line, eadr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x40 8 *bb\n"
	      "nt_store 0x8 8 *cc\n"
	      "fence sfence\n",
	  TORN_MODEL_EADR,
	  { { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, false },
		{ 1, 0x40, 8, CACHED, false },
		{ 2, 0x8, 8, NT, false } } },
	    { 4, "0 1 2", { { 0 } } } } },
	/* wbinvd persists flushed and unflushed writes alike. */
	{ "wbinvd, adr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x40 8 *bb\n"
	      "flush clwb 0x0\n"
	      "fence wbinvd\n",
	  TORN_MODEL_ADR,
	  { { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, true }, { 1, 0x40, 8, CACHED, false } } },
	    { 4, "0 1", { { 0 } } } } },
	{ "wbinvd, eadr",
	  HDR "store 0x0 8 *aa\n"
	      "store 0x40 8 *bb\n"
	      "flush clwb 0x0\n"
	      "fence wbinvd\n",
	  TORN_MODEL_EADR,
	  { { 3,
	      "",
	      { { 0, 0x0, 8, CACHED, false }, { 1, 0x40, 8, CACHED, false } } },
	    { 4, "0 1", { { 0 } } } } },
	/*
	 * A store crossing a line is two writes: flushing one line
	 * persists its part alone.
	 */
	{ "a store crossing a line, adr",
	  HDR "store 0x3c 8 0102030405060708\n"
	      "flush clwb 0x0\n"
	      "fence sfence\n"
	      "flush clwb 0x40\n"
	      "fence sfence\n",
	  TORN_MODEL_ADR,
	  { { 1,
	      "",
	      { { 0, 0x3c, 4, CACHED, false },
		{ 0, 0x40, 4, CACHED, false } } },
	    { 2,
	      "",
	      { { 0, 0x3c, 4, CACHED, true }, { 0, 0x40, 4, CACHED, false } } },
	    { 3, "0@0x0", { { 0, 0x40, 4, CACHED, false } } },
	    { 4, "0@0x0", { { 0, 0x40, 4, CACHED, true } } },
	    { 5, "0", { { 0 } } } } },
	{ "a store crossing a line, eadr",
	  HDR "store 0x3c 8 0102030405060708\n"
	      "flush clwb 0x0\n"
	      "fence sfence\n",
	  TORN_MODEL_EADR,
	  { { 2,
	      "",
	      { { 0, 0x3c, 4, CACHED, false },
		{ 0, 0x40, 4, CACHED, false } } },
	    { 3, "0", { { 0 } } } } },
	/*
	 * An unresolved flush cannot be applied: its line stays in
	 * flight; locked and serializing instructions are ordering points.
	 */
	{ "unresolved flush, locked and serializing fences, adr",
	  HDR "store 0x0 8 *aa\n"
	      "unresolved clwb va=0x7f0000001000\n"
	      "fence locked\n"
	      "flush clwb 0x0\n"
	      "fence serializing\n",
	  TORN_MODEL_ADR,
	  { { 3, "", { { 0, 0x0, 8, CACHED, false } } },
	    { 5, "0", { { 0 } } } } },
	/* AUTO takes eadr from the header: the flush changes nothing. */
	{ "the model from the header",
	  HDR_EADR "store 0x0 8 *aa\n"
		   "flush clflush 0x0\n",
	  TORN_MODEL_AUTO,
	  { { 2, "", { { 0, 0x0, 8, CACHED, false } } } } },
};

static void expected_image(const struct torn_trace *t, const char *labels,
			   const uint8_t *base, uint8_t *img)
{
	const struct torn_record *recs = torn_trace_get_records(t);
	const char *p = labels;

	memcpy(img, base, PM);
	while (*p) {
		const struct torn_record *r;
		uint64_t i, lo, hi, line;
		char *end;

		if (*p == ' ') {
			p++;
			continue;
		}
		i = strtoull(p, &end, 10);
		assert_true(end != p && i < torn_trace_get_count(t));
		r = &recs[i];
		assert_true(r->kind == TORN_REC_STORE ||
			    r->kind == TORN_REC_NT_STORE);
		lo = r->offset;
		hi = r->offset + r->size;
		p = end;
		if (*p == '@') {
			line = strtoull(p + 1, &end, 0);
			p = end;
			if (lo < line)
				lo = line;
			if (hi > line + TORN_LINE_SIZE)
				hi = line + TORN_LINE_SIZE;
			assert_true(lo < hi);
		}
		for (i = lo; i < hi; i++)
			img[i] = r->data[i - r->offset];
	}
}

/* base + every store before pos, byte by byte. */
static void replayed_image(const struct torn_trace *t, size_t pos,
			   const uint8_t *base, uint8_t *img)
{
	const struct torn_record *r = torn_trace_get_records(t);
	size_t i;

	memcpy(img, base, PM);
	for (i = 0; i < pos; i++)
		if (r[i].kind == TORN_REC_STORE ||
		    r[i].kind == TORN_REC_NT_STORE)
			memcpy(img + r[i].offset, r[i].data, r[i].size);
}

struct collected {
	struct torn_inflight_write w[64];
	size_t n;
	size_t stop_after; /* return 1 after this many; 0: never */
};

static int collect(const struct torn_inflight_write *w, void *ctx)
{
	struct collected *c = ctx;

	assert_true(c->n < 64);
	c->w[c->n++] = *w;
	return c->stop_after && c->n == c->stop_after;
}

static void check_writes(const char *name, size_t pos,
			 const struct collected *got,
			 const struct want_write *want, uint64_t line)
{
	size_t i, j = 0;

	for (i = 0; i < MAXW && want[i].len; i++) {
		if (line != UINT64_MAX &&
		    want[i].offset / TORN_LINE_SIZE != line)
			continue;
		if (j >= got->n)
			fail_msg("%s at %zu: write %zu missing", name, pos, i);
		assert_int_equal(got->w[j].record, want[i].record);
		assert_int_equal(got->w[j].offset, want[i].offset);
		assert_int_equal(got->w[j].len, want[i].len);
		assert_int_equal(got->w[j].nt, want[i].nt);
		assert_int_equal(got->w[j].flush_initiated, want[i].fi);
		j++;
	}
	if (j != got->n)
		fail_msg("%s at %zu: %zu writes in flight, expected %zu", name,
			 pos, got->n, j);
}

static void check_at(const struct stepper_case *c, const struct want_at *at,
		     const struct torn_trace *t, struct torn_stepper *st,
		     const uint8_t *base)
{
	static uint8_t img[PM], want[PM];
	struct collected got = { .n = 0 };
	uint64_t lines[MAXW];
	size_t i, j, n_w = 0, n_lines = 0;

	assert_int_equal(torn_stepper_advance_to(st, at->pos), 0);
	assert_int_equal(torn_stepper_pos(st), at->pos);
	for (i = 0; i < MAXW && at->w[i].len; i++) {
		uint64_t line = at->w[i].offset / TORN_LINE_SIZE;

		for (j = 0; j < n_lines && lines[j] != line; j++)
			;
		if (j == n_lines)
			lines[n_lines++] = line;
		n_w++;
	}
	assert_int_equal(torn_stepper_inflight_writes(st), n_w);
	assert_int_equal(torn_stepper_inflight_lines(st), n_lines);
	assert_int_equal(torn_stepper_foreach_inflight(st, collect, &got), 0);
	check_writes(c->name, at->pos, &got, at->w, UINT64_MAX);
	for (j = 0; j < n_lines; j++) {
		got.n = 0;
		/* any byte of the line names it */
		assert_int_equal(torn_stepper_foreach_line_inflight(
					 st, lines[j] * TORN_LINE_SIZE + 63,
					 collect, &got),
				 0);
		check_writes(c->name, at->pos, &got, at->w, lines[j]);
	}
	expected_image(t, at->persisted, base, want);
	torn_stepper_persisted_image(st, img);
	if (memcmp(img, want, PM))
		fail_msg("%s at %zu: persisted image differs", c->name,
			 at->pos);
	replayed_image(t, at->pos, base, want);
	torn_stepper_full_image(st, img);
	if (memcmp(img, want, PM))
		fail_msg("%s at %zu: full image differs", c->name, at->pos);
}

static void run_case(const struct stepper_case *c, const uint8_t *base)
{
	struct torn_stepper *st;
	struct torn_trace *t;
	struct torn_err err;
	size_t i, n;
	int model = c->model, ret;

	print_message("case: %s%s\n", c->name, base ? ", base" : "");
	ret = torn_trace_parse_text(c->trace, &t, &err);
	if (ret)
		fail_msg("%s: %s", c->name, err.msg);
	n = torn_trace_get_count(t);
	assert_int_equal(torn_stepper_new(&st, t, base, PM, c->model, &err), 0);
	if (model == TORN_MODEL_AUTO)
		model = torn_trace_get_header(t)->cpu_features & TORN_CPU_EADR
				? TORN_MODEL_EADR
				: TORN_MODEL_ADR;
	assert_int_equal(torn_stepper_model(st), model);
	if (!base) {
		static uint8_t zero[PM];

		base = zero;
	}
	for (i = 0; i < MAXAT && c->at[i].persisted; i++)
		check_at(c, &c->at[i], t, st, base);
	while ((ret = torn_stepper_step(st)) == 1)
		;
	assert_int_equal(ret, 0);
	assert_int_equal(torn_stepper_pos(st), n);
	assert_int_equal(torn_stepper_step(st), 0);
	torn_stepper_free(st);
	torn_trace_free(t);
}

static void test_cases(void **state)
{
	static uint8_t base[PM];
	size_t i;

	for (i = 0; i < PM; i++)
		base[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], NULL);
		run_case(&cases[i], base);
	}
}

/* A walk stops at the callback's first non-zero return and returns it. */
static void test_foreach_stops(void **state)
{
	struct collected got = { .n = 0, .stop_after = 2 };
	struct torn_stepper *st;
	struct torn_trace *t;
	struct torn_err err;

	assert_int_equal(torn_trace_parse_text(HDR "store 0x0 8 *aa\n"
						   "store 0x8 8 *bb\n"
						   "store 0x10 8 *cc\n",
					       &t, &err),
			 0);
	assert_int_equal(
		torn_stepper_new(&st, t, NULL, PM, TORN_MODEL_ADR, &err), 0);
	assert_int_equal(torn_stepper_advance_to(st, 3), 0);
	assert_int_equal(torn_stepper_foreach_inflight(st, collect, &got), 1);
	assert_int_equal(got.n, 2);
	got.n = 0;
	assert_int_equal(
		torn_stepper_foreach_line_inflight(st, 0, collect, &got), 1);
	assert_int_equal(got.n, 2);
	/* untouched and outside lines have nothing in flight */
	got.n = 0;
	assert_int_equal(
		torn_stepper_foreach_line_inflight(st, 0x40, collect, &got), 0);
	assert_int_equal(
		torn_stepper_foreach_line_inflight(st, PM, collect, &got), 0);
	assert_int_equal(got.n, 0);
	torn_stepper_free(st);
	torn_trace_free(t);
}

static void test_errors(void **state)
{
	static const struct {
		const char *name;
		size_t size;
		int model;
		size_t to; /* advance_to, after a first advance to 2 */
		int new_ret, to_ret;
	} errs[] = {
		{ "a good stepper", PM, TORN_MODEL_ADR, 3, 0, 0 },
		{ "an unknown model", PM, 7, 0, TORN_E_USAGE, 0 },
		{ "a base of the wrong size", PM / 2, TORN_MODEL_ADR, 0,
		  TORN_E_RANGE, 0 },
		{ "no going back", PM, TORN_MODEL_ADR, 1, 0, TORN_E_USAGE },
		{ "not past the end", PM, TORN_MODEL_ADR, 4, 0, TORN_E_USAGE },
	};
	struct torn_trace *t;
	struct torn_err err;
	size_t i;

	assert_int_equal(torn_trace_parse_text(HDR "store 0x0 8 *aa\n"
						   "flush clwb 0x0\n"
						   "fence sfence\n",
					       &t, &err),
			 0);
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct torn_stepper *st = NULL;
		int ret;

		print_message("case: %s\n", errs[i].name);
		ret = torn_stepper_new(&st, t, NULL, errs[i].size,
				       errs[i].model, &err);
		assert_int_equal(ret, errs[i].new_ret);
		if (ret) {
			assert_true(err.msg[0] != '\0');
			continue;
		}
		assert_int_equal(torn_stepper_advance_to(st, 2), 0);
		ret = torn_stepper_advance_to(st, errs[i].to);
		assert_int_equal(ret, errs[i].to_ret);
		if (ret)
			assert_true(torn_stepper_error(st)[0] != '\0');
		torn_stepper_free(st);
	}
	torn_stepper_free(NULL);
	torn_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_foreach_stops),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
