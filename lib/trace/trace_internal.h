/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the trace library's files share and its users never see. */
#ifndef TORN_TRACE_INTERNAL_H
#define TORN_TRACE_INTERNAL_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "trace.h"

/* Bytes of each record kind on disk, not counting store values or text. */
#define REC_HEAD_SIZE 4
#define REC_STORE_FIXED (REC_HEAD_SIZE + 8 + 8)
#define REC_FLUSH_FIXED (REC_HEAD_SIZE + 8 + 8)
#define REC_FENCE_FIXED (REC_HEAD_SIZE + 8)
#define REC_MARK_FIXED (REC_HEAD_SIZE + 4 + 8)
#define REC_END_SIZE (REC_HEAD_SIZE + 8)
/* The longest record: a MARK with 255 bytes of text. */
#define REC_MAX_SIZE (REC_MARK_FIXED + TORN_MARK_TEXT_MAX)

/* Offsets inside the 64-byte file header. */
#define HDR_MAGIC 0
#define HDR_VERSION 8
#define HDR_SIZE 12
#define HDR_PM_BASE 16
#define HDR_PM_SIZE 24
#define HDR_LINE_SIZE 32
#define HDR_FEATURES 36
#define HDR_FLAGS 40
#define HDR_RESERVED 44

/* Explicit little-endian; on x86 each is one unaligned move. */
static inline void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/*
 * Copy n bytes (at most 255) in 8-byte words: a memcpy of a variable
 * size compiles to rep movs here, whose start-up cost dominated appends.
 */
static inline void copy_small(uint8_t *dst, const uint8_t *src, size_t n)
{
	uint64_t w;

	for (; n >= 8; n -= 8, src += 8, dst += 8) {
		memcpy(&w, src, 8);
		memcpy(dst, &w, 8);
	}
	if (n >= 4) {
		uint32_t h;

		memcpy(&h, src, 4);
		memcpy(dst, &h, 4);
		n -= 4, src += 4, dst += 4;
	}
	while (n--)
		*dst++ = *src++;
}

/*
 * Encode rec (already checked) at p, which has room for REC_MAX_SIZE
 * bytes; returns the bytes used.  Kept inline: the writer's hot path.
 */
static inline size_t trace_encode_record(uint8_t *p,
					 const struct torn_record *rec)
{
	p[0] = rec->kind;
	p[1] = rec->flags;
	p[2] = rec->sub;
	p[3] = 0;
	switch (rec->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		p[2] = 0;
		p[3] = rec->size;
		put_le64(p + 4, rec->offset);
		put_le64(p + 12, rec->pc);
		copy_small(p + REC_STORE_FIXED, rec->data, rec->size);
		return REC_STORE_FIXED + rec->size;
	case TORN_REC_FLUSH:
		put_le64(p + 4, rec->offset);
		put_le64(p + 12, rec->pc);
		return REC_FLUSH_FIXED;
	case TORN_REC_UNRESOLVED:
		put_le64(p + 4, rec->vaddr);
		put_le64(p + 12, rec->pc);
		return REC_FLUSH_FIXED;
	case TORN_REC_FENCE:
		put_le64(p + 4, rec->pc);
		return REC_FENCE_FIXED;
	case TORN_REC_MARK:
		p[2] = 0;
		p[3] = rec->size;
		put_le32(p + 4, rec->mark_id);
		put_le64(p + 8, rec->arg);
		if (rec->size)
			copy_small(p + REC_MARK_FIXED, rec->data, rec->size);
		return REC_MARK_FIXED + rec->size;
	}
	return 0;
}

/* Encode the 64-byte file header of hdr (already checked) at p. */
void trace_encode_header(uint8_t *p, const struct torn_trace_header *hdr);

/*
 * Check a header or a record against the rules in trace.h.  On failure
 * write the reason (no prefix) into why and return TORN_E_*.
 */
int trace_check_header(const struct torn_trace_header *hdr, char *why,
		       size_t len);
int trace_check_record(const struct torn_trace_header *hdr,
		       const struct torn_record *rec, char *why, size_t len);

/* The header that torn_trace_new(NULL) and headerless text use. */
void trace_default_header(struct torn_trace_header *hdr);

#endif
