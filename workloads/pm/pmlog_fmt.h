/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmlog: the on-media format of the append-only log, and its verifier. */
#ifndef TORN_PMLOG_FMT_H
#define TORN_PMLOG_FMT_H

/*
 * A pmlog is PMLOG_SIZE bytes at the start of its file or device:
 *
 *   0    header line: magic "TORNPLOG", version, format, data offset and
 *        size, and a checksum of all of that
 *   64   commit slot 0          (line 1)
 *   128  commit slot 1          (line 2)
 *   256  data: records packed one after another, 8-byte aligned, so that
 *        records straddle cache lines
 *
 * A record is {u32 len, u32 seq, u64 csum, payload[len], zero padding to
 * 8 bytes}; seq counts from 1; csum is FNV-1a over len, seq and payload.
 * Payloads are deterministic (pmlog_payload): the checker knows exactly
 * what record N holds.  Every other payload granule is zero, which keeps
 * the torn engine's 2^k - 2 states per line small.
 *
 * The commit record says how many records the log holds and where they
 * end.  PMLOG_FMT_DUAL (the correct log): commit c goes to slot c % 2 as
 * {count, end, csum}; a reader takes the valid slot with the larger
 * count, so a torn or lost slot falls back to the previous commit, which
 * is intact because it lives in the other slot.  PMLOG_FMT_SINGLE (a
 * seeded bug): one 16-byte {count, end} at offset 64, no checksum, written
 * with one 16-byte store, trusted as it is.
 *
 * Appending record N: write the record, persist it (flush its lines,
 * sfence), write commit N, persist it; only then is N acknowledged
 * (DURABLE marker, arg N).
 *
 * The verifier (the checker's logic): with A the last acknowledged
 * record, the log must exist if A > 0; the committed count must be at
 * least A; every committed record must verify (checksum) and be exactly
 * what the workload wrote; and the committed records must end exactly
 * where the commit record says.
 */

#include <stddef.h>
#include <stdint.h>

#define PMLOG_MAGIC 0x474f4c504e524f54ull /* "TORNPLOG" */
#define PMLOG_VERSION 1u
#define PMLOG_FMT_DUAL 1u
#define PMLOG_FMT_SINGLE 2u

#define PMLOG_SIZE 4096u
#define PMLOG_HDR_SIZE 40u
#define PMLOG_SLOT0 64u
#define PMLOG_SLOT1 128u
#define PMLOG_SLOT_SIZE 24u
#define PMLOG_DATA 256u
#define PMLOG_DATA_SIZE (PMLOG_SIZE - PMLOG_DATA)
#define PMLOG_REC_HDR 16u
#define PMLOG_MAX_PAYLOAD 256u

/* How many appends the workloads make. */
#define PMLOG_APPENDS 6u

/* The data file's name under a mount point. */
#define PMLOG_FILE "pmlog"

/* Payload length of record seq (1-based): multiples of 8. */
uint32_t pmlog_payload_len(uint32_t seq);
/* Record seq's payload (pmlog_payload_len(seq) bytes) into out. */
void pmlog_payload(uint32_t seq, uint8_t *out);
/* Bytes record seq takes in the data area. */
size_t pmlog_rec_size(uint32_t len);

uint64_t pmlog_rec_csum(uint32_t len, uint32_t seq, const uint8_t *payload);
uint64_t pmlog_slot_csum(uint64_t count, uint64_t end);
/* Checksum of the header's first 32 bytes. */
uint64_t pmlog_hdr_csum(const uint8_t *hdr);

/* The 40-byte header of a log of format fmt, into out. */
void pmlog_hdr_build(uint32_t fmt, uint8_t out[PMLOG_HDR_SIZE]);

/* What a reader recovers from an image. */
struct pmlog_view {
	int created; /* header valid */
	uint32_t format;
	int slot; /* slot used (dual), -1: none valid */
	uint64_t count; /* committed records */
	uint64_t end; /* committed end, relative to data */
};

/* Read the header and the commit record of img (len bytes). */
void pmlog_read(const uint8_t *img, size_t len, struct pmlog_view *v);

/*
 * Judge img (len bytes) with acked records acknowledged: PM_CONSISTENT,
 * or PM_INCONSISTENT with one line in why.
 */
int pmlog_verify(const uint8_t *img, size_t len, uint64_t acked, char *why,
		 size_t whylen);

#endif
