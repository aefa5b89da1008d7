/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the PM workloads and checkers share: mapping, flushing, markers. */
#ifndef TORN_PM_UTIL_H
#define TORN_PM_UTIL_H

/*
 * Workload side.  A workload maps its target, a file on a DAX filesystem
 * (created, filled with zeros and fsynced first, so that no page fault
 * under MAP_SYNC has to allocate and commit metadata) or a device-dax
 * character device, with MAP_SHARED_VALIDATE | MAP_SYNC.  It flushes with
 * the best instruction CPUID offers (clwb, else clflushopt, else clflush)
 * and orders with sfence, whatever the flush mode of the guest: on an eADR
 * machine the flushes are harmless.
 *
 * Host mode (`--host`, for the unit tests only): MAP_SYNC is not asked
 * for (tmpfs has no DAX), the file is a plain shared mapping and is
 * msync'ed as a whole when it is unmapped.  Host runs build images for
 * the checkers' tests; they say nothing about crash consistency.
 *
 * Checker side.  A checker gets TARGET (the mount point, a device-dax
 * device, or in host tests the file itself) and the markers of the crash
 * point in its environment (docs/oracles.md).  It copies the bytes it
 * needs out of the recovered image into its own buffer and judges only
 * that buffer: everything in it is untrusted.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "torn_flush.h"
#include "torn_mark.h"

#define PM_LINE 64
#define PM_DEVDAX_MAP (2u << 20) /* device-dax maps whole 2 MiB pages */

/* Checker exit statuses (docs/oracles.md). */
#define PM_CONSISTENT 0
#define PM_INCONSISTENT 1
#define PM_ERROR 2

/* enum torn_flush_insn's values (torn_flush.h), which pm_util.c casts to. */
enum pm_flush_insn {
	PM_CLFLUSH = TORN_FLUSH_INSN_CLFLUSH,
	PM_CLFLUSHOPT = TORN_FLUSH_INSN_CLFLUSHOPT,
	PM_CLWB = TORN_FLUSH_INSN_CLWB,
};

struct pm_map {
	uint8_t *base; /* the workload's bytes */
	size_t len; /* bytes the workload uses */
	size_t map_len; /* bytes mapped */
	int fd;
	int devdax;
	int host; /* plain shared mapping (tests only) */
	enum pm_flush_insn flush;
};

/* The best flush instruction CPUID offers. */
enum pm_flush_insn pm_best_flush(void);
const char *pm_flush_name(enum pm_flush_insn f);

/*
 * Create path anew as len zero bytes written with write(2), fsynced with
 * its directory.  Allocated, written blocks: a MAP_SYNC fault then has no
 * metadata to commit, and the zeros land on zeros (no new crash states).
 */
int pm_create_file(const char *path, size_t len, char *err, size_t errlen);

/*
 * Map len bytes of path for a workload: a device-dax device as it is, a
 * file created by pm_create_file.
 * Without host, a file mapping must get MAP_SYNC.  0 or -1 with err.
 */
int pm_map_open(struct pm_map *m, const char *path, size_t len, int host,
		char *err, size_t errlen);
/* Unmap (host mode: msync the whole file first) and close. */
int pm_map_close(struct pm_map *m);

/*
 * Recording, for the host unit tests only (tests/pm): in host mode with
 * TORN_PM_RECORD=FILE in the environment, a workload writes what it
 * stores, flushes, fences and marks to FILE as records of torn's trace
 * text form (harness/trace/trace.h, no header line), offsets relative to
 * the start of its mapping; TORN_PM_FLUSH=clwb|clflushopt|clflush picks
 * the flush instruction.  The tests replay these traces through the
 * injectors and judge every crash state with the checker's own logic.
 * In a guest pm_rec is NULL and costs one load and branch per store.
 */
extern FILE *pm_rec;
void pm_rec_start(struct pm_map *m);
void pm_rec_stop(void);
void pm_rec_store(const void *p, size_t n);
void pm_rec_flush(enum pm_flush_insn f, const void *p);
void pm_rec_fence(void);
void pm_rec_mark(uint32_t id, uint64_t arg);

