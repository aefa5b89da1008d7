/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restoring a checker's NVDIMM backing file between crash states. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h>

#include "restore.h"

uint64_t check_restore(uint8_t *dst, const uint8_t *want, size_t size)
{
	uint64_t copied = 0;
	size_t off;

	for (off = 0; off < size; off += CHECK_PAGE)
		if (memcmp(dst + off, want + off, CHECK_PAGE)) {
			memcpy(dst + off, want + off, CHECK_PAGE);
			copied++;
		}
	return copied;
}

int check_pages_init(struct check_pages *p, uint64_t size)
{
	p->npages = (size + CHECK_PAGE - 1) / CHECK_PAGE;
	p->bits = calloc((p->npages + 63) / 64 + 1, sizeof(*p->bits));
	return p->bits ? 0 : -ENOMEM;
}

void check_pages_fini(struct check_pages *p)
{
	free(p->bits);
	p->bits = NULL;
	p->npages = 0;
}

void check_pages_mark(struct check_pages *p, uint64_t off, uint64_t len)
{
	uint64_t pg, last;

	if (!len || off / CHECK_PAGE >= p->npages)
		return;
	last = (off + len - 1) / CHECK_PAGE;
	if (last >= p->npages)
		last = p->npages - 1;
	for (pg = off / CHECK_PAGE; pg <= last; pg++)
		__atomic_fetch_or(&p->bits[pg / 64], 1ULL << (pg % 64),
				  __ATOMIC_RELAXED);
}

void check_pages_mark_all(struct check_pages *p)
{
	check_pages_mark(p, 0, p->npages * CHECK_PAGE);
}

uint64_t check_pages_count(const struct check_pages *p)
{
	uint64_t n = 0, w;

	for (w = 0; w < (p->npages + 63) / 64; w++)
		n += (uint64_t)__builtin_popcountll(
			__atomic_load_n(&p->bits[w], __ATOMIC_RELAXED));
	return n;
}

static void mark_delta(struct check_pages *p, const struct torn_crash_state *cs)
{
	size_t i;

	for (i = 0; i < cs->n_delta; i++)
		check_pages_mark(p, cs->delta[i].offset, cs->delta[i].len);
}

uint64_t check_restore_state(uint8_t *pm, const uint8_t *persisted,
			     const struct torn_crash_state *cs,
			     struct check_pages *stale,
			     struct check_pages *changed)
{
	uint64_t copied = 0, w;

	mark_delta(stale, cs);
	for (w = 0; w < (stale->npages + 63) / 64; w++) {
		uint64_t bits = __atomic_exchange_n(&stale->bits[w], 0,
						    __ATOMIC_RELAXED);

		while (bits) {
			uint64_t off =
				(w * 64 + (uint64_t)__builtin_ctzll(bits)) *
				CHECK_PAGE;

			bits &= bits - 1;
			if (memcmp(pm + off, persisted + off, CHECK_PAGE)) {
				memcpy(pm + off, persisted + off, CHECK_PAGE);
				if (changed)
					check_pages_mark(changed, off,
							 CHECK_PAGE);
				copied++;
			}
		}
	}
	torn_state_apply(cs, pm);
	mark_delta(stale, cs);
	if (changed)
		mark_delta(changed, cs);
	return copied;
}

uint64_t check_pages_runs(struct check_pages *p, uint64_t gap,
			  void (*fn)(uint64_t off, uint64_t len, void *ctx),
			  void *ctx)
{
	uint64_t start = 0, end = 0, runs = 0, w;
	bool open = false;

	for (w = 0; w < (p->npages + 63) / 64; w++) {
		uint64_t bits =
			__atomic_exchange_n(&p->bits[w], 0, __ATOMIC_RELAXED);

		while (bits) {
			uint64_t pg = w * 64 + (uint64_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (open && pg <= end + gap) {
				end = pg + 1;
				continue;
			}
			if (open) {
				fn(start * CHECK_PAGE,
				   (end - start) * CHECK_PAGE, ctx);
				runs++;
			}
			start = pg;
			end = pg + 1;
			open = true;
		}
	}
	if (open) {
		fn(start * CHECK_PAGE, (end - start) * CHECK_PAGE, ctx);
		runs++;
	}
	return runs;
}
