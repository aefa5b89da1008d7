/* A crash point: the in-flight writes grouped into chains (model.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "states_int.h"

static const struct torn_hash128 zero_hash;

static int new_chain(struct torn_states *s, uint32_t *c)
{
	int ret = grow_array((void **)&s->chains, &s->cap_chains,
			     s->n_chains + 1, sizeof(*s->chains));

	if (ret)
		return ret;
	memset(&s->chains[s->n_chains], 0, sizeof(s->chains[0]));
	s->chains[s->n_chains].unit0 = NONE32;
	*c = s->n_chains++;
	return 0;
}

static int new_unit(struct torn_states *s, uint32_t *u)
{
	int ret = grow_array((void **)&s->unit_cur, &s->cap_units,
			     s->n_units + 1, sizeof(*s->unit_cur));

	if (ret)
		return ret;
	s->unit_cur[s->n_units] = zero_hash;
	*u = s->n_units++;
	return 0;
}

/* Append one element; contrib is its unit's hash change vs persisted. */
static int emit(struct torn_states *s, uint32_t c, uint32_t u,
		const uint8_t *snap, uint64_t offset, uint32_t len,
		const struct torn_hash128 *contrib)
{
	struct pt_chain *ch = &s->chains[c];
	struct pt_elem *e;
	int ret;

	ret = grow_array((void **)&s->W, &s->cap_W, s->n_W + 1,
			 sizeof(*s->W));
	if (ret)
		return ret;
	e = &s->W[s->n_W++];
	e->snap = snap;
	e->offset = offset;
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
			unsigned int g1 = (f->off + f->len - 1) /
					  TORN_GRANULE_SIZE;

			pl->cached |= (uint8_t)(((2u << g1) - 1) &
						~((1u << g0) - 1));
		}
	}
	return 0;
}

static int elems_line(struct torn_states *s, uint32_t *cached_chain)
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
			ret = new_chain(s, cp);
			if (ret)
				return ret;
		}
		if (pl->unit == NONE32) {
			ret = new_unit(s, &pl->unit);
			if (ret)
				return ret;
		}
		torn_hash_sub(&contrib, &l->hl_pers);
		ret = emit(s, *cp, pl->unit, f->snap, l->line << LINE_SHIFT,
			   TORN_LINE_SIZE, &contrib);
		if (ret)
			return ret;
	}
	return 0;
}

static int elems_granule(struct torn_states *s, uint32_t *cached_chain)
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
				ret = new_chain(s, cp);
				if (ret)
					return ret;
			}
			if (pl->gunit[g] == NONE32) {
				ret = new_unit(s, &pl->gunit[g]);
				if (ret)
					return ret;
			}
			torn_hash_granule_change(&contrib,
						 l->line * GRANULES + g,
						 l->persisted + b, f->snap + b);
			ret = emit(s, *cp, pl->gunit[g], f->snap + b,
				   (l->line << LINE_SHIFT) + b,
				   TORN_GRANULE_SIZE, &contrib);
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
static int chain_lists(struct torn_states *s)
{
	uint32_t c, i, at = 0;
	int ret;

	ret = grow_array((void **)&s->ce, &s->cap_ce, s->n_W + 1,
			 sizeof(*s->ce));
	if (!ret)
		ret = grow_array((void **)&s->chash, &s->cap_chash,
				 (uint64_t)s->n_W + s->n_chains + 1,
				 sizeof(*s->chash));
	if (ret)
		return ret;
	for (c = 0; c < s->n_chains; c++) {
		s->chains[c].first = at;
		s->chains[c].hfirst = at + c;
		s->chash[at + c] = zero_hash;
		at += s->chains[c].len;
		s->chains[c].len = 0;
	}
	for (i = 0; i < s->n_W; i++) {
		struct pt_chain *ch = &s->chains[s->W[i].chain];

		s->ce[ch->first + ch->len] = i;
		s->chash[ch->hfirst + ++ch->len] = s->W[i].cum;
	}
	return 0;
}

