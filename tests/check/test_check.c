/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The check stage's decisions: dedup, --from-op, --resume, start and end. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "check.h"
#include "check_int.h"
#include "restore.h"
#include "torn_exit.h"

/*
 * Markers at records 0 (op 1 begins), 3 (op 2 begins) and 6 (op 2
 * durable); an unflushed store at 1 stays in flight under adr, so the
 * fences at 2, 4, 5 and 7 and the end of the trace (8) see the same two
 * images (without it, with it).
 */
static const char trace_text[] =
	"header pm_base=0x100000000 pm_size=0x10000 features=clflush,clflushopt,clwb\n"
	"mark 3 1 \"op 1\"\n"
	"store 0x1000 8 0101010101010101\n"
	"fence sfence\n"
	"mark 3 2 \"op 2\"\n"
	"fence sfence\n"
	"fence sfence\n"
	"mark 5 2 \"durable\"\n"
	"fence sfence\n";

static const struct oracle_marker markers[] = {
	{ .record = 0, .id = TORN_MARK_OP_BEGIN, .arg = 1 },
	{ .record = 3, .id = TORN_MARK_OP_BEGIN, .arg = 2 },
	{ .record = 6, .id = TORN_MARK_DURABLE, .arg = 2 },
};

static const struct torn_hash128 image_a = { .hi = 0x1111, .lo = 0xaaaa };
static const struct torn_hash128 image_b = { .hi = 0x2222, .lo = 0xbbbb };

/* ---- dedup ------------------------------------------------------------- */

static void test_markers_before(void **state)
{
	static const struct {
		uint64_t point;
		size_t before;
	} cases[] = {
		{ 0, 0 }, { 1, 1 }, { 3, 1 },	       { 4, 2 },
		{ 6, 2 }, { 7, 3 }, { UINT64_MAX, 3 },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++)
		assert_int_equal(
			check_markers_before(markers, 3, cases[i].point),
			cases[i].before);
	assert_int_equal(check_markers_before(NULL, 0, 5), 0);
}

/* Two states, and whether dedup takes them for one. */
static const struct dedup_case {
	const char *name;
	uint64_t from_record;
	uint64_t point1;
	const struct torn_hash128 *image1;
	uint64_t point2;
	const struct torn_hash128 *image2;
	bool one_state;
} dedup_cases[] = {
	{ "same image, same point", 0, 2, &image_a, 2, &image_a, true },
	{ "two images, same point", 0, 2, &image_a, 2, &image_b, false },
	{ "same image, same markers before", 0, 4, &image_a, 5, &image_a,
	  true },
	{ "same image before and after an op begins", 0, 2, &image_a, 4,
	  &image_a, false },
	{ "same image before and after a durable marker", 0, 5, &image_a, 7,
	  &image_a, false },
	{ "the crash just before a marker has not seen it", 0, 2, &image_a, 3,
	  &image_a, true },
	{ "two images, same markers", 0, 4, &image_a, 5, &image_b, false },
	{ "same image, same markers, from op 2", 3, 4, &image_a, 5, &image_a,
	  true },
	{ "same image across a marker, from op 2", 3, 4, &image_a, 7, &image_a,
	  false },
};

static void test_dedup_key(void **state)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(dedup_cases); i++) {
		const struct dedup_case *c = &dedup_cases[i];
		struct check_dedup d = { markers, 3, c->from_record };
		struct torn_hash128 k1, k2;
		bool same;

		if (!check_dedup_key(&d, c->point1, *c->image1, &k1) ||
		    !check_dedup_key(&d, c->point2, *c->image2, &k2))
			fail_msg("%s: a state after --from-op has no key",
				 c->name);
		same = k1.hi == k2.hi && k1.lo == k2.lo;
		if (same != c->one_state)
			fail_msg("%s: %s, expected %s", c->name,
				 same ? "one state" : "two states",
				 c->one_state ? "one" : "two");
	}
}

/* Before --from-op's record there is no state at all. */
static void test_dedup_from_op(void **state)
{
	static const struct {
		uint64_t from_record, point;
		bool checked;
	} cases[] = {
		{ 0, 0, true },	 { 0, 2, true }, { 3, 0, false },
		{ 3, 2, false }, { 3, 3, true }, { 3, 4, true },
		{ 7, 6, false }, { 7, 7, true }, { 7, UINT64_MAX, true },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct check_dedup d = { markers, 3, cases[i].from_record };
		struct torn_hash128 key;

		if (check_dedup_key(&d, cases[i].point, image_a, &key) !=
		    cases[i].checked)
			fail_msg("from record %" PRIu64 ", point %" PRIu64
				 ": expected %s",
				 cases[i].from_record, cases[i].point,
				 cases[i].checked ? "a state" : "none");
	}
}

/* check_state_is_new over a run: the states in order, and which are new. */
static void test_state_is_new(void **state)
{
	static const struct {
		uint64_t point;
		const struct torn_hash128 *image;
		int is_new;
	} seq[] = {
		{ 2, &image_a, 1 }, { 2, &image_b, 1 }, { 2, &image_a, 0 },
		{ 4, &image_a, 1 }, { 4, &image_b, 1 }, { 5, &image_a, 0 },
		{ 5, &image_b, 0 }, { 7, &image_b, 1 }, { 7, &image_a, 1 },
		{ 7, &image_a, 0 },
	};
	struct check_dedup d = { markers, 3, 0 };
	struct check_dedup from2 = { markers, 3, 3 };
	struct torn_state_set *seen, *seen2;
	size_t i;

	assert_int_equal(torn_state_set_new(&seen), 0);
	assert_int_equal(torn_state_set_new(&seen2), 0);
	for (i = 0; i < G_N_ELEMENTS(seq); i++) {
		assert_int_equal(check_state_is_new(&d, seen, seq[i].point,
						    *seq[i].image, NULL),
				 seq[i].is_new);
		/* from op 2 on: the same, but nothing before record 3 */
		assert_int_equal(check_state_is_new(&from2, seen2, seq[i].point,
						    *seq[i].image, NULL),
				 seq[i].point < 3 ? 0 : seq[i].is_new);
	}
	torn_state_set_free(seen);
	torn_state_set_free(seen2);
}

/* ---- --resume ---------------------------------------------------------- */

enum line_form { WHOLE, CUT, GARBAGE };

struct vline {
	const char *id;
	int verdict;
	enum line_form form;
	bool skipped; /* --resume does not check it again */
};

#define END                           \
	{                             \
		NULL, 0, WHOLE, false \
	}

