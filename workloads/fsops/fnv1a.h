/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FNV-1a 64, the content hash of the semantic dump (guests/agent/dump.c). */
#ifndef TORN_FNV1A_H
#define TORN_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define TORN_FNV1A64_INIT 0xcbf29ce484222325ull

/* Fold len bytes into h (start from TORN_FNV1A64_INIT). */
static inline uint64_t torn_fnv1a64(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#endif
