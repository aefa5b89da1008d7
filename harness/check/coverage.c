/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --coverage: the checker kernel's gcov counters around each recovery. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_int.h"
#include "gcov.h"
#include "kernel.h"
#include "torn_time.h"

#define COV_DIR "coverage"

struct check_coverage {
	struct torn_gcov *gcov; /* under lock */
	pthread_mutex_t lock;
	uint64_t states; /* states whose counters were added */
	uint64_t lost; /* states whose counters died with their guest */
	unsigned int batch; /* states a reset and read cover: 1 or more */
	unsigned int said; /* a dump left out was said */
};

/* Every .gcda under dir (RUN/coverage/gcda) back into g, path by path. */
static int load_dir(struct torn_gcov *g, const char *root, const char *rel,
		    struct torn_err *err)
{
	char *dir = g_build_filename(root, rel, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int ret = 0;

	while (!ret && d && (name = g_dir_read_name(d))) {
		char *r = g_build_filename(rel, name, NULL);
		char *p = g_build_filename(root, r, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			ret = load_dir(g, root, r, err);
		} else if (g_str_has_suffix(name, ".gcda")) {
			gchar *data = NULL;
			gsize len = 0;
			char *path = g_strconcat("/", r, NULL);

			if (!g_file_get_contents(p, &data, &len, NULL))
				ret = torn_err_set(err, -EIO, "cannot read %s",
						   p);
			else
				ret = torn_gcov_add_gcda(g, path, data, len,
							 NULL, err);
			g_free(path);
			g_free(data);
		}
		g_free(p);
		g_free(r);
	}
	if (d)
		g_dir_close(d);
	g_free(dir);
	return ret;
}

int check_coverage_open(struct check_run *run, bool resume, unsigned int batch,
			struct torn_err *err)
{
	char *gdir = g_build_filename(run->dir, COV_DIR, "gcda", NULL);
	struct torn_kernel k;
	char cache[4096];
	int ret;

	if (!torn_kernel_is_built_spec(run->kit.kernel_id)) {
		g_free(gdir);
		return torn_err_set(
			err, TORN_E_USAGE,
			"--coverage needs a kernel torn built with --gcov (torn kernel build --gcov, then --kernel built:HASH); this check boots %s",
			run->kit.kernel_id);
	}
	ret = torn_cache_dir(run->guest.cache_dir, cache, sizeof(cache));
	if (!ret)
		ret = torn_kernel_find(cache, run->kit.kernel_id, &k, err);
	if (!ret && !k.gcov)
		ret = torn_err_set(
			err, TORN_E_USAGE,
			"--coverage needs a --gcov kernel; %s was built without --gcov",
			k.id);
	if (ret) {
		g_free(gdir);
		return ret;
	}
	run->cov = g_new0(struct check_coverage, 1);
	run->cov->batch = batch > 1 && !run->boot_per_state ? batch : 1;
	torn_gcov_new(&run->cov->gcov);
	pthread_mutex_init(&run->cov->lock, NULL);
	if (resume && g_file_test(gdir, G_FILE_TEST_IS_DIR))
		ret = load_dir(run->cov->gcov, gdir, "", err);
	g_free(gdir);
	return ret;
}

int check_coverage_reset(struct checker *c, struct torn_err *err)
{
	static const char *const req[] = { "gcov-reset", NULL };

	if (!c->run->cov || c->cov_pending)
		return 0;
	return guest_call(c->vm, c->run->timeout_ms, req, NULL, err);
}

/* The guest's counters into c; after its first, only the files reached. */
static int dump(struct checker *c, struct torn_err *err)
{
	const char *const req[] = { "gcov-dump", "changed" };
	struct torn_proto_msg reply = { 0 };
	int ret;

	ret = torn_vm_call(c->vm, c->run->timeout_ms, c->cov_full ? 2 : 1, req,
			   &reply, err);
	if (!ret && reply.nfields != 3)
		ret = torn_err_set(err, TORN_E_GUEST,
				   "gcov-dump: %u fields, not 3",
				   reply.nfields);
	if (!ret) {
		g_free(c->coverage);
		c->coverage =
			g_memdup2(reply.fields[2].data, reply.fields[2].len);
		c->coverage_len = reply.fields[2].len;
		c->coverage_states = c->cov_pending;
		c->cov_pending = 0;
		c->cov_full = true;
	}
	return ret;
}

int check_coverage_read(struct checker *c, struct check_result *res,
			struct torn_err *err)
{
	long long t0 = torn_now_ms();
	int ret;

