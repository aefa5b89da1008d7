/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn coverage: the recovery code a run's crash states exercised. */
#ifndef TORN_COV_REPORT_H
#define TORN_COV_REPORT_H

#include <stdio.h>

#include "torn_err.h"

struct torn_cov_opts {
	const char *dir; /* a run checked with --coverage */
	const char *base; /* another such run to compare with, or NULL */
	const char *html; /* genhtml's report into this directory, or NULL */
	const char *lcov; /* the lcov tracefile to write, or NULL */
	const char *cache_dir; /* resolved (torn_cache_dir) */
	FILE *out; /* the tables */
};

/*
 * Read RUN/coverage (the summed .gcda of the run's recoveries) with the
 * .gcno and sources its kernel build kept, through gcov's JSON output,
 * and print: a table per profiled file (lines, functions, branches
 * reached), the total of each part of the stack, how many states it
 * took to reach 90% of the run's counters, and against base the lines
 * one run reached and the other did not.  0; TORN_E_NOTFOUND for a run
 * without coverage or a kernel build no longer there; -EIO when gcov or
 * genhtml fails, with err saying which.
 */
int torn_cov_report(const struct torn_cov_opts *o, struct torn_err *err);

#endif
