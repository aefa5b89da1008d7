/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn coverage: RUN/coverage through gcov's JSON, tables, lcov, genhtml. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cov_report.h"
#include "json.h"
#include "kernel.h"
#include "rundir.h"

struct line_count {
	uint32_t line;
	uint64_t count;
};

struct func_count {
	char *name;
	uint32_t line;
	uint64_t count;
};

struct branch_count {
	uint32_t line, idx;
	uint64_t count;
	int line_ran;
};

/* One profiled source file as gcov reads the run's counters. */
struct cfile {
	char *rel; /* fs/ext4/inode.c */
	char *source; /* the build's copy of it */
	GArray *lines, *funcs, *branches;
};

struct cov {
	struct torn_kernel k;
	GHashTable *files; /* rel -> struct cfile */
	unsigned int skipped; /* .gcda of no profiled file of the build */
};

static void cfile_free(gpointer p)
{
	struct cfile *f = p;

	for (guint i = 0; i < f->funcs->len; i++)
		g_free(g_array_index(f->funcs, struct func_count, i).name);
	g_array_unref(f->lines);
	g_array_unref(f->funcs);
	g_array_unref(f->branches);
	g_free(f->rel);
	g_free(f->source);
	g_free(f);
}

static uint64_t num(const struct torn_json *o, const char *key)
{
	uint64_t v = 0;

	torn_json_get_member_uint64(o, key, &v);
	return v;
}

/* gcov's JSON for one .gcda: the entry of its own source into f. */
static int parse_gcov(const char *json, size_t len, struct cfile *f,
		      struct torn_err *err)
{
	struct torn_json *doc;
	const struct torn_json *files;
	int ret = torn_json_parse(json, len, &doc, err);

	if (ret)
		return ret;
	files = torn_json_get(doc, "files");
	for (size_t i = 0; i < torn_json_get_count(files); i++) {
		const struct torn_json *e = torn_json_get_at(files, i);
		const char *name = torn_json_get_member_string(e, "file", NULL);
		const struct torn_json *ls = torn_json_get(e, "lines");
		const struct torn_json *fs = torn_json_get(e, "functions");

		if (!name || strcmp(name, f->rel))
			continue; /* a header's inline code: left out */
		for (size_t j = 0; j < torn_json_get_count(ls); j++) {
			const struct torn_json *l = torn_json_get_at(ls, j);
			const struct torn_json *bs =
				torn_json_get(l, "branches");
			struct line_count lc = {
				(uint32_t)num(l, "line_number"), num(l, "count")
			};

			g_array_append_val(f->lines, lc);
			for (size_t b = 0; b < torn_json_get_count(bs); b++) {
				struct branch_count bc = {
					lc.line, (uint32_t)b,
					num(torn_json_get_at(bs, b), "count"),
					lc.count != 0
				};

				g_array_append_val(f->branches, bc);
			}
		}
		for (size_t j = 0; j < torn_json_get_count(fs); j++) {
			const struct torn_json *fn = torn_json_get_at(fs, j);
			const char *fname =
				torn_json_get_member_string(fn, "name", NULL);
			struct func_count fc = { g_strdup(fname ? fname : "?"),
						 (uint32_t)num(fn,
							       "start_line"),
						 num(fn, "execution_count") };

			g_array_append_val(f->funcs, fc);
		}
	}
	torn_json_free(doc);
	return 0;
}

static int copy(const char *from, const char *to)
{
	gchar *data = NULL, *dir = g_path_get_dirname(to);
	gsize len;
	int ret = g_mkdir_with_parents(dir, 0755) ? -errno : 0;

	g_free(dir);
	if (!ret && !g_file_get_contents(from, &data, &len, NULL))
		ret = -ENOENT;
	if (!ret && !g_file_set_contents(to, data, len, NULL))
		ret = -EIO;
	g_free(data);
	return ret;
}

