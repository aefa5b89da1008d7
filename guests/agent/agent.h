/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals of torn-agent shared between its files (and its host tests). */
#ifndef TORN_AGENT_H
#define TORN_AGENT_H

#include <stddef.h>

#include "capture.h"
#include "proto.h"

/*
 * The canonical semantic dump of the tree at dir, appended to out: one
 * line per entry in byte order of paths, no timestamps, no inode numbers:
 *   d MODE path
 *   f MODE NLINK SIZE CONTENT-HASH path [= first-path-of-same-inode]
 *   l target path
 *   o MODE TYPE path          (fifo, socket, device)
 * Returns 0, or -errno with err filled.
 */
int agent_dump_tree(const char *dir, struct torn_buf *out, char *err,
		    size_t errlen);

/*
 * Write a pattern into a new file through a MAP_SYNC mapping, flush it
 * with the best flush instruction the CPU has, unmap, and read it back.
 * detail gets what was done or what failed.  Returns 0 when it held.
 */
int agent_mapsync_check(const char *path, char *detail, size_t len);

/*
 * The usability oracle: in dir and every directory below it, create a
 * file, write it, fsync, read back, delete.  Returns 0, or -1 with why.
 */
int agent_usable(const char *dir, char *why, size_t len);

/*
 * torn-agent maps FILE PROGRAM [ARGS...] (maps.c): run the program and
 * write its memory map to FILE as it exits; its exit status, or 127.
 */
int agent_maps_run(const char *out, char **argv);

/*
 * gcov.c: the guest kernel's gcov counters (a torn kernel build --gcov).
 * agent_gcov_reset zeroes them.  agent_gcov_dump appends every .gcda
 * under /sys/kernel/debug/gcov to out as entries of (u32 length, path
 * below that directory, u32 length, the file's bytes), little-endian,
 * and counts them in *files; with changed, only the files with a counter
 * that is not zero (after a reset, those the kernel ran).  0, or -1 with err
 * filled (no gcov in this kernel, a read that failed).
 */
int agent_gcov_reset(char *err, size_t len);
/*
 * Whether a .gcda's bytes hold a counter that is not zero; one it cannot
 * walk to its end counts as reached (the host judges it: lib/gcov).
 */
int agent_gcda_reached(const unsigned char *p, size_t len);
int agent_gcov_dump(struct torn_buf *out, int changed, unsigned int *files,
		    char *err, size_t len);

/*
 * Serve requests on fd until poweroff (returns 0) or exit (returns 1);
 * a negative code when the port fails.
 */
int agent_serve(int fd);

#endif
