/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engines: which combinations of chain prefixes persist at a point. */
#include <string.h>

#include "states_int.h"

/*
 * Size the per-state scratch for s->cur (a new point): prefixes and the
 * list of non-zero chains, combinations, unit stamps, the delta.
 */
int engine_scratch(struct torn_states *s)
{
	const struct point *pk = s->cur;
	uint32_t cap, need = pk->n_chains + 1;
	int ret = 0;

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
			 (uint64_t)pk->n_units +
				 (uint64_t)GRANULES * pk->n_split +
				 pk->n_shared +
				 (uint64_t)GRANULES * (pk->torn_max_n + 1),
			 sizeof(*s->delta));
	if (!ret)
		ret = grow_array((void **)&s->torn_lines, &s->cap_torn_lines,
				 pk->torn_max_n, TORN_LINE_SIZE);
	if (!ret)
		ret = grow_array((void **)&s->sh_best, &s->cap_sh_best,
				 pk->n_shared + 1, sizeof(*s->sh_best));
	if (ret)
		return ret;
	if (pk->n_units > s->cap_unit_stamp) {
		cap = s->cap_unit_stamp;
		ret = grow_array((void **)&s->unit_stamp, &cap, pk->n_units,
				 sizeof(*s->unit_stamp));
		if (ret)
			return ret;
		/* Zero is below every dstamp (they start at 1). */
		memset(s->unit_stamp + s->cap_unit_stamp, 0,
		       (cap - s->cap_unit_stamp) * sizeof(*s->unit_stamp));
		s->cap_unit_stamp = cap;
	}
	return 0;
}

static inline const struct torn_hash128 *chain_hash(const struct torn_states *s,
						    uint32_t c, uint32_t p)
{
	return &s->cur->chash[s->cur->chains[c].hfirst + p];
}

/* Chain c keeps its first np writes; the state hash follows. */
static inline void set_prefix(struct torn_states *s, uint32_t c, uint32_t np)
{
	uint32_t old = s->p[c];

	if (old == np)
		return;
	torn_hash_add(&s->h_cur, chain_hash(s, c, np));
	torn_hash_sub(&s->h_cur, chain_hash(s, c, old));
	if (!old) {
		s->nzpos[c] = s->n_nz;
		s->nz[s->n_nz++] = c;
	} else if (!np) {
		uint32_t j = s->nzpos[c], last = s->nz[--s->n_nz];

		s->nz[j] = last;
		s->nzpos[last] = j;
	}
	s->p[c] = np;
}

static void reset_prefixes(struct torn_states *s)
{
	uint32_t i;

	if (s->nz_stale) {
		memset(s->p, 0, s->cur->n_chains * sizeof(*s->p));
		s->nz_stale = false;
	} else {
		for (i = 0; i < s->n_nz; i++)
			s->p[s->nz[i]] = 0;
	}
	s->n_nz = 0;
	s->h_cur = s->cur->h_pers;
}

/*
 * After p[] was written directly: the list of non-zero chains again.
 * Locals and no branch: the build has -fno-strict-aliasing, and random
 * prefixes are zero half the time.
 */
static void rebuild_nz(struct torn_states *s)
{
	uint32_t c, n = 0, m = s->cur->n_chains;
	const uint32_t *p = s->p;
	uint32_t *nz = s->nz, *nzpos = s->nzpos;

	for (c = 0; c < m; c++) {
		nz[n] = c;
		nzpos[c] = n;
		n += p[c] != 0;
	}
	s->n_nz = n;
	s->nz_stale = false;
}

/* C(n, k), saturating at UINT64_MAX. */
static uint64_t binom(uint64_t n, uint64_t k)
{
	unsigned __int128 r = 1;
	uint64_t i;

	if (k > n)
		return 0;
	if (k > n - k)
		k = n - k;
	for (i = 1; i <= k; i++) {
		r = r * (n - k + i) / i;
		if (r > UINT64_MAX)
			return UINT64_MAX;
	}
	return (uint64_t)r;
}