/* One .gcda of the run (rel: its path in the build's tree, no suffix). */
static int read_one(struct cov *c, const char *gcda, const char *rel,
		    const char *work, struct torn_err *err)
{
	char *t_gcda = g_strdup_printf("%s/%s.gcda", work, rel);
	char *t_gcno = g_strdup_printf("%s/%s.gcno", work, rel);
	char *gcno = g_strdup_printf("%s/gcov/%s.gcno", c->k.dir, rel);
	char *objdir = g_path_get_dirname(t_gcda);
	char *argv[] = { "gcov", "-j", "-t", "-b", "-o", objdir, t_gcda, NULL };
	gchar *out = NULL, *errout = NULL;
	struct cfile *f;
	int status = 0, ret = 0;

	if (copy(gcda, t_gcda) || copy(gcno, t_gcno)) {
		c->skipped++; /* not a file the build profiled and kept */
		goto out;
	}
	if (!g_spawn_sync(work, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
			  &out, &errout, &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL)) {
		ret = torn_err_set(err, -EIO, "gcov failed on %s: %.200s",
				   t_gcda, errout ? errout : "not run");
		goto out;
	}
	f = g_new0(struct cfile, 1);
	f->rel = g_strconcat(rel, ".c", NULL);
	f->source = g_strdup_printf("%s/gcov/%s.c", c->k.dir, rel);
	f->lines = g_array_new(FALSE, FALSE, sizeof(struct line_count));
	f->funcs = g_array_new(FALSE, FALSE, sizeof(struct func_count));
	f->branches = g_array_new(FALSE, FALSE, sizeof(struct branch_count));
	ret = parse_gcov(out, strlen(out), f, err);
	if (ret)
		cfile_free(f);
	else
		g_hash_table_replace(c->files, f->rel, f);
out:
	g_free(out);
	g_free(errout);
	g_free(objdir);
	g_free(gcno);
	g_free(t_gcno);
	g_free(t_gcda);
	return ret;
}

static int walk(struct cov *c, const char *root, const char *sub,
		const char *work, struct torn_err *err)
{
	char *dir = g_build_filename(root, sub, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	size_t tl = strlen(c->k.tree);
	int ret = 0;

	while (!ret && d && (name = g_dir_read_name(d))) {
		char *s = g_build_filename(sub, name, NULL);
		char *p = g_build_filename(root, s, NULL);
		/* s is the guest's path below /sys/kernel/debug/gcov */
		char *abs = g_strconcat("/", s, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			ret = walk(c, root, s, work, err);
		} else if (g_str_has_suffix(name, ".gcda") && tl &&
			   !strncmp(abs, c->k.tree, tl) && abs[tl] == '/') {
			abs[strlen(abs) - 5] = 0;
			ret = read_one(c, p, abs + tl + 1, work, err);
		} else if (g_str_has_suffix(name, ".gcda")) {
			c->skipped++;
		}
		g_free(abs);
		g_free(p);
		g_free(s);
	}
	if (d)
		g_dir_close(d);
	g_free(dir);
	return ret;
}

static void rm_rf(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
		     NULL, NULL, NULL);
}