static const struct resume_case {
	const char *name;
	bool no_file;
	uint64_t retry; /* states checked again: their verdict was error */
	struct vline lines[12];
} resume_cases[] = {
	{ "every verdict but error counts",
	  false,
	  1,
	  { { "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
	    { "2.prefix.1", TORN_V_INCONSISTENT, WHOLE, true },
	    { "4.prefix.0", TORN_V_UNRECOVERABLE, WHOLE, true },
	    { "4.prefix.1", TORN_V_TIMEOUT, WHOLE, true },
	    { "7.prefix.0", TORN_V_ERROR, WHOLE, false },
	    END } },
	{ "a last line cut short is no verdict",
	  false,
	  1,
	  { { "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
	    { "2.prefix.1", TORN_V_ERROR, WHOLE, false },
	    { "4.prefix.0", TORN_V_CONSISTENT, CUT, false },
	    END } },
	{ "a cut-short line, then the resumed check's verdicts",
	  false,
	  0,
	  { { "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
	    { "4.prefix.0", TORN_V_INCONSISTENT, CUT, false },
	    { "4.prefix.1", TORN_V_CONSISTENT, WHOLE, true },
	    { "7.prefix.1", TORN_V_TIMEOUT, WHOLE, true },
	    END } },
	{ "lines that are no verdict in between",
	  false,
	  1,
	  { { "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
	    { "not json", 0, GARBAGE, false },
	    { "7.prefix.0", TORN_V_ERROR, WHOLE, false },
	    END } },
	{ "an error retried: the last verdict is the state's",
	  false,
	  0,
	  { { "2.prefix.0", TORN_V_ERROR, WHOLE, true },
	    { "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
	    END } },
	{ "an error after a verdict: checked again",
	  false,
	  1,
	  { { "2.prefix.0", TORN_V_CONSISTENT, WHOLE, false },
	    { "2.prefix.0", TORN_V_ERROR, WHOLE, false },
	    END } },
	{ "an error retried and failing again: checked again",
	  false,
	  1,
	  { { "2.prefix.0", TORN_V_ERROR, WHOLE, false },
	    { "2.prefix.0", TORN_V_ERROR, WHOLE, false },
	    { "4.prefix.0", TORN_V_TIMEOUT, WHOLE, true },
	    END } },
	{ "an empty file", false, 0, { END } },
	{ "no verdicts.jsonl", true, 0, { END } },
};

/* The line torn check writes for a state with verdict v. */
static char *verdict_line(const char *id, int verdict, size_t *len)
{
	struct torn_verdict_rec v;
	struct torn_err err = { "" };
	uint64_t point, index;
	struct torn_engine e;

	torn_verdict_rec_init(&v);
	assert_int_equal(torn_state_id_parse(id, &point, &e, &index, &err), 0);
	snprintf(v.state, sizeof(v.state), "%s", id);
	v.point = point;
	torn_engine_format(&e, v.engine, sizeof(v.engine));
	v.index = index;
	snprintf(v.image_hash, sizeof(v.image_hash), "%032x", 7);
	v.verdict = verdict;
	if (verdict == TORN_V_INCONSISTENT || verdict == TORN_V_UNRECOVERABLE) {
		v.oracles[TORN_O_MOUNT].ran = true;
		v.oracles[TORN_O_MOUNT].ok = verdict == TORN_V_INCONSISTENT;
		v.oracles[TORN_O_FSCK].ran = true;
	}
	if (verdict == TORN_V_ERROR)
		snprintf(v.error, sizeof(v.error),
			 "checker guest did not boot");
	v.ms_restore = 1;
	v.ms_check = 2;
	v.at_ms = 3;
	v.checker = 0;
	return torn_verdict_rec_format(&v, len);
}

static char *make_dir(void)
{
	char *dir = g_dir_make_tmp("torn-test-check-XXXXXX", NULL);

	assert_non_null(dir);
	return dir;
}

static void remove_dir(char *dir)
{
	char *p = g_build_filename(dir, "verdicts.jsonl", NULL);

	g_unlink(p);
	g_free(p);
	g_rmdir(dir);
	g_free(dir);
}

static void write_verdicts(const char *dir, const struct vline *lines)
{
	GString *text = g_string_new(NULL);
	char *p = g_build_filename(dir, "verdicts.jsonl", NULL);
	size_t i, len;

	for (i = 0; lines[i].id; i++) {
		char *line;

		if (lines[i].form == GARBAGE) {
			g_string_append_printf(text, "%s\n", lines[i].id);
			continue;
		}
		line = verdict_line(lines[i].id, lines[i].verdict, &len);
		assert_non_null(line);
		/* cut: a dying torn's half line, no '\n' */
		g_string_append_len(text, line,
				    lines[i].form == CUT ? len / 2 : len);
		free(line);
	}
	assert_true(g_file_set_contents(p, text->str, text->len, NULL));
	g_string_free(text, TRUE);
	g_free(p);
}

static void test_resume_set(void **state)
{
	size_t i, k;

	for (i = 0; i < G_N_ELEMENTS(resume_cases); i++) {
		const struct resume_case *c = &resume_cases[i];
		char *dir = make_dir();
		GHashTable *done,
			*want = g_hash_table_new(g_str_hash, g_str_equal);

		uint64_t retry = 99;

		if (!c->no_file)
			write_verdicts(dir, c->lines);
		done = check_resume_set(dir, &retry, NULL);
		assert_non_null(done);
		if (retry != c->retry)
			fail_msg("%s: %" PRIu64
				 " states retried, expected %" PRIu64,
				 c->name, retry, c->retry);
		for (k = 0; c->lines[k].id; k++) {
			const struct vline *l = &c->lines[k];

			if (l->form == GARBAGE)
				continue;
			if (l->skipped)
				g_hash_table_add(want, (gpointer)l->id);
			if (g_hash_table_contains(done, l->id) != l->skipped)
				fail_msg("%s: %s %s, expected %s", c->name,
					 l->id,
					 l->skipped ? "checked again"
						    : "skipped",
					 l->skipped ? "skipped"
						    : "checked again");
		}
		if (g_hash_table_size(done) != g_hash_table_size(want))
			fail_msg("%s: %u states skipped, expected %u", c->name,
				 g_hash_table_size(done),
				 g_hash_table_size(want));
		g_hash_table_destroy(done);
		g_hash_table_destroy(want);
		remove_dir(dir);
	}
}

/* ---- the one loop ------------------------------------------------------ */

struct walked {
	GString *ids; /* "id " per state, "*" after the done ones */
	GString *points; /* "seq " per point */
};

static int walked_point(const struct torn_crash_point *pt, void *ctx)
{
	struct walked *w = ctx;

	g_string_append_printf(w->points, "%" PRIu64 " ", pt->seq);
	return 0;
}

static int walked_state(const struct torn_crash_state *cs, const char *id,
			bool done, void *ctx)
{
	struct walked *w = ctx;

	g_string_append_printf(w->ids, "%s%s ", id, done ? "*" : "");
	return 0;
}

static const struct walk_case {
	const char *name;
	uint64_t from_op; /* 0: none */
	const struct vline resumed[5]; /* verdicts.jsonl before */
	const char *states; /* what the loop hands over */
} walk_cases[] = {
	{ "every unique state (image and markers)",
	  0,
	  { END },
	  "2.prefix.0 2.prefix.1 4.prefix.0 4.prefix.1 7.prefix.0 7.prefix.1 " },
	{ "from op 2",
	  2,
	  { END },
	  "4.prefix.0 4.prefix.1 7.prefix.0 7.prefix.1 " },
	{ "resumed: the states with a verdict but error are done",
	  0,
	  { { "2.prefix.1", TORN_V_TIMEOUT, WHOLE, true },
	    { "4.prefix.0", TORN_V_ERROR, WHOLE, false },
	    { "7.prefix.0", TORN_V_INCONSISTENT, WHOLE, true },
	    { "7.prefix.1", TORN_V_CONSISTENT, CUT, false },
	    END },
	  "2.prefix.0 2.prefix.1* 4.prefix.0 4.prefix.1 7.prefix.0* 7.prefix.1 " },
};

static void test_walk(void **state)
{
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	struct check_run run = { 0 };
	struct torn_states_opts so;
	uint64_t record;
	uint8_t *base;
	size_t i;

	assert_int_equal(torn_trace_parse_text(trace_text, &t, &err), 0);
	assert_int_equal(check_run_collect_markers(&run, t), 0);
	assert_int_equal(run.nmarkers, 3);
	base = calloc(1, 0x10000);
	torn_states_opts_init(&so);
	so.model = TORN_MODEL_ADR;
	so.n_engines = 1; /* prefix */
	for (i = 0; i < G_N_ELEMENTS(walk_cases); i++) {
		const struct walk_case *c = &walk_cases[i];
		struct walked w = { g_string_new(NULL), g_string_new(NULL) };
		const struct check_visit v = { walked_point, walked_state, &w };
		struct check_plan plan = {
			{ run.markers, run.nmarkers, 0 }, NULL, 0, 0
		};
		struct torn_states *s = NULL;
		char *dir = make_dir();

		if (c->from_op)
			assert_int_equal(check_find_op_begin(
						 &run, c->from_op,
						 &plan.dedup.from_record, &err),
					 0);
		if (c->resumed[0].id) {
			write_verdicts(dir, c->resumed);
			plan.done = check_resume_set(dir, NULL, NULL);
		}
		assert_int_equal(
			check_states_new(&s, t, base, 0x10000, &so, &err), 0);
		assert_int_equal(check_walk(&plan, s, &v), 0);
		if (strcmp(w.ids->str, c->states))
			fail_msg("%s: the loop handed over '%s', expected '%s'",
				 c->name, w.ids->str, c->states);
		assert_string_equal(w.points->str, "2 4 5 7 8 ");
		torn_states_free(s);
		if (plan.done)
			g_hash_table_destroy(plan.done);
		g_string_free(w.ids, TRUE);
		g_string_free(w.points, TRUE);
		remove_dir(dir);
	}
	/* the trace has ops 1 and 2 */
	assert_int_equal(check_find_op_begin(&run, 3, &record, &err),
			 TORN_E_USAGE);
	assert_string_equal(err.msg, "--from-op 3: the trace has ops 1..2");
	free(base);
	check_run_fini(&run);
	torn_trace_free(t);
}

/*
 * Shards: each state in exactly one, together the unsharded walk's
 * states, for any count; the split depends on the state key alone.
 */
static void test_shards(void **state)
{
	static const uint32_t counts[] = { 1, 2, 3, 7 };
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	struct check_run run = { 0 };
	struct torn_states_opts so;
	uint8_t *base = calloc(1, 0x10000);
	GString *all = g_string_new(NULL);
	struct walked w0 = { all, g_string_new(NULL) };
	struct check_plan plan = { { NULL, 0, 0 }, NULL, 0, 0 };
	const struct check_visit v0 = { NULL, walked_state, &w0 };
	struct torn_states *s = NULL;
	size_t c;
	uint32_t i, k;

	(void)state;
	assert_int_equal(torn_trace_parse_text(trace_text, &t, &err), 0);
	assert_int_equal(check_run_collect_markers(&run, t), 0);
	torn_states_opts_init(&so);
	so.model = TORN_MODEL_ADR;
	plan.dedup.markers = run.markers;
	plan.dedup.nmarkers = run.nmarkers;
	assert_int_equal(check_states_new(&s, t, base, 0x10000, &so, &err), 0);
	assert_int_equal(check_walk(&plan, s, &v0), 0);
	torn_states_free(s);
	for (c = 0; c < G_N_ELEMENTS(counts); c++) {
		GHashTable *seen = g_hash_table_new_full(
			g_str_hash, g_str_equal, g_free, NULL);
		char **ids = g_strsplit(all->str, " ", -1), **id;
		size_t n_all = 0;

		for (i = 1; i <= counts[c]; i++) {
			struct walked w = { g_string_new(NULL),
					    g_string_new(NULL) };
			const struct check_visit v = { NULL, walked_state, &w };
			char **got, **g;

			plan.shard_index = i;
			plan.shard_count = counts[c];
			assert_int_equal(check_states_new(&s, t, base, 0x10000,
							  &so, &err),
					 0);
			assert_int_equal(check_walk(&plan, s, &v), 0);
			torn_states_free(s);
			got = g_strsplit(w.ids->str, " ", -1);
			for (g = got; *g; g++) {
				if (!**g)
					continue;
				if (g_hash_table_contains(seen, *g))
					fail_msg("%u shards: %s in two",
						 counts[c], *g);
				g_hash_table_add(seen, g_strdup(*g));
			}
			g_strfreev(got);
			g_string_free(w.ids, TRUE);
			g_string_free(w.points, TRUE);
		}
		for (id = ids; *id; id++)
			if (**id) {
				n_all++;
				if (!g_hash_table_contains(seen, *id))
					fail_msg("%u shards: %s in none",
						 counts[c], *id);
			}
		assert_int_equal(g_hash_table_size(seen), n_all);
		print_message("%u shards: %zu states\n", counts[c], n_all);
		g_strfreev(ids);
		g_hash_table_destroy(seen);
	}
	/* a key's shard: 1..count, fixed (the split must not move) */
	for (k = 0; k < 100; k++) {
		struct torn_hash128 key = { k * 0x9e3779b97f4a7c15ULL, k };

		i = torn_state_shard(key, 5);
		assert_true(i >= 1 && i <= 5);
		assert_int_equal(torn_state_shard(key, 5), i);
	}
	{
		struct torn_hash128 key = { 1, 2 };

		assert_int_equal(torn_state_shard(key, 1000), 192);
	}
	assert_int_equal(torn_check_shard_parse("2/3", &i, &k, &err), 0);
	assert_int_equal(i, 2);
	assert_int_equal(k, 3);
	assert_int_equal(torn_check_shard_parse("0/3", &i, &k, &err),
			 TORN_E_USAGE);
	assert_string_equal(err.msg, "expected I/N, 1 <= I <= N <= 1024");
	assert_int_equal(torn_check_shard_parse("4/3", &i, &k, &err),
			 TORN_E_USAGE);
	assert_int_equal(torn_check_shard_parse("1/ 3", &i, &k, &err),
			 TORN_E_USAGE);
	assert_int_equal(torn_check_shard_parse("1/1025", &i, &k, &err),
			 TORN_E_USAGE);
	assert_int_equal(torn_check_shard_parse("1/3x", &i, &k, &err),
			 TORN_E_USAGE);
	free(run.markers);
	free(base);
	g_string_free(all, TRUE);
	g_string_free(w0.points, TRUE);
	torn_trace_free(t);
}

/* ---- torn merge ---------------------------------------------------------- */

/* A shard's run directory: trace, check.json of shard i/n, verdicts. */
static char *shard_dir(const char *trace, uint64_t i, uint64_t n,
		       const char *engines, const struct vline *lines)
{
	char *dir = make_dir(), *p = g_build_filename(dir, "trace.torn", NULL);
	struct torn_run_check c;
	struct torn_err err = { "" };

	assert_true(g_file_set_contents(p, trace, -1, NULL));
	g_free(p);
	p = g_build_filename(dir, "meta.json", NULL);
	assert_true(g_file_set_contents(p, "{\"fs\":\"devdax\"}\n", -1, NULL));
	g_free(p);
	torn_run_check_init(&c);
	snprintf(c.model, sizeof(c.model), "adr");
	snprintf(c.engines, sizeof(c.engines), "%s", engines);
	c.shard_index = i;
	c.shard_count = n;
	assert_int_equal(torn_run_check_write(dir, &c, &err), 0);
	if (lines)
		write_verdicts(dir, lines);
	return dir;
}

static void rm_tree(char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);

		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
	g_free(dir);
}

static void test_merge(void **state)
{
	static const struct vline one[] = {
		{ "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
		{ "4.prefix.1", TORN_V_ERROR, WHOLE, true },
		{ "4.prefix.1", TORN_V_INCONSISTENT, WHOLE, true },
		END
	};
	static const struct vline two[] = {
		{ "7.prefix.0", TORN_V_CONSISTENT, WHOLE, true }, END
	};
	static const struct vline clash[] = {
		{ "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true }, END
	};
	char *a = shard_dir("T1", 1, 2, "prefix", one);
	char *b = shard_dir("T1", 2, 2, "prefix", two);
	char *other = shard_dir("T2", 2, 2, "prefix", two);
	char *eng = shard_dir("T1", 2, 2, "subsets:1", two);
	char *dup = shard_dir("T1", 2, 2, "prefix", clash);
	char *all = shard_dir("T1", 0, 0, "prefix", two);
	char *tmp = make_dir();
	char *out = g_build_filename(tmp, "merged", NULL);
	const char *runs[3];
	struct torn_err err = { "" };
	struct torn_run_check c;
	GHashTable *last;
	uint64_t n = 0;

	(void)state;
	runs[0] = b;
	runs[1] = a;
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err), 0);
	assert_int_equal(n, 3);
	last = check_last_verdicts(out, NULL);
	assert_int_equal(g_hash_table_size(last), 3);
	assert_int_equal(
		GPOINTER_TO_INT(g_hash_table_lookup(last, "4.prefix.1")) - 1,
		TORN_V_INCONSISTENT);
	g_hash_table_destroy(last);
	assert_int_equal(torn_run_check_read(out, &c, &err), 0);
	assert_int_equal(c.shard_count, 0);
	assert_string_equal(c.engines, "prefix");
	{
		char *p = g_build_filename(out, "trace.torn", NULL);

		assert_true(g_file_test(p, G_FILE_TEST_IS_REGULAR));
		g_free(p);
	}
	/* out exists now */
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "torn merge makes a new run"));
	rm_tree(g_strdup(out));

	runs[0] = a;
	assert_int_equal(torn_check_merge(out, runs, 1, &n, &err),
			 TORN_E_USAGE);
	assert_string_equal(err.msg, "shard 2 of 2 is missing: give every "
				     "shard's run directory");
	runs[1] = a;
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "shard 1 of 2 given twice"));
	runs[1] = other;
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "are checks of different traces"));
	runs[1] = eng;
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "engines prefix,"));
	assert_non_null(strstr(err.msg, "engines subsets:1,"));
	runs[1] = dup;
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "state 2.prefix.0 has verdicts in "
					"two shards"));
	assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
	{
		/* a shard checked by another kit (--any-kit) */
		char *k = shard_dir("T1", 2, 2, "prefix", two);

		torn_run_check_read(k, &c, &err);
		snprintf(c.kit, sizeof(c.kit), "0123456789abcdef");
		assert_int_equal(torn_run_check_write(k, &c, &err), 0);
		runs[1] = k;
		assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
				 TORN_E_USAGE);
		assert_non_null(strstr(err.msg, "kit 0123456789ab"));
		assert_non_null(strstr(err.msg, "kit unknown"));
		assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
		rm_tree(k);
	}
	runs[1] = all;
	assert_int_equal(torn_check_merge(out, runs, 2, &n, &err),
			 TORN_E_USAGE);
	assert_non_null(strstr(err.msg, "not a shard (checked without "
					"--shard)"));
	assert_false(g_file_test(out, G_FILE_TEST_EXISTS));
	rm_tree(a);
	rm_tree(b);
	rm_tree(other);
	rm_tree(eng);
	rm_tree(dup);
	rm_tree(all);
	g_free(out);
	rm_tree(tmp);
}

