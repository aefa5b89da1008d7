/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The check stage's parts its files, torn replay and the tests share. */
#ifndef TORN_CHECK_INT_H
#define TORN_CHECK_INT_H

/*
 * check.h is the stage for its callers; this is how it is made:
 *  - the decisions, pure and unit-tested: which states are new
 *    (check_state_is_new), which a --resume skips (check_resume_skips),
 *    how a check starts (check_start_decide) and ends
 *    (check_end_decide, check_exit_code);
 *  - the one enumeration loop over the states to check (check_walk);
 *  - a checker guest and one state's recovery and oracles (checker_*,
 *    check_one), which torn replay uses alone;
 *  - the pool of checker threads (check_pool_*).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

#include "guest.h"
#include "known.h"
#include "oracles.h"
#include "restore.h"
#include "rundir.h"
#include "states.h"
#include "torn_err.h"
#include "torn_verdict.h"
#include "trace.h"
#include "wp.h"

struct check_coverage;

/* ---- which crash states get checked ------------------------------------ */

/* What the dedup decision depends on besides the state itself. */
struct check_dedup {
	const struct oracle_marker *markers; /* in record order */
	size_t nmarkers;
	uint64_t from_record; /* --from-op: points before it skipped; 0 */
};

/* How many of the markers m (record order) come before record point. */
size_t check_markers_before(const struct oracle_marker *m, size_t n,
			    uint64_t point);

/*
 * The dedup decision for a state with image hash at crash point point:
 * false when the point comes before --from-op's record (not a state to
 * check at all), else true with *key its identity for dedup,
 * torn_state_context_key(hash, markers before the point).  The oracles
 * judge an image against what the workload had acknowledged by the crash
 * point, so the same image before and after a marker is two states.  Pure.
 */
bool check_dedup_key(const struct check_dedup *d, uint64_t point,
		     struct torn_hash128 hash, struct torn_hash128 *key);

/*
 * 1 for a state to check (its key now in seen; also when seen cannot
 * grow, so that nothing goes unchecked), 0 for a duplicate of one seen
 * before or a point before --from-op.  The key goes to *key when not
 * NULL (and the state is new).
 */
int check_state_is_new(const struct check_dedup *d, struct torn_state_set *seen,
		       uint64_t point, struct torn_hash128 hash,
		       struct torn_hash128 *key);

/*
 * Every state's verdict in DIR/verdicts.jsonl: its last readable line's
 * (a state checked again, e.g. an error retried by --resume, has its new
 * line appended).  A line cut short by a dying torn is no verdict.  A
 * missing or unreadable file makes an empty table.  Returns id ->
 * GINT_TO_POINTER(verdict + 1) (g_hash_table_destroy), never NULL; the
 * file's line counts go to *st when not NULL.
 */
GHashTable *check_last_verdicts(const char *dir,
				struct torn_verdicts_stats *st);

/*
 * Whether --resume skips a state whose last verdict is v: every verdict
 * but error (the harness failed, not the state: checked again); a
 * timeout is the state's own.  Pure.
 */
bool check_resume_skips(int verdict);

/*
 * The states --resume skips (check_last_verdicts, check_resume_skips):
 * a set of ids (g_hash_table_destroy), never NULL; how many states are
 * checked again because their verdict was error into *retry when not
 * NULL; the file's line counts to *st when not NULL.
 */
GHashTable *check_resume_set(const char *dir, uint64_t *retry,
			     struct torn_verdicts_stats *st);

/* How a check starts with the verdicts.jsonl it finds. */
enum check_start {
	CHECK_START_NEW, /* nothing there: a new, empty log */
	CHECK_START_RESUME, /* --resume: append */
	CHECK_START_FRESH, /* --fresh over verdicts: back them up first */
	CHECK_START_REFUSE, /* verdicts there, neither: usage error */
	CHECK_START_BOTH, /* --resume and --fresh: usage error */
};

