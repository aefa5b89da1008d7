/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the injectors' files share and their users never see. */
#ifndef TORN_STATES_INT_H
#define TORN_STATES_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "states.h"

#define NONE32 UINT32_MAX
#define LINE_SHIFT 6
#define GRANULES 8 /* per line */

/*
 * One in-flight write within one line, and the line's content right after
 * it: persisted content plus every in-flight write of the line up to and
 * including this one.  Snapshots stay right when a prefix of the line's
 * list persists, so they are computed once, at the store.
 */
struct frag {
	uint8_t snap[TORN_LINE_SIZE];
	struct torn_hash128 hl; /* H(line == snap) relative to base */
	uint64_t seq; /* program order: record * 2 + part */
	uint32_t line; /* index into torn_states.lines */
	uint32_t next; /* next of the line's, or free list */
	uint32_t gnext, gprev; /* every in-flight write, program order */
	uint8_t off, len; /* bytes of the line written */
	uint8_t nt; /* a non-temporal store */
};

/* A line the trace touched. */
struct line_state {
	uint8_t persisted[TORN_LINE_SIZE];
	struct torn_hash128 hl_pers; /* H(line == persisted) */
	uint64_t line; /* byte offset / 64 */
	uint64_t changed_stamp; /* interval it was last marked changed */
	uint64_t pt_stamp; /* crash point whose scratch pt_idx is for */
	uint32_t head, tail; /* in-flight writes, program order */
	uint32_t n_inflight;
	uint32_t n_flushinit; /* how many of them are flush-initiated */
	uint32_t pt_idx; /* into ptl, at crash point pt_stamp */
	uint8_t queued; /* in the list to persist at a fence */
};

struct lmap_slot {
	uint64_t line;
	uint32_t idx; /* NONE32: empty */
};

/* Scratch for one in-flight line at a crash point. */
struct pt_line {
	uint32_t line; /* line_state index */
	uint32_t chain, unit; /* line granularity */
	uint32_t ntchain, ntunit; /* line granularity: its non-temporal part */
	/* torn granularity */
	uint32_t gchain[GRANULES], gunit[GRANULES];
	uint32_t sh[GRANULES]; /* its shared granules' pt_shared, or NONE32 */
	uint8_t cached; /* granules cached writes touch */
	uint8_t ntg; /* granules non-temporal writes touch */
	bool split; /* its writes form a cached and a non-temporal part */
};

/* One write of a chain at a crash point (after splitting). */
struct pt_elem {
	const uint8_t *snap; /* its unit's content after it */
	struct torn_hash128 cum; /* its chain's hash change, prefix to here */
	uint64_t offset; /* its unit's byte offset in the image */
	uint64_t seq; /* its write's program order (frag.seq) */
	uint32_t chain, unit;
	uint32_t len; /* unit bytes, 64 or 8 */
	bool masked; /* it writes only the granules of mask, not len bytes */
	uint8_t mask; /* granules of its line (bit 0: the line's first) */
};

/*
 * A shared granule: one that a cached and a non-temporal in-flight write
 * touch, whose two parts are separate chains (model.h, "Chains").  Its
 * content in a state is that of the latest write (in program order) of
 * the kept prefixes that touches it, so it is no chain's alone: the
 * chains leave it out of their hashes and elements, and each write that
 * touches it is a pt_sref.
 */
struct pt_shared {
	uint64_t offset; /* byte offset of the granule */
};

struct pt_sref {
	struct torn_hash128 h; /* the granule's hash change if it wins */
	uint32_t shared; /* into point.shared */
	uint32_t elem; /* into point.W: its chain and program order */
	uint32_t pos; /* kept when its chain's prefix is at least pos */
	uint32_t goff; /* the granule's content: W[elem].snap + goff */
};

struct pt_chain {
	uint32_t first; /* elements: ce[first .. first + len) */
	uint32_t len;
	uint32_t hfirst; /* chash[hfirst + p]: hash change, prefix p */
	uint32_t unit0; /* unit of its first element */
	bool multi; /* elements on several units */
	struct torn_hash128 cum; /* scratch while building */
};

/*
 * What the torn engine splits: n choices on top of a base state, each
 * either left as in the base or given its new content.  A choice is some
 * granules of one line (pt_tunit).  adr: an in-flight line, its base the
 * persisted image, one choice per granule of the line with every
 * in-flight write.  eadr: one store's part within one line, its base the
 * state where its chain's writes before it persisted (chain, pfx), one
 * choice per granule it changes; or one string instruction (rep movs,
 * rep stos), one choice per run of it on one line (model.h).  States:
 * every non-empty strict subset of the choices (2^n - 2), or with pairs
 * each choice alone and every choice but one (2n).
 */
struct pt_tunit {
	uint64_t line;
	uint8_t k;
	uint8_t g[GRANULES]; /* granules that differ from the base */
	const uint8_t *gdata[GRANULES]; /* their new content, 8 bytes */
	struct torn_hash128 gh[GRANULES]; /* their hash changes */
	struct torn_hash128 h; /* the sum */
};

struct pt_torn {
	uint64_t count;
	uint32_t chain, pfx; /* eadr: the base state; adr: NONE32, 0 */
	uint32_t first, n; /* choices: tunits[first .. first + n) */
	bool pairs;
};

#define TORN_STRING_SUBSETS 6 /* string ops of more lines: pairs */

/* One engine's walk over the states of the current point. */
struct engine_run {
	bool started;
	bool fallback; /* full: random instead */
	uint64_t count;
	uint64_t next; /* the next index to produce */
	uint32_t comb_size; /* subsets */
	uint32_t torn_j; /* torn: pt_torn entry, subset 1..count */
	uint64_t torn_r;
};

