/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * blk-wc: a block-level workload for a block cache on persistent memory
 * (the dm-writecache kind).  Rounds of 4 KiB O_DIRECT writes at fixed
 * blocks past the filesystem's part of the device, each round made
 * durable with fdatasync (a FLUSH to the target) and then acknowledged
 * with a DURABLE marker.  The checker reads the blocks back and judges
 * every block acknowledged (docs/filesystems.md).
 */
#ifndef TORN_BLKWC_H
#define TORN_BLKWC_H

#include <stddef.h>
#include <stdint.h>

#define BLK_SIZE 4096u
#define BLK_REGION_OFF (48ull << 20) /* ext4 has the first 48 MiB */
#define BLK_NBLOCKS 6u /* blocks of the region the rounds write */
#define BLK_ROUNDS 4u
#define BLK_PER_ROUND 2u
#define BLK_MAGIC 0x57424c4b4e524f54ull /* "TORNKLBW" */

/* The k-th block (0 .. BLK_NBLOCKS-1) round r (1-based) writes. */
unsigned int blk_block(unsigned int r, unsigned int k);
/* Whether round r writes block b. */
int blk_round_writes(unsigned int r, unsigned int b);

/* Round r's contents of block b. */
void blk_record(unsigned int r, unsigned int b, uint8_t out[BLK_SIZE]);

/*
 * Judge the region read back (BLK_NBLOCKS blocks) after a crash in
 * which rounds up to acked were acknowledged and up to begun begun:
 * PM_CONSISTENT, or PM_INCONSISTENT with why.
 */
int blk_verify(const uint8_t *region, uint64_t acked, uint64_t begun, char *why,
	       size_t whylen);

/* The workload: flush: fdatasync before each acknowledgement. */
int blk_main(int argc, char **argv, int flush);

#endif