/*
 * The start for --resume, --fresh and whether verdicts.jsonl has lines
 * (lines: non-empty ones, readable or not: nothing is thrown away
 * unasked).  Pure.
 */
enum check_start check_start_decide(bool resume, bool fresh, uint64_t lines);

/* How a check ended, besides its verdicts. */
struct check_end {
	int log_error; /* negative: a verdict could not be written; 0 */
	bool log_sync; /* log_error is the closing fsync's */
	bool interrupted; /* SIGINT or SIGTERM */
	uint64_t kept; /* states with a verdict in verdicts.jsonl */
	const uint64_t *count; /* [TORN_V_COUNT]: this check's verdicts */
	uint64_t done; /* states this check judged */
	uint64_t known; /* of them flagged and explained by a known finding */
	bool strict; /* known findings fail the check too */
};

/*
 * The exit code a check with run directory dir ends with, and the one
 * line (without '\n') for stderr into line, "" when none: a verdict not
 * written is TORN_EXIT_INFRA with "torn: cannot append to
 * DIR/verdicts.jsonl: why; N verdicts kept; continue with torn check DIR
 * --resume"; an interruption TORN_EXIT_INTERRUPTED with "torn:
 * interrupted; N verdicts kept in DIR/verdicts.jsonl; continue with ...";
 * otherwise check_exit_code.  Pure.
 */
int check_end_decide(const struct check_end *e, const char *dir, char *line,
		     size_t len);

/*
 * SIGINT, SIGTERM and SIGHUP caught for a check (over
 * torn_vm_install_signal_handlers): the first sets check_interrupted()
 * and puts the earlier handlers back, so that a second one kills every
 * guest and torn at once.  check_signals_restore puts them back too.
 */
void check_signals_install(void);
void check_signals_restore(void);
bool check_interrupted(void);

/*
 * The exit code a check's verdicts make (count[v]: states with verdict v,
 * done: all checked states, known: flagged ones a known finding
 * explains): a flagged state fails the check unless it is known (strict:
 * even then).  TORN_EXIT_OK when every state is consistent or a known
 * finding, TORN_EXIT_INFRA when some are errors and none fails the
 * check, TORN_EXIT_FAIL otherwise.  Pure.
 */
int check_exit_code(const uint64_t count[TORN_V_COUNT], uint64_t done,
		    uint64_t known, bool strict);

/*
 * "F1 ×10, F2 ×2": the findings of k with a non-zero count in by[]
 * (indexed as k), most first, ties in k's order; "" when none.
 */
void check_known_text(const struct torn_known *k, const uint64_t *by, char *buf,
		      size_t len);

struct torn_check_opts;

/*
 * What check.json records of a check with options o whose enumerator
 * resolved the model to model: the model and granularity (what torn
 * replay needs to rebuild a state), the --points text ("fence" when none
 * was given), the engines' canonical names and the oracles, comma
 * separated, and --from-op.  Pure.
 */
void check_json_fill(struct torn_run_check *c, const struct torn_check_opts *o,
		     int model);

/*
 * o's settings against the run's (torn_check_opts.given): --fs and
 * --flush against meta; with resume, the states settings against
 * DIR/check.json, taken from it where o was not given them (the points
 * text copied into points_buf).  0, or TORN_E_USAGE with
 * "--engine torn: the run was checked with prefix,subsets:1 (check.json);
 * --fresh starts over with other settings" in err.
 */
int check_settings_reconcile(struct torn_check_opts *o,
			     const struct torn_run_meta *meta, bool resume,
			     char *points_buf, size_t points_len,
			     struct torn_err *err);

/* ---- the one enumeration loop ------------------------------------------ */

struct check_plan {
	struct check_dedup dedup;
	GHashTable *done; /* ids --resume skips; NULL: none */
	uint32_t shard_index, shard_count; /* 1..count of count; 0, 0: all */
};

