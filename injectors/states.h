/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash-state enumeration: stream crash points and their unique states. */
#ifndef TORN_STATES_H
#define TORN_STATES_H

/*
 * Usage, a checker's loop:
 *
 *	torn_states_opts_init(&o);            then set model, engines...
 *	torn_state_set_new(&seen); o.dedup = seen;
 *	torn_states_new(&s, trace, base, size, &o, &err);
 *	memcpy(persisted, base, size);        the caller's own image
 *	while (torn_states_next_point(s, &pt) == 1) {
 *		apply pt.changed to persisted;
 *		while (torn_states_next_state(s, &st) == 1)
 *			check persisted + st.delta (torn_state_apply);
 *	}
 *
 * The model replays the trace once, front to back.  Memory holds the
 * lines the trace touched (persisted content), the writes in flight and
 * per-point tables sized by them; it does not grow with the number of
 * states.  The dedup set, when given, holds an 8-byte fingerprint (plus
 * hash-table slack: 11 to 21 bytes in all) per unique state.
 *
 * A state is named "<point>.<engine>.<index>": point is the record index
 * of its crash point (model.h), engine the engine's canonical name
 * (torn_engine_format), index its place in that engine's enumeration at
 * that point, counted before dedup.  An id means the same image for the
 * same trace, base, model and granularity, whatever --points or other
 * engines were chosen.
 *
 * Dedup is by content hash (content_hash.h), over the whole run, in
 * enumeration order: points in trace order, engines in option order,
 * indices ascending; the first state with a given image is the one kept.
 * A state whose image equals the persisted image at its point (index 0
 * of prefix, subsets and full is always one) is kept like any other --
 * it is the crash where no in-flight write got out, and it is the only
 * way the run's base and each newly persisted image get checked -- and
 * is flagged TORN_STATE_F_PERSISTED; dedup drops it wherever that image
 * was already seen.
 */

#include <stddef.h>
#include <stdint.h>

#include "content_hash.h"
#include "model.h"
#include "trace.h"
#include "torn_err.h"

/* ---- the dedup set --------------------------------------------------- */

/*
 * A set of content hashes, kept as 63-bit fingerprints: two different
 * images are taken for one with probability about n^2 / 2^64 over n
 * unique states (state_set.c).  Not thread-safe; one per run.
 */
struct torn_state_set;

int torn_state_set_new(struct torn_state_set **out);
void torn_state_set_free(struct torn_state_set *set); /* NULL: no-op */
/* 1 if h was new and is now in the set, 0 if it was there, or -ENOMEM. */
int torn_state_set_add(struct torn_state_set *set,
		       const struct torn_hash128 *h);
size_t torn_state_set_count(const struct torn_state_set *set);
size_t torn_state_set_bytes(const struct torn_state_set *set);

/*
 * The key torn check dedups crash states by: the image hash together with
 * the number of markers before the crash point.  The same image before and
 * after a durability marker is two states to judge (docs/oracles.md); torn
 * report counts unique states with the same key.
 */
static inline struct torn_hash128
torn_state_context_key(struct torn_hash128 h, uint64_t markers_before)
{
	h.hi ^= torn_mix64a(markers_before + 1);
	h.lo ^= torn_mix64b(markers_before + 1);
	return h;
}

/*
 * The shard (1..count) of a state with context key key (torn check
 * --shard I/N): a mix of the key, so the same split on every machine for
 * the same trace and options.  0 when count is 0.
 */
static inline uint32_t torn_state_shard(struct torn_hash128 key, uint32_t count)
{
	if (!count)
		return 0;
	return (uint32_t)(torn_mix64a(key.lo ^ torn_mix64b(key.hi)) % count) +
	       1;
}

/* ---- options ---------------------------------------------------------- */

#define TORN_POINT_ANY UINT64_MAX

struct torn_states_opts {
	int model; /* enum torn_model_kind */
	int granularity; /* enum torn_granularity */
	unsigned int points; /* TORN_POINTS_* */
	uint64_t store_every; /* N of store:N, >= 1 */
	unsigned int n_engines; /* 1..TORN_ENGINES_MAX */
	struct torn_engine engines[TORN_ENGINES_MAX];
	/* Caller-owned; NULL: every state is yielded, duplicates too. */
	struct torn_state_set *dedup;
	/*
	 * A record index: yield exactly one crash point there, even with
	 * nothing in flight, whatever points says.  TORN_POINT_ANY: off.
	 */
	uint64_t only_point;
	/*
	 * 1: everything in the caller's thread.  2: the trace is replayed
	 * and crash points built in a second thread, a few points ahead of
	 * the engines; the states and their order are the same.  A point
	 * then costs a copy of its snapshots (64 bytes per write).
	 */
	unsigned int threads;
};

/*
 * Defaults: model from the trace header, line granularity, fence points,
 * engines prefix and subsets:1, no dedup, every point, one thread.
 */
void torn_states_opts_init(struct torn_states_opts *o);

/* ---- what the enumerator yields -------------------------------------- */

/* One line of an image: 64 bytes at byte offset line * 64. */
struct torn_line_ref {
	uint64_t line;
	const uint8_t *data;
};

