/* The crash-state enumerator: crash points, engines, dedup, images. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "states_int.h"

void torn_states_opts_init(struct torn_states_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->model = TORN_MODEL_AUTO;
	o->granularity = TORN_GRAN_LINE;
	o->points = TORN_POINTS_FENCE;
	o->store_every = 1;
	o->n_engines = 2;
	o->engines[0].kind = TORN_ENGINE_PREFIX;
	o->engines[1].kind = TORN_ENGINE_SUBSETS;
	o->engines[1].n = 1;
	o->only_point = TORN_POINT_ANY;
}

static int check_opts(const struct torn_states_opts *o, struct torn_err *err)
{
	unsigned int i;

	if (o->model != TORN_MODEL_AUTO && o->model != TORN_MODEL_ADR &&
	    o->model != TORN_MODEL_EADR)
		return torn_err_set(err, TORN_E_USAGE, "unknown model %d",
				    o->model);
	if (o->granularity != TORN_GRAN_LINE &&
	    o->granularity != TORN_GRAN_TORN)
		return torn_err_set(err, TORN_E_USAGE,
				    "unknown granularity %d", o->granularity);
	if (o->points & ~(TORN_POINTS_FENCE | TORN_POINTS_FLUSH |
			  TORN_POINTS_STORE | TORN_POINTS_MARKER |
			  TORN_POINTS_ALL))
		return torn_err_set(err, TORN_E_USAGE,
				    "unknown crash point bits 0x%x", o->points);
	if ((o->points & TORN_POINTS_STORE) && !o->store_every)
		return torn_err_set(err, TORN_E_USAGE,
				    "crash points store:N need N >= 1");
	if (!o->n_engines || o->n_engines > TORN_ENGINES_MAX)
		return torn_err_set(err, TORN_E_USAGE,
				    "%u engines: expected 1..%d", o->n_engines,
				    TORN_ENGINES_MAX);
	for (i = 0; i < o->n_engines; i++) {
		const struct torn_engine *e = &o->engines[i];

		if (e->kind < TORN_ENGINE_PREFIX || e->kind > TORN_ENGINE_TORN)
			return torn_err_set(err, TORN_E_USAGE,
					    "engine %u: unknown kind %d", i,
					    e->kind);
		if ((e->kind == TORN_ENGINE_SUBSETS ||
		     e->kind == TORN_ENGINE_FULL ||
		     e->kind == TORN_ENGINE_RANDOM) && !e->n)
			return torn_err_set(err, TORN_E_USAGE,
					    "engine %u: parameter 0", i);
	}
	return 0;
}

int torn_states_new(struct torn_states **out, const struct torn_trace *t,
		    const void *base, size_t size,
		    const struct torn_states_opts *o, struct torn_err *err)
{
	const struct torn_trace_header *hdr = torn_trace_get_header(t);
	struct torn_states *s;
	int ret;

	ret = check_opts(o, err);
	if (ret)
		return ret;
	if (hdr->line_size != TORN_LINE_SIZE || size != hdr->pm_size)
		return torn_err_set(err, TORN_E_RANGE,
				    "base image of %zu bytes, but the trace's NVDIMM has %" PRIu64,
				    size, hdr->pm_size);
	s = calloc(1, sizeof(*s));
	if (!s)
		return torn_err_set(err, -ENOMEM, "out of memory");
	s->recs = torn_trace_get_records(t);
	s->n_recs = torn_trace_get_count(t);
	s->base = base;
	s->pm_size = hdr->pm_size;
	s->o = *o;
	s->model = o->model;
	if (s->model == TORN_MODEL_AUTO)
		s->model = hdr->cpu_features & TORN_CPU_EADR ?
				   TORN_MODEL_EADR : TORN_MODEL_ADR;
	s->gran = o->granularity;
	s->free_frag = NONE32;
	s->ghead = s->gtail = NONE32;
	s->changed_stamp = 1;
	*out = s;
	return 0;
}

void torn_states_free(struct torn_states *s)
{
	if (!s)
		return;
	model_free(s);
	free(s->ptl);
	free(s->W);
	free(s->chains);
	free(s->ce);
	free(s->chash);
	free(s->unit_cur);
	free(s->unit_stamp);
	free(s->torn);
	free(s->p);
	free(s->nz);
	free(s->nzpos);
	free(s->comb);
	free(s->delta);
	free(s);
}

static bool is_store(const struct torn_record *r)
{
	return r->kind == TORN_REC_STORE || r->kind == TORN_REC_NT_STORE;
}

/* Is there a crash point before record s->pos? */
static bool is_point(const struct torn_states *s)
{
	unsigned int pts = s->o.points;
	const struct torn_record *r;

	if (s->o.only_point != TORN_POINT_ANY)
		return s->pos == s->o.only_point;
	if (!s->n_inflight)
		return false;
	if (s->pos >= s->n_recs || (pts & TORN_POINTS_ALL))
		return true;
	r = &s->recs[s->pos];
	switch (r->kind) {
	case TORN_REC_FENCE:
		if (pts & TORN_POINTS_FENCE)
			return true;
		break;
	case TORN_REC_FLUSH:
	case TORN_REC_UNRESOLVED:
		if (pts & TORN_POINTS_FLUSH)
			return true;
		break;
	case TORN_REC_MARK:
		if (pts & TORN_POINTS_MARKER)
			return true;
		break;
	}
	return (pts & TORN_POINTS_STORE) && s->pos > 0 &&
	       is_store(&s->recs[s->pos - 1]) &&
	       s->stores_seen % s->o.store_every == 0;
}

