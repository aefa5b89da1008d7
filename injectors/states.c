/* SPDX-License-Identifier: GPL-2.0-or-later */
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
	o->threads = 1;
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
		return torn_err_set(err, TORN_E_USAGE, "unknown granularity %d",
				    o->granularity);
	if (o->points &
	    ~(TORN_POINTS_FENCE | TORN_POINTS_FLUSH | TORN_POINTS_STORE |
	      TORN_POINTS_MARKER | TORN_POINTS_ALL))
		return torn_err_set(err, TORN_E_USAGE,
				    "unknown crash point bits 0x%x", o->points);
	if ((o->points & TORN_POINTS_STORE) && !o->store_every)
		return torn_err_set(err, TORN_E_USAGE,
				    "crash points store:N need N >= 1");
	if (o->threads > 2)
		return torn_err_set(err, TORN_E_USAGE,
				    "%u threads: expected 1 or 2", o->threads);
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
		     e->kind == TORN_ENGINE_RANDOM) &&
		    !e->n)
			return torn_err_set(err, TORN_E_USAGE,
					    "engine %u: parameter 0", i);
	}
	return 0;
}

static void *replay_thread(void *arg);

int torn_states_new(struct torn_states **out, const struct torn_trace *t,
		    const void *base, size_t size,
		    const struct torn_states_opts *o, struct torn_err *err)
{
	const struct torn_trace_header *hdr = torn_trace_get_header(t);
	struct torn_states *s;
	unsigned int i;
	int ret;

	ret = check_opts(o, err);
	if (ret)
		return ret;
	if (hdr->line_size != TORN_LINE_SIZE || size != hdr->pm_size)
		return torn_err_set(
			err, TORN_E_RANGE,
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
		s->model = hdr->cpu_features & TORN_CPU_EADR ? TORN_MODEL_EADR
							     : TORN_MODEL_ADR;
	s->gran = o->granularity;
	for (i = 0; i < o->n_engines; i++)
		if (o->engines[i].kind == TORN_ENGINE_TORN)
			s->any_torn = true;
	s->free_frag = NONE32;
	s->ghead = s->gtail = NONE32;
	s->changed_stamp = 1;
	if (o->threads > 1 && o->only_point == TORN_POINT_ANY) {
		s->threaded = true;
		pthread_mutex_init(&s->mu, NULL);
		pthread_cond_init(&s->cv, NULL);
		ret = pthread_create(&s->thread, NULL, replay_thread, s);
		if (ret) {
			pthread_cond_destroy(&s->cv);
			pthread_mutex_destroy(&s->mu);
			free(s);
			return torn_err_set(err, -ret,
					    "cannot start the replay thread");
		}
	}
	*out = s;
	return 0;
}

void torn_states_free(struct torn_states *s)
{
	unsigned int i;

	if (!s)
		return;
	if (s->threaded) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
	}
	model_free(s);
	for (i = 0; i < NPOINTS; i++)
		point_free(&s->pts[i]);
	free(s->ptl);
	free(s->unit_cur);
	free(s->unit_data);
	free(s->unit_stamp);
	free(s->p);
	free(s->nz);
	free(s->nzpos);
	free(s->comb);
	free(s->delta);
	free(s->sh_best);
	free(s->torn_lines);
	free(s);
}

static bool is_store(const struct torn_record *r)
{
	return r->kind == TORN_REC_STORE || r->kind == TORN_REC_NT_STORE;
}

/* Is there a crash point before record s->pos? */
static bool is_point(struct torn_states *s)
{
	unsigned int pts = s->o.points;
	const struct torn_record *r;

	if (s->o.only_point != TORN_POINT_ANY)
		return s->pos == s->o.only_point;
	r = s->pos < s->n_recs ? &s->recs[s->pos] : NULL;
	/*
	 * A marker is a point even with nothing in flight: what the
	 * program acknowledged there (a durable marker) may never have
	 * reached the NVDIMM at all (a page cache without DAX, data kept
	 * in DRAM), and only a state after the marker can show that.
	 */
	if (r && r->kind == TORN_REC_MARK && (pts & TORN_POINTS_MARKER))
		return true;
	if (!s->n_inflight)
		return false;
	if (!r || (pts & TORN_POINTS_ALL))
		return true;
	switch (r->kind) {
	case TORN_REC_FENCE:
		if (pts & TORN_POINTS_FENCE)
			return true;
		break;
	case TORN_REC_FLUSH:
	case TORN_REC_UNRESOLVED:
		if (pts & TORN_POINTS_FLUSH)
			return true;
		/*
		 * A clflush takes writes out of flight without a fence:
		 * the next fence point no longer sees the moment before
		 * it, so fence points include it (model.h).
		 */
		if ((pts & TORN_POINTS_FENCE) && model_clflush_persists(s, r))
			return true;
		break;
	}
	return (pts & TORN_POINTS_STORE) && s->pos > 0 &&
	       is_store(&s->recs[s->pos - 1]) &&
	       s->stores_seen % s->o.store_every == 0;
}

