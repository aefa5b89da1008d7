/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The check stage: recover and judge every unique crash state of a run. */
#ifndef TORN_CHECK_H
#define TORN_CHECK_H

/*
 * torn_check_run() is what `torn check` and `torn run` call: it loads the
 * run directory (rundir.h), enumerates the crash states (states.h),
 * dedups them by image and markers before the point
 * (torn_state_context_key), hands each new one to a pool of long-lived
 * checker guests, judges it with the oracles (verdict.h) and appends one
 * verdict line per state to verdicts.jsonl.  Progress goes to stderr,
 * the summary to stdout.  It returns a TORN_EXIT_* code (torn_exit.h).
 */

#include <stdbool.h>
#include <stdint.h>

#include "guest.h"
#include "known.h"
#include "states.h"
#include "torn_err.h"
#include "torn_verdict.h"

struct torn_check_opts {
	const char *dir; /* the run directory */
	struct guest_opts guest; /* kit, cache, boot timeout, keep */
	unsigned int oracles; /* TORN_O_BIT()s; default TORN_O_ALL */
	int timeout_ms; /* each step in the guest; default 60 s */
	int jobs; /* checker guests; default: cores */
	bool resume; /* skip the states verdicts.jsonl has (not errors) */
	bool fresh; /* keep verdicts.jsonl as verdicts.jsonl.N, start over */
	const char *checker; /* custom checker; NULL: meta.json's */
	const char *order; /* NULL/"trace", "reverse", "shuffle:SEED" */
	uint64_t limit; /* at most this many; default UINT64_MAX */
	uint64_t from_op; /* only points from op N's begin; 0 */
	bool boot_per_state; /* a fresh guest per state (baseline) */
	/*
	 * the kernel's gcov counters around each recovery, summed into
	 * RUN/coverage (docs/coverage.md); needs a --gcov kernel
	 */
	bool coverage;
	/*
	 * --coverage-batch N: the counters reset and read once every N
	 * states of a checker, not around each recovery (0, 1: per state);
	 * given, it means coverage too
	 */
	unsigned int coverage_batch;
	/*
	 * check although this torn's kit is not the one the run was traced
	 * with (meta.json's "kit"): refused otherwise, unless a --kernel
	 * other than the trace's makes the kit differ on purpose
	 */
	bool any_kit;
	bool allow_empty; /* no crash state at all is a pass, not EMPTY */
	/*
	 * Known findings (known.h, torn_check_known_load): a flagged state
	 * one explains is recorded with its id and is known, not new; the
	 * check fails only on new ones, or with strict on known ones too.
	 * NULL: none.
	 */
	const struct torn_known *known;
	bool strict;
	/*
	 * --shard I/N: judge only the unique states of shard I (1..N), a
	 * split by state key that is the same on every machine
	 * (torn_state_shard); recorded in check.json, kept by --resume, and
	 * joined again by torn merge.  0, 0: every state.
	 */
	uint32_t shard_index, shard_count;
	struct torn_states_opts
		states; /* model, granularity, points, engines */
	const char *points_text; /* --points as given, for check.json */
	/*
	 * TORN_CHECK_GIVEN_*: the settings the user gave.  The run
	 * directory's own settings are the run's: --fs and --flush must be
	 * meta.json's; with --resume, model, granularity, points, engines
	 * and --from-op must be check.json's and are taken from it when not
	 * given.  A conflict is TORN_EXIT_USAGE naming both values.
	 */
	unsigned int given;
	/* Filled when not NULL: what this check judged (torn run's summary). */
	struct torn_check_summary *summary;
};

struct torn_check_summary {
	uint64_t checked; /* by this check, not those --resume skipped */
	uint64_t by_verdict[TORN_V_COUNT];
	uint64_t known; /* flagged states a known finding explains */
	char known_text[512]; /* "F1 ×10, F2 ×2", "" none */
};

