/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-nomsync: mmap-msync that acknowledges without msync. */
#include "mmsync.h"

/*
 * Seeded bug: the same writes as torn-pm-mmap-msync through a shared
 * mapping without MAP_SYNC, acknowledged without msync.  On a DAX
 * filesystem nothing writes the cache lines back and nothing orders the
 * stores before the acknowledgement: the data may be lost on ADR, and
 * on eADR the stores may still sit in the store buffer (no fence at all
 * before the DURABLE marker).
 */
int main(int argc, char **argv)
{
	return mms_main(argc, argv, 0 /* BUG: no msync */);
}