	if (!c->run->cov || ++c->cov_pending < c->run->cov->batch)
		return 0;
	ret = dump(c, err);
	if (!ret)
		res->ms_coverage = torn_now_ms() - t0;
	return ret;
}

void check_coverage_flush(struct checker *c)
{
	struct torn_err err = { "" };
	int64_t fresh;

	if (!c->run->cov || !c->vm || !c->cov_pending)
		return;
	if (dump(c, &err)) {
		fprintf(stderr,
			"torn: checker %d: the counters of its last %u states: %s\n",
			c->idx, c->cov_pending, err.msg);
		check_coverage_lost(c);
		return;
	}
	check_coverage_add(c->run, c, &fresh);
}

void check_coverage_lost(struct checker *c)
{
	struct check_coverage *cov = c->run->cov;

	if (cov && c->cov_pending) {
		pthread_mutex_lock(&cov->lock);
		cov->lost += c->cov_pending;
		pthread_mutex_unlock(&cov->lock);
	}
	c->cov_pending = 0;
	c->cov_full = false;
}

void check_coverage_add(const struct check_run *run, struct checker *c,
			int64_t *fresh)
{
	struct check_coverage *cov = run->cov;
	struct torn_err err = { "" };
	uint64_t n = 0;

	*fresh = -1;
	if (!cov || !c->coverage)
		return;
	pthread_mutex_lock(&cov->lock);
	if (torn_gcov_add(cov->gcov, c->coverage, c->coverage_len, &n, &err)) {
		if (!cov->said++)
			fprintf(stderr,
				"torn: a state's coverage is left out: %s\n",
				err.msg);
	} else {
		*fresh = (int64_t)n;
		cov->states += c->coverage_states;
	}
	pthread_mutex_unlock(&cov->lock);
	g_free(c->coverage);
	c->coverage = NULL;
}

static int write_one(const char *path, const void *data, size_t len)
{
	char *dir = g_path_get_dirname(path);
	int ret = g_mkdir_with_parents(dir, 0755) ? -errno : 0;

	g_free(dir);
	if (!ret && !g_file_set_contents(path, data, len, NULL))
		ret = -EIO;
	return ret;
}

int check_coverage_write(struct check_run *run, struct torn_err *err)
{
	struct torn_gcov *g = run->cov ? run->cov->gcov : NULL;
	char *root = g_build_filename(run->dir, COV_DIR, NULL);
	char *gdir = g_build_filename(root, "gcda", NULL);
	char *tmp = g_strdup_printf("%s.tmp", gdir);
	char *argv[] = { "rm", "-rf", tmp, NULL };
	char *summary, *spath;
	int ret = 0;

	if (!g)
		goto out;
	/* the whole set, then renamed over the last one: never half of it */
	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
		     NULL, NULL, NULL);
	for (size_t i = 0; !ret && i < torn_gcov_files(g); i++) {
		char *p = g_strconcat(tmp, torn_gcov_path(g, i), NULL);
		void *data;
		size_t len;

		ret = torn_gcov_gcda(g, i, &data, &len);
		if (!ret) {
			ret = write_one(p, data, len);
			g_free(data);
		}
		g_free(p);
	}
	if (!ret) {
		argv[2] = gdir;
		g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
			     NULL, NULL, NULL, NULL);
		if (rename(tmp, gdir))
			ret = -errno;
	}
	summary = g_strdup_printf(
		"{\"kernel\":\"%s\",\"files\":%zu,\"counters\":%" PRIu64
		",\"reached\":%" PRIu64 ",\"states\":%" PRIu64
		",\"batch\":%u,\"lost\":%" PRIu64 "}\n",
		run->kit.kernel_id, torn_gcov_files(g), torn_gcov_counters(g),
		torn_gcov_reached(g), run->cov->states, run->cov->batch,
		run->cov->lost);
	spath = g_build_filename(root, "summary.json", NULL);
	if (!ret)
		ret = write_one(spath, summary, strlen(summary));
	g_free(spath);
	g_free(summary);
	if (ret)
		torn_err_set(err, ret,
			     "cannot write the run's coverage in %s: %s", root,
			     strerror(-ret));
	else
		fprintf(stderr,
			"torn: kernel coverage: %" PRIu64 " of %" PRIu64
			" gcov counters of %zu files reached by %" PRIu64
			" states (%s; torn coverage %s)\n",
			torn_gcov_reached(g), torn_gcov_counters(g),
			torn_gcov_files(g), run->cov->states, root, run->dir);
	if (!ret && run->cov->lost)
		fprintf(stderr,
			"torn: kernel coverage: the counters of %" PRIu64
			" states were lost with their checker guests (restarted)\n",
			run->cov->lost);
out:
	g_free(tmp);
	g_free(gdir);
	g_free(root);
	return ret;
}

void check_coverage_fini(struct check_run *run)
{
	if (!run->cov)
		return;
	torn_gcov_free(run->cov->gcov);
	pthread_mutex_destroy(&run->cov->lock);
	g_free(run->cov);
	run->cov = NULL;
}
