/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn states and torn state-image: the run they read, the lines they print. */
#ifndef TORN_CLI_STATES_PRINT_H
#define TORN_CLI_STATES_PRINT_H

#include <stdbool.h>
#include <stddef.h>

#include "states.h"
#include "trace.h"

/* A run directory's trace and base image, mapped read-only. */
struct states_run {
	struct torn_trace *trace;
	void *base;
	size_t size;
};

/*
 * Load DIR/trace.torn and map DIR/base.img (its size must be the trace's
 * NVDIMM size).  0, or TORN_EXIT_INFRA after one line naming cmd.
 */
int states_run_open(const char *cmd, const char *dir, struct states_run *r);
/* Unmap and free; safe on a zeroed or closed one. */
void states_run_close(struct states_run *r);

/* "fence:sfence", "flush:clwb", "end", ... into buf. */
const char *states_point_kind(const struct torn_crash_point *pt, char *buf,
			      size_t size);
/* The "model ... engines ... dedup on" line. */
void states_print_options(const struct torn_states_opts *o, int model);
/* The "total points ..." line; with stats a line per engine and more. */
void states_print_totals(const struct torn_states_opts *o,
			 const struct torn_states_stats *st,
			 const struct torn_state_set *set, bool stats);

#endif