static int make_point(struct torn_states *s, struct torn_crash_point *pt,
		      struct torn_err *err)
{
	struct torn_crash_point *p = &s->pt;
	unsigned int i;
	uint32_t j;
	int ret;

	ret = point_build(s, err);
	if (ret)
		return ret;
	memset(p, 0, sizeof(*p));
	p->seq = s->pos;
	p->ordinal = s->stats.points;
	if (s->pos < s->n_recs) {
		p->kind = s->recs[s->pos].kind;
		p->sub = s->recs[s->pos].sub;
	} else {
		p->kind = TORN_REC_END;
	}
	p->inflight_writes = s->n_W;
	p->inflight_lines = s->n_ptl;
	p->chains = s->n_chains;
	for (i = 0; i < s->o.n_engines; i++) {
		bool fallback;

		if (s->o.engines[i].kind == TORN_ENGINE_TORN) {
			ret = point_torn_prepare(s);
			if (ret)
				return torn_err_set(err, ret, "out of memory");
		}
		p->engine_states[i] = engine_count(s, &s->o.engines[i],
						   &fallback);
		p->states = sat_add(p->states, p->engine_states[i]);
		if (fallback) {
			p->full_fallback |= 1u << i;
			s->stats.fallbacks++;
		}
	}
	p->persisted_hash = s->h_pers;
	ret = grow_array((void **)&s->changed_refs, &s->cap_changed_refs,
			 s->n_changed + 1, sizeof(*s->changed_refs));
	if (ret)
		return torn_err_set(err, ret, "out of memory");
	for (j = 0; j < s->n_changed; j++) {
		const struct line_state *l = &s->lines[s->changed[j]];

		s->changed_refs[j].line = l->line;
		s->changed_refs[j].data = l->persisted;
	}
	p->n_changed = s->n_changed;
	p->changed = s->changed_refs;
	s->n_changed = 0;
	s->changed_stamp++;
	p->unresolved = s->stats.unresolved;

	s->stats.points++;
	if (s->n_W > s->stats.max_inflight_writes)
		s->stats.max_inflight_writes = s->n_W;
	if (s->n_ptl > s->stats.max_inflight_lines)
		s->stats.max_inflight_lines = s->n_ptl;
	s->eng_i = 0;
	s->run.started = false;
	*pt = *p;
	return 0;
}

int torn_states_next_point(struct torn_states *s, struct torn_crash_point *pt)
{
	int ret;

	s->in_point = false;
	for (;;) {
		if (!s->point_taken && is_point(s)) {
			ret = make_point(s, pt, &s->err);
			if (ret)
				return ret;
			s->point_taken = true;
			s->in_point = true;
			return 1;
		}
		if (s->pos >= s->n_recs ||
		    (s->o.only_point != TORN_POINT_ANY &&
		     s->pos >= s->o.only_point))
			return 0;
		ret = model_apply(s, &s->recs[s->pos], s->pos, &s->err);
		if (ret)
			return ret;
		s->pos++;
		s->stats.records++;
		s->point_taken = false;
	}
}

