/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report: summary counts, JUnit well-formedness, escaping, bad files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "model.h"
#include "known.h"
#include "report.h"
#include "report_int.h"
#include "rundir.h"
#include "torn_exit.h"
#include "trace.h"

struct ctx {
	char *tmp;
	char *ok, *bad;
	struct fixture_expect ok_exp, bad_exp;
	struct torn_report *ok_r, *bad_r;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct torn_err err = { "" };

	c->tmp = g_dir_make_tmp("torn-report-test-XXXXXX", NULL);
	if (!c->tmp)
		return -1;
	c->ok = g_build_filename(c->tmp, "ok", NULL);
	c->bad = g_build_filename(c->tmp, "bad run's <dir>", NULL);
	if (fixture_make(c->ok, false, &c->ok_exp) ||
	    fixture_make(c->bad, true, &c->bad_exp))
		return -1;
	if (torn_report_load(c->ok, NULL, &c->ok_r, &err) ||
	    torn_report_load(c->bad, NULL, &c->bad_r, &err)) {
		fprintf(stderr, "load: %s\n", err.msg);
		return -1;
	}
	*state = c;
	return 0;
}

static int rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	if (d) {
		while ((name = g_dir_read_name(d))) {
			char *p = g_build_filename(path, name, NULL);

			rm_rf(p);
			g_free(p);
		}
		g_dir_close(d);
		return g_rmdir(path);
	}
	return g_unlink(path);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	torn_report_free(c->ok_r);
	torn_report_free(c->bad_r);
	if (!getenv("TORN_KEEP"))
		rm_rf(c->tmp);
	g_free(c->tmp);
	g_free(c->ok);
	g_free(c->bad);
	free(c);
	return 0;
}

/* A renderer's whole output as a string (NUL-terminated, *len bytes). */
static char *render(const struct torn_report *r,
		    int (*fn)(const struct torn_report *, FILE *), size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	assert_int_equal(fn(r, f), 0);
	fclose(f);
	if (len)
		*len = size;
	return buf;
}

static void check_counts(const struct torn_report *r,
			 const struct fixture_expect *e)
{
	uint64_t failing_points = 0, checked_points = 0;
	size_t i, o;
	int v;

	assert_true(r->has_trace);
	assert_int_equal(r->records, e->records);
	assert_int_equal(r->lines, e->lines);
	assert_int_equal(r->states, e->states);
	assert_int_equal(r->bad_lines, e->bad_lines);
	assert_int_equal(r->duplicates, e->duplicates);
	for (v = 0; v < TORN_V_COUNT; v++) {
		print_message("verdict %s\n", torn_verdict_name(v));
		assert_int_equal(r->by_verdict[v], e->by_verdict[v]);
	}
	assert_int_equal(r->failing,
			 e->states - e->by_verdict[TORN_V_CONSISTENT]);
	assert_int_equal(r->n_failures, r->failing);
	assert_int_equal(r->unique_images, e->unique_images);
	assert_int_equal(r->unique_semantic, e->unique_semantic);
	assert_int_equal(r->restore_ms, e->restore_ms);
	assert_int_equal(r->check_ms, e->check_ms);
	assert_int_equal(r->checkers, e->states > 1 ? 2 : 1);
	assert_int_equal(r->boot_ms, 1234);
	assert_int_equal(r->workload_ms, 56);
	assert_string_equal(r->fs, "ext4-dax");
	assert_string_equal(r->flush_mode, "clwb");
	/* the enumeration again gives what the fixture's check saw */
	assert_int_equal(r->enum_status, TORN_REPORT_ENUM_DONE);
	assert_int_equal(r->enum_generated, e->generated);
	assert_int_equal(r->enum_unique, e->unique);
	assert_int_equal(r->enum_matched, e->states);
	assert_int_equal(r->enum_mismatched, 0);
	assert_int_equal(r->enum_missing, 0);
	assert_non_null(strstr(r->enum_options, "points fence"));
	assert_int_equal(r->n_engines, 2);
	assert_string_equal(r->engines[0].name, "prefix");
	assert_string_equal(r->engines[1].name, "subsets:1");
	for (i = 0; i < r->n_points; i++) {
		checked_points += r->points[i].checked > 0;
		failing_points += r->points[i].failing > 0;
		if (i)
			assert_true(r->points[i - 1].seq < r->points[i].seq);
	}
	assert_int_equal(checked_points, e->points_checked);
	assert_int_equal(failing_points, e->failing_points);
	for (o = 0; o < 7; o++) {
		uint64_t failed = 0;

		for (i = 0; i < r->n_oracles; i++)
			if (!strcmp(r->oracles[i].name, fixture_oracles[o]))
				failed = r->oracles[i].failed;
		print_message("oracle %s\n", fixture_oracles[o]);
		assert_int_equal(failed, e->oracle_failed[o]);
	}
}

static void test_counts_ok(void **state)
{
	struct ctx *c = *state;

	check_counts(c->ok_r, &c->ok_exp);
	assert_int_equal(c->ok_r->n_failures, 0);
	assert_int_equal(c->ok_r->n_notes, 0);
	/* three points: two fences and the end of the trace */
	assert_int_equal(c->ok_r->n_points, 3);
	assert_int_equal(c->ok_r->points[2].kind, TORN_REC_END);
	assert_int_equal(c->ok_r->points[0].kind, TORN_REC_FENCE);
}