/* ---- the exit code ----------------------------------------------------- */

static void test_exit_code(void **state)
{
	static const struct {
		uint64_t count[TORN_V_COUNT];
		uint64_t known;
		bool strict;
		int code;
	} cases[] = {
		{ { 0 }, 0, false, TORN_EXIT_OK },
		{ { [TORN_V_CONSISTENT] = 5 }, 0, false, TORN_EXIT_OK },
		{ { [TORN_V_CONSISTENT] = 5, [TORN_V_INCONSISTENT] = 1 },
		  0,
		  false,
		  TORN_EXIT_FAIL },
		{ { [TORN_V_UNRECOVERABLE] = 1 }, 0, false, TORN_EXIT_FAIL },
		{ { [TORN_V_TIMEOUT] = 2 }, 0, false, TORN_EXIT_FAIL },
		{ { [TORN_V_CONSISTENT] = 3, [TORN_V_ERROR] = 1 },
		  0,
		  false,
		  TORN_EXIT_INFRA },
		{ { [TORN_V_ERROR] = 1, [TORN_V_TIMEOUT] = 1 },
		  0,
		  false,
		  TORN_EXIT_INFRA },
		{ { [TORN_V_ERROR] = 1, [TORN_V_INCONSISTENT] = 1 },
		  0,
		  false,
		  TORN_EXIT_FAIL },
		{ { [TORN_V_ERROR] = 1, [TORN_V_UNRECOVERABLE] = 1 },
		  0,
		  false,
		  TORN_EXIT_FAIL },
		/* known findings: a pass unless strict, or a new one too */
		{ { [TORN_V_CONSISTENT] = 96, [TORN_V_UNRECOVERABLE] = 12 },
		  12,
		  false,
		  TORN_EXIT_OK },
		{ { [TORN_V_CONSISTENT] = 96, [TORN_V_UNRECOVERABLE] = 12 },
		  12,
		  true,
		  TORN_EXIT_FAIL },
		{ { [TORN_V_CONSISTENT] = 96,
		    [TORN_V_UNRECOVERABLE] = 12,
		    [TORN_V_INCONSISTENT] = 1 },
		  12,
		  false,
		  TORN_EXIT_FAIL },
		{ { [TORN_V_INCONSISTENT] = 2, [TORN_V_TIMEOUT] = 1 },
		  2,
		  false,
		  TORN_EXIT_FAIL },
		{ { [TORN_V_INCONSISTENT] = 2, [TORN_V_ERROR] = 1 },
		  2,
		  false,
		  TORN_EXIT_INFRA },
		{ { [TORN_V_INCONSISTENT] = 2, [TORN_V_ERROR] = 1 },
		  2,
		  true,
		  TORN_EXIT_FAIL },
	};
	size_t i;
	int v;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint64_t done = 0;

		for (v = 0; v < TORN_V_COUNT; v++)
			done += cases[i].count[v];
		if (check_exit_code(cases[i].count, done, cases[i].known,
				    cases[i].strict) != cases[i].code)
			fail_msg("case %zu: exit %d, expected %d", i,
				 check_exit_code(cases[i].count, done,
						 cases[i].known,
						 cases[i].strict),
				 cases[i].code);
	}
}

