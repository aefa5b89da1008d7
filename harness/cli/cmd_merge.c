/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn merge: the shard checks of one traced run joined into one run. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"

static void merge_usage(FILE *f)
{
	fprintf(f,
		"usage: torn merge OUT RUN...\n"
		"Joins the shard checks of one traced run (torn check RUN --shard\n"
		"I/N, each on a copy of the run directory) into the new run\n"
		"directory OUT: the run's files, check.json without the shard, and\n"
		"every shard's verdicts.  torn report OUT then reports the whole\n"
		"check.  Refused, and nothing made, when the runs are not every\n"
		"shard of one check: other traces or settings, a shard given twice\n"
		"or missing, a state judged in two shards.\n\n"
		"Exit status: 0 merged, 2 not shards of one check (or OUT exists),\n"
		"3 a file could not be read or written.\n");
}

int cmd_merge(int argc, char **argv)
{
	struct torn_err err = { "" };
	uint64_t states = 0;
	int i, ret;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help")) {
			merge_usage(stdout);
			return TORN_EXIT_OK;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "torn merge: unknown option '%s'\n",
				argv[i]);
			merge_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	if (argc < 3) {
		merge_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	ret = torn_check_merge(argv[1], (const char *const *)argv + 2,
			       (size_t)argc - 2, &states, &err);
	if (ret) {
		fprintf(stderr, "torn merge: %s\n", err.msg);
		return ret == TORN_E_USAGE ? TORN_EXIT_USAGE : TORN_EXIT_INFRA;
	}
	printf("merged %d shards, %" PRIu64
	       " states, into %s (torn report %s)\n",
	       argc - 2, states, argv[1], argv[1]);
	return TORN_EXIT_OK;
}