static void test_counts_bad(void **state)
{
	struct ctx *c = *state;
	const struct torn_report *r = c->bad_r;
	const struct torn_report_failure *f = NULL;
	size_t i;

	check_counts(r, &c->bad_exp);
	assert_true(r->by_verdict[TORN_V_INCONSISTENT] >= 2);
	assert_int_equal(r->by_verdict[TORN_V_UNRECOVERABLE], 1);
	assert_int_equal(r->by_verdict[TORN_V_TIMEOUT], 1);
	assert_int_equal(r->by_verdict[TORN_V_ERROR], 1);
	assert_int_equal(r->retried, 1);
	/* the corrupt lines are counted and noted, once */
	assert_true(c->bad_exp.bad_lines >= 10);
	assert_true(r->n_notes >= 2);
	for (i = 0; i < r->n_failures; i++)
		if (!strcmp(r->failures[i].id, c->bad_exp.failing_id))
			f = &r->failures[i];
	assert_non_null(f);
	assert_int_equal(f->verdict, TORN_V_INCONSISTENT);
	assert_int_equal(f->n_failed, 1);
	assert_string_equal(f->failed[0], "durability");
	assert_int_equal(f->last_op_begin, 2);
	assert_int_equal(f->last_op_end, 1);
	assert_int_equal(f->last_durable, 0);
	assert_string_equal(torn_report_op_text(r, 2),
			    "write ./a <b>&amp;</b> \x1b[31mred");
	assert_null(torn_report_op_text(r, 9));
	assert_non_null(torn_report_find_point(r, f->point));
	assert_null(torn_report_find_point(r, 999999));
}

/* The terminal summary: figures, and no control byte from the run. */
static void test_text(void **state)
{
	struct ctx *c = *state;
	size_t len, i;
	char *out = render(c->bad_r, torn_report_write_text, &len);
	char want[300], *quoted, **parts;

	for (i = 0; i < len; i++)
		assert_true(out[i] == '\n' ||
			    ((unsigned char)out[i] >= 0x20 && out[i] != 0x7f));
	assert_true(g_utf8_validate(out, (gssize)len, NULL));
	assert_non_null(strstr(out, "\\x1b[2J")); /* shown, not sent */
	assert_non_null(strstr(out, "\\xff\\xfe"));
	snprintf(want, sizeof(want), "states checked: %" PRIu64 "\n",
		 c->bad_exp.states);
	assert_non_null(strstr(out, want));
	parts = g_strsplit(c->bad, "'", -1);
	quoted = g_strjoinv("'\\''", parts);
	g_strfreev(parts);
	snprintf(want, sizeof(want), "replay: torn replay '%s' %s\n", quoted,
		 c->bad_exp.failing_id);
	assert_non_null(strstr(out, want));
	g_free(quoted);
	snprintf(want, sizeof(want), "crash states generated   %" PRIu64 "\n",
		 c->bad_exp.generated);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "boot 1.2 s, workload 56 ms"));
	free(out);
	out = render(c->ok_r, torn_report_write_text, NULL);
	assert_non_null(strstr(out, "failing states: none\n"));
	free(out);
}

/* An oracle's detail of several lines is printed as lines, indented. */
static void test_text_lines(void **state)
{
	static const char detail[] = "fsck: 1 error\n  inode 12\x1b[2J\n";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	report_put_term_lines(f, detail, strlen(detail), 0, "    ");
	fclose(f);
	assert_string_equal(out, "fsck: 1 error\n      inode 12\\x1b[2J");
	free(out);
}

