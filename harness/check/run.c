/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn_check_run: load the run, walk its unique states, judge them. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "check_int.h"
#include "restore.h"
#include "torn_exit.h"
#include "torn_time.h"

void torn_check_opts_init(struct torn_check_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->oracles = TORN_O_ALL;
	o->timeout_ms = 60000;
	o->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o->limit = UINT64_MAX;
	torn_states_opts_init(&o->states);
}

int torn_check_order_parse(const char *s, enum torn_check_order *order,
			   uint64_t *seed, struct torn_err *err)
{
	char *end;

	*seed = 0;
	if (!s || !strcmp(s, "trace")) {
		*order = TORN_CHECK_ORDER_TRACE;
	} else if (!strcmp(s, "reverse")) {
		*order = TORN_CHECK_ORDER_REVERSE;
	} else if (!strncmp(s, "shuffle:", 8)) {
		*order = TORN_CHECK_ORDER_SHUFFLE;
		*seed = strtoull(s + 8, &end, 0);
		if (*end || !*seed)
			return torn_err_set(
				err, TORN_E_USAGE,
				"--order '%s': the seed must be a non-zero number",
				s);
	} else {
		return torn_err_set(
			err, TORN_E_USAGE,
			"--order '%s': expected trace, reverse or shuffle:SEED",
			s);
	}
	return 0;
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t signalled;
static const int caught[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction before[G_N_ELEMENTS(caught)];
static bool installed;

/* Stop dispatching; the rest is the main thread's (torn_check_run). */
static void on_signal(int sig)
{
	size_t i;

	signalled = sig;
	/* again: the earlier handler, which kills the guests and torn */
	for (i = 0; i < G_N_ELEMENTS(caught); i++)
		sigaction(caught[i], &before[i], NULL);
}

void check_signals_install(void)
{
	struct sigaction sa;
	size_t i;

	if (installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < G_N_ELEMENTS(caught); i++)
		sigaddset(&sa.sa_mask, caught[i]);
	for (i = 0; i < G_N_ELEMENTS(caught); i++)
		sigaction(caught[i], &sa, &before[i]);
	installed = true;
}

void check_signals_restore(void)
{
	size_t i;

	if (!installed)
		return;
	for (i = 0; i < G_N_ELEMENTS(caught); i++)
		sigaction(caught[i], &before[i], NULL);
	installed = false;
}

bool check_interrupted(void)
{
	return signalled != 0;
}

/* One torn_check_run. */
struct check_ctx {
	const struct torn_check_opts *o; /* &eff */
	struct torn_check_opts eff; /* the caller's, the run's settings in */
	char points_buf[256]; /* eff.points_text, from check.json */
	bool resume;
	struct check_run run;
	struct check_plan plan;
	struct check_pool pool;
	struct torn_trace *trace;
	/*
	 * The persisted image at the current point: a private mapping of
	 * base.img, so that it holds memory only for the pages it changed
	 */
	uint8_t *persisted;
	uint64_t dispatched, skipped, counted, counted_all;
	GPtrArray *ids; /* --order: the states to check */
	long long t_start; /* of the pass, for its rate */
	long long progress_last;
	long long first_done_ms; /* when the first verdict came; 0: none */
	uint64_t first_done; /* how many had come then */
	int progress_tty;
	/* $TORN_VERIFY_RESTORE: each restored image against a fresh build */
	uint8_t *verify_buf; /* NULL: off */
	uint64_t verified, verify_bad;
};

/*
 * Progress on stderr: a line redrawn in place on a terminal, a plain line
 * every 10 seconds otherwise or when CI is set.  The time left is said
 * once the rate is worth it: measured from the first verdict (the boots
 * before it are not checking), over at least 2 states per checker and
 * 10 seconds.
 */
static void progress(struct check_ctx *x)
{
	long long now = torn_now_ms();
	uint64_t done, total = x->pool.total;
	double rate;
	int tty;

	if (x->progress_tty < 0)
		x->progress_tty = isatty(2) && !getenv("CI");
	tty = x->progress_tty;
	if (now - x->progress_last < (tty ? 500 : 10000))
		return;
	x->progress_last = now;
	done = check_pool_done(&x->pool);
	rate = done * 1000.0 / (double)(now - x->t_start + 1);
	if (done && !x->first_done_ms) {
		x->first_done_ms = now;
		x->first_done = done;
	}
	if (total && x->first_done_ms && now - x->first_done_ms >= 10000 &&
	    done - x->first_done >= 2 * (uint64_t)x->pool.jobs) {
		double r = (double)(done - x->first_done) * 1000.0 /
			   (double)(now - x->first_done_ms);

		fprintf(stderr,
			"%storn: checked %" PRIu64 "/%" PRIu64
			" states, %.1f/s, %.0f s left%s",
			tty ? "\r" : "", done, total, r, (total - done) / r,
			tty ? "  " : "\n");
	} else if (total)
		fprintf(stderr,
			"%storn: checked %" PRIu64 "/%" PRIu64
			" states, %.1f/s%s",
			tty ? "\r" : "", done, total, rate, tty ? "  " : "\n");
	else
		fprintf(stderr, "%storn: checked %" PRIu64 " states, %.1f/s%s",
			tty ? "\r" : "", done, rate, tty ? "  " : "\n");
}

/* ---- the passes over the states ---------------------------------------- */

/* Unique states not checked yet (a quick enumeration: millions a second). */
static int count_state(const struct torn_crash_state *cs, const char *id,
		       bool done, void *ctx)
{
	struct check_ctx *x = ctx;

	x->counted += !done;
	x->counted_all++;
	return check_interrupted();
}

static uint64_t count_states(struct check_ctx *x)
{
	const struct check_visit v = { .state = count_state, .ctx = x };
	struct torn_states *s = NULL;

	x->counted = x->counted_all = 0;
	if (!check_states_new(&s, x->trace, x->run.base, x->run.pm_size,
			      &x->o->states, NULL)) {
		check_walk(&x->plan, s, &v);
		torn_states_free(s);
	}
	return x->counted;
}

/* In trace order, each state's image built from the persisted one. */
static int next_point(const struct torn_crash_point *pt, void *ctx)
{
	struct check_ctx *x = ctx;
	size_t k;
	int j;

	for (k = 0; k < pt->n_changed; k++) {
		uint64_t off = pt->changed[k].line * TORN_LINE_SIZE;

		memcpy(x->persisted + off, pt->changed[k].data, TORN_LINE_SIZE);
		for (j = 0; j < x->pool.jobs; j++)
			check_pages_mark(&x->pool.checkers[j].stale, off,
					 TORN_LINE_SIZE);
	}
	return 0;
}

/*
 * $TORN_VERIFY_RESTORE: c's backing file, restored for state id, against
 * the state's image built from scratch, byte for byte.  A page that
 * differs is said, counted and put right.
 */
static void verify_restore(struct check_ctx *x, struct checker *c,
			   const char *id)
{
	struct torn_err err = { "" };
	uint64_t off, bad = 0;

	x->verified++;
	if (torn_state_image(x->trace, x->run.base, x->run.pm_size,
			     &x->o->states, id, x->verify_buf, NULL, &err)) {
		fprintf(stderr, "torn: verify restore: state %s: %s\n", id,
			err.msg);
		x->verify_bad++;
		return;
	}
	for (off = 0; off < x->run.pm_size; off += CHECK_PAGE)
		if (memcmp(c->pm + off, x->verify_buf + off, CHECK_PAGE)) {
			if (!bad++)
				fprintf(stderr,
					"torn: verify restore: state %s differs from its image at page %" PRIu64
					"\n",
					id, off / CHECK_PAGE);
			memcpy(c->pm + off, x->verify_buf + off, CHECK_PAGE);
		}
	x->verify_bad += bad != 0;
}

static int dispatch_state(const struct torn_crash_state *cs, const char *id,
			  bool done, void *ctx)
{
	struct check_ctx *x = ctx;
	struct checker *c;
	long long t0;
	uint64_t copied;

	if (check_interrupted() || x->dispatched >= x->o->limit)
		return 1;
	if (done) {
		x->skipped++;
		return 0;
	}
	c = check_pool_wait_free(&x->pool);
	if (!c)
		return 1; /* stopping: a verdict not written, or a signal */
	/* the checker is idle: its backing file is ours */
	t0 = torn_now_ms();
	copied = check_restore_state(c->pm, x->persisted, cs, &c->stale,
				     c->store ? &c->push : NULL);
	if (x->verify_buf)
		verify_restore(x, c, id);
	check_pool_hand_over(&x->pool, c, id, cs->point, cs->engine, cs->index,
			     &cs->hash, cs->flags, torn_now_ms() - t0, copied);
	x->dispatched++;
	progress(x);
	return 0;
}

static int check_in_trace_order(struct check_ctx *x, struct torn_states *s)
{
	const struct check_visit v = { .point = next_point,
				       .state = dispatch_state,
				       .ctx = x };
	int r = check_walk(&x->plan, s, &v);

	if (r < 0)
		fprintf(stderr, "torn: state enumeration failed: %s\n",
			torn_strerror(r));
	return 0;
}

static int collect_state(const struct torn_crash_state *cs, const char *id,
			 bool done, void *ctx)
{
	struct check_ctx *x = ctx;

	if (done)
		x->skipped++;
	else
		g_ptr_array_add(x->ids, g_strdup(id));
	return 0;
}

/* Reverse ids, or shuffle them (xorshift: the same seed, the same order). */
static void reorder(GPtrArray *ids, enum torn_check_order order, uint64_t seed)
{
	guint i;

	for (i = 0; i + 1 < ids->len; i++) {
		gpointer tmp;
		guint j;

		if (order == TORN_CHECK_ORDER_REVERSE) {
			j = ids->len - 1 - i;
			if (j <= i)
				break;
		} else {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			j = i + (guint)(seed % (ids->len - i));
		}
		tmp = ids->pdata[i];
		ids->pdata[i] = ids->pdata[j];
		ids->pdata[j] = tmp;
	}
}

/*
 * Check the unique states in another order (reverse, or shuffled with a
 * seed), each image built from scratch: slow, but it is how a test shows
 * that verdicts do not depend on what a checker saw before.
 */
static int check_in_order(struct check_ctx *x, enum torn_check_order order,
			  uint64_t seed)
{
	const struct check_visit v = { .state = collect_state, .ctx = x };
	const struct torn_states_opts *so = &x->o->states;
	struct torn_states *s = NULL;
	struct torn_err err = { "" };
	int ret = 0;
	guint i;

	x->t_start = torn_now_ms();
	if (check_states_new(&s, x->trace, x->run.base, x->run.pm_size, so,
			     &err)) {
		fprintf(stderr, "torn: cannot enumerate states: %s\n",
			err.msg[0] ? err.msg : "out of memory");
		return TORN_EXIT_INFRA;
	}
	x->ids = g_ptr_array_new_with_free_func(g_free);
	check_walk(&x->plan, s, &v);
	torn_states_free(s);
	reorder(x->ids, order, seed);
	for (i = 0; i < x->ids->len && i < x->o->limit && !check_interrupted();
	     i++) {
		struct checker *c = check_pool_wait_free(&x->pool);
		const char *id = x->ids->pdata[i];
		struct torn_hash128 h;
		uint64_t point, index;
		struct torn_engine e;
		long long t0;

		if (!c)
			break; /* stopping: a verdict not written, or a signal
				*/
		/* built whole into the backing file: no page is known */
		t0 = torn_now_ms();
		check_pages_mark_all(&c->stale);
		if (torn_state_image(x->trace, x->run.base, x->run.pm_size, so,
				     id, c->pm, &h, &err) ||
		    torn_state_id_parse(id, &point, &e, &index, &err)) {
			fprintf(stderr, "torn: state %s: %s\n", id, err.msg);
			ret = TORN_EXIT_INFRA;
			break;
		}
		check_pool_hand_over(&x->pool, c, id, point, &e, index, &h, 0,
				     torn_now_ms() - t0, c->stale.npages);
		x->dispatched++;
		progress(x);
	}
	g_ptr_array_unref(x->ids);
	x->ids = NULL;
	return ret;
}

/* ---- set-up ------------------------------------------------------------ */

/*
 * base.img, mapped privately with prot (written pages are torn's own
 * copies); NULL when it is missing or not pm_size bytes
 * (*said: after a message) or cannot be mapped.
 */
static uint8_t *map_image(const char *dir, uint64_t size, int prot, bool *said)
{
	char path[4200];
	struct stat st;
	void *p = MAP_FAILED;
	int fd;

	snprintf(path, sizeof(path), "%s/base.img", dir);
	if (stat(path, &st) || (uint64_t)st.st_size != size) {
		fprintf(stderr,
			"torn: %s is missing or not %" PRIu64 " bytes\n", path,
			size);
		*said = true;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		p = mmap(NULL, size, prot, MAP_PRIVATE, fd, 0);
		close(fd);
	}
	return p == MAP_FAILED ? NULL : p;
}

void check_json_fill(struct torn_run_check *c, const struct torn_check_opts *o,
		     int model)
{
	const struct torn_states_opts *so = &o->states;
	size_t len = 0;
	unsigned int i;
	int k;

	torn_run_check_init(c);
	snprintf(c->model, sizeof(c->model), "%s", torn_model_name(model));
	snprintf(c->granularity, sizeof(c->granularity), "%s",
		 torn_granularity_name(so->granularity));
	snprintf(c->points, sizeof(c->points), "%s",
		 o->points_text ? o->points_text : "fence");
	for (i = 0; i < so->n_engines && len < sizeof(c->engines); i++) {
		if (i)
			c->engines[len++] = ',';
		len += torn_engine_format(&so->engines[i], c->engines + len,
					  sizeof(c->engines) - len);
	}
	c->engines[MIN(len, sizeof(c->engines) - 1)] = '\0';
	len = 0;
	for (k = 0; k < TORN_O_COUNT && len < sizeof(c->oracles); k++)
		if (o->oracles & TORN_O_BIT(k))
			len += snprintf(c->oracles + len,
					sizeof(c->oracles) - len, "%s%s",
					len ? "," : "", torn_oracle_name(k));
	c->from_op = o->from_op;
	c->shard_index = o->shard_index;
	c->shard_count = o->shard_count;
}

/* What torn replay and torn report need to rebuild and describe the states. */
static void write_check_json(const struct check_ctx *x, int model)
{
	struct torn_run_check c;
	struct torn_err err = { "" };

	check_json_fill(&c, x->o, model);
	snprintf(c.kit, sizeof(c.kit), "%s", x->run.kit.hash);
	if (torn_run_check_write(x->o->dir, &c, &err))
		fprintf(stderr, "torn: cannot write %s/check.json\n",
			x->o->dir);
}

/* The run directory into x: every message printed here. */
static int load_run(struct check_ctx *x)
{
	const struct torn_check_opts *o = x->o;
	struct check_run *run = &x->run;
	struct torn_run_meta meta;
	struct torn_err err = { "" };
	bool said = false;
	char path[4200];

	snprintf(path, sizeof(path), "%s/trace.torn", o->dir);
	if (torn_trace_load(path, &x->trace, &err)) {
		fprintf(stderr, "torn: cannot read trace '%s': %s\n", path,
			err.msg);
		return TORN_EXIT_INFRA;
	}
	run->pm_size = torn_trace_get_header(x->trace)->pm_size;
	run->base = map_image(o->dir, run->pm_size, PROT_READ, &said);
	if (said)
		return TORN_EXIT_INFRA;
	torn_run_meta_init(&meta);
	if (!run->base || torn_run_meta_read(o->dir, &meta, &err) ||
	    !meta.fs[0]) {
		fprintf(stderr,
			"torn: %s/meta.json or base.img unreadable (not a torn trace directory?)\n",
			o->dir);
		return TORN_EXIT_INFRA;
	}
	if (check_settings_reconcile(&x->eff, &meta, x->resume, x->points_buf,
				     sizeof(x->points_buf), &err)) {
		fprintf(stderr, "torn check: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	if (check_run_from_meta(run, &meta, o->checker, &err) ||
	    check_run_load_expected(run, &err)) {
		fprintf(stderr, "torn: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (check_run_collect_markers(run, x->trace))
		return TORN_EXIT_INFRA;
	x->plan.dedup.markers = run->markers;
	x->plan.dedup.nmarkers = run->nmarkers;
	x->plan.shard_index = o->shard_index;
	x->plan.shard_count = o->shard_count;
	if (o->from_op &&
	    check_find_op_begin(run, o->from_op, &x->plan.dedup.from_record,
				&err)) {
		fprintf(stderr, "torn check: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	return 0;
}

/* No unique crash state: never "all consistent" (torn_check_run). */
static int nothing_to_check(const struct torn_check_opts *o)
{
	fprintf(stderr,
		"torn check: no crash state to check: no write was in flight at "
		"any crash point of the chosen kinds%s (--points all puts one "
		"before every record)\n",
		o->from_op ? " from --from-op on" : "");
	printf("checked 0 states: nothing to check%s\n",
	       o->allow_empty ? " (--allow-empty: accepted)" : "");
	return o->allow_empty ? TORN_EXIT_OK : TORN_EXIT_EMPTY;
}

/* "12 flagged: 12 known (F1 ×10, F2 ×2), 0 new" when any is flagged. */
static void print_flagged(const struct check_ctx *x)
{
	const struct check_pool *p = &x->pool;
	uint64_t flagged = torn_verdicts_flagged(p->by_verdict);
	char text[512], line[600];

	if (!flagged)
		return;
	check_known_text(x->run.known, p->by_known, text, sizeof(text));
	torn_known_flagged_line(flagged, p->known, text, line, sizeof(line));
	printf("%s%s\n", line,
	       x->o->strict && p->known ? " (--strict: known ones fail too)"
					: "");
}

static void print_summary(const struct check_ctx *x, long long t_start)
{
	const struct check_pool *p = &x->pool;
	long long ms = torn_now_ms() - t_start;
	int v;

	printf("checked %" PRIu64 " states in %.1f s (%.2f states/s)\n",
	       p->done, ms / 1000.0, p->done * 1000.0 / (ms + 1));
	if (x->skipped)
		printf("skipped %" PRIu64 " states already in verdicts.jsonl\n",
		       x->skipped);
	for (v = 0; v < TORN_V_COUNT; v++)
		if (p->by_verdict[v])
			printf("  %-14s %" PRIu64 "\n", torn_verdict_name(v),
			       p->by_verdict[v]);
	printf("distinct semantic states: %u\n",
	       g_hash_table_size(p->semantic));
	print_flagged(x);
}

static int count_line(const struct torn_verdict_rec *v, void *ctx)
{
	return 0;
}

/*
 * What to do with the verdicts.jsonl there is (check_start_decide), said
 * before anything is loaded or booted; a usage error after its line.
 * With --resume the one read of the file also gives the states to skip
 * (*done, check_resume_set) and how many are retried.
 */
static int decide_start(const struct torn_check_opts *o,
			enum check_start *start, GHashTable **done,
			uint64_t *retry)
{
	struct torn_verdicts_stats st;
	struct torn_err err = { "" };

	memset(&st, 0, sizeof(st));
	/* missing or unreadable: nothing to keep; the log's open says why */
	if (o->resume && !o->fresh)
		*done = check_resume_set(o->dir, retry, &st);
	else
		torn_verdicts_foreach(o->dir, count_line, NULL, &st, &err);
	*start = check_start_decide(o->resume, o->fresh, st.lines);
	if (*start == CHECK_START_BOTH) {
		fprintf(stderr,
			"torn check: --resume continues and --fresh starts over: not both\n");
		return TORN_EXIT_USAGE;
	}
	if (*start == CHECK_START_REFUSE) {
		fprintf(stderr,
			"torn check: %s/" TORN_RUN_VERDICTS
			" already holds %" PRIu64
			" verdict line(s): --resume continues, --fresh starts over keeping the old file as a backup\n",
			o->dir, st.lines);
		return TORN_EXIT_USAGE;
	}
	return 0;
}

/* The log to append to: kept, backed up first (--fresh), or new. */
static int open_log(const struct torn_check_opts *o, enum check_start start,
		    struct torn_verdict_log **log)
{
	struct torn_err err = { "" };
	char backup[4200];

	if (start == CHECK_START_FRESH) {
		if (torn_verdicts_backup(o->dir, backup, sizeof(backup),
					 &err)) {
			fprintf(stderr, "torn: %s\n", err.msg);
			return TORN_EXIT_INFRA;
		}
		fprintf(stderr, "torn: kept the old verdicts as %s\n", backup);
	}
	if (torn_verdict_log_open(o->dir,
				  start == CHECK_START_RESUME
					  ? TORN_VLOG_APPEND
					  : TORN_VLOG_TRUNCATE,
				  log, &err)) {
		fprintf(stderr, "torn: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	return 0;
}

/* States with a verdict in DIR/verdicts.jsonl now. */
static uint64_t verdicts_kept(const char *dir)
{
	GHashTable *last = check_last_verdicts(dir, NULL);
	uint64_t n = g_hash_table_size(last);

	g_hash_table_destroy(last);
	return n;
}

/*
 * The exit code of a check that got as far as the pool, ret what it
 * had so far: the log closed, its end decided (check_end_decide).
 */
static int finish(struct check_ctx *x, struct torn_verdict_log **log,
		  long long t_start, int ret)
{
	struct check_end end = { .count = x->pool.by_verdict,
				 .done = x->pool.done,
				 .known = x->pool.known,
				 .strict = x->o->strict };
	struct torn_err err = { "" };
	char line[9000];
	int sync;

	if (x->o->summary) {
		x->o->summary->checked = x->pool.done;
		memcpy(x->o->summary->by_verdict, x->pool.by_verdict,
		       sizeof(x->pool.by_verdict));
		x->o->summary->known = x->pool.known;
		check_known_text(x->run.known, x->pool.by_known,
				 x->o->summary->known_text,
				 sizeof(x->o->summary->known_text));
	}
	end.log_error = x->pool.log_error;
	sync = torn_verdict_log_close(*log, &err);
	*log = NULL;
	if (sync && !end.log_error) {
		end.log_error = sync;
		end.log_sync = true;
	}
	end.interrupted = check_interrupted();
	if (x->pool.semantic && (!ret || end.log_error || end.interrupted))
		print_summary(x, t_start);
	if (ret && !end.log_error && !end.interrupted)
		return ret;
	if (end.log_error || end.interrupted)
		end.kept = verdicts_kept(x->o->dir);
	ret = check_end_decide(&end, x->o->dir, line, sizeof(line));
	if (line[0])
		fprintf(stderr, "%s\n", line);
	return ret;
}

/* What restoring the checkers' backing files took, on stderr. */
static void say_restores(const struct check_pool *p)
{
	uint64_t copied = 0, written = 0, rebuilt = 0, up = 0, down = 0,
		 runs = 0, verified = 0, wrong = 0;
	long long ms = 0;
	bool tracked = true, remote = false;
	int i;

	/* after check_pool_stop: the threads are gone, no lock needed */
	if (!p->checkers || !p->done)
		return;
	for (i = 0; i < p->jobs; i++) {
		copied += p->checkers[i].pages_restored;
		written += p->checkers[i].pages_written;
		rebuilt += p->checkers[i].rebuilds;
		tracked = tracked && !p->checkers[i].wp_why[0];
		up += p->checkers[i].bytes_up;
		down += p->checkers[i].bytes_down;
		runs += p->checkers[i].runs_up;
		ms += p->checkers[i].ms_transfer;
		remote = remote || p->checkers[i].bytes_down;
		verified += p->checkers[i].remote_verified;
		wrong += p->checkers[i].remote_wrong;
	}
	fprintf(stderr,
		"torn: restores copied %" PRIu64
		" pages; recovery wrote %" PRIu64 " pages%s; %" PRIu64
		" images built again\n",
		copied, written, tracked ? " (tracked)" : " (not all tracked)",
		rebuilt);
	if (remote)
		fprintf(stderr,
			"torn: remote NVDIMMs: uploaded %.1f MiB in %" PRIu64
			" runs, read back %.1f MiB, in %.1f s (%.1f ms a "
			"state)\n",
			up / 1048576.0, runs, down / 1048576.0, ms / 1000.0,
			(double)ms / (double)p->done);
	if (verified)
		fprintf(stderr,
			"torn: verify remote restore: %" PRIu64
			" uploads, %" PRIu64 " volumes unequal to the image\n",
			verified, wrong);
}

int torn_check_run(const struct torn_check_opts *o)
{
	struct check_ctx x = { .o = o, .progress_tty = -1 };
	struct check_run *run = &x.run;
	struct torn_verdict_log *log = NULL;
	struct torn_states *states = NULL;
	struct torn_err err = { "" };
	enum torn_check_order order;
	enum check_start start;
	long long t_start = torn_now_ms();
	char base_path[4200];
	uint64_t seed, retry = 0, total;
	bool said = false;
	int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	int ret;

	if (torn_check_order_parse(o->order, &order, &seed, &err)) {
		fprintf(stderr, "torn check: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	if (!o->dir)
		return TORN_EXIT_USAGE;
	x.eff = *o;
	o = x.o = &x.eff;
	ret = decide_start(o, &start, &x.plan.done, &retry);
	if (ret)
		goto out;
	x.resume = start == CHECK_START_RESUME;
	run->dir = o->dir;
	run->guest = o->guest;
	run->oracles = o->oracles;
	run->timeout_ms = o->timeout_ms;
	run->boot_per_state = o->boot_per_state;
	run->known = o->known;
	x.t_start = t_start;
	ret = load_run(&x);
	if (ret)
		goto out;
	/* the guests' backend, and then the kit, before anything is written */
	ret = torn_vm_backend_check(run->guest.libvirt_uri, &err);
	if (ret) {
		fprintf(stderr, "torn check: %s\n", err.msg);
		ret = ret == TORN_E_USAGE ? TORN_EXIT_USAGE : TORN_EXIT_INFRA;
		goto out;
	}
	/*
	 * The kit the run was traced with: a run checked (or a shard of it)
	 * by another torn or on another machine's kernel is refused, not
	 * quietly judged by other code.
	 */
	if (run->trace_kit[0]) {
		if (guest_kit(&run->guest, &run->kit)) {
			ret = TORN_EXIT_INFRA;
			goto out;
		}
		if (check_kit_matches(run, o->any_kit, &err)) {
			fprintf(stderr, "torn check: %s\n", err.msg);
			ret = TORN_EXIT_USAGE;
			goto out;
		}
	}

	/* verdicts so far: an error was the harness's, so checked again */
	if (start == CHECK_START_RESUME) {
		if (retry)
			fprintf(stderr,
				"torn: retrying %" PRIu64
				" states whose verdict was error\n",
				retry);
	}
	ret = open_log(o, start, &log);
	if (ret)
		goto out;

	torn_vm_install_signal_handlers();
	if (check_states_new(&states, x.trace, run->base, run->pm_size,
			     &o->states, &err)) {
		fprintf(stderr, "torn: cannot enumerate states: %s\n",
			err.msg[0] ? err.msg : "out of memory");
		ret = TORN_EXIT_INFRA;
		goto out_pool;
	}
	write_check_json(&x, torn_states_get_model(states));
	x.persisted =
		map_image(o->dir, run->pm_size, PROT_READ | PROT_WRITE, &said);
	if (!x.persisted) {
		ret = TORN_EXIT_INFRA;
		goto out_pool;
	}
	run->trace = x.trace;
	run->states = &o->states;
	snprintf(run->wp_shim, sizeof(run->wp_shim), "%s",
		 check_wp_shim_default());
	check_run_host_fsck(run);
	snprintf(base_path, sizeof(base_path), "%s/base.img", o->dir);
	/*
	 * From here a signal ends the check, not torn: work directories and
	 * guests are ours to clean up (till here, nothing is to lose).
	 */
	check_signals_install();
	total = MIN(count_states(&x), o->limit);
	if (!x.counted_all && !check_interrupted()) {
		ret = nothing_to_check(o);
		goto out_pool;
	}
	if (!run->kit.hash[0] && guest_kit(&run->guest, &run->kit)) {
		ret = TORN_EXIT_INFRA;
		goto out_pool;
	}
	if ((o->coverage || o->coverage_batch) &&
	    check_coverage_open(run, x.resume, o->coverage_batch, &err)) {
		fprintf(stderr, "torn check: %s\n", err.msg);
		ret = TORN_EXIT_USAGE;
		goto out_pool;
	}
	check_warm_setup(run);
	if (check_pool_start(&x.pool, run, jobs, base_path, log, t_start)) {
		ret = TORN_EXIT_INFRA;
		goto out_pool;
	}
	x.pool.total = total; /* the start zeroes the pool */
	fprintf(stderr, "torn: %" PRIu64 " unique states to check\n",
		x.pool.total);
	fprintf(stderr, "torn: checking %s with %d checker guests\n", o->dir,
		jobs);
	if (getenv("TORN_VERIFY_RESTORE") && *getenv("TORN_VERIFY_RESTORE"))
		x.verify_buf = malloc(run->pm_size);
	if (order != TORN_CHECK_ORDER_TRACE)
		ret = check_in_order(&x, order, seed);
	else
		ret = check_in_trace_order(&x, states);
	if (x.verify_buf)
		fprintf(stderr,
			"torn: verify restore: %" PRIu64 " states, %" PRIu64
			" restored wrong\n",
			x.verified, x.verify_bad);
	if (x.verify_bad)
		ret = TORN_EXIT_INFRA;
out_pool:
	/* the states in flight finish; the guests and work directories go */
	check_pool_stop(&x.pool);
	say_restores(&x.pool);
	check_warm_say(run);
	if (check_coverage_write(run, &err)) {
		fprintf(stderr, "torn: %s\n", err.msg);
		ret = ret ? ret : TORN_EXIT_INFRA;
	}
	if (x.pool.total && isatty(2) && !getenv("CI"))
		fputc('\n', stderr);
	ret = finish(&x, &log, t_start, ret);
out:
	check_signals_restore();
	torn_verdict_log_close(log, NULL);
	check_pool_fini(&x.pool);
	torn_states_free(states);
	torn_trace_free(x.trace);
	check_run_fini(run);
	if (x.persisted)
		munmap(x.persisted, run->pm_size);
	free(x.verify_buf);
	if (x.plan.done)
		g_hash_table_destroy(x.plan.done);
	if (run->base)
		munmap((void *)run->base, run->pm_size);
	return ret;
}
