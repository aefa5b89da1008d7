/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The checker threads: hand a state over, retry a guest, log the verdict. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "restore.h"
#include "torn_time.h"
#include "verdict.h"

static void record_verdict(struct checker *c, const struct check_result *res,
			   long long restore_ms, long long check_ms,
			   int attempts)
{
	struct check_pool *p = c->pool;
	struct torn_verdict_rec v;
	struct torn_err err = { "" };
	int ret, known;

	torn_verdict_rec_init(&v);
	snprintf(v.state, sizeof(v.state), "%s", c->job.id);
	v.point = c->job.point;
	snprintf(v.engine, sizeof(v.engine), "%s", c->job.engine);
	v.index = c->job.index;
	snprintf(v.image_hash, sizeof(v.image_hash), "%s", c->job.image_hash);
	snprintf(v.semantic_hash, sizeof(v.semantic_hash), "%s", res->semantic);
	v.verdict = res->verdict;
	known = torn_known_match(c->run->known,
				 torn_fs_kind_name(c->run->fs_kind),
				 res->verdict, res->r);
	if (known >= 0) {
		struct torn_finding_info info;

		torn_known_info(c->run->known, (size_t)known, &info);
		snprintf(v.known, sizeof(v.known), "%s", info.id);
	}
	memcpy(v.oracles, res->r, sizeof(v.oracles));
	v.last_op_begin = res->progress.last_begun;
	v.last_op_end = res->progress.last_ended;
	v.last_durable = res->progress.last_durable;
	snprintf(v.error, sizeof(v.error), "%s", res->infra_detail);
	v.ms_restore = restore_ms;
	v.ms_check = check_ms;
	v.at_ms = torn_now_ms() - p->t_start;
	v.attempts = attempts;
	v.checker = c->idx;
	/*
	 * --coverage: counters added in the order of the lines, so that a
	 * line's coverage_new is what it reached first in that order
	 */
	if (c->run->cov) {
		pthread_mutex_lock(&p->lock);
		check_coverage_add(c->run, c, &v.coverage_new);
		v.ms_coverage = res->ms_coverage;
	}
	/* one write() per line with O_APPEND: a dying torn leaves whole lines
	 */
	ret = torn_verdict_log_append(p->log, &v, &err);
	if (!c->run->cov)
		pthread_mutex_lock(&p->lock);
	if (ret) {
		/* said once, at the end (check_end_decide): the check stops */
		check_pool_log_failed(p, ret);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->done++;
	p->by_verdict[res->verdict]++;
	if (known >= 0 && p->by_known) {
		p->known++;
		p->by_known[known]++;
	}
	if (res->semantic[0])
		g_hash_table_add(p->semantic, g_strdup(res->semantic));
	pthread_mutex_unlock(&p->lock);
}

void check_pool_log_failed(struct check_pool *p, int ret)
{
	if (!p->log_error)
		p->log_error = ret;
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
}

/* Once per checker: say so when the guest's writes are not tracked. */
static void say_tracking(struct checker *c)
{
	if (!c->wp_why[0] || c->boots > 1)
		return;
	fprintf(stderr,
		"torn: checker %d: recovery's writes are not tracked (%s); "
		"each state is restored by a compare of the whole image\n",
		c->idx, c->wp_why);
}

/*
 * Build c's job's image again from the trace, straight into the backing
 * file: what the guest wrote is unknown (a failed attempt) or came
 * before the restore (a boot).  Every page may now differ from the
 * persisted image the walk is at.  -1 with an error verdict in res when
 * the image cannot be built or is not the state's.
 */
static int rebuild(struct checker *c, struct check_result *res)
{
	const struct check_run *run = c->run;
	struct torn_err err = { "" };
	struct torn_hash128 h;
	char hex[40];

	check_pages_mark_all(&c->stale);
	if (c->store)
		check_pages_mark_all(&c->push);
	c->rebuilds++;
	if (!run->trace) {
		torn_err_set(&err, TORN_E_NOTFOUND, "no trace to rebuild from");
	} else if (!torn_state_image(run->trace, run->base, run->pm_size,
				     run->states, c->job.id, c->pm, &h, &err)) {
		torn_hash_format(&h, hex);
		if (!strcmp(hex, c->job.image_hash))
			return 0;
		torn_err_set(&err, TORN_E_MISMATCH,
			     "rebuilt image hash %s, not the state's %s", hex,
			     c->job.image_hash);
	}
	memset(res, 0, sizeof(*res));
	res->judge = TORN_J_ERROR;
	res->verdict = torn_verdict_combine(res->r, res->judge);
	snprintf(res->infra_detail, sizeof(res->infra_detail),
		 "cannot build the state's image again: %s", err.msg);
	return -1;
}

/*
 * Check c's job on the image the dispatcher put in its backing file,
 * twice at most.  Once interrupted (the guests die with a terminal's SIGINT), a
 * state whose check did not finish is not judged (no verdict line; a
 * --resume checks it), and no guest is booted again.
 */
static void check_job(struct checker *c)
{
	struct check_result res;
	long long t0 = 0, t1 = 0, t2 = 0, tp = 0;
	int attempt, last_timeout = 0;

	memset(&res, 0, sizeof(res));
	for (attempt = 1; attempt <= 2; attempt++) {
		struct torn_err err = { "" };
		bool fresh = attempt > 1; /* the last attempt's writes */

		if (check_interrupted())
			return;
		/* a remote guest boots on the state (its writes are then
		 * what the read-back finds); a failure retries below */
		if (!c->vm && c->store)
			checker_push(c, &err);
		if (!c->vm) {
			if (checker_boot(c, &err)) {
				memset(&res, 0, sizeof(res));
				res.judge = TORN_J_ERROR;
				res.verdict =
					torn_verdict_combine(res.r, res.judge);
				snprintf(res.infra_detail,
					 sizeof(res.infra_detail),
					 "checker guest did not boot: %s",
					 err.msg);
				t0 = t1 = t2 = torn_now_ms();
				continue;
			}
			say_tracking(c);
			/* a guest that wrote its NVDIMM while booting */
			if (checker_collect_writes(c))
				fresh = true;
		}
		t0 = torn_now_ms();
		if (fresh && rebuild(c, &res)) {
			t1 = t2 = torn_now_ms();
			break;
		}
		if (c->store && checker_push(c, &err)) {
			/* the volume's state is unknown: not a verdict */
			memset(&res, 0, sizeof(res));
			res.infra = true;
			snprintf(res.infra_detail, sizeof(res.infra_detail),
				 "%s", err.msg);
			t1 = t2 = torn_now_ms();
			checker_kill(c);
			continue;
		}
		t1 = torn_now_ms();
		check_one(c, &res);
		t2 = torn_now_ms();
		checker_collect_writes(c);
		/* a remote checker's read-back restores the next state */
		tp = c->store ? torn_now_ms() - t2 : 0;
		if (!res.infra && res.verdict != TORN_V_TIMEOUT)
			break;
		if (check_interrupted())
			return;
		last_timeout = res.verdict == TORN_V_TIMEOUT ||
			       strstr(res.infra_detail, "did not answer");
		if (res.infra) {
			/* the guest is gone or wedged: a new one */
			fprintf(stderr,
				"torn: checker %d: %s; restarting it (state %s, attempt %d)\n",
				c->idx, res.infra_detail, c->job.id, attempt);
			checker_kill(c);
		}
	}
	/* a guest that died with the signal failed no state: none judged */
	if (check_interrupted() && (res.infra || res.verdict == TORN_V_ERROR ||
				    res.verdict == TORN_V_TIMEOUT))
		return;
	if (res.infra) {
		char tail[400];

		res.judge |= last_timeout ? TORN_J_TIMEOUT : TORN_J_ERROR;
		res.verdict = torn_verdict_combine(res.r, res.judge);
		snprintf(tail, sizeof(tail), "%s",
			 c->vm ? torn_vm_console_tail(c->vm, 300) : "");
		if (tail[0])
			strncat(res.infra_detail, "; console: ",
				sizeof(res.infra_detail) -
					strlen(res.infra_detail) - 1);
		strncat(res.infra_detail, tail,
			sizeof(res.infra_detail) - strlen(res.infra_detail) -
				1);
	}
	record_verdict(c, &res, c->job.restore_ms + (t1 - t0) + tp, t2 - t1,
		       attempt > 2 ? 2 : attempt);
}

static void *checker_main(void *arg)
{
	struct checker *c = arg;
	struct check_pool *p = c->pool;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!c->has_job && !c->quit)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!c->has_job && c->quit) {
			pthread_mutex_unlock(&p->lock);
			if (!check_interrupted())
				check_coverage_flush(c);
			break;
		}
		pthread_mutex_unlock(&p->lock);

		check_job(c);
		if (c->run->boot_per_state && c->vm)
			checker_kill(c);
		pthread_mutex_lock(&p->lock);
		c->has_job = false;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	guest_thread_done();
	return NULL;
}