/* What check_walk tells its caller; a callback returns non-zero to stop. */
struct check_visit {
	/* Every crash point, before its states; NULL: not wanted. */
	int (*point)(const struct torn_crash_point *pt, void *ctx);
	/* Every state to check (new, from --from-op on); done: skip it. */
	int (*state)(const struct torn_crash_state *cs, const char *id,
		     bool done, void *ctx);
	void *ctx;
};

/*
 * An enumerator for checking: so with the enumerator's own dedup off
 * (checking dedups by image and markers, check_state_is_new).
 */
int check_states_new(struct torn_states **out, const struct torn_trace *t,
		     const uint8_t *base, uint64_t size,
		     const struct torn_states_opts *so, struct torn_err *err);

/*
 * Walk the states of s (check_states_new) in enumeration order, handing
 * the ones to check to v.  0 at the end, the value a callback stopped
 * with, or the enumeration's negative error (torn_states_get_error).
 */
int check_walk(const struct check_plan *plan, struct torn_states *s,
	       const struct check_visit *v);

/* ---- the run being checked --------------------------------------------- */

/* What recovering and judging a state needs; read-only once set up. */
struct check_run {
	const char *dir;
	struct guest_opts guest; /* fs kind and flush mode from meta.json */
	struct torn_kit kit;
	unsigned int oracles; /* TORN_O_BIT()s */
	int timeout_ms; /* each step in the guest */
	int fs_kind; /* enum torn_fs_kind */
	char checker_prog[1024]; /* the custom oracle's command line (shell
				    words, docs/oracles.md), "" none */
	char stage[4200]; /* DIR/stage.cpio when the run has one: guests
			     boot with the user test staged (kit.h) */
	/* the kit the run was traced with (meta.json's "kit"); "": unknown */
	char trace_kit[80];
	/* the kernel the run was traced on (meta.json), when no --kernel */
	char kernel[4096];
	struct oracle_expected *expected; /* NULL: no expected.txt */
	struct oracle_marker *markers; /* of the trace, in record order */
	size_t nmarkers;
	uint64_t pm_size;
	const uint8_t *base; /* base.img, pm_size bytes */
	bool boot_per_state; /* a fresh guest per state (baseline) */
	FILE *verbose; /* torn replay: every step's output */
	const struct torn_known *known; /* NULL: none */
	/*
	 * The write-tracking shim preloaded into checker guests' QEMU
	 * (vm/wp.h), "" none: without it every page may have been written
	 * by recovery, and the next restore compares them all.
	 */
	char wp_shim[4096];
	/*
	 * Where the filesystem starts in the backing file when its fsck
	 * runs on the host (the same e2fsck -fn or xfs_repair -n on the
	 * same bytes, natively: hostfsck.c); 0: fsck runs in the guest.
	 */
	uint64_t host_fsck_offset;
	/*
	 * What rebuilding a state from scratch needs (a retry, a guest that
	 * wrote its NVDIMM while it booted); NULL trace: no rebuild (torn
	 * replay, which restores its own image).
	 */
	const struct torn_trace *trace;
	const struct torn_states_opts *states;
	/*
	 * --coverage (coverage.c): the counters of every state's recovery
	 * summed; NULL without it
	 */
	struct check_coverage *cov;
	/* warm starts (warm.c); NULL: every checker boots */
	struct check_warm *warm;
};

/*
 * Whether run's fsck can run on the host: ext4-dax or xfs-dax with the
 * fsck oracle, e2fsck or xfs_repair on the host's PATH, the filesystem's
 * superblock where the namespace's data starts (2 MiB into base.img),
 * and $TORN_FSCK not "guest".  Sets run->host_fsck_offset; returns it.
 */
uint64_t check_run_host_fsck(struct check_run *run);

/* The shim torn was built with ($TORN_WP_SHIM overrides, "" turns it off). */
const char *check_wp_shim_default(void);