/* The summary's "F1 ×10, F2 ×2": most first, ties in file order. */
static void test_known_text(void **state)
{
	struct torn_known *k = NULL;
	struct torn_err err = { "" };
	uint64_t by[7] = { 2, 10, 0, 2, 0, 0, 0 };
	char buf[64];

	(void)state;
	assert_int_equal(torn_check_known_load(&k, NULL, 0, &err), 0);
	assert_int_equal(torn_known_count(k), 7);
	check_known_text(k, by, buf, sizeof(buf));
	assert_string_equal(buf, "F2 ×10, F1 ×2, F4 ×2");
	check_known_text(k, by, buf, 12);
	assert_string_equal(buf, "F2 ×10, F1");
	memset(by, 0, sizeof(by));
	check_known_text(k, by, buf, sizeof(buf));
	assert_string_equal(buf, "");
	torn_known_free(k);
	/* none: not even the stock ones; a missing file: its path, why */
	{
		const char *none[] = { "none" },
			   *missing[] = { "/nonexistent/x" };

		assert_int_equal(torn_check_known_load(&k, none, 1, &err), 0);
		assert_int_equal(torn_known_count(k), 0);
		torn_known_free(k);
		assert_int_equal(torn_check_known_load(&k, missing, 1, &err),
				 -ENOENT);
		assert_null(k);
		assert_non_null(strstr(err.msg, "cannot read known findings "
						"/nonexistent/x: "));
	}
}

