/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What NVDIMM lines are in the filesystem on them (fsmap.c), read with
 * the filesystem's own host tools: for torn replay --explain and the HTML
 * report's failing states.
 */
#ifndef TORN_FSMAP_H
#define TORN_FSMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "torn_fs.h"

struct torn_fsmap_row {
	uint64_t offset; /* the line's NVDIMM byte offset; UINT64_MAX: a note */
	uint64_t block;
	bool has_block;
	char what[320];
};

struct torn_fsmap {
	char header[256]; /* how it was read, or why nothing was */
	size_t n;
	struct torn_fsmap_row *rows;
};

/*
 * The image at the end of the trace (a run's final.img), which names
 * blocks no inode holds yet at a crash point: read, copied and its
 * journal replayed only when a map needs it, and then once for every map
 * made with the same one.  Set path (NULL: none) and zero the rest;
 * torn_fsmap_final_fini after the last map.
 */
struct torn_fsmap_final {
	const char *path;
	bool tried;
	char *file; /* its filesystem, journal replayed; NULL: unreadable */
	char *bytes; /* the same bytes in memory */
};
void torn_fsmap_final_fini(struct torn_fsmap_final *f);

/*
 * What each NVDIMM line of lines[n] (line numbers, 64 bytes each) is in
 * img (size bytes, the whole NVDIMM) on fs: for ext4 (dumpe2fs, debugfs)
 * the block and its structure (superblock, group descriptor of group G,
 * bitmaps, inode table: inode N and its path, journal superblock,
 * descriptor, commit or revoke block of transaction T, a logged copy of
 * block B, data, directory or extent block of inode N and its path); for
 * XFS the block and what xfs_db's blockuse says; for devdax the device
 * offset; otherwise a header saying why not.  One row per line, in
 * offset order.  final: NULL, or the image at the end of the trace.
 * torn_fsmap_fini always.
 */
void torn_fsmap_make(const struct torn_fs *fs, const uint8_t *img,
		     struct torn_fsmap_final *final, uint64_t size,
		     const uint64_t *lines, size_t n, struct torn_fsmap *m);
/*
 * "what they are (HEADER):" and a row per run of lines of one block and
 * one meaning, as --explain prints it.
 */
void torn_fsmap_print(const struct torn_fsmap *m, FILE *out);
void torn_fsmap_fini(struct torn_fsmap *m);

#endif
