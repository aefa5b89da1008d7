/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash-state enumeration speed and memory, as JSON lines on stdout. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "states.h"
#include "trace.h"

/*
 * The synthetic trace: `points` epochs, each storing to n lines (n drawn
 * uniformly from min..max) with 1..3 stores of 8..64 bytes per line,
 * clwb of each line, then an sfence.  At each sfence the n lines are in
 * flight: one crash point per epoch under --points fence.  Lines come
 * from a 16 MiB region of a 64 MiB NVDIMM, so epochs touch old lines too.
 */
struct config {
	uint64_t points;
	unsigned int min_lines, max_lines;
	uint64_t seed;
	const char *engines;
	const char *gran;
	const char *model;
	bool dedup;
	unsigned int threads;
};

#define PM_SIZE (64ull << 20)
#define REGION_LINES ((16ull << 20) / 64)

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static struct torn_trace *synthetic_trace(const struct config *c)
{
	struct torn_trace_header hdr = {
		.pm_base = 0x100000000ull,
		.pm_size = PM_SIZE,
		.line_size = 64,
		.cpu_features =
			TORN_CPU_CLFLUSH | TORN_CPU_CLFLUSHOPT | TORN_CPU_CLWB,
	};
	uint64_t x = c->seed * 0x9e3779b97f4a7c15ull + 7, p, lines[64];
	struct torn_trace *t;
	struct torn_err err;
	uint8_t val[64];
	unsigned int i, j, k, n;

	if (torn_trace_new(&t, &hdr))
		return NULL;
	for (p = 0; p < c->points; p++) {
		struct torn_record r = { 0 };

		n = c->min_lines +
		    (unsigned int)(rnd(&x) % (c->max_lines - c->min_lines + 1));
		for (i = 0; i < n; i++) {
			unsigned int stores = 1 + (unsigned int)(rnd(&x) % 3);

			lines[i] = rnd(&x) % REGION_LINES;
			for (k = 0; k < stores; k++) {
				unsigned int size = 8u << (rnd(&x) % 4);

				if (size > 64)
					size = 64;
				memset(&r, 0, sizeof(r));
				r.kind = TORN_REC_STORE;
				r.size = (uint8_t)size;
				r.offset = lines[i] * 64 +
					   (rnd(&x) % (64 / size)) * size;
				for (j = 0; j < size; j++)
					val[j] = (uint8_t)rnd(&x);
				r.data = val;
				if (torn_trace_append(t, &r, &err))
					goto out_err;
			}
		}
		for (i = 0; i < n; i++) {
			memset(&r, 0, sizeof(r));
			r.kind = TORN_REC_FLUSH;
			r.sub = TORN_FLUSH_CLWB;
			r.offset = lines[i] * 64;
			if (torn_trace_append(t, &r, &err))
				goto out_err;
		}
		memset(&r, 0, sizeof(r));
		r.kind = TORN_REC_FENCE;
		r.sub = TORN_FENCE_SFENCE;
		if (torn_trace_append(t, &r, &err))
			goto out_err;
	}
	return t;

out_err:
	fprintf(stderr, "bench_states: %s\n", err.msg);
	torn_trace_free(t);
	return NULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct result {
	uint64_t points, states, unique, delta_bytes, max_inflight_lines;
	size_t dedup_bytes;
	double seconds;
};

static int parse_opts(const struct config *c, struct torn_states_opts *o)
{
	char buf[256], *tok, *save = NULL;
	struct torn_err err;

	torn_states_opts_init(o);
	o->threads = c->threads;
	if (torn_granularity_parse(c->gran, &o->granularity, &err) ||
	    torn_model_parse(c->model, &o->model, &err))
		goto out_err;
	snprintf(buf, sizeof(buf), "%s", c->engines);
	o->n_engines = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->n_engines == TORN_ENGINES_MAX ||
		    torn_engine_parse(tok, &o->engines[o->n_engines++], &err))
			goto out_err;
	}
	return 0;

out_err:
	fprintf(stderr, "bench_states: %s\n", err.msg);
	return -1;
}

/*
 * One run: every unique state's delta is read (its bytes summed), as a
 * checker writing images would; the time covers replay, chains, engines,
 * hashing, dedup and the deltas, not building the trace.
 */
static int run_once(const struct config *c, const struct torn_trace *t,
		    struct result *res)
{
	struct torn_state_set *set = NULL;
	struct torn_states_opts o;
	struct torn_states_stats st;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	struct torn_states *s;
	struct torn_err err;
	uint64_t bytes = 0;
	double t0;
	size_t i;
	int ret;

