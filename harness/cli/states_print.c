/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn states and torn state-image: the run they read, the lines they print. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "states_print.h"
#include "torn_exit.h"

void states_run_close(struct states_run *r)
{
	torn_trace_free(r->trace);
	if (r->base && r->base != MAP_FAILED)
		munmap(r->base, r->size);
	memset(r, 0, sizeof(*r));
}

int states_run_open(const char *cmd, const char *dir, struct states_run *r)
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
			"torn: %s: base image '%s' has %jd bytes, the trace's NVDIMM %" PRIu64
			"\n",
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
	states_run_close(r);
	return TORN_EXIT_INFRA;
}

const char *states_point_kind(const struct torn_crash_point *pt, char *buf,
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

void states_print_options(const struct torn_states_opts *o, int model)
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

void states_print_totals(const struct torn_states_opts *o,
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
		printf("engine %s states %" PRIu64 " unique %" PRIu64 "\n", eng,
		       st->engine_states[i], st->engine_unique[i]);
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
