/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run directory: the files the stages hand each other, read and written in
 * one place. */
#ifndef TORN_RUNDIR_H
#define TORN_RUNDIR_H

/*
 * A run directory (docs/user-guide.md) holds what torn trace made
 * (trace.torn, base.img, final.img, meta.json, expected.txt, kallsyms,
 * workload.log, console.log, origin.img on a kind with an origin disk)
 * and what torn check added (check.json,
 * verdicts.jsonl).  This module is the only code that reads or writes
 * meta.json, check.json and verdicts.jsonl; it does so through lib/json
 * (reader and writer), never by searching text.  Every file here is
 * untrusted when read: a field of the wrong type, a string too long for
 * its buffer, or a line cut short is an error with a one-line message
 * naming the file (and line), never a crash or a silent default.  The
 * strings here are C strings: one holding a NUL byte (\u0000) does not
 * fit its buffer either.
 *
 * Verdict lines speak the vocabulary of torn_verdict.h: verdict and
 * oracle names are parsed into its enums here, and an unknown name makes
 * a line unreadable.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"
#include "torn_verdict.h"

#define TORN_RUN_META "meta.json"
#define TORN_RUN_CHECK "check.json"
#define TORN_RUN_VERDICTS "verdicts.jsonl"
/* a user test's stage archive (harness/kit/kit.h), when it has one */
#define TORN_RUN_STAGE "stage.cpio"
/* the origin disk of a kind with one (torn_fs.origin_mb), as traced */
#define TORN_RUN_ORIGIN "origin.img"
/* the traced workload's /proc/PID/maps as it exited (guests/agent/maps.c) */
#define TORN_RUN_MAPS "maps"
/*
 * "inconsistent" when the run's spec said expect = inconsistent (a seeded
 * bug): torn report of the run, or of its shards merged, applies it
 */
#define TORN_RUN_EXPECT "expect.txt"

/* "DIR/NAME" into buf; TORN_E_RANGE when it does not fit. */
int torn_run_path(const char *dir, const char *name, char *buf, size_t len,
		  struct torn_err *err);

/*
 * The run's stage archive, DIR/stage.cpio, into buf: buf when the run
 * has one (a user's test), NULL when not (a built-in workload).
 */
const char *torn_run_stage(const char *dir, char *buf, size_t len);

/* ---- meta.json (written by torn trace) ---------------------------------- */

struct torn_run_meta {
	char fs[32]; /* torn_fs_kind_name() */
	char flush_mode[32]; /* torn_flush_mode_name() */
	char workload[128];
	char kit[72]; /* the kit's hash */
	char base_image[4096]; /* the cached base image it started from */
	char checker[1024]; /* the workload's checker command, "" none */
	char kernel[128]; /* guest kernel release */
	/* the kit's kernel: "stock", "built:HASH16" (torn kernel build), a path
	 */
	char kernel_build[4096];
	char cpu_flags[2048]; /* /proc/cpuinfo flags of the guest */
	char workload_status[64]; /* "exit 0", ... */
	char base_sha256[72], final_sha256[72];
	int64_t boot_ms, workload_ms; /* -1: not recorded */
	uint64_t pm_base, pm_size; /* 0: not recorded */
	bool untraced; /* the benchmark baseline: no trace */
};

/* All strings empty, times -1, numbers 0. */
void torn_run_meta_init(struct torn_run_meta *m);
/*
 * Write DIR/meta.json (atomically: a temporary file renamed over it).
 * Members that are empty strings or unrecorded numbers are left out.
 */
int torn_run_meta_write(const char *dir, const struct torn_run_meta *m,
			struct torn_err *err);
/*
 * Read DIR/meta.json into *m (torn_run_meta_init first).  -ENOENT when
 * missing; TORN_E_FORMAT with "DIR/meta.json: why" when it is not a JSON
 * object, a known member has the wrong type or does not fit.  Unknown
 * members are ignored (newer writers may add some).  A run directory
 * torn check can use also needs fs: callers check it.
 */
int torn_run_meta_read(const char *dir, struct torn_run_meta *m,
		       struct torn_err *err);

/* ---- check.json (written by torn check: how the states were made) -------- */

struct torn_run_check {
	char model[16]; /* torn_model_name(): "adr" / "eadr" */
	char granularity[16]; /* torn_granularity_name() */
	char points[256]; /* the --points text, e.g. "fence,store:100" */
	char engines[512]; /* canonical engine names, comma-separated */
	char oracles[256]; /* oracle names, comma-separated */
	uint64_t from_op; /* 0: none */
	/* --shard I/N: this check judged shard I (1..N) of N; 0, 0: all */
	uint64_t shard_index, shard_count;
	/* the kit that checked (torn_kit.hash); "": not known, not written */
	char kit[80];
};

#define TORN_SHARDS_MAX 1024

void torn_run_check_init(struct torn_run_check *c);
int torn_run_check_write(const char *dir, const struct torn_run_check *c,
			 struct torn_err *err);
/* As torn_run_meta_read; every member is optional on read (older runs). */
int torn_run_check_read(const char *dir, struct torn_run_check *c,
			struct torn_err *err);

/* ---- verdicts.jsonl (one line per checked crash state) ------------------- */

