/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmlog writer: the steps of an append, and the program around them. */
#include "pmlog.h"

#include <stdio.h>
#include <string.h>

uint8_t *pmlog_store_record(struct pmlog *log, size_t *size)
{
	uint32_t seq = (uint32_t)log->count + 1, len = pmlog_payload_len(seq);
	uint8_t payload[PMLOG_MAX_PAYLOAD] = { 0 };
	uint8_t *rec = log->base + PMLOG_DATA + log->end;
	size_t n = pmlog_rec_size(len), g;

	pmlog_payload(seq, payload);
	pm_store64(rec, (uint64_t)seq << 32 | len);
	pm_store64(rec + 8, pmlog_rec_csum(len, seq, payload));
	for (g = 0; g < n - PMLOG_REC_HDR; g += 8)
		pm_store64(rec + PMLOG_REC_HDR + g, pm_get64(payload + g));
	*size = n;
	return rec;
}

uint8_t *pmlog_store_commit(struct pmlog *log, uint64_t count, uint64_t end)
{
	uint8_t *slot = log->base + (count % 2 ? PMLOG_SLOT1 : PMLOG_SLOT0);

	pm_store64(slot, count);
	pm_store64(slot + 8, end);
	pm_store64(slot + 16, pmlog_slot_csum(count, end));
	return slot;
}

void pmlog_append(struct pmlog *log)
{
	uint8_t *rec, *slot;
	size_t size;

	rec = pmlog_store_record(log, &size);
	pm_persist(&log->map, rec, size); /* the record, then ... */
	slot = pmlog_store_commit(log, log->count + 1, log->end + size);
	pm_persist(&log->map, slot, PMLOG_SLOT_SIZE); /* ... its commit */
	log->count++;
	log->end += size;
}

/* An empty log: commit slots zeroed and persisted, then the header. */
static void pmlog_create(struct pmlog *log, uint32_t fmt)
{
	uint8_t hdr[PMLOG_HDR_SIZE];
	unsigned int i;

	for (i = 0; i < PMLOG_SLOT_SIZE; i += 8) {
		pm_store64(log->base + PMLOG_SLOT0 + i, 0);
		pm_store64(log->base + PMLOG_SLOT1 + i, 0);
	}
	pm_flush_line(&log->map, log->base + PMLOG_SLOT0);
	pm_flush_line(&log->map, log->base + PMLOG_SLOT1);
	pm_fence();
	pmlog_hdr_build(fmt, hdr);
	for (i = 0; i < PMLOG_HDR_SIZE; i += 8)
		pm_store64(log->base + i, pm_get64(hdr + i));
	pm_persist(&log->map, log->base, PMLOG_HDR_SIZE);
	log->format = fmt;
	log->count = 0;
	log->end = 0;
}

int pmlog_main(int argc, char **argv, uint32_t fmt, pmlog_append_fn append)
{
	struct pmlog log = { 0 };
	const char *target;
	char err[512];
	int host;
	uint64_t i;

	if (pm_parse_args(argc, argv, "/mnt/" PMLOG_FILE, &target, &host))
		return 2;
	if (pm_map_open(&log.map, target, PMLOG_SIZE, host, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	log.base = log.map.base;
	pmlog_create(&log, fmt);
	for (i = 1; i <= PMLOG_APPENDS; i++) {
		char what[64];

		snprintf(what, sizeof(what), "append record %llu",
			 (unsigned long long)i);
		pm_op_begin(i, what);
		append(&log);
		pm_op_end(i);
		pm_durable(i, what);
	}
	if (pm_map_close(&log.map)) {
		fprintf(stderr, "%s: msync: failed\n", argv[0]);
		return 1;
	}
	printf("%s: %llu records appended to %s (%s%s)\n", argv[0],
	       (unsigned long long)log.count, target,
	       pm_flush_name(log.map.flush), host ? ", host mode" : "");
	return 0;
}
