/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The .gcda layout the kernel writes (kernel/gcov/gcc_4_7.c, GCC >= 12),
 * without dependencies: lib/gcov and the guest agent both walk it.
 */
#ifndef TORN_GCDA_H
#define TORN_GCDA_H

#include <stdint.h>

#define TORN_GCDA_MAGIC 0x67636461u /* "gcda" */
#define TORN_GCDA_HEADER_WORDS 4 /* magic, version, stamp, checksum */
#define TORN_GCDA_TAG_COUNTER 0x01a10000u /* GCOV_TAG_FOR_COUNTER(0) */

/* Little-endian u32 at p. */
static inline uint32_t torn_gcda_u32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whether tag is GCOV_TAG_FOR_COUNTER(0..31): a record of u64 counters. */
static inline int torn_gcda_is_counter_tag(uint32_t tag)
{
	return tag >= TORN_GCDA_TAG_COUNTER &&
	       tag <= TORN_GCDA_TAG_COUNTER + (31u << 17) &&
	       !((tag - TORN_GCDA_TAG_COUNTER) & 0x1ffffu);
}

#endif