struct torn_verdict_rec {
	char state[96]; /* "<point>.<engine>.<index>" */
	uint64_t point;
	char engine[64];
	uint64_t index;
	char image_hash[40]; /* 32 hex digits */
	char semantic_hash[72]; /* sha256 hex of the recovered tree, "" */
	int verdict; /* enum torn_verdict */
	/* the known finding that explains it (inconsistent or unrecoverable
	 * only; known.h), "" none */
	char known[48];
	struct torn_oracle_result oracles[TORN_O_COUNT];
	uint64_t last_op_begin, last_op_end, last_durable;
	char error[1200]; /* infrastructure detail, "" */
	/* -1: not recorded (left out when written) */
	int64_t ms_restore, ms_check, at_ms;
	/*
	 * --coverage: the kernel's gcov counters this state's recovery was
	 * first to reach, and the milliseconds reading them took; -1 none
	 */
	int64_t coverage_new, ms_coverage;
	int attempts; /* 1 when not recorded */
	int checker; /* which checker guest; -1: not recorded */
	/* the line had no markers (read: older or hand-made; written: none) */
	bool no_markers;
	uint64_t line; /* read by torn_verdicts_foreach: from 1 */
};

/* A line longer than this is not a verdict (the check writes a few KB). */
#define TORN_VERDICT_LINE_MAX (1u << 20)

/*
 * Everything empty or zero, no oracle ran, verdict consistent, times
 * and checker -1, attempts 1: what a line that says nothing more holds.
 */
void torn_verdict_rec_init(struct torn_verdict_rec *v);

/*
 * The line for v, '\n' included, as the check writes it (compact JSON,
 * "failed" listing the oracles that ran and failed, in enum order;
 * empty details and error, and unrecorded numbers, left out).  v's
 * verdict must be one of enum torn_verdict.  Returns a malloc'd string
 * (free()) and its length, or NULL on ENOMEM.
 */
char *torn_verdict_rec_format(const struct torn_verdict_rec *v, size_t *len);
/*
 * Parse one line (without its '\n') into *v.  TORN_E_FORMAT with a
 * reason for anything that is not a well-formed verdict: bad JSON,
 * missing state or verdict, an unknown verdict or oracle name, a
 * "failed" list that disagrees with the oracles, negative times, a
 * string that does not fit.  Only state and verdict are required; point,
 * engine and index, when missing, are taken from the state id, and must
 * agree with it when present; image_hash is "" or 32 hex digits,
 * semantic_hash "" or 64.  Unknown members are ignored.  v->line is 0.
 */
int torn_verdict_rec_parse(const char *line, size_t len,
			   struct torn_verdict_rec *v, struct torn_err *err);

/* Appending verdicts while checking. */
struct torn_verdict_log;

enum torn_verdict_log_mode {
	TORN_VLOG_APPEND, /* keep what is there (--resume) */
	TORN_VLOG_TRUNCATE, /* start empty */
};
/*
 * Open DIR/verdicts.jsonl for appending (created 0644); TORN_E_FORMAT
 * when it is there and not a regular file.
 */
int torn_verdict_log_open(const char *dir, enum torn_verdict_log_mode mode,
			  struct torn_verdict_log **out, struct torn_err *err);
/*
 * For tests only: a log over a descriptor already open for writing
 * (/dev/full, to see a failed append), taken over: closed by _close,
 * and by this function when it fails.
 */
int torn_verdict_log_open_fd(int fd, struct torn_verdict_log **out,
			     struct torn_err *err);
/*
 * Append one line with a single write() on an O_APPEND descriptor, so a
 * dying torn leaves whole lines only.  Thread-safe.  A write that cannot
 * finish is an error with the real errno (ENOSPC, EIO...; after a short
 * write the rest is written again, to finish the line or learn why not),
 * and the log is left as whole lines (a partial line is truncated away
 * when possible).
 */
int torn_verdict_log_append(struct torn_verdict_log *log,
			    const struct torn_verdict_rec *v,
			    struct torn_err *err);
/* fsync and close; 0, or the error of the fsync. NULL: no-op. */
int torn_verdict_log_close(struct torn_verdict_log *log, struct torn_err *err);

/*
 * Keep DIR/verdicts.jsonl as DIR/verdicts.jsonl.N, N the first number
 * from 1 no file has (never replacing one), for a check that starts
 * over (--fresh); its path into backup.  -ENOENT when there is no
 * verdicts.jsonl; -errno with "cannot rename PATH: why" otherwise.
 */
int torn_verdicts_backup(const char *dir, char *backup, size_t len,
			 struct torn_err *err);

/* Reading them back. */
struct torn_verdicts_stats {
	uint64_t lines; /* non-empty lines */
	uint64_t good; /* parsed */
	uint64_t unreadable; /* not a verdict (first reason in first_bad) */
	uint64_t cut; /* the last line, cut short (no '\n') */
	uint64_t first_bad_line; /* 1-based; 0 none */
	char first_bad[300]; /* "verdicts.jsonl line N: why", "" none */
};

/*
 * Call fn for every readable verdict of DIR/verdicts.jsonl in file order
 * (fn returns 0 to go on, non-zero to stop and have that returned).
 * -ENOENT when the file is missing; TORN_E_FORMAT when it is not a
 * regular file; -errno when reading fails.  Unreadable lines are counted
 * in *st, not fatal.  Lines of blanks only are skipped; blanks and a
 * '\r' around a line are not part of it.  A line that is not a verdict
 * but ends in a whole one (a check killed mid-line, then resumed, wrote
 * the next verdict right after the cut one) counts as one unreadable
 * line, and its whole verdict is read as well.  A last line without its
 * '\n' that does not parse counts in cut, not in unreadable.  A state
 * may have several lines (an error verdict retried by --resume): the
 * last one is its verdict, for every reader.
 */
int torn_verdicts_foreach(
	const char *dir, int (*fn)(const struct torn_verdict_rec *v, void *ctx),
	void *ctx, struct torn_verdicts_stats *st, struct torn_err *err);

#endif
