/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The replay stage: one crash state rebuilt, re-checked, explained. */
#ifndef TORN_REPLAY_H
#define TORN_REPLAY_H

/*
 * torn_replay_run() is `torn replay`: it rebuilds one state of a checked
 * run with the model and granularity torn check recorded in check.json
 * (unless the options say otherwise), refuses to go on when the image's
 * hash differs from the one verdicts.jsonl recorded for it, and then
 * writes the image, explains the state (its crash point, the markers
 * around it, every in-flight write and what the state kept of it, as the
 * persistency model stepper says), re-checks it in a checker guest with
 * every oracle's full output, minimizes the writes it lost, or opens a
 * shell on it.  Results go to opts.out, progress and errors to stderr;
 * it returns a TORN_EXIT_* code.
 *
 * torn_replay_load() and the accessors are the same without a guest, for
 * tools and tests.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest.h"
#include "rundir.h"
#include "torn_err.h"

struct torn_replay_opts {
	const char *dir; /* the run directory */
	const char *state_id; /* "<point>.<engine>.<index>" */
	struct guest_opts guest; /* kit, cache, boot timeout, keep */
	int timeout_ms; /* each step in the guest; 60 s */
	/* TORN_MODEL_ADR/_EADR; TORN_MODEL_AUTO: check.json's, else the trace's
	 */
	int model;
	/* enum torn_granularity; 0: check.json's, else line */
	int granularity;
	bool explain; /* print the state's story */
	bool minimize; /* ddmin over the lines it lost */
	bool shell; /* a shell in a guest on the image */
	bool no_check; /* no guest (but for --minimize) */
	const char *image; /* write the image here; NULL: no */
	FILE *out; /* results; NULL: stdout */
};

/* The defaults above. */
void torn_replay_opts_init(struct torn_replay_opts *o);

/* Everything `torn replay` does; a TORN_EXIT_* code. */
int torn_replay_run(const struct torn_replay_opts *o);

/* One state rebuilt, with what the run directory says about it. */
struct torn_replay;

/*
 * Load o->dir and rebuild o->state_id (the other options are copied).
 * Errors: TORN_E_USAGE or TORN_E_NOTFOUND for a state id the trace does
 * not have, TORN_E_MISMATCH when the image's hash differs from the one
 * recorded for it, others for a run directory that cannot be read; err
 * says what, without a "torn replay:" prefix.
 */
int torn_replay_load(struct torn_replay **out, const struct torn_replay_opts *o,
		     struct torn_err *err);
void torn_replay_free(struct torn_replay *r); /* NULL: no-op */

/* The state's image (*size bytes, the NVDIMM size). */
const uint8_t *torn_replay_get_image(const struct torn_replay *r,
				     uint64_t *size);
/* Its image hash, 32 hex digits. */
const char *torn_replay_get_hash(const struct torn_replay *r);
/* The model and granularity it was rebuilt with. */
int torn_replay_get_model(const struct torn_replay *r);
int torn_replay_get_granularity(const struct torn_replay *r);
/* What check.json recorded, or NULL when the run has none. */
const struct torn_run_check *torn_replay_get_check(const struct torn_replay *r);
/* Its verdict in verdicts.jsonl (the last one), or NULL. */
const struct torn_verdict_rec *
torn_replay_get_verdict(const struct torn_replay *r);

/* The state's story (--explain) into out. */
void torn_replay_explain(const struct torn_replay *r, FILE *out);

#endif
