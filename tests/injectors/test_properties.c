/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The enumerator and the stepper on random traces, against a naive model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "states.h"
#include "stepper.h"
#include "trace.h"

#define NPM 512 /* 8 lines: stores collide often */
#define NLINES (NPM / 64)
#define MAXW 4096 /* naive in-flight pieces */
/*
 * Traces per test; TORN_TEST_QUICK (the ThreadSanitizer run, 20x slower)
 * takes a tenth, threads and all.
 */
static uint64_t traces(uint64_t n)
{
	return getenv("TORN_TEST_QUICK") ? n / 10 : n;
}

#define TRACES traces(60) /* per model x granularity */
#define FULL_CAP 64
#define STEPPER_TRACES traces(400) /* per model: stepping is cheap */

/* ---- the naive reference model ----------------------------------------
 *
 * Written straight from model.h, sharing no code with injectors/: a list
 * of in-flight writes (a store's part within one line) in program order,
 * each flush-initiated or not, and a persisted image.  At a crash point
 * it splits writes into units (lines or granules), groups units into
 * chains and builds any state by replaying chosen writes, byte by byte.
 */

struct nwrite {
	size_t rec; /* the store's record index */
	uint32_t off, len; /* bytes of the image */
	const uint8_t *data;
	int nt, fi;
	int string; /* of a string instruction, at pc */
	uint64_t pc;
};

struct naive {
	int eadr, torn;
	uint8_t persisted[NPM];
	struct nwrite w[MAXW];
	int n;
	/* at a crash point */
	struct nwrite piece[MAXW];
	int chain_of[MAXW], idx_in_chain[MAXW];
	int n_pieces, n_chains, chain_len[MAXW];
	uint8_t shared[NPM / 8]; /* granule: 1 cached, 2 nt, 3 shared */
};

static void nv_apply(uint8_t *img, const struct nwrite *w)
{
	memcpy(img + w->off, w->data, w->len);
}

/* Persist the writes selected by keep(), in order, and drop them. */
static void nv_persist(struct naive *nv, int line, int only_fi)
{
	int i, j = 0;

	for (i = 0; i < nv->n; i++) {
		struct nwrite *w = &nv->w[i];
		int hit = (line < 0 || (int)(w->off / 64) == line) &&
			  (!only_fi || w->fi);

		if (hit)
			nv_apply(nv->persisted, w);
		else
			nv->w[j++] = *w;
	}
	nv->n = j;
}

/* Persist line's writes among the first upto + 1, in order. */
static void nv_persist_upto(struct naive *nv, int line, int upto)
{
	int i, j = 0;

	for (i = 0; i < nv->n; i++) {
		struct nwrite *w = &nv->w[i];

		if (i <= upto && (int)(w->off / 64) == line)
			nv_apply(nv->persisted, w);
		else
			nv->w[j++] = *w;
	}
	nv->n = j;
}

static void nv_record(struct naive *nv, const struct torn_record *r, size_t idx)
{
	uint32_t off, left, i;

	switch (r->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		off = (uint32_t)r->offset;
		left = r->size;
		while (left) {
			uint32_t n = 64 - off % 64;
			struct nwrite *w = &nv->w[nv->n++];

			if (n > left)
				n = left;
			assert_true(nv->n < MAXW);
			w->rec = idx;
			w->off = off;
			w->len = n;
			w->data = r->data + (off - r->offset);
			w->nt = r->kind == TORN_REC_NT_STORE;
			w->string = !!(r->flags & TORN_REC_F_STRING);
			w->pc = r->pc;
			w->fi = 0;
			if (w->nt && !nv->eadr)
				for (i = 0; i < (uint32_t)nv->n; i++)
					if (nv->w[i].off / 64 == off / 64)
						nv->w[i].fi = 1;
			off += n;
			left -= n;
		}
		break;
	case TORN_REC_FLUSH:
		if (nv->eadr)
			break;
		if (r->sub == TORN_FLUSH_CLFLUSH) {
			/*
			 * The line's writes up to its last cached one;
			 * later non-temporal ones wait for a fence.
			 */
			int last = -1;

			for (i = 0; i < (uint32_t)nv->n; i++)
				if (nv->w[i].off / 64 == r->offset / 64 &&
				    !nv->w[i].nt)
					last = (int)i;
			nv_persist_upto(nv, (int)(r->offset / 64), last);
			break;
		}
		for (i = 0; i < (uint32_t)nv->n; i++)
			if (nv->w[i].off / 64 == r->offset / 64)
				nv->w[i].fi = 1;
		break;
	case TORN_REC_FENCE:
		nv_persist(nv, -1, !nv->eadr && r->sub != TORN_FENCE_WBINVD);
		break;
	}
}