/*
 * The filesystem, flush mode and checker program of meta.json into run
 * (checker replaced by checker when not NULL).  TORN_E_FORMAT with
 * "meta.json: unknown fs 'X'" when it names no filesystem torn knows.
 */
int check_run_from_meta(struct check_run *run, const struct torn_run_meta *m,
			const char *checker, struct torn_err *err);
/*
 * DIR/expected.txt into run->expected when there is one; TORN_E_FORMAT
 * with "PATH: why" when it does not parse.
 */
/*
 * 0 when the kit in run->kit is the one the run was traced with, or the
 * trace recorded none, or --kernel chose another kernel on purpose, or
 * any_kit; else TORN_E_USAGE and one line naming both kits.
 */
int check_kit_matches(const struct check_run *run, bool any_kit,
		      struct torn_err *err);
int check_run_load_expected(struct check_run *run, struct torn_err *err);
/* The markers of t into run->markers (free()), in record order. */
int check_run_collect_markers(struct check_run *run,
			      const struct torn_trace *t);
/*
 * The record of op's begin marker, for --from-op; TORN_E_USAGE with
 * "--from-op N: the trace has ops 1..M" (or "has no op markers").
 */
int check_find_op_begin(const struct check_run *run, uint64_t op,
			uint64_t *record, struct torn_err *err);
/* What the set-up functions allocated. */
void check_run_fini(struct check_run *run);

/* ---- one checker guest and one state ------------------------------------ */

struct check_job {
	char id[96];
	char engine[64];
	uint64_t point;
	uint64_t index;
	char image_hash[40];
	unsigned int flags; /* TORN_STATE_F_* */
	long long restore_ms; /* putting its image in place */
};

struct check_pool;

struct checker {
	const struct check_run *run;
	struct check_pool *pool; /* NULL outside a pool (torn replay) */
	int idx;
	struct torn_vm *vm;
	bool ns_disabled; /* a sector namespace left disabled (its check) */
	char work[4096];
	char pm_path[4200];
	uint8_t *pm; /* the backing file, shared with QEMU */
	/*
	 * pm's pages that may differ from the persisted image the walk is
	 * at: the last state's delta, the lines persisted since, and what
	 * the guest wrote (wp; all pages when that is unknown).
	 */
	struct check_pages stale;
	struct torn_wp wp; /* the guest's writes to pm */
	/*
	 * A remote hypervisor's checker (--backend libvirt:URI of another
	 * host): pm is this host's copy of its NVDIMM, the volume vol of
	 * store there; push marks the pages to upload before the next
	 * check, and after each check the volume is read back into pm.
	 */
	struct torn_vm_store *store;
	char vol[160];
	char *pm_rpath;
	/* the shim's files there (wp_scan.h) and whether it answers */
	char *wp_rpath[3]; /* status, ask, answer */
	bool wp_remote;
	uint64_t wp_seq;
	struct check_pages push;
	uint64_t bytes_up, bytes_down, runs_up;
	long long ms_transfer; /* uploads and read-backs, all jobs */
	/* TORN_VERIFY_RESTORE: volumes compared after an upload, unequal */
	uint64_t remote_verified, remote_wrong;
	char wp_why[256]; /* why wp is off, "" on */
	bool fsck_on_host; /* run->host_fsck_offset, and set up for it */
	int loop_fd; /* XFS: a read-only loop device on pm at the offset */
	char loop_dev[32];
	pthread_t thread;
	bool has_job; /* under pool->lock */
	bool quit;
	struct check_job job;
	uint64_t pages_restored;
	uint64_t pages_written; /* by the guest, as wp reported */
	uint64_t rebuilds; /* images built again from scratch */
	uint64_t boots;
	/* --coverage: the gcov dump after this state's recovery, or NULL */
	void *coverage;
	size_t coverage_len;
	unsigned int coverage_states; /* the states that dump covers */
	unsigned int cov_pending; /* states since this guest's last reset */
	bool cov_full; /* this guest sent every .gcda once */
};

