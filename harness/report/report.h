/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report: a run directory summed up, and rendered as text, JUnit, HTML. */
#ifndef TORN_REPORT_H
#define TORN_REPORT_H

/*
 * torn_report_load() reads a run directory (docs/oracles.md,
 * harness/cli/cmd_trace.c say what it holds) into a struct torn_report;
 * the renderers write it out.  Nothing here prints or exits: what went
 * wrong with a file that the report can do without (a missing trace, a
 * corrupt verdict line) is counted or noted in r->notes, one line each,
 * for the command to print.
 *
 * Everything in the run directory is untrusted: verdict details come
 * from guests, and a run killed mid-write leaves a cut-short line.
 * meta.json, check.json and verdicts.jsonl are read, and every field
 * checked, by lib/rundir (rundir.h): a verdict line it does not take
 * (an unknown verdict or oracle name, a field of the wrong type...) is
 * a bad line here, as is one whose state id is not the canonical form
 * of its engine (torn replay could not rebuild it).  The renderers escape every
 * string they print for where it goes (terminal, XML, HTML) and replace
 * bytes that are not UTF-8.
 *
 * struct torn_report is plain data, read-only for callers: it is the
 * summary the renderers and tests look at, so it is not opaque.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "torn_err.h"
#include "torn_verdict.h" /* enum torn_verdict, torn_verdict_name() */

/* Longest oracle name, engine name and detail the loader keeps. */
#define TORN_REPORT_NAME_MAX 64
#define TORN_REPORT_DETAIL_MAX 4096
/* Distinct oracles: those torn_verdict.h names (others make a line bad). */
#define TORN_REPORT_ORACLES_MAX TORN_O_COUNT

struct torn_known;

struct torn_report_opts {
	unsigned int timeline_buckets; /* 0: TORN_REPORT_BUCKETS */
	/*
	 * Enumerate the crash states again (injectors) to count states
	 * generated and unique, and to match each verdict's id and image
	 * hash against the enumeration.  Needs trace.torn and base.img.
	 */
	bool enumerate;
	/*
	 * With enumerate: rebuild the first failing states to list their
	 * in-flight writes (torn_report_failure.writes), for the HTML page.
	 */
	bool explain;
	/*
	 * Stop enumerating after this long (0: TORN_REPORT_ENUM_BUDGET_MS);
	 * the figures are then partial, and r->enum_partial says so.
	 */
	unsigned int enum_budget_ms;
	/*
	 * Known findings to match every flagged verdict against again
	 * (known.h), replacing the "known" the check recorded; NULL: the
	 * recorded ones.  strict: flagged states fail even when known.
	 */
	const struct torn_known *known;
	bool strict;
};

#define TORN_REPORT_ENUM_BUDGET_MS 120000

#define TORN_REPORT_BUCKETS 600

/* One oracle over the run: in how many verdicts it ran, and failed. */
struct torn_report_oracle {
	char name[TORN_REPORT_NAME_MAX];
	uint64_t ran;
	uint64_t failed;
};

/* One engine (state ids' middle field), in order of first appearance. */
struct torn_report_engine {
	char name[TORN_REPORT_NAME_MAX];
	uint64_t checked; /* verdicts */
	uint64_t failing; /* of them, not consistent */
	uint64_t generated; /* enumeration: before dedup */
	uint64_t unique; /* enumeration: first with its image */
};

/*
 * A crash point: one with verdicts, or one the enumeration visited.
 * seq is the record index the crash comes before (the record count for
 * the end of the trace).
 */
struct torn_report_point {
	uint64_t seq;
	int kind; /* record kind at seq, TORN_REC_END; 0: no trace */
	int sub; /* its flush or fence kind */
	uint64_t checked; /* verdicts at this point */
	uint64_t by_verdict[TORN_V_COUNT];
	uint64_t failing; /* checked and not consistent */
	bool enumerated; /* the figures below are known */
	uint64_t generated;
	uint64_t unique;
	uint32_t inflight_writes;
	uint32_t inflight_lines;
	/* the last marker before seq, index into r->marks; -1: none */
	long last_mark;
};