/* Units and chains of the in-flight writes (model.h, "Chains"). */
static void nv_chains(struct naive *nv)
{
	int unit[MAXW], cached[NLINES] = { 0 }, ntl[NLINES] = { 0 };
	int first_unit[MAXW], apart[MAXW];
	int i, c;

	nv->n_pieces = 0;
	for (i = 0; i < nv->n; i++) {
		const struct nwrite *w = &nv->w[i];
		uint32_t g;

		if (!nv->torn) {
			nv->piece[nv->n_pieces] = *w;
			unit[nv->n_pieces++] = (int)(w->off / 64);
			continue;
		}
		for (g = w->off / 8; g <= (w->off + w->len - 1) / 8; g++) {
			uint32_t lo = w->off > g * 8 ? w->off : g * 8;
			uint32_t hi = w->off + w->len < g * 8 + 8
					      ? w->off + w->len
					      : g * 8 + 8;
			struct nwrite *p = &nv->piece[nv->n_pieces];

			*p = *w;
			p->off = lo;
			p->len = hi - lo;
			p->data = w->data + (lo - w->off);
			unit[nv->n_pieces++] = (int)g;
		}
	}
	/*
	 * A line with cached and non-temporal writes: its non-temporal ones
	 * form chains of their own (at torn granularity under eadr only:
	 * adr's are per granule already); a granule both touch is shared.
	 * eadr: cached writes form one chain.
	 */
	memset(nv->shared, 0, sizeof(nv->shared));
	for (i = 0; i < nv->n_pieces; i++)
		(nv->piece[i].nt ? ntl : cached)[nv->piece[i].off / 64] = 1;
	for (i = 0; i < nv->n_pieces; i++) {
		uint32_t b, line = nv->piece[i].off / 64;

		apart[i] = nv->piece[i].nt && cached[line] &&
			   (!nv->torn || nv->eadr);
		if (!cached[line] || !ntl[line] || (nv->torn && !nv->eadr))
			continue;
		for (b = nv->piece[i].off;
		     b < nv->piece[i].off + nv->piece[i].len; b++)
			nv->shared[b / 8] |= nv->piece[i].nt ? 2 : 1;
	}
	nv->n_chains = 0;
	for (i = 0; i < nv->n_pieces; i++) {
		int key = unit[i];

		if (nv->eadr && !nv->piece[i].nt)
			key = -1;
		else if (apart[i])
			key = NPM + unit[i];
		for (c = 0; c < nv->n_chains; c++)
			if (first_unit[c] == key)
				break;
		if (c == nv->n_chains) {
			first_unit[c] = key;
			nv->chain_len[c] = 0;
			nv->n_chains++;
		}
		nv->chain_of[i] = c;
		nv->idx_in_chain[i] = nv->chain_len[c]++;
	}
}

/*
 * The image where the pieces picked[] persist: each granule takes the
 * latest picked piece touching it, and with it every earlier piece that
 * touches it (writes to one granule persist in program order).
 */
static void nv_image_picked(const struct naive *nv, const int *picked,
			    uint8_t *img)
{
	int latest[NPM / 8], i;
	uint32_t b;

	for (i = 0; i < NPM / 8; i++)
		latest[i] = -1;
	for (i = 0; i < nv->n_pieces; i++)
		for (b = nv->piece[i].off;
		     picked[i] && b < nv->piece[i].off + nv->piece[i].len; b++)
			latest[b / 8] = i;
	memcpy(img, nv->persisted, NPM);
	for (i = 0; i < nv->n_pieces; i++)
		for (b = nv->piece[i].off;
		     b < nv->piece[i].off + nv->piece[i].len; b++)
			if (i <= latest[b / 8])
				img[b] =
					nv->piece[i].data[b - nv->piece[i].off];
}

static void nv_image_p(const struct naive *nv, const uint32_t *p, uint8_t *img)
{
	int picked[MAXW], i;

	for (i = 0; i < nv->n_pieces; i++)
		picked[i] = (uint32_t)nv->idx_in_chain[i] < p[nv->chain_of[i]];
	nv_image_picked(nv, picked, img);
}

static void nv_image_prefix(const struct naive *nv, uint64_t k, uint8_t *img)
{
	int picked[MAXW], i;

	for (i = 0; i < nv->n_pieces; i++)
		picked[i] = (uint64_t)i < k;
	nv_image_picked(nv, picked, img);
}

static uint64_t nv_full_count(const struct naive *nv)
{
	uint64_t n = 1;
	int c;

	for (c = 0; c < nv->n_chains; c++) {
		n *= (uint64_t)nv->chain_len[c] + 1;
		if (n > FULL_CAP)
			return FULL_CAP + 1;
	}
	return n;
}

/* The idx-th set of at most K chains: by size, then lexicographic. */
static void nv_subset(const struct naive *nv, uint64_t K, uint64_t idx,
		      uint32_t *p)
{
	int m = nv->n_chains, comb[64], s, j;
	uint64_t at = 0;

	memset(p, 0, sizeof(*p) * (size_t)(m + 1));
	for (s = 0; s <= m && (uint64_t)s <= K; s++) {
		for (j = 0; j < s; j++)
			comb[j] = j;
		for (;;) {
			if (at++ == idx) {
				for (j = 0; j < s; j++)
					p[comb[j]] = nv->chain_len[comb[j]];
				return;
			}
			for (j = s - 1; j >= 0 && comb[j] == m - s + j; j--)
				;
			if (j < 0)
				break;
			comb[j]++;
			for (j = j + 1; j < s; j++)
				comb[j] = comb[j - 1] + 1;
		}
	}
	fail_msg("subset index %llu out of range", (unsigned long long)idx);
}