/* Run a program (argv) with a file; its exit status, or -1. */
static int run_tool(char **argv)
{
	int status;
	GError *e = NULL;

	if (!g_spawn_sync(NULL, argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
			  NULL, NULL, NULL, NULL, &status, &e)) {
		g_error_free(e);
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_junit(void **state)
{
	struct ctx *c = *state;
	char *path = g_build_filename(c->tmp, "junit.xml", NULL);
	char *argv[] = { "xmllint", "--noout", path, NULL };
	size_t len;
	char *out = render(c->bad_r, torn_report_write_junit, &len);
	char want[200];
	int ret;

	assert_true(g_utf8_validate(out, (gssize)len, NULL));
	assert_null(strstr(out, FIXTURE_HOSTILE_SCRIPT));
	assert_null(strstr(out, "\x1b"));
	assert_non_null(strstr(out, "&lt;script&gt;"));
	assert_non_null(
		strstr(out, "<testsuite name=\"ext4-dax/clwb/fixture-bad\""));
	assert_non_null(strstr(out, "name=\"durability\">\n      <failure"));
	/* the failing states' replay commands in <system-out>, for CI */
	assert_non_null(
		strstr(out, "</failure>\n      <system-out>torn replay "));
	/* the class of every case: fs.flush.engine, a matrix's axes */
	assert_non_null(strstr(out, "<testcase classname=\"ext4-dax.clwb."));
	assert_non_null(strstr(out, "name=\"fsck\"/>"));
	assert_non_null(strstr(out, "name=\"checking\">\n      <error"));
	/* its corrupt and cut-short lines make the verdicts incomplete */
	assert_non_null(strstr(out, "name=\"verdicts\">\n      <error"));
	/* the directory's quote, < and > are escaped too */
	snprintf(want, sizeof(want), "&#39;\\&#39;&#39;s &lt;dir&gt;&#39; %s\n",
		 c->bad_exp.unrecoverable_id);
	assert_non_null(strstr(out, want));
	assert_true(g_file_set_contents(path, out, (gssize)len, NULL));
	ret = run_tool(argv);
	if (ret == -1)
		print_message(
			"xmllint not found: well-formedness not checked\n");
	else
		assert_int_equal(ret, 0);
	free(out);
	out = render(c->ok_r, torn_report_write_junit, &len);
	assert_non_null(strstr(out, "failures=\"0\" errors=\"0\""));
	assert_null(strstr(out, "<failure"));
	assert_true(g_file_set_contents(path, out, (gssize)len, NULL));
	if (ret != -1)
		assert_int_equal(run_tool(argv), 0);
	free(out);
	g_free(path);
}

static void test_html(void **state)
{
	struct ctx *c = *state;
	size_t len, i;
	char *out = render(c->bad_r, torn_report_write_html, &len);
	char want[200];

	assert_true(g_utf8_validate(out, (gssize)len, NULL));
	for (i = 0; i < len; i++)
		assert_true(out[i] == '\n' || (unsigned char)out[i] >= 0x20);
	/* nothing from the run directory becomes markup */
	assert_null(strstr(out, FIXTURE_HOSTILE_SCRIPT));
	assert_null(strstr(out, "<img"));
	assert_null(strstr(out, "<b>&amp;</b>"));
	assert_null(strstr(out, "<i>x</i>"));
	assert_non_null(strstr(out, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(
		strstr(out, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
	assert_non_null(strstr(out, "\\x1b[2J"));
	assert_non_null(strstr(out, "\xef\xbf\xbd")); /* for \xff */
	assert_non_null(strstr(out, "bad run&#39;s &lt;dir&gt;"));
	/* self-contained: no external resources */
	assert_null(strstr(out, " src=\""));
	assert_null(strstr(out, "href=\"http"));
	assert_null(strstr(out, "url("));
	assert_non_null(strstr(out, "Content-Security-Policy"));
	assert_non_null(strstr(out, "<svg id=\"timeline\""));
	assert_non_null(strstr(out, "class=\"cp-fail\""));
	snprintf(want, sizeof(want), "id=\"s-%s\"", c->bad_exp.failing_id);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "<b>%" PRIu64 "</b>inconsistent",
		 c->bad_exp.by_verdict[TORN_V_INCONSISTENT]);
	assert_non_null(strstr(out, want));
	/* the operations: on the timeline, and the failures per operation */
	assert_non_null(strstr(out, ">operations</text>"));
	assert_non_null(strstr(out, "<title>op 2 at record "));
	assert_non_null(strstr(out, "<h2 id=\"per-op\">Failing states per "
				    "operation</h2>"));
	assert_non_null(strstr(out, "write ./a &lt;b&gt;&amp;amp;&lt;/b&gt; "
				    "\\x1b[31mred</td>"));
	free(out);
	out = render(c->ok_r, torn_report_write_html, &len);
	assert_null(strstr(out, "id=\"per-op\""));
	assert_non_null(strstr(out, "id=\"no-failures\""));
	assert_null(strstr(out, "class=\"cp-fail\""));
	free(out);
}

/* Missing files: one error for verdicts.jsonl, notes for the rest. */
static void test_missing_files(void **state)
{
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "sparse", NULL);
	char *p = g_build_filename(dir, "verdicts.jsonl", NULL);
	struct torn_report_opts o = { .enumerate = true };
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	char *out;

	g_mkdir(dir, 0755);
	assert_int_equal(torn_report_load(dir, &o, &r, &err), TORN_E_NOTFOUND);
	assert_null(r);
	assert_non_null(strstr(err.msg, "verdicts.jsonl: missing"));
	/* an empty verdicts.jsonl, nothing else */
	assert_true(g_file_set_contents(p, "", 0, NULL));
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_int_equal(r->states, 0);
	assert_false(r->has_trace);
	assert_int_equal(r->n_notes, 2); /* meta.json, trace.torn */
	assert_non_null(strstr(r->notes[0], "meta.json"));
	assert_non_null(strstr(r->notes[1], "trace.torn: missing"));
	out = render(r, torn_report_write_text, NULL);
	assert_non_null(strstr(out, "states checked: 0"));
	free(out);
	out = render(r, torn_report_write_html, NULL);
	assert_null(strstr(out, "<svg"));
	free(out);
	out = render(r, torn_report_write_junit, NULL);
	assert_non_null(strstr(out, "name=\"?/?/?\""));
	free(out);
	torn_report_free(r);
	/* a trace that is not one */
	g_free(p);
	p = g_build_filename(dir, "trace.torn", NULL);
	assert_true(g_file_set_contents(p, "TORNTRC", 7, NULL));
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_false(r->has_trace);
	assert_non_null(strstr(r->notes[1], "trace.torn"));
	torn_report_free(r);
	g_free(p);
	g_free(dir);
}

/* A state checked again (--resume retries errors): its last line counts. */
static const struct last_case {
	const char *name;
	struct {
		const char *id;
		int verdict;
	} lines[4];
	uint64_t states, consistent, error, inconsistent, duplicates;
} last_cases[] = {
	{ "an error retried, then consistent",
	  { { "2.prefix.0", TORN_V_ERROR },
	    { "4.prefix.0", TORN_V_CONSISTENT },
	    { "2.prefix.0", TORN_V_CONSISTENT } },
	  2,
	  2,
	  0,
	  0,
	  1 },
	{ "consistent, then an error",
	  { { "2.prefix.0", TORN_V_CONSISTENT },
	    { "2.prefix.0", TORN_V_ERROR } },
	  1,
	  0,
	  1,
	  0,
	  1 },
	{ "two errors, then inconsistent",
	  { { "2.prefix.0", TORN_V_ERROR },
	    { "2.prefix.0", TORN_V_ERROR },
	    { "2.prefix.0", TORN_V_INCONSISTENT } },
	  1,
	  0,
	  0,
	  1,
	  2 },
};

static void test_last_verdict_wins(void **state)
{
	struct ctx *c = *state;
	struct torn_report_opts o = { .enumerate = false };
	char *dir = g_build_filename(c->tmp, "retried", NULL);
	char *p = g_build_filename(dir, "verdicts.jsonl", NULL);
	size_t i, k;

	g_mkdir(dir, 0755);
	for (i = 0; i < G_N_ELEMENTS(last_cases); i++) {
		const struct last_case *lc = &last_cases[i];
		GString *text = g_string_new(NULL);
		struct torn_err err = { "" };
		struct torn_report *r = NULL;

		for (k = 0; k < G_N_ELEMENTS(lc->lines) && lc->lines[k].id;
		     k++) {
			struct torn_verdict_rec v;
			char *line;

			torn_verdict_rec_init(&v);
			snprintf(v.state, sizeof(v.state), "%s",
				 lc->lines[k].id);
			v.point = 2 + 2 * (lc->lines[k].id[0] == '4');
			snprintf(v.engine, sizeof(v.engine), "prefix");
			v.verdict = lc->lines[k].verdict;
			if (v.verdict == TORN_V_INCONSISTENT) {
				v.oracles[TORN_O_FSCK].ran = true;
				v.oracles[TORN_O_FSCK].ok = false;
			}
			if (v.verdict == TORN_V_ERROR)
				snprintf(v.error, sizeof(v.error),
					 "checker guest did not boot");
			line = torn_verdict_rec_format(&v, NULL);
			assert_non_null(line);
			g_string_append(text, line);
			free(line);
		}
		assert_true(g_file_set_contents(p, text->str, text->len, NULL));
		g_string_free(text, TRUE);
		assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
		print_message("%s\n", lc->name);
		assert_int_equal(r->states, lc->states);
		assert_int_equal(r->by_verdict[TORN_V_CONSISTENT],
				 lc->consistent);
		assert_int_equal(r->by_verdict[TORN_V_ERROR], lc->error);
		assert_int_equal(r->by_verdict[TORN_V_INCONSISTENT],
				 lc->inconsistent);
		assert_int_equal(r->duplicates, lc->duplicates);
		assert_int_equal(r->failing, lc->states - lc->consistent);
		assert_int_equal(r->n_failures, r->failing);
		for (k = 0; k < r->n_failures; k++)
			assert_int_not_equal(r->failures[k].verdict,
					     TORN_V_CONSISTENT);
		torn_report_free(r);
	}
	g_unlink(p);
	g_free(p);
	g_free(dir);
}

/* Without base.img, or asked not to: counts stay, dedup figures go. */
static void test_no_enumeration(void **state)
{
	struct ctx *c = *state;
	struct torn_report_opts o = { .enumerate = false };
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	char *base = g_build_filename(c->ok, "base.img", NULL);
	char *moved = g_build_filename(c->tmp, "base.img.away", NULL);

	assert_int_equal(torn_report_load(c->ok, &o, &r, &err), 0);
	assert_int_equal(r->enum_status, TORN_REPORT_ENUM_OFF);
	assert_int_equal(r->states, c->ok_exp.states);
	torn_report_free(r);
	assert_int_equal(g_rename(base, moved), 0);
	o.enumerate = true;
	assert_int_equal(torn_report_load(c->ok, &o, &r, &err), 0);
	assert_int_equal(r->enum_status, TORN_REPORT_ENUM_SKIPPED);
	assert_int_equal(r->n_notes, 1);
	assert_non_null(strstr(r->notes[0], "base.img: missing"));
	torn_report_free(r);
	assert_int_equal(g_rename(moved, base), 0);
	g_free(base);
	g_free(moved);
}

/* Verdicts from other enumeration options are said not to match. */
static void test_mismatch(void **state)
{
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "mismatch", NULL);
	char *src = g_build_filename(c->ok, "verdicts.jsonl", NULL);
	char *dst, *text, *p;
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	struct fixture_expect e;

	assert_int_equal(fixture_make(dir, false, &e), 0);
	/* the first verdict's image hash changed */
	dst = g_build_filename(dir, "verdicts.jsonl", NULL);
	assert_true(g_file_get_contents(dst, &text, NULL, NULL));
	p = strstr(text, "\"image_hash\":\"");
	assert_non_null(p);
	p[14] = p[14] == '0' ? '1' : '0';
	assert_true(g_file_set_contents(dst, text, -1, NULL));
	assert_int_equal(torn_report_load(dir, NULL, &r, &err), 0);
	assert_int_equal(r->enum_mismatched, 1);
	assert_int_equal(r->enum_matched, e.states - 1);
	assert_int_equal(r->n_notes, 1);
	assert_non_null(strstr(r->notes[0], "do not match"));
	torn_report_free(r);
	g_free(text);
	g_free(src);
	g_free(dst);
	g_free(dir);
}

/* A check that ran --granularity torn: the report finds it out. */
static void test_torn_granularity(void **state)
{
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "torn-gran", NULL);
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	struct fixture_expect e;

	assert_int_equal(fixture_make_gran(dir, false, TORN_GRAN_TORN, &e), 0);
	assert_int_equal(torn_report_load(dir, NULL, &r, &err), 0);
	assert_non_null(strstr(r->enum_options, "granularity torn"));
	assert_int_equal(r->enum_matched, e.states);
	assert_int_equal(r->enum_generated, e.generated);
	assert_int_equal(r->enum_unique, e.unique);
	assert_int_equal(r->n_notes, 0);
	torn_report_free(r);
	g_free(dir);
}

/* A huge enumeration stops at the time budget and says so. */
static void test_budget(void **state)
{
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "budget", NULL);
	char *path = g_build_filename(dir, "trace.torn", NULL);
	struct torn_trace_header h = { .pm_base = 0x100000000ULL,
				       .pm_size = 8 << 20,
				       .line_size = 64,
				       .cpu_features = TORN_CPU_CLFLUSH |
						       TORN_CPU_CLFLUSHOPT |
						       TORN_CPU_CLWB };
	struct torn_report_opts o = { .enumerate = true, .enum_budget_ms = 1 };
	static const uint8_t val[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const char verdict[] =
		"{\"state\":\"2000.prefix.1\",\"verdict\":\"consistent\"}\n";
	struct torn_trace_writer *w;
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	int g, k;

	g_mkdir(dir, 0755);
	assert_int_equal(torn_trace_writer_new(&w, path, &h), 0);
	/* 100 fences with 1000 lines in flight: 100,100 prefix states */
	for (g = 0; g < 100; g++) {
		struct torn_record fence = { .kind = TORN_REC_FENCE,
					     .sub = TORN_FENCE_SFENCE };

		for (k = 0; k < 1000; k++) {
			struct torn_record st = { .kind = TORN_REC_STORE,
						  .size = 8,
						  .data = val,
						  .offset = (uint64_t)k * 64 };

			assert_int_equal(torn_trace_writer_append(w, &st), 0);
		}
		for (k = 0; k < 1000; k++) {
			struct torn_record fl = { .kind = TORN_REC_FLUSH,
						  .sub = TORN_FLUSH_CLWB,
						  .offset = (uint64_t)k * 64 };

			assert_int_equal(torn_trace_writer_append(w, &fl), 0);
		}
		assert_int_equal(torn_trace_writer_append(w, &fence), 0);
	}
	assert_int_equal(torn_trace_writer_close(w), 0);
	g_free(path);
	path = g_build_filename(dir, "base.img", NULL);
	assert_true(g_file_set_contents(path, "", 0, NULL));
	assert_int_equal(truncate(path, 8 << 20), 0);
	g_free(path);
	path = g_build_filename(dir, "verdicts.jsonl", NULL);
	assert_true(g_file_set_contents(path, verdict, -1, NULL));
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_int_equal(r->enum_status, TORN_REPORT_ENUM_DONE);
	assert_true(r->enum_partial);
	assert_true(r->enum_generated < 100100);
	assert_non_null(strstr(r->notes[r->n_notes - 1], "stopped after"));
	torn_report_free(r);
	/* with the default budget it finishes */
	o.enum_budget_ms = 0;
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_false(r->enum_partial);
	assert_int_equal(r->enum_generated, 100 * 1001);
	torn_report_free(r);
	g_free(path);
	g_free(dir);
}

/* Which reports are errors, and the exit status torn report gives them. */
static void test_exit_status(void **state)
{
	static const struct {
		const char *what;
		uint64_t states, lines, bad_lines, unchecked;
		uint64_t inconsistent, timeout;
		bool unread;
		size_t problems;
		int exit;
	} cases[] = {
		{ "all consistent", 5, 5, 0, 0, 0, 0, false, 0, 0 },
		{ "empty file", 0, 0, 0, 0, 0, 0, false, 1, 3 },
		{ "only bad lines", 0, 3, 3, 0, 0, 0, false, 2, 3 },
		{ "a bad line", 5, 6, 1, 0, 0, 0, false, 1, 3 },
		{ "states unchecked", 5, 5, 0, 2, 0, 0, false, 1, 3 },
		{ "unreadable file", 0, 0, 0, 0, 0, 0, true, 1, 3 },
		{ "only timeouts", 5, 5, 0, 0, 0, 2, false, 0, 3 },
		{ "a bug", 5, 5, 0, 0, 1, 0, false, 0, 1 },
		{ "a bug and bad lines", 5, 6, 1, 3, 1, 0, false, 2, 1 },
	};
	char lines[TORN_REPORT_PROBLEMS_MAX][TORN_REPORT_PROBLEM_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct torn_report r = { 0 };

		print_message("%s\n", cases[i].what);
		r.states = cases[i].states;
		r.lines = cases[i].lines;
		r.bad_lines = cases[i].bad_lines;
		r.unchecked = cases[i].unchecked;
		r.by_verdict[TORN_V_INCONSISTENT] = cases[i].inconsistent;
		r.by_verdict[TORN_V_TIMEOUT] = cases[i].timeout;
		r.by_verdict[TORN_V_CONSISTENT] = cases[i].states -
						  cases[i].inconsistent -
						  cases[i].timeout;
		r.failing = cases[i].inconsistent + cases[i].timeout;
		if (cases[i].unread)
			snprintf(r.load_error, sizeof(r.load_error),
				 "x/verdicts.jsonl: not a regular file");
		assert_int_equal(
			torn_report_problems(&r, lines, G_N_ELEMENTS(lines)),
			cases[i].problems);
		assert_int_equal(torn_report_exit_status(&r), cases[i].exit);
		{
			static const char *const words[] = {
				[0] = "all 5 crash states consistent",
				[1] = "FOUND 1 inconsistent of 5 crash states",
				[3] = "not a result: the verdicts are not this "
				      "run's whole result",
			};
			char line[300];

			torn_report_verdict_line(&r, line, sizeof(line));
			if (words[cases[i].exit] &&
			    (cases[i].exit != 0 || cases[i].states == 5))
				assert_string_equal(line, words[cases[i].exit]);
		}
	}
}

/*
 * An error report in all three renderers: the line in the text, an
 * error testcase in JUnit, the banner in HTML.
 */
static void assert_error_report(const struct torn_report *r, const char *why)
{
	char *out = render(r, torn_report_write_text, NULL);

	assert_non_null(strstr(out, "\nERROR: "));
	assert_non_null(strstr(out, why));
	free(out);
	out = render(r, torn_report_write_junit, NULL);
	assert_non_null(strstr(out, "errors=\"1\""));
	assert_null(strstr(out, "errors=\"0\""));
	assert_non_null(strstr(out, "name=\"verdicts\">\n      <error "
				    "type=\"incomplete\""));
	free(out);
	out = render(r, torn_report_write_html, NULL);
	assert_non_null(strstr(out, "<div class=\"problems\" id=\"problems\""));
	free(out);
	assert_int_equal(torn_report_exit_status(r), 3);
}

/* verdicts.jsonl empty, garbage, of the wrong types, a directory. */
static void test_no_verdicts(void **state)
{
	static const struct {
		const char *what, *text;
		size_t len;
		uint64_t bad_lines;
		const char *why;
	} cases[] = {
		{ "empty", "", 0, 0, "verdicts.jsonl is empty" },
		{ "blank lines", "\n\n  \n", 5, 0, "verdicts.jsonl is empty" },
		{ "garbage", "\x00\xff\xfe\x01garbage\n\x89PNG\r\n\x1a\n", 20,
		  3, "none of the 3 line(s) of verdicts.jsonl is a verdict" },
		{ "wrong types",
		  "{\"state\":5,\"verdict\":[]}\n[1,2]\n\"x\"\n"
		  "{\"state\":\"1.prefix.0\",\"verdict\":7}\n",
		  0, 4, "4 line(s) of verdicts.jsonl unreadable" },
	};
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "no-verdicts", NULL);
	char *p = g_build_filename(dir, "verdicts.jsonl", NULL);
	struct torn_report_opts o = { .enumerate = true };
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	size_t i;

	g_mkdir(dir, 0755);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		print_message("%s\n", cases[i].what);
		assert_true(g_file_set_contents(
			p, cases[i].text,
			cases[i].len ? (gssize)cases[i].len : -1, NULL));
		assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
		assert_int_equal(r->states, 0);
		assert_int_equal(r->bad_lines, cases[i].bad_lines);
		assert_error_report(r, cases[i].why);
		torn_report_free(r);
		r = NULL;
	}
	/* a directory: the loader fails, the report of it still says so */
	assert_int_equal(g_unlink(p), 0);
	assert_int_equal(g_mkdir(p, 0755), 0);
	assert_int_not_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_null(r);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(torn_report_new_unread(dir, err.msg, &r), 0);
	assert_error_report(r, "no verdicts: ");
	assert_error_report(r, "not a regular file");
	torn_report_free(r);
	g_rmdir(p);
	g_free(p);
	g_free(dir);
}

