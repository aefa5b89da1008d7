/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The persistency model stepped record by record, without the engines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "states_int.h"
#include "stepper.h"

/*
 * The model's own replay state, driven with model_apply one record at a
 * time; no crash point is ever built, so the engines' tables stay empty.
 */
struct torn_stepper {
	struct torn_states *s;
	int ret; /* a sticky step error, else 0 */
	struct torn_err err;
	/*
	 * Scratch for torn_stepper_foreach_inflight, one slot per touched
	 * line: how many of the line's writes the walk has passed.  Grown
	 * by the steps, so that the walk, a reader, never allocates.
	 */
	uint32_t *seen;
	uint32_t cap_seen;
};

int torn_stepper_new(struct torn_stepper **out, const struct torn_trace *t,
		     const void *base, size_t size, int model,
		     struct torn_err *err)
{
	struct torn_states_opts o;
	struct torn_stepper *st;
	int ret;

	if (!out || !t)
		return torn_err_set(err, TORN_E_USAGE,
				    "stepper: no trace given");
	if (model != TORN_MODEL_AUTO && model != TORN_MODEL_ADR &&
	    model != TORN_MODEL_EADR)
		return torn_err_set(err, TORN_E_USAGE, "unknown model %d",
				    model);
	st = calloc(1, sizeof(*st));
	if (!st)
		return torn_err_set(err, -ENOMEM, "out of memory");
	/* The default engines are checked but never run. */
	torn_states_opts_init(&o);
	o.model = model;
	ret = torn_states_new(&st->s, t, base, size, &o, err);
	if (ret) {
		free(st);
		return ret;
	}
	*out = st;
	return 0;
}

void torn_stepper_free(struct torn_stepper *st)
{
	if (!st)
		return;
	torn_states_free(st->s);
	free(st->seen);
	free(st);
}

int torn_stepper_model(const struct torn_stepper *st)
{
	return st->s->model;
}

int torn_stepper_step(struct torn_stepper *st)
{
	struct torn_states *s = st->s;
	int ret;

	if (st->ret)
		return st->ret;
	if (s->pos >= s->n_recs)
		return 0;
	ret = model_apply(s, &s->recs[s->pos], s->pos, &st->err);
	if (!ret && s->n_lines > st->cap_seen &&
	    grow_array((void **)&st->seen, &st->cap_seen, s->n_lines,
		       sizeof(*st->seen)))
		ret = torn_err_set(&st->err, -ENOMEM,
				   "record %zu: out of memory", s->pos);
	if (ret) {
		st->ret = ret;
		return ret;
	}
	s->pos++;
	return 1;
}

int torn_stepper_advance_to(struct torn_stepper *st, size_t pos)
{
	struct torn_states *s = st->s;
	int ret;

	if (pos < s->pos || pos > s->n_recs)
		return torn_err_set(
			&st->err, TORN_E_USAGE,
			"cannot step to record %zu: the stepper is at %zu of %zu",
			pos, s->pos, s->n_recs);
	while (s->pos < pos) {
		ret = torn_stepper_step(st);
		if (ret < 0)
			return ret;
	}
	return 0;
}

size_t torn_stepper_pos(const struct torn_stepper *st)
{
	return st->s->pos;
}

const char *torn_stepper_error(const struct torn_stepper *st)
{
	return st->err.msg;
}

uint32_t torn_stepper_inflight_lines(const struct torn_stepper *st)
{
	return st->s->n_inflight_lines;
}

uint32_t torn_stepper_inflight_writes(const struct torn_stepper *st)
{
	return st->s->n_inflight;
}

static void write_of(const struct torn_states *s, const struct frag *f,
		     bool flush_initiated, struct torn_inflight_write *w)
{
	w->record = (size_t)(f->seq / 2); /* seq = record * 2 + part */
	w->offset = (s->lines[f->line].line << LINE_SHIFT) + f->off;
	w->len = f->len;
	w->nt = f->nt;
	w->flush_initiated = flush_initiated;
}

int torn_stepper_foreach_inflight(const struct torn_stepper *st,
				  int (*fn)(const struct torn_inflight_write *w,
					    void *ctx),
				  void *ctx)
{
	const struct torn_states *s = st->s;
	struct torn_inflight_write w;
	uint32_t fi;
	int ret;

	/*
	 * A line's list is the global list restricted to the line, and its
	 * first n_flushinit writes are the flush-initiated ones: count the
	 * line's writes passed so far.
	 */
	for (fi = s->ghead; fi != NONE32; fi = s->frags[fi].gnext)
		st->seen[s->frags[fi].line] = 0;
	for (fi = s->ghead; fi != NONE32; fi = s->frags[fi].gnext) {
		const struct frag *f = &s->frags[fi];
		const struct line_state *l = &s->lines[f->line];

		write_of(s, f, st->seen[f->line]++ < l->n_flushinit, &w);
		ret = fn(&w, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int torn_stepper_foreach_line_inflight(
	const struct torn_stepper *st, uint64_t offset,
	int (*fn)(const struct torn_inflight_write *w, void *ctx), void *ctx)
{
	struct torn_states *s = st->s;
	struct torn_inflight_write w;
	const struct line_state *l;
	uint32_t fi, k = 0;
	int ret;

	if (offset >= s->pm_size)
		return 0;
	l = model_line(s, offset >> LINE_SHIFT);
	if (!l)
		return 0;
	for (fi = l->head; fi != NONE32 && k < l->n_inflight;
	     fi = s->frags[fi].next, k++) {
		write_of(s, &s->frags[fi], k < l->n_flushinit, &w);
		ret = fn(&w, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

void torn_stepper_persisted_image(const struct torn_stepper *st, void *out)
{
	const struct torn_states *s = st->s;
	uint8_t *img = out;
	uint32_t i;

	if (s->base)
		memcpy(img, s->base, s->pm_size);
	else
		memset(img, 0, s->pm_size);
	for (i = 0; i < s->n_lines; i++)
		memcpy(img + (s->lines[i].line << LINE_SHIFT),
		       s->lines[i].persisted, TORN_LINE_SIZE);
}

void torn_stepper_full_image(const struct torn_stepper *st, void *out)
{
	const struct torn_states *s = st->s;
	uint8_t *img = out;
	uint32_t i;

	/*
	 * A line's persisted content plus its in-flight writes in order is
	 * every store to it: its last write's snapshot (states_int.h).
	 */
	torn_stepper_persisted_image(st, out);
	for (i = 0; i < s->n_lines; i++)
		if (s->lines[i].n_inflight)
			memcpy(img + (s->lines[i].line << LINE_SHIFT),
			       s->frags[s->lines[i].tail].snap, TORN_LINE_SIZE);
}
