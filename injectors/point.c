/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A crash point: the in-flight writes grouped into chains (model.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "states_int.h"

static const struct torn_hash128 zero_hash;

void point_free(struct point *pk)
{
	free(pk->changed);
	free(pk->W);
	free(pk->chains);
	free(pk->shared);
	free(pk->srefs);
	free(pk->ce);
	free(pk->chash);
	free(pk->torn);
	free(pk->tunits);
	free(pk->arena);
}

static int new_chain(struct point *pk, uint32_t *c)
{
	int ret = grow_array((void **)&pk->chains, &pk->cap_chains,
			     pk->n_chains + 1, sizeof(*pk->chains));

	if (ret)
		return ret;
	memset(&pk->chains[pk->n_chains], 0, sizeof(pk->chains[0]));
	pk->chains[pk->n_chains].unit0 = NONE32;
	*c = pk->n_chains++;
	return 0;
}

static int new_unit(struct torn_states *s, struct point *pk, uint32_t *u)
{
	int ret = grow_array((void **)&s->unit_cur, &s->cap_units,
			     pk->n_units + 1, sizeof(*s->unit_cur));

	if (ret)
		return ret;
	s->unit_cur[pk->n_units] = zero_hash;
	*u = pk->n_units++;
	return 0;
}

/* Append one element; contrib is its unit's hash change vs persisted. */
static int emit(struct torn_states *s, struct point *pk, uint32_t c, uint32_t u,
		const uint8_t *snap, uint64_t offset, uint32_t len,
		const struct torn_hash128 *contrib, uint64_t seq)
{
	struct pt_chain *ch = &pk->chains[c];
	struct pt_elem *e;
	int ret;

	ret = grow_array((void **)&pk->W, &pk->cap_W, pk->n_W + 1,
			 sizeof(*pk->W));
	if (ret)
		return ret;
	e = &pk->W[pk->n_W++];
	e->snap = snap;
	e->offset = offset;
	e->seq = seq;
	e->len = len;
	e->chain = c;
	e->unit = u;
	e->masked = false;
	e->mask = 0;
	torn_hash_add(&ch->cum, contrib);
	torn_hash_sub(&ch->cum, &s->unit_cur[u]);
	s->unit_cur[u] = *contrib;
	e->cum = ch->cum;
	if (ch->unit0 == NONE32)
		ch->unit0 = u;
	else if (ch->unit0 != u)
		ch->multi = true;
	ch->len++;
	return 0;
}

/* The granules (bits) that a write of bytes off .. off + len - 1 touches. */
static uint8_t granule_bits(unsigned int off, unsigned int len)
{
	unsigned int g0 = off / TORN_GRANULE_SIZE;
	unsigned int g1 = (off + len - 1) / TORN_GRANULE_SIZE;

	return (uint8_t)(((2u << g1) - 1) & ~((1u << g0) - 1));
}

/*
 * Number the in-flight lines in first-write order, with the granules
 * their cached and non-temporal writes touch.  A line with both splits
 * into a cached and a non-temporal part (model.h, "Chains"), at line
 * granularity, and under eadr at torn granularity; adr at torn
 * granularity needs no split: its chains are per granule already.
 */
static int collect_lines(struct torn_states *s, struct point *pk)
{
	bool split = s->gran == TORN_GRAN_LINE || s->model == TORN_MODEL_EADR;
	uint32_t fi, i;
	int ret;

	s->n_ptl = 0;
	for (fi = s->ghead; fi != NONE32; fi = s->frags[fi].gnext) {
		const struct frag *f = &s->frags[fi];
		struct line_state *l = &s->lines[f->line];
		struct pt_line *pl;

		if (l->pt_stamp != s->pt_stamp) {
			ret = grow_array((void **)&s->ptl, &s->cap_ptl,
					 s->n_ptl + 1, sizeof(*s->ptl));
			if (ret)
				return ret;
			l->pt_stamp = s->pt_stamp;
			l->pt_idx = s->n_ptl;
			pl = &s->ptl[s->n_ptl++];
			memset(pl, 0xff, sizeof(*pl));
			pl->line = f->line;
			pl->cached = pl->ntg = 0;
		}
		pl = &s->ptl[l->pt_idx];
		if (f->nt)
			pl->ntg |= granule_bits(f->off, f->len);
		else
			pl->cached |= granule_bits(f->off, f->len);
	}
	for (i = 0; i < s->n_ptl; i++) {
		struct pt_line *pl = &s->ptl[i];

		pl->split = split && pl->cached && pl->ntg;
		pk->n_split += pl->split;
	}
	return 0;
}

/*
 * Element e (just emitted, f's write) writes granule g of its line,
 * which is shared: a pt_sref, and the pt_shared on first sight.
 */
static int share(struct torn_states *s, struct point *pk, struct pt_line *pl,
		 const struct frag *f, unsigned int g, uint32_t goff)
{
	const struct line_state *l = &s->lines[f->line];
	uint32_t e = pk->n_W - 1;
	struct pt_sref *r;
	int ret;

	if (pl->sh[g] == NONE32) {
		ret = grow_array((void **)&pk->shared, &pk->cap_shared,
				 pk->n_shared + 1, sizeof(*pk->shared));
		if (ret)
			return ret;
		pk->shared[pk->n_shared].offset =
			(l->line << LINE_SHIFT) + g * TORN_GRANULE_SIZE;
		pl->sh[g] = pk->n_shared++;
	}
	ret = grow_array((void **)&pk->srefs, &pk->cap_srefs, pk->n_srefs + 1,
			 sizeof(*pk->srefs));
	if (ret)
		return ret;
	r = &pk->srefs[pk->n_srefs++];
	r->h = zero_hash;
	torn_hash_granule_change(&r->h, l->line * GRANULES + g,
				 l->persisted + g * TORN_GRANULE_SIZE,
				 pk->W[e].snap + goff);
	r->shared = pl->sh[g];
	r->elem = e;
	r->pos = pk->chains[pk->W[e].chain].len;
	r->goff = goff;
	return 0;
}

/* Get chain *cp and unit *up, new ones where NONE32. */
static int chain_unit(struct torn_states *s, struct point *pk, uint32_t *cp,
		      uint32_t *up)
{
	int ret = 0;

	if (*cp == NONE32)
		ret = new_chain(pk, cp);
	if (!ret && *up == NONE32)
		ret = new_unit(s, pk, up);
	return ret;
}

static int elems_line(struct torn_states *s, struct point *pk,
		      uint32_t *cached_chain)
{
	bool eadr = s->model == TORN_MODEL_EADR;
	uint32_t fi;
	int ret;

	for (fi = s->ghead; fi != NONE32; fi = s->frags[fi].gnext) {
		const struct frag *f = &s->frags[fi];
		const struct line_state *l = &s->lines[f->line];
		struct pt_line *pl = &s->ptl[l->pt_idx];
		struct torn_hash128 contrib = f->hl;
		uint32_t *cp = eadr && pl->cached ? cached_chain : &pl->chain;
		uint32_t *up = &pl->unit;
		uint8_t shared = pl->cached & pl->ntg, mask = pl->cached, touch;
		unsigned int g;

		if (pl->split && f->nt) {
			cp = &pl->ntchain;
			up = &pl->ntunit;
			mask = pl->ntg;
		}
		mask &= (uint8_t)~shared;
		ret = chain_unit(s, pk, cp, up);
		if (ret)
			return ret;
		if (pl->split) {
			contrib = zero_hash;
			for (g = 0; g < GRANULES; g++)
				if (mask & (1u << g))
					torn_hash_granule_change(
						&contrib,
						l->line * GRANULES + g,
						l->persisted +
							g * TORN_GRANULE_SIZE,
						f->snap +
							g * TORN_GRANULE_SIZE);
		} else {
			torn_hash_sub(&contrib, &l->hl_pers);
		}
		ret = emit(s, pk, *cp, *up, f->snap, l->line << LINE_SHIFT,
			   TORN_LINE_SIZE, &contrib, f->seq);
		if (ret || !pl->split)
			continue;
		pk->W[pk->n_W - 1].masked = true;
		pk->W[pk->n_W - 1].mask = mask;
		touch = granule_bits(f->off, f->len) & shared;
		for (g = 0; g < GRANULES && !ret; g++)
			if (touch & (1u << g))
				ret = share(s, pk, pl, f, g,
					    g * TORN_GRANULE_SIZE);
		if (ret)
			return ret;
	}
	return 0;
}

static int elems_granule(struct torn_states *s, struct point *pk,
			 uint32_t *cached_chain)
{
	bool eadr = s->model == TORN_MODEL_EADR;
	uint32_t fi;
	int ret;

	for (fi = s->ghead; fi != NONE32; fi = s->frags[fi].gnext) {
		const struct frag *f = &s->frags[fi];
		const struct line_state *l = &s->lines[f->line];
		struct pt_line *pl = &s->ptl[l->pt_idx];
		unsigned int g = f->off / TORN_GRANULE_SIZE;
		unsigned int g1 = (f->off + f->len - 1) / TORN_GRANULE_SIZE;

		for (; g <= g1; g++) {
			unsigned int b = g * TORN_GRANULE_SIZE;
			struct torn_hash128 contrib = zero_hash;
			uint32_t *cp = &pl->gchain[g];
			bool shared =
				pl->split && (pl->cached & pl->ntg & (1u << g));

			if (eadr && !f->nt)
				cp = cached_chain;
			ret = chain_unit(s, pk, cp, &pl->gunit[g]);
			if (ret)
				return ret;
			if (!shared)
				torn_hash_granule_change(
					&contrib, l->line * GRANULES + g,
					l->persisted + b, f->snap + b);
			ret = emit(s, pk, *cp, pl->gunit[g], f->snap + b,
				   (l->line << LINE_SHIFT) + b,
				   TORN_GRANULE_SIZE, &contrib, f->seq);
			if (!ret && shared) {
				pk->W[pk->n_W - 1].masked = true;
				ret = share(s, pk, pl, f, g, 0);
			}
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * Lay each chain's elements out contiguously in ce, in program order,
 * and its hash change for each prefix 0..len in chash.
 */
static int chain_lists(struct point *pk)
{
	uint32_t c, i, at = 0;
	int ret;

	ret = grow_array((void **)&pk->ce, &pk->cap_ce, pk->n_W + 1,
			 sizeof(*pk->ce));
	if (!ret)
		ret = grow_array((void **)&pk->chash, &pk->cap_chash,
				 (uint64_t)pk->n_W + pk->n_chains + 1,
				 sizeof(*pk->chash));
	if (ret)
		return ret;
	for (c = 0; c < pk->n_chains; c++) {
		pk->chains[c].first = at;
		pk->chains[c].hfirst = at + c;
		pk->chash[at + c] = zero_hash;
		at += pk->chains[c].len;
		pk->chains[c].len = 0;
	}
	for (i = 0; i < pk->n_W; i++) {
		struct pt_chain *ch = &pk->chains[pk->W[i].chain];

		pk->ce[ch->first + ch->len] = i;
		pk->chash[ch->hfirst + ++ch->len] = pk->W[i].cum;
	}
	return 0;
}

/* A new entry, pk->torn[pk->n_torn], kept only by torn_keep. */
static int torn_begin(struct point *pk, uint32_t chain, uint32_t pfx)
{
	struct pt_torn *t;
	int ret = grow_array((void **)&pk->torn, &pk->cap_torn, pk->n_torn + 1,
			     sizeof(*pk->torn));

	if (ret)
		return ret;
	t = &pk->torn[pk->n_torn];
	memset(t, 0, sizeof(*t));
	t->chain = chain;
	t->pfx = pfx;
	t->first = pk->n_tunits;
	return 0;
}

/* A new choice of the entry being built, on line. */
static int tunit_begin(struct point *pk, uint64_t line, struct pt_tunit **tu)
{
	int ret = grow_array((void **)&pk->tunits, &pk->cap_tunits,
			     pk->n_tunits + 1, sizeof(*pk->tunits));

	if (ret)
		return ret;
	*tu = &pk->tunits[pk->n_tunits];
	memset(*tu, 0, sizeof(**tu));
	(*tu)->line = line;
	return 0;
}

/* Granule g of the choice changes from before to after (if it does). */
static void tunit_granule(struct pt_tunit *tu, unsigned int g,
			  const uint8_t *before, const uint8_t *after)
{
	if (!memcmp(before, after, TORN_GRANULE_SIZE))
		return;
	tu->g[tu->k] = (uint8_t)g;
	tu->gdata[tu->k] = after;
	tu->gh[tu->k] = zero_hash;
	torn_hash_granule_change(&tu->gh[tu->k], tu->line * GRANULES + g,
				 before, after);
	torn_hash_add(&tu->h, &tu->gh[tu->k]);
	tu->k++;
}

/* The choice just built joins the entry if it changes anything. */
static void tunit_keep(struct point *pk, struct pt_tunit *tu)
{
	if (tu->k) {
		pk->n_tunits++;
		pk->torn[pk->n_torn].n++;
	}
}

/* Keep the entry being built if it has at least two choices. */
static void torn_keep(struct point *pk, bool pairs)
{
	struct pt_torn *t = &pk->torn[pk->n_torn];

	if (t->n < 2) {
		pk->n_tunits = t->first;
		return;
	}
	t->pairs = pairs;
	t->count = pairs ? 2ull * t->n : (1ull << t->n) - 2;

	if (t->n > pk->torn_max_n)
		pk->torn_max_n = t->n;
	pk->n_torn++;
}

/* One choice per granule that differs between before and after (8 each). */
static int torn_granules(struct point *pk, uint64_t line,
			 const uint8_t *const before[GRANULES],
			 const uint8_t *const after[GRANULES])
{
	struct pt_tunit *tu;
	unsigned int g;
	int ret;

	for (g = 0; g < GRANULES; g++) {
		if (!before[g])
			continue;
		ret = tunit_begin(pk, line, &tu);
		if (ret)
			return ret;
		tunit_granule(tu, g, before[g], after[g]);
		tunit_keep(pk, tu);
	}
	return 0;
}

/* adr: in-flight lines whose full content differs in >= 2 granules. */
static int torn_lines_adr(struct torn_states *s, struct point *pk)
{
	const uint8_t *before[GRANULES], *after[GRANULES];
	uint32_t i;
	int ret;

	for (i = 0; i < s->n_ptl; i++) {
		const struct line_state *l = &s->lines[s->ptl[i].line];
		const uint8_t *full = s->frags[l->tail].snap;
		unsigned int g;

		for (g = 0; g < GRANULES; g++) {
			before[g] = l->persisted + g * TORN_GRANULE_SIZE;
			after[g] = full + g * TORN_GRANULE_SIZE;
		}
		ret = torn_begin(pk, NONE32, 0);
		if (!ret)
			ret = torn_granules(pk, l->line, before, after);
		if (ret)
			return ret;
		torn_keep(pk, false);
	}
	return 0;
}

/* The record element e is a part of. */
static const struct torn_record *elem_rec(const struct torn_states *s,
					  const struct pt_elem *e)
{
	return &s->recs[e->seq / 2];
}

static bool same_string_op(const struct torn_states *s, const struct pt_elem *a,
			   const struct pt_elem *b)
{
	const struct torn_record *ra = elem_rec(s, a), *rb = elem_rec(s, b);

	return (ra->flags & TORN_REC_F_STRING) &&
	       (rb->flags & TORN_REC_F_STRING) && ra->pc == rb->pc;
}

/*
 * A run of chain c from element *i: the elements on one line that belong
 * together (one store's part, or, with string, one string op's stretch
 * on that line).  before[g] / after[g]: granule g's content before and after
 * it, NULL where the run does not touch g.  cur[unit] follows.
 */
static void chain_run(const struct torn_states *s, const struct point *pk,
		      uint32_t c, uint32_t *i, bool string, const uint8_t **cur,
		      const uint8_t *before[GRANULES],
		      const uint8_t *after[GRANULES])
{
	const struct pt_chain *ch = &pk->chains[c];
	const struct pt_elem *e = &pk->W[pk->ce[ch->first + *i]];
	uint64_t line = e->offset >> LINE_SHIFT;
	unsigned int g;

	memset(before, 0, GRANULES * sizeof(*before));
	memset(after, 0, GRANULES * sizeof(*after));
	for (; *i < ch->len; ++*i) {
		const struct pt_elem *w = &pk->W[pk->ce[ch->first + *i]];
		unsigned int g0 = (unsigned int)(w->offset % TORN_LINE_SIZE) /
				  TORN_GRANULE_SIZE;

		if (w->offset >> LINE_SHIFT != line ||
		    (string ? !same_string_op(s, e, w) : w->seq != e->seq))
			break;
		for (g = 0; g < w->len / TORN_GRANULE_SIZE; g++) {
			if (w->masked && !(w->mask & (1u << (g0 + g))))
				continue;
			if (!before[g0 + g])
				before[g0 + g] =
					cur[w->unit] + g * TORN_GRANULE_SIZE;
			after[g0 + g] = w->snap + g * TORN_GRANULE_SIZE;
		}
		cur[w->unit] = w->snap;
	}
}

/* A string op on one line: its granules are the choices, not the line. */
static int string_one_line(struct point *pk)
{
	struct pt_torn *t = &pk->torn[pk->n_torn];
	struct pt_tunit one, *tu;
	unsigned int b;
	int ret;

	if (t->n != 1)
		return 0;
	one = pk->tunits[t->first];
	pk->n_tunits = t->first;
	t->n = 0;
	for (b = 0; b < one.k; b++) {
		ret = tunit_begin(pk, one.line, &tu);
		if (ret)
			return ret;
		tu->g[0] = one.g[b];
		tu->gdata[0] = one.gdata[b];
		tu->gh[0] = tu->h = one.gh[b];
		tu->k = 1;
		tunit_keep(pk, tu);
	}
	return 0;
}

/*
 * eadr: under TSO a crash state is a prefix of each chain, torn only
 * inside the instruction at its cut (model.h).  Each store's part within
 * one line that changes >= 2 granules: one choice per granule; each
 * string instruction touching >= 2 lines: one choice per run of it on a
 * line.  Both on top of the state where the chain's earlier writes
 * persisted.  Elements of one part are consecutive in the chain (one
 * per granule at torn granularity), and so are a string op's.
 */
static int torn_writes_eadr(struct torn_states *s, struct point *pk)
{
	const uint8_t **cur, *before[GRANULES], *after[GRANULES];
	uint32_t c, i;
	int ret;

	ret = grow_array((void **)&s->unit_data, &s->cap_unit_data,
			 pk->n_units + 1, sizeof(*s->unit_data));
	if (ret)
		return ret;
	cur = s->unit_data;
	memset(cur, 0, pk->n_units * sizeof(*cur));
	for (i = 0; i < pk->n_W; i++) {
		const struct pt_elem *e = &pk->W[i];

		if (!cur[e->unit])
			cur[e->unit] = model_line(s, e->offset >> LINE_SHIFT)
					       ->persisted +
				       (e->offset & (TORN_LINE_SIZE - 1));
	}
	for (c = 0; c < pk->n_chains && !ret; c++) {
		const struct pt_chain *ch = &pk->chains[c];

		for (i = 0; i < ch->len && !ret;) {
			const struct pt_elem *e = &pk->W[pk->ce[ch->first + i]];
			bool string = elem_rec(s, e)->flags & TORN_REC_F_STRING,
			     many;
			struct pt_tunit *tu;
			unsigned int g;

			ret = torn_begin(pk, c, i);
			if (ret)
				break;
			if (!string) {
				chain_run(s, pk, c, &i, false, cur, before,
					  after);
				ret = torn_granules(pk, e->offset >> LINE_SHIFT,
						    before, after);
				torn_keep(pk, false);
				continue;
			}
			while (!ret && i < ch->len &&
			       same_string_op(s, e,
					      &pk->W[pk->ce[ch->first + i]])) {
				const struct pt_elem *w =
					&pk->W[pk->ce[ch->first + i]];

				chain_run(s, pk, c, &i, true, cur, before,
					  after);
				ret = tunit_begin(pk, w->offset >> LINE_SHIFT,
						  &tu);
				if (ret)
					break;
				for (g = 0; g < GRANULES; g++)
					if (before[g])
						tunit_granule(tu, g, before[g],
							      after[g]);
				tunit_keep(pk, tu);
			}
			many = pk->torn[pk->n_torn].n > TORN_STRING_SUBSETS;
			if (!ret)
				ret = string_one_line(pk);
			torn_keep(pk, many);
		}
	}
	return ret;
}

/* The lines persisted since the previous point, with their content. */
static int changed_lines(struct torn_states *s, struct point *pk)
{
	uint32_t j;
	int ret;

	ret = grow_array((void **)&pk->changed, &pk->cap_changed,
			 s->n_changed + 1, sizeof(*pk->changed));
	if (ret)
		return ret;
	for (j = 0; j < s->n_changed; j++) {
		const struct line_state *l = &s->lines[s->changed[j]];

		pk->changed[j].line = l->line;
		pk->changed[j].data = l->persisted;
	}
	pk->n_changed = s->n_changed;
	s->n_changed = 0;
	s->changed_stamp++;
	return 0;
}

/*
 * Copy what pk points at in the model (snapshots, full line contents,
 * persisted lines) into pk's arena, so that replay may go on.
 */
static int point_freeze(struct point *pk)
{
	size_t need = (size_t)pk->n_changed * TORN_LINE_SIZE;
	uint8_t *at;
	uint32_t i;

	for (i = 0; i < pk->n_W; i++)
		need += pk->W[i].len;
	for (i = 0; i < pk->n_tunits; i++)
		need += (size_t)pk->tunits[i].k * TORN_GRANULE_SIZE;
	if (need > pk->cap_arena) {
		uint8_t *a = realloc(pk->arena, need);

		if (!a)
			return -ENOMEM;
		pk->arena = a;
		pk->cap_arena = need;
	}
	at = pk->arena;
	for (i = 0; i < pk->n_W; i++) {
		memcpy(at, pk->W[i].snap, pk->W[i].len);
		pk->W[i].snap = at;
		at += pk->W[i].len;
	}
	for (i = 0; i < pk->n_tunits; i++) {
		struct pt_tunit *tu = &pk->tunits[i];
		unsigned int b;

		for (b = 0; b < tu->k; b++) {
			memcpy(at, tu->gdata[b], TORN_GRANULE_SIZE);
			tu->gdata[b] = at;
			at += TORN_GRANULE_SIZE;
		}
	}
	for (i = 0; i < pk->n_changed; i++) {
		memcpy(at, pk->changed[i].data, TORN_LINE_SIZE);
		pk->changed[i].data = at;
		at += TORN_LINE_SIZE;
	}
	return 0;
}

/* What every engine counts at pk, and the rest of the public view. */
static void point_describe(struct torn_states *s, struct point *pk)
{
	struct torn_crash_point *p = &pk->pt;
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->seq = s->pos;
	p->ordinal = s->ordinal;
	if (s->pos < s->n_recs) {
		p->kind = s->recs[s->pos].kind;
		p->sub = s->recs[s->pos].sub;
	} else {
		p->kind = TORN_REC_END;
	}
	p->inflight_writes = pk->n_W;
	p->inflight_lines = s->n_ptl;
	p->chains = pk->n_chains;
	for (i = 0; i < s->o.n_engines; i++) {
		bool fallback;

		p->engine_states[i] =
			engine_count(pk, &s->o.engines[i], &fallback);
		p->states = sat_add(p->states, p->engine_states[i]);
		if (fallback)
			p->full_fallback |= 1u << i;
	}
	p->persisted_hash = s->h_pers;
	p->n_changed = pk->n_changed;
	p->changed = pk->changed;
	p->unresolved = s->unresolved;
	pk->h_pers = s->h_pers;
	pk->records = s->pos;
	pk->unresolved = s->unresolved;
	pk->lines_touched = s->n_lines;
}

/* Build the crash point before record s->pos into pk. */
int point_build(struct torn_states *s, struct point *pk, struct torn_err *err)
{
	uint32_t cached_chain = NONE32;
	int ret;

	s->pt_stamp++;
	pk->n_W = 0;
	pk->n_chains = 0;
	pk->n_units = 0;
	pk->n_split = 0;
	pk->n_shared = 0;
	pk->n_srefs = 0;
	pk->n_torn = 0;
	pk->n_tunits = 0;
	pk->torn_max_n = 0;
	ret = collect_lines(s, pk);
	if (!ret)
		ret = s->gran == TORN_GRAN_LINE
			      ? elems_line(s, pk, &cached_chain)
			      : elems_granule(s, pk, &cached_chain);
	if (!ret)
		ret = chain_lists(pk);
	if (!ret && s->any_torn)
		ret = s->model == TORN_MODEL_EADR ? torn_writes_eadr(s, pk)
						  : torn_lines_adr(s, pk);
	if (!ret)
		ret = changed_lines(s, pk);
	if (!ret && s->threaded)
		ret = point_freeze(pk);
	if (ret)
		return torn_err_set(
			err, ret,
			"crash point before record %zu: out of memory", s->pos);
	point_describe(s, pk);
	s->ordinal++;
	return 0;
}
