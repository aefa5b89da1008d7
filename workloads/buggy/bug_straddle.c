/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-straddle: pmlog whose flush loop misses a record's last line. */
#include "pmlog.h"

/*
 * Seeded bug: the record is flushed by stepping 64 bytes from its
 * unaligned start.  A record that starts at line offset s with size n
 * touches the line of start + n - 1, but the loop stops before reaching
 * it whenever s + n runs past the last multiple of 64 the loop visits:
 * records 2, 3 and 6 of the log lose their last line.  Record 6 ends in
 * a line nothing later flushes, so even with clflush the committed
 * record can come back torn.
 */
static void flush_record_buggy(const struct pm_map *m, const uint8_t *rec,
			       size_t size)
{
	const uint8_t *p;

	/* BUG: should start at the line holding rec, not at rec */
	for (p = rec; p < rec + size; p += PM_LINE)
		pm_flush_line(m, p);
}

static void append_straddle(struct pmlog *log)
{
	uint8_t *rec, *slot;
	size_t size;

	rec = pmlog_store_record(log, &size);
	flush_record_buggy(&log->map, rec, size);
	pm_fence();
	slot = pmlog_store_commit(log, log->count + 1, log->end + size);
	pm_persist(&log->map, slot, PMLOG_SLOT_SIZE);
	log->count++;
	log->end += size;
}

int main(int argc, char **argv)
{
	return pmlog_main(argc, argv, PMLOG_FMT_DUAL, append_straddle);
}
