/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmlog: the on-media format of the append-only log, and its verifier. */
#include "pmlog_fmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pm_util.h"

/*
 * Lengths chosen so that, packed from the data area's first line, records
 * 2, 3 and 6 straddle lines in a way that a flush loop stepping 64 bytes
 * from the record's (unaligned) start misses their last line (the
 * bug-straddle workload), and record 6 ends in a line no later record
 * touches.
 */
static const uint32_t lens[PMLOG_APPENDS] = { 40, 104, 24, 72, 56, 88 };

uint32_t pmlog_payload_len(uint32_t seq)
{
	if (seq >= 1 && seq <= PMLOG_APPENDS)
		return lens[seq - 1];
	return 32 + 8 * (seq % 8);
}

void pmlog_payload(uint32_t seq, uint8_t *out)
{
	uint32_t n = pmlog_payload_len(seq) / 8, g;

	for (g = 0; g < n; g++) {
		uint64_t v = g % 2 == 0 || g == n - 1 ? pm_mix(seq, g) : 0;

		memcpy(out + 8 * g, &v, sizeof(v));
	}
}

size_t pmlog_rec_size(uint32_t len)
{
	return PMLOG_REC_HDR + (((size_t)len + 7) & ~(size_t)7);
}

uint64_t pmlog_rec_csum(uint32_t len, uint32_t seq, const uint8_t *payload)
{
	uint64_t h = PM_FNV_INIT ^ 0x7265636f7264ull; /* "record" */

	h = pm_fnv(h, &len, sizeof(len));
	h = pm_fnv(h, &seq, sizeof(seq));
	return pm_fnv(h, payload, len);
}

uint64_t pmlog_slot_csum(uint64_t count, uint64_t end)
{
	uint64_t h = PM_FNV_INIT ^ 0x636f6d6d6974ull; /* "commit" */

	h = pm_fnv(h, &count, sizeof(count));
	return pm_fnv(h, &end, sizeof(end));
}

uint64_t pmlog_hdr_csum(const uint8_t *hdr)
{
	return pm_fnv(PM_FNV_INIT, hdr, 32);
}

void pmlog_hdr_build(uint32_t fmt, uint8_t out[PMLOG_HDR_SIZE])
{
	uint64_t magic = PMLOG_MAGIC, off = PMLOG_DATA, size = PMLOG_DATA_SIZE;
	uint32_t version = PMLOG_VERSION;
	uint64_t csum;

	memcpy(out, &magic, 8);
	memcpy(out + 8, &version, 4);
	memcpy(out + 12, &fmt, 4);
	memcpy(out + 16, &off, 8);
	memcpy(out + 24, &size, 8);
	csum = pmlog_hdr_csum(out);
	memcpy(out + 32, &csum, 8);
}

void pmlog_read(const uint8_t *img, size_t len, struct pmlog_view *v)
{
	uint8_t want[PMLOG_HDR_SIZE];
	uint32_t fmt;
	int s;

	memset(v, 0, sizeof(*v));
	v->slot = -1;
	if (len < PMLOG_SIZE)
		return;
	fmt = pm_get32(img + 12);
	if (fmt != PMLOG_FMT_DUAL && fmt != PMLOG_FMT_SINGLE)
		return;
	pmlog_hdr_build(fmt, want);
	if (memcmp(img, want, PMLOG_HDR_SIZE))
		return;
	v->created = 1;
	v->format = fmt;
	if (fmt == PMLOG_FMT_SINGLE) {
		v->count = pm_get64(img + PMLOG_SLOT0);
		v->end = pm_get64(img + PMLOG_SLOT0 + 8);
		return;
	}
	for (s = 0; s < 2; s++) {
		const uint8_t *p = img + (s ? PMLOG_SLOT1 : PMLOG_SLOT0);
		uint64_t count = pm_get64(p), end = pm_get64(p + 8);

		if (pm_get64(p + 16) != pmlog_slot_csum(count, end))
			continue;
		if (v->slot < 0 || count > v->count) {
			v->slot = s;
			v->count = count;
			v->end = end;
		}
	}
}

int pmlog_verify(const uint8_t *img, size_t len, uint64_t acked, char *why,
		 size_t whylen)
{
	uint8_t want[PMLOG_MAX_PAYLOAD];
	struct pmlog_view v;
	uint64_t i, off = 0;

	pmlog_read(img, len, &v);
	if (!v.created) {
		if (!acked)
			return PM_CONSISTENT;
		snprintf(why, whylen,
			 "no valid pmlog header, but %" PRIu64
			 " appends were acknowledged",
			 acked);
		return PM_INCONSISTENT;
	}
	if (v.count < acked) {
		snprintf(why, whylen,
			 "acknowledged record %" PRIu64
			 " is missing: the commit record holds %" PRIu64
			 " records%s",
			 acked, v.count,
			 v.format == PMLOG_FMT_DUAL && v.slot < 0
				 ? " (no valid commit slot)"
				 : "");
		return PM_INCONSISTENT;
	}
	if (v.end > PMLOG_DATA_SIZE) {
		snprintf(why, whylen,
			 "the commit record's end %" PRIu64
			 " lies beyond the data area (%u bytes)",
			 v.end, PMLOG_DATA_SIZE);
		return PM_INCONSISTENT;
	}
	for (i = 1; i <= v.count; i++) {
		const uint8_t *rec = img + PMLOG_DATA + off;
		uint32_t rlen, seq;

		if (off + PMLOG_REC_HDR > v.end) {
			snprintf(why, whylen,
				 "record %" PRIu64 " of %" PRIu64
				 " committed starts at %" PRIu64
				 ", past the committed end %" PRIu64,
				 i, v.count, off, v.end);
			return PM_INCONSISTENT;
		}
		rlen = pm_get32(rec);
		seq = pm_get32(rec + 4);
		if (rlen > PMLOG_MAX_PAYLOAD ||
		    off + pmlog_rec_size(rlen) > v.end) {
			snprintf(why, whylen,
				 "committed record %" PRIu64
				 " (length %u at %" PRIu64
				 ") runs past the committed end %" PRIu64,
				 i, rlen, off, v.end);
			return PM_INCONSISTENT;
		}
		if (pm_get64(rec + 8) != pmlog_rec_csum(rlen, seq, rec + 16)) {
			snprintf(why, whylen,
				 "committed record %" PRIu64
				 " is torn: checksum mismatch (%" PRIu64
				 " records committed, %" PRIu64
				 " acknowledged)",
				 i, v.count, acked);
			return PM_INCONSISTENT;
		}
		if (seq != i || rlen != pmlog_payload_len(seq)) {
			snprintf(why, whylen,
				 "committed record %" PRIu64
				 " verifies but is record %u of length %u",
				 i, seq, rlen);
			return PM_INCONSISTENT;
		}
		pmlog_payload(seq, want);
		if (memcmp(rec + 16, want, rlen)) {
			snprintf(why, whylen,
				 "committed record %" PRIu64
				 " verifies but holds other data than appended",
				 i);
			return PM_INCONSISTENT;
		}
		off += pmlog_rec_size(rlen);
	}
	if (off != v.end) {
		snprintf(why, whylen,
			 "the commit record says %" PRIu64
			 " records ending at %" PRIu64
			 ", but they end at %" PRIu64,
			 v.count, v.end, off);
		return PM_INCONSISTENT;
	}
	return PM_CONSISTENT;
}
