/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn check: options into struct torn_check_opts, then the check stage. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "options.h"
#include "torn_verdict.h"

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: torn check DIR [-j N] [--resume | --fresh] [--oracles LIST]\n"
		"         [--timeout S]\n"
		"         [--model M] [--granularity G] [--points P] [--engine E ...]\n"
		"Recovers every unique crash state of the traced run in DIR in a pool\n"
		"of long-lived checker guests and appends a verdict per state to\n"
		"DIR/verdicts.jsonl.\n\n"
		"  -j N            checker guests (default: number of cores)\n"
		"  --resume        check only the states not in verdicts.jsonl yet, and\n"
		"                  again those whose verdict was error\n"
		"  --fresh         start over: verdicts.jsonl kept as verdicts.jsonl.N\n"
		"                  (without either, a verdicts.jsonl with verdicts is\n"
		"                  refused)\n"
		"  --oracles LIST  mount,fsck,dmesg,durability,atomicity,usability,custom\n"
		"                  (default all)\n"
		"  --timeout S     seconds for each step in the guest (default 60)\n"
		"  --checker CMD   the custom oracle's program (default: the workload's)\n"
		"  --order O       trace (default), reverse, shuffle:SEED\n"
		"  --limit N       check at most N states\n"
		"  --from-op N     only crash points from op N's begin marker on (e.g.\n"
		"                  skip a workload's set-up; ops are numbered from 1)\n"
		"  --boot-per-state  boot a fresh guest for every state (slow: a baseline)\n"
		"  --coverage      the kernel's gcov counters around each recovery, into\n"
		"                  RUN/coverage (a --gcov kernel; docs/coverage.md)\n"
		"  --coverage-batch N  --coverage, the counters read once every N states\n"
		"                  of a checker (default 1: each state's own)\n"
		"  --any-kit       check although this torn's kit is not the one the run\n"
		"                  was traced with (refused otherwise; docs/ci.md)\n"
		"  --allow-empty   no crash state at all is a pass (exit 0), not exit 4\n"
		"  --known FILE    known findings besides the stock kernel's (repeatable;\n"
		"                  none: not even those); docs/findings.md\n"
		"  --strict        states a known finding explains fail the check too\n"
		"  --shard I/N     only shard I of N of the unique states (the same split\n"
		"                  on every machine); torn merge joins the shards\n"
		"  --model, --granularity, --points, --engine   as for torn states\n"
		"A run is checked on its own --fs and --flush; --resume continues with\n"
		"the model, granularity, points, engines and --from-op of check.json\n"
		"(a different one given is an error: --fresh starts over).\n"
		"%s"
		"Exit status: 0 every state consistent or a known finding, 1 a state\n"
		"was not, 2 usage, 3 infrastructure (also a verdict that could not be\n"
		"written), 4 no crash state to check, 130 interrupted.\n",
		guest_opts_usage);
}

/* The run's settings the command line gave (torn_check_opts.given). */
static unsigned int given_settings(const struct guest_opts *g,
				   const struct cli_states_seen *seen,
				   const struct cli_counts *c)
{
	return (g->given & GUEST_GIVEN_FS ? TORN_CHECK_GIVEN_FS : 0) |
	       (g->given & GUEST_GIVEN_FLUSH ? TORN_CHECK_GIVEN_FLUSH : 0) |
	       (seen->model ? TORN_CHECK_GIVEN_MODEL : 0) |
	       (seen->granularity ? TORN_CHECK_GIVEN_GRAN : 0) |
	       (seen->points ? TORN_CHECK_GIVEN_POINTS : 0) |
	       (seen->engines ? TORN_CHECK_GIVEN_ENGINES : 0) |
	       (c->given & CLI_COUNT_BIT(CLI_COUNT_FROM_OP)
			? TORN_CHECK_GIVEN_FROM_OP
			: 0);
}

