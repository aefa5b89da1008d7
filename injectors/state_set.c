/* The dedup set: 128-bit content hashes, open addressing. */
#include <errno.h>
#include <stdlib.h>

#include "states_int.h"

/*
 * Slots hold the hashes themselves (16 bytes); the all-zero hash, which
 * is the base image's, marks an empty slot and is kept in has_zero.  The
 * low lane is already well mixed, so it indexes the table directly.
 * Linear probing; the table doubles past 70 % load.
 */
struct torn_state_set {
	struct torn_hash128 *slots;
	size_t mask;
	size_t count;
	bool has_zero;
};

#define SET_INITIAL 4096

int torn_state_set_new(struct torn_state_set **out)
{
	struct torn_state_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	set->slots = calloc(SET_INITIAL, sizeof(*set->slots));
	if (!set->slots) {
		free(set);
		return -ENOMEM;
	}
	set->mask = SET_INITIAL - 1;
	*out = set;
	return 0;
}

void torn_state_set_free(struct torn_state_set *set)
{
	if (!set)
		return;
	free(set->slots);
	free(set);
}

static int set_grow(struct torn_state_set *set)
{
	size_t cap = (set->mask + 1) * 2, i, j;
	struct torn_hash128 *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i <= set->mask; i++) {
		const struct torn_hash128 *h = &set->slots[i];

		if (!h->lo && !h->hi)
			continue;
		for (j = h->lo & (cap - 1); slots[j].lo || slots[j].hi;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = *h;
	}
	free(set->slots);
	set->slots = slots;
	set->mask = cap - 1;
	return 0;
}

int torn_state_set_add(struct torn_state_set *set,
		       const struct torn_hash128 *h)
{
	struct torn_hash128 *slot;
	size_t j;
	int ret;

	if (!h->lo && !h->hi) {
		if (set->has_zero)
			return 0;
		set->has_zero = true;
		set->count++;
		return 1;
	}
	for (j = h->lo & set->mask;; j = (j + 1) & set->mask) {
		slot = &set->slots[j];
		if (!slot->lo && !slot->hi)
			break;
		if (slot->lo == h->lo && slot->hi == h->hi)
			return 0;
	}
	if ((set->count + 1) * 10 > (set->mask + 1) * 7) {
		ret = set_grow(set);
		if (ret)
			return ret;
		for (j = h->lo & set->mask; set->slots[j].lo ||
					    set->slots[j].hi;
		     j = (j + 1) & set->mask)
			;
		slot = &set->slots[j];
	}
	*slot = *h;
	set->count++;
	return 1;
}

size_t torn_state_set_count(const struct torn_state_set *set)
{
	return set->count;
}

size_t torn_state_set_bytes(const struct torn_state_set *set)
{
	return sizeof(*set) + (set->mask + 1) * sizeof(*set->slots);
}
