/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-onefence: pmlog storing record and commit before flushing either. */
#include "pmlog.h"

/*
 * Seeded bug: the record and its commit slot are both stored, then both
 * flushed, then fenced once.  Until the flushes the commit line may be
 * written back (evicted) alone: a committed record that does not verify.
 *
 * The bug every flush mode has, clflush too: clflush is ordered with
 * later stores, but here no store comes after it.  The moment before the
 * first clflush is the crash point that shows it; the fence after the
 * clflushes has nothing left in flight (torn's fence points include
 * such clflushes, model.h).  The commit is stored after the record, so
 * no prefix shows it alone: subsets catches it.  On eADR the stores
 * persist in program order and the program is correct.
 */
static void append_commit_onefence(struct pmlog *log)
{
	uint8_t *rec, *slot;
	size_t size;

	rec = pmlog_store_record(log, &size);
	slot = pmlog_store_commit(log, log->count + 1, log->end + size);
	pm_flush_range(&log->map, rec, size); /* BUG: the commit is stored */
	pm_flush_range(&log->map, slot, PMLOG_SLOT_SIZE); /* already */
	pm_fence();
	log->count++;
	log->end += size;
}

int main(int argc, char **argv)
{
	return pmlog_main(argc, argv, PMLOG_FMT_DUAL, append_commit_onefence);
}
