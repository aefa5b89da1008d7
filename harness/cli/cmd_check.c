/* torn check: recover every unique crash state in a pool of checker guests. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_internal.h"
#include "cli.h"
#include "guest.h"
#include "oracles.h"
#include "states.h"
#include "trace.h"
#include "torn_time.h"

#define PAGE 4096

const char *const oracle_names[] = { "mount", "fsck", "dmesg",
				     "durability", "atomicity",
				     "usability", "custom" };

const char *const verdict_names[] = { "consistent", "inconsistent",
					     "unrecoverable", "timeout",
					     "error" };

/* ---- one checker guest ---------------------------------------------------- */

int checker_boot(struct checker *c, struct torn_err *err)
{
	struct torn_vm_config cfg = { 0 };

	cfg.kernel = c->run->kit.kernel;
	cfg.initrd = c->run->kit.initrd;
	cfg.pm_path = c->pm_path;
	cfg.pm_size = c->run->pm_size;
	cfg.flush_mode = c->run->o.flush_mode;
	cfg.workdir = c->work;
	cfg.boot_timeout_ms = (c->run->o.timeout_s ? c->run->o.timeout_s : 300) *
			      1000;
	c->boots++;
	return torn_vm_start(&cfg, &c->vm, err);
}

static void set_result(struct check_result *res, int o, int ok,
		       const char *detail)
{
	res->r[o].ran = 1;
	res->r[o].ok = ok;
	snprintf(res->r[o].detail, sizeof(res->r[o].detail), "%s",
		 detail ? detail : "");
}

/* The guest stopped answering or answered nonsense: not a verdict yet. */
static int infra(struct check_result *res, const struct torn_err *err)
{
	res->infra = 1;
	snprintf(res->infra_detail, sizeof(res->infra_detail), "%s", err->msg);
	return -1;
}

static int is_infra_error(int ret)
{
	return ret && ret != TORN_E_GUEST;
}

/* "ID:ARG ..." of the markers before the crash point. */
static char *markers_env(const struct check_run *run, uint64_t point)
{
	GString *s = g_string_new("TORN_MARKERS=");
	size_t i;

	for (i = 0; i < run->nmarkers && run->markers[i].record < point; i++)
		g_string_append_printf(s, "%s%u:%" PRIu64, i ? " " : "",
				       run->markers[i].id, run->markers[i].arg);
	return g_string_free(s, FALSE);
}

static int run_custom(struct checker *c, struct check_result *res,
		      const char *target)
{
	struct check_run *run = c->run;
	char *env_markers = markers_env(run, c->job.point);
	char env_state[160], env_durable[64];
	const char *argv[16], *status, *out, *errout;
	struct torn_err err = { "" };
	size_t n = 0;
	int ret;

	snprintf(env_state, sizeof(env_state), "TORN_STATE=%s", c->job.id);
	snprintf(env_durable, sizeof(env_durable), "TORN_LAST_DURABLE=%" PRIu64,
		 res->progress.last_durable);
	argv[n++] = "env";
	argv[n++] = env_markers;
	argv[n++] = env_state;
	if (res->progress.last_durable)
		argv[n++] = env_durable;
	{
		/* "PROGRAM [ARGS]": split at spaces, the target goes last */
		char **words = g_strsplit(run->checker_prog, " ", 8), **w;

		for (w = words; *w && n < 15; w++)
			if (**w)
				argv[n++] = *w;
		argv[n++] = target;
		argv[n] = NULL;
		ret = guest_run(c->vm, run->timeout_ms, argv, &status, &out,
				&errout, &err);
		g_strfreev(words);
	}
	g_free(env_markers);
	if (!ret && run->verbose)
		fprintf(run->verbose, "== custom checker %s: %s\n--- stdout\n%s--- stderr\n%s",
			run->checker_prog, status, out, errout);
	if (ret)
		return is_infra_error(ret) ? infra(res, &err) :
					     (set_result(res, 6, 0, err.msg), 0);
	if (!strcmp(status, "exit 0")) {
		set_result(res, 6, 1, NULL);
	} else if (!strcmp(status, "exit 1")) {
		char d[600];

		snprintf(d, sizeof(d), "%s%s", out, errout);
		g_strstrip(d);
		set_result(res, 6, 0, d);
	} else if (!strcmp(status, "timeout")) {
		res->verdict = V_TIMEOUT;
		set_result(res, 6, 0, "checker timed out");
	} else {
		char d[600];

		res->verdict = V_ERROR;
		snprintf(d, sizeof(d), "checker %s: %s", status, errout);
		set_result(res, 6, 0, d);
	}
	return 0;
}