/* ---- how a check starts and ends ---------------------------------------- */

static void test_resume_skips(void **state)
{
	static const struct {
		int verdict;
		bool skipped;
	} cases[] = {
		{ TORN_V_CONSISTENT, true },	{ TORN_V_INCONSISTENT, true },
		{ TORN_V_UNRECOVERABLE, true }, { TORN_V_TIMEOUT, true },
		{ TORN_V_ERROR, false },
	};
	size_t i;

	assert_int_equal(G_N_ELEMENTS(cases), TORN_V_COUNT);
	for (i = 0; i < G_N_ELEMENTS(cases); i++)
		if (check_resume_skips(cases[i].verdict) != cases[i].skipped)
			fail_msg("--resume %s a state whose verdict is %s",
				 cases[i].skipped ? "checks again" : "skips",
				 torn_verdict_name(cases[i].verdict));
}

static void test_start_decide(void **state)
{
	static const struct {
		bool resume, fresh;
		uint64_t lines;
		enum check_start start;
	} cases[] = {
		{ false, false, 0, CHECK_START_NEW },
		{ false, false, 3, CHECK_START_REFUSE },
		{ true, false, 0, CHECK_START_RESUME },
		{ true, false, 3, CHECK_START_RESUME },
		{ false, true, 0, CHECK_START_NEW },
		{ false, true, 3, CHECK_START_FRESH },
		{ true, true, 0, CHECK_START_BOTH },
		{ true, true, 3, CHECK_START_BOTH },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++)
		if (check_start_decide(cases[i].resume, cases[i].fresh,
				       cases[i].lines) != cases[i].start)
			fail_msg("case %zu: resume %d fresh %d lines %" PRIu64
				 ": start %d, expected %d",
				 i, cases[i].resume, cases[i].fresh,
				 cases[i].lines,
				 check_start_decide(cases[i].resume,
						    cases[i].fresh,
						    cases[i].lines),
				 cases[i].start);
}

static void test_end_decide(void **state)
{
	static const uint64_t ok[TORN_V_COUNT] = { [TORN_V_CONSISTENT] = 4 };
	static const uint64_t bad[TORN_V_COUNT] = {
		[TORN_V_CONSISTENT] = 3, [TORN_V_INCONSISTENT] = 1
	};
	static const struct {
		struct check_end end;
		int code;
		const char *line;
	} cases[] = {
		{ { 0, false, false, 0, ok, 4, 0, false }, TORN_EXIT_OK, "" },
		{ { 0, false, false, 0, bad, 4, 0, false },
		  TORN_EXIT_FAIL,
		  "" },
		{ { 0, false, false, 0, bad, 4, 1, false }, TORN_EXIT_OK, "" },
		{ { -ENOSPC, false, false, 12, ok, 4, 0, false },
		  TORN_EXIT_INFRA,
		  "torn: cannot append to RUN/verdicts.jsonl: No space left "
		  "on device; 12 verdicts kept; continue with torn check RUN "
		  "--resume" },
		{ { -EIO, true, false, 1, bad, 4, 0, false },
		  TORN_EXIT_INFRA,
		  "torn: cannot sync RUN/verdicts.jsonl: Input/output error; "
		  "1 verdict kept; continue with torn check RUN --resume" },
		/* a lost verdict says more than the signal that came after */
		{ { -EIO, false, true, 0, ok, 0, 0, false },
		  TORN_EXIT_INFRA,
		  "torn: cannot append to RUN/verdicts.jsonl: Input/output "
		  "error; 0 verdicts kept; continue with torn check RUN "
		  "--resume" },
		{ { 0, false, true, 7, bad, 4, 0, false },
		  TORN_EXIT_INTERRUPTED,
		  "torn: interrupted; 7 verdicts kept in RUN/verdicts.jsonl; "
		  "continue with torn check RUN --resume" },
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char line[400];
		int code = check_end_decide(&cases[i].end, "RUN", line,
					    sizeof(line));

		assert_int_equal(code, cases[i].code);
		assert_string_equal(line, cases[i].line);
	}
}

/* A verdict not written stops the pool: no idle checker is handed out. */
static void test_pool_stops(void **state)
{
	struct checker checkers[2] = { 0 };
	struct check_pool p = { 0 };

	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	p.checkers = checkers;
	p.jobs = 2;
	checkers[0].has_job = true;
	assert_ptr_equal(check_pool_wait_free(&p), &checkers[1]);
	pthread_mutex_lock(&p.lock);
	check_pool_log_failed(&p, -ENOSPC);
	check_pool_log_failed(&p, -EIO); /* a checker in flight fails too */
	pthread_mutex_unlock(&p.lock);
	assert_int_equal(p.log_error, -ENOSPC);
	assert_true(p.stopping);
	assert_null(check_pool_wait_free(&p));
	/* not even when every checker is busy: no waiting for one */
	checkers[1].has_job = true;
	assert_null(check_pool_wait_free(&p));
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
}

