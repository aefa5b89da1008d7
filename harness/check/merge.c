/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn merge: the shard checks of one traced run joined into one run. */
#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "check_int.h"
#include "kit.h"
#include "torn_quote.h"

/* The files of a run directory that are the run's, not a check's. */
static bool run_file(const char *name)
{
	return strcmp(name, TORN_RUN_VERDICTS) &&
	       strncmp(name, TORN_RUN_VERDICTS ".",
		       strlen(TORN_RUN_VERDICTS) + 1) &&
	       strcmp(name, TORN_RUN_CHECK);
}

/* The SHA-256 of dir/name, read in pieces (a trace may be large). */
static gchar *file_sha256(const char *dir, const char *name)
{
	gchar *path = g_build_filename(dir, name, NULL), *sum = NULL;
	FILE *f = fopen(path, "rbe");
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	guchar buf[1 << 16];
	size_t n;

	while (f && (n = fread(buf, 1, sizeof(buf), f)))
		g_checksum_update(c, buf, n);
	if (f && !ferror(f))
		sum = g_strdup(g_checksum_get_string(c));
	if (f)
		fclose(f);
	g_checksum_free(c);
	g_free(path);
	return sum;
}

/* One shard's check.json, its settings as one string to compare. */
static int shard_settings(const char *dir, struct torn_run_check *c, GString *s,
			  struct torn_err *err)
{
	int ret = torn_run_check_read(dir, c, err);

	if (ret == -ENOENT)
		return torn_err_set(err, TORN_E_USAGE,
				    "%s: no check.json: not a checked run",
				    dir);
	if (ret)
		return ret;
	if (!c->shard_count)
		return torn_err_set(err, TORN_E_USAGE,
				    "%s: not a shard (checked without --shard)",
				    dir);
	g_string_printf(s,
			"model %s, granularity %s, points %s, engines %s, "
			"oracles %s, from op %" G_GUINT64_FORMAT
			", %" G_GUINT64_FORMAT " shards, kit %.12s",
			c->model, c->granularity, c->points, c->engines,
			c->oracles, c->from_op, c->shard_count,
			c->kit[0] ? c->kit : "unknown");
	return 0;
}

struct merge_ctx {
	GHashTable *owner; /* state id -> the shard run that judged it */
	GHashTable *last; /* state id -> its last line (this shard) */
	GPtrArray *order; /* ids in file order (this shard) */
	const char *dir;
	char dup[600];
};

static int keep_last(const struct torn_verdict_rec *v, void *ctx)
{
	struct merge_ctx *m = ctx;
	const char *other = g_hash_table_lookup(m->owner, v->state);
	char *line;

	if (other && strcmp(other, m->dir)) {
		snprintf(m->dup, sizeof(m->dup),
			 "state %s has verdicts in two shards (%s, %s): not "
			 "shards of one check",
			 v->state, other, m->dir);
		return 1;
	}
	line = torn_verdict_rec_format(v, NULL);
	if (!line)
		return -ENOMEM;
	if (!g_hash_table_contains(m->last, v->state))
		g_ptr_array_add(m->order, g_strdup(v->state));
	g_hash_table_replace(m->last, g_strdup(v->state), line);
	g_hash_table_replace(m->owner, g_strdup(v->state), (gpointer)m->dir);
	return 0;
}

/* Shard dir's verdicts, each state's last line, appended to out. */
static int shard_verdicts(struct merge_ctx *m, const char *dir, GString *out,
			  uint64_t *unreadable, struct torn_err *err)
{
	struct torn_verdicts_stats st = { 0 };
	guint i;
	int ret;

	m->dir = dir;
	m->last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free);
	m->order = g_ptr_array_new_with_free_func(g_free);
	ret = torn_verdicts_foreach(dir, keep_last, m, &st, err);
	if (ret == 1)
		ret = torn_err_set(err, TORN_E_USAGE, "%s", m->dup);
	else if (ret == -ENOENT)
		ret = torn_err_set(err, TORN_E_USAGE,
				   "%s: no verdicts.jsonl: not a checked run",
				   dir);
	for (i = 0; !ret && i < m->order->len; i++)
		g_string_append(
			out, g_hash_table_lookup(m->last, m->order->pdata[i]));
	*unreadable += st.unreadable + st.cut;
	g_hash_table_destroy(m->last);
	g_ptr_array_free(m->order, TRUE);
	return ret;
}

/* Copy the run's own files of from into out (created empty). */
static int copy_run_files(const char *from, const char *out,
			  struct torn_err *err)
{
	GDir *d = g_dir_open(from, 0, NULL);
	const char *name;
	int ret = 0;

