/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Self-checks of a traced run: replay equals final; durable lines flushed. */
#ifndef TORN_VERIFY_H
#define TORN_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

/*
 * Check 1 (replay): applying every STORE and NT_STORE of t in order to
 * base reproduces final byte for byte.  Writes up to max_ranges differing
 * ranges (offset, length) and returns how many bytes differ (0: equal).
 * base and final are pm_size bytes.
 */
struct verify_range {
	uint64_t offset;
	uint64_t length;
};
uint64_t verify_replay(const struct torn_trace *t, const uint8_t *base,
		       const uint8_t *final, struct verify_range *ranges,
		       size_t max_ranges, size_t *nranges);

/*
 * Check 2 (durability points): at every DURABLE marker, every line the
 * workload stored to from user mode, and every non-temporal store, is
 * persistent under the trace's model: for adr, a cached store must be
 * followed by a flush of its line and then an ordering point (clflush
 * persists at once); an NT store by an ordering point.  With eadr
 * (caches persistent) a cached store needs nothing and an NT store an
 * ordering point.  Kernel cached stores are not judged here: which of
 * them a durability call must flush is the filesystem's business, and
 * the crash-state oracles judge it.
 *
 * What is persistent is the persistency model's answer (injectors/
 * stepper.h), so this check and the crash states agree on every rule.
 * A line is reported once, naming the last judged store to it still in
 * flight, and again only after its next judged store.  At a marker,
 * lines come in program order of their oldest judged store in flight.
 *
 * Each violation is reported through report (may be NULL) and counted;
 * returns the count, or SIZE_MAX when out of memory.
 */
struct verify_violation {
	size_t marker_index; /* record index of the DURABLE marker */
	uint64_t marker_arg;
	uint64_t line_offset; /* NVDIMM offset of the line */
	size_t store_index; /* the last store to it before the marker */
	uint64_t store_pc;
	int nt; /* the store was non-temporal */
	int flushed; /* a flush came after it, but no fence */
};
size_t verify_durability(const struct torn_trace *t, int eadr,
			 void (*report)(const struct verify_violation *v,
					void *ctx),
			 void *ctx);

#define VERIFY_REPLAY 0x1 /* base + stores != final: writes missed */
#define VERIFY_UNRESOLVED 0x2 /* flushes the tracer could not place */
#define VERIFY_DURABILITY 0x4 /* acknowledged data not flushed and fenced */

/*
 * Run the checks on run directory dir, printing results on out.  Returns
 * -1 when the directory cannot be read, else the VERIFY_* bits of the
 * checks that failed (0: all held).  The first two judge the tracer; the
 * third judges the workload and the kernel under it, so a seeded bug
 * fails it by design.
 */
int verify_run_dir(const char *dir, int eadr, FILE *out);

#endif