/*
 * Warm starts (warm.c).  setup: run->warm, which counts checker starts,
 * and lets checkers start from a saved guest unless under libvirt, with
 * an origin disk, with --boot-per-state, or with TORN_WARM=0; the
 * saved guest's file is keyed by the
 * guest's command line, kernel, initrd, QEMU and the NVDIMM's metadata.
 * config: cfg made savable, and set to start from the saved guest when
 * there is one (true).  failed: that start failed; the file is deleted
 * and checkers boot from now on.  started: after a start that took ms
 * (warm or booted); the first booted guest is saved.  say: one line of
 * counts and times.
 */
struct check_warm;
void check_warm_setup(struct check_run *run);
bool check_warm_config(struct checker *c, struct torn_vm_config *cfg);
void check_warm_failed(struct checker *c, const struct torn_err *err);
void check_warm_started(struct checker *c, bool warm, long long ms);
void check_warm_say(const struct check_run *run);
void check_warm_fini(struct check_run *run);

/* One state's outcome. */
struct check_result {
	int verdict; /* torn_verdict_combine(r, judge) */
	unsigned int judge; /* TORN_J_* (verdict.h) */
	bool infra; /* the guest failed us: restart and retry */
	struct torn_oracle_result r[TORN_O_COUNT];
	char semantic[65];
	char infra_detail[600];
	struct oracle_progress progress;
	int64_t ms_coverage; /* reading the gcov counters; -1 not read */
};

/*
 * A remote checker: upload what push marks (0, or an error: then all
 * of pm is marked to go again); read the volume back into pm, marking
 * stale what the guest changed.  Both add to c->ms_transfer.
 */
int checker_push(struct checker *c, struct torn_err *err);
int checker_pull(struct checker *c, uint64_t *changed, struct torn_err *err);
/*
 * init: the NVDIMM as a volume there holding pm (0 or -EIO, said on
 * stderr).  boot: the shim's files for a boot (new, so that nothing of the last
 * QEMU's is read), and after it whether the shim there tracks writes (wp_why
 * says why not).  All of it is kept out of local checkers.
 */
int checker_remote_init(struct checker *c);
int checker_remote_boot(struct checker *c, struct torn_err *err);
void checker_remote_booted(struct checker *c);
void checker_remote_fini(struct checker *c);

/*
 * Work directory, backing file (a copy of base_path), image buffers;
 * 0 or a negative error.  checker_fini undoes it, also after a failure.
 */
int checker_init(struct checker *c, const struct check_run *run, int idx,
		 const char *base_path);
/*
 * Boot c's guest on its backing file, with the write-tracking shim when
 * run has one (c->wp; c->wp_why says why not).
 */
int checker_boot(struct checker *c, struct torn_err *err);
/*
 * Set c up to run fsck on the host when run->host_fsck_offset says so
 * (XFS: a read-only, auto-clearing loop device on the backing file at
 * the offset, since xfs_repair takes no offset); otherwise, or when that
 * fails (said once on stderr), c's fsck runs in its guest.
 */
void check_host_fsck_attach(struct checker *c);
void check_host_fsck_detach(struct checker *c);
/*
 * fsck -n of c's backing file on the host, after the guest's umount:
 * its status ("exit N", "timeout") and stdout, with the device named
 * /dev/pmem0 as in the guest (free both).  0 or a negative error.
 */
int check_host_fsck(struct checker *c, char **status, char **out);

/* Kill c's guest at once (it failed us). */
void checker_kill(struct checker *c);
/*
 * Mark in c->stale the pages c's guest wrote since the last call (all of
 * them when that is unknown: no tracking, or no guest to ask).  Returns
 * how many pages were marked.
 */
uint64_t checker_collect_writes(struct checker *c);
void checker_fini(struct checker *c);
/*
 * Recover the image now in c's backing file and run the oracles on it
 * for c->job; with run->verbose set, every step's full output goes there
 * too.  Returns 0 with res->verdict set, or -1 when the guest failed
 * (res->infra set, the verdict still to be decided).
 */
