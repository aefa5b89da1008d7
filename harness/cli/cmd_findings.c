/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn findings: propose known findings entries from a run's flagged states. */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "known.h"
#include "options.h"
#include "rundir.h"

static void findings_usage(FILE *f)
{
	fprintf(f,
		"usage: torn findings DIR [STATE-ID...] [--known FILE ...]\n"
		"Proposes a known findings entry (docs/findings.md) for each new\n"
		"flagged state of the checked run in DIR: inconsistent or\n"
		"unrecoverable, and explained by no known finding (the stock\n"
		"kernel's and those of --known), or for the states given.  States\n"
		"one proposal explains share it.  Prints findings file groups: give\n"
		"each a title, check its patterns, add it to a findings file and\n"
		"pass that with --known to torn check, run or report.\n\n"
		"  --known FILE   known findings besides the stock kernel's\n"
		"                 (repeatable; none: not even those)\n\n"
		"Exit status: 0 proposals printed (or none needed), 2 usage, 3 the\n"
		"run directory cannot be read.\n");
}

/* The flagged states of a run, each by its last verdict line. */
struct flagged {
	GHashTable *by_id; /* id -> struct torn_verdict_rec * */
	GPtrArray *order; /* ids in the order first seen */
};

static int keep_flagged(const struct torn_verdict_rec *v, void *ctx)
{
	struct flagged *fl = ctx;
	bool seen = g_hash_table_contains(fl->by_id, v->state);

	if (!torn_verdict_flagged(v->verdict)) {
		/* a later verdict of the state replaces a flagged one */
		g_hash_table_remove(fl->by_id, v->state);
		return 0;
	}
	if (!seen)
		g_ptr_array_add(fl->order, g_strdup(v->state));
	g_hash_table_replace(fl->by_id, g_strdup(v->state),
			     g_memdup2(v, sizeof(*v)));
	return 0;
}

/* Proposals so far, as one findings file text and a parsed set. */
struct proposals {
	struct torn_known *set;
	GString *text[64];
	const char *example[64];
	uint64_t count[64];
	size_t n;
};

/* Let state v be explained: by a proposal so far, or a new one. */
static int propose(struct proposals *p, const struct torn_known *known,
		   const char *fs, const struct torn_verdict_rec *v)
{
	struct torn_err err = { "" };
	char id[32], *text;
	int i = torn_known_match(p->set, fs, v->verdict, v->oracles), n;

	if (i >= 0) {
		p->count[i]++;
		return 0;
	}
	if (p->n == G_N_ELEMENTS(p->text))
		return 0; /* enough to edit: said at the end */
	for (n = (int)p->n + 1;; n++) {
		snprintf(id, sizeof(id), "NEW-%d", n);
		if (torn_known_find(known, id) < 0)
			break;
	}
	text = torn_known_propose(id, fs, v->verdict, v->oracles);
	if (!text ||
	    torn_known_add(p->set, "proposal", text, strlen(text), &err)) {
		fprintf(stderr, "torn findings: state %s: no proposal%s%s\n",
			v->state, err.msg[0] ? ": " : "", err.msg);
		g_free(text);
		return -1;
	}
	p->text[p->n] = g_string_new(text);
	p->example[p->n] = v->state;
	p->count[p->n++] = 1;
	g_free(text);
	return 0;
}

static int read_run(const char *dir, struct torn_run_meta *m,
		    struct flagged *fl)
{
	struct torn_verdicts_stats st = { 0 };
	struct torn_err err = { "" };

	torn_run_meta_init(m);
	if (torn_run_meta_read(dir, m, &err))
		fprintf(stderr,
			"torn findings: %s (proposals name no filesystem)\n",
			err.msg[0] ? err.msg : "no meta.json");
	if (torn_verdicts_foreach(dir, keep_flagged, fl, &st, &err)) {
		fprintf(stderr, "torn findings: %s\n",
			err.msg[0] ? err.msg : "cannot read verdicts.jsonl");
		return -1;
	}
	if (st.unreadable)
		fprintf(stderr,
			"torn findings: %s (%" PRIu64
			" unreadable line(s) skipped)\n",
			st.first_bad, st.unreadable);
	return 0;
}