int check_pool_start(struct check_pool *p, const struct check_run *run,
		     int jobs, const char *base_path,
		     struct torn_verdict_log *log, long long t_start)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->run = run;
	p->log = log;
	p->t_start = t_start;
	p->semantic =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->checkers = calloc(jobs, sizeof(*p->checkers));
	p->by_known =
		calloc(torn_known_count(run->known) + 1, sizeof(*p->by_known));
	if (!p->checkers || !p->by_known)
		return -ENOMEM;
	p->jobs = jobs;
	for (i = 0; i < jobs; i++) {
		struct checker *c = &p->checkers[i];

		c->pool = p;
		if (checker_init(c, run, i, base_path)) {
			fprintf(stderr, "torn: cannot set up checker %d\n", i);
			return -EIO;
		}
		pthread_create(&c->thread, NULL, checker_main, c);
		p->started++;
	}
	return 0;
}

struct checker *check_pool_wait_free(struct check_pool *p)
{
	struct checker *c = NULL;

	pthread_mutex_lock(&p->lock);
	while (!c) {
		int j;

		if (p->stopping || check_interrupted())
			break;
		for (j = 0; j < p->jobs && !c; j++)
			if (!p->checkers[j].has_job)
				c = &p->checkers[j];
		if (!c)
			pthread_cond_wait(&p->cond, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return c;
}

void check_pool_hand_over(struct check_pool *p, struct checker *c,
			  const char *id, uint64_t point,
			  const struct torn_engine *engine, uint64_t index,
			  const struct torn_hash128 *hash, unsigned int flags,
			  long long restore_ms, uint64_t restored)
{
	memset(&c->job, 0, sizeof(c->job));
	c->job.restore_ms = restore_ms;
	c->pages_restored += restored;
	snprintf(c->job.id, sizeof(c->job.id), "%s", id);
	torn_engine_format(engine, c->job.engine, sizeof(c->job.engine));
	c->job.point = point;
	c->job.index = index;
	c->job.flags = flags;
	torn_hash_format(hash, c->job.image_hash);
	pthread_mutex_lock(&p->lock);
	c->has_job = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

uint64_t check_pool_done(struct check_pool *p)
{
	uint64_t done;

	pthread_mutex_lock(&p->lock);
	done = p->done;
	pthread_mutex_unlock(&p->lock);
	return done;
}

void check_pool_stop(struct check_pool *p)
{
	int i;

	if (!p->run)
		return; /* never started */
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->started; i++)
		p->checkers[i].quit = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->started; i++)
		pthread_join(p->checkers[i].thread, NULL);
	p->started = 0;
	for (i = 0; p->checkers && i < p->jobs; i++)
		if (p->checkers[i].run)
			checker_fini(&p->checkers[i]);
}

void check_pool_fini(struct check_pool *p)
{
	free(p->checkers);
	p->checkers = NULL;
	free(p->by_known);
	p->by_known = NULL;
	if (p->semantic)
		g_hash_table_destroy(p->semantic);
	p->semantic = NULL;
	if (p->run) {
		pthread_mutex_destroy(&p->lock);
		pthread_cond_destroy(&p->cond);
	}
	p->run = NULL;
}
