/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run over lists of filesystems and flush modes: one run a cell. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "run_plan.h"
#include "torn_exit.h"

char **run_words(const char *v)
{
	char **w, **in, **out;

	if (!v)
		return NULL;
	w = g_strsplit_set(v, " \t", -1);
	for (in = out = w; *in; in++) {
		if (**in)
			*out++ = *in;
		else
			g_free(*in);
	}
	*out = NULL;
	return w;
}

char **run_settings_words(const struct run_settings *s, enum run_key k)
{
	return run_words(run_settings_get(s, k));
}

const char *run_words_twice(char **w)
{
	for (char **a = w; *a; a++)
		for (char **b = a + 1; *b; b++)
			if (!strcmp(*a, *b))
				return *a;
	return NULL;
}

int run_matrix_cells(const struct run_settings *s)
{
	char **fs = run_settings_words(s, RUN_FS),
	     **flush = run_settings_words(s, RUN_FLUSH);
	int n = (fs ? MAX(g_strv_length(fs), 1u) : 1) *
		(flush ? MAX(g_strv_length(flush), 1u) : 1);

	g_strfreev(fs);
	g_strfreev(flush);
	return n;
}

/* The worse of two exit codes: usage, infrastructure, failure, empty. */
static int worse(int a, int b)
{
	static const int rank[] = {
		[TORN_EXIT_OK] = 0,    [TORN_EXIT_EMPTY] = 1,
		[TORN_EXIT_FAIL] = 2,  [TORN_EXIT_INFRA] = 3,
		[TORN_EXIT_USAGE] = 4,
	};

	if (a < 0 || a > TORN_EXIT_EMPTY)
		return a;
	if (b < 0 || b > TORN_EXIT_EMPTY)
		return b;
	return rank[b] > rank[a] ? b : a;
}

/* s for one cell: its fs, flush and out (OUT/FS-FLUSH when out is set). */
static void cell(const struct run_settings *s, struct run_settings *c,
		 const char *fs, const char *flush)
{
	const char *out = run_settings_get(s, RUN_OUT);

	run_settings_copy(c, s);
	run_settings_set(c, RUN_FS, fs);
	run_settings_set(c, RUN_FLUSH, flush);
	c->set[RUN_FS].line = s->set[RUN_FS].line;
	c->set[RUN_FLUSH].line = s->set[RUN_FLUSH].line;
	if (out) {
		char *o = g_strdup_printf("%s/%s-%s", out, fs, flush);

		run_settings_set(c, RUN_OUT, o);
		c->set[RUN_OUT].line = s->set[RUN_OUT].line;
		g_free(o);
	}
}

/* Two words alike in a list is a typo, not two runs. */
static int twice(const struct run_settings *s, enum run_key k, char **w,
		 struct torn_err *err)
{
	const char *again = run_words_twice(w);
	char why[200];

	if (!again)
		return 0;
	snprintf(why, sizeof(why), "'%s' given twice", again);
	return run_settings_blame(s, k, why, err);
}

/* Every cell's settings, checked before the first one boots anything. */
static int check_cells(const struct run_settings *s, char **fs, char **flush)
{
	struct torn_err err = { "" };

	if (twice(s, RUN_FS, fs, &err) || twice(s, RUN_FLUSH, flush, &err)) {
		fprintf(stderr, "torn run: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	for (char **f = fs; *f; f++)
		for (char **m = flush; *m; m++) {
			struct run_settings c = { 0 };
			struct run_plan p = { 0 };
			int ret;

			cell(s, &c, *f, *m);
			ret = run_plan_make(&c, &p, &err);
			run_plan_fini(&p);
			run_settings_free(&c);
			if (ret) {
				fprintf(stderr, "torn run: %s\n", err.msg);
				return TORN_EXIT_USAGE;
			}
		}
	return TORN_EXIT_OK;
}

int run_matrix(struct run_settings *s, int (*run)(struct run_settings *))
{
	char **fs = run_settings_words(s, RUN_FS),
	     **flush = run_settings_words(s, RUN_FLUSH);
	GString *table = g_string_new(NULL);
	int ret = fs && flush ? check_cells(s, fs, flush) : TORN_EXIT_USAGE;
	int n = 0, bad = 0, cells = 0;

	if (ret) /* torn run sets fs and flush before */
		goto out;
	if (run_settings_get(s, RUN_OUT) &&
	    g_mkdir_with_parents(run_settings_get(s, RUN_OUT), 0755)) {
		fprintf(stderr, "torn run: cannot create %s: %s\n",
			run_settings_get(s, RUN_OUT), g_strerror(errno));
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	cells = (int)(g_strv_length(fs) * g_strv_length(flush));
	for (char **f = fs; *f; f++)
		for (char **m = flush; *m; m++) {
			struct run_settings c = { 0 };
			int r;

			cell(s, &c, *f, *m);
			fprintf(stderr, "torn run: matrix %d of %d: %s, %s\n",
				++n, cells, *f, *m);
			r = run(&c);
			g_string_append_printf(
				table, "  %-9s %-11s exit %d%s\n", *f, *m, r,
				r == TORN_EXIT_OK ? "" : " *");
			bad += r != TORN_EXIT_OK;
			ret = worse(ret, r);
			run_settings_free(&c);
			if (r == TORN_EXIT_USAGE)
				goto out; /* the others would say it again */
		}
out:
	if (n)
		printf("matrix: %d of %d runs, %d not passed (exit %d)\n%s", n,
		       cells, bad, ret, table->str);
	g_string_free(table, TRUE);
	g_strfreev(fs);
	g_strfreev(flush);
	return ret;
}
