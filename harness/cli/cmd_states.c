/* torn states, torn state-image: the crash states of a traced run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "states.h"
#include "trace.h"

static void states_usage(FILE *f)
{
	fprintf(f,
		"usage: torn states DIR [--model adr|eadr]\n"
		"         [--granularity line|torn] [--points P]\n"
		"         [--engine E ...] [--no-dedup] [--threads 1|2]\n"
		"         [--stats] [--list]\n"
		"\n"
		"Enumerate the crash states of the run in DIR (DIR/trace.torn\n"
		"over DIR/base.img): per crash point the lines and writes in\n"
		"flight and the states found, then totals.\n"
		"\n"
		"  --model M        adr or eadr (default: eadr if the\n"
		"                   trace says the NVDIMM has CPU-cache\n"
		"                   persistence, else adr)\n"
		"  --granularity G  line (a line keeps a prefix of its\n"
		"                   stores) or torn (each 8-byte granule\n"
		"                   does); default line\n"
		"  --points P       crash points, comma-separated: fence (the\n"
		"                   default), flush, store:N, marker, all\n"
		"  --engine E       prefix, subsets:K, full[:CAP],\n"
		"                   random:N[:SEED], torn; repeat or\n"
		"                   comma-separate, up to %d (default:\n"
		"                   prefix,subsets:1)\n"
		"  --no-dedup       keep states whose image was seen before\n"
		"  --threads T      2: replay the trace in a second thread\n"
		"                   (same output); default 1\n"
		"  --stats          totals only, with a line per engine\n"
		"  --list           a line per unique state: id, hash, delta\n"
		"  --help           print this help\n"
		"\n"
		"Exit status: 0 success, 2 usage, 3 unreadable run\n"
		"directory.\n",
		TORN_ENGINES_MAX);
}

static void state_image_usage(FILE *f)
{
	fprintf(f,
		"usage: torn state-image DIR STATE-ID -o FILE\n"
		"         [--model adr|eadr] [--granularity line|torn]\n"
		"\n"
		"Write the image of one crash state of the run in DIR to\n"
		"FILE: the base image, everything persisted at the state's\n"
		"crash point and the state's delta.  STATE-ID is\n"
		"POINT.ENGINE.INDEX as 'torn states --list' prints it; give\n"
		"the same --model and --granularity.\n"
		"\n"
		"Exit status: 0 success, 2 usage or no such state,\n"
		"3 unreadable run directory or unwritable FILE.\n");
}

/* A run directory's trace and base image, mapped read-only. */
struct run_dir {
	struct torn_trace *trace;
	void *base;
	size_t size;
};

static void run_dir_close(struct run_dir *r)
{
	torn_trace_free(r->trace);
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, r->size);
	memset(r, 0, sizeof(*r));
}

static int run_dir_open(const char *cmd, const char *dir, struct run_dir *r)
{
	struct torn_err err = { .msg = "" };
	char path[4096];
	struct stat sb;
	uint64_t pm_size;
	int fd, ret;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/trace.torn", dir);
	ret = torn_trace_load(path, &r->trace, &err);
	if (ret) {
		fprintf(stderr, "torn: %s: cannot read trace '%s': %s\n", cmd,
			path, err.msg);
		return TORN_EXIT_INFRA;
	}
	pm_size = torn_trace_get_header(r->trace)->pm_size;
	snprintf(path, sizeof(path), "%s/base.img", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "torn: %s: cannot open base image '%s': %s\n",
			cmd, path, strerror(errno));
		goto out_err;
	}
	if ((uint64_t)sb.st_size != pm_size || pm_size > SIZE_MAX) {
		fprintf(stderr,
			"torn: %s: base image '%s' has %jd bytes, the trace's NVDIMM %" PRIu64 "\n",
			cmd, path, (intmax_t)sb.st_size, pm_size);
		goto out_err;
	}
	r->size = (size_t)pm_size;
	r->base = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (r->base == MAP_FAILED) {
		fprintf(stderr, "torn: %s: cannot map base image '%s': %s\n",
			cmd, path, strerror(errno));
		goto out_err;
	}
	close(fd);
	return 0;

out_err:
	if (fd >= 0)
		close(fd);
	run_dir_close(r);
	return TORN_EXIT_INFRA;
}

