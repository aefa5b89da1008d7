/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's command line: the spec, or a matrix cell, then the options. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "matrix.h"
#include "run_plan.h"

/* The options without a value: yes for their setting. */
static bool is_flag(const char *a)
{
	return !strcmp(a, "--allow-empty") || !strcmp(a, "--strict") ||
	       !strcmp(a, "--coverage") || !strcmp(a, "--trace-only");
}

/* The cell's fs, flush, engines and shard over s. */
static void cell_settings(const struct matrix_id *id, struct run_settings *s)
{
	run_settings_set(s, RUN_FS, id->fs);
	run_settings_set(s, RUN_FLUSH, id->flush);
	run_settings_set(s, RUN_ENGINE, id->engine);
	if (id->shards > 1) {
		char shard[32];

		snprintf(shard, sizeof(shard), "%u/%u", id->shard, id->shards);
		run_settings_set(s, RUN_SHARD, shard);
	}
}

/*
 * SPEC, then the options over it, then the defaults: 0; 1 after --help;
 * -1 after one line on stderr.
 */
int run_read_args(int argc, char **argv, struct run_settings *s,
		  struct run_extra *x)
{
	struct torn_err err = { "" };
	struct matrix_id id = { 0 };
	const char *name;
	char *spec = NULL, **srcs = g_new0(char *, (size_t)argc);
	size_t nsrc = 0;
	int i, k, one, seen[RUN_KEYS] = { 0 }, ret = -1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			run_usage(stdout);
			ret = 1;
			goto out;
		}
		if (!strcmp(argv[i], "--cell") && i + 1 < argc)
			x->cell = argv[i + 1];
		if (argv[i][0] == '-') {
			i += !is_flag(argv[i]); /* the others take a value */
			continue;
		}
		srcs[nsrc++] = argv[i];
	}
	if (!x->cell && nsrc > 1) {
		fprintf(stderr,
			"torn run: one spec file at most ('%s', '%s'), or "
			"--cell ID among several\n",
			srcs[0], srcs[1]);
		goto out;
	}
	if (!x->cell && nsrc)
		spec = g_strdup(srcs[0]);
	/* the cell's spec by its name; its settings come after the rest */
	if (x->cell && (matrix_id_parse(x->cell, &id, &err) ||
			matrix_find_spec((const char *const *)srcs, nsrc,
					 id.name, &spec, &err))) {
		fprintf(stderr, "torn run: %s\n", err.msg);
		goto out;
	}
	if (spec && run_spec_read(spec, s, &err)) {
		fprintf(stderr, "torn run: %s\n", err.msg);
		goto out;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		if (!strcmp(a, "--trace-only")) {
			x->trace_only = true;
			continue;
		}
		if (!strcmp(a, "--cell")) {
			i++;
			continue;
		}
		if (is_flag(a)) {
			run_settings_set(s, run_key_parse(a + 2), "yes");
			continue;
		}
		if (!strcmp(a, "-j"))
			name = "jobs";
		else if (!strncmp(a, "--", 2))
			name = a + 2;
		else
			name = "";
		k = run_option_key(name, &one);
		if (x->cell && (k == RUN_FS || k == RUN_FLUSH ||
				k == RUN_ENGINE || k == RUN_SHARD)) {
			fprintf(stderr,
				"torn run: --cell names the %s; not %s too\n",
				run_key_name(k), a);
			goto out;
		}
		if (k < 0 || i + 1 >= argc) {
			fprintf(stderr,
				"torn run: unknown option or missing value '%s'\n",
				a);
			run_usage(stderr);
			goto out;
		}
		/* --known, --arg, --file...: each adds a word to the list */
		{
			char *w = one ? g_shell_quote(argv[++i])
				      : g_strdup(argv[++i]);
			char *both =
				(one || k == RUN_KNOWN) && seen[k]++
					? g_strdup_printf(
						  "%s %s",
						  run_settings_get(s, k), w)
					: g_strdup(w);

			run_settings_set(s, k, both);
			g_free(both);
			g_free(w);
		}
	}
	if (x->cell)
		cell_settings(&id, s);
	/*
	 * A cell's run directory: --out as given; else the spec's out, or
	 * torn-runs, with the cell's id under it (a spec's cells must not
	 * share one directory).
	 */
	if (x->cell &&
	    (!run_settings_get(s, RUN_OUT) || s->set[RUN_OUT].line)) {
		const char *top = run_settings_get(s, RUN_OUT);
		char *out = g_strdup_printf("%s/%s", top ? top : "torn-runs",
					    x->cell);
		int line = s->set[RUN_OUT].line;

		run_settings_set(s, RUN_OUT, out);
		s->set[RUN_OUT].line = line;
		g_free(out);
	}
	run_settings_defaults(s);
	ret = 0;
out:
	matrix_id_clear(&id);
	g_free(spec);
	g_free(srcs);
	return ret;
}
