/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn matrix's cells (matrix.h). */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "matrix.h"
#include "rundir.h"
#include "torn_fs.h"
#include "run_plan.h"
#include "torn_quote.h"
#include "tracing.h"

#define Q 200 /* room for a quoted name in torn_err's 512 bytes */

/* The words of an axis given, or of the spec's setting k, or def. */
static char **axis(const char *given, const struct run_settings *s,
		   enum run_key k, const char *def)
{
	const char *v = given ? given : run_settings_get(s, k);

	return run_words(v ? v : def);
}

/* Two words alike in an axis is a typo, not two cells. */
static int twice(const char *what, char **w, struct torn_err *err)
{
	const char *again = run_words_twice(w);

	if (again)
		return torn_err_set(err, TORN_E_USAGE, "%s '%s' given twice",
				    what, again);
	if (!*w)
		return torn_err_set(err, TORN_E_USAGE, "no %s given", what);
	return 0;
}

/* The test's words name a file: {target}/... or {mnt}. */
static bool names_a_path(const struct run_settings *s)
{
	static const enum run_key keys[] = { RUN_ARGS, RUN_CHECKER_ARGS,
					     RUN_ENV };

	for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
		const char *v = run_settings_get(s, keys[k]);

		if (v && (strstr(v, "{target}/") || strstr(v, "{mnt}")))
			return true;
	}
	return false;
}

/*
 * The cell of s at fs, flush and engine, checked as torn run checks it:
 * 0 with *skip NULL, or with *skip the reason its kind cannot run it; or
 * the error (spec: for the message).
 */
static int check_cell(const struct run_settings *s, const char *fs,
		      const char *flush, const char *engine, char **skip,
		      struct torn_err *err)
{
	struct run_settings c = { 0 };
	struct run_plan p = { 0 };
	struct torn_trace_workload w;
	struct torn_err why = { "" };
	int ret;

	*skip = NULL;
	run_settings_copy(&c, s);
	run_settings_set(&c, RUN_FS, fs);
	run_settings_set(&c, RUN_FLUSH, flush);
	run_settings_set(&c, RUN_ENGINE, engine);
	c.set[RUN_FS].line = c.set[RUN_FLUSH].line = c.set[RUN_ENGINE].line = 0;
	run_settings_defaults(&c);
	ret = run_plan_make(&c, &p, err);
	/* a test of one's own: a path under {target} needs a filesystem */
	if (!ret && p.is_user &&
	    torn_fs_get(p.trace.guest.fs_kind)->ns == TORN_NS_DEVDAX &&
	    names_a_path(&c))
		*skip = g_strdup_printf(
			"the test names a path under {target} or {mnt}, and "
			"%s has no filesystem",
			fs);
	/* a workload of torn's own: does it run on this kind? */
	if (!ret && !p.is_user) {
		int r = torn_trace_workload(p.workload, p.trace.guest.fs_kind,
					    &w, &why);

		if (r == TORN_E_USAGE)
			*skip = g_strdup(why.msg);
		else if (r)
			ret = torn_err_set(err, r, "%s", why.msg);
		else
			torn_trace_workload_clear(&w);
	}
	run_plan_fini(&p);
	run_settings_free(&c);
	return ret;
}

static void add_cell(GArray *cells, const char *name, const char *spec,
		     const struct run_settings *s, const char *fs,
		     const char *flush, const char *engine, uint32_t i,
		     uint32_t n, char *skip)
{
	struct matrix_cell c = { 0 };
	char *slug = matrix_engine_slug(engine);
	const char *expect = run_settings_get(s, RUN_EXPECT);

	c.trace = g_strdup_printf("%s.%s.%s.%s", name, fs, flush, slug);
	c.id = n > 1 ? g_strdup_printf("%s.%uof%u", c.trace, i, n)
		     : g_strdup(c.trace);
	c.name = g_strdup(name);
	c.spec = g_strdup(spec);
	c.fs = g_strdup(fs);
	c.flush = g_strdup(flush);
	c.engine = g_strdup(engine);
	c.expect = g_strdup(expect ? expect : "consistent");
	c.shard = i;
	c.shards = n;
	c.skip = skip;
	g_array_append_val(cells, c);
	g_free(slug);
}

