/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-noflush: pmlog whose commit record is never flushed. */
#include "pmlog.h"

/*
 * Seeded bug: the commit slot is stored and fenced, but never written
 * back (no clwb).  The sfence orders nothing that was flush-initiated,
 * so the acknowledged commit may sit in the cache at a crash: on an ADR
 * machine the appended record is lost after its DURABLE marker.  On an
 * eADR machine the cache is persistent and the fence is enough.
 */
static void append_commit_noflush(struct pmlog *log)
{
	uint8_t *rec;
	size_t size;

	rec = pmlog_store_record(log, &size);
	pm_persist(&log->map, rec, size);
	pmlog_store_commit(log, log->count + 1, log->end + size);
	pm_fence(); /* BUG: no pm_flush_range() of the slot before this */
	log->count++;
	log->end += size;
}

int main(int argc, char **argv)
{
	return pmlog_main(argc, argv, PMLOG_FMT_DUAL, append_commit_noflush);
}