/* Nothing to check is said as such, exit 4, never a pass. */
static void test_nothing_checked(void **state)
{
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "empty", NULL);
	struct torn_report_opts o = { .enumerate = true };
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	char *out;

	assert_int_equal(fixture_make_empty(dir), 0);
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_true(torn_report_empty(r));
	out = render(r, torn_report_write_text, NULL);
	assert_non_null(
		strstr(out, "\nERROR: nothing checked: no crash state"));
	free(out);
	out = render(r, torn_report_write_junit, NULL);
	assert_null(strstr(out, "errors=\"0\""));
	free(out);
	assert_int_equal(torn_report_exit_status(r), TORN_EXIT_EMPTY);
	torn_report_free(r);
	g_free(dir);
}

/* A verdict lost: the enumeration finds a state without one. */
static void test_unchecked(void **state)
{
	struct ctx *c = *state;
	char *dir = g_build_filename(c->tmp, "unchecked", NULL);
	char *p = g_build_filename(dir, "verdicts.jsonl", NULL);
	struct fixture_expect exp;
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	gchar *text, *last;
	gsize len;

	assert_int_equal(fixture_make(dir, false, &exp), 0);
	assert_int_equal(torn_report_load(dir, NULL, &r, &err), 0);
	assert_int_equal(r->unchecked, 0);
	assert_int_equal(torn_report_problems(r, NULL, 0), 0);
	assert_int_equal(torn_report_exit_status(r), 0);
	torn_report_free(r);
	/* the last verdict goes */
	assert_true(g_file_get_contents(p, &text, &len, NULL));
	assert_true(len > 1 && text[len - 1] == '\n');
	text[len - 1] = '\0';
	last = strrchr(text, '\n');
	assert_non_null(last);
	last[1] = '\0';
	assert_true(g_file_set_contents(p, text, -1, NULL));
	g_free(text);
	assert_int_equal(torn_report_load(dir, NULL, &r, &err), 0);
	assert_int_equal(r->states, exp.states - 1);
	assert_int_equal(r->bad_lines, 0);
	assert_int_equal(r->unchecked, 1);
	assert_error_report(r, "1 crash state(s) enumerated without a verdict");
	torn_report_free(r);
	/* not enumerated: nothing to say it is missing */
	{
		struct torn_report_opts o = { .enumerate = false };

		assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
		assert_int_equal(r->unchecked, 0);
		assert_int_equal(torn_report_exit_status(r), 0);
		torn_report_free(r);
	}
	g_free(p);
	g_free(dir);
}