static uint64_t nv_subset_count(const struct naive *nv, uint64_t K)
{
	uint64_t n = 0, c = 1;
	int s, m = nv->n_chains;

	for (s = 0; s <= m && (uint64_t)s <= K; s++) {
		n += c; /* c = C(m, s) */
		c = c * (uint64_t)(m - s) / (uint64_t)(s + 1);
	}
	return n;
}

/* The torn engine's idx-th state, or 0 past the end. */
static int nv_torn(const struct naive *nv, uint64_t idx, uint8_t *img,
		   uint64_t *count)
{
	int lines[NLINES], n_lines = 0, i, l, found = 0;
	uint64_t total = 0;

	for (i = 0; i < nv->n; i++) {
		int line = (int)(nv->w[i].off / 64);

		for (l = 0; l < n_lines && lines[l] != line; l++)
			;
		if (l == n_lines)
			lines[n_lines++] = line;
	}
	memcpy(img, nv->persisted, NPM);
	for (l = 0; l < n_lines; l++) {
		uint8_t full[NPM];
		int g, gs[8], k = 0;
		uint64_t n;

		memcpy(full, nv->persisted, NPM);
		for (i = 0; i < nv->n; i++)
			if ((int)(nv->w[i].off / 64) == lines[l])
				nv_apply(full, &nv->w[i]);
		for (g = 0; g < 8; g++)
			if (memcmp(full + lines[l] * 64 + g * 8,
				   nv->persisted + lines[l] * 64 + g * 8, 8))
				gs[k++] = g;
		if (k < 2)
			continue;
		n = (1ull << k) - 2;
		if (!found && idx >= total && idx < total + n) {
			uint64_t r = idx - total + 1;

			for (g = 0; g < k; g++)
				if (r & (1ull << g))
					memcpy(img + lines[l] * 64 + gs[g] * 8,
					       full + lines[l] * 64 + gs[g] * 8,
					       8);
			found = 1;
		}
		total += n;
	}
	*count = total;
	return found;
}

/* The image with chain c's first k pieces persisted, no other chain's. */
static void nv_chain_image(const struct naive *nv, int c, int k, uint8_t *img)
{
	uint32_t p[MAXW] = { 0 };

	p[c] = (uint32_t)k;
	nv_image_p(nv, p, img);
}

/* The piece at position i of chain c. */
static const struct nwrite *nv_at(const struct naive *nv, int c, int i)
{
	int j;

	for (j = 0; j < nv->n_pieces; j++)
		if (nv->chain_of[j] == c && nv->idx_in_chain[j] == i)
			return &nv->piece[j];
	return NULL;
}

struct nchoice {
	int line, k, g[8];
	uint8_t data[8][8];
};

/*
 * One torn entry from position *i of chain c: its choices into ch.  A
 * string op (same pc, string flag): a choice per run on one line (its
 * granules if the op has one run); else a store's part on one line: a
 * choice per changed granule.
 */
static int nv_entry(const struct naive *nv, int c, int *i, struct nchoice *ch,
		    int *pairs)
{
	const struct nwrite *e = nv_at(nv, c, *i);
	int n = 0, g;

	*pairs = 0;
	while (*i < nv->chain_len[c]) {
		const struct nwrite *w = nv_at(nv, c, *i);
		uint8_t before[NPM], after[NPM];
		int line = (int)(w->off / 64), end = *i;

		if (e->string ? !(w->string && w->pc == e->pc)
			      : w != e && (w->rec != e->rec))
			break;
		while (end < nv->chain_len[c]) {
			const struct nwrite *x = nv_at(nv, c, end);

			if ((int)(x->off / 64) != line ||
			    (e->string ? !(x->string && x->pc == e->pc)
				       : x->rec != e->rec))
				break;
			end++;
		}
		nv_chain_image(nv, c, *i, before);
		nv_chain_image(nv, c, end, after);
		*i = end;
		ch[n].line = line;
		ch[n].k = 0;
		for (g = 0; g < 8; g++)
			if (nv->shared[line * 8 + g] != 3 &&
			    memcmp(before + line * 64 + g * 8,
				   after + line * 64 + g * 8, 8)) {
				ch[n].g[ch[n].k] = g;
				memcpy(ch[n].data[ch[n].k++],
				       after + line * 64 + g * 8, 8);
			}
		if (ch[n].k)
			n++;
		if (!e->string)
			break;
	}
	if (n == 1 || !e->string) {
		/* granules are the choices */
		struct nchoice one = ch[0];

		if (!n)
			return 0;
		for (g = 0; g < one.k; g++) {
			ch[g].line = one.line;
			ch[g].k = 1;
			ch[g].g[0] = one.g[g];
			memcpy(ch[g].data[0], one.data[g], 8);
		}
		return one.k;
	}
	*pairs = n > 6;
	return n;
}

/*
 * eadr: the torn engine's idx-th state, or 0 past the end (model.h):
 * chain by chain, each entry on top of the chain's earlier pieces.
 */
