/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The replay stage's parts: the loaded state, symbols, the guest. */
#ifndef TORN_REPLAY_INT_H
#define TORN_REPLAY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "check_int.h"
#include "replay.h"
#include "run_syms.h"
#include "rundir.h"
#include "states.h"
#include "stepper.h"
#include "trace.h"

/* ---- the loaded state (replay.c) ----------------------------------------- */

struct torn_replay {
	struct torn_replay_opts o;
	FILE *out;
	struct torn_trace *trace;
	const struct torn_record *recs;
	size_t nrecs;
	uint64_t size;
	uint8_t *base;
	struct torn_states_opts so; /* model and granularity in force */
	int model; /* resolved */
	uint64_t point;
	char hash[40];
	uint8_t *state; /* the state's image */
	uint8_t *persisted; /* the persisted image at the point */
	uint8_t *full; /* every store before the point applied */
	/* the writes in flight at the point, in program order (stepper.h) */
	struct torn_inflight_write *inflight;
	size_t n_inflight;
	bool have_meta, have_check, have_verdict;
	struct torn_run_meta meta;
	struct torn_run_check check;
	struct torn_verdict_rec verdict;
	struct torn_syms *syms; /* run_syms.h */
};

/* Where rec was executed: "func+0x12 at file.c:34", or its PC. */
const char *replay_where(const struct torn_replay *r,
			 const struct torn_record *rec, char *buf, size_t len);
/* "  mount      ok" per oracle that ran, FAILED with its detail. */
void replay_print_oracles(FILE *out, const struct torn_oracle_result *res);

/* ---- a checker guest (recheck.c) ----------------------------------------- */

struct replay_guest {
	struct check_run run;
	struct checker c;
};

/*
 * A checker guest booted for r's state (verbose: every step's output);
 * 0, or a TORN_EXIT_* code after a message.  replay_guest_fini always.
 */
int replay_guest_setup(struct torn_replay *r, struct replay_guest *g,
		       FILE *verbose);
void replay_guest_fini(struct replay_guest *g);
/* Check img in the guest: the verdict, or -1 when the guest failed. */
int replay_guest_check(struct replay_guest *g, const uint8_t *img,
		       struct check_result *res);

/* --minimize (minimize.c): a TORN_EXIT_* code. */
int replay_minimize(struct torn_replay *r, struct replay_guest *g);
/* --shell (shell.c): a TORN_EXIT_* code. */
int replay_shell(struct torn_replay *r);

#endif