static int load(struct cov *c, const char *run, const char *cache,
		struct torn_err *err)
{
	char *sp = g_build_filename(run, "coverage", "summary.json", NULL);
	char *root = g_build_filename(run, "coverage", "gcda", NULL);
	char *text = NULL, *work = NULL;
	struct torn_json *doc = NULL;
	const char *kernel;
	gsize len = 0;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	c->files = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 cfile_free);
	if (!g_file_get_contents(sp, &text, &len, NULL)) {
		ret = torn_err_set(
			err, TORN_E_NOTFOUND,
			"%s has no coverage (check it with torn check --coverage on a --gcov kernel)",
			run);
		goto out;
	}
	ret = torn_json_parse(text, len, &doc, err);
	kernel = doc ? torn_json_get_member_string(doc, "kernel", NULL) : NULL;
	if (!ret && !kernel)
		ret = torn_err_set(err, TORN_E_FORMAT, "%s names no kernel",
				   sp);
	if (!ret)
		ret = torn_kernel_find(cache, kernel, &c->k, err);
	if (!ret && !c->k.tree[0])
		ret = torn_err_set(
			err, TORN_E_FORMAT,
			"kernel %s does not say its tree (kernel.txt)",
			c->k.id);
	if (ret)
		goto out;
	work = g_dir_make_tmp("torn-coverage-XXXXXX", NULL);
	if (!work) {
		ret = torn_err_set(err, -EIO, "cannot make a work directory");
		goto out;
	}
	ret = walk(c, root, "", work, err);
	if (!ret && !g_hash_table_size(c->files))
		ret = torn_err_set(err, TORN_E_NOTFOUND,
				   "%s: no .gcda of %s's profiled files", root,
				   c->k.id);
out:
	if (work)
		rm_rf(work);
	g_free(work);
	torn_json_free(doc);
	g_free(text);
	g_free(root);
	g_free(sp);
	return ret;
}

/* ---- tables ------------------------------------------------------------ */

struct tally {
	uint64_t lh, lf, fh, ff, bh, bf;
};

static void tally_file(const struct cfile *f, struct tally *t)
{
	for (guint i = 0; i < f->lines->len; i++) {
		t->lf++;
		t->lh += g_array_index(f->lines, struct line_count, i).count !=
			 0;
	}
	for (guint i = 0; i < f->funcs->len; i++) {
		t->ff++;
		t->fh += g_array_index(f->funcs, struct func_count, i).count !=
			 0;
	}
	for (guint i = 0; i < f->branches->len; i++) {
		t->bf++;
		t->bh += g_array_index(f->branches, struct branch_count, i)
				 .count != 0;
	}
}

static void pct(char *buf, size_t len, uint64_t hit, uint64_t all)
{
	if (all)
		snprintf(buf, len, "%" PRIu64 "/%" PRIu64 " %5.1f%%", hit, all,
			 100.0 * (double)hit / (double)all);
	else
		snprintf(buf, len, "-");
}

static void row(FILE *out, const char *name, const struct tally *t)
{
	char l[48], f[48], b[48];

	pct(l, sizeof(l), t->lh, t->lf);
	pct(f, sizeof(f), t->fh, t->ff);
	pct(b, sizeof(b), t->bh, t->bf);
	fprintf(out, "%-44s %20s %16s %20s\n", name, l, f, b);
}

static gint by_rel(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *sorted_keys(GHashTable *h)
{
	GPtrArray *v = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, h);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(v, k);
	g_ptr_array_sort(v, by_rel);
	return v;
}

static void print_tables(const struct cov *c, FILE *out)
{
	GPtrArray *keys = sorted_keys(c->files);
	struct tally all = { 0 };

	fprintf(out, "%-44s %20s %16s %20s\n", "file (reached by recovery)",
		"lines", "functions", "branches");
	for (guint i = 0; i < keys->len; i++) {
		const struct cfile *f =
			g_hash_table_lookup(c->files, keys->pdata[i]);
		struct tally t = { 0 };

		tally_file(f, &t);
		if (t.lh)
			row(out, f->rel, &t);
	}
	fprintf(out, "\n%-44s %20s %16s %20s\n", "part of the stack", "lines",
		"functions", "branches");
	for (size_t p = 0; torn_kernel_gcov_paths[p]; p++) {
		const char *part = torn_kernel_gcov_paths[p];
		struct tally t = { 0 };

		for (guint i = 0; i < keys->len; i++) {
			const char *rel = keys->pdata[i];

			if (!strncmp(rel, part, strlen(part)) &&
			    (rel[strlen(part)] == '/' || !rel[strlen(part)]))
				tally_file(g_hash_table_lookup(c->files, rel),
					   &t);
		}
		row(out, part, &t);
		all.lh += t.lh, all.lf += t.lf, all.fh += t.fh;
		all.ff += t.ff, all.bh += t.bh, all.bf += t.bf;
	}
	row(out, "all profiled code", &all);
	g_ptr_array_unref(keys);
}