/* Write verdicts: F1's state recorded known, a durability loss new. */
static void write_known_run(const char *dir, bool with_new)
{
	struct torn_run_meta m;
	struct torn_err err = { "" };
	GString *text = g_string_new(NULL);
	char *path;
	int k;

	g_mkdir(dir, 0755);
	torn_run_meta_init(&m);
	snprintf(m.fs, sizeof(m.fs), "ext4-dax");
	assert_int_equal(torn_run_meta_write(dir, &m, &err), 0);
	for (k = 0; k < 3 - !with_new; k++) {
		struct torn_verdict_rec v;
		char *line;

		torn_verdict_rec_init(&v);
		snprintf(v.state, sizeof(v.state), "%d.prefix.0", 2 + 2 * k);
		v.point = 2 + 2 * (uint64_t)k;
		snprintf(v.engine, sizeof(v.engine), "prefix");
		v.oracles[TORN_O_MOUNT].ran = v.oracles[TORN_O_FSCK].ran = true;
		v.oracles[TORN_O_MOUNT].ok = v.oracles[TORN_O_FSCK].ok = true;
		if (k == 1) {
			v.verdict = TORN_V_UNRECOVERABLE;
			v.oracles[TORN_O_MOUNT].ok = false;
			v.oracles[TORN_O_FSCK].ok = false;
			snprintf(v.oracles[TORN_O_FSCK].detail,
				 sizeof(v.oracles[0].detail),
				 "exit 12: Journal superblock is corrupt.");
			snprintf(v.known, sizeof(v.known), "F1");
		} else if (k == 2) {
			v.verdict = TORN_V_INCONSISTENT;
			v.oracles[TORN_O_DURABILITY].ran = true;
			snprintf(v.oracles[TORN_O_DURABILITY].detail,
				 sizeof(v.oracles[0].detail),
				 "f: fsync'd data lost");
		}
		line = torn_verdict_rec_format(&v, NULL);
		assert_non_null(line);
		g_string_append(text, line);
		free(line);
	}
	path = g_build_filename(dir, "verdicts.jsonl", NULL);
	assert_true(g_file_set_contents(path, text->str, text->len, NULL));
	g_string_free(text, TRUE);
	g_free(path);
}

