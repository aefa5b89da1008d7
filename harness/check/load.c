/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What checking needs besides the trace: meta.json, expected.txt, markers. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_int.h"
#include "kernel.h"

/* a kind over an origin disk (dm-writecache) needs the run's copy of it */
static int check_origin_present(const struct check_run *run,
				struct torn_err *err)
{
	const struct torn_fs *fs = torn_fs_get(run->fs_kind);
	char path[4200];
	struct stat st;

	if (!fs->origin_mb)
		return 0;
	if (torn_run_path(run->dir, TORN_RUN_ORIGIN, path, sizeof(path), err))
		return TORN_E_FORMAT;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return torn_err_set(
			err, TORN_E_FORMAT,
			"%s: missing; a %s run needs the origin disk its trace ran over",
			path, fs->name);
	if ((uint64_t)st.st_size != (uint64_t)fs->origin_mb << 20)
		return torn_err_set(
			err, TORN_E_FORMAT,
			"%s: %jd bytes, the kind's origin is %u MiB", path,
			(intmax_t)st.st_size, (unsigned)fs->origin_mb);
	return 0;
}

int check_run_from_meta(struct check_run *run, const struct torn_run_meta *m,
			const char *checker, struct torn_err *err)
{
	int kind, flush;

	/* built in, or the run's own kind (RUN/fs.spec) */
	if (guest_fs_load_run(run->dir, m->fs, &kind, err))
		return TORN_E_FORMAT;
	run->fs_kind = kind;
	run->guest.fs_kind = kind;
	snprintf(run->trace_kit, sizeof(run->trace_kit), "%s", m->kit);
	flush = torn_flush_mode_parse(m->flush_mode);
	if (m->flush_mode[0] && flush >= 0)
		run->guest.flush_mode = flush;
	snprintf(run->checker_prog, sizeof(run->checker_prog), "%s",
		 checker ? checker : m->checker);
	if (check_origin_present(run, err))
		return TORN_E_FORMAT;
	/* a user's test: its programs, checker and files (kit.h) */
	run->guest.stage =
		torn_run_stage(run->dir, run->stage, sizeof(run->stage));
	/*
	 * A run traced on a kernel torn built is checked on it too, unless
	 * --kernel says otherwise (a patched recovery against a stock trace)
	 */
	if (!run->guest.kernel && torn_kernel_is_built_spec(m->kernel_build)) {
		snprintf(run->kernel, sizeof(run->kernel), "%s",
			 m->kernel_build);
		run->guest.kernel = run->kernel;
	}
	return 0;
}

int check_kit_matches(const struct check_run *run, bool any_kit,
		      struct torn_err *err)
{
	/* --kernel chose the checker's kernel: not the one meta.json named */
	bool kernel_given =
		run->guest.kernel && run->guest.kernel != run->kernel;

	if (!run->trace_kit[0] || kernel_given || any_kit ||
	    !strcmp(run->trace_kit, run->kit.hash))
		return 0;
	return torn_err_set(
		err, TORN_E_USAGE,
		"%s was traced with kit %.12s, this torn's kit is %.12s (torn "
		"or the machine's kernel changed since): trace it again, or "
		"--any-kit to check it anyway",
		run->dir, run->trace_kit, run->kit.hash);
}

int check_run_load_expected(struct check_run *run, struct torn_err *err)
{
	char *path = g_strdup_printf("%s/expected.txt", run->dir);
	struct torn_err why = { "" };
	gchar *text = NULL;
	gsize len;
	int ret = 0;

	if (g_file_get_contents(path, &text, &len, NULL) &&
	    oracle_expected_parse(text, len, &run->expected, &why))
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: %s", path, why.msg);
	g_free(text);
	g_free(path);
	return ret;
}

int check_run_collect_markers(struct check_run *run, const struct torn_trace *t)
{
	const struct torn_record *r = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t), i, k = 0;

	for (i = 0; i < n; i++)
		k += r[i].kind == TORN_REC_MARK;
	run->markers = calloc(k ? k : 1, sizeof(*run->markers));
	run->nmarkers = 0;
	if (!run->markers)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (r[i].kind == TORN_REC_MARK) {
			struct oracle_marker *m =
				&run->markers[run->nmarkers++];

			m->record = i;
			m->id = r[i].mark_id;
			m->arg = r[i].arg;
		}
	return 0;
}

int check_find_op_begin(const struct check_run *run, uint64_t op,
			uint64_t *record, struct torn_err *err)
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
		return torn_err_set(err, TORN_E_USAGE,
				    "--from-op %" PRIu64
				    ": the trace has ops 1..%" PRIu64,
				    op, last);
	return torn_err_set(
		err, TORN_E_USAGE,
		"--from-op %" PRIu64 ": the trace has no op markers", op);
}

void check_run_fini(struct check_run *run)
{
	oracle_expected_free(run->expected);
	run->expected = NULL;
	free(run->markers);
	run->markers = NULL;
	run->nmarkers = 0;
	check_coverage_fini(run);
	check_warm_fini(run);
}