/* torn_check_run decides on verdicts.jsonl before it loads or boots. */
static void test_run_start(void **state)
{
	static const struct {
		bool resume, fresh;
		int code;
	} cases[] = {
		{ false, false, TORN_EXIT_USAGE },
		{ true, true, TORN_EXIT_USAGE },
		/* accepted: then the missing trace.torn is the run's end */
		{ true, false, TORN_EXIT_INFRA },
		{ false, true, TORN_EXIT_INFRA },
	};
	static const struct vline lines[] = {
		{ "2.prefix.0", TORN_V_CONSISTENT, WHOLE, true },
		{ "4.prefix.0", TORN_V_ERROR, WHOLE, false },
		END,
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *dir = make_dir();
		char *p = g_build_filename(dir, "verdicts.jsonl", NULL);
		char *before, *after;
		struct torn_check_opts o;

		write_verdicts(dir, lines);
		assert_true(g_file_get_contents(p, &before, NULL, NULL));
		torn_check_opts_init(&o);
		o.dir = dir;
		o.resume = cases[i].resume;
		o.fresh = cases[i].fresh;
		assert_int_equal(torn_check_run(&o), cases[i].code);
		/* nothing truncated, nothing renamed: no run to check */
		assert_true(g_file_get_contents(p, &after, NULL, NULL));
		assert_string_equal(before, after);
		g_free(before);
		g_free(after);
		g_free(p);
		remove_dir(dir);
	}
}

/* A run directory of trace text over a zeroed base.img, devdax. */
static char *make_run(const char *text)
{
	struct torn_run_meta m;
	struct torn_trace *t;
	struct torn_err err = { "" };
	char *dir = make_dir(), *p, *zero;
	uint64_t size;

	assert_int_equal(torn_trace_parse_text(text, &t, &err), 0);
	size = torn_trace_get_header(t)->pm_size;
	p = g_build_filename(dir, "trace.torn", NULL);
	assert_int_equal(torn_trace_save(t, p), 0);
	g_free(p);
	zero = g_malloc0(size);
	p = g_build_filename(dir, "base.img", NULL);
	assert_true(g_file_set_contents(p, zero, (gssize)size, NULL));
	g_free(p);
	g_free(zero);
	torn_run_meta_init(&m);
	snprintf(m.fs, sizeof(m.fs), "devdax");
	snprintf(m.flush_mode, sizeof(m.flush_mode), "clflush");
	assert_int_equal(torn_run_meta_write(dir, &m, &err), 0);
	torn_trace_free(t);
	return dir;
}

static void remove_run(char *dir)
{
	static const char *const files[] = { "trace.torn", "base.img",
					     "meta.json", "check.json" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(files); i++) {
		char *p = g_build_filename(dir, files[i], NULL);

		g_unlink(p);
		g_free(p);
	}
	remove_dir(dir);
}

/*
 * No crash state at all is never "all consistent": exit 4 after a line
 * that says so, before any kit or guest is needed; 0 with allow_empty.
 * A trace of markers alone has no write in flight anywhere.
 */
static void test_nothing_to_check(void **state)
{
	static const char empty[] = "header pm_size=0x1000\n"
				    "mark 16 0\n"
				    "mark 16 1\n";
	char *dir = make_run(empty);
	struct torn_check_opts o;

	torn_check_opts_init(&o);
	o.dir = dir;
	assert_int_equal(torn_check_run(&o), TORN_EXIT_EMPTY);
	o.fresh = true; /* verdicts.jsonl exists now, empty */
	o.allow_empty = true;
	assert_int_equal(torn_check_run(&o), TORN_EXIT_OK);
	remove_run(dir);
}

/*
 * The run's settings are the run's: --fs and --flush against meta.json
 * always; with --resume the states settings against check.json, taken
 * from it when not given.
 */
static void test_settings(void **state)
{
	static const char text[] = "header pm_size=0x1000\n"
				   "store 0x0 8 *aa\n"
				   "fence sfence\n";
	char *dir = make_run(text), pbuf[256];
	struct torn_run_meta meta;
	struct torn_run_check c;
	struct torn_check_opts o;
	struct torn_err err = { "" };

	torn_run_meta_init(&meta);
	assert_int_equal(torn_run_meta_read(dir, &meta, &err), 0);
	torn_run_check_init(&c);
	snprintf(c.model, sizeof(c.model), "adr");
	snprintf(c.granularity, sizeof(c.granularity), "torn");
	snprintf(c.points, sizeof(c.points), "fence,flush");
	snprintf(c.engines, sizeof(c.engines), "prefix,torn");
	c.from_op = 2;
	assert_int_equal(torn_run_check_write(dir, &c, &err), 0);

	/* --fs other than the trace's: a usage error naming both */
	torn_check_opts_init(&o);
	o.dir = dir;
	o.guest.fs_kind = torn_fs_kind_parse("xfs-dax");
	o.given = TORN_CHECK_GIVEN_FS;
	assert_int_equal(check_settings_reconcile(&o, &meta, false, pbuf,
						  sizeof(pbuf), &err),
			 TORN_E_USAGE);
	assert_string_equal(err.msg,
			    "--fs xfs-dax: the run was traced on devdax "
			    "(meta.json): a run is checked on its own");
	/* the same through torn_check_run, before anything loads */
	assert_int_equal(torn_check_run(&o), TORN_EXIT_USAGE);
	o.guest.fs_kind = torn_fs_kind_parse("devdax");
	assert_int_equal(check_settings_reconcile(&o, &meta, false, pbuf,
						  sizeof(pbuf), &err),
			 0);

	/* --resume without settings: check.json's */
	torn_check_opts_init(&o);
	o.dir = dir;
	assert_int_equal(check_settings_reconcile(&o, &meta, true, pbuf,
						  sizeof(pbuf), &err),
			 0);
	assert_int_equal(o.states.granularity, TORN_GRAN_TORN);
	assert_int_equal(o.states.points,
			 TORN_POINTS_FENCE | TORN_POINTS_FLUSH);
	assert_string_equal(o.points_text, "fence,flush");
	assert_int_equal(o.states.n_engines, 2);
	assert_int_equal(o.states.engines[1].kind, TORN_ENGINE_TORN);
	assert_int_equal(o.from_op, 2);

	/* the same engines given: fine; others: refused */
	o.given = TORN_CHECK_GIVEN_ENGINES;
	assert_int_equal(check_settings_reconcile(&o, &meta, true, pbuf,
						  sizeof(pbuf), &err),
			 0);
	torn_check_opts_init(&o);
	o.dir = dir;
	o.given = TORN_CHECK_GIVEN_ENGINES;
	assert_int_equal(check_settings_reconcile(&o, &meta, true, pbuf,
						  sizeof(pbuf), &err),
			 TORN_E_USAGE);
	assert_string_equal(
		err.msg,
		"--engine prefix,subsets:1: the run was checked with "
		"prefix,torn (check.json); --fresh starts over with other "
		"settings");
	/* without --resume other settings are a new check's */
	assert_int_equal(check_settings_reconcile(&o, &meta, false, pbuf,
						  sizeof(pbuf), &err),
			 0);
	remove_run(dir);
}