int check_one(struct checker *c, struct check_result *res);

/* ---- the pool of checker threads ---------------------------------------- */

struct check_pool {
	const struct check_run *run;
	struct checker *checkers;
	int jobs;
	int started; /* threads running */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct torn_verdict_log *log;
	/* under lock */
	uint64_t done, by_verdict[TORN_V_COUNT];
	uint64_t known; /* flagged states a known finding explains */
	uint64_t *by_known; /* per finding of run->known */
	int log_error; /* the first append that failed; 0 */
	bool stopping; /* no more jobs: check_pool_wait_free says NULL */
	GHashTable *semantic; /* distinct semantic hashes */
	uint64_t total; /* unique states to check, for progress */
	long long t_start; /* torn_now_ms() the check began at */
};

/*
 * jobs checkers on base_path, each in its own thread, appending to log.
 * On failure ("torn: cannot set up checker N" on stderr) the checkers
 * started so far keep running: check_pool_stop ends them either way.
 */
int check_pool_start(struct check_pool *p, const struct check_run *run,
		     int jobs, const char *base_path,
		     struct torn_verdict_log *log, long long t_start);
/*
 * Wait for an idle checker: its backing file is the caller's till
 * hand-over.  NULL once the pool is stopping (a verdict could not be
 * written, or check_interrupted()): dispatch no more.
 */
struct checker *check_pool_wait_free(struct check_pool *p);
/*
 * A verdict append failed with ret: the first failure is kept (the
 * check ends with it) and the pool stops taking jobs.  Caller holds
 * p->lock.
 */
void check_pool_log_failed(struct check_pool *p, int ret);
/*
 * c->pm holds the state's image (put there in restore_ms, restored
 * pages): give c the job.
 */
void check_pool_hand_over(struct check_pool *p, struct checker *c,
			  const char *id, uint64_t point,
			  const struct torn_engine *engine, uint64_t index,
			  const struct torn_hash128 *hash, unsigned int flags,
			  long long restore_ms, uint64_t restored);
/* States checked so far. */
uint64_t check_pool_done(struct check_pool *p);
/* Let the checkers finish their jobs, end the threads and the guests. */
void check_pool_stop(struct check_pool *p);
void check_pool_fini(struct check_pool *p);

/*
 * --coverage (coverage.c).  open: the check boots a --gcov kernel torn
 * built (or TORN_E_USAGE), the set of counters made, and with resume
 * the run's earlier ones read back.  reset: the guest's counters zeroed,
 * before a state's recovery.  read: the guest's counters into c, right
 * after the recovery (the namespace's and the mount's; not the oracles'
 * own file system calls), res->ms_coverage timed.  add: c's counters
 * summed into run's, *fresh the counters this state reached first (-1:
 * none read, or a dump left out, said once).  With batch N > 1 (on
 * open) reset and read run once every N states of a checker: the states
 * between get no counters of their own (*fresh -1), the one that reads
 * gets the batch's.  flush: a checker's last, partial batch, read and
 * added when it stops.  lost: a guest that is killed takes its pending
 * states' counters with it (counted, said at write).  write:
 * RUN/coverage/gcda (a .gcda per profiled file, renamed over the last
 * set) and RUN/coverage/summary.json.  Each is a no-op without
 * --coverage.
 */
int check_coverage_open(struct check_run *run, bool resume, unsigned int batch,
			struct torn_err *err);
int check_coverage_reset(struct checker *c, struct torn_err *err);
int check_coverage_read(struct checker *c, struct check_result *res,
			struct torn_err *err);
void check_coverage_add(const struct check_run *run, struct checker *c,
			int64_t *fresh);
void check_coverage_flush(struct checker *c);
void check_coverage_lost(struct checker *c);
int check_coverage_write(struct check_run *run, struct torn_err *err);
void check_coverage_fini(struct check_run *run);

#endif