/* "--name VALUE" or "--name=VALUE"; NULL when argv[*i] is not --name. */
static const char *opt_value(int argc, char **argv, int *i, const char *name,
			     bool *missing)
{
	size_t n = strlen(name);

	*missing = false;
	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* Append the comma-separated engines of list to o. */
static int add_engines(const char *cmd, struct torn_states_opts *o,
		       const char *list)
{
	struct torn_err err = { .msg = "" };
	char buf[512], *tok, *save = NULL;

	if (strlen(list) >= sizeof(buf) || !*list) {
		fprintf(stderr, "torn: %s: --engine: expected prefix, subsets:K, full[:CAP], random:N[:SEED] or torn\n",
			cmd);
		return -1;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->n_engines == TORN_ENGINES_MAX) {
			fprintf(stderr,
				"torn: %s: --engine: at most %d engines\n",
				cmd, TORN_ENGINES_MAX);
			return -1;
		}
		if (torn_engine_parse(tok, &o->engines[o->n_engines],
				      &err)) {
			fprintf(stderr, "torn: %s: --engine: %s\n", cmd,
				err.msg);
			return -1;
		}
		o->n_engines++;
	}
	return 0;
}

/*
 * The options both commands share: --model, --granularity, and for
 * states also --points and --engine.  Returns 1 if argv[*i] was one,
 * 0 if not, -1 on a bad value (reported).
 */
static int common_option(const char *cmd, int argc, char **argv, int *i,
			 struct torn_states_opts *o, bool all, bool *engines)
{
	struct torn_err err = { .msg = "" };
	bool missing;
	const char *v;

	if ((v = opt_value(argc, argv, i, "--model", &missing))) {
		if (!torn_model_parse(v, &o->model, &err))
			return 1;
		fprintf(stderr, "torn: %s: --model: %s\n", cmd, err.msg);
		return -1;
	}
	if (missing)
		goto out_missing;
	if ((v = opt_value(argc, argv, i, "--granularity", &missing))) {
		if (!torn_granularity_parse(v, &o->granularity, &err))
			return 1;
		fprintf(stderr, "torn: %s: --granularity: %s\n", cmd, err.msg);
		return -1;
	}
	if (missing)
		goto out_missing;
	if (!all)
		return 0;
	if ((v = opt_value(argc, argv, i, "--points", &missing))) {
		if (!torn_points_parse(v, &o->points, &o->store_every, &err))
			return 1;
		fprintf(stderr, "torn: %s: --points: %s\n", cmd, err.msg);
		return -1;
	}
	if (missing)
		goto out_missing;
	if ((v = opt_value(argc, argv, i, "--engine", &missing))) {
		if (!*engines) {
			o->n_engines = 0;
			*engines = true;
		}
		return add_engines(cmd, o, v) ? -1 : 1;
	}
	if (missing)
		goto out_missing;
	return 0;

out_missing:
	fprintf(stderr, "torn: %s: %s needs a value\n", cmd, argv[*i]);
	return -1;
}

static const char *point_kind(const struct torn_crash_point *pt, char *buf,
			      size_t size)
{
	switch (pt->kind) {
	case TORN_REC_FENCE:
		snprintf(buf, size, "fence:%s", torn_fence_kind_name(pt->sub));
		break;
	case TORN_REC_FLUSH:
	case TORN_REC_UNRESOLVED:
		snprintf(buf, size, "%s:%s", torn_record_kind_name(pt->kind),
			 torn_flush_kind_name(pt->sub));
		break;
	case TORN_REC_END:
		snprintf(buf, size, "end");
		break;
	default:
		snprintf(buf, size, "%s", torn_record_kind_name(pt->kind));
	}
	return buf;
}

static void print_options(const struct torn_states_opts *o, int model)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} pts[] = {
		{ TORN_POINTS_FENCE, "fence" },
		{ TORN_POINTS_FLUSH, "flush" },
		{ TORN_POINTS_STORE, "store" },
		{ TORN_POINTS_MARKER, "marker" },
		{ TORN_POINTS_ALL, "all" },
	};
	const char *sep = "";
	char eng[64];
	unsigned int i;

	printf("model %s granularity %s points ", torn_model_name(model),
	       torn_granularity_name(o->granularity));
	for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		if (!(o->points & pts[i].bit))
			continue;
		printf("%s%s", sep, pts[i].name);
		if (pts[i].bit == TORN_POINTS_STORE)
			printf(":%" PRIu64, o->store_every);
		sep = ",";
	}
	printf(" engines ");
	for (i = 0; i < o->n_engines; i++) {
		torn_engine_format(&o->engines[i], eng, sizeof(eng));
		printf("%s%s", i ? "," : "", eng);
	}
	printf(" dedup %s\n", o->dedup ? "on" : "off");
}

