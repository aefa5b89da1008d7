/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshots of a directory tree in the terms of the agent's semantic dump. */
#ifndef TORN_FSOPS_TREE_H
#define TORN_FSOPS_TREE_H

/*
 * The executor's view of the tree under test, taken between operations.
 * Lines come out exactly as guests/agent/dump.c writes them (docs/
 * oracles.md), without the " = FIRST" hard-link note, which the oracles
 * do not compare.  Reading never changes the tree: files and directories
 * are opened with O_NOATIME, so a snapshot leaves no stores in a trace.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fnv1a.h"

struct fsx_entry {
	char *path; /* "." or "./a/b", as in the dump */
	char type; /* 'd', 'f', 'l' or 'o' */
	unsigned int mode; /* st_mode & 07777 */
	unsigned long nlink;
	long long size;
	uint64_t hash; /* 'f': FNV-1a 64 of the content */
	char *target; /* 'l': the link's target */
	unsigned int fmt; /* 'o': st_mode & S_IFMT */
	dev_t dev;
	ino_t ino;
};

/* Entries sorted by strcmp of path. */
struct fsx_tree {
	struct fsx_entry *e;
	size_t n, cap;
};

/* Fields of a line that a promise may leave open ("*"). */
#define FSX_STAR_MODE 0x01
#define FSX_STAR_NLINK 0x02
#define FSX_STAR_SIZE 0x04
#define FSX_STAR_HASH 0x08
#define FSX_STAR_DETAIL 0x10 /* 'l': target; 'o': file type */
#define FSX_STAR_ALL 0x1f

/*
 * Read the tree below the directory rootfd into t (emptied first).  For a
 * file whose path and inode are the same in prev and whose inode is not
 * among the n inodes in dirty (pairs dev, ino), the hash is taken from
 * prev instead of read again.  Returns 0, or -errno with why filled.
 */
int fsx_tree_read(int rootfd, const struct fsx_tree *prev,
		  const struct fsx_entry *dirty, size_t ndirty,
		  struct fsx_tree *t, char *why, size_t len);
void fsx_tree_free(struct fsx_tree *t);
/* The entry for path ("./a"), or NULL. */
const struct fsx_entry *fsx_tree_find(const struct fsx_tree *t,
				      const char *path);
/* Deep copy of one entry (0 or -ENOMEM); fsx_entry_clear frees it. */
int fsx_entry_copy(struct fsx_entry *dst, const struct fsx_entry *src);
void fsx_entry_clear(struct fsx_entry *e);
/* Do two entries print the same line (paths aside)? */
int fsx_entry_same(const struct fsx_entry *a, const struct fsx_entry *b);

/*
 * The dump line of e under path (NULL: e->path), without a newline;
 * fields in stars print as "*".  e NULL prints "- PATH" (absent).
 */
void fsx_line(const struct fsx_entry *e, const char *path, unsigned int stars,
	      char *buf, size_t len);

#endif
