/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report: summarize a checked run; JUnit XML and HTML for CI and people.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "known.h"
#include "options.h"
#include "report.h"
#include "rundir.h"

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: torn report DIR [--junit FILE] [--html FILE] "
		"[--no-enumerate]\n"
		"         [--base OTHER-DIR]\n"
		"Summarizes the checked run in DIR on stdout: states by "
		"verdict, per\n"
		"oracle, per crash point, unique images and semantic states, "
		"dedup\n"
		"ratios, time per stage, and the failing states with their "
		"replay\n"
		"commands.\n\n"
		"  --junit FILE     also write JUnit XML (one testcase per "
		"oracle)\n"
		"  --html FILE      also write one self-contained HTML page\n"
		"  --no-enumerate   do not enumerate the crash states again "
		"(no\n"
		"                   generated/unique figures; faster on huge "
		"runs)\n"
		"  --known FILE     match the flagged states against these "
		"known\n"
		"                   findings (and the stock kernel's; none: "
		"not\n"
		"                   those), not the ones the check recorded\n"
		"  --strict         known findings count as failures too\n"
		"  --base DIR       compare with another checked run: its "
		"failure\n"
		"                   signatures (failed oracles, their first "
		"lines,\n"
		"                   digits as N) new, still failing or fixed\n\n"
		"Exit status: 0 every state consistent or a known finding, "
		"1 a state\n"
		"inconsistent or unrecoverable, 2 usage, 3 the verdicts are "
		"not the\nrun's result (no\n"
		"verdicts.jsonl or none in it, unreadable lines, states "
		"enumerated\n"
		"without a verdict), only timeouts/errors, or an output not "
		"written.\n"
		"Verdicts that are not the run's result are also an error "
		"testcase\n"
		"in --junit and a banner in --html.\n");
}

/* Render into path through a temporary file, so a reader never sees half. */
static int write_output(const struct torn_report *r, const char *path,
			int (*render)(const struct torn_report *, FILE *))
{
	char *tmp = g_strdup_printf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "we");
	int ret;

	if (!f) {
		fprintf(stderr, "torn report: cannot write %s: %s\n", tmp,
			strerror(errno));
		g_free(tmp);
		return -1;
	}
	ret = render(r, f);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		fprintf(stderr, "torn report: cannot write %s: %s\n", path,
			strerror(-ret));
		unlink(tmp);
	}
	g_free(tmp);
	return ret ? -1 : 0;
}

/*
 * ret as the run expects it: a run whose spec said expect = inconsistent
 * (torn run wrote RUN/expect.txt) passes when a new inconsistency was
 * found and fails when none was, as torn run says it.
 */
static int expect(const char *dir, int ret)
{
	char *path = g_build_filename(dir, TORN_RUN_EXPECT, NULL), *text = NULL;
	bool seeded = g_file_get_contents(path, &text, NULL, NULL) &&
		      !strcmp(g_strstrip(text), "inconsistent");

	g_free(path);
	g_free(text);
	return seeded ? cli_expect_inconsistent(ret, " (expect.txt)", "") : ret;
}

int cmd_report(int argc, char **argv)
{
	struct torn_report_opts o = { .enumerate = true };
	struct torn_err err = { "" };
	struct torn_report *r;
	const char *dir = NULL, *junit = NULL, *html = NULL, *base_dir = NULL;
	struct torn_report *base = NULL;
	struct cli_known known = { 0 };
	struct torn_known *kn = NULL;
	int i, ret;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		ret = cli_known_option("torn report", argc, argv, &i, &known);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		if (!strcmp(a, "--help")) {
			report_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(a, "--no-enumerate")) {
			o.enumerate = false;
		} else if (!strcmp(a, "--base") && i + 1 < argc) {
			base_dir = argv[++i];
		} else if ((!strcmp(a, "--junit") || !strcmp(a, "--html")) &&
			   i + 1 < argc) {
			if (!strcmp(a, "--junit"))
				junit = argv[++i];
			else
				html = argv[++i];
		} else if (a[0] != '-' && !dir) {
			dir = a;
		} else {
			fprintf(stderr,
				"torn report: unknown option, missing value or "
				"second directory '%s'\n",
				a);
			report_usage(stderr);
			goto usage;
		}
	}
	if (!dir) {
		report_usage(stderr);
		goto usage;
	}
	if (known.n && cli_known_load("torn report", &known, &kn))
		goto usage;
	o.known = kn;
	o.strict = known.strict;
	cli_known_fini(&known);
	o.explain = html != NULL; /* the HTML cards' write tables */
	ret = torn_report_load(dir, &o, &r, &err);
	o.explain = false; /* never for the base run */
	if (ret) {
		fprintf(stderr, "torn report: %s\n", err.msg);
		/* CI reads the JUnit file: it must say so, not be stale */
		if (torn_report_new_unread(dir, err.msg, &r))
			return TORN_EXIT_INFRA;
	}
	for (k = 0; k < r->n_notes; k++)
		fprintf(stderr, "torn report: %s\n", r->notes[k]);
	if (base_dir) {
		/* the base's own notes are not this report's */
		if (torn_report_load(base_dir, &o, &base, &err)) {
			fprintf(stderr, "torn report: --base %s: %s\n",
				base_dir, err.msg);
			torn_report_free(r);
			torn_known_free(kn);
			return TORN_EXIT_USAGE;
		}
		if (torn_report_set_base(r, base)) {
			fprintf(stderr, "torn report: out of memory\n");
			torn_report_free(base);
			torn_report_free(r);
			torn_known_free(kn);
			return TORN_EXIT_INFRA;
		}
	}
	ret = TORN_EXIT_OK;
	if (torn_report_write_text(r, stdout))
		ret = TORN_EXIT_INFRA;
	if (junit && write_output(r, junit, torn_report_write_junit))
		ret = TORN_EXIT_INFRA;
	if (html && write_output(r, html, torn_report_write_html))
		ret = TORN_EXIT_INFRA;
	if (!ret)
		ret = expect(dir, torn_report_exit_status(r));
	torn_report_free(r);
	torn_report_free(base);
	torn_known_free(kn);
	return ret;
usage:
	cli_known_fini(&known);
	return TORN_EXIT_USAGE;
}
