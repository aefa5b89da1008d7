/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's settings checked and placed into the stages' options. */
#ifndef TORN_CLI_RUN_PLAN_H
#define TORN_CLI_RUN_PLAN_H

#include "check.h"
#include "options.h"
#include "run_spec.h"
#include "tracing.h"

/* What torn run hands the trace and check stages. */
struct run_plan {
	struct torn_trace_opts trace; /* workload: torn_trace_workload() */
	struct torn_check_opts check;
	const char *workload; /* the name, or fsops:PATH */
	struct cli_known known; /* the known findings files (run_plan_fini) */
};

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

#endif
