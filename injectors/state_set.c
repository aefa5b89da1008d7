/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The dedup set: content hashes in an open-addressing table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "states_int.h"

/*
 * A slot is 8 bytes: a 63-bit fingerprint of the 128-bit content hash,
 * (hi ^ mix(lo)) | 1, so that 0 marks an empty slot; its place in the
 * table comes from its own bits (so the table can grow without the full
 * hash), linear probing, at most 3/4 full.  Two different states are
 * taken for one only if their fingerprints agree: over a run of n unique
 * states that happens with probability about n^2 / 2^64, e.g. 5e-6 for
 * n = 10^7, more states than a run can check.  The set costs 11 to 21
 * bytes per unique state.  The all-zero hash (the base image's) is kept
 * aside in has_zero.  Tables of 2 MiB and more ask for transparent huge
 * pages: probes miss the cache anyway, they should not miss the TLB too.
 */
struct torn_state_set {
	uint64_t *slots;
	size_t mask;
	size_t count;
	bool has_zero;
};

#define SET_INITIAL 4096
#define HUGE_BYTES (2u << 20)

static uint64_t *slots_alloc(size_t n)
{
	size_t bytes = n * sizeof(uint64_t);
	void *p;

	if (bytes < HUGE_BYTES)
		return calloc(n, sizeof(uint64_t));
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failure is fine */
	return p;
}

static void slots_free(uint64_t *slots, size_t n)
{
	if (n * sizeof(uint64_t) < HUGE_BYTES)
		free(slots);
	else
		munmap(slots, n * sizeof(uint64_t));
}

int torn_state_set_new(struct torn_state_set **out)
{
	struct torn_state_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	set->slots = slots_alloc(SET_INITIAL);
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
	slots_free(set->slots, set->mask + 1);
	free(set);
}

/* Where fingerprint fp starts probing. */
static inline size_t place(uint64_t fp, size_t mask)
{
	return (size_t)(fp >> 1) & mask;
}

static int set_grow(struct torn_state_set *set)
{
	size_t cap = (set->mask + 1) * 2, i, j;
	uint64_t *slots = slots_alloc(cap);

	if (!slots)
		return -ENOMEM;
	for (i = 0; i <= set->mask; i++) {
		uint64_t fp = set->slots[i];

		if (!fp)
			continue;
		for (j = place(fp, cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = fp;
	}
	slots_free(set->slots, set->mask + 1);
	set->slots = slots;
	set->mask = cap - 1;
	return 0;
}

int torn_state_set_add(struct torn_state_set *set, const struct torn_hash128 *h)
{
	uint64_t fp;
	size_t j;
	int ret;

	if (!h->lo && !h->hi) {
		if (set->has_zero)
			return 0;
		set->has_zero = true;
		set->count++;
		return 1;
	}
	fp = (h->hi ^ torn_mix64a(h->lo)) | 1;
	for (j = place(fp, set->mask); set->slots[j]; j = (j + 1) & set->mask)
		if (set->slots[j] == fp)
			return 0;
	if ((set->count + 1) * 4 > (set->mask + 1) * 3) {
		ret = set_grow(set);
		if (ret)
			return ret;
		for (j = place(fp, set->mask); set->slots[j];
		     j = (j + 1) & set->mask)
			;
	}
	set->slots[j] = fp;
	set->count++;
	return 1;
}

size_t torn_state_set_count(const struct torn_state_set *set)
{
	return set->count;
}

size_t torn_state_set_bytes(const struct torn_state_set *set)
{
	return sizeof(*set) + (set->mask + 1) * sizeof(uint64_t);
}
