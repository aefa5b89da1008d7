/* What the trace library's files share and its users never see. */
#ifndef TORN_TRACE_INTERNAL_H
#define TORN_TRACE_INTERNAL_H

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

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
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
		memcpy(p + REC_STORE_FIXED, rec->data, rec->size);
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
			memcpy(p + REC_MARK_FIXED, rec->data, rec->size);
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
