/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host-side oracle logic: expected states, durability, atomicity, dmesg
 * patterns. */
#ifndef TORN_ORACLES_H
#define TORN_ORACLES_H

/*
 * The guest does the recovering (mount, dump, fsck, a checker program);
 * these pure functions judge what it sent back.  docs/oracles.md is the
 * contract.  Everything here treats its input as untrusted text.
 */

#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"

/* ---- markers completed before a crash point --------------------------- */

struct oracle_marker {
	uint64_t record; /* trace record index */
	uint32_t id; /* TORN_MARK_* */
	uint64_t arg;
};

/* What the markers before a crash point say about the workload. */
struct oracle_progress {
	uint64_t last_begun; /* highest OP_BEGIN arg before it, 0: none */
	uint64_t last_ended; /* highest OP_END arg */
	uint64_t last_durable; /* highest DURABLE arg */
	size_t nmarkers; /* markers before the point */
};

/* Progress at crash point `point` (markers sorted by record). */
void oracle_progress_at(const struct oracle_marker *m, size_t n, uint64_t point,
			struct oracle_progress *p);

/* ---- expected.txt ------------------------------------------------------- */

struct oracle_expected; /* parsed expected.txt */

/* Parse; TORN_E_FORMAT with "expected.txt:LINE: why" on bad input. */
int oracle_expected_parse(const char *text, size_t len,
			  struct oracle_expected **out, struct torn_err *err);
void oracle_expected_free(struct oracle_expected *e); /* NULL: no-op */
size_t oracle_expected_ops(const struct oracle_expected *e);

/*
 * The durability oracle: 0 when every promise due at progress p holds in
 * the recovered dump, else 1 with detail (first few failures) filled.
 */
int oracle_durability(const struct oracle_expected *e,
		      const struct oracle_progress *p, const char *dump,
		      char *detail, size_t len);

/* The atomicity oracle, same conventions. */
int oracle_atomicity(const struct oracle_expected *e,
		     const struct oracle_progress *p, const char *dump,
		     char *detail, size_t len);

/*
 * Does a dump line match a promised line?  Fields split at spaces; a
 * promised field "*" matches anything; the path (last field before an
 * optional "= first-link") must be equal.  Exposed for tests.
 */
int oracle_line_matches(const char *promised, const char *actual);

/* ---- dmesg -------------------------------------------------------------- */

/*
 * 1 when the kernel log text shows trouble (BUG, WARNING, Oops, a
 * filesystem error or corruption report, an I/O error), with the first
 * offending line in detail; 0 otherwise.
 */
int oracle_dmesg(const char *log, char *detail, size_t len);

#endif
