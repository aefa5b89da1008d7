/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-bug-wc-noflush: blk-wc that acknowledges without FLUSH. */
#include "blkwc.h"

/*
 * Seeded bug: the same O_DIRECT writes as torn-blk-wc, acknowledged
 * without fdatasync.  dm-writecache has copied each block to the NVDIMM
 * when the write returns, but it commits the blocks (and with them its
 * metadata) only at a FLUSH, 64 blocks, or a second after the first:
 * until then recovery hands back the old block.
 */
int main(int argc, char **argv)
{
	return blk_main(argc, argv, 0 /* BUG: no FLUSH */);
}