/* One oracle's result in a failing state. */
struct torn_report_result {
	char name[TORN_REPORT_NAME_MAX];
	bool ok;
	char *detail; /* NULL: none; NUL-terminated, may be cut */
	size_t detail_len;
};

/* A state whose verdict is not consistent, with everything it said. */
struct torn_report_failure {
	char id[128];
	uint64_t point;
	char engine[TORN_REPORT_NAME_MAX];
	uint64_t index;
	int verdict;
	char image_hash[65];
	char semantic_hash[65];
	size_t n_failed;
	char (*failed)[TORN_REPORT_NAME_MAX];
	size_t n_results;
	struct torn_report_result *results;
	/* the verdict's markers object; -1: absent */
	int64_t last_op_begin, last_op_end, last_durable;
	char *error; /* the checker's own failure, or NULL */
	size_t error_len; /* it may hold NULs */
	uint64_t attempts;
	uint64_t line; /* in verdicts.jsonl, from 1 */
	char known[48]; /* the known finding that explains it, "" new */
	/*
	 * Its in-flight writes that change what it could lose, with their
	 * fate (the HTML card's table), for the first
	 * TORN_REPORT_EXPLAIN_MAX failures; explained false: not computed.
	 */
	bool explained;
	size_t n_writes, more_writes; /* more_writes: past the cap */
	struct torn_report_write *writes;
};
#define TORN_REPORT_EXPLAIN_MAX 50 /* failing states explained */
#define TORN_REPORT_WRITES_MAX 64 /* writes listed per state */
#define TORN_REPORT_FSMAP_MAX 10 /* of them, mapped to fs structures */

/* A write in flight in a failing state and what became of it. */
struct torn_report_write {
	uint64_t record, offset;
	uint32_t len;
	bool nt;
	int fate; /* enum torn_write_fate (stepper.h) */
	char where[256]; /* "func+0x12 at file.c:34", or the PC */
	char what[320]; /* what its line is in the filesystem (fsmap.h), "" */
};

/* A known finding the verdicts name (their "known"), most states first. */
#define TORN_REPORT_KNOWN_MAX 32
struct torn_report_known {
	char id[48];
	uint64_t states;
	char title[200]; /* the stock findings' title for it, "" */
	char doc[200]; /* and where it is explained, "" */
};

/* A marker of the trace. */
struct torn_report_mark {
	uint64_t record;
	uint32_t id;
	uint64_t arg;
	char text[256]; /* NUL-terminated (raw bytes of the trace) */
};

/* A slice of the trace for the timeline: records [first, end). */
#define TORN_REPORT_ADDR_BINS 24 /* the stores-by-address lane's rows */
struct torn_report_bucket {
	uint64_t first, end;
	uint32_t stores, nt_stores, kernel_stores;
	/* stores per band of [store_lo, store_hi) (torn_report), kernel's */
	uint16_t addr[TORN_REPORT_ADDR_BINS],
		addr_kernel[TORN_REPORT_ADDR_BINS];
	uint32_t flushes, unresolved, fences, marks;
	uint32_t max_inflight_lines; /* report's own replay (report.c) */
	uint32_t crash_points; /* crash points, checked or not */
	uint32_t points; /* crash points with verdicts */
	uint32_t failing_points; /* of them, with a failing state */
	uint64_t failing_states;
};

enum torn_report_enum_status {
	TORN_REPORT_ENUM_OFF, /* not asked for */
	TORN_REPORT_ENUM_SKIPPED, /* a prerequisite is missing (notes) */
	TORN_REPORT_ENUM_DONE,
	TORN_REPORT_ENUM_FAILED, /* notes say why */
};

struct torn_report {
	char *dir;

	/* meta.json; empty strings and -1 when absent */
	char fs[64], flush_mode[64], workload[128], kernel[128];
	/* check.json's engines, e.g. "prefix,subsets:1"; "": not recorded */
	char engines_used[256];
	int64_t boot_ms, workload_ms;