/*
 * A crash point: all that the engines read.  Built by the replay side
 * (point.c); with threads, in a replay thread, and then self-contained:
 * snapshots and changed lines are copied into its arena, because the
 * replay goes on and frees or reuses what they pointed at.
 */
struct point {
	struct torn_crash_point pt; /* the public view */
	struct torn_hash128 h_pers; /* H(persisted image) here */
	struct torn_line_ref *changed;
	uint32_t n_changed, cap_changed;
	struct pt_elem *W; /* every in-flight write, program order */
	uint32_t n_W, cap_W;
	struct pt_chain *chains;
	uint32_t n_chains, cap_chains;
	uint32_t *ce;
	uint32_t cap_ce;
	struct torn_hash128 *chash; /* per chain: 0, then W[].cum */
	uint32_t cap_chash;
	uint32_t n_units;
	uint32_t n_split; /* lines whose two parts are units of their own */
	struct pt_shared *shared;
	uint32_t n_shared, cap_shared;
	struct pt_sref *srefs;
	uint32_t n_srefs, cap_srefs;
	struct pt_torn *torn;
	uint32_t n_torn, cap_torn;
	struct pt_tunit *tunits;
	uint32_t n_tunits, cap_tunits;
	uint32_t torn_max_n; /* most choices of one entry */
	uint8_t *arena;
	size_t cap_arena;
	/* replay counters as of this point */
	uint64_t records, unresolved, lines_touched;
};

#define NPOINTS 3 /* points a replay thread may build ahead, + 1 */

struct torn_states {
	const struct torn_record *recs;
	size_t n_recs;
	const uint8_t *base;
	uint64_t pm_size;
	struct torn_states_opts o;
	int model, gran;
	bool any_torn; /* a torn engine is configured */

	/* replay side */
	size_t pos; /* next record to replay */
	bool point_taken; /* a point was built before record pos */
	uint64_t stores_seen;
	uint64_t ordinal; /* points built */
	uint64_t unresolved;
	struct torn_hash128 h_pers;

	struct line_state *lines;
	uint32_t n_lines, cap_lines;
	struct lmap_slot *lmap; /* line index -> lines[], hashed */
	uint64_t lmap_mask;

	struct frag *frags;
	uint32_t cap_frags, free_frag, n_frags_used;
	uint32_t ghead, gtail;
	uint32_t n_inflight;
	uint32_t n_inflight_lines; /* lines with n_inflight > 0 */

	uint32_t *queue; /* lines with flush-initiated writes */
	uint32_t n_queue, cap_queue;

	uint32_t *changed; /* lines persisted since the last point */
	uint32_t n_changed, cap_changed;
	uint64_t changed_stamp;

	uint64_t pt_stamp; /* scratch for building a point */
	struct pt_line *ptl;
	uint32_t n_ptl, cap_ptl;
	struct torn_hash128 *unit_cur;
	uint32_t cap_units;
	const uint8_t **unit_data; /* eadr torn: a unit's content so far */
	uint32_t cap_unit_data;

	struct point pts[NPOINTS];
	struct torn_err rerr; /* replay side error */

	/* the replay thread, when o.threads is 2 */
	bool threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any change below */
	uint64_t built; /* points published */
	uint64_t taken; /* points released by the engine side */
	bool done; /* the replay side has finished */
	int done_ret; /* 0 or its error */
	bool stop; /* torn_states_free wants it gone */

	/* engine side */
	struct point *cur; /* the point being enumerated, or NULL */
	uint32_t *p, *nz, *nzpos, *comb;
	uint32_t n_nz, cap_p;
	bool nz_stale; /* p[] was set directly: rebuild nz */
	struct torn_hash128 h_cur; /* the chains' part of the state hash */
	struct torn_hash128 h_state; /* with the shared granules: the state's */
	uint32_t *sh_best; /* per shared granule: the winning pt_sref */
	uint32_t cap_sh_best;
	uint64_t dstamp;
	uint64_t *unit_stamp; /* delta building: unit already emitted */
	uint32_t cap_unit_stamp;
	struct torn_delta_ent *delta;
	uint32_t n_delta, cap_delta;
	uint8_t *torn_lines; /* torn: base lines overlaid, 64 bytes each */
	uint32_t cap_torn_lines;
	unsigned int eng_i;
	struct engine_run run;

	struct torn_states_stats stats;
	struct torn_err err; /* why the last _next call failed */
};

/* model.c: replaying records */
int model_apply(struct torn_states *s, const struct torn_record *rec,
		size_t idx, struct torn_err *err);
void model_free(struct torn_states *s);
/* In-flight writes of its line the clflush rec persists at once. */
uint32_t model_clflush_persists(struct torn_states *s,
				const struct torn_record *rec);
/* A line's state (line: byte offset / 64); NULL if never touched. */
struct line_state *model_line(struct torn_states *s, uint64_t line);

/* point.c: the chains of a crash point, built into pk */
int point_build(struct torn_states *s, struct point *pk, struct torn_err *err);
void point_free(struct point *pk);

/* engines.c, on s->cur */
int engine_scratch(struct torn_states *s);
void engine_start(struct torn_states *s, unsigned int ei);
/* Both leave the state's hash in h_state. */
void engine_step(struct torn_states *s, uint64_t idx); /* idx = next */
void engine_goto(struct torn_states *s, uint64_t idx); /* any idx */
void engine_delta(struct torn_states *s);
uint64_t engine_count(const struct point *pk, const struct torn_engine *e,
		      bool *fallback);

/* Grow *arr (elements of size el) to hold at least need; 0 or -ENOMEM. */
int grow_array(void **arr, uint32_t *cap, uint64_t need, size_t el);

static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static inline uint64_t sat_mul(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

#endif
