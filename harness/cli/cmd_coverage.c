/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn coverage: the recovery code a run's crash states exercised. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cov_report.h"
#include "kit.h"

static void coverage_usage(FILE *f)
{
	fprintf(f,
		"usage: torn coverage RUN [--html DIR] [--lcov FILE] [--base RUN2]\n"
		"                     [--cache DIR]\n"
		"The kernel code the crash states' recoveries ran, from a run checked\n"
		"with --coverage on a --gcov kernel (docs/coverage.md): a table per\n"
		"profiled file and per part of the stack (lines, functions, branches),\n"
		"and how many states it took to reach 90%% of the run's counters.\n\n"
		"  --html DIR     genhtml's report of it into DIR\n"
		"  --lcov FILE    the lcov tracefile (default RUN/coverage/lcov.info\n"
		"                 with --html)\n"
		"  --base RUN2    what RUN reached that RUN2 did not, and the reverse\n"
		"Exit status: 0, 2 usage or a run without coverage, 3 gcov or genhtml\n"
		"failed.\n");
}

int cmd_coverage(int argc, char **argv)
{
	struct torn_cov_opts o = { .out = stdout };
	const char *cache = NULL;
	char cache_dir[4096];
	struct torn_err err = { "" };
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **v = !strcmp(a, "--html")	 ? &o.html
				 : !strcmp(a, "--lcov")	 ? &o.lcov
				 : !strcmp(a, "--base")	 ? &o.base
				 : !strcmp(a, "--cache") ? &cache
							 : NULL;

		if (!strcmp(a, "--help")) {
			coverage_usage(stdout);
			return TORN_EXIT_OK;
		}
		if (v && i + 1 < argc) {
			*v = argv[++i];
		} else if (!v && a[0] != '-' && !o.dir) {
			o.dir = a;
		} else {
			fprintf(stderr, "torn coverage: %s '%s'\n",
				v ? "a value is missing after"
				  : "unknown option",
				a);
			coverage_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	if (!o.dir) {
		coverage_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	ret = torn_cache_dir(cache, cache_dir, sizeof(cache_dir));
	if (ret) {
		fprintf(stderr, "torn coverage: no cache directory %s\n",
			cache_dir);
		return TORN_EXIT_INFRA;
	}
	o.cache_dir = cache_dir;
	ret = torn_cov_report(&o, &err);
	if (ret) {
		fprintf(stderr, "torn coverage: %s\n", err.msg);
		return ret == -EIO ? TORN_EXIT_INFRA : TORN_EXIT_USAGE;
	}
	return TORN_EXIT_OK;
}