/*
 * The replay side: replay up to the next crash point and build it into
 * pk.  1, 0 at the end of the trace, or an error explained in s->rerr.
 */
static int replay_next(struct torn_states *s, struct point *pk)
{
	int ret;

	for (;;) {
		if (!s->point_taken && is_point(s)) {
			ret = point_build(s, pk, &s->rerr);
			if (ret)
				return ret;
			s->point_taken = true;
			return 1;
		}
		if (s->pos >= s->n_recs || (s->o.only_point != TORN_POINT_ANY &&
					    s->pos >= s->o.only_point))
			return 0;
		ret = model_apply(s, &s->recs[s->pos], s->pos, &s->rerr);
		if (ret)
			return ret;
		s->pos++;
		s->point_taken = false;
	}
}

/*
 * With threads, replay runs here, up to NPOINTS - 1 points ahead of the
 * point the engines work on; the engine side takes points in order, so
 * the output is the same as without threads.
 */
static void *replay_thread(void *arg)
{
	struct torn_states *s = arg;
	struct point *pk;
	int ret;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->stop && s->built - s->taken >= NPOINTS)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		pk = &s->pts[s->built % NPOINTS];
		pthread_mutex_unlock(&s->mu);
		ret = replay_next(s, pk);
		pthread_mutex_lock(&s->mu);
		if (ret == 1) {
			s->built++;
		} else {
			s->done = true;
			s->done_ret = ret;
		}
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		if (ret != 1)
			return NULL;
	}
}

/* The engine side: the next built point, or NULL at the end / error. */
static struct point *take_point(struct torn_states *s, int *ret)
{
	struct point *pk = NULL;

	if (!s->threaded) {
		*ret = replay_next(s, &s->pts[0]);
		return *ret == 1 ? &s->pts[0] : NULL;
	}
	pthread_mutex_lock(&s->mu);
	if (s->cur) {
		s->taken++;
		pthread_cond_broadcast(&s->cv);
	}
	while (s->built == s->taken && !s->done)
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->built > s->taken) {
		pk = &s->pts[s->taken % NPOINTS];
		*ret = 1;
	} else {
		*ret = s->done_ret;
	}
	pthread_mutex_unlock(&s->mu);
	return pk;
}

int torn_states_next_point(struct torn_states *s, struct torn_crash_point *pt)
{
	struct point *pk;
	int ret;

	pk = take_point(s, &ret);
	s->cur = pk;
	if (!pk) {
		if (ret < 0) {
			s->err = s->rerr;
			return ret;
		}
		/* The replay side is finished: its counters are final. */
		s->stats.records = s->pos;
		s->stats.unresolved = s->unresolved;
		s->stats.lines_touched = s->n_lines;
		return 0;
	}
	ret = engine_scratch(s);
	if (ret) {
		s->cur = NULL;
		return torn_err_set(&s->err, ret, "out of memory");
	}
	s->eng_i = 0;
	s->run.started = false;
	s->stats.points++;
	s->stats.fallbacks +=
		(uint64_t)__builtin_popcount(pk->pt.full_fallback);
	s->stats.records = pk->records;
	s->stats.unresolved = pk->unresolved;
	s->stats.lines_touched = pk->lines_touched;
	if (pk->n_W > s->stats.max_inflight_writes)
		s->stats.max_inflight_writes = pk->n_W;
	if (pk->pt.inflight_lines > s->stats.max_inflight_lines)
		s->stats.max_inflight_lines = pk->pt.inflight_lines;
	*pt = pk->pt;
	return 1;
}

int torn_states_next_state(struct torn_states *s, struct torn_crash_state *st)
{
	int ret;

	if (!s->cur)
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
				ret = torn_state_set_add(s->o.dedup,
							 &s->h_state);
				if (ret < 0)
					return torn_err_set(
						&s->err, ret,
						"dedup set: out of memory");
				if (!ret) {
					s->stats.duplicates++;
					continue;
				}
			}
			engine_delta(s);
			st->point = s->cur->pt.seq;
			st->engine_idx = s->eng_i;
			st->engine = &s->o.engines[s->eng_i];
			st->index = idx;
			st->hash = s->h_state;
			st->flags = torn_hash_eq(&s->h_state, &s->cur->h_pers)
					    ? TORN_STATE_F_PERSISTED
					    : 0;
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

int torn_state_image(const struct torn_trace *t, const void *base, size_t size,
		     const struct torn_states_opts *o, const char *id,
		     void *out, struct torn_hash128 *hash, struct torn_err *err)
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
		*hash = s->h_state;
	ret = 0;
out_free:
	torn_states_free(s);
	return ret;
}
