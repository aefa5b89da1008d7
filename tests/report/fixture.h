/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synthetic run directories for the report tests, and what they hold. */
#ifndef TORN_REPORT_FIXTURE_H
#define TORN_REPORT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "report.h"

/* What a fixture's report must say; filled by fixture_make. */
struct fixture_expect {
	uint64_t records;
	uint64_t lines; /* non-empty lines of verdicts.jsonl */
	uint64_t states;
	uint64_t by_verdict[TORN_V_COUNT];
	uint64_t bad_lines;
	uint64_t duplicates;
	uint64_t unique_images;
	uint64_t unique_semantic;
	uint64_t points_checked; /* points with verdicts */
	uint64_t failing_points;
	uint64_t generated, unique; /* enumeration, before/after dedup */
	uint64_t oracle_failed[7]; /* mount fsck dmesg durability ... */
	uint64_t restore_ms, check_ms;
	char failing_id[64]; /* one inconsistent state */
	char unrecoverable_id[64]; /* one unrecoverable state */
};

/* The oracles the fixture's verdicts name, in check's order. */
extern const char *const fixture_oracles[7];

/*
 * Write a run directory into dir (created): trace.torn from a text
 * trace, base.img, meta.json, verdicts.jsonl with one verdict per unique
 * crash state (engines prefix and subsets:1).  With failing, some are
 * inconsistent, unrecoverable, timeout and error, with hostile details
 * (markup, control bytes, bytes that are not UTF-8), and verdicts.jsonl
 * also holds a corrupt line, a cut-short line followed by a whole
 * verdict (a resumed check), a duplicate and a blank line.  0 or -1.
 */
int fixture_make(const char *dir, bool failing, struct fixture_expect *exp);
/* The same, with the states of another granularity (enum torn_granularity). */
int fixture_make_gran(const char *dir, bool failing, int granularity,
		      struct fixture_expect *exp);

/*
 * A run directory torn check found nothing to check in: a trace of
 * markers alone, check.json, an empty verdicts.jsonl.  0 or -1.
 */
int fixture_make_empty(const char *dir);

/* The hostile strings the failing fixture puts in details. */
#define FIXTURE_HOSTILE_SCRIPT "<script>alert(1)</script>"
#define FIXTURE_HOSTILE_ATTR "\"><img src=x onerror=alert(2)>"

#endif