static void print_totals(const struct torn_states_opts *o,
			 const struct torn_states_stats *st,
			 const struct torn_state_set *set, bool stats)
{
	char eng[64];
	unsigned int i;

	printf("total points %" PRIu64 " states %" PRIu64 " unique %" PRIu64
	       " duplicates %" PRIu64 " persisted %" PRIu64
	       " full-fallbacks %" PRIu64 " unresolved-flushes %" PRIu64 "\n",
	       st->points, st->states, st->unique, st->duplicates,
	       st->persisted, st->fallbacks, st->unresolved);
	if (!stats)
		return;
	for (i = 0; i < o->n_engines; i++) {
		torn_engine_format(&o->engines[i], eng, sizeof(eng));
		printf("engine %s states %" PRIu64 " unique %" PRIu64 "\n",
		       eng, st->engine_states[i], st->engine_unique[i]);
	}
	printf("records %" PRIu64 " lines-touched %" PRIu64
	       " max-inflight-lines %" PRIu32 " max-inflight-writes %" PRIu32
	       "\n",
	       st->records, st->lines_touched, st->max_inflight_lines,
	       st->max_inflight_writes);
	if (set)
		printf("dedup-set hashes %zu bytes %zu\n",
		       torn_state_set_count(set), torn_state_set_bytes(set));
}

int cmd_states(int argc, char **argv)
{
	const char *cmd = "states", *dir = NULL;
	bool stats = false, list = false, dedup = true, engines = false;
	struct torn_state_set *set = NULL;
	struct torn_states_stats st;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	struct torn_states_opts o;
	struct torn_err err = { .msg = "" };
	struct torn_states *s = NULL;
	struct run_dir run;
	const char *v;
	bool missing;
	int i, ret, rc = TORN_EXIT_INFRA;

	torn_states_opts_init(&o);
	for (i = 1; i < argc; i++) {
		ret = common_option(cmd, argc, argv, &i, &o, true, &engines);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			states_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(argv[i], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[i], "--list")) {
			list = true;
		} else if (!strcmp(argv[i], "--no-dedup")) {
			dedup = false;
		} else if ((v = opt_value(argc, argv, &i, "--threads",
					  &missing)) || missing) {
			if (!v || (strcmp(v, "1") && strcmp(v, "2"))) {
				fprintf(stderr,
					"torn: states: --threads: expected 1 or 2\n");
				goto usage;
			}
			o.threads = (unsigned int)(v[0] - '0');
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "torn: states: unknown option '%s'\n",
				argv[i]);
			goto usage;
		} else if (dir) {
			fprintf(stderr,
				"torn: states: one DIR only, not '%s'\n",
				argv[i]);
			goto usage;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		fprintf(stderr, "torn: states: no DIR given (see --help)\n");
		goto usage;
	}
	ret = run_dir_open(cmd, dir, &run);
	if (ret)
		return ret;
	if (dedup && torn_state_set_new(&set)) {
		fprintf(stderr, "torn: states: out of memory\n");
		goto out;
	}
	o.dedup = set;
	ret = torn_states_new(&s, run.trace, run.base, run.size, &o, &err);
	if (ret) {
		fprintf(stderr, "torn: states: %s\n", err.msg);
		goto out;
	}
	print_options(&o, torn_states_get_model(s));
	while ((ret = torn_states_next_point(s, &pt)) == 1) {
		uint64_t unique = 0;
		char kind[48], id[96], hash[33];

		if (!stats)
			printf("point %" PRIu64 " %s lines %" PRIu32
			       " writes %" PRIu32 " chains %" PRIu32
			       " states %" PRIu64,
			       pt.seq, point_kind(&pt, kind, sizeof(kind)),
			       pt.inflight_lines, pt.inflight_writes,
			       pt.chains, pt.states);
		if (list && !stats)
			printf("\n");
		while ((ret = torn_states_next_state(s, &cs)) == 1) {
			uint64_t bytes = 0;
			size_t k;

			unique++;
			if (!list || stats)
				continue;
			for (k = 0; k < cs.n_delta; k++)
				bytes += cs.delta[k].len;
			torn_state_id_format(&cs, id, sizeof(id));
			torn_hash_format(&cs.hash, hash);
			printf("  state %s hash %s delta %zu bytes %" PRIu64
			       "%s\n",
			       id, hash, cs.n_delta, bytes,
			       cs.flags & TORN_STATE_F_PERSISTED ?
				       " persisted" : "");
		}
		if (ret < 0)
			break;
		if (!stats)
			printf("%sunique %" PRIu64 "\n", list ? "  " : " ",
			       unique);
	}
	if (ret < 0) {
		fprintf(stderr, "torn: states: %s\n", torn_states_get_error(s));
		goto out;
	}
	torn_states_get_stats(s, &st);
	print_totals(&o, &st, set, stats);
	if (st.unresolved)
		fprintf(stderr,
			"torn: states: %" PRIu64 " flushes could not be resolved; their lines stay in flight, so some states may be impossible\n",
			st.unresolved);
	rc = TORN_EXIT_OK;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "torn: states: cannot write output: %s\n",
			strerror(errno));
		rc = TORN_EXIT_INFRA;
	}
