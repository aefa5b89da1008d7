/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What became of each write in flight in one crash state (stepper.h:
 * torn_inflight_fates), judged on the write's own bytes: those no later
 * in-flight write overwrites and that differ from the persisted image.
 * Pure; one mask per write and one per line in flight, never per byte.
 */
#include <stdlib.h>

#include "stepper.h"

/* Bits of the bytes of its line w covers. */
static uint64_t write_mask(const struct torn_inflight_write *w)
{
	unsigned int first = (unsigned int)(w->offset % TORN_LINE_SIZE);

	return (w->len >= 64 ? ~0ull : ((1ull << w->len) - 1)) << first;
}

/* The mask slot of line in an open-addressed table of cap (a power of 2). */
static uint64_t *slot(uint64_t *keys, uint64_t *masks, size_t cap,
		      uint64_t line)
{
	size_t i = (size_t)(line * 0x9e3779b97f4a7c15ull) & (cap - 1);

	while (keys[i] && keys[i] != line + 1)
		i = (i + 1) & (cap - 1);
	keys[i] = line + 1;
	return &masks[i];
}

int torn_inflight_fates(const struct torn_record *recs,
			const struct torn_inflight_write *w, size_t n,
			const uint8_t *persisted, const uint8_t *state,
			int *fate)
{
	size_t cap = 16, i;
	uint64_t *keys, *masks;

	while (cap < 2 * n)
		cap *= 2;
	keys = calloc(cap, sizeof(*keys));
	masks = calloc(cap, sizeof(*masks));
	if (!keys || !masks) {
		free(keys);
		free(masks);
		return -1;
	}
	/* backwards: a write owns the bytes no later write covers */
	for (i = n; i-- > 0;) {
		const struct torn_record *s = &recs[w[i].record];
		const uint8_t *data = s->data + (w[i].offset - s->offset);
		uint64_t *mask =
			slot(keys, masks, cap, w[i].offset / TORN_LINE_SIZE);
		uint64_t own = write_mask(&w[i]) & ~*mask, b;
		uint64_t mine = 0, kept = 0;

		*mask |= write_mask(&w[i]);
		for (b = 0; b < w[i].len; b++) {
			uint64_t at = w[i].offset + b;

			if (!(own & (1ull << (at % TORN_LINE_SIZE))) ||
			    data[b] == persisted[at])
				continue;
			mine++;
			kept += state[at] == data[b];
		}
		fate[i] = !mine		 ? TORN_FATE_SAME
			  : kept == mine ? TORN_FATE_PERSISTED
			  : !kept	 ? TORN_FATE_DROPPED
					 : TORN_FATE_TORN;
	}
	free(keys);
	free(masks);
	return 0;
}

const char *torn_fate_name(int fate)
{
	switch (fate) {
	case TORN_FATE_PERSISTED:
		return "persisted";
	case TORN_FATE_DROPPED:
		return "DROPPED";
	case TORN_FATE_TORN:
		return "TORN";
	}
	return "same";
}
