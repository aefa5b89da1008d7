/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The persistency models: replaying records into persisted and in-flight. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "states_int.h"

int grow_array(void **arr, uint32_t *cap, uint64_t need, size_t el)
{
	uint64_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX - 1)
		return -ENOMEM;
	while (n < need)
		n *= 2;
	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1;
	p = realloc(*arr, n * el);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = (uint32_t)n;
	return 0;
}

void model_free(struct torn_states *s)
{
	free(s->lines);
	free(s->lmap);
	free(s->frags);
	free(s->queue);
	free(s->changed);
}

/* ---- lines ----------------------------------------------------------- */

static uint64_t lmap_slot(uint64_t line)
{
	return torn_mix64a(line);
}

static int lmap_grow(struct torn_states *s)
{
	uint64_t cap = s->lmap ? (s->lmap_mask + 1) * 2 : 1024;
	struct lmap_slot *map = malloc(cap * sizeof(*map));
	uint32_t i;

	if (!map)
		return -ENOMEM;
	memset(map, 0xff, cap * sizeof(*map));
	for (i = 0; i < s->n_lines; i++) {
		uint64_t j = lmap_slot(s->lines[i].line) & (cap - 1);

		while (map[j].idx != NONE32)
			j = (j + 1) & (cap - 1);
		map[j].line = s->lines[i].line;
		map[j].idx = i;
	}
	free(s->lmap);
	s->lmap = map;
	s->lmap_mask = cap - 1;
	return 0;
}

static struct line_state *line_find(struct torn_states *s, uint64_t line)
{
	uint64_t j;

	if (!s->lmap)
		return NULL;
	for (j = lmap_slot(line) & s->lmap_mask; s->lmap[j].idx != NONE32;
	     j = (j + 1) & s->lmap_mask)
		if (s->lmap[j].line == line)
			return &s->lines[s->lmap[j].idx];
	return NULL;
}

struct line_state *model_line(struct torn_states *s, uint64_t line)
{
	return line_find(s, line);
}

/* The line's state, created from the base image on first touch. */
static int line_get(struct torn_states *s, uint64_t line, uint32_t *idx)
{
	struct line_state *l = line_find(s, line);
	uint64_t j;
	int ret;

	if (l) {
		*idx = (uint32_t)(l - s->lines);
		return 0;
	}
	if (!s->lmap || (uint64_t)(s->n_lines + 1) * 2 > s->lmap_mask + 1) {
		ret = lmap_grow(s);
		if (ret)
			return ret;
	}
	ret = grow_array((void **)&s->lines, &s->cap_lines, s->n_lines + 1,
			 sizeof(*s->lines));
	if (ret)
		return ret;
	l = &s->lines[s->n_lines];
	memset(l, 0, sizeof(*l));
	if (s->base)
		memcpy(l->persisted, s->base + (line << LINE_SHIFT),
		       TORN_LINE_SIZE);
	l->line = line;
	l->head = l->tail = NONE32;
	for (j = lmap_slot(line) & s->lmap_mask; s->lmap[j].idx != NONE32;
	     j = (j + 1) & s->lmap_mask)
		;
	s->lmap[j].line = line;
	s->lmap[j].idx = s->n_lines;
	*idx = s->n_lines++;
	return 0;
}

static int mark_changed(struct torn_states *s, uint32_t li)
{
	struct line_state *l = &s->lines[li];
	int ret;

	if (l->changed_stamp == s->changed_stamp)
		return 0;
	ret = grow_array((void **)&s->changed, &s->cap_changed,
			 s->n_changed + 1, sizeof(*s->changed));
	if (ret)
		return ret;
	l->changed_stamp = s->changed_stamp;
	s->changed[s->n_changed++] = li;
	return 0;
}

/* ---- in-flight writes ------------------------------------------------ */

static int frag_alloc(struct torn_states *s, uint32_t *fi)
{
	int ret;

	if (s->free_frag != NONE32) {
		*fi = s->free_frag;
		s->free_frag = s->frags[*fi].next;
		return 0;
	}
	ret = grow_array((void **)&s->frags, &s->cap_frags, s->n_frags_used + 1,
			 sizeof(*s->frags));
	if (ret)
		return ret;
	*fi = s->n_frags_used++;
	return 0;
}

