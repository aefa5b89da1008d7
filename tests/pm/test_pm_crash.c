/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seeded bugs' verdicts, replayed: each raw-flush workload runs on the
 * host recording its own stores, flushes, fences and markers (pm_util.h,
 * TORN_PM_RECORD) as a torn trace; the injectors enumerate its crash
 * states per flush mode and engine; the checker's logic judges each one.
 * The expectations are the table of docs/seeded-bugs.md: a bug must be
 * caught where it says so and nowhere else, its twin never.
 *
 * What this cannot replay: libpmem's own flushing (pmlog-pmem,
 * bug-pmem-noflush) and libpmemobj (pmemobj-kv), whose stores the
 * recorder does not see, and the kernel: the msync of mmap-msync is
 * recorded as what dax_writeback_one does (a flush of every line of the
 * page, then a fence), the page faults and fs metadata not at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmsync.h"
#include "pm_test.h"
#include "pm_util.h"
#include "pmlog_fmt.h"
#include "states.h"
#include "trace.h"

typedef int (*judge_fn)(const uint8_t *img, size_t len, uint64_t acked,
			char *why, size_t whylen);

enum { P = 1, S = 2, T = 4, PST = 7 }; /* prefix, subsets:2, torn caught it */

static const char *const engines[] = { "prefix", "subsets:2", "torn" };

/*
 * Modes: what the guest CPU flushes with, the model, the crash points.
 * Fence points, the default, in every mode: they include each clflush
 * that takes writes out of flight (model.h).
 */
static const struct mode {
	const char *name, *flush;
	int eadr;
	const char *points;
} modes[] = {
	{ "clwb", "clwb", 0, "fence" },
	{ "clflushopt", "clflushopt", 0, "fence" },
	{ "clflush", "clflush", 0, "fence" },
	{ "eadr", "clwb", 1, "fence" },
};

#define NMODES (sizeof(modes) / sizeof(modes[0]))