/* Per-state scratch sized for this point. */
static int state_scratch(struct torn_states *s)
{
	uint32_t cap, need = s->n_chains + 1;
	int ret;

	if (need > s->cap_p) {
		cap = s->cap_p;
		ret = grow_array((void **)&s->p, &cap, need, sizeof(*s->p));
		if (!ret) {
			cap = s->cap_p;
			ret = grow_array((void **)&s->nz, &cap, need,
					 sizeof(*s->nz));
		}
		if (!ret) {
			cap = s->cap_p;
			ret = grow_array((void **)&s->nzpos, &cap, need,
					 sizeof(*s->nzpos));
		}
		if (!ret) {
			cap = s->cap_p;
			ret = grow_array((void **)&s->comb, &cap, need,
					 sizeof(*s->comb));
		}
		if (ret)
			return ret;
		s->cap_p = cap;
	}
	memset(s->p, 0, need * sizeof(*s->p));
	s->n_nz = 0;
	s->nz_stale = false;
	ret = grow_array((void **)&s->delta, &s->cap_delta,
			 s->n_units > GRANULES ? s->n_units : GRANULES,
			 sizeof(*s->delta));
	return ret;
}

static int unit_stamps(struct torn_states *s)
{
	uint32_t cap;

	if (s->n_units <= s->cap_unit_stamp)
		return 0;
	cap = s->cap_unit_stamp;
	if (grow_array((void **)&s->unit_stamp, &cap, s->n_units,
		       sizeof(*s->unit_stamp)))
		return -ENOMEM;
	/* Zero is below every dstamp (they start at 1). */
	memset(s->unit_stamp + s->cap_unit_stamp, 0,
	       (cap - s->cap_unit_stamp) * sizeof(*s->unit_stamp));
	s->cap_unit_stamp = cap;
	return 0;
}

int point_build(struct torn_states *s, struct torn_err *err)
{
	uint32_t cached_chain = NONE32;
	int ret;

	s->pt_stamp++;
	s->n_W = 0;
	s->n_chains = 0;
	s->n_units = 0;
	s->torn_ready = false;
	ret = collect_lines(s);
	if (!ret)
		ret = s->gran == TORN_GRAN_LINE ?
			      elems_line(s, &cached_chain) :
			      elems_granule(s, &cached_chain);
	if (!ret)
		ret = chain_lists(s);
	if (!ret)
		ret = state_scratch(s);
	if (!ret)
		ret = unit_stamps(s);
	if (ret)
		return torn_err_set(err, ret,
				    "crash point before record %zu: out of memory",
				    s->pos);
	return 0;
}

/* The torn engine's lines: in-flight lines differing in >= 2 granules. */
int point_torn_prepare(struct torn_states *s)
{
	uint32_t i;
	int ret;

	if (s->torn_ready)
		return 0;
	s->n_torn = 0;
	for (i = 0; i < s->n_ptl; i++) {
		const struct line_state *l = &s->lines[s->ptl[i].line];
		const uint8_t *full = s->frags[l->tail].snap;
		struct pt_torn *t;
		unsigned int g, k = 0;
		uint8_t gs[GRANULES];

		for (g = 0; g < GRANULES; g++)
			if (memcmp(full + g * TORN_GRANULE_SIZE,
				   l->persisted + g * TORN_GRANULE_SIZE,
				   TORN_GRANULE_SIZE))
				gs[k++] = (uint8_t)g;
		if (k < 2)
			continue;
		ret = grow_array((void **)&s->torn, &s->cap_torn,
				 s->n_torn + 1, sizeof(*s->torn));
		if (ret)
			return ret;
		t = &s->torn[s->n_torn++];
		t->line = l->line;
		t->full = full;
		t->k = (uint8_t)k;
		t->count = (1ull << k) - 2;
		for (g = 0; g < k; g++) {
			unsigned int b = gs[g] * TORN_GRANULE_SIZE;

			t->g[g] = gs[g];
			t->gh[g] = zero_hash;
			torn_hash_granule_change(&t->gh[g],
						 l->line * GRANULES + gs[g],
						 l->persisted + b, full + b);
		}
	}
	s->torn_ready = true;
	return 0;
}