/* The cells of one spec (NULL: the default run) into cells, or skipped. */
static int spec_cells(const char *spec, const struct matrix_axes *ax,
		      GArray *cells, GArray *skipped, struct torn_err *err)
{
	struct run_settings s = { 0 };
	char *name =
		spec ? matrix_spec_name(spec) : g_strdup(MATRIX_DEFAULT_NAME);
	char **fs = NULL, **flush = NULL, **eng = NULL;
	uint32_t n = ax->shards > 1 ? ax->shards : 1;
	int ret = spec ? run_spec_read(spec, &s, err) : 0;

	if (ret)
		goto out;
	if (run_settings_get(&s, RUN_SHARD)) {
		ret = run_settings_blame(&s, RUN_SHARD,
					 "a matrix's shards come from torn "
					 "matrix --shards, not the spec",
					 err);
		goto out;
	}
	fs = axis(ax->fs, &s, RUN_FS, RUN_DEFAULT_FS);
	flush = axis(ax->flush, &s, RUN_FLUSH, RUN_DEFAULT_FLUSH);
	eng = axis(ax->engine, &s, RUN_ENGINE, RUN_DEFAULT_ENGINE);
	if ((ret = twice("filesystem kind", fs, err)) ||
	    (ret = twice("flush mode", flush, err)) ||
	    (ret = twice("engine set", eng, err)))
		goto out;
	for (char **f = fs; *f; f++)
		for (char **m = flush; *m; m++)
			for (char **e = eng; *e; e++) {
				char *skip = NULL;

				ret = check_cell(&s, *f, *m, *e, &skip, err);
				if (ret)
					goto out;
				if (skip) {
					add_cell(skipped, name, spec, &s, *f,
						 *m, *e, 1, 1, skip);
					continue;
				}
				for (uint32_t i = 1; i <= n; i++)
					add_cell(cells, name, spec, &s, *f, *m,
						 *e, i, n, NULL);
			}
out:
	if (ret && spec && !strstr(err->msg, spec)) {
		char msg[sizeof(err->msg)], q[Q];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		torn_err_set(err, ret, "%s: %s", torn_quote(spec, q, sizeof(q)),
			     msg);
	}
	g_strfreev(fs);
	g_strfreev(flush);
	g_strfreev(eng);
	g_free(name);
	run_settings_free(&s);
	return ret;
}

int matrix_build(const char *const *srcs, size_t n,
		 const struct matrix_axes *ax, struct matrix *m,
		 struct torn_err *err)
{
	GArray *cells = g_array_new(FALSE, TRUE, sizeof(struct matrix_cell));
	GArray *skipped = g_array_new(FALSE, TRUE, sizeof(struct matrix_cell));
	int ret = 0;

	memset(m, 0, sizeof(*m));
	if (ax->shards > TORN_SHARDS_MAX) {
		ret = torn_err_set(err, TORN_E_USAGE, "--shards %u: at most %d",
				   ax->shards, TORN_SHARDS_MAX);
		goto out;
	}
	if (n)
		ret = matrix_find_specs(srcs, n, &m->sources, err);
	else
		m->sources = g_new0(char *, 1);
	if (ret)
		goto out;
	if (!n)
		ret = spec_cells(NULL, ax, cells, skipped, err);
	for (char **s = m->sources; *s && !ret; s++)
		ret = spec_cells(*s, ax, cells, skipped, err);
out:
	g_array_append_vals(cells, skipped->data, skipped->len);
	g_array_free(skipped, TRUE);
	m->n = cells->len;
	m->cells = (struct matrix_cell *)g_array_free(cells, FALSE);
	if (ret)
		matrix_free(m);
	return ret;
}

void matrix_free(struct matrix *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct matrix_cell *c = &m->cells[i];

		g_free(c->id);
		g_free(c->trace);
		g_free(c->name);
		g_free(c->spec);
		g_free(c->fs);
		g_free(c->flush);
		g_free(c->engine);
		g_free(c->expect);
		g_free(c->skip);
	}
	g_free(m->cells);
	g_strfreev(m->sources);
	memset(m, 0, sizeof(*m));
}
