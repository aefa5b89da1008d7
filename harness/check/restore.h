/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restoring a checker's NVDIMM backing file between crash states. */
#ifndef TORN_CHECK_RESTORE_H
#define TORN_CHECK_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "states.h"

#define CHECK_PAGE 4096

/*
 * Make dst equal want, 4 KiB page by page, copying only pages that
 * differ; returns how many were copied.  torn replay restores its one
 * image so; a check restores by the pages that changed (below).
 */
uint64_t check_restore(uint8_t *dst, const uint8_t *want, size_t size);

/*
 * The pages of a checker's backing file that may differ from the
 * persisted image at the crash point being walked: a bit per 4 KiB page.
 * Marks are atomic (the walk marks the lines each crash point persists,
 * a checker thread the pages its guest wrote); check_restore_state,
 * which reads and clears them, runs while the checker is idle.
 */
struct check_pages {
	uint64_t *bits;
	uint64_t npages;
};

int check_pages_init(struct check_pages *p, uint64_t size);
void check_pages_fini(struct check_pages *p);
/* Mark the pages [off, off + len) touches. */
void check_pages_mark(struct check_pages *p, uint64_t off, uint64_t len);
void check_pages_mark_all(struct check_pages *p);
uint64_t check_pages_count(const struct check_pages *p);

/*
 * Make pm the image of state cs, persisted + cs's delta, given that pm
 * equals persisted on every page stale does not mark: each marked page
 * (and each page the delta touches) that differs from persisted is
 * copied back, then the delta is applied, and stale is left marking the
 * delta's pages (where pm now differs from persisted).  In proportion to
 * the pages marked, not to the image.  Returns the pages copied.  changed
 * (NULL: none) gets a mark on each page pm may now differ from what it
 * held: the pages copied and the delta's (what a remote checker uploads).
 */
uint64_t check_restore_state(uint8_t *pm, const uint8_t *persisted,
			     const struct torn_crash_state *cs,
			     struct check_pages *stale,
			     struct check_pages *changed);

/*
 * The runs of pages p marks, runs closer than gap pages apart joined:
 * fn(offset, length) for each, in order; p is cleared.  Returns the runs.
 */
uint64_t check_pages_runs(struct check_pages *p, uint64_t gap,
			  void (*fn)(uint64_t off, uint64_t len, void *ctx),
			  void *ctx);

#endif