static int queue_line(struct torn_states *s, uint32_t li)
{
	int ret;

	if (s->lines[li].queued)
		return 0;
	ret = grow_array((void **)&s->queue, &s->cap_queue, s->n_queue + 1,
			 sizeof(*s->queue));
	if (ret)
		return ret;
	s->lines[li].queued = 1;
	s->queue[s->n_queue++] = li;
	return 0;
}

/* One store's part within one line joins the line's in-flight list. */
static int add_write(struct torn_states *s, uint64_t line, unsigned int off,
		     unsigned int len, const uint8_t *data, bool nt,
		     uint64_t seq)
{
	const uint8_t *prev;
	struct line_state *l;
	struct frag *f;
	uint32_t li, fi;
	unsigned int g;
	int ret;

	ret = line_get(s, line, &li);
	if (ret)
		return ret;
	ret = frag_alloc(s, &fi);
	if (ret)
		return ret;
	l = &s->lines[li];
	f = &s->frags[fi];
	if (l->n_inflight) {
		prev = s->frags[l->tail].snap;
		f->hl = s->frags[l->tail].hl;
	} else {
		prev = l->persisted;
		f->hl = l->hl_pers;
	}
	memcpy(f->snap, prev, TORN_LINE_SIZE);
	memcpy(f->snap + off, data, len);
	for (g = off / TORN_GRANULE_SIZE;
	     g <= (off + len - 1) / TORN_GRANULE_SIZE; g++)
		torn_hash_granule_change(&f->hl, line * GRANULES + g,
					 prev + g * TORN_GRANULE_SIZE,
					 f->snap + g * TORN_GRANULE_SIZE);
	f->seq = seq;
	f->line = li;
	f->off = (uint8_t)off;
	f->len = (uint8_t)len;
	f->nt = nt;
	f->next = NONE32;
	if (l->n_inflight) {
		s->frags[l->tail].next = fi;
	} else {
		l->head = fi;
		s->n_inflight_lines++;
	}
	l->tail = fi;
	l->n_inflight++;
	f->gnext = NONE32;
	f->gprev = s->gtail;
	if (s->gtail != NONE32)
		s->frags[s->gtail].gnext = fi;
	else
		s->ghead = fi;
	s->gtail = fi;
	s->n_inflight++;
	/*
	 * A non-temporal store is flush-initiated with everything before it
	 * on its line (model.h).  eadr persists all at the next ordering
	 * point and keeps no queue.
	 */
	if (nt && s->model == TORN_MODEL_ADR) {
		l->n_flushinit = l->n_inflight;
		return queue_line(s, li);
	}
	return 0;
}

/* The first k in-flight writes of line li become persistent. */
static int persist_prefix(struct torn_states *s, uint32_t li, uint32_t k)
{
	struct line_state *l = &s->lines[li];
	struct frag *last;
	uint32_t fi, i;

	if (!k)
		return 0;
	fi = l->head;
	for (i = 1; i < k; i++)
		fi = s->frags[fi].next;
	last = &s->frags[fi];
	memcpy(l->persisted, last->snap, TORN_LINE_SIZE);
	torn_hash_add(&s->h_pers, &last->hl);
	torn_hash_sub(&s->h_pers, &l->hl_pers);
	l->hl_pers = last->hl;
	for (i = 0; i < k; i++) {
		struct frag *f;

		fi = l->head;
		f = &s->frags[fi];
		l->head = f->next;
		if (f->gprev != NONE32)
			s->frags[f->gprev].gnext = f->gnext;
		else
			s->ghead = f->gnext;
		if (f->gnext != NONE32)
			s->frags[f->gnext].gprev = f->gprev;
		else
			s->gtail = f->gprev;
		f->next = s->free_frag;
		s->free_frag = fi;
	}
	l->n_inflight -= k;
	l->n_flushinit = l->n_flushinit > k ? l->n_flushinit - k : 0;
	if (!l->n_inflight) {
		l->head = l->tail = NONE32;
		s->n_inflight_lines--;
	}
	s->n_inflight -= k;
	return mark_changed(s, li);
}

static int persist_all(struct torn_states *s)
{
	uint32_t i;
	int ret;

	while (s->ghead != NONE32) {
		uint32_t li = s->frags[s->ghead].line;

		ret = persist_prefix(s, li, s->lines[li].n_inflight);
		if (ret)
			return ret;
	}
	for (i = 0; i < s->n_queue; i++)
		s->lines[s->queue[i]].queued = 0;
	s->n_queue = 0;
	return 0;
}