/*
 * The known findings for a check: the stock kernel's (torn_known_builtin
 * "stock") and then each of files[0..n) in order, unless one of them is
 * "none", which leaves the stock ones out.  TORN_E_FORMAT with
 * "FILE:LINE: why" for a file that does not parse, -errno with "cannot
 * read FILE: why" for one that cannot be read.  *out is NULL then.
 */
int torn_check_known_load(struct torn_known **out, const char *const *files,
			  size_t n, struct torn_err *err);

/*
 * torn merge: join the shard checks runs[0..n) (torn check --shard I/N
 * on copies of one traced run) into the new run directory out: the
 * run's files of runs[0], check.json without the shard, and every
 * shard's verdicts (each state's last line).  TORN_E_USAGE, nothing
 * made, when the runs are not shards of one check: a run checked
 * without --shard, different traces or settings, a shard given twice
 * or missing, a state judged in two shards; or out exists.
 * TORN_E_FORMAT for unreadable verdict lines; -errno for I/O (out
 * removed again).  *states: the states merged.
 */
int torn_check_merge(const char *out, const char *const *runs, size_t n,
		     uint64_t *states, struct torn_err *err);

#define TORN_CHECK_GIVEN_FS 0x01
#define TORN_CHECK_GIVEN_FLUSH 0x02
#define TORN_CHECK_GIVEN_MODEL 0x04
#define TORN_CHECK_GIVEN_GRAN 0x08
#define TORN_CHECK_GIVEN_POINTS 0x10
#define TORN_CHECK_GIVEN_ENGINES 0x20
#define TORN_CHECK_GIVEN_FROM_OP 0x40
#define TORN_CHECK_GIVEN_SHARD 0x80

/*
 * "I/N" (1 <= I <= N <= TORN_SHARDS_MAX) into *i and *n: 0, or
 * TORN_E_USAGE with "expected I/N, 1 <= I <= N <= 1024".
 */
int torn_check_shard_parse(const char *s, uint32_t *i, uint32_t *n,
			   struct torn_err *err);

/* The defaults above (torn_states_opts_init for states). */
void torn_check_opts_init(struct torn_check_opts *o);

/* The order states are checked in (torn_check_opts.order). */
enum torn_check_order {
	TORN_CHECK_ORDER_TRACE, /* enumeration order: images built incrementally
				 */
	TORN_CHECK_ORDER_REVERSE,
	TORN_CHECK_ORDER_SHUFFLE, /* a seeded shuffle */
};

/*
 * Parse an order: NULL or "trace", "reverse", "shuffle:SEED" (SEED a
 * non-zero number, into *seed).  TORN_E_USAGE with "--order 'X': why"
 * otherwise; torn_check_run() calls it too, so a caller need not.
 */
int torn_check_order_parse(const char *s, enum torn_check_order *order,
			   uint64_t *seed, struct torn_err *err);

/*
 * Check the run in o->dir.  Usage errors (--from-op past the trace's ops,
 * a bad order, verdicts.jsonl holding verdicts without --resume or
 * --fresh, both) are TORN_EXIT_USAGE after a one-line message, before
 * any guest boots; a run directory torn cannot use is TORN_EXIT_INFRA.
 * A verdict that cannot be written stops the check: TORN_EXIT_INFRA
 * after "cannot append to DIR/verdicts.jsonl: why; N verdicts kept;
 * continue with ...".  SIGINT or SIGTERM stops it too (the states in
 * flight finish, the checkers' work directories go):
 * TORN_EXIT_INTERRUPTED after "interrupted; N verdicts kept in ...".
 * No unique crash state at all (nothing in flight at any crash point of
 * the chosen kinds, or from --from-op on) is TORN_EXIT_EMPTY after a
 * line that says so, before any guest boots, or OK with allow_empty.
 * Otherwise the exit code the verdicts make (check_exit_code in
 * check_int.h): OK when every checked state is consistent, INFRA when
 * some are errors and none is inconsistent or unrecoverable, FAIL
 * otherwise.
 */
int torn_check_run(const struct torn_check_opts *o);

#endif