int torn_states_next_state(struct torn_states *s, struct torn_crash_state *st)
{
	int ret;

	if (!s->in_point)
		return 0;
	while (s->eng_i < s->o.n_engines) {
		struct engine_run *run = &s->run;

		if (!run->started)
			engine_start(s, s->eng_i);
		while (run->next < run->count) {
			uint64_t idx = run->next++;

			engine_step(s, idx);
			s->stats.states++;
			s->stats.engine_states[s->eng_i]++;
			if (s->o.dedup) {
				ret = torn_state_set_add(s->o.dedup, &s->h_cur);
				if (ret < 0)
					return torn_err_set(&s->err, ret,
						"dedup set: out of memory");
				if (!ret) {
					s->stats.duplicates++;
					continue;
				}
			}
			engine_delta(s);
			st->point = s->pt.seq;
			st->engine_idx = s->eng_i;
			st->engine = &s->o.engines[s->eng_i];
			st->index = idx;
			st->hash = s->h_cur;
			st->flags = torn_hash_eq(&s->h_cur, &s->h_pers) ?
					    TORN_STATE_F_PERSISTED : 0;
			st->n_delta = s->n_delta;
			st->delta = s->delta;
			s->stats.unique++;
			s->stats.engine_unique[s->eng_i]++;
			if (st->flags & TORN_STATE_F_PERSISTED)
				s->stats.persisted++;
			return 1;
		}
		s->eng_i++;
		run->started = false;
	}
	return 0;
}

void torn_states_get_stats(const struct torn_states *s,
			   struct torn_states_stats *st)
{
	*st = s->stats;
}

const char *torn_states_get_error(const struct torn_states *s)
{
	return s->err.msg;
}

int torn_states_get_model(const struct torn_states *s)
{
	return s->model;
}

void torn_state_apply(const struct torn_crash_state *st, void *img)
{
	uint8_t *p = img;
	size_t i;

	for (i = 0; i < st->n_delta; i++)
		memcpy(p + st->delta[i].offset, st->delta[i].data,
		       st->delta[i].len);
}

int torn_state_image(const struct torn_trace *t, const void *base,
		     size_t size, const struct torn_states_opts *o,
		     const char *id, void *out, struct torn_hash128 *hash,
		     struct torn_err *err)
{
	struct torn_states_opts so;
	struct torn_crash_point pt;
	struct torn_crash_state st;
	struct torn_states *s;
	uint64_t point, index;
	struct torn_engine e;
	uint8_t *img = out;
	char eng[64];
	size_t i;
	int ret;

	ret = torn_state_id_parse(id, &point, &e, &index, err);
	if (ret)
		return ret;
	torn_states_opts_init(&so);
	so.model = o->model;
	so.granularity = o->granularity;
	so.n_engines = 1;
	so.engines[0] = e;
	so.only_point = point;
	ret = torn_states_new(&s, t, base, size, &so, err);
	if (ret)
		return ret;
	ret = torn_states_next_point(s, &pt);
	if (ret < 0) {
		torn_err_set(err, ret, "state %s: %s", id, s->err.msg);
		goto out_free;
	}
	if (ret == 0) {
		ret = torn_err_set(err, TORN_E_NOTFOUND,
				   "state %s: no crash point %" PRIu64
				   ", the trace has %zu records",
				   id, point, torn_trace_get_count(t));
		goto out_free;
	}
	torn_engine_format(&e, eng, sizeof(eng));
	if (index >= pt.engine_states[0]) {
		ret = torn_err_set(err, TORN_E_NOTFOUND,
				   "state %s: engine %s has %" PRIu64
				   " states at point %" PRIu64,
				   id, eng, pt.engine_states[0], point);
		goto out_free;
	}
	engine_start(s, 0);
	engine_goto(s, index);
	engine_delta(s);
	if (base)
		memcpy(img, base, size);
	else
		memset(img, 0, size);
	for (i = 0; i < pt.n_changed; i++)
		memcpy(img + (pt.changed[i].line << LINE_SHIFT),
		       pt.changed[i].data, TORN_LINE_SIZE);
	st.n_delta = s->n_delta;
	st.delta = s->delta;
	torn_state_apply(&st, img);
	if (hash)
		*hash = s->h_cur;
	ret = 0;
out_free:
	torn_states_free(s);
	return ret;
}