/* An ordering point: adr persists the flush-initiated writes. */
static int persist_queued(struct torn_states *s)
{
	uint32_t i;
	int ret;

	for (i = 0; i < s->n_queue; i++) {
		uint32_t li = s->queue[i];

		s->lines[li].queued = 0;
		ret = persist_prefix(s, li, s->lines[li].n_flushinit);
		if (ret)
			return ret;
	}
	s->n_queue = 0;
	return 0;
}

static int apply_store(struct torn_states *s, const struct torn_record *rec,
		       size_t idx, struct torn_err *err)
{
	uint64_t off = rec->offset, seq = (uint64_t)idx * 2;
	unsigned int left = rec->size;
	const uint8_t *data = rec->data;
	bool nt = rec->kind == TORN_REC_NT_STORE;
	int ret;

	if (!left || left > TORN_STORE_MAX || off > s->pm_size ||
	    left > s->pm_size - off)
		return torn_err_set(
			err, TORN_E_FORMAT,
			"record %zu: store of %u bytes at 0x%llx outside the %llu-byte NVDIMM",
			idx, left, (unsigned long long)off,
			(unsigned long long)s->pm_size);
	s->stores_seen++;
	while (left) {
		unsigned int lo = off % TORN_LINE_SIZE;
		unsigned int n = TORN_LINE_SIZE - lo;

		if (n > left)
			n = left;
		ret = add_write(s, off >> LINE_SHIFT, lo, n, data, nt, seq++);
		if (ret)
			return torn_err_set(err, ret,
					    "record %zu: out of memory", idx);
		off += n;
		data += n;
		left -= n;
	}
	return 0;
}

/*
 * How many of its line's in-flight writes the clflush rec persists at
 * once: every write up to the line's last cached one.  Non-temporal
 * writes after it stay in their write-combining buffers until a fence;
 * those before it are in that cached write's line content (model.h).
 */
static uint32_t clflush_persists(const struct torn_states *s,
				 const struct line_state *l)
{
	uint32_t fi, i, k = 0;

	for (fi = l->head, i = 1; fi != NONE32; fi = s->frags[fi].next, i++)
		if (!s->frags[fi].nt)
			k = i;
	return k;
}

uint32_t model_clflush_persists(struct torn_states *s,
				const struct torn_record *rec)
{
	const struct line_state *l;

	if (s->model != TORN_MODEL_ADR || rec->kind != TORN_REC_FLUSH ||
	    rec->sub != TORN_FLUSH_CLFLUSH || rec->offset >= s->pm_size)
		return 0;
	l = line_find(s, rec->offset >> LINE_SHIFT);
	return l ? clflush_persists(s, l) : 0;
}

static int apply_flush(struct torn_states *s, const struct torn_record *rec)
{
	struct line_state *l;
	uint32_t li;

	if (s->model != TORN_MODEL_ADR || rec->offset >= s->pm_size)
		return 0;
	l = line_find(s, rec->offset >> LINE_SHIFT);
	if (!l || !l->n_inflight)
		return 0;
	li = (uint32_t)(l - s->lines);
	if (rec->sub == TORN_FLUSH_CLFLUSH)
		return persist_prefix(s, li, clflush_persists(s, l));
	l->n_flushinit = l->n_inflight;
	return queue_line(s, li);
}

int model_apply(struct torn_states *s, const struct torn_record *rec,
		size_t idx, struct torn_err *err)
{
	int ret = 0;

	switch (rec->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		return apply_store(s, rec, idx, err);
	case TORN_REC_FLUSH:
		ret = apply_flush(s, rec);
		break;
	case TORN_REC_FENCE:
		if (s->model == TORN_MODEL_EADR ||
		    rec->sub == TORN_FENCE_WBINVD)
			ret = persist_all(s);
		else
			ret = persist_queued(s);
		break;
	case TORN_REC_UNRESOLVED:
		s->unresolved++;
		break;
	default:
		break; /* MARK: not an ordering point (model.h) */
	}
	if (ret)
		return torn_err_set(err, ret, "record %zu: out of memory", idx);
	return 0;
}
