/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mmap-msync: records through a shared mapping, made durable by msync. */
#ifndef TORN_MMSYNC_H
#define TORN_MMSYNC_H

/*
 * The file holds MMS_PAGES pages.  Write N (1-based) stores a 128-byte
 * record {magic, seq, payload, csum} at offset 512 of page N - 1 through
 * a MAP_SHARED mapping without MAP_SYNC, then msync(MS_SYNC)s that page;
 * only then is N acknowledged (DURABLE marker, arg N).  On a DAX
 * filesystem the stores go straight to the NVDIMM's cache lines and
 * msync is what writes them back (dax_writeback_mapping_range) and
 * commits any metadata.
 *
 * The verifier: every acknowledged record is there exactly as written.
 * Nothing is promised about the others (without msync, stores persist
 * in any order).
 */

#include <stddef.h>
#include <stdint.h>

#define MMS_PAGES 4u
#define MMS_PAGE 4096u
#define MMS_SIZE (MMS_PAGES * MMS_PAGE)
#define MMS_REC_OFF 512u
#define MMS_REC_SIZE 128u
#define MMS_MAGIC 0x434e59534d4d4d54ull /* "TMMMSYNC" */
#define MMS_FILE "mmap-msync"

/* Record seq (1-based) as the workload writes it, into out. */
void mms_record(uint32_t seq, uint8_t out[MMS_REC_SIZE]);

/* Judge img (len bytes) with acked writes acknowledged. */
int mms_verify(const uint8_t *img, size_t len, uint64_t acked, char *why,
	       size_t whylen);

/* The program: [--host] [TARGET]; msync each page or (a bug) not. */
int mms_main(int argc, char **argv, int do_msync);

#endif
