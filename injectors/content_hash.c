/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-image content hashes, for tests and checks (see content_hash.h). */
#include <inttypes.h>
#include <stdio.h>

#include "content_hash.h"

void torn_image_hash(const void *base, const void *img, size_t size,
		     struct torn_hash128 *out)
{
	static const uint8_t zero[8];
	const uint8_t *b = base, *p = img;
	size_t g;

	out->lo = 0;
	out->hi = 0;
	for (g = 0; g < size / 8; g++)
		torn_hash_granule_change(out, g, b ? b + g * 8 : zero,
					 p + g * 8);
}

void torn_hash_format(const struct torn_hash128 *h, char buf[33])
{
	snprintf(buf, 33, "%016" PRIx64 "%016" PRIx64, h->hi, h->lo);
}