	if (parse_opts(c, &o))
		return -1;
	if (c->dedup && torn_state_set_new(&set))
		return -1;
	o.dedup = set;
	t0 = now();
	if (torn_states_new(&s, t, NULL, PM_SIZE, &o, &err)) {
		fprintf(stderr, "bench_states: %s\n", err.msg);
		return -1;
	}
	while ((ret = torn_states_next_point(s, &pt)) == 1) {
		while ((ret = torn_states_next_state(s, &cs)) == 1)
			for (i = 0; i < cs.n_delta; i++)
				bytes += cs.delta[i].len + cs.delta[i].data[0];
		if (ret < 0)
			break;
	}
	res->seconds = now() - t0;
	if (ret < 0) {
		fprintf(stderr, "bench_states: %s\n", torn_states_get_error(s));
		return -1;
	}
	torn_states_get_stats(s, &st);
	res->points = st.points;
	res->states = st.states;
	res->unique = st.unique;
	res->max_inflight_lines = st.max_inflight_lines;
	res->delta_bytes = bytes;
	res->dedup_bytes = set ? torn_state_set_bytes(set) : 0;
	torn_states_free(s);
	torn_state_set_free(set);
	return 0;
}

/* Run c in a child process, so that its max RSS is its own. */
static int run_child(const struct config *c)
{
	struct rusage ru;
	struct result res;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct torn_trace *t;

		close(fds[0]);
		t = synthetic_trace(c);
		if (!t || run_once(c, t, &res))
			_exit(1);
		if (write(fds[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &res, sizeof(res)) != sizeof(res)) {
		close(fds[0]);
		waitpid(pid, &status, 0);
		return -1;
	}
	close(fds[0]);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	printf("{\"bench\":\"states\",\"model\":\"%s\",\"granularity\":\"%s\","
	       "\"engines\":\"%s\",\"dedup\":%s,\"threads\":%u,"
	       "\"points\":%" PRIu64 ",\"inflight_lines\":[%u,%u],"
	       "\"seed\":%" PRIu64 ",\"states\":%" PRIu64 ",\"unique\":%" PRIu64
	       ",\"seconds\":%.3f,"
	       "\"states_per_s\":%.0f,\"unique_per_s\":%.0f,"
	       "\"dedup_set_bytes\":%zu,\"max_rss_kb\":%ld}\n",
	       c->model, c->gran, c->engines, c->dedup ? "true" : "false",
	       c->threads, res.points, c->min_lines, c->max_lines, c->seed,
	       res.states, res.unique, res.seconds, res.states / res.seconds,
	       res.unique / res.seconds, res.dedup_bytes, ru.ru_maxrss);
	fflush(stdout);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_states [--points N] [--lines MIN:MAX] [--seed S]\n"
		"         [--engines LIST] [--granularity G] [--model M]\n"
		"         [--threads 1|2] [--no-dedup]\n"
		"Without --engines: the standard matrix, each engine with\n"
		"1 and 2 threads (docs/performance.md).\n");
}

int main(int argc, char **argv)
{
	static const char *const matrix[] = {
		"prefix",    "subsets:1", "prefix,subsets:1",
		"subsets:2", "full:4096", "random:64",
		"torn",
	};
	struct config c = {
		.points = 10000,
		.min_lines = 8,
		.max_lines = 64,
		.seed = 1,
		.engines = NULL,
		.gran = "line",
		.model = "adr",
		.dedup = true,
		.threads = 1,
	};
	int i, failed = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-dedup")) {
			c.dedup = false;
			continue;
		}
		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v)
			goto usage;
		i++;
		if (!strcmp(a, "--points"))
			c.points = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--lines") &&
			 sscanf(v, "%u:%u", &c.min_lines, &c.max_lines) == 2 &&
			 c.min_lines >= 1 && c.min_lines <= c.max_lines &&
			 c.max_lines <= 64)
			;
		else if (!strcmp(a, "--seed"))
			c.seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--engines"))
			c.engines = v;
		else if (!strcmp(a, "--granularity"))
			c.gran = v;
		else if (!strcmp(a, "--model"))
			c.model = v;
		else if (!strcmp(a, "--threads") &&
			 sscanf(v, "%u", &c.threads) == 1 && c.threads >= 1 &&
			 c.threads <= 2)
			;
		else
			goto usage;
	}
	if (c.engines)
		return run_child(&c) ? 1 : 0;
	for (k = 0; k < sizeof(matrix) / sizeof(matrix[0]); k++) {
		c.engines = matrix[k];
		for (c.threads = 1; c.threads <= 2; c.threads++) {
			if (!run_child(&c))
				continue;
			fprintf(stderr, "bench_states: run %s failed\n",
				matrix[k]);
			failed = 1;
		}
	}
	return failed;

usage:
	usage(stderr);
	return 2;
}