static volatile sig_atomic_t earlier_handler_ran;

static void earlier_handler(int sig)
{
	earlier_handler_ran++;
}

/*
 * The first SIGINT only marks the check interrupted (it cleans up and
 * says so); the second reaches the handler from before (torn_vm's:
 * kill the guests and die).  Last: the mark stays for the process.
 */
static void test_signals(void **state)
{
	struct sigaction sa = { 0 }, old;

	sa.sa_handler = earlier_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGINT, &sa, &old), 0);
	check_signals_install();
	assert_false(check_interrupted());
	raise(SIGINT);
	assert_true(check_interrupted());
	assert_int_equal(earlier_handler_ran, 0);
	raise(SIGINT);
	assert_int_equal(earlier_handler_ran, 1);
	check_signals_restore();
	raise(SIGINT);
	assert_int_equal(earlier_handler_ran, 2);
	assert_int_equal(sigaction(SIGINT, &old, NULL), 0);
}

/* ---- check.json ---------------------------------------------------------- */

static const struct json_case {
	int model, granularity;
	const char *points_text;
	const char *engines[3];
	unsigned int oracles;
	uint64_t from_op;
	struct torn_run_check want;
} json_cases[] = {
	{ TORN_MODEL_ADR,
	  TORN_GRAN_LINE,
	  NULL,
	  { NULL },
	  TORN_O_ALL,
	  0,
	  { "adr", "line", "fence", "prefix,subsets:1",
	    "mount,fsck,dmesg,durability,atomicity,usability,custom", 0, 0, 0,
	    "" } },
	{ TORN_MODEL_EADR,
	  TORN_GRAN_TORN,
	  "fence,store:100",
	  { "prefix", "full:16", NULL },
	  TORN_O_BIT(TORN_O_MOUNT) | TORN_O_BIT(TORN_O_CUSTOM),
	  3,
	  { "eadr", "torn", "fence,store:100", "prefix,full:16", "mount,custom",
	    3, 0, 0, "" } },
	{ TORN_MODEL_ADR,
	  TORN_GRAN_LINE,
	  "all",
	  { "random:5", "subsets:2", NULL },
	  TORN_O_BIT(TORN_O_DURABILITY),
	  0,
	  { "adr", "line", "all", "random:5:0,subsets:2", "durability", 0, 0, 0,
	    "" } },
};

static void test_check_json(void **state)
{
	size_t i, k;

	for (i = 0; i < G_N_ELEMENTS(json_cases); i++) {
		const struct json_case *c = &json_cases[i];
		struct torn_check_opts o;
		struct torn_run_check got, back;
		struct torn_err err = { "" };
		char *dir = make_dir(), *p;

		torn_check_opts_init(&o);
		o.dir = dir;
		o.states.granularity = c->granularity;
		o.points_text = c->points_text;
		o.oracles = c->oracles;
		o.from_op = c->from_op;
		if (c->engines[0])
			o.states.n_engines = 0;
		for (k = 0; c->engines[k]; k++) {
			struct torn_engine *e = &o.states.engines[k];

			assert_int_equal(
				torn_engine_parse(c->engines[k], e, &err), 0);
			o.states.n_engines++;
		}
		check_json_fill(&got, &o, c->model);
		assert_string_equal(got.model, c->want.model);
		assert_string_equal(got.granularity, c->want.granularity);
		assert_string_equal(got.points, c->want.points);
		assert_string_equal(got.engines, c->want.engines);
		assert_string_equal(got.oracles, c->want.oracles);
		assert_int_equal(got.from_op, c->want.from_op);
		/* what torn replay reads back */
		assert_int_equal(torn_run_check_write(dir, &got, &err), 0);
		assert_int_equal(torn_run_check_read(dir, &back, &err), 0);
		assert_string_equal(back.model, c->want.model);
		assert_string_equal(back.engines, c->want.engines);
		p = g_build_filename(dir, "check.json", NULL);
		g_unlink(p);
		g_free(p);
		remove_dir(dir);
	}
}

static void test_restore(void **state)
{
	size_t size = 64 * 4096;
	uint8_t *a = calloc(1, size), *b = calloc(1, size);

	b[5] = 1;
	b[3 * 4096 + 7] = 2;
	b[size - 1] = 3;
	assert_int_equal(check_restore(a, b, size), 3);
	assert_memory_equal(a, b, size);
	assert_int_equal(check_restore(a, b, size), 0);
	free(a);
	free(b);
}

/* A pseudo-random walk for test_restore_state. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The restore of a check: over a walk of crash points (lines persisted),
 * states (deltas of lines and granules) and recoveries (pages a guest
 * writes, marked as the write tracker marks them, or all pages when it
 * is off), the backing file always equals persisted + delta byte for
 * byte, and only the pages marked are looked at.  A write left unmarked
 * is restored wrong: the comparison can fail.
 */
static void test_restore_state(void **state)
{
	const size_t size = 1 << 20, npages = size / CHECK_PAGE;
	uint8_t *persisted = malloc(size), *pm = malloc(size);
	uint8_t *want = malloc(size), data[16][64];
	struct torn_delta_ent ent[16];
	struct torn_crash_state cs;
	struct check_pages stale;
	uint64_t seed = 88172645463325252ULL, copied_total = 0;
	int step, i;

	(void)state;
	for (i = 0; i < (int)size; i++)
		persisted[i] = (uint8_t)(i * 7 + 3);
	memcpy(pm, persisted, size);
	assert_int_equal(check_pages_init(&stale, size), 0);
	assert_int_equal(check_pages_count(&stale), 0);
	for (step = 0; step < 400; step++) {
		int lines = (int)(rnd(&seed) % 5), n = (int)(rnd(&seed) % 16);
		int writes = (int)(rnd(&seed) % 4);

		/* a crash point persists lines */
		for (i = 0; i < lines; i++) {
			uint64_t off = rnd(&seed) % (size / 64) * 64;

			memset(persisted + off, (int)rnd(&seed), 64);
			check_pages_mark(&stale, off, 64);
		}
		/* a state: lines and granules in flight */
		memset(&cs, 0, sizeof(cs));
		for (i = 0; i < n; i++) {
			bool granule = rnd(&seed) & 1;

			ent[i].len = granule ? 8 : 64;
			ent[i].offset =
				rnd(&seed) % (size / ent[i].len) * ent[i].len;
			memset(data[i], (int)rnd(&seed), sizeof(data[i]));
			ent[i].data = data[i];
		}
		cs.n_delta = (size_t)n;
		cs.delta = ent;
		copied_total +=
			check_restore_state(pm, persisted, &cs, &stale, NULL);
		memcpy(want, persisted, size);
		torn_state_apply(&cs, want);
		assert_memory_equal(pm, want, size);
		assert_true(check_pages_count(&stale) <= (uint64_t)n);
		/* recovery writes pages; the tracker says which */
		for (i = 0; i < writes; i++) {
			uint64_t pg = rnd(&seed) % npages;

			pm[pg * CHECK_PAGE + rnd(&seed) % CHECK_PAGE] ^= 0xa5;
			check_pages_mark(&stale, pg * CHECK_PAGE, 1);
		}
		if (step % 97 == 0) { /* tracking lost: all pages */
			pm[rnd(&seed) % size] ^= 0x11;
			check_pages_mark_all(&stale);
			assert_int_equal(check_pages_count(&stale), npages);
		}
	}
	assert_true(copied_total > 0);

	/* a write nobody marked stays: the restore is only as exact as
	 * the marks (and the test sees it) */
	memset(&cs, 0, sizeof(cs));
	check_restore_state(pm, persisted, &cs, &stale, NULL);
	pm[5 * CHECK_PAGE] ^= 1;
	check_restore_state(pm, persisted, &cs, &stale, NULL);
	assert_memory_not_equal(pm, persisted, size);
	check_pages_mark(&stale, 5 * CHECK_PAGE + 4095, 1);
	assert_int_equal(check_restore_state(pm, persisted, &cs, &stale, NULL),
			 1);
	assert_memory_equal(pm, persisted, size);

	/* marks past the end are ignored; a range spans its pages */
	check_pages_mark(&stale, size + 1, 10);
	assert_int_equal(check_pages_count(&stale), 0);
	check_pages_mark(&stale, CHECK_PAGE - 1, 2);
	assert_int_equal(check_pages_count(&stale), 2);
	check_pages_fini(&stale);
	free(persisted);
	free(pm);
	free(want);
}