/* Recover the image now in the backing file and run the oracles on it. */
int check_one(struct checker *c, struct check_result *res)
{
	struct check_run *run = c->run;
	const char *fstype = run->fs_kind == TORN_FS_XFS_DAX ? "xfs" : "ext4";
	const char *const dmesg_req[] = { "dmesg", NULL };
	const char *const mnt[] = { "mount", "/dev/pmem0", "/mnt", fstype,
				    "dax", NULL };
	const char *const usable_req[] = { "usable", "/mnt", NULL };
	const char *const umnt[] = { "umount", "/mnt", NULL };
	const char *const drop_dev[] = { "drop-caches", "/dev/pmem0", NULL };
	const char *const drop[] = { "drop-caches", NULL };
	const char *detail;
	struct torn_err err = { "" };
	struct torn_proto_msg m;
	char d[600];
	int ret, devdax = run->fs_kind == TORN_FS_DEVDAX, mounted = 0;

	memset(res, 0, sizeof(*res));
	oracle_progress_at(run->markers, run->nmarkers, c->job.point,
			   &res->progress);
	ret = guest_call(c->vm, run->timeout_ms, dmesg_req, NULL, &err);
	if (ret)
		return infra(res, &err);
	if (!devdax) {
		ret = guest_call(c->vm, run->timeout_ms, mnt, NULL, &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		set_result(res, 0, !ret, ret ? err.msg : NULL);
		mounted = !ret;
		if (run->verbose)
			fprintf(run->verbose, "== mount -o dax /dev/pmem0 /mnt (%s): %s\n",
				fstype, ret ? err.msg : "ok");
	}
	if (mounted) {
		const char *fields[] = { "dump", "/mnt" };
		char *dump = NULL;

		ret = torn_vm_call(c->vm, run->timeout_ms, 2, fields, &m, &err);
		if (ret)
			return infra(res, &err);
		if (m.nfields >= 2) {
			dump = torn_proto_field_dup(&m, 1);
			if (run->verbose)
				fprintf(run->verbose, "== recovered tree (semantic dump)\n%s",
					dump ? dump : "");
			g_autofree char *h = g_compute_checksum_for_data(
				G_CHECKSUM_SHA256, m.fields[1].data,
				m.fields[1].len);
			snprintf(res->semantic, sizeof(res->semantic), "%s", h);
		}
		torn_proto_msg_clear(&m);
		if (run->expected && (run->oracles & OR_DURABILITY)) {
			int bad = oracle_durability(run->expected,
						    &res->progress,
						    dump ? dump : "", d,
						    sizeof(d));
			set_result(res, 3, !bad, d);
			if (run->verbose)
				fprintf(run->verbose, "== durability (last durable op %" PRIu64 "): %s\n",
					res->progress.last_durable, bad ? d : "ok");
		}
		if (run->expected && (run->oracles & OR_ATOMICITY)) {
			int bad = oracle_atomicity(run->expected,
						   &res->progress,
						   dump ? dump : "", d,
						   sizeof(d));
			set_result(res, 4, !bad, d);
			if (run->verbose)
				fprintf(run->verbose, "== atomicity (last op begun %" PRIu64 "): %s\n",
					res->progress.last_begun, bad ? d : "ok");
		}
		free(dump);
	}
	if (run->checker_prog[0] && (run->oracles & OR_CUSTOM) &&
	    (mounted || devdax)) {
		if (run_custom(c, res, devdax ? "/dev/dax0.0" : "/mnt"))
			return -1;
	}
	if (mounted && (run->oracles & OR_USABILITY)) {
		ret = guest_call(c->vm, run->timeout_ms, usable_req, NULL, &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		set_result(res, 5, !ret, ret ? err.msg : NULL);
		if (run->verbose)
			fprintf(run->verbose, "== usability: %s\n", ret ? err.msg : "ok");
	}
	if (mounted) {
		ret = guest_call(c->vm, run->timeout_ms, umnt, NULL, &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		if (ret) {
			snprintf(d, sizeof(d), "umount after recovery: %s", err.msg);
			set_result(res, 0, 0, d);
		}
	}
	if (!devdax && (run->oracles & OR_FSCK)) {
		const char *fields[] = { "fsck", fstype, "/dev/pmem0" };

		ret = torn_vm_call(c->vm, run->timeout_ms, 3, fields, &m, &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		if (!ret) {
			char *status = torn_proto_field_dup(&m, 1);
			char *out = torn_proto_field_dup(&m, 2);
			int ok = status && !strcmp(status, "exit 0");

			if (run->verbose)
				fprintf(run->verbose, "== fsck %s /dev/pmem0: %s\n%s",
					fstype, status ? status : "?",
					out ? out : "");
			if (!ok) {
				/* the first lines that say what is wrong */
				snprintf(d, sizeof(d), "%s: %.500s",
					 status ? status : "?",
					 out ? out : "");
				if (status && !strcmp(status, "timeout"))
					res->verdict = V_TIMEOUT;
			}
			set_result(res, 1, ok, ok ? NULL : d);
			free(status);
			free(out);
			torn_proto_msg_clear(&m);
		} else {
			set_result(res, 1, 0, err.msg);
		}
	}
	ret = guest_call(c->vm, run->timeout_ms, dmesg_req, &detail, &err);
	if (ret)
		return infra(res, &err);
	if (run->verbose)
		fprintf(run->verbose, "== kernel log during recovery\n%s",
			detail ? detail : "");
	if (run->oracles & OR_DMESG) {
		int bad = oracle_dmesg(detail ? detail : "", d, sizeof(d));

		set_result(res, 2, !bad, bad ? d : NULL);
	}
	ret = guest_call(c->vm, run->timeout_ms, devdax ? drop : drop_dev,
			 NULL, &err);
	if (ret)
		return infra(res, &err);

	if (res->verdict == V_CONSISTENT) {
		int o;

		if (!devdax && res->r[0].ran && !res->r[0].ok && !mounted)
			res->verdict = V_UNRECOVERABLE;
		for (o = 0; o < N_ORACLES && res->verdict == V_CONSISTENT; o++)
			if (res->r[o].ran && !res->r[o].ok)
				res->verdict = V_INCONSISTENT;
	}
	return 0;
}

/* ---- verdicts.jsonl ------------------------------------------------------ */

static void record_verdict(struct checker *c, const struct check_result *res,
			   long long restore_ms, long long check_ms,
			   int attempts)
{
	struct check_run *run = c->run;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	char tmp[512];
	int o, first = 1;

#define PUT(...)                                                        \
	do {                                                            \
		snprintf(tmp, sizeof(tmp), __VA_ARGS__);                \
		oracle_json_raw(&buf, &len, &cap, tmp);                 \
	} while (0)
	PUT("{\"state\":\"%s\",\"point\":%" PRIu64 ",\"engine\":\"%s\","
	    "\"index\":%" PRIu64 ",\"image_hash\":\"%s\",\"semantic_hash\":\"%s\","
	    "\"verdict\":\"%s\",\"failed\":[",
	    c->job.id, c->job.point, c->job.engine, c->job.index,
	    c->job.image_hash, res->semantic, verdict_names[res->verdict]);
	for (o = 0; o < N_ORACLES; o++)
		if (res->r[o].ran && !res->r[o].ok) {
			PUT("%s\"%s\"", first ? "" : ",", oracle_names[o]);
			first = 0;
		}
	PUT("],\"oracles\":{");
	first = 1;
	for (o = 0; o < N_ORACLES; o++) {
		if (!res->r[o].ran)
			continue;
		PUT("%s\"%s\":{\"ok\":%s", first ? "" : ",", oracle_names[o],
		    res->r[o].ok ? "true" : "false");
		if (res->r[o].detail[0]) {
			PUT(",\"detail\":");
			oracle_json_string(&buf, &len, &cap, res->r[o].detail);
		}
		PUT("}");
		first = 0;
	}
	PUT("},\"markers\":{\"last_op_begin\":%" PRIu64 ",\"last_op_end\":%" PRIu64
	    ",\"last_durable\":%" PRIu64 "}",
	    res->progress.last_begun, res->progress.last_ended,
	    res->progress.last_durable);
	if (res->infra_detail[0]) {
		PUT(",\"error\":");
		oracle_json_string(&buf, &len, &cap, res->infra_detail);
	}
	PUT(",\"ms\":{\"restore\":%lld,\"check\":%lld},\"at_ms\":%lld,"
	    "\"attempts\":%d,\"checker\":%d}\n",
	    restore_ms, check_ms, torn_now_ms() - run->t_start, attempts, c->idx);
#undef PUT
	pthread_mutex_lock(&run->lock);
	/* one write() per line with O_APPEND: a dying torn leaves whole lines */
	if (buf && write(run->verdict_fd, buf, len) != (ssize_t)len)
		fprintf(stderr, "torn: cannot append to verdicts.jsonl: %s\n",
			strerror(errno));
	run->done++;
	run->by_verdict[res->verdict]++;
	if (res->semantic[0])
		g_hash_table_add(run->semantic, g_strdup(res->semantic));
	pthread_mutex_unlock(&run->lock);
	free(buf);
}

/* ---- checker threads ---------------------------------------------------- */

static void *checker_main(void *p)
{
	struct checker *c = p;
	struct check_run *run = c->run;

	for (;;) {
		struct check_result res;
		long long t0, t1, t2;
		int attempt, last_timeout = 0;

		pthread_mutex_lock(&run->lock);
		while (!c->has_job && !c->quit)
			pthread_cond_wait(&run->cond, &run->lock);
		if (!c->has_job && c->quit) {
			pthread_mutex_unlock(&run->lock);
			break;
		}
		pthread_mutex_unlock(&run->lock);

		for (attempt = 1; attempt <= 2; attempt++) {
			struct torn_err err = { "" };

			if (!c->vm && checker_boot(c, &err)) {
				memset(&res, 0, sizeof(res));
				res.verdict = V_ERROR;
				snprintf(res.infra_detail, sizeof(res.infra_detail),
					 "checker guest did not boot: %s", err.msg);
				t0 = t1 = t2 = torn_now_ms();
				continue;
			}
			t0 = torn_now_ms();
			c->pages_restored += check_restore(c->pm, c->img,
							   run->pm_size);
			t1 = torn_now_ms();
			check_one(c, &res);
			t2 = torn_now_ms();
			if (!res.infra && res.verdict != V_TIMEOUT)
				break;
			last_timeout = res.verdict == V_TIMEOUT ||
				       strstr(res.infra_detail, "did not answer");
			if (res.infra) {
				/* the guest is gone or wedged: a new one */
				fprintf(stderr,
					"torn: checker %d: %s; restarting it (state %s, attempt %d)\n",
					c->idx, res.infra_detail, c->job.id,
					attempt);
				torn_vm_kill(c->vm);
				c->vm = NULL;
			}
		}
		if (res.infra) {
			char tail[400];

			res.verdict = last_timeout ? V_TIMEOUT : V_ERROR;
			snprintf(tail, sizeof(tail), "%s",
				 c->vm ? torn_vm_console_tail(c->vm, 300) : "");
			if (tail[0])
				strncat(res.infra_detail, "; console: ",
					sizeof(res.infra_detail) -
						strlen(res.infra_detail) - 1);
			strncat(res.infra_detail, tail,
				sizeof(res.infra_detail) -
					strlen(res.infra_detail) - 1);
		}
		record_verdict(c, &res, t1 - t0, t2 - t1, attempt > 2 ? 2 : attempt);
		if (run->boot_per_state && c->vm) {
			torn_vm_kill(c->vm);
			c->vm = NULL;
		}
		pthread_mutex_lock(&run->lock);
		c->has_job = 0;
		pthread_cond_broadcast(&run->cond);
		pthread_mutex_unlock(&run->lock);
	}
	return NULL;
}

static struct checker *wait_free_checker(struct check_run *run,
					 struct checker *checkers, int jobs)
{
	struct checker *c = NULL;

	pthread_mutex_lock(&run->lock);
	while (!c) {
		int j;

		for (j = 0; j < jobs && !c; j++)
			if (!checkers[j].has_job)
				c = &checkers[j];
		if (!c)
			pthread_cond_wait(&run->cond, &run->lock);
	}
	pthread_mutex_unlock(&run->lock);
	return c;
}

/* c->img holds the state's image: give c the job. */
static void hand_over(struct check_run *run, struct checker *c, const char *id,
		      uint64_t point, const struct torn_engine *engine,
		      uint64_t index, const struct torn_hash128 *hash,
		      unsigned int flags)
{
	memset(&c->job, 0, sizeof(c->job));
	snprintf(c->job.id, sizeof(c->job.id), "%s", id);
	torn_engine_format(engine, c->job.engine, sizeof(c->job.engine));
	c->job.point = point;
	c->job.index = index;
	c->job.flags = flags;
	snprintf(c->job.image_hash, sizeof(c->job.image_hash),
		 "%016" PRIx64 "%016" PRIx64, hash->hi, hash->lo);
	pthread_mutex_lock(&run->lock);
	c->has_job = 1;
	pthread_cond_broadcast(&run->cond);
	pthread_mutex_unlock(&run->lock);
}

/* Markers before record point (run->markers is in record order). */
static size_t markers_before(const struct check_run *run, uint64_t point)
{
	size_t lo = 0, hi = run->nmarkers;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (run->markers[mid].record < point)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Dedup for checking: a state is new unless a state with the same image
 * AND the same markers before its crash point was seen
 * (torn_state_context_key).  The injectors' dedup by image alone is not
 * enough here: the oracles judge an image against what the workload had
 * acknowledged by the crash point, so an image that was fine before a
 * durability marker may be a lost write after it.  Returns 1 for a new
 * state (now remembered; also when the set cannot grow, so that nothing
 * goes unchecked), 0 otherwise.
 */
static int check_state_is_new(const struct check_run *run,
			      struct torn_state_set *seen,
			      const struct torn_crash_state *cs)
{
	struct torn_hash128 key;

	if (cs->point < run->from_record)
		return 0; /* before --from-op */
	key = torn_state_context_key(cs->hash, markers_before(run, cs->point));
	return torn_state_set_add(seen, &key) != 0;
}

/* Unique states not checked yet, by a quick enumeration (millions a second). */
static uint64_t count_states(struct check_run *run, const struct torn_trace *t,
			     const struct torn_states_opts *so, GHashTable *done)
{
	struct torn_states_opts o = *so;
	struct torn_state_set *seen = NULL;
	struct torn_states *s = NULL;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	uint64_t n = 0;

	o.dedup = NULL;
	if (!torn_state_set_new(&seen) &&
	    !torn_states_new(&s, t, run->base, run->pm_size, &o, NULL)) {
		while (torn_states_next_point(s, &pt) == 1)
			while (torn_states_next_state(s, &cs) == 1) {
				char id[96];

				if (!check_state_is_new(run, seen, &cs))
					continue;
				torn_state_id_format(&cs, id, sizeof(id));
				n += !g_hash_table_contains(done, id);
			}
		torn_states_free(s);
	}
	torn_state_set_free(seen);
	return n;
}

/*
 * Progress on stderr: a line redrawn in place on a terminal, a plain line
 * every 10 seconds otherwise or when CI is set.
 */
static void progress(struct check_run *run, uint64_t dispatched,
		     long long t_start)
{
	static long long last;
	static int tty = -1;
	long long now = torn_now_ms();
	double rate;
	uint64_t done;

	if (tty < 0)
		tty = isatty(2) && !getenv("CI");
	if (now - last < (tty ? 500 : 10000))
		return;
	last = now;
	pthread_mutex_lock(&run->lock);
	done = run->done;
	pthread_mutex_unlock(&run->lock);
	rate = done * 1000.0 / (double)(now - t_start + 1);
	if (run->total && rate > 0)
		fprintf(stderr, "%storn: checked %" PRIu64 "/%" PRIu64 " states, %.1f/s, %.0f s left%s",
			tty ? "\r" : "", done, run->total, rate,
			(run->total - done) / rate, tty ? "  " : "\n");
	else
		fprintf(stderr, "%storn: checked %" PRIu64 " states, %.1f/s%s",
			tty ? "\r" : "", done, rate, tty ? "  " : "\n");
	(void)dispatched;
}

/*
 * Check the unique states in another order (reverse, or shuffled with a
 * seed), each image built from scratch: slow, but it is how a test shows
 * that verdicts do not depend on what a checker saw before.
 */
static int check_in_order(struct check_run *run, const struct torn_trace *t,
			  const struct torn_states_opts *so,
			  struct checker *checkers, int jobs, const char *order,
			  uint64_t seed, uint64_t limit, uint64_t *dispatched,
			  uint64_t *skipped, GHashTable *done)
{
	struct torn_states_opts o = *so;
	struct torn_state_set *seen = NULL;
	struct torn_states *s = NULL;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	struct torn_err err = { "" };
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	long long t0 = torn_now_ms();
	guint i;

	o.dedup = NULL;
	if (torn_state_set_new(&seen) ||
	    torn_states_new(&s, t, run->base, run->pm_size, &o, &err)) {
		fprintf(stderr, "torn: cannot enumerate states: %s\n",
			err.msg[0] ? err.msg : "out of memory");
		torn_state_set_free(seen);
		g_ptr_array_unref(ids);
		return TORN_EXIT_INFRA;
	}
	while (torn_states_next_point(s, &pt) == 1)
		while (torn_states_next_state(s, &cs) == 1) {
			char id[96];

			if (!check_state_is_new(run, seen, &cs))
				continue;
			torn_state_id_format(&cs, id, sizeof(id));
			if (g_hash_table_contains(done, id))
				++*skipped;
			else
				g_ptr_array_add(ids, g_strdup(id));
		}
	torn_states_free(s);
	torn_state_set_free(seen);
	for (i = 0; i + 1 < ids->len; i++) {
		guint j;
		gpointer tmp;

		if (!strcmp(order, "reverse")) {
			j = ids->len - 1 - i;
			if (j <= i)
				break;
		} else {
			/* xorshift: the same seed, the same order */
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			j = i + (guint)(seed % (ids->len - i));
		}
		tmp = ids->pdata[i];
		ids->pdata[i] = ids->pdata[j];
		ids->pdata[j] = tmp;
	}
	for (i = 0; i < ids->len && i < limit && !torn_vm_interrupted(); i++) {
		struct checker *c = wait_free_checker(run, checkers, jobs);
		struct torn_hash128 h;
		uint64_t point, index;
		struct torn_engine e;

		if (torn_state_image(t, run->base, run->pm_size, so,
				     ids->pdata[i], c->img, &h, &err) ||
		    torn_state_id_parse(ids->pdata[i], &point, &e, &index, &err)) {
			fprintf(stderr, "torn: state %s: %s\n",
				(char *)ids->pdata[i], err.msg);
			g_ptr_array_unref(ids);
			return TORN_EXIT_INFRA;
		}
		hand_over(run, c, ids->pdata[i], point, &e, index, &h, 0);
		++*dispatched;
		progress(run, *dispatched, t0);
	}
	g_ptr_array_unref(ids);
	return 0;
}

/* ---- set-up -------------------------------------------------------------- */

static uint8_t *map_shared(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int checker_init(struct checker *c, struct check_run *run, int idx,
			const char *base_path)
{
	c->run = run;
	c->idx = idx;
	if (guest_workdir("check", c->work, sizeof(c->work)))
		return -errno;
	snprintf(c->pm_path, sizeof(c->pm_path), "%s/pm.img", c->work);
	if (torn_copy_file(base_path, c->pm_path))
		return -EIO;
	c->pm = map_shared(c->pm_path, run->pm_size);
	c->img = malloc(run->pm_size);
	if (!c->pm || !c->img)
		return -ENOMEM;
	memcpy(c->img, run->base, run->pm_size);
	return 0;
}

void checker_fini(struct checker *c)
{
	if (c->vm)
		torn_vm_stop(c->vm, 10000);
	c->vm = NULL;
	if (c->pm)
		munmap(c->pm, c->run->pm_size);
	free(c->img);
	if (c->work[0] && !c->run->o.keep)
		guest_workdir_remove(c->work);
}

/* State ids already in verdicts.jsonl (for --resume). */
static GHashTable *load_done(const char *path)
{
	GHashTable *done = g_hash_table_new_full(g_str_hash, g_str_equal,
						 g_free, NULL);
	gchar *text = NULL;
	gsize len;
	char **lines, **l;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return done;
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l; l++) {
		const char *p = strstr(*l, "{\"state\":\""), *end;

		/* a line cut short by a dying torn has no closing brace */
		if (p != *l || !g_str_has_suffix(*l, "}"))
			continue;
		p += 10;
		end = strchr(p, '"');
		if (end)
			g_hash_table_add(done, g_strndup(p, end - p));
	}
	g_strfreev(lines);
	g_free(text);
	return done;
}

/* Markers of the trace, in record order. */
void collect_markers(struct check_run *run, const struct torn_trace *t)
{
	const struct torn_record *r = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t), i, k = 0;

	for (i = 0; i < n; i++)
		k += r[i].kind == TORN_REC_MARK;
	run->markers = calloc(k ? k : 1, sizeof(*run->markers));
	for (i = 0, k = 0; i < n && run->markers; i++)
		if (r[i].kind == TORN_REC_MARK) {
			run->markers[k].record = i;
			run->markers[k].id = r[i].mark_id;
			run->markers[k].arg = r[i].arg;
			k++;
		}
	run->nmarkers = run->markers ? k : 0;
}

/*
 * The record of op `op`'s begin marker, for --from-op; an error naming the
 * ops the trace has when it has no such op.
 */
static int find_op_begin(const struct check_run *run, uint64_t op,
			 uint64_t *record)
{
	uint64_t last = 0;
	size_t i;

	for (i = 0; i < run->nmarkers; i++) {
		if (run->markers[i].id != TORN_MARK_OP_BEGIN)
			continue;
		if (run->markers[i].arg == op) {
			*record = run->markers[i].record;
			return 0;
		}
		last = MAX(last, run->markers[i].arg);
	}
	if (last)
		fprintf(stderr, "torn check: --from-op %" PRIu64 ": the trace has ops 1..%" PRIu64 "\n",
			op, last);
	else
		fprintf(stderr, "torn check: --from-op %" PRIu64 ": the trace has no op markers\n",
			op);
	return -1;
}

/* A string value from the flat meta.json torn trace writes. */
int meta_get(const char *meta, const char *key, char *out, size_t len)
{
	char pat[128];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	p = strstr(meta, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	end = strchr(p, '"');
	if (!end)
		return -1;
	snprintf(out, len, "%.*s", (int)(end - p), p);
	return 0;
}

static int parse_oracles(const char *s, unsigned int *mask)
{
	char **v = g_strsplit(s, ",", -1), **p;
	int ret = 0;

	*mask = 0;
	for (p = v; *p && !ret; p++) {
		int o, found = 0;

		if (!strcmp(*p, "all")) {
			*mask = OR_ALL;
			continue;
		}
		for (o = 0; o < N_ORACLES; o++)
			if (!strcmp(*p, oracle_names[o])) {
				*mask |= 1u << o;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "torn check: --oracles: unknown oracle '%s' (mount, fsck, dmesg, durability, atomicity, usability, custom, all)\n",
				*p);
			ret = -1;
		}
	}
	g_strfreev(v);
	return ret;
}

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: torn check DIR [-j N] [--resume] [--oracles LIST] [--timeout S]\n"
		"         [--model M] [--granularity G] [--points P] [--engine E ...]\n"
		"Recovers every unique crash state of the traced run in DIR in a pool\n"
		"of long-lived checker guests and appends a verdict per state to\n"
		"DIR/verdicts.jsonl.\n\n"
		"  -j N            checker guests (default: number of cores)\n"
		"  --resume        check only the states not in verdicts.jsonl yet\n"
		"  --oracles LIST  mount,fsck,dmesg,durability,atomicity,usability,custom\n"
		"                  (default all)\n"
		"  --timeout S     seconds for each step in the guest (default 60)\n"
		"  --checker CMD   the custom oracle's program (default: the workload's)\n"
		"  --order O       trace (default), reverse, shuffle:SEED\n"
		"  --limit N       check at most N states\n"
		"  --from-op N     only crash points from op N's begin marker on (e.g.\n"
		"                  skip a workload's set-up; ops are numbered from 1)\n"
		"  --boot-per-state  boot a fresh guest for every state (slow: a baseline)\n"
		"  --model, --granularity, --points, --engine   as for torn states\n"
		"%s"
		"Exit status: 0 all consistent, 1 a state was not, 2 usage, 3 infrastructure.\n",
		guest_opts_usage);
}

int cmd_check(int argc, char **argv)
{
	struct check_run run = { .oracles = OR_ALL, .timeout_ms = 60000 };
	struct torn_states_opts so;
	struct torn_states *states = NULL;
	struct torn_trace *trace = NULL;
	struct torn_err err = { "" };
	struct checker *checkers = NULL;
	GHashTable *done = NULL;
	char path[4200], base_path[4200], fsname[64] = "", flush[64] = "";
	gchar *meta = NULL, *exp_text = NULL;
	gsize exp_len;
	uint8_t *persisted = NULL;
	int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), resume = 0, i, ret = 0;
	int user_engines = 0, nbooted = 0;
	const char *checker_override = NULL, *order = NULL;
	uint64_t seed = 0, limit = UINT64_MAX, from_op = 0;
	const char *points_arg = NULL;
	struct torn_state_set *seen_ctx = NULL;
	uint64_t skipped = 0, dispatched = 0;
	long long t_start = torn_now_ms();
	struct stat st;

	run.t_start = t_start;

	torn_states_opts_init(&so);
	for (i = 1; i < argc; i++) {
		int r = guest_opts_parse(&run.o, argc, argv, &i);
		const char *a = argv[i];

		if (r < 0)
			return TORN_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(a, "--help")) {
			check_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(a, "--boot-per-state")) {
			run.boot_per_state = 1;
		} else if (!strcmp(a, "--resume")) {
			resume = 1;
		} else if (a[0] != '-' && !run.dir) {
			run.dir = a;
		} else if (i + 1 >= argc) {
			fprintf(stderr, "torn check: unknown option or missing value '%s'\n",
				a);
			return TORN_EXIT_USAGE;
		} else if (!strcmp(a, "-j")) {
			uint64_t j;

			if (torn_parse_count("torn check", a, argv[++i], 1, 64, &j))
				return TORN_EXIT_USAGE;
			jobs = (int)j;
		} else if (!strcmp(a, "--limit") || !strcmp(a, "--from-op")) {
			if (torn_parse_count("torn check", a, argv[++i], 1,
					    UINT64_MAX,
					    a[2] == 'l' ? &limit : &from_op))
				return TORN_EXIT_USAGE;
		} else if (!strcmp(a, "--checker")) {
			checker_override = argv[++i];
		} else if (!strcmp(a, "--order")) {
			order = argv[++i];
			if (!strcmp(order, "trace")) {
				order = NULL;
			} else if (!strncmp(order, "shuffle:", 8)) {
				char *end;

				seed = strtoull(order + 8, &end, 0);
				if (*end || !seed) {
					fprintf(stderr, "torn check: --order '%s': the seed must be a non-zero number\n",
						order);
					return TORN_EXIT_USAGE;
				}
			} else if (strcmp(order, "reverse")) {
				fprintf(stderr, "torn check: --order '%s': expected trace, reverse or shuffle:SEED\n",
					order);
				return TORN_EXIT_USAGE;
			}
		} else if (!strcmp(a, "--oracles")) {
			if (parse_oracles(argv[++i], &run.oracles))
				return TORN_EXIT_USAGE;
		} else if (!strcmp(a, "--timeout")) {
			uint64_t s;

			if (torn_parse_count("torn check", a, argv[++i], 1, 3600,
					    &s))
				return TORN_EXIT_USAGE;
			run.timeout_ms = (int)s * 1000;
		} else if (!strcmp(a, "--model")) {
			if (torn_model_parse(argv[++i], &so.model, &err))
				goto usage_err;
		} else if (!strcmp(a, "--granularity")) {
			if (torn_granularity_parse(argv[++i], &so.granularity, &err))
				goto usage_err;
		} else if (!strcmp(a, "--points")) {
			points_arg = argv[i + 1];
			if (torn_points_parse(argv[++i], &so.points,
					      &so.store_every, &err))
				goto usage_err;
		} else if (!strcmp(a, "--engine")) {
			char **v = g_strsplit(argv[++i], ",", -1), **p;

			if (!user_engines)
				so.n_engines = 0;
			user_engines = 1;
			for (p = v; *p; p++) {
				if (so.n_engines >= TORN_ENGINES_MAX) {
					torn_err_set(&err, TORN_E_USAGE,
						     "--engine: at most %d engines",
						     TORN_ENGINES_MAX);
					g_strfreev(v);
					goto usage_err;
				}
				if (torn_engine_parse(*p, &so.engines[so.n_engines++],
						      &err)) {
					g_strfreev(v);
					goto usage_err;
				}
			}
			g_strfreev(v);
		} else {
			fprintf(stderr, "torn check: unknown option '%s'\n", a);
			check_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	if (!run.dir) {
		check_usage(stderr);
		return TORN_EXIT_USAGE;
	}

	/* the run directory */
	snprintf(path, sizeof(path), "%s/trace.torn", run.dir);
	if (torn_trace_load(path, &trace, &err)) {
		fprintf(stderr, "torn: cannot read trace '%s': %s\n", path, err.msg);
		return TORN_EXIT_INFRA;
	}
	run.pm_size = torn_trace_get_header(trace)->pm_size;
	snprintf(base_path, sizeof(base_path), "%s/base.img", run.dir);
	if (stat(base_path, &st) || (uint64_t)st.st_size != run.pm_size) {
		fprintf(stderr, "torn: %s is missing or not %" PRIu64 " bytes\n",
			base_path, run.pm_size);
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	{
		int fd = open(base_path, O_RDONLY | O_CLOEXEC);
		void *p = fd < 0 ? MAP_FAILED :
				   mmap(NULL, run.pm_size, PROT_READ,
					MAP_PRIVATE, fd, 0);

		if (fd >= 0)
			close(fd);
		run.base = p == MAP_FAILED ? NULL : p;
	}
	snprintf(path, sizeof(path), "%s/meta.json", run.dir);
	if (!run.base || !g_file_get_contents(path, &meta, NULL, NULL) ||
	    meta_get(meta, "fs", fsname, sizeof(fsname))) {
		fprintf(stderr, "torn: %s/meta.json or base.img unreadable (not a torn trace directory?)\n",
			run.dir);
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	run.fs_kind = torn_fs_kind_parse(fsname);
	if (run.fs_kind < 0) {
		fprintf(stderr, "torn: meta.json: unknown fs '%s'\n", fsname);
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	run.o.fs_kind = run.fs_kind;
	if (!meta_get(meta, "flush_mode", flush, sizeof(flush)) &&
	    torn_flush_mode_parse(flush) >= 0)
		run.o.flush_mode = torn_flush_mode_parse(flush);
	meta_get(meta, "checker", run.checker_prog, sizeof(run.checker_prog));
	if (checker_override)
		snprintf(run.checker_prog, sizeof(run.checker_prog), "%s",
			 checker_override);
	snprintf(path, sizeof(path), "%s/expected.txt", run.dir);
	if (g_file_get_contents(path, &exp_text, &exp_len, NULL) &&
	    oracle_expected_parse(exp_text, exp_len, &run.expected, &err)) {
		fprintf(stderr, "torn: %s: %s\n", path, err.msg);
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	collect_markers(&run, trace);
	if (from_op && find_op_begin(&run, from_op, &run.from_record)) {
		ret = TORN_EXIT_USAGE;
		goto out;
	}

	/* verdicts so far */
	snprintf(path, sizeof(path), "%s/verdicts.jsonl", run.dir);
	done = resume ? load_done(path) :
			g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	run.verdict_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
					    (resume ? 0 : O_TRUNC), 0644);
	if (run.verdict_fd < 0) {
		fprintf(stderr, "torn: cannot open %s: %s\n", path, strerror(errno));
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	run.semantic = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.cond, NULL);

	torn_vm_install_signal_handlers();
	if (guest_kit(&run.o, &run.kit)) {
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	so.dedup = NULL; /* checking dedups by image and markers itself */
	if (torn_state_set_new(&seen_ctx) ||
	    torn_states_new(&states, trace, run.base, run.pm_size, &so, &err)) {
		fprintf(stderr, "torn: cannot enumerate states: %s\n",
			err.msg[0] ? err.msg : "out of memory");
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	{
		/* what torn replay needs to rebuild a state exactly */
		char *opts = g_strdup_printf(
			"{\"model\": \"%s\", \"granularity\": \"%s\", \"points\": \"%s\", \"from_op\": %" PRIu64 "}\n",
			torn_model_name(torn_states_get_model(states)),
			torn_granularity_name(so.granularity),
			points_arg ? points_arg : "fence", from_op);
		char *p = g_strdup_printf("%s/check.json", run.dir);

		if (!g_file_set_contents(p, opts, -1, NULL))
			fprintf(stderr, "torn: cannot write %s\n", p);
		g_free(p);
		g_free(opts);
	}
	persisted = malloc(run.pm_size);
	checkers = calloc(jobs, sizeof(*checkers));
	if (!persisted || !checkers) {
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	memcpy(persisted, run.base, run.pm_size);
	for (i = 0; i < jobs; i++) {
		if (checker_init(&checkers[i], &run, i, base_path)) {
			fprintf(stderr, "torn: cannot set up checker %d\n", i);
			ret = TORN_EXIT_INFRA;
			goto out_threads;
		}
		pthread_create(&checkers[i].thread, NULL, checker_main,
			       &checkers[i]);
		nbooted++;
	}
	run.total = MIN(count_states(&run, trace, &so, done), limit);
	fprintf(stderr, "torn: %" PRIu64 " unique states to check\n", run.total);
	fprintf(stderr, "torn: checking %s with %d checker guests\n", run.dir,
		jobs);

	if (order) {
		ret = check_in_order(&run, trace, &so, checkers, jobs, order,
				     seed, limit, &dispatched, &skipped, done);
		goto out_threads;
	}
	for (;;) {
		struct torn_crash_point pt;
		struct torn_crash_state cs;
		size_t k;
		int r = torn_states_next_point(states, &pt);

		if (r <= 0) {
			if (r < 0)
				fprintf(stderr, "torn: state enumeration failed: %s\n",
					torn_strerror(r));
			break;
		}
		for (k = 0; k < pt.n_changed; k++)
			memcpy(persisted + pt.changed[k].line * TORN_LINE_SIZE,
			       pt.changed[k].data, TORN_LINE_SIZE);
		while ((r = torn_states_next_state(states, &cs)) == 1) {
			struct checker *c;
			char id[96];

			if (torn_vm_interrupted() || dispatched >= limit)
				goto out_threads;
			if (!check_state_is_new(&run, seen_ctx, &cs))
				continue;
			torn_state_id_format(&cs, id, sizeof(id));
			if (g_hash_table_contains(done, id)) {
				skipped++;
				continue;
			}
			c = wait_free_checker(&run, checkers, jobs);
			/* the checker is idle: its image buffer is ours */
			check_restore(c->img, persisted, run.pm_size);
			torn_state_apply(&cs, c->img);
			hand_over(&run, c, id, cs.point, cs.engine, cs.index,
				  &cs.hash, cs.flags);
			dispatched++;
			progress(&run, dispatched, t_start);
		}
	}
out_threads:
	pthread_mutex_lock(&run.lock);
	for (i = 0; i < nbooted; i++)
		checkers[i].quit = 1;
	pthread_cond_broadcast(&run.cond);
	pthread_mutex_unlock(&run.lock);
	for (i = 0; i < nbooted; i++)
		pthread_join(checkers[i].thread, NULL);
	for (i = 0; checkers && i < jobs; i++)
		if (checkers[i].run)
			checker_fini(&checkers[i]);
	if (run.total && isatty(2) && !getenv("CI"))
		fputc('\n', stderr);
	if (!ret) {
		long long ms = torn_now_ms() - t_start;

		printf("checked %" PRIu64 " states in %.1f s (%.2f states/s)%s\n",
		       run.done, ms / 1000.0, run.done * 1000.0 / (ms + 1),
		       skipped ? "" : "");
		if (skipped)
			printf("skipped %" PRIu64 " states already in verdicts.jsonl\n",
			       skipped);
		for (i = 0; i < 5; i++)
			if (run.by_verdict[i])
				printf("  %-14s %" PRIu64 "\n", verdict_names[i],
				       run.by_verdict[i]);
		printf("distinct semantic states: %u\n",
		       g_hash_table_size(run.semantic));
		ret = run.by_verdict[V_CONSISTENT] == run.done ? TORN_EXIT_OK :
								 TORN_EXIT_FAIL;
		if (run.by_verdict[V_ERROR] &&
		    !run.by_verdict[V_INCONSISTENT] &&
		    !run.by_verdict[V_UNRECOVERABLE])
			ret = TORN_EXIT_INFRA;
	}
out:
	if (states)
		torn_states_free(states);
	torn_trace_free(trace);
	oracle_expected_free(run.expected);
	free(run.markers);
	free(persisted);
	free(checkers);
	g_free(meta);
	g_free(exp_text);
	if (done)
		g_hash_table_destroy(done);
	torn_state_set_free(seen_ctx);
	if (run.semantic)
		g_hash_table_destroy(run.semantic);
	if (run.base)
		munmap((void *)run.base, run.pm_size);
	if (run.verdict_fd > 0)
		close(run.verdict_fd);
	return ret;
usage_err:
	fprintf(stderr, "torn check: %s\n", err.msg);
	return TORN_EXIT_USAGE;
}