out:
	torn_states_free(s);
	torn_state_set_free(set);
	run_dir_close(&run);
	return rc;

usage:
	return TORN_EXIT_USAGE; /* the reason is already printed, one line */
}

/* Create path with size bytes and map it for writing. */
static void *map_output(const char *path, size_t size)
{
	void *p;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int cmd_state_image(int argc, char **argv)
{
	const char *cmd = "state-image", *dir = NULL, *id = NULL, *out = NULL;
	struct torn_err err = { .msg = "" };
	struct torn_states_opts o;
	struct torn_hash128 h;
	bool engines = false, missing;
	struct run_dir run;
	char hash[33];
	size_t size;
	void *img;
	int i, ret, rc;

	torn_states_opts_init(&o);
	for (i = 1; i < argc; i++) {
		const char *v;

		ret = common_option(cmd, argc, argv, &i, &o, false, &engines);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		v = opt_value(argc, argv, &i, "--output", &missing);
		if (!v && !missing && !strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				missing = true;
			else
				v = argv[++i];
		}
		if (missing) {
			fprintf(stderr, "torn: %s: %s needs a FILE\n", cmd,
				argv[i]);
			goto usage;
		}
		if (v) {
			out = v;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			state_image_usage(stdout);
			return TORN_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "torn: %s: unknown option '%s'\n", cmd,
				argv[i]);
			goto usage;
		} else if (!dir) {
			dir = argv[i];
		} else if (!id) {
			id = argv[i];
		} else {
			fprintf(stderr, "torn: %s: unexpected argument '%s'\n",
				cmd, argv[i]);
			goto usage;
		}
	}
	if (!dir || !id || !out) {
		fprintf(stderr, "torn: %s: %s\n", cmd,
			!dir ? "no DIR given (see --help)" :
			!id  ? "no STATE-ID given (see --help)" :
			       "no -o FILE given (see --help)");
		goto usage;
	}
	{
		struct torn_engine e;
		uint64_t point, index;

		if (torn_state_id_parse(id, &point, &e, &index, &err)) {
			fprintf(stderr, "torn: %s: %s\n", cmd, err.msg);
			goto usage;
		}
	}
	ret = run_dir_open(cmd, dir, &run);
	if (ret)
		return ret;
	size = run.size;
	img = map_output(out, size);
	if (!img) {
		fprintf(stderr, "torn: %s: cannot write '%s': %s\n", cmd, out,
			strerror(errno));
		run_dir_close(&run);
		return TORN_EXIT_INFRA;
	}
	ret = torn_state_image(run.trace, run.base, run.size, &o, id, img, &h,
			       &err);
	rc = TORN_EXIT_OK;
	if (ret) {
		fprintf(stderr, "torn: %s: %s\n", cmd, err.msg);
		rc = ret == TORN_E_NOTFOUND || ret == TORN_E_USAGE ?
			     TORN_EXIT_USAGE : TORN_EXIT_INFRA;
	}
	if (munmap(img, run.size) && !rc) {
		fprintf(stderr, "torn: %s: cannot write '%s': %s\n", cmd, out,
			strerror(errno));
		rc = TORN_EXIT_INFRA;
	}
	if (rc)
		unlink(out);
	run_dir_close(&run);
	if (!rc) {
		torn_hash_format(&h, hash);
		printf("state %s hash %s image %s bytes %zu\n", id, hash, out,
		       size);
	}
	return rc;

usage:
	return TORN_EXIT_USAGE; /* the reason is already printed, one line */
}