	if (!d)
		return torn_err_set(err, -EIO, "cannot read %s", from);
	while (!ret && (name = g_dir_read_name(d))) {
		gchar *src = g_build_filename(from, name, NULL);
		gchar *dst = g_build_filename(out, name, NULL);

		if (run_file(name) &&
		    g_file_test(src, G_FILE_TEST_IS_REGULAR)) {
			ret = torn_copy_file(src, dst);
			if (ret)
				torn_err_set(err, ret,
					     "cannot copy %s to %s: %s", src,
					     dst, strerror(-ret));
		}
		g_free(src);
		g_free(dst);
	}
	g_dir_close(d);
	return ret;
}

/* Take out again what a failed merge put in out. */
static void remove_out(const char *out)
{
	GDir *d = g_dir_open(out, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		gchar *p = g_build_filename(out, name, NULL);

		unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	rmdir(out);
}

/* The shards agree: one trace, one set of settings, each shard once. */
static int check_shards(const char *const *runs, size_t n,
			struct torn_run_check *first, struct torn_err *err)
{
	GString *want = g_string_new(NULL), *got = g_string_new(NULL);
	gchar *trace = NULL, *t = NULL;
	const char **by_index = NULL;
	struct torn_run_check c;
	size_t i;
	int ret = shard_settings(runs[0], first, want, err);

	/* runs[0] sets what every other shard must agree with */
	if (!ret && !(trace = file_sha256(runs[0], "trace.torn")))
		ret = torn_err_set(err, TORN_E_USAGE, "%s: no trace.torn",
				   runs[0]);
	if (!ret) {
		by_index = g_new0(const char *, first->shard_count + 1);
		by_index[first->shard_index] = runs[0];
	}
	for (i = 1; !ret && i < n; i++) {
		ret = shard_settings(runs[i], &c, got, err);
		if (ret)
			break;
		g_free(t);
		t = file_sha256(runs[i], "trace.torn");
		if (!t || strcmp(t, trace))
			ret = torn_err_set(err, TORN_E_USAGE,
					   "%s and %s are checks of different "
					   "traces (trace.torn differs)",
					   runs[0], runs[i]);
		else if (strcmp(got->str, want->str))
			ret = torn_err_set(err, TORN_E_USAGE,
					   "%s was checked with %s, %s with %s",
					   runs[0], want->str, runs[i],
					   got->str);
		else if (by_index[c.shard_index])
			ret = torn_err_set(err, TORN_E_USAGE,
					   "shard %" G_GUINT64_FORMAT
					   " of %" G_GUINT64_FORMAT
					   " given twice (%s, %s)",
					   c.shard_index, c.shard_count,
					   by_index[c.shard_index], runs[i]);
		else
			by_index[c.shard_index] = runs[i];
	}
	for (i = 1; !ret && i <= first->shard_count; i++)
		if (!by_index[i])
			ret = torn_err_set(
				err, TORN_E_USAGE,
				"shard %zu of %" G_GUINT64_FORMAT
				" is missing: give every shard's run "
				"directory",
				i, first->shard_count);
	g_free(by_index);
	g_free(trace);
	g_free(t);
	g_string_free(want, TRUE);
	g_string_free(got, TRUE);
	return ret;
}

int torn_check_merge(const char *out, const char *const *runs, size_t n,
		     uint64_t *states, struct torn_err *err)
{
	struct merge_ctx m = { 0 };
	struct torn_run_check c;
	GString *verdicts = g_string_new(NULL);
	uint64_t unreadable = 0;
	gchar *path = NULL;
	size_t i;
	int ret;

	*states = 0;
	if (!n) {
		ret = torn_err_set(err, TORN_E_USAGE, "no shard given");
		goto out;
	}
	ret = check_shards(runs, n, &c, err);
	if (ret)
		goto out;
	if (mkdir(out, 0755)) {
		ret = torn_err_set(err, errno == EEXIST ? TORN_E_USAGE : -errno,
				   "cannot create %s: %s%s", out,
				   strerror(errno),
				   errno == EEXIST ? " (torn merge makes a new "
						     "run directory)"
						   : "");
		goto out;
	}
	m.owner = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (i = 0; !ret && i < n; i++)
		ret = shard_verdicts(&m, runs[i], verdicts, &unreadable, err);
	if (!ret && unreadable)
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "%" G_GUINT64_FORMAT
				   " unreadable verdict line(s) in the shards: "
				   "torn report each shard first",
				   unreadable);
	if (!ret)
		ret = copy_run_files(runs[0], out, err);
	c.shard_index = c.shard_count = 0;
	if (!ret)
		ret = torn_run_check_write(out, &c, err);
	path = g_build_filename(out, TORN_RUN_VERDICTS, NULL);
	if (!ret && !g_file_set_contents(path, verdicts->str,
					 (gssize)verdicts->len, NULL))
		ret = torn_err_set(err, -EIO, "cannot write %s", path);
	if (!ret)
		*states = g_hash_table_size(m.owner);
	else
		remove_out(out);
out:
	if (m.owner)
		g_hash_table_destroy(m.owner);
	g_string_free(verdicts, TRUE);
	g_free(path);
	return ret;
}
