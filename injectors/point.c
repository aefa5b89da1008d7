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
	free(pk->ce);
	free(pk->chash);
	free(pk->torn);
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

/* Number the in-flight lines in first-write order; eadr: cached bits. */
static int collect_lines(struct torn_states *s)
{
	uint32_t fi;
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
			pl->cached = 0;
		}
		pl = &s->ptl[l->pt_idx];
		if (!f->nt) {
			unsigned int g0 = f->off / TORN_GRANULE_SIZE;
			unsigned int g1 =
				(f->off + f->len - 1) / TORN_GRANULE_SIZE;

			pl->cached |=
				(uint8_t)(((2u << g1) - 1) & ~((1u << g0) - 1));
		}
	}
	return 0;
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

		if (*cp == NONE32) {
			ret = new_chain(pk, cp);
			if (ret)
				return ret;
		}
		if (pl->unit == NONE32) {
			ret = new_unit(s, pk, &pl->unit);
			if (ret)
				return ret;
		}
		torn_hash_sub(&contrib, &l->hl_pers);
		ret = emit(s, pk, *cp, pl->unit, f->snap, l->line << LINE_SHIFT,
			   TORN_LINE_SIZE, &contrib, f->seq);
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

			if (eadr && (pl->cached & (1u << g)))
				cp = cached_chain;
			if (*cp == NONE32) {
				ret = new_chain(pk, cp);
				if (ret)
					return ret;
			}
			if (pl->gunit[g] == NONE32) {
				ret = new_unit(s, pk, &pl->gunit[g]);
				if (ret)
					return ret;
			}
			torn_hash_granule_change(&contrib,
						 l->line * GRANULES + g,
						 l->persisted + b, f->snap + b);
			ret = emit(s, pk, *cp, pl->gunit[g], f->snap + b,
				   (l->line << LINE_SHIFT) + b,
				   TORN_GRANULE_SIZE, &contrib, f->seq);
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

static int new_torn(struct point *pk, struct pt_torn **t)
{
	int ret = grow_array((void **)&pk->torn, &pk->cap_torn, pk->n_torn + 1,
			     sizeof(*pk->torn));

	if (ret)
		return ret;
	*t = &pk->torn[pk->n_torn];
	memset(*t, 0, sizeof(**t));
	(*t)->chain = NONE32;
	return 0;
}

/* Granule g of line changes from old to new in t (if it does). */
static void torn_granule(struct pt_torn *t, unsigned int g, const uint8_t *old,
			 const uint8_t *new)
{
	if (!memcmp(old, new, TORN_GRANULE_SIZE))
		return;
	t->g[t->k] = (uint8_t)g;
	t->gdata[t->k] = new;
	t->gh[t->k] = zero_hash;
	torn_hash_granule_change(&t->gh[t->k], t->line * GRANULES + g, old,
				 new);
	t->k++;
}

/* Keep t, the last entry, if it has at least two granules to split. */
static void torn_keep(struct point *pk, struct pt_torn *t)
{
	if (t->k < 2)
		return;
	t->count = (1ull << t->k) - 2;
	pk->n_torn++;
}

/* adr: in-flight lines whose full content differs in >= 2 granules. */
static int torn_lines_adr(struct torn_states *s, struct point *pk)
{
	uint32_t i;
	int ret;

	for (i = 0; i < s->n_ptl; i++) {
		const struct line_state *l = &s->lines[s->ptl[i].line];
		const uint8_t *full = s->frags[l->tail].snap;
		struct pt_torn *t;
		unsigned int g;

		ret = new_torn(pk, &t);
		if (ret)
			return ret;
		t->line = l->line;
		for (g = 0; g < GRANULES; g++)
			torn_granule(t, g, l->persisted + g * TORN_GRANULE_SIZE,
				     full + g * TORN_GRANULE_SIZE);
		torn_keep(pk, t);
	}
	return 0;
}

/*
 * eadr: every store's part within one line that changes >= 2 granules,
 * torn on top of the state where its chain's earlier writes persisted:
 * under TSO a crash state is a prefix of each chain, torn only inside
 * the write at its cut (model.h).  Writes of one part are consecutive
 * elements of its chain (one per granule at torn granularity).
 */
static int torn_writes_eadr(struct torn_states *s, struct point *pk)
{
	const uint8_t **cur;
	uint32_t c, i;
	int ret;

	cur = calloc(pk->n_units ? pk->n_units : 1, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	for (i = 0; i < pk->n_W; i++) {
		const struct pt_elem *e = &pk->W[i];

		if (!cur[e->unit])
			cur[e->unit] = model_line(s, e->offset >> LINE_SHIFT)
					       ->persisted +
				       (e->offset & (TORN_LINE_SIZE - 1));
	}
	for (c = 0; c < pk->n_chains; c++) {
		const struct pt_chain *ch = &pk->chains[c];

		for (i = 0; i < ch->len;) {
			const struct pt_elem *e = &pk->W[pk->ce[ch->first + i]];
			uint64_t line = e->offset >> LINE_SHIFT;
			uint32_t j = i;
			struct pt_torn *t;

			ret = new_torn(pk, &t);
			if (ret)
				goto out;
			t->line = line;
			t->chain = c;
			t->pfx = i;
			for (; j < ch->len; j++) {
				const struct pt_elem *w =
					&pk->W[pk->ce[ch->first + j]];
				unsigned int
					g0 = (unsigned int)(w->offset %
							    TORN_LINE_SIZE) /
					     TORN_GRANULE_SIZE,
					g;

				if (w->seq != e->seq ||
				    w->offset >> LINE_SHIFT != line)
					break;
				for (g = 0; g < w->len / TORN_GRANULE_SIZE; g++)
					torn_granule(
						t, g0 + g,
						cur[w->unit] +
							g * TORN_GRANULE_SIZE,
						w->snap +
							g * TORN_GRANULE_SIZE);
				cur[w->unit] = w->snap;
			}
			torn_keep(pk, t);
			i = j;
		}
	}
	ret = 0;
out:
	free(cur);
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
	for (i = 0; i < pk->n_torn; i++)
		need += (size_t)pk->torn[i].k * TORN_GRANULE_SIZE;
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
	for (i = 0; i < pk->n_torn; i++) {
		struct pt_torn *t = &pk->torn[i];
		unsigned int b;

		for (b = 0; b < t->k; b++) {
			memcpy(at, t->gdata[b], TORN_GRANULE_SIZE);
			t->gdata[b] = at;
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
	pk->n_torn = 0;
	ret = collect_lines(s);
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