static int nv_torn_eadr(const struct naive *nv, uint64_t idx, uint8_t *img,
			uint64_t *count)
{
	static struct nchoice ch[MAXW];
	int c, i, found = 0;
	uint64_t total = 0;

	for (c = 0; c < nv->n_chains; c++) {
		for (i = 0; i < nv->chain_len[c];) {
			int start = i, n, pairs, b, q;
			uint64_t cnt;

			n = nv_entry(nv, c, &i, ch, &pairs);
			if (n < 2)
				continue;
			cnt = pairs ? 2ull * (uint64_t)n : (1ull << n) - 2;

			if (!found && idx >= total && idx < total + cnt) {
				uint64_t r = idx - total + 1;

				nv_chain_image(nv, c, start, img);
				for (b = 0; b < n; b++) {
					int take =
						pairs ? ((int)r <= n
								 ? b == (int)r - 1
								 : b != (int)r - 1 -
										   n)
						      : !!(r & (1ull << b));

					for (q = 0; take && q < ch[b].k; q++)
						memcpy(img + ch[b].line * 64 +
							       ch[b].g[q] * 8,
						       ch[b].data[q], 8);
				}
				found = 1;
			}
			total += cnt;
		}
	}
	*count = total;
	return found;
}

/* Is img some combination of per-chain prefixes over persisted? */
static int nv_legal(const struct naive *nv, const uint8_t *img)
{
	uint8_t try[NPM], mask[NPM];
	int c, i, g, ok;
	uint32_t b;

	memset(mask, 0, sizeof(mask));
	for (i = 0; i < nv->n_pieces; i++)
		memset(mask + nv->piece[i].off, 1, nv->piece[i].len);
	/* Bytes no in-flight write touches hold their persisted content. */
	for (i = 0; i < NPM; i++)
		if (!mask[i] && img[i] != nv->persisted[i])
			return 0;
	/* A shared granule holds its content after some write to it. */
	for (g = 0; g < NPM / 8; g++) {
		if (nv->shared[g] != 3)
			continue;
		memcpy(try, nv->persisted, NPM);
		ok = !memcmp(try + g * 8, img + g * 8, 8);
		for (i = 0; i < nv->n_pieces && !ok; i++) {
			if (nv->piece[i].off / 8 > (uint32_t)g ||
			    (nv->piece[i].off + nv->piece[i].len - 1) / 8 <
				    (uint32_t)g)
				continue;
			nv_apply(try, &nv->piece[i]);
			ok = !memcmp(try + g * 8, img + g * 8, 8);
		}
		if (!ok)
			return 0;
	}
	for (c = 0; c < nv->n_chains; c++) {
		uint32_t k;

		for (ok = 0, k = 0; k <= (uint32_t)nv->chain_len[c] && !ok;
		     k++) {
			memcpy(try, nv->persisted, NPM);
			for (i = 0; i < nv->n_pieces; i++)
				if (nv->chain_of[i] == c &&
				    (uint32_t)nv->idx_in_chain[i] < k)
					nv_apply(try, &nv->piece[i]);
			ok = 1;
			for (i = 0; i < nv->n_pieces && ok; i++)
				for (b = nv->piece[i].off;
				     nv->chain_of[i] == c &&
				     b < nv->piece[i].off + nv->piece[i].len;
				     b++)
					if (nv->shared[b / 8] != 3 &&
					    try[b] != img[b])
						ok = 0;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* ---- random traces ------------------------------------------------------ */

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static struct torn_trace *random_trace(uint64_t seed, int eadr)
{
	struct torn_trace_header hdr = {
		.pm_base = 0x100000000ull,
		.pm_size = NPM,
		.line_size = 64,
		.cpu_features = TORN_CPU_CLFLUSH | TORN_CPU_CLFLUSHOPT |
				TORN_CPU_CLWB | (eadr ? TORN_CPU_EADR : 0),
	};
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	int n = 20 + (int)(rnd(&x) % 30), i, j;
	struct torn_trace *t;
	struct torn_err err;

	assert_int_equal(torn_trace_new(&t, &hdr), 0);
	for (i = 0; i < n; i++) {
		struct torn_record r = { 0 };
		uint8_t val[64];
		unsigned int k = rnd(&x) % 100;

		if (k >= 38 && k < 42) {
			/*
			 * A string op: rep movs/stos of 2..8 stores going
			 * up from one place, one pc, the string flag; of
			 * 64 bytes, up to every line (pairs past 6 lines).
			 */
			static const uint8_t ssizes[] = { 1, 2, 4, 8, 64 };
			int m = 2 + (int)(rnd(&x) % 7), q;
			uint64_t at;

			r.kind = TORN_REC_STORE;
			r.flags = TORN_REC_F_STRING;
			r.pc = 0x1000 + (uint64_t)i;
			r.size = ssizes[rnd(&x) % sizeof(ssizes)];
			at = rnd(&x) % (NPM - (uint64_t)m * r.size + 1);
			at &= ~(uint64_t)(r.size - 1);
			for (q = 0; q < m; q++) {
				for (j = 0; j < r.size; j++)
					val[j] = (uint8_t)(1 + rnd(&x) % 3);
				r.offset = at + (uint64_t)q * r.size;
				r.data = val;
				assert_int_equal(torn_trace_append(t, &r, &err),
						 0);
			}
			continue;
		}
		if (k < 50) {
			static const uint8_t sizes[] = { 1, 2,	4,  8,	8,
							 8, 16, 24, 64, 5 };

			r.kind = k < 42 ? TORN_REC_STORE : TORN_REC_NT_STORE;
			r.size = sizes[rnd(&x) % sizeof(sizes)];
			r.offset = rnd(&x) % (NPM - r.size + 1);
			if (rnd(&x) % 3)
				r.offset &= ~(
					uint64_t)(r.size > 8 ? 7 : r.size - 1);
			/* Few values, so that images repeat. */
			for (j = 0; j < r.size; j++)
				val[j] = (uint8_t)(1 + rnd(&x) % 3);
			r.data = val;
		} else if (k < 72) {
			r.kind = TORN_REC_FLUSH;
			r.sub = (uint8_t)(1 + rnd(&x) % 3);
			r.offset = rnd(&x) % NPM;
		} else if (k < 90) {
			r.kind = TORN_REC_FENCE;
			r.sub = (uint8_t)(rnd(&x) % 25 ? 1 + rnd(&x) % 4
						       : TORN_FENCE_WBINVD);
		} else if (k < 96) {
			r.kind = TORN_REC_MARK;
			r.mark_id = TORN_MARK_USER;
		} else {
			r.kind = TORN_REC_UNRESOLVED;
			r.sub = TORN_FLUSH_CLWB;
			r.vaddr = 0x7f0000000000ull;
		}
		assert_int_equal(torn_trace_append(t, &r, &err), 0);
	}
	return t;
}

/* ---- checking one trace ------------------------------------------------- */

struct seen_state {
	char id[64];
	struct torn_hash128 hash;
	uint32_t img; /* into the image store */
};

struct run {
	struct seen_state *st;
	size_t n, cap;
	uint8_t *imgs;
	size_t n_imgs, cap_imgs;
};

static uint32_t keep_image(struct run *r, const uint8_t *img)
{
	if (r->n_imgs == r->cap_imgs) {
		r->cap_imgs = r->cap_imgs ? r->cap_imgs * 2 : 1024;
		r->imgs = realloc(r->imgs, r->cap_imgs * NPM);
		assert_non_null(r->imgs);
	}
	memcpy(r->imgs + r->n_imgs * NPM, img, NPM);
	return (uint32_t)r->n_imgs++;
}

static void keep_state(struct run *r, const struct torn_crash_state *st,
		       const uint8_t *img)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->st = realloc(r->st, r->cap * sizeof(*r->st));
		assert_non_null(r->st);
	}
	torn_state_id_format(st, r->st[r->n].id, sizeof(r->st[r->n].id));
	r->st[r->n].hash = st->hash;
	r->st[r->n].img = keep_image(r, img);
	r->n++;
}

static void run_free(struct run *r)
{
	free(r->st);
	free(r->imgs);
	memset(r, 0, sizeof(*r));
}

static void set_engines(struct torn_states_opts *o, int torn, uint64_t seed)
{
	const char *list[] = { "prefix", torn ? "subsets:1" : "subsets:2",
			       "full:64", "random:8", "torn" };
	struct torn_err err;
	size_t i;

	o->n_engines = 0;
	for (i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		assert_int_equal(torn_engine_parse(list[i],
						   &o->engines[o->n_engines++],
						   &err),
				 0);
	o->engines[3].seed = seed;
}

/* The image the naive model expects for state st, or legality only. */
static void check_state(const struct naive *nv,
			const struct torn_crash_point *pt,
			const struct torn_crash_state *st, const uint8_t *img)
{
	const struct torn_engine *e = st->engine;
	uint8_t want[NPM];
	uint32_t p[MAXW];
	uint64_t count;

	switch (e->kind) {
	case TORN_ENGINE_PREFIX:
		assert_int_equal(pt->engine_states[st->engine_idx],
				 (uint64_t)nv->n_pieces + 1);
		nv_image_prefix(nv, st->index, want);
		assert_memory_equal(img, want, NPM);
		return;
	case TORN_ENGINE_SUBSETS:
		assert_int_equal(pt->engine_states[st->engine_idx],
				 nv_subset_count(nv, e->n));
		nv_subset(nv, e->n, st->index, p);
		nv_image_p(nv, p, want);
		assert_memory_equal(img, want, NPM);
		return;
	case TORN_ENGINE_FULL:
		count = nv_full_count(nv);
		if (count <= e->n) {
			uint64_t idx = st->index;
			int c;

			assert_int_equal(pt->engine_states[st->engine_idx],
					 count);
			for (c = 0; c < nv->n_chains; c++) {
				p[c] = (uint32_t)(idx %
						  (nv->chain_len[c] + 1u));
				idx /= nv->chain_len[c] + 1u;
			}
			nv_image_p(nv, p, want);
			assert_memory_equal(img, want, NPM);
			return;
		}
		assert_true(pt->full_fallback & (1u << st->engine_idx));
		assert_true(nv_legal(nv, img));
		return;
	case TORN_ENGINE_RANDOM:
		assert_true(nv_legal(nv, img));
		return;
	case TORN_ENGINE_TORN:
		if (nv->eadr)
			assert_true(nv_torn_eadr(nv, st->index, want, &count));
		else
			assert_true(nv_torn(nv, st->index, want, &count));
		assert_int_equal(pt->engine_states[st->engine_idx], count);
		assert_memory_equal(img, want, NPM);
		return;
	}
	fail();
}

/*
 * Enumerate every state of t (points "all"), checking each against the
 * naive model; keep ids, hashes and images in r.
 */
static void enumerate(const struct torn_trace *t, int eadr, int torn, int dedup,
		      uint64_t seed, unsigned int threads, struct run *r)
{
	static uint8_t persisted[NPM], img[NPM], mat[NPM];
	const struct torn_record *recs = torn_trace_get_records(t);
	struct torn_state_set *set = NULL;
	struct torn_states_opts o;
	struct torn_crash_point pt;
	struct torn_crash_state st;
	struct torn_states *s;
	struct torn_hash128 h;
	struct torn_err err;
	static struct naive nv;
	size_t pos = 0, last = SIZE_MAX, i;
	int ret;

	torn_states_opts_init(&o);
	o.model = eadr ? TORN_MODEL_EADR : TORN_MODEL_ADR;
	o.granularity = torn ? TORN_GRAN_TORN : TORN_GRAN_LINE;
	o.points = TORN_POINTS_ALL;
	o.threads = threads;
	set_engines(&o, torn, seed);
	if (dedup) {
		assert_int_equal(torn_state_set_new(&set), 0);
		o.dedup = set;
	}
	memset(&nv, 0, sizeof(nv));
	nv.eadr = eadr;
	nv.torn = torn;
	memset(persisted, 0, NPM);
	assert_int_equal(torn_states_new(&s, t, NULL, NPM, &o, &err), 0);
	while ((ret = torn_states_next_point(s, &pt)) == 1) {
		uint64_t next_index = 0;
		unsigned int last_engine = 0;

		/*
		 * The naive model replays to the same point; with points
		 * "all", a record with writes in flight before it and no
		 * crash point would be a missed point.
		 */
		for (; pos < pt.seq; pos++) {
			if (pos != last)
				assert_int_equal(nv.n, 0);
			nv_record(&nv, &recs[pos], pos);
		}
		last = pt.seq;
		assert_true(nv.n > 0);
		nv_chains(&nv);
		assert_int_equal(pt.inflight_writes, nv.n_pieces);
		assert_int_equal(pt.chains, nv.n_chains);
		for (i = 0; i < pt.n_changed; i++)
			memcpy(persisted + pt.changed[i].line * 64,
			       pt.changed[i].data, 64);
		assert_memory_equal(persisted, nv.persisted, NPM);
		torn_image_hash(NULL, persisted, NPM, &h);
		assert_true(torn_hash_eq(&h, &pt.persisted_hash));
		while ((ret = torn_states_next_state(s, &st)) == 1) {
			memcpy(img, persisted, NPM);
			torn_state_apply(&st, img);
			check_state(&nv, &pt, &st, img);
			torn_image_hash(NULL, img, NPM, &h);
			assert_true(torn_hash_eq(&h, &st.hash));
			assert_int_equal(!!(st.flags & TORN_STATE_F_PERSISTED),
					 !memcmp(img, persisted, NPM));
			if (!dedup) {
				/* Every index, in order, engine by engine. */
				if (st.engine_idx != last_engine) {
					assert_int_equal(
						next_index,
						pt.engine_states[last_engine]);
					last_engine = st.engine_idx;
					next_index = 0;
				}
				assert_int_equal(st.index, next_index);
				next_index++;
			}
			keep_state(r, &st, img);
			if (r->n % 5 == 0) {
				assert_int_equal(
					torn_state_image(t, NULL, NPM, &o,
							 r->st[r->n - 1].id,
							 mat, &h, &err),
					0);
				assert_memory_equal(mat, img, NPM);
				assert_true(torn_hash_eq(&h, &st.hash));
			}
		}
		assert_int_equal(ret, 0);
	}
	assert_int_equal(ret, 0);
	/* No crash point was missed after the last one either. */
	for (; pos < torn_trace_get_count(t); pos++) {
		if (pos != last)
			assert_int_equal(nv.n, 0);
		nv_record(&nv, &recs[pos], pos);
	}
	if (last != torn_trace_get_count(t))
		assert_int_equal(nv.n, 0);
	torn_states_free(s);
	torn_state_set_free(set);
}

static const struct run *cmp_run;

static int cmp_img(const void *a, const void *b)
{
	const struct seen_state *x = &cmp_run->st[*(const size_t *)a];
	const struct seen_state *y = &cmp_run->st[*(const size_t *)b];
	int c = memcmp(cmp_run->imgs + (size_t)x->img * NPM,
		       cmp_run->imgs + (size_t)y->img * NPM, NPM);

	if (c)
		return c;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Indices of r's states sorted by image, ties by position. */
static size_t *sorted_by_image(const struct run *r)
{
	size_t *ix = malloc((r->n + 1) * sizeof(*ix)), i;

	assert_non_null(ix);
	for (i = 0; i < r->n; i++)
		ix[i] = i;
	cmp_run = r;
	qsort(ix, r->n, sizeof(*ix), cmp_img);
	return ix;
}

static const uint8_t *img_of(const struct run *r, size_t i)
{
	return r->imgs + (size_t)r->st[i].img * NPM;
}

/*
 * Dedup keeps exactly the first state of each distinct image: the
 * dedup-on ids are the dedup-off ids filtered to first occurrences, and
 * no two of them have equal images.
 */
static void check_dedup(const struct run *all, const struct run *uniq)
{
	size_t *ix = sorted_by_image(all), *ux, i, j = 0;
	char *first = calloc(all->n + 1, 1);

	assert_non_null(first);
	for (i = 0; i < all->n; i++) {
		int new_img = i == 0 || memcmp(img_of(all, ix[i]),
					       img_of(all, ix[i - 1]), NPM);

		if (new_img)
			first[ix[i]] = 1;
		else
			/* Equal images, equal hashes. */
			assert_true(torn_hash_eq(&all->st[ix[i]].hash,
						 &all->st[ix[i - 1]].hash));
	}
	for (i = 0; i < all->n; i++) {
		if (!first[i])
			continue;
		assert_true(j < uniq->n);
		assert_string_equal(all->st[i].id, uniq->st[j].id);
		j++;
	}
	assert_int_equal(j, uniq->n);
	ux = sorted_by_image(uniq);
	for (i = 1; i < uniq->n; i++)
		assert_true(memcmp(img_of(uniq, ux[i]), img_of(uniq, ux[i - 1]),
				   NPM) != 0);
	free(ux);
	free(ix);
	free(first);
}

static void check_model(int eadr, int torn)
{
	uint64_t seed;
	size_t total = 0, unique = 0;

	for (seed = 1; seed <= TRACES; seed++) {
		struct torn_trace *t = random_trace(seed + 1000 * eadr, eadr);
		struct run all = { 0 }, uniq = { 0 }, again = { 0 };
		size_t i;

		enumerate(t, eadr, torn, 0, seed, 1 + seed % 2, &all);
		enumerate(t, eadr, torn, 1, seed, 1, &uniq);
		check_dedup(&all, &uniq);
		/*
		 * The same seed gives the same states, and so does a replay
		 * thread.
		 */
		enumerate(t, eadr, torn, 1, seed, 2, &again);
		assert_int_equal(again.n, uniq.n);
		for (i = 0; i < uniq.n; i++) {
			assert_string_equal(again.st[i].id, uniq.st[i].id);
			assert_true(torn_hash_eq(&again.st[i].hash,
						 &uniq.st[i].hash));
		}
		total += all.n;
		unique += uniq.n;
		run_free(&all);
		run_free(&uniq);
		run_free(&again);
		torn_trace_free(t);
	}
	print_message("%s/%s: %zu states, %zu unique over %d traces\n",
		      eadr ? "eadr" : "adr", torn ? "torn" : "line", total,
		      unique, (int)TRACES);
	assert_true(unique > TRACES);
}

static void test_adr_line(void **state)
{
	check_model(0, 0);
}

static void test_adr_torn(void **state)
{
	check_model(0, 1);
}

static void test_eadr_line(void **state)
{
	check_model(1, 0);
}

static void test_eadr_torn(void **state)
{
	check_model(1, 1);
}

/* ---- the stepper ------------------------------------------------------- */

struct walk {
	struct torn_inflight_write w[MAXW];
	int n;
};

static int walk_add(const struct torn_inflight_write *w, void *ctx)
{
	struct walk *k = ctx;

	assert_true(k->n < MAXW);
	k->w[k->n++] = *w;
	return 0;
}

/* The walk k equals the naive in-flight writes (on line, or all: -1). */
static void check_walk(const struct naive *nv, const struct walk *k, int line)
{
	int i, j = 0;

	for (i = 0; i < nv->n; i++) {
		const struct nwrite *w = &nv->w[i];

		if (line >= 0 && (int)(w->off / 64) != line)
			continue;
		assert_true(j < k->n);
		assert_int_equal(k->w[j].record, w->rec);
		assert_int_equal(k->w[j].offset, w->off);
		assert_int_equal(k->w[j].len, w->len);
		assert_int_equal(k->w[j].nt, !!w->nt);
		assert_int_equal(k->w[j].flush_initiated, !!w->fi);
		j++;
	}
	assert_int_equal(j, k->n);
}

/*
 * After every record of t, the stepper's in-flight writes (all, and
 * line by line), their counts, its persisted image and its full image
 * equal the naive model's.
 */
static void step_trace(const struct torn_trace *t, int eadr,
		       const uint8_t *base)
{
	static uint8_t img[NPM], full[NPM];
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t), pos;
	static struct naive nv;
	struct torn_stepper *st;
	struct torn_err err;
	static struct walk k;
	int i, l, lines;

	memset(&nv, 0, sizeof(nv));
	nv.eadr = eadr;
	memcpy(nv.persisted, base, NPM);
	memcpy(full, base, NPM);
	assert_int_equal(
		torn_stepper_new(&st, t, base, NPM,
				 eadr ? TORN_MODEL_EADR : TORN_MODEL_ADR, &err),
		0);
	for (pos = 0; pos < n; pos++) {
		const struct torn_record *r = &recs[pos];

		assert_int_equal(torn_stepper_step(st), 1);
		assert_int_equal(torn_stepper_pos(st), pos + 1);
		nv_record(&nv, r, pos);
		if (r->kind == TORN_REC_STORE || r->kind == TORN_REC_NT_STORE)
			memcpy(full + r->offset, r->data, r->size);
		k.n = 0;
		assert_int_equal(
			torn_stepper_foreach_inflight(st, walk_add, &k), 0);
		check_walk(&nv, &k, -1);
		assert_int_equal(torn_stepper_inflight_writes(st), nv.n);
		for (l = 0, lines = 0; l < NLINES; l++) {
			for (i = 0; i < nv.n; i++)
				if ((int)(nv.w[i].off / 64) == l)
					break;
			lines += i < nv.n;
			k.n = 0;
			assert_int_equal(
				torn_stepper_foreach_line_inflight(
					st, (uint64_t)l * 64, walk_add, &k),
				0);
			check_walk(&nv, &k, l);
		}
		assert_int_equal(torn_stepper_inflight_lines(st), lines);
		torn_stepper_persisted_image(st, img);
		assert_memory_equal(img, nv.persisted, NPM);
		torn_stepper_full_image(st, img);
		assert_memory_equal(img, full, NPM);
	}
	assert_int_equal(torn_stepper_step(st), 0);
	torn_stepper_free(st);
}

static void check_stepper(int eadr)
{
	static uint8_t base[NPM];
	uint64_t seed, x;
	size_t i;

	for (seed = 1; seed <= STEPPER_TRACES; seed++) {
		struct torn_trace *t = random_trace(seed + 1000 * eadr, eadr);

		/* Odd seeds on a zero base, even ones on a random one. */
		x = seed * 0x9e3779b97f4a7c15ull + 3;
		for (i = 0; i < NPM; i++)
			base[i] = seed % 2 ? 0 : (uint8_t)rnd(&x);
		step_trace(t, eadr, base);
		torn_trace_free(t);
	}
}

static void test_stepper_adr(void **state)
{
	check_stepper(0);
}

static void test_stepper_eadr(void **state)
{
	check_stepper(1);
}

/* Different seeds draw different random states (same trace). */
/*
 * Every image with points "all" (a crash before any record), under the
 * full engine, into set; 0 when some point had too many combinations.
 */
static int images_at(const struct torn_trace *t, int eadr, unsigned int points,
		     struct torn_state_set *set)
{
	struct torn_states_opts o;
	struct torn_crash_point pt;
	struct torn_crash_state st;
	struct torn_states *s;
	struct torn_err err;
	int ret, whole = 1;

	torn_states_opts_init(&o);
	o.model = eadr ? TORN_MODEL_EADR : TORN_MODEL_ADR;
	o.points = points;
	o.n_engines = 1;
	assert_int_equal(torn_engine_parse("full:100000", &o.engines[0], &err),
			 0);
	o.dedup = set;
	assert_int_equal(torn_states_new(&s, t, NULL, NPM, &o, &err), 0);
	while ((ret = torn_states_next_point(s, &pt)) == 1) {
		whole &= !pt.full_fallback;
		while (torn_states_next_state(s, &st) == 1)
			;
	}
	assert_int_equal(ret, 0);
	torn_states_free(s);
	return whole;
}

/*
 * Fence points (with the clflushes that persist writes, model.h) see
 * every state a crash before any record can leave: the same images as
 * points "all", under full, in both models.  Without the clflush points
 * a trace whose clflushes leave nothing in flight at its fences would
 * lose them; with non-temporal stores in their line's cached chain,
 * eadr lost the states where one lags a later cached store.
 */
static void test_fence_points_complete(void **state)
{
	uint64_t seed;
	int eadr, compared[2] = { 0, 0 };

	for (eadr = 0; eadr <= 1; eadr++)
		for (seed = 1; seed <= traces(150); seed++) {
			struct torn_trace *t = random_trace(seed + 5000, eadr);
			struct torn_state_set *all, *fence;
			size_t n;

			assert_int_equal(torn_state_set_new(&all), 0);
			assert_int_equal(torn_state_set_new(&fence), 0);
			if (images_at(t, eadr, TORN_POINTS_ALL, all) &&
			    images_at(t, eadr, TORN_POINTS_FENCE, fence)) {
				/* fence's images are among all's */
				n = torn_state_set_count(all);
				images_at(t, eadr, TORN_POINTS_FENCE, all);
				assert_int_equal(torn_state_set_count(all), n);
				assert_int_equal(torn_state_set_count(fence),
						 n);
				compared[eadr]++;
			}
			torn_state_set_free(all);
			torn_state_set_free(fence);
			torn_trace_free(t);
		}
	print_message("fence points complete: adr on %d traces, eadr on %d\n",
		      compared[0], compared[1]);
	assert_true(compared[0] > (int)traces(100) &&
		    compared[1] > (int)traces(100));
}

static void test_random_seeds_differ(void **state)
{
	struct torn_trace *t = random_trace(7, 0);
	struct run a = { 0 }, b = { 0 };
	size_t i, same = 0;

	enumerate(t, 0, 0, 0, 1, 1, &a);
	enumerate(t, 0, 0, 0, 2, 1, &b);
	assert_int_equal(a.n, b.n);
	for (i = 0; i < a.n; i++)
		same += torn_hash_eq(&a.st[i].hash, &b.st[i].hash);
	assert_true(same < a.n);
	run_free(&a);
	run_free(&b);
	torn_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adr_line),
		cmocka_unit_test(test_adr_torn),
		cmocka_unit_test(test_eadr_line),
		cmocka_unit_test(test_eadr_torn),
		cmocka_unit_test(test_random_seeds_differ),
		cmocka_unit_test(test_fence_points_complete),
		cmocka_unit_test(test_stepper_adr),
		cmocka_unit_test(test_stepper_eadr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
