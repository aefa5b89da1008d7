/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn smoke as a library: the DAX stack in a guest, the flushes it uses. */
#ifndef TORN_SMOKE_H
#define TORN_SMOKE_H

/*
 * It lives beside the trace stage because counting the flush instructions
 * a guest really uses means tracing a workload (torn_trace_run).  The
 * caller prints: every result comes back through torn_smoke_ops, in the
 * order it happened; diagnostics (the kit, a guest that did not boot) go
 * to stderr as in every guest-booting stage.
 */

#include <stdbool.h>
#include <stdint.h>

#include "guest.h"
#include "trace.h"

/* A trace's flushes (by enum torn_flush_kind), NT stores and fences. */
struct torn_flush_counts {
	uint64_t flush[2][4]; /* [0] user mode, [1] kernel */
	uint64_t nt[2];
	uint64_t fences[2];
};

/* What a smoke test found, as it goes; ctx is the caller's. */
struct torn_smoke_ops {
	/* the kit and the image are ready, the guest is about to boot */
	void (*booting)(void *ctx);
	/* the guest's agent answered */
	void (*booted)(void *ctx, long boot_ms, const char *kernel);
	/* one check: what was checked, whether it held, why (or NULL) */
	void (*check)(void *ctx, bool ok, const char *what, const char *detail);
	/* the flushes the workload made (torn_smoke_flushes) */
	void (*flushes)(void *ctx, const char *workload,
			const struct torn_flush_counts *c);
};

/*
 * Boot the kit on a copy of the base image and check, one result each:
 * the namespace mode, a DAX mount showing dax=always and a file written
 * through MAP_SYNC, flushed, unmapped and read back (on devdax: the
 * device and a MAP_SYNC mapping of it).  TORN_EXIT_OK when every check
 * held, TORN_EXIT_FAIL when one did not, TORN_EXIT_INFRA when the kit,
 * the image or the guest failed before any check.
 */
int torn_smoke_run(const struct guest_opts *o, const struct torn_smoke_ops *ops,
		   void *ctx);

/*
 * Which flush instructions the guest kernel and libpmem really use in
 * o's flush mode: trace the libpmem workload (and msync on a filesystem)
 * and report each one's counts; a trace that fails is a failed check
 * "flush instructions".  Returns 1 when every trace worked, else 0.
 */
int torn_smoke_flushes(const struct guest_opts *o,
		       const struct torn_smoke_ops *ops, void *ctx);

/* Count t's flushes, NT stores and fences by privilege. */
void torn_flush_count(const struct torn_trace *t, struct torn_flush_counts *c);

#endif
