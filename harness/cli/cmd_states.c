/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn states: the crash states of a traced run, enumerated and counted. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "cli.h"
#include "options.h"
#include "states_print.h"

static void states_usage(FILE *f)
{
	fprintf(f,
		"usage: torn states DIR [--model adr|eadr]\n"
		"         [--granularity line|torn] [--points P]\n"
		"         [--engine E ...] [--no-dedup] [--threads 1|2]\n"
		"         [--stats] [--list]\n"
		"\n"
		"Enumerate the crash states of the run in DIR (DIR/trace.torn\n"
		"over DIR/base.img): per crash point the lines and writes in\n"
		"flight and the states found, then totals.\n"
		"\n");
	cli_states_usage(f, CLI_STATES_ALL);
	fprintf(f,
		"  --no-dedup       keep states whose image was seen before\n"
		"  --threads T      2: replay the trace in a second thread\n"
		"                   (same output); default 1\n"
		"  --stats          totals only, with a line per engine\n"
		"  --list           a line per unique state: id, hash, delta\n"
		"  --help           print this help\n"
		"\n"
		"Exit status: 0 success, 2 usage, 3 unreadable run\n"
		"directory.\n");
}

static int count_state(const struct torn_crash_state *cs, const char *id,
		       bool done, void *ctx)
{
	++*(uint64_t *)ctx;
	return 0;
}

/*
 * What torn check would check: a unique image once per number of
 * markers before its crash point (check_walk, the check's own loop).
 */
static void print_to_check(const struct states_run *run,
			   const struct torn_states_opts *o)
{
	struct check_run cr = { 0 };
	struct check_plan plan = { 0 };
	uint64_t n = 0;
	struct check_visit v = { NULL, count_state, &n };
	struct torn_states *s = NULL;

	if (check_run_collect_markers(&cr, run->trace) ||
	    check_states_new(&s, run->trace, run->base, run->size, o, NULL)) {
		free(cr.markers);
		return;
	}
	plan.dedup.markers = cr.markers;
	plan.dedup.nmarkers = cr.nmarkers;
	if (!check_walk(&plan, s, &v))
		printf("states to check %" PRIu64
		       " (torn check's count: a unique image once per number "
		       "of markers before its crash point)\n",
		       n);
	torn_states_free(s);
	free(cr.markers);
}

int cmd_states(int argc, char **argv)
{
	const char *cmd = "states", *dir = NULL;
	bool stats = false, list = false, dedup = true;
	struct cli_states_seen seen = { 0 };
	struct torn_state_set *set = NULL;
	struct torn_states_stats st;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	struct torn_states_opts o;
	struct torn_err err = { .msg = "" };
	struct torn_states *s = NULL;
	struct states_run run;
	const char *v;
	bool missing;
	int i, ret, rc = TORN_EXIT_INFRA;

	torn_states_opts_init(&o);
	for (i = 1; i < argc; i++) {
		ret = cli_states_option("torn: states", argc, argv, &i, &o,
					CLI_STATES_ALL, &seen);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			states_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(argv[i], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if (!strcmp(argv[i], "--no-dedup")) {
			dedup = false;
		} else if ((v = cli_opt_value(argc, argv, &i, "--threads",
					      &missing)) ||
			   missing) {
			if (!v || (strcmp(v, "1") && strcmp(v, "2"))) {
				fprintf(stderr,
					"torn: states: --threads: expected 1 or 2\n");
				goto usage;
			}
			o.threads = (unsigned int)(v[0] - '0');
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "torn: states: unknown option '%s'\n",
				argv[i]);
			goto usage;
		} else if (dir) {
			fprintf(stderr,
				"torn: states: one DIR only, not '%s'\n",
				argv[i]);
			goto usage;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		fprintf(stderr, "torn: states: no DIR given (see --help)\n");
		goto usage;
	}
	ret = states_run_open(cmd, dir, &run);
	if (ret)
		return ret;
	if (dedup && torn_state_set_new(&set)) {
		fprintf(stderr, "torn: states: out of memory\n");
		goto out;
	}
	o.dedup = set;
	ret = torn_states_new(&s, run.trace, run.base, run.size, &o, &err);
	if (ret) {
		fprintf(stderr, "torn: states: %s\n", err.msg);
		goto out;
	}
	states_print_options(&o, torn_states_get_model(s));
	while ((ret = torn_states_next_point(s, &pt)) == 1) {
		uint64_t unique = 0;
		char kind[48], id[96], hash[33];

		if (!stats)
			printf("point %" PRIu64 " %s lines %" PRIu32
			       " writes %" PRIu32 " chains %" PRIu32
			       " states %" PRIu64,
			       pt.seq,
			       states_point_kind(&pt, kind, sizeof(kind)),
			       pt.inflight_lines, pt.inflight_writes, pt.chains,
			       pt.states);
		if (list && !stats)
			printf("\n");
		while ((ret = torn_states_next_state(s, &cs)) == 1) {
			uint64_t bytes = 0;
			size_t k;

			unique++;
			if (!list || stats)
				continue;
			for (k = 0; k < cs.n_delta; k++)
				bytes += cs.delta[k].len;
			torn_state_id_format(&cs, id, sizeof(id));
			torn_hash_format(&cs.hash, hash);
			printf("  state %s hash %s delta %zu bytes %" PRIu64
			       "%s\n",
			       id, hash, cs.n_delta, bytes,
			       cs.flags & TORN_STATE_F_PERSISTED ? " persisted"
								 : "");
		}
		if (ret < 0)
			break;
		if (!stats)
			printf("%sunique %" PRIu64 "\n", list ? "  " : " ",
			       unique);
	}
	if (ret < 0) {
		fprintf(stderr, "torn: states: %s\n", torn_states_get_error(s));
		goto out;
	}
	torn_states_get_stats(s, &st);
	states_print_totals(&o, &st, set, stats);
	if (stats && dedup)
		print_to_check(&run, &o);
	if (st.unresolved)
		fprintf(stderr,
			"torn: states: %" PRIu64
			" flushes could not be resolved; their lines stay in flight, so some states may be impossible\n",
			st.unresolved);
	rc = TORN_EXIT_OK;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "torn: states: cannot write output: %s\n",
			strerror(errno));
		rc = TORN_EXIT_INFRA;
	}
out:
	torn_states_free(s);
	torn_state_set_free(set);
	states_run_close(&run);
	return rc;

usage:
	return TORN_EXIT_USAGE; /* the reason is already printed, one line */
}
