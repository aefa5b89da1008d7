/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-nofence: pmlog without a fence between record and commit. */
#include "pmlog.h"

/*
 * Seeded bug: the record's lines are flushed, but no sfence separates
 * them from the commit store.  At the commit's sfence the record lines
 * and the commit line are all in flight, and the hardware may persist
 * the commit line alone: a committed record that does not verify.
 *
 * A pure reordering bug: in program order the record's stores come
 * before the commit's, so no prefix of the in-flight writes shows the
 * commit without its record (the prefix engine misses it); the set
 * {commit line} does (subsets:2 catches it).  clflush is ordered with
 * later stores, so with clflush the bug cannot happen.
 */
static void append_commit_nofence(struct pmlog *log)
{
	uint8_t *rec, *slot;
	size_t size;

	rec = pmlog_store_record(log, &size);
	pm_flush_range(&log->map, rec, size); /* BUG: no pm_fence() after */
	slot = pmlog_store_commit(log, log->count + 1, log->end + size);
	pm_persist(&log->map, slot, PMLOG_SLOT_SIZE);
	log->count++;
	log->end += size;
}

int main(int argc, char **argv)
{
	return pmlog_main(argc, argv, PMLOG_FMT_DUAL, append_commit_nofence);
}