	/* trace.torn; has_trace false when it could not be read */
	bool has_trace;
	bool eadr; /* the header says flush-on-fail */
	uint64_t records; /* END excluded */
	uint64_t by_kind[8]; /* records by enum torn_record_kind */
	uint64_t lines_touched;
	size_t n_marks;
	struct torn_report_mark *marks;

	/* verdicts.jsonl */
	uint64_t lines; /* non-empty lines */
	uint64_t states; /* verdicts read (distinct state ids) */
	uint64_t bad_lines; /* corrupt or cut short: skipped */
	uint64_t duplicates; /* a state id seen again: the last kept */
	uint64_t by_verdict[TORN_V_COUNT];
	uint64_t failing; /* states not consistent */
	uint64_t known; /* of them flagged and explained by a known finding */
	bool strict; /* known ones fail too (torn_report_opts.strict) */
	size_t n_known; /* known findings named (the rest fold into the last) */
	struct torn_report_known known_ids[TORN_REPORT_KNOWN_MAX];
	uint64_t unique_images; /* distinct image_hash */
	uint64_t unique_semantic; /* distinct non-empty semantic_hash */
	uint64_t restore_ms, check_ms; /* summed over verdicts */
	uint64_t checkers; /* distinct "checker" numbers */
	uint64_t retried; /* verdicts with attempts > 1 */
	uint64_t check_busy_ms; /* the busiest checker's restore + check */
	/*
	 * verdicts.jsonl created to last written, or -1: unknown, or less
	 * than check_busy_ms (the file was copied, the times say nothing)
	 */
	int64_t check_wall_ms;
	bool check_wall_from_verdicts; /* from their "at_ms", not file times */

	size_t n_oracles;
	struct torn_report_oracle oracles[TORN_REPORT_ORACLES_MAX];
	size_t n_engines;
	struct torn_report_engine engines[8];

	size_t n_points; /* sorted by seq */
	struct torn_report_point *points;
	size_t n_failures; /* in verdicts.jsonl order */
	struct torn_report_failure *failures;

	/* the enumeration again, with the check's engines */
	int enum_status;
	char enum_options[160]; /* "model adr, granularity line, points fence"
				 */
	uint64_t enum_points; /* crash points (selected ones) */
	uint64_t enum_generated;
	uint64_t enum_unique;
	uint64_t enum_matched; /* verdicts whose id and image hash it gave */
	uint64_t enum_mismatched; /* id found, other image hash */
	uint64_t enum_missing; /* id never enumerated as unique */
	uint64_t enum_ms;
	bool enum_partial; /* stopped by the budget */

	size_t n_buckets;
	uint64_t store_lo, store_hi; /* the NVDIMM bytes the stores span */
	struct torn_report_bucket *buckets;

	/*
	 * Unique states the enumeration found (at the points the check
	 * selected, from its --from-op on) that have no verdict; 0 when not
	 * enumerated, or partially.
	 */
	uint64_t unchecked;
	/* verdicts.jsonl could not be read at all (torn_report_new_unread) */
	char load_error[512];

	size_t n_notes;
	char **notes;

	/* against a base run (torn_report_set_base), or NULL */
	struct torn_report_diff *diff;
};

/* One failure signature of two runs compared (torn report --base). */
struct torn_report_sig_diff {
	char *sig; /* torn_report_signature */
	uint64_t now, base; /* failing states with it in this run, the base */
	const char *now_id, *base_id; /* one state of each, or NULL */
	char known[48]; /* a known finding that explains it, "" */
};

struct torn_report_diff {
	size_t n; /* new first, then still failing, then fixed */
	struct torn_report_sig_diff *sigs;
	size_t n_new, n_still, n_fixed;
	char *base_dir;
	uint64_t base_states, base_failing;
};

/*
 * Read run directory dir.  Only a missing or unreadable verdicts.jsonl
 * is an error (TORN_E_NOTFOUND, -errno); everything else that is
 * missing or bad becomes a note.  o NULL: defaults with enumerate on.
 */
int torn_report_load(const char *dir, const struct torn_report_opts *o,
		     struct torn_report **out, struct torn_err *err);
