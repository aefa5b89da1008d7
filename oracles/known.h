/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Known findings: flagged states explained by a known cause, not new. */
#ifndef TORN_KNOWN_H
#define TORN_KNOWN_H

/*
 * A findings file (docs/findings.md, "Known findings files"): groups
 * [ID], each a finding with keys
 *   title = one line                      (required)
 *   doc = where it is explained           (a path or URL)
 *   fs = ext4-dax xfs-dax                 (filesystem kinds; none: any)
 *   verdict = inconsistent|unrecoverable  (none: either)
 *   ORACLE = ERE                          (that oracle failed, its detail
 *                                          matches the POSIX extended
 *                                          regular expression)
 *   may-fail = ORACLE...                  (these may fail as well)
 *   passed = ORACLE...                    (these ran and passed)
 * ORACLE one of torn_oracle_name(); lists split at blanks, commas and
 * semicolons.  A finding explains a flagged state when every condition
 * holds and every oracle that failed is one of its ORACLE keys or
 * may-fail: a failure it does not name (a durability loss beside a
 * known mount failure) is not explained.  It needs at least one ORACLE
 * key.  Lines are "key = value", "[ID]", blank, or comments starting
 * with '#'; values are taken as written (no escapes: a regular
 * expression's backslashes stay).  Findings are tried in the order
 * loaded, the first that explains a state is its finding.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"
#include "torn_verdict.h"

struct torn_known;

#define TORN_FINDING_ID_MAX 40 /* bytes of an [ID] */

struct torn_finding_info {
	const char *id;
	const char *title;
	const char *doc; /* "" when not given */
	const char *source; /* the file it came from */
	int line; /* of its [ID] */
};

struct torn_known *torn_known_new(void);
void torn_known_free(struct torn_known *k);

/*
 * Add the findings of text[0..len) (name: for messages, the file's
 * path or "stock").  TORN_E_FORMAT with "NAME:LINE: why" (naming the key
 * where there is one) for a line that is none of the above, an unknown
 * or repeated key, an unknown oracle, fs or verdict, a regular
 * expression that does not compile, a finding without title or ORACLE
 * key, an ID given twice (in any file added), a NUL byte; nothing is
 * added then.  -ENOMEM.
 */
int torn_known_add(struct torn_known *k, const char *name, const char *text,
		   size_t len, struct torn_err *err);

/* The built-in findings file called name ("stock"), or NULL. */
const char *torn_known_builtin(const char *name);

size_t torn_known_count(const struct torn_known *k);
void torn_known_info(const struct torn_known *k, size_t i,
		     struct torn_finding_info *info);
/* The index of the finding with that id, or -1. */
int torn_known_find(const struct torn_known *k, const char *id);

/*
 * The index of the first finding that explains a state of verdict v
 * (enum torn_verdict) with oracle results r[TORN_O_COUNT] on a
 * filesystem of kind fs (torn_fs name, e.g. "ext4-dax"), or -1.  Only
 * inconsistent and unrecoverable states are ever explained.
 */
int torn_known_match(const struct torn_known *k, const char *fs, int v,
		     const struct torn_oracle_result r[TORN_O_COUNT]);

/*
 * A finding that explains a state of verdict v with results r on fs,
 * as a findings file group [id] (a string to g_free): title
 * "TODO ...", fs, verdict, a pattern for each failed oracle (its
 * detail's first line, e.g. fsck's without "exit N: ", mount's after
 * its last ": ", regular-expression characters escaped and numbers
 * generalized to [0-9]+) but dmesg when others failed (then may-fail),
 * and passed for the oracles that passed.  NULL when v is not
 * inconsistent or unrecoverable, no oracle failed, or out of memory.
 */
char *torn_known_propose(const char *id, const char *fs, int v,
			 const struct torn_oracle_result r[TORN_O_COUNT]);

/*
 * "F1 ×10, F2 ×2": each ids[i] with a non-zero counts[i], most states
 * first, ties in the given order, into buf (cut to len); "" when none.
 */
void torn_known_counts_text(const char *const *ids, const uint64_t *counts,
			    size_t n, char *buf, size_t len);

/*
 * "12 flagged: 10 known (F2 ×10), 2 new": flagged states, how many of them
 * known findings explain, and counts_text (torn_known_counts_text).
 */
void torn_known_flagged_line(uint64_t flagged, uint64_t known,
			     const char *counts_text, char *buf, size_t len);

#endif