/* Known findings: counted apart, a pass unless new ones or --strict. */
static void test_known_findings(void **state)
{
	static const char mine[] = "[MY-1]\ntitle = mine\n"
				   "durability = data lost\n";
	struct ctx *c = *state;
	struct torn_report_opts o = { .enumerate = false };
	char *dir = g_build_filename(c->tmp, "known", NULL);
	struct torn_err err = { "" };
	struct torn_report *r = NULL;
	struct torn_known *k;
	char *out;

	write_known_run(dir, true);
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_int_equal(r->failing, 2);
	assert_int_equal(r->known, 1);
	assert_int_equal(r->n_known, 1);
	assert_string_equal(r->known_ids[0].id, "F1");
	assert_non_null(strstr(r->known_ids[0].title, "jbd2 journal"));
	assert_int_equal(torn_report_exit_status(r), TORN_EXIT_FAIL);
	out = render(r, torn_report_write_text, NULL);
	assert_non_null(strstr(out, "  2 flagged: 1 known (F1 ×1), 1 new\n"));
	assert_non_null(strstr(out, "known finding F1\n"));
	assert_non_null(strstr(out, "\nverdict: FOUND 1 inconsistent, 1 "
				    "unrecoverable of 3 crash states, 1 of "
				    "them known findings (F1 ×1)\n"));
	free(out);
	out = render(r, torn_report_write_junit, NULL);
	assert_non_null(strstr(out, "skipped=\"1\""));
	assert_non_null(strstr(out, "name=\"known finding F1\">\n      "
				    "<skipped message=\"known finding F1: 1 "
				    "state: ext4: a torn jbd2"));
	/* the known state fails no oracle's testcase: only durability does */
	assert_non_null(strstr(out, "failures=\"1\""));
	free(out);
	out = render(r, torn_report_write_html, NULL);
	assert_non_null(strstr(out, "Failing states (1 new)"));
	assert_non_null(strstr(out, "Known findings (1 states)"));
	assert_non_null(strstr(out, "<p class=\"banner bad\" id=\"banner\">"
				    "FOUND 1 inconsistent"));
	/* signatures: the new one flagged, the known one named */
	assert_non_null(strstr(out, "Failures by signature (2)"));
	assert_non_null(strstr(out, "<tr class=\"fail\"><td>1</td><td "
				    "class=\"l\">durability: f: fsync&#39;d "
				    "data lost</td>"));
	assert_non_null(strstr(out, "fsck: exit N: Journal superblock is "
				    "corrupt. <b>known finding F1</b>"));
	free(out);
	torn_report_free(r);

	/* matched again with a user's finding that explains the other */
	k = torn_known_new();
	assert_int_equal(torn_known_add(k, "mine", mine, strlen(mine), &err),
			 0);
	o.known = k;
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_int_equal(r->known, 1); /* F1 is not in k: stock not loaded */
	assert_string_equal(r->known_ids[0].id, "MY-1");
	assert_string_equal(r->known_ids[0].title, "mine");
	torn_report_free(r);
	torn_known_free(k);
	o.known = NULL;

	/* only the known one: exit 0; strict: 1 */
	write_known_run(dir, false);
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_int_equal(torn_report_exit_status(r), TORN_EXIT_OK);
	out = render(r, torn_report_write_text, NULL);
	assert_non_null(strstr(out, "\nverdict: no new inconsistency: 1 of 2 "
				    "crash states flagged, all known findings "
				    "(F1 ×1)\n"));
	free(out);
	out = render(r, torn_report_write_html, NULL);
	assert_non_null(
		strstr(out, "<p class=\"banner known\" id=\"banner\">"));
	free(out);
	torn_report_free(r);
	o.strict = true;
	assert_int_equal(torn_report_load(dir, &o, &r, &err), 0);
	assert_int_equal(torn_report_exit_status(r), TORN_EXIT_FAIL);
	torn_report_free(r);
	g_free(dir);
}