/* The states to propose for: those given, else every new flagged one. */
static int pick(const struct flagged *fl, const struct torn_known *known,
		const char *fs, char **given, int n_given, GPtrArray *out,
		uint64_t *n_known)
{
	guint i;
	int j;

	for (j = 0; j < n_given; j++) {
		const struct torn_verdict_rec *v =
			g_hash_table_lookup(fl->by_id, given[j]);

		if (!v) {
			fprintf(stderr,
				"torn findings: state %s: not a flagged state "
				"of this run (no inconsistent or unrecoverable "
				"verdict)\n",
				given[j]);
			return -1;
		}
		g_ptr_array_add(out, (gpointer)v);
	}
	for (i = 0; !n_given && i < fl->order->len; i++) {
		const struct torn_verdict_rec *v =
			g_hash_table_lookup(fl->by_id, fl->order->pdata[i]);

		if (!v)
			continue;
		if (torn_known_match(known, fs, v->verdict, v->oracles) >= 0)
			++*n_known;
		else
			g_ptr_array_add(out, (gpointer)v);
	}
	return 0;
}

int cmd_findings(int argc, char **argv)
{
	struct flagged fl = { g_hash_table_new_full(g_str_hash, g_str_equal,
						    g_free, g_free),
			      g_ptr_array_new_with_free_func(g_free) };
	struct proposals p = { .set = torn_known_new() };
	GPtrArray *todo = g_ptr_array_new();
	struct cli_known known = { 0 };
	struct torn_known *k = NULL;
	struct torn_run_meta meta;
	const char *dir = NULL, *fs;
	char **given = g_new0(char *, argc);
	int i, n_given = 0, r, ret = TORN_EXIT_USAGE;
	uint64_t n_known = 0;
	size_t j;

	for (i = 1; i < argc; i++) {
		r = cli_known_option("torn findings", argc, argv, &i, &known);
		if (r < 0)
			goto out;
		if (r)
			continue;
		if (!strcmp(argv[i], "--help")) {
			findings_usage(stdout);
			ret = TORN_EXIT_OK;
			goto out;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "torn findings: unknown option '%s'\n",
				argv[i]);
			findings_usage(stderr);
			goto out;
		}
		if (!dir)
			dir = argv[i];
		else
			given[n_given++] = argv[i];
	}
	if (!dir || known.strict) {
		if (known.strict)
			fprintf(stderr, "torn findings: --strict is for torn "
					"check, run and report\n");
		findings_usage(stderr);
		goto out;
	}
	if (!p.set || cli_known_load("torn findings", &known, &k))
		goto out;
	ret = TORN_EXIT_INFRA;
	if (read_run(dir, &meta, &fl))
		goto out;
	fs = meta.fs[0] ? meta.fs : NULL;
	ret = TORN_EXIT_USAGE;
	if (pick(&fl, k, fs, given, n_given, todo, &n_known))
		goto out;
	ret = TORN_EXIT_INFRA;
	for (j = 0; j < todo->len; j++)
		if (propose(&p, k, fs, todo->pdata[j]))
			goto out;
	if (!todo->len)
		fprintf(stderr,
			"torn findings: no new flagged state in %s (%" PRIu64
			" flagged, all known findings)\n",
			dir, n_known);
	for (j = 0; j < p.n; j++)
		printf("%s# explains %" PRIu64 " of the %u state(s); e.g. torn "
		       "replay %s %s --explain\n%s",
		       j ? "\n" : "", p.count[j], todo->len, dir, p.example[j],
		       p.text[j]->str);
	if (p.n == G_N_ELEMENTS(p.text))
		fprintf(stderr,
			"torn findings: %zu proposals at most; add "
			"them, then run torn findings again\n",
			p.n);
	ret = TORN_EXIT_OK;
out:
	for (j = 0; j < p.n; j++)
		g_string_free(p.text[j], TRUE);
	torn_known_free(p.set);
	torn_known_free(k);
	cli_known_fini(&known);
	g_ptr_array_free(todo, TRUE);
	g_ptr_array_free(fl.order, TRUE);
	g_hash_table_destroy(fl.by_id);
	g_free(given);
	return ret;
}