uint64_t engine_count(const struct point *pk, const struct torn_engine *e,
		      bool *fallback)
{
	uint64_t n = 0, k;
	uint32_t c;

	*fallback = false;
	switch (e->kind) {
	case TORN_ENGINE_PREFIX:
		return (uint64_t)pk->n_W + 1;
	case TORN_ENGINE_SUBSETS:
		for (k = 0; k <= e->n && k <= pk->n_chains; k++)
			n = sat_add(n, binom(pk->n_chains, k));
		return n;
	case TORN_ENGINE_FULL:
		n = 1;
		for (c = 0; c < pk->n_chains && n <= e->n; c++)
			n = sat_mul(n, (uint64_t)pk->chains[c].len + 1);
		if (n <= e->n)
			return n;
		*fallback = true;
		return e->n;
	case TORN_ENGINE_RANDOM:
		return e->n;
	case TORN_ENGINE_TORN:
		for (c = 0; c < pk->n_torn; c++)
			n = sat_add(n, pk->torn[c].count);
		return n;
	}
	return 0;
}

/*
 * A counter-based generator: the draws of state idx depend on nothing
 * but (seed, point, idx, chain), so any state can be rebuilt alone.  One
 * 64-bit draw serves two chains, 32 bits each, scaled to 0..len.  p[] is
 * written directly and the hash summed afresh: no branch per chain.
 */
static void random_set(struct torn_states *s, uint64_t seed, uint64_t idx)
{
	uint64_t x = torn_mix64a(seed ^ 0x6a09e667f3bcc909ULL), v = 0;
	struct torn_hash128 h = s->cur->h_pers;
	uint32_t c;

	x = torn_mix64b(x ^ s->cur->pt.seq);
	x = torn_mix64a(x + idx * 0x9e3779b97f4a7c15ULL);
	for (c = 0; c < s->cur->n_chains; c++) {
		const struct pt_chain *ch = &s->cur->chains[c];
		uint64_t r;
		uint32_t p;

		if (!(c & 1)) {
			v = torn_mix64b(x +
					(c / 2 + 1ull) * 0xbf58476d1ce4e5b9ULL);
			r = v >> 32;
		} else {
			r = v & 0xffffffffULL;
		}
		p = (uint32_t)((r * ((uint64_t)ch->len + 1)) >> 32);
		s->p[c] = p;
		torn_hash_add(&h, &s->cur->chash[ch->hfirst + p]);
	}
	s->h_cur = h;
	s->n_nz = 0;
	s->nz_stale = true;
}

static void set_comb(struct torn_states *s, uint32_t full)
{
	uint32_t i;

	for (i = 0; i < s->run.comb_size; i++)
		set_prefix(s, s->comb[i],
			   full ? s->cur->chains[s->comb[i]].len : 0);
}

/* The next combination: same size lexicographically, else one larger. */
static void subsets_next(struct torn_states *s)
{
	uint32_t m = s->cur->n_chains, k = s->run.comb_size, i;
	int64_t j;

	set_comb(s, 0);
	j = (int64_t)k - 1;
	while (j >= 0 && s->comb[j] == m - k + (uint32_t)j)
		j--;
	if (j < 0) {
		k++;
		for (i = 0; i < k; i++)
			s->comb[i] = i;
	} else {
		s->comb[j]++;
		for (i = (uint32_t)j + 1; i < k; i++)
			s->comb[i] = s->comb[i - 1] + 1;
	}
	s->run.comb_size = k;
	set_comb(s, 1);
}

static void subsets_goto(struct torn_states *s, uint64_t idx)
{
	uint32_t m = s->cur->n_chains, k, j, x = 0;

	for (k = 0; k <= m; k++) {
		uint64_t n = binom(m, k);

		if (idx < n)
			break;
		idx -= n;
	}
	for (j = 0; j < k; j++, x++) {
		for (;; x++) {
			uint64_t n = binom(m - x - 1, k - j - 1);

			if (idx < n)
				break;
			idx -= n;
		}
		s->comb[j] = x;
	}
	s->run.comb_size = k;
	set_comb(s, 1);
}

static void full_next(struct torn_states *s)
{
	uint32_t c;

	for (c = 0; c < s->cur->n_chains; c++) {
		if (s->p[c] < s->cur->chains[c].len) {
			set_prefix(s, c, s->p[c] + 1);
			return;
		}
		set_prefix(s, c, 0);
	}
}

static void full_goto(struct torn_states *s, uint64_t idx)
{
	uint32_t c;

	for (c = 0; c < s->cur->n_chains; c++) {
		uint64_t span = (uint64_t)s->cur->chains[c].len + 1;

		set_prefix(s, c, (uint32_t)(idx % span));
		idx /= span;
	}
}

/* Does state r (1..count) of entry t take choice b? */
static inline bool torn_takes(const struct pt_torn *t, uint64_t r, uint32_t b)
{
	if (!t->pairs)
		return r & (1ull << b);
	return r <= t->n ? b == r - 1 : b != r - 1 - t->n;
}

