/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restoring a checker's NVDIMM backing file between crash states. */
#include <string.h>

#include "restore.h"

#define PAGE 4096

uint64_t check_restore(uint8_t *dst, const uint8_t *want, size_t size)
{
	uint64_t copied = 0;
	size_t off;

	for (off = 0; off < size; off += PAGE)
		if (memcmp(dst + off, want + off, PAGE)) {
			memcpy(dst + off, want + off, PAGE);
			copied++;
		}
	return copied;
}
