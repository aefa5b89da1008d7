/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * torn matrix's cells (matrix.c): test specs x filesystem kinds x flush
 * modes x engine sets x shards, each with a stable id that torn run
 * --cell reads back (docs/ci.md).
 *
 * A cell's id is NAME.FS.FLUSH.ENGINE, and .IofN when the matrix has N > 1
 * shards: NAME the spec's file name without its .torn ("default" without
 * a spec), ENGINE the engine set with ',' written '+' and ':' written '-'
 * (prefix,subsets:1 is prefix+subsets-1).  The id without its shard is
 * the cell's trace: the shards of a cell check one trace.
 */
#ifndef TORN_CLI_MATRIX_H
#define TORN_CLI_MATRIX_H

#include <stdbool.h>
#include <stdint.h>

#include "torn_err.h"

/* The name of the cell without a spec: the built-in default run. */
#define MATRIX_DEFAULT_NAME "default"

struct matrix_cell {
	char *id, *trace; /* the id; the id without the shard */
	char *name, *spec; /* spec: its path as found; NULL: none */
	char *fs, *flush, *engine;
	char *expect; /* the spec's expect; "consistent" without one */
	uint32_t shard, shards; /* 1/1 without shards */
	char *skip; /* NULL: a cell; else why the kind cannot run it */
};

/* What torn matrix was given beside the specs; NULL/0: the spec's own. */
struct matrix_axes {
	const char *fs, *flush, *engine; /* blank-separated lists */
	uint32_t shards; /* 0 or 1: no shards */
};

struct matrix {
	struct matrix_cell *cells; /* cells, then the skipped, in order */
	size_t n;
	char **sources; /* the spec files, in order (g_strfreev) */
};

/*
 * The cells of the specs in srcs[0..n) (files, or directories: their
 * *.torn files in name order; none: the built-in default) over ax.
 * Every cell's settings are checked as torn run checks them, before
 * anything boots: 0, or TORN_E_USAGE / TORN_E_NOTFOUND with one line (a
 * bad spec or axis, two specs of one name, a word given twice).  A cell
 * whose workload cannot run on its kind is kept with skip set.
 */
int matrix_build(const char *const *srcs, size_t n,
		 const struct matrix_axes *ax, struct matrix *m,
		 struct torn_err *err);
void matrix_free(struct matrix *m);

/* ENGINE written for an id ("prefix+subsets-1"), and back (g_free). */
char *matrix_engine_slug(const char *engine);
char *matrix_engine_unslug(const char *slug);

/*
 * id read back into its parts (g_free each): the name, fs, flush,
 * engine set and shard (1/1 without).  0, or TORN_E_USAGE with one line.
 */
struct matrix_id {
	char *name, *fs, *flush, *engine;
	uint32_t shard, shards;
};
int matrix_id_parse(const char *id, struct matrix_id *out,
		    struct torn_err *err);
void matrix_id_clear(struct matrix_id *id);

/*
 * The spec named name among srcs[0..n) (as matrix_build finds them)
 * into *path (g_free; NULL for the default name without sources): 0, or
 * TORN_E_NOTFOUND with one line.
 */
int matrix_find_spec(const char *const *srcs, size_t n, const char *name,
		     char **path, struct torn_err *err);

/*
 * m's cells on stdout as format says (json, github, gitlab; checked by
 * the caller), the commands naming srcs[0..n); include: the GitLab
 * templates file.  TORN_EXIT_OK, or TORN_EXIT_INFRA out of memory.
 */
int matrix_print(const struct matrix *m, const char *format,
		 const char *const *srcs, size_t n, const char *include);

/*
 * For matrix.c: srcs[0..n) as spec paths (directories: their *.torn in
 * name order) into *specs (g_strfreev), two of one name refused; a
 * spec's name (g_free).
 */
int matrix_find_specs(const char *const *srcs, size_t n, char ***specs,
		      struct torn_err *err);
char *matrix_spec_name(const char *path);

#endif