/* The torn engine's state (torn_j, torn_r): its base, then its choices. */
static void torn_hash(struct torn_states *s)
{
	const struct pt_torn *t = &s->cur->torn[s->run.torn_j];
	uint32_t b;

	reset_prefixes(s);
	if (t->chain != NONE32)
		set_prefix(s, t->chain, t->pfx);
	for (b = 0; b < t->n; b++)
		if (torn_takes(t, s->run.torn_r, b))
			torn_hash_add(&s->h_cur,
				      &s->cur->tunits[t->first + b].h);
}

/*
 * The state's hash: the chains' part plus each shared granule's content,
 * that of the latest write touching it among the kept prefixes (model.h,
 * "Chains"); the winners stay in sh_best for the delta.
 */
static void shared_hash(struct torn_states *s)
{
	const struct point *pk = s->cur;
	uint32_t *best = s->sh_best, i;

	s->h_state = s->h_cur;
	if (!pk->n_shared)
		return;
	for (i = 0; i < pk->n_shared; i++)
		best[i] = NONE32;
	for (i = 0; i < pk->n_srefs; i++) {
		const struct pt_sref *r = &pk->srefs[i];
		const struct pt_elem *e = &pk->W[r->elem];

		if (s->p[e->chain] >= r->pos &&
		    (best[r->shared] == NONE32 ||
		     pk->W[pk->srefs[best[r->shared]].elem].seq < e->seq))
			best[r->shared] = i;
	}
	for (i = 0; i < pk->n_shared; i++)
		if (best[i] != NONE32)
			torn_hash_add(&s->h_state, &pk->srefs[best[i]].h);
}

void engine_start(struct torn_states *s, unsigned int ei)
{
	reset_prefixes(s);
	memset(&s->run, 0, sizeof(s->run));
	s->run.started = true;
	s->run.count = s->cur->pt.engine_states[ei];
	s->run.fallback = s->cur->pt.full_fallback & (1u << ei);
}

void engine_step(struct torn_states *s, uint64_t idx)
{
	const struct torn_engine *e = &s->o.engines[s->eng_i];
	uint32_t c;

	switch (e->kind) {
	case TORN_ENGINE_PREFIX:
		if (idx) {
			c = s->cur->W[idx - 1].chain;
			set_prefix(s, c, s->p[c] + 1);
		}
		break;
	case TORN_ENGINE_SUBSETS:
		if (idx)
			subsets_next(s);
		break;
	case TORN_ENGINE_FULL:
		if (s->run.fallback)
			random_set(s, e->seed, idx);
		else if (idx)
			full_next(s);
		break;
	case TORN_ENGINE_RANDOM:
		random_set(s, e->seed, idx);
		break;
	case TORN_ENGINE_TORN:
		if (!idx) {
			s->run.torn_j = 0;
			s->run.torn_r = 1;
		} else if (s->run.torn_r < s->cur->torn[s->run.torn_j].count) {
			s->run.torn_r++;
		} else {
			s->run.torn_j++;
			s->run.torn_r = 1;
		}
		torn_hash(s);
		break;
	}
	shared_hash(s);
}

void engine_goto(struct torn_states *s, uint64_t idx)
{
	const struct torn_engine *e = &s->o.engines[s->eng_i];
	uint64_t j, want = idx;
	uint32_t c;

	reset_prefixes(s);
	s->run.comb_size = 0;
	switch (e->kind) {
	case TORN_ENGINE_PREFIX:
		for (j = 0; j < idx; j++) {
			c = s->cur->W[j].chain;
			set_prefix(s, c, s->p[c] + 1);
		}
		break;
	case TORN_ENGINE_SUBSETS:
		subsets_goto(s, idx);
		break;
	case TORN_ENGINE_FULL:
		if (s->run.fallback)
			random_set(s, e->seed, idx);
		else
			full_goto(s, idx);
		break;
	case TORN_ENGINE_RANDOM:
		random_set(s, e->seed, idx);
		break;
	case TORN_ENGINE_TORN:
		for (j = 0; j < s->cur->n_torn && idx >= s->cur->torn[j].count;
		     j++)
			idx -= s->cur->torn[j].count;
		s->run.torn_j = (uint32_t)j;
		s->run.torn_r = idx + 1;
		torn_hash(s);
		break;
	}
	s->run.next = want + 1;
	shared_hash(s);
}

static inline void push(struct torn_states *s, uint64_t offset, uint32_t len,
			const uint8_t *data)
{
	struct torn_delta_ent *d = &s->delta[s->n_delta++];

	d->offset = offset;
	d->len = len;
	d->data = data;
}

