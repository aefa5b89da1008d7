/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The persistency model stepped record by record, for tools that look inside
 * it. */
#ifndef TORN_STEPPER_H
#define TORN_STEPPER_H

/*
 * torn_states enumerates crash states; the stepper is the same model
 * (model.c, the rules in model.h) without the engines: it applies one
 * record at a time and tells what is in flight and what is persisted
 * after it.  It is the only other view of the model in the tree: torn
 * verify (durability points), torn report (the in-flight timeline) and
 * torn replay (explain, minimize) all ask it, so a rule changed in
 * model.c changes every one of them.
 *
 * Usage:
 *	torn_stepper_new(&st, trace, base, size, TORN_MODEL_AUTO, &err);
 *	while ((r = torn_stepper_step(st)) == 1) {
 *		pos = torn_stepper_pos(st);	records 0..pos-1 applied
 *		torn_stepper_inflight_lines(st) ...
 *	}
 *
 * Memory is that of the model: the lines the trace touched and the writes
 * in flight, not the NVDIMM size.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "trace.h"
#include "torn_err.h"

struct torn_stepper;

/*
 * A stepper over trace t and base (size bytes = the header's pm_size;
 * base NULL: all zero).  model: TORN_MODEL_AUTO (from the trace header),
 * _ADR or _EADR.  t and base are borrowed.  Errors: TORN_E_USAGE,
 * TORN_E_RANGE for a base of the wrong size, -ENOMEM.
 */
int torn_stepper_new(struct torn_stepper **out, const struct torn_trace *t,
		     const void *base, size_t size, int model,
		     struct torn_err *err);
void torn_stepper_free(struct torn_stepper *st); /* NULL: no-op */

/* The model in force (AUTO resolved). */
int torn_stepper_model(const struct torn_stepper *st);

/*
 * Apply the next record.  1, 0 when every record was applied, or a
 * negative error (a store outside the NVDIMM: TORN_E_FORMAT; -ENOMEM);
 * torn_stepper_error() says why.  An error sticks: every later step
 * returns it.
 */
int torn_stepper_step(struct torn_stepper *st);
/*
 * Step until records 0..pos-1 are applied (pos <= record count).  0, or
 * an error of torn_stepper_step; a pos behind the stepper (it does not
 * go back) or past the end is TORN_E_USAGE.
 */
int torn_stepper_advance_to(struct torn_stepper *st, size_t pos);
/* The next record to apply: records 0..pos-1 are applied. */
size_t torn_stepper_pos(const struct torn_stepper *st);
const char *torn_stepper_error(const struct torn_stepper *st);

/* Lines with at least one write in flight, and the writes; O(1). */
uint32_t torn_stepper_inflight_lines(const struct torn_stepper *st);
uint32_t torn_stepper_inflight_writes(const struct torn_stepper *st);

/*
 * One in-flight write: a store's part within one line (a store that
 * crosses a line is two writes), in program order.
 */
struct torn_inflight_write {
	size_t record; /* the STORE / NT_STORE record it came from */
	uint64_t offset; /* NVDIMM byte offset of its first byte */
	uint32_t len; /* bytes, within one line */
	bool nt; /* a non-temporal store */
	/*
	 * adr: a flush (or the NT store itself) has initiated it: it is
	 * persistent at the next ordering point.  eadr: never set (every
	 * in-flight write is persistent at the next ordering point).
	 */
	bool flush_initiated;
};

/*
 * Call fn for every write in flight now, in program order; stops when fn
 * returns non-zero and returns that, else 0.
 */
int torn_stepper_foreach_inflight(const struct torn_stepper *st,
				  int (*fn)(const struct torn_inflight_write *w,
					    void *ctx),
				  void *ctx);

/*
 * The same for the writes in flight on the line holding byte offset
 * alone, in program order, in time proportional to them (a line the
 * trace never touched, or one outside the NVDIMM, has none).
 */
int torn_stepper_foreach_line_inflight(
	const struct torn_stepper *st, uint64_t offset,
	int (*fn)(const struct torn_inflight_write *w, void *ctx), void *ctx);

/*
 * The persisted image now: base with every persisted write applied
 * (size bytes, the NVDIMM size).  The image with every in-flight write
 * applied as well is base plus every store before pos: torn_stepper_full_image.
 */
void torn_stepper_persisted_image(const struct torn_stepper *st, void *out);
void torn_stepper_full_image(const struct torn_stepper *st, void *out);

/* What became of an in-flight write in one crash state (fates.c). */
enum torn_write_fate {
	TORN_FATE_SAME, /* it changes nothing the state could lose */
	TORN_FATE_PERSISTED, /* every byte of its own is in the state */
	TORN_FATE_DROPPED, /* none is */
	TORN_FATE_TORN, /* some are */
};

/*
 * fate[i] for each of the n writes w[] in flight at a crash point (in
 * program order, as the stepper lists them; recs: the trace's records),
 * judged on the write's own bytes, those no later write in w[] covers and
 * that differ from persisted (the persisted image at the point), against
 * state (the crash state's image).  0, or -1 out of memory.
 */
int torn_inflight_fates(const struct torn_record *recs,
			const struct torn_inflight_write *w, size_t n,
			const uint8_t *persisted, const uint8_t *state,
			int *fate);
const char *torn_fate_name(int fate); /* "persisted", "DROPPED", "TORN" */

#endif