static const struct workload {
	const char *name, *bin;
	int mms; /* mmap-msync format, else pmlog */
	unsigned int caught[NMODES]; /* by mode: engines that must catch */
} workloads[] = {
	{ "pmlog", PMLOG_BIN, 0, { 0, 0, 0, 0 } },
	{ "bug-noflush", BUG_NOFLUSH_BIN, 0, { PST, PST, PST, 0 } },
	{ "bug-nofence", BUG_NOFENCE_BIN, 0, { S, S, 0, 0 } },
	{ "bug-onefence", BUG_ONEFENCE_BIN, 0, { S, S, S, 0 } },
	{ "bug-nocsum", BUG_NOCSUM_BIN, 0, { T, T, T, T } },
	{ "bug-straddle", BUG_STRADDLE_BIN, 0, { PST, PST, PST, 0 } },
	{ "mmap-msync", MMS_BIN, 1, { 0, 0, 0, 0 } },
	{ "bug-nomsync", BUG_NOMSYNC_BIN, 1, { PST, PST, PST, P | S } },
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Run w in mode m on the host, recording; its trace. */
static struct torn_trace *record(const struct workload *w, const struct mode *m,
				 size_t size)
{
	char target[512], rec[512], env_rec[600], env_flush[64], *text, *all;
	const char *argv[] = { w->bin, "--host",
			       pm_path(target, sizeof(target), "target"),
			       NULL };
	const char *env[] = { env_rec, env_flush, NULL };
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	size_t len;

	snprintf(env_rec, sizeof(env_rec), "TORN_PM_RECORD=%s",
		 pm_path(rec, sizeof(rec), "rec.txt"));
	snprintf(env_flush, sizeof(env_flush), "TORN_PM_FLUSH=%s", m->flush);
	assert_int_equal(pm_run(argv, env, NULL, 0), 0);
	text = slurp(rec);
	len = strlen(text) + 200;
	all = malloc(len);
	assert_non_null(all);
	snprintf(all, len,
		 "header pm_base=0x100000000 pm_size=%#zx "
		 "features=clflush,clflushopt,clwb%s\n%s",
		 size, m->eadr ? ",eadr" : "", text);
	if (torn_trace_parse_text(all, &t, &err))
		fail_msg("%s: %s", w->name, err.msg);
	free(text);
	free(all);
	return t;
}

struct tally {
	uint64_t states, bad;
	char first[256];
};

static void enumerate(const struct torn_trace *t, size_t size, int model,
		      const char *points, const char *engine, judge_fn judge,
		      struct tally *out)
{
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t nrec = torn_trace_get_count(t), r = 0, i;
	struct torn_state_set *seen;
	struct torn_states_opts o;
	struct torn_states *s;
	struct torn_crash_point pt;
	struct torn_crash_state st;
	struct torn_err err = { "" };
	uint8_t *persisted = calloc(1, size), *img = malloc(size);
	uint64_t acked = 0;
	char why[512];

	assert_non_null(persisted);
	assert_non_null(img);
	memset(out, 0, sizeof(*out));
	torn_states_opts_init(&o);
	o.model = model;
	assert_int_equal(
		torn_points_parse(points, &o.points, &o.store_every, &err), 0);
	o.n_engines = 1;
	assert_int_equal(torn_engine_parse(engine, &o.engines[0], &err), 0);
	assert_int_equal(torn_state_set_new(&seen), 0);
	o.dedup = seen;
	assert_int_equal(torn_states_new(&s, t, NULL, size, &o, &err), 0);
	while (torn_states_next_point(s, &pt) == 1) {
		for (i = 0; i < pt.n_changed; i++)
			memcpy(persisted + pt.changed[i].line * 64,
			       pt.changed[i].data, 64);
		/* the markers completed before the crash point */
		for (; r < nrec && r < pt.seq; r++)
			if (recs[r].kind == TORN_REC_MARK &&
			    recs[r].mark_id == TORN_MARK_DURABLE)
				acked = recs[r].arg;
		while (torn_states_next_state(s, &st) == 1) {
			memcpy(img, persisted, size);
			torn_state_apply(&st, img);
			out->states++;
			if (judge(img, size, acked, why, sizeof(why)) ==
			    PM_CONSISTENT)
				continue;
			if (!out->bad++) {
				char id[64];

				torn_state_id_format(&st, id, sizeof(id));
				snprintf(out->first, sizeof(out->first),
					 "%s (acked %llu): %.180s", id,
					 (unsigned long long)acked, why);
			}
		}
	}
	assert_string_equal(torn_states_get_error(s), "");
	torn_states_free(s);
	torn_state_set_free(seen);
	free(persisted);
	free(img);
}

static void test_seeded_bugs(void **state)
{
	size_t wi, mi, ei;
	int wrong = 0;

	(void)state;
	for (wi = 0; wi < sizeof(workloads) / sizeof(workloads[0]); wi++) {
		const struct workload *w = &workloads[wi];
		size_t size = w->mms ? MMS_SIZE : PMLOG_SIZE;
		judge_fn judge = w->mms ? mms_verify : pmlog_verify;

		for (mi = 0; mi < NMODES; mi++) {
			struct torn_trace *t = record(w, &modes[mi], size);

			for (ei = 0; ei < 3; ei++) {
				struct tally ty;
				int want = !!(w->caught[mi] & (1u << ei));

				enumerate(t, size,
					  modes[mi].eadr ? TORN_MODEL_EADR
							 : TORN_MODEL_ADR,
					  modes[mi].points, engines[ei], judge,
					  &ty);
				print_message(
					"%-13s %-10s %-9s %4llu states, %3llu inconsistent%s%s\n",
					w->name, modes[mi].name, engines[ei],
					(unsigned long long)ty.states,
					(unsigned long long)ty.bad,
					ty.bad ? ": " : "", ty.first);
				if (want != !!ty.bad) {
					print_message("  ^ expected %s\n",
						      want ? "caught"
							   : "consistent");
					wrong++;
				}
			}
			torn_trace_free(t);
		}
	}
	assert_int_equal(wrong, 0);
}

/*
 * With clflush, fence points alone find what fence and flush points find
 * together: the clflushes that take writes out of flight are crash points
 * of their own (model.h).  Before that rule, bug-onefence and bug-nocsum
 * had no crash state at all under clflush with fence points.
 */
static void test_clflush_fence_points(void **state)
{
	size_t wi, ei;

	(void)state;
	for (wi = 0; wi < sizeof(workloads) / sizeof(workloads[0]); wi++) {
		const struct workload *w = &workloads[wi];
		size_t size = w->mms ? MMS_SIZE : PMLOG_SIZE;
		judge_fn judge = w->mms ? mms_verify : pmlog_verify;
		struct torn_trace *t = record(w, &modes[2], size);

		for (ei = 0; ei < 3; ei++) {
			struct tally fence, both;

			enumerate(t, size, TORN_MODEL_ADR, "fence", engines[ei],
				  judge, &fence);
			enumerate(t, size, TORN_MODEL_ADR, "fence,flush",
				  engines[ei], judge, &both);
			print_message("%-13s clflush %-9s fence: %llu states, "
				      "%llu inconsistent; fence,flush: %llu, "
				      "%llu\n",
				      w->name, engines[ei],
				      (unsigned long long)fence.states,
				      (unsigned long long)fence.bad,
				      (unsigned long long)both.states,
				      (unsigned long long)both.bad);
			assert_int_equal(!!fence.bad, !!both.bad);
			assert_true(fence.states > 0);
		}
		torn_trace_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seeded_bugs),
		cmocka_unit_test(test_clflush_fence_points),
	};

	return cmocka_run_group_tests(tests, pm_setup, pm_teardown);
}
