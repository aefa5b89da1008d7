/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The content hash of a PM image, kept up to date one granule at a time. */
#ifndef TORN_CONTENT_HASH_H
#define TORN_CONTENT_HASH_H

/*
 * An image's content hash is a sum, relative to the base image:
 *
 *   H(img) = sum over 8-byte granules g of  h(g, img[g]) - h(g, base[g])
 *
 * computed lane-wise modulo 2^64 in two independent 64-bit lanes, where
 * h(g, v) is a keyed mix of the granule index and its value.  So:
 *   - H(base) = 0, and granules equal to the base cost nothing;
 *   - replacing one granule's value is one subtract and one add, so the
 *     model keeps the persisted image's hash current as lines persist and
 *     derives a crash state's hash from its delta alone, never hashing a
 *     whole image;
 *   - two images (over the same base) with equal content have equal
 *     hashes; distinct images collide with probability about 2^-128 per
 *     pair (a multiset sum hash over a well-mixed element hash), which
 *     is what lets dedup keep a fingerprint per state, not an image.
 * Not a cryptographic hash: traces are not adversarial.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct torn_hash128 {
	uint64_t lo;
	uint64_t hi;
};

static inline void torn_hash_add(struct torn_hash128 *a,
				 const struct torn_hash128 *b)
{
	a->lo += b->lo;
	a->hi += b->hi;
}

static inline void torn_hash_sub(struct torn_hash128 *a,
				 const struct torn_hash128 *b)
{
	a->lo -= b->lo;
	a->hi -= b->hi;
}

static inline int torn_hash_eq(const struct torn_hash128 *a,
			       const struct torn_hash128 *b)
{
	return a->lo == b->lo && a->hi == b->hi;
}

/* Two bijective 64-bit finalizers with good avalanche (own constants). */
static inline uint64_t torn_mix64a(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9fb21c651e98df25ULL;
	x ^= x >> 29;
	x *= 0xc2b2ae3d27d4eb4fULL;
	x ^= x >> 32;
	return x;
}

static inline uint64_t torn_mix64b(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* h(g, v): the hash of granule index g holding value v (little-endian). */
static inline void torn_granule_hash(uint64_t g, uint64_t v,
				     struct torn_hash128 *out)
{
	uint64_t k = g * 0x9e3779b97f4a7c15ULL;
	uint64_t r = k << 29 | k >> 35;

	out->lo = torn_mix64a(v ^ k ^ 0x243f6a8885a308d3ULL);
	out->hi = torn_mix64b((v + r) ^ 0x13198a2e03707344ULL);
}

/* A granule's value from its 8 bytes in memory order. */
static inline uint64_t torn_granule_load(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v; /* only ever hashed: host byte order is fine */
}

/*
 * Add to *acc the hash change of granule g going from old[0..7] to
 * new[0..7]; nothing when they are equal.
 */
static inline void torn_hash_granule_change(struct torn_hash128 *acc,
					    uint64_t g, const uint8_t *old,
					    const uint8_t *new)
{
	uint64_t a = torn_granule_load(old), b = torn_granule_load(new);
	struct torn_hash128 h;

	if (a == b)
		return;
	torn_granule_hash(g, b, &h);
	torn_hash_add(acc, &h);
	torn_granule_hash(g, a, &h);
	torn_hash_sub(acc, &h);
}

/*
 * H(img) relative to base, both size bytes (a multiple of 8), by brute
 * force.  base NULL means an all-zero base.  For tests and checks.
 */
void torn_image_hash(const void *base, const void *img, size_t size,
		     struct torn_hash128 *out);

/* 32 lower-case hex digits (hi then lo) and a NUL into buf[33]. */
void torn_hash_format(const struct torn_hash128 *h, char buf[33]);

#endif