/* The option at argv[*i] that takes a value and is check's own. */
static int parse_valued(struct torn_check_opts *o, char **argv, int *i)
{
	const char *a = argv[*i], *val = argv[++*i];
	struct torn_err err = { "" };
	enum torn_check_order order;
	uint64_t seed;

	if (!strcmp(a, "--checker")) {
		o->checker = val;
	} else if (!strcmp(a, "--order")) {
		if (torn_check_order_parse(val, &order, &seed, &err)) {
			fprintf(stderr, "torn check: %s\n", err.msg);
			return -1;
		}
		o->order = order == TORN_CHECK_ORDER_TRACE ? NULL : val;
	} else if (!strcmp(a, "--shard")) {
		if (torn_check_shard_parse(val, &o->shard_index,
					   &o->shard_count, &err)) {
			fprintf(stderr, "torn check: --shard '%s': %s\n", val,
				err.msg);
			return -1;
		}
		o->given |= TORN_CHECK_GIVEN_SHARD;
	} else if (!strcmp(a, "--oracles")) {
		if (cli_oracles_parse(val, &o->oracles, &err)) {
			fprintf(stderr, "torn check: --oracles: %s\n", err.msg);
			return -1;
		}
	} else {
		fprintf(stderr, "torn check: unknown option '%s'\n", a);
		check_usage(stderr);
		return -1;
	}
	return 0;
}

/* The counts given into o: -j, --timeout, --limit, --from-op. */
static void take_counts(struct torn_check_opts *o, const struct cli_counts *c)
{
	if (c->given & CLI_COUNT_BIT(CLI_COUNT_JOBS))
		o->jobs = (int)c->v[CLI_COUNT_JOBS];
	if (c->given & CLI_COUNT_BIT(CLI_COUNT_TIMEOUT))
		o->timeout_ms = (int)c->v[CLI_COUNT_TIMEOUT] * 1000;
	if (c->given & CLI_COUNT_BIT(CLI_COUNT_LIMIT))
		o->limit = c->v[CLI_COUNT_LIMIT];
	if (c->given & CLI_COUNT_BIT(CLI_COUNT_FROM_OP))
		o->from_op = c->v[CLI_COUNT_FROM_OP];
	if (c->given & CLI_COUNT_BIT(CLI_COUNT_COVERAGE_BATCH))
		o->coverage_batch =
			(unsigned int)c->v[CLI_COUNT_COVERAGE_BATCH];
}

int cmd_check(int argc, char **argv)
{
	struct torn_check_opts o;
	struct cli_states_seen seen = { 0 };
	struct cli_counts counts = { 0 };
	struct cli_known known = { 0 };
	struct torn_known *k = NULL;
	int i, r;

	torn_check_opts_init(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		r = guest_opts_parse(&o.guest, argc, argv, &i);
		if (!r)
			r = cli_states_option("torn check", argc, argv, &i,
					      &o.states, CLI_STATES_ALL, &seen);
		if (!r)
			r = cli_count_option("torn check", argc, argv, &i, ~0u,
					     &counts);
		if (!r)
			r = cli_known_option("torn check", argc, argv, &i,
					     &known);
		if (r < 0)
			goto usage;
		if (r)
			continue;
		if (!strcmp(a, "--help")) {
			check_usage(stdout);
			cli_known_fini(&known);
			return TORN_EXIT_OK;
		} else if (!strcmp(a, "--boot-per-state")) {
			o.boot_per_state = true;
		} else if (!strcmp(a, "--coverage")) {
			o.coverage = true;
		} else if (!strcmp(a, "--any-kit")) {
			o.any_kit = true;
		} else if (!strcmp(a, "--resume")) {
			o.resume = true;
		} else if (!strcmp(a, "--fresh")) {
			o.fresh = true;
		} else if (!strcmp(a, "--allow-empty")) {
			o.allow_empty = true;
		} else if (a[0] != '-' && !o.dir) {
			o.dir = a;
		} else if (i + 1 >= argc) {
			fprintf(stderr,
				"torn check: unknown option or missing value '%s'\n",
				a);
			goto usage;
		} else if (parse_valued(&o, argv, &i)) {
			goto usage;
		}
	}
	if (!o.dir) {
		check_usage(stderr);
		goto usage;
	}
	if (cli_known_load("torn check", &known, &k))
		goto usage;
	take_counts(&o, &counts);
	o.given |= given_settings(&o.guest, &seen, &counts);
	o.points_text = seen.points;
	o.known = k;
	o.strict = known.strict;
	r = torn_check_run(&o);
	torn_known_free(k);
	cli_known_fini(&known);
	return r;
usage:
	cli_known_fini(&known);
	return TORN_EXIT_USAGE;
}
