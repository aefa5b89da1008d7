/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-nocsum: pmlog with a 16-byte commit record and no checksum. */
#include "pmlog.h"

/*
 * Seeded bug (format PMLOG_FMT_SINGLE): the commit record is one
 * 16-byte {count, end} at offset 64, written with one 16-byte store,
 * flushed and fenced in the right order, and trusted by the reader as
 * it is: no checksum, no second slot to fall back to.  Only 8-byte
 * aligned stores are failure-atomic; a write-back torn at the 8-byte
 * granule leaves a new count with the old end or the old count with the
 * new end.  Only the torn engine makes such a state (prefix and subsets
 * persist a store whole); it is a bug on eADR machines too.
 */
static void append_commit_nocsum(struct pmlog *log)
{
	uint8_t *rec, *commit = log->base + PMLOG_SLOT0;
	size_t size;

	rec = pmlog_store_record(log, &size);
	pm_persist(&log->map, rec, size);
	/* BUG: 16 bytes are not failure-atomic, and nothing checks them */
	pm_store128(commit, log->count + 1, log->end + size);
	pm_persist(&log->map, commit, 16);
	log->count++;
	log->end += size;
}

int main(int argc, char **argv)
{
	return pmlog_main(argc, argv, PMLOG_FMT_SINGLE, append_commit_nocsum);
}