struct remote_copy {
	uint8_t *dst;
	const uint8_t *src;
	uint64_t bytes, last_end;
};

static void copy_run(uint64_t off, uint64_t len, void *ctx)
{
	struct remote_copy *r = ctx;

	assert_true(len > 0 && off % CHECK_PAGE == 0 && len % CHECK_PAGE == 0);
	assert_true(off >= r->last_end); /* in order, apart */
	memcpy(r->dst + off, r->src + off, len);
	r->bytes += len;
	r->last_end = off + len;
}

/*
 * A remote checker (check/remote.c): its NVDIMM is another host's
 * volume, this host holds a copy.  After each restore the pages
 * `changed` marks are uploaded in runs, and after each recovery the
 * volume is read back and compared.  Over a walk, the volume equals
 * persisted + delta before every check, byte for byte, and far less
 * than the image goes up.  Without the changed marks it would not.
 */
static void test_restore_remote(void **state)
{
	const size_t size = 1 << 20, npages = size / CHECK_PAGE;
	uint8_t *persisted = malloc(size), *pm = malloc(size);
	uint8_t *vol = malloc(size), *want = malloc(size), data[8][64];
	struct torn_delta_ent ent[8];
	struct torn_crash_state cs;
	struct check_pages stale, push;
	struct remote_copy up = { .dst = vol, .src = pm };
	uint64_t seed = 2463534242ULL, steps = 300, gaps = 0;
	size_t i;
	int step;

	(void)state;
	for (i = 0; i < size; i++)
		persisted[i] = (uint8_t)(i * 13 + 1);
	memcpy(pm, persisted, size);
	memcpy(vol, persisted, size);
	assert_int_equal(check_pages_init(&stale, size), 0);
	assert_int_equal(check_pages_init(&push, size), 0);
	for (step = 0; step < (int)steps; step++) {
		size_t n = rnd(&seed) % 8, writes = rnd(&seed) % 3;

		for (i = 0; i < rnd(&seed) % 4; i++) {
			uint64_t off = rnd(&seed) % (size / 64) * 64;

			memset(persisted + off, (int)rnd(&seed), 64);
			check_pages_mark(&stale, off, 64);
		}
		memset(&cs, 0, sizeof(cs));
		for (i = 0; i < n; i++) {
			ent[i].len = 64;
			ent[i].offset = rnd(&seed) % (size / 64) * 64;
			memset(data[i], (int)rnd(&seed), 64);
			ent[i].data = data[i];
		}
		cs.n_delta = n;
		cs.delta = ent;
		check_restore_state(pm, persisted, &cs, &stale, &push);
		up.last_end = 0;
		gaps += check_pages_runs(&push, step % 2 ? 16 : 0, copy_run,
					 &up);
		assert_int_equal(check_pages_count(&push), 0);
		memcpy(want, persisted, size);
		torn_state_apply(&cs, want);
		assert_memory_equal(vol, want, size);
		/* recovery writes the volume; the read-back finds it */
		for (i = 0; i < writes; i++)
			vol[rnd(&seed) % size] ^= 0x5a;
		for (i = 0; i < npages; i++)
			if (memcmp(vol + i * CHECK_PAGE, pm + i * CHECK_PAGE,
				   CHECK_PAGE)) {
				memcpy(pm + i * CHECK_PAGE,
				       vol + i * CHECK_PAGE, CHECK_PAGE);
				check_pages_mark(&stale, i * CHECK_PAGE, 1);
			}
	}
	assert_true(gaps > 0);
	assert_true(up.bytes < steps * size / 4); /* the image: steps * size */

	/* a restore whose changes are not uploaded leaves the volume wrong */
	memset(&cs, 0, sizeof(cs));
	ent[0].offset = 3 * CHECK_PAGE;
	ent[0].len = 64;
	memset(data[0], 0xee, 64);
	ent[0].data = data[0];
	cs.n_delta = 1;
	cs.delta = ent;
	check_restore_state(pm, persisted, &cs, &stale, NULL);
	assert_memory_not_equal(vol, pm, size);

	/* runs: joined across a gap of at most gap pages, apart past it */
	check_pages_mark(&push, 0, 1);
	check_pages_mark(&push, 2 * CHECK_PAGE, 1);
	check_pages_mark(&push, 10 * CHECK_PAGE, 2 * CHECK_PAGE);
	up.last_end = 0;
	up.bytes = 0;
	assert_int_equal(check_pages_runs(&push, 1, copy_run, &up), 2);
	assert_int_equal(up.bytes, 5 * CHECK_PAGE);
	check_pages_mark(&push, 0, 1);
	check_pages_mark(&push, 10 * CHECK_PAGE, 1);
	up.last_end = 0;
	assert_int_equal(check_pages_runs(&push, 0, copy_run, &up), 2);
	assert_int_equal(check_pages_runs(&push, 0, copy_run, &up), 0);
	check_pages_fini(&stale);
	check_pages_fini(&push);
	free(persisted);
	free(pm);
	free(vol);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers_before),
		cmocka_unit_test(test_dedup_key),
		cmocka_unit_test(test_dedup_from_op),
		cmocka_unit_test(test_state_is_new),
		cmocka_unit_test(test_resume_set),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_known_text),
		cmocka_unit_test(test_resume_skips),
		cmocka_unit_test(test_start_decide),
		cmocka_unit_test(test_end_decide),
		cmocka_unit_test(test_pool_stops),
		cmocka_unit_test(test_check_json),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_state),
		cmocka_unit_test(test_restore_remote),
		cmocka_unit_test(test_run_start),
		cmocka_unit_test(test_nothing_to_check),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_signals), /* last: it stays interrupted */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