/* w's entries: its unit, or one per granule of its mask. */
static inline struct torn_delta_ent *put_elem(struct torn_delta_ent *d,
					      const struct pt_elem *w)
{
	unsigned int g;

	if (!w->masked) {
		d->offset = w->offset;
		d->len = w->len;
		d->data = w->snap;
		return d + 1;
	}
	for (g = 0; g < GRANULES; g++) {
		if (!(w->mask & (1u << g)))
			continue;
		d->offset = w->offset + g * TORN_GRANULE_SIZE;
		d->len = TORN_GRANULE_SIZE;
		d->data = w->snap + g * TORN_GRANULE_SIZE;
		d++;
	}
	return d;
}

/* The delta of the state in p[]: each chain's latest write per unit. */
static void delta_from_prefixes(struct torn_states *s)
{
	const struct point *pk = s->cur;
	const struct pt_chain *chains = pk->chains;
	const struct pt_elem *W = pk->W;
	const uint32_t *ce = pk->ce, *p = s->p, *nz = s->nz;
	struct torn_delta_ent *d = s->delta;
	uint64_t *stamp = s->unit_stamp, ds = ++s->dstamp;
	uint32_t i, n = s->n_nz;

	for (i = 0; i < n; i++) {
		const struct pt_chain *ch = &chains[nz[i]];
		uint32_t j = p[nz[i]];
		const struct pt_elem *w;

		if (!ch->multi) {
			d = put_elem(d, &W[ce[ch->first + j - 1]]);
			continue;
		}
		while (j--) {
			w = &W[ce[ch->first + j]];
			if (stamp[w->unit] == ds)
				continue;
			stamp[w->unit] = ds;
			d = put_elem(d, w);
		}
	}
	s->n_delta = (uint32_t)(d - s->delta);
}

/*
 * The torn engine's choices on top of its base state's delta.  Where the
 * base already has a choice's line (eadr, line granularity) its entry
 * points at a copy with the granules laid over; where it has the granule
 * (torn granularity) the entry takes the new content; else each granule
 * is an entry of its own.  Entries stay disjoint.
 */
static void torn_overlay(struct torn_states *s)
{
	const struct pt_torn *t = &s->cur->torn[s->run.torn_j];
	uint32_t i, n = s->n_delta, b, used = 0;
	bool based = t->chain != NONE32;
	unsigned int q;

	for (b = 0; b < t->n; b++) {
		const struct pt_tunit *tu = &s->cur->tunits[t->first + b];
		uint64_t lo = tu->line << LINE_SHIFT;
		uint8_t *copy = NULL;

		if (!torn_takes(t, s->run.torn_r, b))
			continue;
		for (i = 0; i < n && based; i++)
			if (s->delta[i].offset == lo &&
			    s->delta[i].len == TORN_LINE_SIZE)
				break;
		if (based && i < n) {
			copy = s->torn_lines + (size_t)used++ * TORN_LINE_SIZE;
			memcpy(copy, s->delta[i].data, TORN_LINE_SIZE);
			s->delta[i].data = copy;
		}
		for (q = 0; q < tu->k; q++) {
			uint64_t o = lo + tu->g[q] * TORN_GRANULE_SIZE;

			if (copy) {
				memcpy(copy + tu->g[q] * TORN_GRANULE_SIZE,
				       tu->gdata[q], TORN_GRANULE_SIZE);
				continue;
			}
			for (i = 0; i < n && based; i++)
				if (s->delta[i].offset == o)
					break;
			if (based && i < n)
				s->delta[i].data = tu->gdata[q];
			else
				push(s, o, TORN_GRANULE_SIZE, tu->gdata[q]);
		}
	}
}

/* The current state's delta: one entry per unit it changes. */
void engine_delta(struct torn_states *s)
{
	const struct torn_engine *e = &s->o.engines[s->eng_i];
	const struct point *pk = s->cur;
	uint32_t i;

	s->n_delta = 0;
	if (s->nz_stale)
		rebuild_nz(s);
	delta_from_prefixes(s);
	for (i = 0; i < pk->n_shared; i++)
		if (s->sh_best[i] != NONE32) {
			const struct pt_sref *r = &pk->srefs[s->sh_best[i]];

			push(s, pk->shared[i].offset, TORN_GRANULE_SIZE,
			     pk->W[r->elem].snap + r->goff);
		}
	if (e->kind == TORN_ENGINE_TORN)
		torn_overlay(s);
}