/* States in verdict order until 90% of the run's counters were reached. */
struct reach {
	GArray *fresh; /* int64 */
};

static int add_state(const struct torn_verdict_rec *v, void *ctx)
{
	struct reach *r = ctx;

	if (v->coverage_new >= 0)
		g_array_append_val(r->fresh, v->coverage_new);
	return 0;
}

static void print_reach(const char *dir, FILE *out)
{
	struct reach r = { g_array_new(FALSE, FALSE, sizeof(int64_t)) };
	uint64_t total = 0, cum = 0;
	guint i;

	torn_verdicts_foreach(dir, add_state, &r, NULL, NULL);
	for (i = 0; i < r.fresh->len; i++)
		total += (uint64_t)g_array_index(r.fresh, int64_t, i);
	for (i = 0; i < r.fresh->len && total; i++) {
		cum += (uint64_t)g_array_index(r.fresh, int64_t, i);
		if (cum * 10 >= total * 9)
			break;
	}
	if (total)
		fprintf(out,
			"\n%u of %u states reached 90%% of the %" PRIu64
			" gcov counters the run's recoveries reached\n",
			i + 1, r.fresh->len, total);
	g_array_unref(r.fresh);
}

/* Lines one run reached and the other did not, per file. */
static void print_diff(const struct cov *a, const struct cov *b, const char *an,
		       const char *bn, FILE *out)
{
	GPtrArray *keys = sorted_keys(a->files);
	uint64_t only_a = 0, only_b = 0;

	fprintf(out, "\n%-44s %12s %12s\n", "file", "only this", "only base");
	for (guint i = 0; i < keys->len; i++) {
		const struct cfile *fa =
			g_hash_table_lookup(a->files, keys->pdata[i]);
		const struct cfile *fb =
			g_hash_table_lookup(b->files, keys->pdata[i]);
		GHashTable *hb = g_hash_table_new(NULL, NULL);
		uint64_t oa = 0, ob = 0, ha = 0;

		for (guint j = 0; fb && j < fb->lines->len; j++) {
			struct line_count l =
				g_array_index(fb->lines, struct line_count, j);

			if (l.count)
				g_hash_table_add(hb, GUINT_TO_POINTER(l.line));
		}
		for (guint j = 0; j < fa->lines->len; j++) {
			struct line_count l =
				g_array_index(fa->lines, struct line_count, j);

			if (!l.count)
				continue;
			ha++;
			if (!g_hash_table_remove(hb, GUINT_TO_POINTER(l.line)))
				oa++;
		}
		ob = g_hash_table_size(hb);
		(void)ha;
		if (oa || ob)
			fprintf(out, "%-44s %12" PRIu64 " %12" PRIu64 "\n",
				fa->rel, oa, ob);
		only_a += oa;
		only_b += ob;
		g_hash_table_destroy(hb);
	}
	fprintf(out,
		"%s reached %" PRIu64 " lines %s did not; %s reached %" PRIu64
		" lines %s did not\n",
		an, only_a, bn, bn, only_b, an);
	g_ptr_array_unref(keys);
}

/* ---- lcov and genhtml -------------------------------------------------- */

