/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --explain's map of in-flight lines to filesystem structures (fsmap.c). */
#ifndef TORN_REPLAY_FSMAP_H
#define TORN_REPLAY_FSMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "torn_fs.h"

/*
 * Print what each NVDIMM line of lines[n] (line numbers, 64 bytes each)
 * is in img (size bytes, the whole NVDIMM) on fs: for ext4 (dumpe2fs,
 * debugfs) the block and its structure (superblock, group descriptor of
 * group G, bitmaps, inode table: inode N and its path, journal superblock,
 * descriptor, commit or revoke block of transaction T, a logged block,
 * data, directory or extent block of inode N and its path); for XFS the
 * block and what xfs_db's blockuse says; for devdax the device offset;
 * otherwise one line saying why not.  final (NULL: none): the image at
 * the end of the trace, which names blocks no inode holds yet at img.
 */
void replay_fsmap(const struct torn_fs *fs, const uint8_t *img,
		  const uint8_t *final, uint64_t size, const uint64_t *lines,
		  size_t n, FILE *out);

#endif
