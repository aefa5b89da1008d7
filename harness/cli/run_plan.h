/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's settings checked and placed into the stages' options. */
#ifndef TORN_CLI_RUN_PLAN_H
#define TORN_CLI_RUN_PLAN_H

#include <stdio.h>

#include "check.h"
#include "options.h"
#include "run_spec.h"
#include "tracing.h"

/* Built-in default: what `torn run` with no arguments does. */
#define RUN_DEFAULT_FS "ext4-dax"
#define RUN_DEFAULT_FLUSH "clwb"
#define RUN_DEFAULT_WORKLOAD "fsops-default"
#define RUN_DEFAULT_ENGINE "prefix,subsets:1"
#define RUN_DEFAULT_POINTS "fence"

/* The defaults above into s where it has no value. */
void run_settings_defaults(struct run_settings *s);

/* What torn run hands the trace and check stages. */
struct run_plan {
	struct torn_trace_opts trace; /* workload: torn_trace_workload() */
	struct torn_check_opts check;
	const char *workload; /* the name, or fsops:PATH */
	struct cli_known known; /* the known findings files (run_plan_fini) */
	/* a user's own test instead of a workload (run_user.c) */
	bool is_user;
	struct torn_user_test user; /* points into the settings */
	char *user_name; /* test:BASENAME of its program or script (owned) */
	bool expect_inconsistent; /* expect = inconsistent: a seeded bug */
};

/*
 * The user test of s into p (program or script and the keys with them;
 * expect): 0, or TORN_E_USAGE blamed on the key (both program and
 * script, a workload beside them, a test key without them, a bad
 * expect).  Paths and words are checked by run_plan_workload.
 */
int run_plan_user(const struct run_settings *s, struct run_plan *p,
		  struct torn_err *err);

/*
 * The workload p traces into *w (torn_trace_workload_clear it): the
 * named one, or the user test staged; p->trace's workload and stage
 * point into *w.  0, or the error of torn_trace_workload or
 * torn_trace_user_workload with its line in err.
 */
int run_plan_workload(struct run_plan *p, struct torn_trace_workload *w,
		      struct torn_err *err);

/*
 * Check every setting of s (the defaults filled in) and place it, before
 * anything is built or booted: fs, flush, the workload's name, the
 * numbers, then engines, points, model, granularity and oracles.  The
 * plan points into s.  0, or TORN_E_USAGE with the first bad value
 * blamed on its spec line or option (run_settings_blame).  Without an
 * out setting, trace.out and check.dir stay NULL for the caller to fill.
 */
int run_plan_make(const struct run_settings *s, struct run_plan *p,
		  struct torn_err *err);
void run_plan_fini(struct run_plan *p);

/*
 * ret, torn check's exit code for p, as p expects it: with expect =
 * inconsistent, FAIL (a new inconsistency) is OK and OK is FAIL, each
 * said on stdout; anything else stays.
 */
int run_expect(const struct run_plan *p, int ret,
	       const struct torn_check_summary *c);

/* The summary's last line ("verdict: ..."), for torn check's ret. */
void run_print_verdict(int ret, const struct torn_check_summary *c,
		       const char *dir);

/*
 * torn run over lists (run_matrix.c): fs and flush may each name several,
 * blank-separated; a run for each pair, into OUT/FS-FLUSH when out is
 * set.  run_matrix_cells() is how many runs s asks for (1: no matrix).
 * run_matrix() checks every pair's settings first (a word twice, a bad
 * one: exit 2 before a boot), runs each with run, prints a line per
 * run and returns the worst exit code (usage, infrastructure, failure,
 * nothing checked, pass).
 */
/* What torn run takes beside the settings. */
struct run_extra {
	const char *cell; /* --cell ID (torn matrix, matrix.h) */
	bool trace_only;
};

/*
 * torn run's arguments (run_args.c): SPEC (or, with --cell, the specs
 * and directories to find the cell's among), then the options over it,
 * then the cell's axes, then the defaults: 0; 1 after --help; -1 after
 * one line on stderr.  run_usage: torn run --help (cmd_run.c).
 */
int run_read_args(int argc, char **argv, struct run_settings *s,
		  struct run_extra *x);
void run_usage(FILE *f);

/*
 * The blank-separated words of v (g_strfreev); NULL for NULL.  Of k's
 * value: NULL when unset.  The first word w holds twice, or NULL.
 */
char **run_words(const char *v);
char **run_settings_words(const struct run_settings *s, enum run_key k);
const char *run_words_twice(char **w);
int run_matrix_cells(const struct run_settings *s);
int run_matrix(struct run_settings *s, int (*run)(struct run_settings *));

#endif