static int write_lcov(const struct cov *c, const char *path, const char *test)
{
	GPtrArray *keys = sorted_keys(c->files);
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f) {
		g_ptr_array_unref(keys);
		return -errno;
	}
	fprintf(f, "TN:%s\n", test);
	for (guint i = 0; i < keys->len; i++) {
		const struct cfile *cf =
			g_hash_table_lookup(c->files, keys->pdata[i]);
		struct tally t = { 0 };

		tally_file(cf, &t);
		fprintf(f, "SF:%s\n", cf->source);
		for (guint j = 0; j < cf->funcs->len; j++) {
			const struct func_count *fn =
				&g_array_index(cf->funcs, struct func_count, j);

			fprintf(f, "FN:%u,%s\n", fn->line, fn->name);
		}
		for (guint j = 0; j < cf->funcs->len; j++) {
			const struct func_count *fn =
				&g_array_index(cf->funcs, struct func_count, j);

			fprintf(f, "FNDA:%" PRIu64 ",%s\n", fn->count,
				fn->name);
		}
		fprintf(f, "FNF:%" PRIu64 "\nFNH:%" PRIu64 "\n", t.ff, t.fh);
		for (guint j = 0; j < cf->branches->len; j++) {
			const struct branch_count *b = &g_array_index(
				cf->branches, struct branch_count, j);

			if (b->line_ran)
				fprintf(f, "BRDA:%u,0,%u,%" PRIu64 "\n",
					b->line, b->idx, b->count);
			else
				fprintf(f, "BRDA:%u,0,%u,-\n", b->line, b->idx);
		}
		fprintf(f, "BRF:%" PRIu64 "\nBRH:%" PRIu64 "\n", t.bf, t.bh);
		for (guint j = 0; j < cf->lines->len; j++) {
			const struct line_count *l =
				&g_array_index(cf->lines, struct line_count, j);

			fprintf(f, "DA:%u,%" PRIu64 "\n", l->line, l->count);
		}
		fprintf(f, "LF:%" PRIu64 "\nLH:%" PRIu64 "\nend_of_record\n",
			t.lf, t.lh);
	}
	if (fclose(f))
		ret = -errno;
	g_ptr_array_unref(keys);
	return ret;
}

int torn_cov_report(const struct torn_cov_opts *o, struct torn_err *err)
{
	struct cov a, b;
	char *trace = NULL;
	int ret = load(&a, o->dir, o->cache_dir, err), have_b = 0;

	if (!ret && o->base) {
		ret = load(&b, o->base, o->cache_dir, err);
		have_b = !ret || b.files;
	}
	if (ret)
		goto out;
	fprintf(o->out,
		"recovery coverage of %s (kernel %s, %u .gcda files)\n\n",
		o->dir, a.k.id, g_hash_table_size(a.files));
	print_tables(&a, o->out);
	print_reach(o->dir, o->out);
	if (o->base)
		print_diff(&a, &b, o->dir, o->base, o->out);
	if (o->lcov || o->html) {
		trace = o->lcov ? g_strdup(o->lcov)
				: g_strdup_printf("%s/coverage/lcov.info",
						  o->dir);
		ret = write_lcov(&a, trace, "torn");
		if (ret) {
			ret = torn_err_set(err, ret, "cannot write %s: %s",
					   trace, strerror(-ret));
			goto out;
		}
		if (o->lcov)
			fprintf(o->out, "\nlcov tracefile: %s\n", trace);
	}
	if (o->html) {
		char *argv[] = { "genhtml",
				 "--quiet",
				 "--branch-coverage",
				 "--title",
				 "torn: recovery coverage",
				 "--output-directory",
				 (char *)o->html,
				 trace,
				 NULL };
		gchar *errout = NULL;
		int status = 0;

		if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
				  NULL, NULL, &errout, &status, NULL) ||
		    !g_spawn_check_wait_status(status, NULL))
			ret = torn_err_set(
				err, -EIO,
				"genhtml failed (install lcov): %.200s",
				errout ? errout : "not run");
		else
			fprintf(o->out, "HTML report: %s/index.html\n",
				o->html);
		g_free(errout);
	}
out:
	g_free(trace);
	if (a.files)
		g_hash_table_destroy(a.files);
	if (have_b && b.files)
		g_hash_table_destroy(b.files);
	return ret;
}