struct torn_crash_point {
	uint64_t seq; /* record index the crash comes before */
	uint64_t ordinal; /* how many points came before this one */
	int kind; /* record seq's kind, or TORN_REC_END */
	int sub; /* its flush or fence kind */
	uint32_t inflight_writes; /* in flight, after splitting */
	uint32_t inflight_lines;
	uint32_t chains;
	/* States each engine enumerates here, before dedup (saturating). */
	uint64_t engine_states[TORN_ENGINES_MAX];
	uint64_t states; /* their sum (saturating) */
	unsigned int full_fallback; /* bit i: engine i went random */
	struct torn_hash128 persisted_hash; /* H(persisted image) */
	/*
	 * Lines whose persisted content changed since the previous point
	 * (at the first point: since the base), with their content now.
	 */
	size_t n_changed;
	const struct torn_line_ref *changed;
	uint64_t unresolved; /* UNRESOLVED records before seq */
};

/*
 * A delta entry: len bytes at byte offset of the image.  A state's
 * entries are disjoint, in no particular order; applying them to the
 * persisted image at its point gives the state's image.
 */
struct torn_delta_ent {
	uint64_t offset;
	uint32_t len; /* 64 (a line) or 8 (a granule) */
	const uint8_t *data;
};

#define TORN_STATE_F_PERSISTED 0x01 /* image == persisted image here */

struct torn_crash_state {
	uint64_t point; /* record index of its crash point */
	unsigned int engine_idx; /* into opts.engines */
	const struct torn_engine *engine;
	uint64_t index;
	struct torn_hash128 hash; /* H(state image) */
	unsigned int flags; /* TORN_STATE_F_* */
	size_t n_delta;
	const struct torn_delta_ent *delta;
};

struct torn_states_stats {
	uint64_t records; /* replayed so far */
	uint64_t points;
	uint64_t states; /* generated, before dedup */
	uint64_t unique; /* yielded */
	uint64_t duplicates; /* dropped by dedup */
	uint64_t persisted; /* yielded with TORN_STATE_F_PERSISTED */
	uint64_t fallbacks; /* full fell back to random */
	uint64_t engine_states[TORN_ENGINES_MAX];
	uint64_t engine_unique[TORN_ENGINES_MAX];
	uint64_t unresolved; /* UNRESOLVED records replayed */
	uint32_t max_inflight_writes;
	uint32_t max_inflight_lines;
	uint64_t lines_touched; /* lines the model holds */
};

/* ---- the enumerator --------------------------------------------------- */

struct torn_states;

/*
 * Start enumerating the crash states of trace t over base (size bytes,
 * which must equal the header's pm_size; base NULL means all zero).  t,
 * base, o->dedup and the engines array are borrowed: they must outlive
 * the enumerator (o itself is copied).  Errors: TORN_E_USAGE for bad
 * options, TORN_E_RANGE for a base of the wrong size, -ENOMEM.
 */
int torn_states_new(struct torn_states **out, const struct torn_trace *t,
		    const void *base, size_t size,
		    const struct torn_states_opts *o, struct torn_err *err);
void torn_states_free(struct torn_states *s); /* NULL: no-op */

/*
 * Replay up to the next crash point and describe it in *pt.  Returns 1,
 * 0 when the trace is done, or a negative error.  The states of the
 * previous point that were not fetched are skipped.  Pointers in *pt
 * stay valid until the next call of either _next function.
 */
int torn_states_next_point(struct torn_states *s, struct torn_crash_point *pt);

/*
 * The next unique state at the current point into *st: 1, 0 when the
 * point has no more, or a negative error (-ENOMEM from dedup).  Pointers
 * in *st stay valid until the next call of either _next function.
 */
int torn_states_next_state(struct torn_states *s, struct torn_crash_state *st);

void torn_states_get_stats(const struct torn_states *s,
			   struct torn_states_stats *st);

/* The model in force (TORN_MODEL_AUTO resolved). */
int torn_states_get_model(const struct torn_states *s);

/* Why the last _next call returned an error ("" if none did). */
const char *torn_states_get_error(const struct torn_states *s);

/* ---- state ids and images --------------------------------------------- */

/* Write st's id into buf; returns what snprintf returns. */
int torn_state_id_format(const struct torn_crash_state *st, char *buf,
			 size_t size);

/* Parse "<point>.<engine>.<index>"; TORN_E_USAGE with a message if bad. */
int torn_state_id_parse(const char *id, uint64_t *point, struct torn_engine *e,
			uint64_t *index, struct torn_err *err);

/* Apply st's delta to img, the persisted image at st's point. */
void torn_state_apply(const struct torn_crash_state *st, void *img);

/*
 * Materialize the image of state id into out (size bytes = pm_size):
 * base (NULL: zeros) + everything persisted at its point + its delta.
 * Only o->model and o->granularity are used.  TORN_E_NOTFOUND with a
 * message when the point is past the trace or the index past the
 * engine's states there.  The state's hash goes to *hash if not NULL.
 */
int torn_state_image(const struct torn_trace *t, const void *base, size_t size,
		     const struct torn_states_opts *o, const char *id,
		     void *out, struct torn_hash128 *hash,
		     struct torn_err *err);

#endif
