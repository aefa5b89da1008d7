/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn matrix's specs by name, and cell ids read back (matrix.h). */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "matrix.h"
#include "torn_quote.h"

#define Q 200 /* room for a quoted name in torn_err's 512 bytes */

/* A spec's name: its file name without .torn. */
char *matrix_spec_name(const char *path)
{
	char *base = g_path_get_basename(path);
	size_t n = strlen(base);

	if (n > 5 && !strcmp(base + n - 5, ".torn"))
		base[n - 5] = 0;
	return base;
}

/* A name fit for an id, a job name and an artifact name. */
static int name_ok(const char *name)
{
	return *name && strspn(name, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789_+-.") == strlen(name);
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.torn files of dir, in name order, appended to out. */
static int add_dir(const char *dir, GPtrArray *out, struct torn_err *err)
{
	GError *ge = NULL;
	GDir *d = g_dir_open(dir, 0, &ge);
	GPtrArray *found = g_ptr_array_new();
	const char *e;
	char q[Q];
	guint i;

	if (!d) {
		int ret = torn_err_set(err, TORN_E_NOTFOUND, "%s: %s",
				       torn_quote(dir, q, sizeof(q)),
				       ge->message);

		g_error_free(ge);
		g_ptr_array_free(found, TRUE);
		return ret;
	}
	while ((e = g_dir_read_name(d))) {
		size_t n = strlen(e);

		if (n > 5 && !strcmp(e + n - 5, ".torn"))
			g_ptr_array_add(found, g_build_filename(dir, e, NULL));
	}
	g_dir_close(d);
	g_ptr_array_sort(found, cmp_str);
	for (i = 0; i < found->len; i++)
		g_ptr_array_add(out, found->pdata[i]);
	i = found->len;
	g_ptr_array_free(found, TRUE);
	if (!i)
		return torn_err_set(err, TORN_E_NOTFOUND,
				    "%s: no test spec (*.torn) in it",
				    torn_quote(dir, q, sizeof(q)));
	return 0;
}

/* srcs: files and directories into spec paths; two of one name refused. */
int matrix_find_specs(const char *const *srcs, size_t n, char ***specs,
		      struct torn_err *err)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GHashTable *names =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char q[Q], q2[Q];
	int ret = 0;
	guint i;

	for (size_t k = 0; k < n && !ret; k++) {
		struct stat st;

		if (stat(srcs[k], &st))
			ret = torn_err_set(err, TORN_E_NOTFOUND, "%s: %s",
					   torn_quote(srcs[k], q, sizeof(q)),
					   g_strerror(errno));
		else if (S_ISDIR(st.st_mode))
			ret = add_dir(srcs[k], out, err);
		else
			g_ptr_array_add(out, g_strdup(srcs[k]));
	}
	for (i = 0; i < out->len && !ret; i++) {
		char *name = matrix_spec_name(out->pdata[i]);
		const char *was = g_hash_table_lookup(names, name);

		if (!name_ok(name))
			ret = torn_err_set(
				err, TORN_E_USAGE,
				"%s: a spec's name (its file name without .torn) "
				"is letters, digits and _ + - . only",
				torn_quote(out->pdata[i], q, sizeof(q)));
		else if (was)
			ret = torn_err_set(
				err, TORN_E_USAGE,
				"%s and %s: two specs named '%s' (a cell's id "
				"names its spec by name)",
				torn_quote(was, q, sizeof(q)),
				torn_quote(out->pdata[i], q2, sizeof(q2)),
				name);
		if (ret || was) {
			g_free(name);
			continue;
		}
		g_hash_table_insert(names, name, out->pdata[i]);
	}
	g_hash_table_destroy(names);
	if (ret) {
		g_ptr_array_free(out, TRUE);
		return ret;
	}
	g_ptr_array_add(out, NULL);
	*specs = (char **)g_ptr_array_free(out, FALSE);
	return 0;
}

char *matrix_engine_slug(const char *engine)
{
	char *s = g_strdup(engine);

	g_strdelimit(s, ",", '+');
	g_strdelimit(s, ":", '-');
	return s;
}

char *matrix_engine_unslug(const char *slug)
{
	char *s = g_strdup(slug);

	g_strdelimit(s, "+", ',');
	g_strdelimit(s, "-", ':');
	return s;
}

/* "IofN" into *i and *n: true when it is one. */
static bool shard_field(const char *f, uint32_t *i, uint32_t *n)
{
	unsigned int a, b;
	int used = 0;

	if (strspn(f, "0123456789of") != strlen(f) ||
	    sscanf(f, "%uof%u%n", &a, &b, &used) != 2 || f[used] || !a || a > b)
		return false;
	*i = a;
	*n = b;
	return true;
}

int matrix_id_parse(const char *id, struct matrix_id *out, struct torn_err *err)
{
	char **f = g_strsplit(id, ".", -1);
	guint n = g_strv_length(f), k;
	size_t len;
	char q[Q];

	memset(out, 0, sizeof(*out));
	out->shard = out->shards = 1;
	if (n >= 5 && shard_field(f[n - 1], &out->shard, &out->shards))
		n--;
	for (k = 0; k < n && *f[k]; k++)
		;
	if (n < 4 || k < n || !name_ok(id)) {
		g_strfreev(f);
		return torn_err_set(
			err, TORN_E_USAGE,
			"cell %s: expected NAME.FS.FLUSH.ENGINE[.IofN], as torn "
			"matrix names cells",
			torn_quote(id, q, sizeof(q)));
	}
	out->engine = matrix_engine_unslug(f[n - 1]);
	out->flush = g_strdup(f[n - 2]);
	out->fs = g_strdup(f[n - 3]);
	/* the name is the fields before them, dots and all */
	for (k = 0, len = 0; k < n - 3; k++)
		len += strlen(f[k]) + (k > 0);
	out->name = g_strndup(id, len);
	g_strfreev(f);
	return 0;
}

void matrix_id_clear(struct matrix_id *id)
{
	g_free(id->name);
	g_free(id->fs);
	g_free(id->flush);
	g_free(id->engine);
	memset(id, 0, sizeof(*id));
}

int matrix_find_spec(const char *const *srcs, size_t n, const char *name,
		     char **path, struct torn_err *err)
{
	char **specs = NULL, q[Q];
	int ret;

	*path = NULL;
	if (!n && !strcmp(name, MATRIX_DEFAULT_NAME))
		return 0;
	ret = matrix_find_specs(srcs, n, &specs, err);
	if (ret)
		return ret;
	for (char **s = specs; *s && !*path; s++) {
		char *sn = matrix_spec_name(*s);

		if (!strcmp(sn, name))
			*path = g_strdup(*s);
		g_free(sn);
	}
	g_strfreev(specs);
	if (*path)
		return 0;
	return torn_err_set(err, TORN_E_NOTFOUND,
			    n ? "no spec named %s among the specs given"
			      : "cell of spec %s: give the specs (or their "
				"directory) as torn matrix was given them",
			    torn_quote(name, q, sizeof(q)));
}