/* Stores that the compiler keeps as they are, in program order. */
static inline void pm_store64(void *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
	if (__builtin_expect(pm_rec != NULL, 0))
		pm_rec_store(p, 8);
}

/* One 16-byte store (movdqa): p must be 16-byte aligned. */
static inline void pm_store128(void *p, uint64_t lo, uint64_t hi)
{
	typedef long long v2di __attribute__((vector_size(16)));
	v2di v = { (long long)lo, (long long)hi };

	__asm__ __volatile__("movdqa %1, %0"
			     : "=m"(*(v2di *)p)
			     : "x"(v)
			     : "memory");
	if (__builtin_expect(pm_rec != NULL, 0))
		pm_rec_store(p, 16);
}

/* Write back the line holding p (clwb / clflushopt / clflush). */
void pm_flush_line(const struct pm_map *m, const void *p);
/* Write back every line that [p, p + len) touches. */
void pm_flush_range(const struct pm_map *m, const void *p, size_t len);
/* sfence: flush-initiated lines become persistent. */
static inline void pm_fence(void)
{
	__asm__ __volatile__("sfence" ::: "memory");
	if (__builtin_expect(pm_rec != NULL, 0))
		pm_rec_fence();
}

/* pm_flush_range, then pm_fence. */
void pm_persist(const struct pm_map *m, const void *p, size_t len);

/* Markers around operation i (1-based) and its acknowledgement. */
void pm_op_begin(uint64_t i, const char *what);
void pm_op_end(uint64_t i);
void pm_durable(uint64_t i, const char *what);

/* "PROGRAM [--host] TARGET": target and host flag, or -1 with usage. */
int pm_parse_args(int argc, char **argv, const char *def_target,
		  const char **target, int *host);

/* FNV-1a 64 of len bytes folded into h (start with PM_FNV_INIT). */
#define PM_FNV_INIT 0xcbf29ce484222325ull
uint64_t pm_fnv(uint64_t h, const void *p, size_t len);
/* A well-mixed 64-bit value of (a, b), never zero. */
uint64_t pm_mix(uint64_t a, uint64_t b);

/* Little-endian loads from an untrusted buffer (no alignment needed). */
static inline uint64_t pm_get64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t pm_get32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* What the checker knows about the crash point. */
struct pm_markers {
	uint64_t last_durable; /* arg of the last DURABLE, 0: none */
	uint64_t last_begin; /* arg of the last OP_BEGIN, 0: none */
	int n_begin; /* OP_BEGIN markers seen */
};

/*
 * Parse TORN_MARKERS ("ID:ARG ...", may be NULL) and TORN_LAST_DURABLE
 * (may be NULL: then the markers' last DURABLE).  0, or -1 when either is
 * malformed.
 */
int pm_markers_parse(const char *markers, const char *last_durable,
		     struct pm_markers *mk);
/* The same from the environment. */
int pm_markers_from_env(struct pm_markers *mk);

/*
 * The data file a checker judges: TARGET/name when TARGET is a directory
 * (a mount point), TARGET itself otherwise.  -1 if it does not fit.
 */
int pm_target_path(const char *target, const char *name, char *out,
		   size_t outlen);

/*
 * A checker's start: argv must be "PROG TARGET" (usage names what TARGET
 * may be), the markers come from the environment, and path gets the data
 * file (pm_target_path with name).  0, or -1 after a message on stderr
 * (the checker then exits PM_ERROR).
 */
int pm_checker_start(int argc, char **argv, const char *usage, const char *name,
		     struct pm_markers *mk, char *path, size_t pathlen);

enum pm_load {
	PM_LOAD_OK = 0,
	PM_LOAD_MISSING, /* no such file */
	PM_LOAD_SHORT, /* fewer than len bytes */
	PM_LOAD_IOERR, /* read error, SIGBUS (poison), bad type */
};

/*
 * Copy the first len bytes of path (a regular file, or a device-dax
 * device: mapped read-only, copied with SIGBUS caught) into buf.
 * *got: bytes copied.  why: what went wrong.
 */
enum pm_load pm_load(const char *path, void *buf, size_t len, size_t *got,
		     char *why, size_t whylen);

#endif
