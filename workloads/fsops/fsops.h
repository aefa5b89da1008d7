/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fsops workload language: a parser into an op array, and a generator. */
#ifndef TORN_FSOPS_H
#define TORN_FSOPS_H

/*
 * One operation a line, paths relative to the mount point, '#' starts a
 * comment (docs/workloads.md is the reference):
 *
 *   creat foo              mkdir A 0700          write foo 0 4K fill:0x41
 *   pwrite foo 100 1M rand:7                     append foo 10 text:abc
 *   truncate foo 0         fallocate foo 0 8K keep-size
 *   atomic rename foo bar  link bar A/bar        symlink ../bar A/s
 *   unlink bar             rmdir A
 *   mmap-write foo 0 4K rand:1 [map-sync]        msync foo
 *   fsync foo              fdatasync foo         fsync .        sync
 *
 * Everything here is pure: no I/O beyond the buffers given, no globals.
 * The executor (fsops_exec.h) runs a parsed workload.
 */

#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"

enum torn_fsops_kind {
	TORN_FSOPS_CREAT,
	TORN_FSOPS_MKDIR,
	TORN_FSOPS_WRITE, /* lseek + write(2) */
	TORN_FSOPS_PWRITE,
	TORN_FSOPS_APPEND, /* O_APPEND + write(2) */
	TORN_FSOPS_TRUNCATE,
	TORN_FSOPS_FALLOCATE,
	TORN_FSOPS_RENAME,
	TORN_FSOPS_LINK,
	TORN_FSOPS_SYMLINK,
	TORN_FSOPS_UNLINK,
	TORN_FSOPS_RMDIR,
	TORN_FSOPS_MMAP_WRITE,
	TORN_FSOPS_MSYNC, /* durability ops from here on */
	TORN_FSOPS_FSYNC,
	TORN_FSOPS_FDATASYNC,
	TORN_FSOPS_SYNC,
	TORN_FSOPS_NKINDS
};

enum torn_fsops_pattern_kind {
	TORN_FSOPS_FILL, /* one byte repeated */
	TORN_FSOPS_RAND, /* seeded pseudo-random bytes */
	TORN_FSOPS_TEXT, /* a string repeated */
};

struct torn_fsops_pattern {
	enum torn_fsops_pattern_kind kind;
	uint64_t value; /* FILL: the byte; RAND: the seed */
	const char *text; /* TEXT: 1..255 bytes, NUL-terminated */
};

/* Flags of an op. */
#define TORN_FSOPS_KEEP_SIZE 0x1 /* fallocate: FALLOC_FL_KEEP_SIZE */
#define TORN_FSOPS_PUNCH_HOLE 0x2 /* fallocate: PUNCH_HOLE | KEEP_SIZE */
#define TORN_FSOPS_ZERO_RANGE 0x4 /* fallocate: FALLOC_FL_ZERO_RANGE */
#define TORN_FSOPS_MAP_SYNC 0x8 /* mmap-write: MAP_SYNC, flush */

/* Bounds the parser enforces. */
#define TORN_FSOPS_MAX_LENGTH (64ull << 20) /* bytes one op writes */
/*
 * Data a workload may hold at once, judged by the dry run: torn's 64 MiB
 * NVDIMM less what ext4 and XFS keep for their journal and metadata.
 */
#define TORN_FSOPS_CAPACITY (48ull << 20)
#define TORN_FSOPS_MAX_OFFSET (1ull << 40) /* offsets and sizes */
#define TORN_FSOPS_MAX_OPS 65536
#define TORN_FSOPS_MAX_LINE 4096
#define TORN_FSOPS_MAX_PATH 1024

/*
 * One operation.  Paths are normalized: relative to the mount point, no
 * "./" prefix, no empty, "." or ".." components; "." alone is the mount
 * point itself (only fsync and fdatasync take it).
 */
struct torn_fsops_op {
	enum torn_fsops_kind kind;
	unsigned int line; /* 1-based line in the source */
	int atomic; /* declared atomic: all before or after */
	/* what the op acts on (rename, link: the source; symlink: the link) */
	const char *path;
	const char *path2; /* rename/link: the destination */
	const char *target; /* symlink: the target, stored as written */
	uint64_t offset; /* write, pwrite, fallocate, mmap-write */
	uint64_t length; /* bytes written or allocated; truncate: size */
	unsigned int mode; /* creat, mkdir */
	unsigned int flags; /* TORN_FSOPS_KEEP_SIZE ... */
	struct torn_fsops_pattern pattern;
	const char *text; /* canonical, e.g. "atomic rename foo bar" */
};

/* A parsed workload: ops[0] is operation 1 (the marker numbering). */
struct torn_fsops {
	const char *name; /* as given to the parser, for messages */
	size_t nops;
	struct torn_fsops_op *ops;
};

/*
 * Parse len bytes of text.  name (e.g. the file name) prefixes error
 * messages: "workload.fsops:7: pwrite: offset 'x' is not a number".
 * Returns 0 with *out set (free with torn_fsops_free), TORN_E_FORMAT or
 * TORN_E_RANGE with err filled, or -ENOMEM.  Stops at the first error.
 */
int torn_fsops_parse(const char *text, size_t len, const char *name,
		     struct torn_fsops **out, struct torn_err *err);
void torn_fsops_free(struct torn_fsops *w); /* NULL: no-op */

/* "pwrite", "mmap-write", ...; NULL for an out-of-range kind. */
const char *torn_fsops_kind_name(enum torn_fsops_kind kind);
/* The kind named name, or -1. */
int torn_fsops_kind_by_name(const char *name);
/* msync, fsync, fdatasync, sync, and mmap-write with map-sync. */
int torn_fsops_op_is_durability(const struct torn_fsops_op *op);

/*
 * Bytes [start, start + len) of the data a pattern stands for (byte 0 is
 * the first byte the op writes).  RAND is SplitMix64 over 8-byte words,
 * little-endian: word j is splitmix64(seed + (j + 1) * 0x9e3779b97f4a7c15).
 */
void torn_fsops_pattern_fill(const struct torn_fsops_pattern *p, uint64_t start,
			     uint8_t *buf, size_t len);

/* ---- the ACE-style generator (torn workloads generate) -------------- */

/*
 * Called once per generated workload, in a fixed order: name is e.g.
 * "seq1-0007-rename-fsync.fsops", text the workload source.  A non-zero
 * return stops the generator and is returned.
 */
typedef int (*torn_fsops_gen_fn)(void *arg, const char *name, const char *text);

/*
 * Generate the bounded seq-1 (seq = 1: each op then each persistence op)
 * or seq-2 (seq = 2: pairs of ops) workloads.  ops, when not NULL, is a
 * comma-separated list of op kinds to draw from (e.g. "rename,link").
 * Returns the number generated, TORN_E_USAGE with err filled, or what fn
 * returned.  Deterministic: the same arguments give the same workloads.
 */
int torn_fsops_generate(int seq, const char *ops, torn_fsops_gen_fn fn,
			void *arg, struct torn_err *err);

#endif
