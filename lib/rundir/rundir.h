/* The run directory: the files the stages hand each other, read and written in one place. */
#ifndef TORN_RUNDIR_H
#define TORN_RUNDIR_H

/*
 * A run directory (docs/user-guide.md) holds what torn trace made
 * (trace.torn, base.img, final.img, meta.json, expected.txt, kallsyms,
 * workload.log, console.log) and what torn check added (check.json,
 * verdicts.jsonl).  This module is the only code that reads or writes
 * meta.json, check.json and verdicts.jsonl; it does so through lib/json
 * (reader and writer), never by searching text.  Every file here is
 * untrusted when read: a field of the wrong type, a string too long for
 * its buffer, or a line cut short is an error with a one-line message
 * naming the file (and line), never a crash or a silent default.
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

/* "DIR/NAME" into buf; TORN_E_RANGE when it does not fit. */
int torn_run_path(const char *dir, const char *name, char *buf, size_t len,
		  struct torn_err *err);

/* ---- meta.json (written by torn trace) ---------------------------------- */

struct torn_run_meta {
	char fs[32];		/* torn_fs_kind_name() */
	char flush_mode[32];	/* torn_flush_mode_name() */
	char workload[128];
	char kit[72];		/* the kit's hash */
	char base_image[4096];	/* the cached base image it started from */
	char checker[1024];	/* the workload's checker command, "" none */
	char kernel[128];	/* guest kernel release */
	char cpu_flags[2048];	/* /proc/cpuinfo flags of the guest */
	char workload_status[64];	/* "exit 0", ... */
	char base_sha256[72], final_sha256[72];
	int64_t boot_ms, workload_ms;	/* -1: not recorded */
	uint64_t pm_base, pm_size;	/* 0: not recorded */
	bool untraced;		/* the benchmark baseline: no trace */
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
	char model[16];		/* torn_model_name(): "adr" / "eadr" */
	char granularity[16];	/* torn_granularity_name() */
	char points[256];	/* the --points text, e.g. "fence,store:100" */
	char engines[512];	/* canonical engine names, comma-separated */
	char oracles[256];	/* oracle names, comma-separated */
	uint64_t from_op;	/* 0: none */
};

void torn_run_check_init(struct torn_run_check *c);
int torn_run_check_write(const char *dir, const struct torn_run_check *c,
			 struct torn_err *err);
/* As torn_run_meta_read; every member is optional on read (older runs). */
int torn_run_check_read(const char *dir, struct torn_run_check *c,
			struct torn_err *err);

/* ---- verdicts.jsonl (one line per checked crash state) ------------------- */

struct torn_verdict_rec {
	char state[96];		/* "<point>.<engine>.<index>" */
	uint64_t point;
	char engine[64];
	uint64_t index;
	char image_hash[40];	/* 32 hex digits */
	char semantic_hash[72];	/* sha256 hex of the recovered tree, "" */
	int verdict;		/* enum torn_verdict */
	struct torn_oracle_result oracles[TORN_O_COUNT];
	uint64_t last_op_begin, last_op_end, last_durable;
	char error[600];	/* infrastructure detail, "" */
	int64_t ms_restore, ms_check, at_ms;
	int attempts;
	int checker;		/* which checker guest */
};

/*
 * The line for v, '\n' included, as the check writes it (compact JSON,
 * "failed" listing the oracles that ran and failed, in enum order).
 * Returns a malloc'd string (free()) and its length, or NULL on ENOMEM.
 */
char *torn_verdict_rec_format(const struct torn_verdict_rec *v, size_t *len);
/*
 * Parse one line (without its '\n') into *v.  TORN_E_FORMAT with a
 * reason for anything that is not a well-formed verdict: bad JSON,
 * missing state or verdict, an unknown verdict or oracle name, a
 * "failed" list that disagrees with the oracles, negative times, a
 * string that does not fit.
 */
int torn_verdict_rec_parse(const char *line, size_t len,
			   struct torn_verdict_rec *v, struct torn_err *err);

/* Appending verdicts while checking. */
struct torn_verdict_log;

enum torn_verdict_log_mode {
	TORN_VLOG_APPEND,	/* keep what is there (--resume) */
	TORN_VLOG_TRUNCATE,	/* start empty */
};
int torn_verdict_log_open(const char *dir, enum torn_verdict_log_mode mode,
			  struct torn_verdict_log **out, struct torn_err *err);
/*
 * Append one line with a single write() on an O_APPEND descriptor, so a
 * dying torn leaves whole lines only.  Thread-safe.  A short or failed
 * write is an error with the real errno (ENOSPC, EIO...), and the log is
 * left as whole lines (a partial line is truncated away when possible).
 */
int torn_verdict_log_append(struct torn_verdict_log *log,
			    const struct torn_verdict_rec *v,
			    struct torn_err *err);
/* fsync and close; 0, or the error of the fsync. NULL: no-op. */
int torn_verdict_log_close(struct torn_verdict_log *log,
			   struct torn_err *err);

/* Reading them back. */
struct torn_verdicts_stats {
	uint64_t lines;		/* non-empty lines */
	uint64_t good;		/* parsed */
	uint64_t unreadable;	/* not a verdict (first reason in first_bad) */
	uint64_t cut;		/* the last line, cut short (no '\n') */
	uint64_t first_bad_line;	/* 1-based; 0 none */
	char first_bad[300];
};

/*
 * Call fn for every readable verdict of DIR/verdicts.jsonl in file order
 * (fn returns 0 to go on, non-zero to stop and have that returned).
 * -ENOENT when the file is missing; TORN_E_FORMAT when it is not a
 * regular file.  Unreadable lines are counted in *st, not fatal.
 */
int torn_verdicts_foreach(const char *dir,
			  int (*fn)(const struct torn_verdict_rec *v,
				    void *ctx),
			  void *ctx, struct torn_verdicts_stats *st,
			  struct torn_err *err);

#endif
