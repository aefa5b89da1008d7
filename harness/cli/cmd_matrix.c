/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn matrix: the cells of a CI job matrix, for GitHub, GitLab or JSON. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "matrix.h"

#define GITLAB_INCLUDE "examples/ci/gitlab-torn.yml"

static void matrix_usage(FILE *f)
{
	fprintf(f,
		"usage: torn matrix [SPEC|DIR]... [--fs LIST] [--flush LIST]\n"
		"                   [--engine LIST] [--shards N]\n"
		"                   [--format json|github|gitlab] [--include FILE]\n"
		"The cells of a CI job matrix: each test spec (a DIR: its *.torn\n"
		"files; none: the built-in default run) on each filesystem kind,\n"
		"flush mode and engine set, in N shards.  A list is blank-separated;\n"
		"without one a spec's own fs, flush and engine keys give its cells.\n"
		"Each cell has a stable id, NAME.FS.FLUSH.ENGINE[.IofN], that\n"
		"torn run --cell ID [SPEC|DIR]... runs; the id without its shard is\n"
		"the cell's trace (torn run --cell TRACE --trace-only makes it once\n"
		"for its shards).  A cell whose workload cannot run on its kind is\n"
		"left out, with the reason in the JSON.  Every cell's settings are\n"
		"checked first, as torn run checks them.\n\n"
		"  --format json     every cell, trace and left-out cell (default)\n"
		"  --format github   lines for $GITHUB_OUTPUT: cells=, traces= (the\n"
		"                    strategy.matrix JSON of each) and count=\n"
		"  --format gitlab   a child pipeline: parallel:matrix jobs that\n"
		"                    extend the templates of --include FILE (default\n"
		"                    " GITLAB_INCLUDE ")\n"
		"docs/ci.md shows both pipelines.\n\n"
		"Exit status: 0 the cells printed, 2 a bad spec, option or axis.\n");
}

int cmd_matrix(int argc, char **argv)
{
	struct matrix_axes ax = { 0 };
	const char *format = "json", *include = GITLAB_INCLUDE;
	GPtrArray *srcs = g_ptr_array_new();
	struct torn_err err = { "" };
	struct matrix m = { 0 };
	int ret = TORN_EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help")) {
			matrix_usage(stdout);
			ret = TORN_EXIT_OK;
			goto out;
		}
		if (a[0] != '-') {
			g_ptr_array_add(srcs, argv[i]);
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "torn matrix: %s needs a value\n", a);
			goto out;
		}
		if (!strcmp(a, "--fs")) {
			ax.fs = argv[++i];
		} else if (!strcmp(a, "--flush")) {
			ax.flush = argv[++i];
		} else if (!strcmp(a, "--engine")) {
			ax.engine = argv[++i];
		} else if (!strcmp(a, "--format")) {
			format = argv[++i];
		} else if (!strcmp(a, "--include")) {
			include = argv[++i];
		} else if (!strcmp(a, "--shards")) {
			char *end;
			unsigned long n = strtoul(argv[++i], &end, 10);

			if (*end || end == argv[i] || !n || n > UINT32_MAX) {
				fprintf(stderr,
					"torn matrix: --shards '%s': expected a number >= 1\n",
					argv[i]);
				goto out;
			}
			ax.shards = (uint32_t)n;
		} else {
			fprintf(stderr, "torn matrix: unknown option '%s'\n",
				a);
			matrix_usage(stderr);
			goto out;
		}
	}
	if (strcmp(format, "json") && strcmp(format, "github") &&
	    strcmp(format, "gitlab")) {
		fprintf(stderr,
			"torn matrix: --format '%s': expected json, github or gitlab\n",
			format);
		goto out;
	}
	if (matrix_build((const char *const *)srcs->pdata, srcs->len, &ax, &m,
			 &err)) {
		fprintf(stderr, "torn matrix: %s\n", err.msg);
		goto out;
	}
	ret = matrix_print(&m, format, (const char *const *)srcs->pdata,
			   srcs->len, include);
	for (size_t i = 0; i < m.n; i++)
		if (m.cells[i].skip)
			fprintf(stderr, "torn matrix: left out %s: %s\n",
				m.cells[i].id, m.cells[i].skip);
out:
	matrix_free(&m);
	g_ptr_array_free(srcs, TRUE);
	return ret;
}