/*
 * --base: the failing fixture against the clean one has only new
 * signatures, the clean one against it only fixed ones, and a run
 * against itself only still failing ones; each renderer says so.
 */
static void test_base(void **state)
{
	struct ctx *c = *state;
	struct torn_report_opts o = { .enumerate = false };
	struct torn_report *bad = NULL, *ok = NULL, *again = NULL;
	struct torn_err err = { "" };
	uint64_t sum = 0;
	char *text, *html, *sig;
	size_t i;

	assert_int_equal(torn_report_load(c->bad, &o, &bad, &err), 0);
	assert_int_equal(torn_report_load(c->ok, &o, &ok, &err), 0);
	assert_int_equal(torn_report_load(c->bad, &o, &again, &err), 0);
	assert_true(bad->n_failures > 0);

	assert_int_equal(torn_report_set_base(bad, ok), 0);
	assert_true(bad->diff->n_new > 0);
	assert_int_equal(bad->diff->n_still, 0);
	assert_int_equal(bad->diff->n_fixed, 0);
	for (i = 0; i < bad->diff->n; i++) {
		assert_string_equal(torn_report_diff_class(&bad->diff->sigs[i]),
				    "new");
		assert_non_null(bad->diff->sigs[i].now_id);
		assert_null(bad->diff->sigs[i].base_id);
		sum += bad->diff->sigs[i].now;
		/* most states first */
		if (i)
			assert_true(bad->diff->sigs[i - 1].now >=
				    bad->diff->sigs[i].now);
	}
	assert_int_equal(sum, bad->n_failures);
	text = render(bad, torn_report_write_text, NULL);
	assert_non_null(strstr(text, "signature(s) against the base run"));
	assert_non_null(strstr(text, "\n  new "));
	/* what a guest wrote stays escaped here too */
	assert_null(strstr(text, "\033"));
	free(text);
	html = render(bad, torn_report_write_html, NULL);
	assert_non_null(strstr(html, "id=\"base-table\""));
	assert_null(strstr(html, FIXTURE_HOSTILE_SCRIPT));
	free(html);

	assert_int_equal(torn_report_set_base(ok, again), 0);
	assert_int_equal(ok->diff->n_new, 0);
	assert_int_equal(ok->diff->n_still, 0);
	assert_int_equal(ok->diff->n_fixed, bad->diff->n_new);
	text = render(ok, torn_report_write_text, NULL);
	assert_non_null(strstr(text, "\n  fixed "));
	free(text);

	/* set again: replaces the first comparison */
	assert_int_equal(torn_report_set_base(bad, again), 0);
	assert_int_equal(bad->diff->n_new, 0);
	assert_int_equal(bad->diff->n_fixed, 0);
	assert_int_equal(bad->diff->n_still, ok->diff->n_fixed);

	/* runs of digits fold to N */
	sig = torn_report_signature(&bad->failures[0]);
	assert_non_null(sig);
	assert_null(strpbrk(sig, "0123456789"));
	g_free(sig);

	torn_report_free(bad);
	torn_report_free(ok);
	torn_report_free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_ok),
		cmocka_unit_test(test_counts_bad),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_last_verdict_wins),
		cmocka_unit_test(test_no_enumeration),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_torn_granularity),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_no_verdicts),
		cmocka_unit_test(test_nothing_checked),
		cmocka_unit_test(test_text_lines),
		cmocka_unit_test(test_unchecked),
		cmocka_unit_test(test_known_findings),
		cmocka_unit_test(test_base),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
