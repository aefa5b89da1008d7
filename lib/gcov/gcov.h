/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A run's kernel coverage: gcov counters from checker guests, merged. */
#ifndef TORN_GCOV_H
#define TORN_GCOV_H

#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"

/*
 * The counters of every profiled file of one kernel, summed over the
 * dumps added.  A dump is what the guest agent's gcov-dump sends: entries
 * of (u32 length, path below /sys/kernel/debug/gcov, u32 length, the
 * .gcda bytes), little-endian.  A .gcda (GCC 12, as the kernel writes
 * it: kernel/gcov/gcc_4_7.c) is a header of four words and records of
 * (tag, length in bytes, payload); counter records hold u64 counters as
 * two words, low first.
 */
struct torn_gcov;

int torn_gcov_new(struct torn_gcov **g);
void torn_gcov_free(struct torn_gcov *g);

/*
 * Add one dump: each file's counters are summed into g's.  *fresh (may
 * be NULL) gets the number of counters that were zero in g and are not
 * now: the recovery code this dump reached first.  0; TORN_E_FORMAT for
 * a damaged dump or .gcda; TORN_E_MISMATCH when a file's records differ
 * from the same file's in an earlier dump (another kernel), with err
 * naming it.  On error g is unchanged.
 */
int torn_gcov_add(struct torn_gcov *g, const void *dump, size_t len,
		  uint64_t *fresh, struct torn_err *err);

/* Counters in g, and those not zero. */
uint64_t torn_gcov_counters(const struct torn_gcov *g);
uint64_t torn_gcov_reached(const struct torn_gcov *g);

/* Files in g, in path order; path i's name (below the gcov directory). */
size_t torn_gcov_files(const struct torn_gcov *g);
const char *torn_gcov_path(const struct torn_gcov *g, size_t i);

/*
 * File i as a .gcda with g's sums, into *out (g_free it), *len bytes:
 * what gcov, lcov and gcovr read beside the file's .gcno.
 */
int torn_gcov_gcda(const struct torn_gcov *g, size_t i, void **out,
		   size_t *len);

/*
 * A merged .gcda (as torn_gcov_gcda wrote it) added back under path, so
 * that a run's coverage can be read again and extended.  As
 * torn_gcov_add.
 */
int torn_gcov_add_gcda(struct torn_gcov *g, const char *path, const void *gcda,
		       size_t len, uint64_t *fresh, struct torn_err *err);

#endif