void torn_report_free(struct torn_report *r); /* NULL is a no-op */

/*
 * A report of nothing but why verdicts.jsonl could not be read (why:
 * the loader's error), so that JUnit and HTML still say so.  0 or
 * -ENOMEM; free with torn_report_free.
 */
int torn_report_new_unread(const char *dir, const char *why,
			   struct torn_report **out);

/*
 * Why the run's verdicts cannot be taken as its result, one line each
 * (lower case, no full stop) into lines[0..max): verdicts.jsonl not
 * read, no verdicts in it, lines of it unreadable, states enumerated
 * without a verdict.  Returns how many there are, which may be more
 * than max (0: the verdicts are complete); lines may be NULL when max
 * is 0.
 */
#define TORN_REPORT_PROBLEMS_MAX 4
#define TORN_REPORT_PROBLEM_LEN 640
size_t torn_report_problems(const struct torn_report *r,
			    char (*lines)[TORN_REPORT_PROBLEM_LEN], size_t max);

/*
 * Nothing was checked because the enumeration gives no crash state:
 * torn check's exit 4 (torn_exit.h), said again by the report.
 */
bool torn_report_empty(const struct torn_report *r);

/*
 * torn report's exit status (torn_exit.h): TORN_EXIT_FAIL when a state
 * is inconsistent or unrecoverable and no known finding explains it
 * (strict: even when one does; a bug found outweighs the rest),
 * else TORN_EXIT_EMPTY when nothing was there to check, else
 * TORN_EXIT_INFRA when torn_report_problems() has any or the only
 * failing states are timeouts and errors, else TORN_EXIT_OK.
 */
int torn_report_exit_status(const struct torn_report *r);

/*
 * The overall result in words, the exit status's sentence (text report's
 * last line, the HTML banner): "FOUND 45 inconsistent of 108 crash
 * states", "no new inconsistency: 12 of 108 crash states flagged, all
 * known findings (F1 ×10, F2 ×2)", "all 108 crash states consistent",
 * "nothing checked: ...", "not a result: ...".
 */
void torn_report_verdict_line(const struct torn_report *r, char *buf,
			      size_t len);

/* "F1 ×10, F2 ×2": the known findings of r's verdicts, "" none. */
void torn_report_known_text(const struct torn_report *r, char *buf, size_t len);

/*
 * A failing state's signature: each failed oracle and the first line of
 * what it said, runs of digits as N, at most 120 bytes of each; the
 * verdict's name when no oracle failed (timeout, error).  g_free it.
 */
char *torn_report_signature(const struct torn_report_failure *s);

/*
 * Compare r's failing states with base's, by signature (state ids are
 * records of one trace: two traces share none), into r->diff.  now_id
 * and base_id point into the two reports: keep base until r is
 * rendered.  0 or -1 (memory).
 */
int torn_report_set_base(struct torn_report *r, const struct torn_report *base);
void torn_report_diff_free(struct torn_report_diff *d); /* NULL: no-op */
/* "new", "still failing" or "fixed" */
const char *torn_report_diff_class(const struct torn_report_sig_diff *s);
/* "2 new, 1 still failing, 0 fixed signature(s) against the base run" */
void torn_report_diff_summary(const struct torn_report_diff *d, char *buf,
			      size_t len);

/* The point seq, or NULL. */
const struct torn_report_point *
torn_report_find_point(const struct torn_report *r, uint64_t seq);

/* The text of the OP_BEGIN marker of operation op, or NULL. */
const char *torn_report_op_text(const struct torn_report *r, uint64_t op);

/*
 * Renderers: 0 or -errno (a write error).  The text summary is for a
 * terminal: control bytes in run data are shown as \xNN.
 */
int torn_report_write_text(const struct torn_report *r, FILE *f);
/* JUnit XML: one testcase per oracle, failing states with replay commands. */
int torn_report_write_junit(const struct torn_report *r, FILE *f);
/* One self-contained HTML page: timeline, points, failing states. */
int torn_report_write_html(const struct torn_report *r, FILE *f);

#endif
