/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn replay without a guest: the state rebuilt with check.json's model. */
#include <setjmp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "check.h"
#include "check_int.h"
#include "model.h"
#include "replay.h"
#include "rundir.h"
#include "states.h"
#include "torn_exit.h"
#include "trace.h"

#define PM_SIZE 0x10000

/*
 * Two stores, never flushed, each followed by a fence.  Under adr both
 * are in flight at the second fence (record 4): prefix has 3 states
 * there.  Under eadr the first fence persisted the first store: prefix
 * has 2, and 4.prefix.0 holds the first store where adr's is the base.
 */
static const char trace_text[] =
	"header pm_base=0x100000000 pm_size=0x10000 features=clflush,clflushopt,clwb\n"
	"mark 3 1 \"op 1\"\n"
	"store 0x1000 8 0101010101010101 pc=0x401000\n"
	"fence sfence\n"
	"store 0x2000 8 0202020202020202 pc=0x401010\n"
	"fence sfence\n"
	"mark 5 1 \"durable\"\n";

struct run {
	char *dir;
	uint8_t base[PM_SIZE];
	uint8_t only_a[PM_SIZE]; /* base + the first store */
	char eadr_hash[40]; /* of 4.prefix.0 under eadr */
};

static char *path_in(const struct run *r, const char *name)
{
	return g_build_filename(r->dir, name, NULL);
}

/* A run directory torn check made with eadr and prefix,full:16. */
static int make_run(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	struct torn_run_meta meta;
	struct torn_run_check check;
	struct torn_check_opts copts;
	struct torn_states_opts so;
	struct torn_hash128 h;
	uint8_t *img = malloc(PM_SIZE);
	char *p;

	assert_non_null(r);
	r->dir = g_dir_make_tmp("torn-test-replay-XXXXXX", NULL);
	assert_non_null(r->dir);
	assert_int_equal(torn_trace_parse_text(trace_text, &t, &err), 0);
	p = path_in(r, "trace.torn");
	assert_int_equal(torn_trace_save(t, p), 0);
	g_free(p);
	memset(r->base + 0x8000, 0x5a, 4096); /* not all zeros */
	memcpy(r->only_a, r->base, PM_SIZE);
	memset(r->only_a + 0x1000, 0x01, 8);
	p = path_in(r, "base.img");
	assert_true(
		g_file_set_contents(p, (const char *)r->base, PM_SIZE, NULL));
	g_free(p);

	torn_run_meta_init(&meta);
	snprintf(meta.fs, sizeof(meta.fs), "ext4-dax");
	snprintf(meta.flush_mode, sizeof(meta.flush_mode), "clwb");
	snprintf(meta.workload, sizeof(meta.workload), "replay-test");
	meta.pm_size = PM_SIZE;
	assert_int_equal(torn_run_meta_write(r->dir, &meta, &err), 0);
	/*
	 * check.json as torn check writes it (check_json_fill, then the run
	 * directory's writer) for torn check --model eadr --engine
	 * prefix,full:16 --oracles mount,fsck
	 */
	torn_check_opts_init(&copts);
	copts.dir = r->dir;
	copts.states.model = TORN_MODEL_EADR;
	copts.states.n_engines = 2;
	assert_int_equal(
		torn_engine_parse("prefix", &copts.states.engines[0], &err), 0);
	assert_int_equal(
		torn_engine_parse("full:16", &copts.states.engines[1], &err),
		0);
	copts.oracles = TORN_O_BIT(TORN_O_MOUNT) | TORN_O_BIT(TORN_O_FSCK);
	check_json_fill(&check, &copts, TORN_MODEL_EADR);
	assert_string_equal(check.engines, "prefix,full:16");
	assert_int_equal(torn_run_check_write(r->dir, &check, &err), 0);

	/* the hash torn check recorded for 4.prefix.0, under eadr */
	torn_states_opts_init(&so);
	so.model = TORN_MODEL_EADR;
	assert_int_equal(torn_state_image(t, r->base, PM_SIZE, &so,
					  "4.prefix.0", img, &h, &err),
			 0);
	assert_memory_equal(img, r->only_a, PM_SIZE);
	snprintf(r->eadr_hash, sizeof(r->eadr_hash),
		 "%016" PRIx64 "%016" PRIx64, h.hi, h.lo);
	free(img);
	torn_trace_free(t);
	*state = r;
	return 0;
}

static int remove_run(void **state)
{
	struct run *r = *state;
	static const char *const names[] = { "trace.torn",     "base.img",
					     "meta.json",      "check.json",
					     "verdicts.jsonl", "state.img",
					     "out.txt" };
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(names); i++) {
		char *p = path_in(r, names[i]);

		g_unlink(p);
		g_free(p);
	}
	g_rmdir(r->dir);
	g_free(r->dir);
	free(r);
	return 0;
}

/* Record a verdict for 4.prefix.0 with hash. */
static void record_verdict(const struct run *r, const char *hash)
{
	struct torn_verdict_log *log = NULL;
	struct torn_verdict_rec v;
	struct torn_err err = { "" };

	torn_verdict_rec_init(&v);
	snprintf(v.state, sizeof(v.state), "4.prefix.0");
	v.point = 4;
	snprintf(v.engine, sizeof(v.engine), "prefix");
	snprintf(v.image_hash, sizeof(v.image_hash), "%s", hash);
	v.verdict = TORN_V_INCONSISTENT;
	v.oracles[TORN_O_DURABILITY].ran = true;
	snprintf(v.oracles[TORN_O_DURABILITY].detail,
		 sizeof(v.oracles[TORN_O_DURABILITY].detail), "./a: lost");
	assert_int_equal(
		torn_verdict_log_open(r->dir, TORN_VLOG_TRUNCATE, &log, &err),
		0);
	assert_int_equal(torn_verdict_log_append(log, &v, &err), 0);
	assert_int_equal(torn_verdict_log_close(log, &err), 0);
}

static const struct load_case {
	const char *name;
	const char *id;
	int model; /* the option; AUTO: none given */
	bool drop_check; /* no check.json in the run */
	int ret; /* of torn_replay_load */
	int model_used;
	bool only_a; /* the image: base + store 1, else the base */
} load_cases[] = {
	{ "check.json's model, not the trace's", "4.prefix.0", TORN_MODEL_AUTO,
	  false, 0, TORN_MODEL_EADR, true },
	{ "a state that exists only under adr", "4.prefix.2", TORN_MODEL_AUTO,
	  false, TORN_E_NOTFOUND, 0, false },
	{ "--model adr overrides check.json", "4.prefix.0", TORN_MODEL_ADR,
	  false, 0, TORN_MODEL_ADR, false },
	{ "--model adr has 4.prefix.2", "4.prefix.2", TORN_MODEL_ADR, false, 0,
	  TORN_MODEL_ADR, false },
	{ "no check.json: the trace's model (adr)", "4.prefix.0",
	  TORN_MODEL_AUTO, true, 0, TORN_MODEL_ADR, false },
};

static void test_load_model(void **state)
{
	struct run *r = *state;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(load_cases); i++) {
		const struct load_case *c = &load_cases[i];
		struct torn_replay_opts o;
		struct torn_replay *rp = NULL;
		struct torn_err err = { "" };
		char *check = path_in(r, "check.json"), *saved = NULL;
		gsize len;
		int ret;

		if (c->drop_check) {
			assert_true(
				g_file_get_contents(check, &saved, &len, NULL));
			g_unlink(check);
		}
		torn_replay_opts_init(&o);
		o.dir = r->dir;
		o.state_id = c->id;
		o.model = c->model;
		ret = torn_replay_load(&rp, &o, &err);
		if (ret != c->ret)
			fail_msg("%s: load returned %d (%s), expected %d",
				 c->name, ret, err.msg, c->ret);
		if (!ret) {
			uint64_t size;
			const uint8_t *img = torn_replay_get_image(rp, &size);

			assert_int_equal(size, PM_SIZE);
			if (torn_replay_get_model(rp) != c->model_used)
				fail_msg("%s: model %s", c->name,
					 torn_model_name(
						 torn_replay_get_model(rp)));
			assert_int_equal(torn_replay_get_granularity(rp),
					 TORN_GRAN_LINE);
			if (strcmp(c->id, "4.prefix.0") == 0 &&
			    memcmp(img, c->only_a ? r->only_a : r->base,
				   PM_SIZE))
				fail_msg("%s: not the image expected", c->name);
			assert_true((torn_replay_get_check(rp) != NULL) ==
				    !c->drop_check);
			if (!c->drop_check)
				assert_string_equal(
					torn_replay_get_check(rp)->engines,
					"prefix,full:16");
		}
		torn_replay_free(rp);
		if (saved) {
			assert_true(
				g_file_set_contents(check, saved, len, NULL));
			g_free(saved);
		}
		g_free(check);
	}
}

/* The recorded hash: check.json's model agrees, --model adr does not. */
static void test_recorded_hash(void **state)
{
	struct run *r = *state;
	struct torn_replay_opts o;
	struct torn_replay *rp = NULL;
	struct torn_err err = { "" };
	const struct torn_verdict_rec *v;

	record_verdict(r, r->eadr_hash);
	torn_replay_opts_init(&o);
	o.dir = r->dir;
	o.state_id = "4.prefix.0";
	assert_int_equal(torn_replay_load(&rp, &o, &err), 0);
	assert_string_equal(torn_replay_get_hash(rp), r->eadr_hash);
	v = torn_replay_get_verdict(rp);
	assert_non_null(v);
	assert_int_equal(v->verdict, TORN_V_INCONSISTENT);
	torn_replay_free(rp);

	o.model = TORN_MODEL_ADR;
	rp = NULL;
	assert_int_equal(torn_replay_load(&rp, &o, &err), TORN_E_MISMATCH);
	assert_non_null(strstr(err.msg, "torn check recorded"));
	assert_null(rp);
}

static char *run_replay(const struct run *r, const char *id, bool explain,
			int *code)
{
	struct torn_replay_opts o;
	char *out_path = path_in(r, "out.txt"),
	     *image = path_in(r, "state.img");
	char *text = NULL;
	FILE *out = fopen(out_path, "w");

	assert_non_null(out);
	torn_replay_opts_init(&o);
	o.dir = r->dir;
	o.state_id = id;
	o.no_check = true;
	o.explain = explain;
	o.image = image;
	o.out = out;
	*code = torn_replay_run(&o);
	fclose(out);
	assert_true(g_file_get_contents(out_path, &text, NULL, NULL));
	g_free(out_path);
	g_free(image);
	return text;
}

/* What `torn replay DIR ID --no-check --explain --image F` prints. */
static const struct run_case {
	const char *id;
	int code;
	const char *says[6];
} run_cases[] = {
	{ "4.prefix.0",
	  TORN_EXIT_OK,
	  { "crash point: before record 4 (fence sfence)",
	    "  op 1    op 1                     begun at 0, running when it crashed",
	    "record 3       store    0x00002000 +8  DROPPED   0202020202020202",
	    "in flight: 1 writes on 1 lines: 0 persisted, 1 dropped, 0 torn",
	    "verdict: inconsistent\n  durability FAILED: ./a: lost", NULL } },
	{ "4.prefix.1",
	  TORN_EXIT_OK,
	  { "record 3       store    0x00002000 +8  persisted 0202020202020202",
	    "in flight: 1 writes on 1 lines: 1 persisted, 0 dropped, 0 torn",
	    "next marker:\n  record 5       durable   1 durable", NULL } },
	{ "2.prefix.0",
	  TORN_EXIT_OK,
	  { "record 1       store    0x00001000 +8  DROPPED   0101010101010101",
	    "  op 1    op 1                     begun at 0, running when it crashed",
	    NULL } },
	{ "4.prefix.2", TORN_EXIT_USAGE, { NULL } },
	{ "4.nosuch.0", TORN_EXIT_USAGE, { NULL } },
};

static void test_run_no_check(void **state)
{
	struct run *r = *state;
	size_t i, k;

	record_verdict(r, r->eadr_hash);
	for (i = 0; i < G_N_ELEMENTS(run_cases); i++) {
		const struct run_case *c = &run_cases[i];
		int code;
		char *text = run_replay(r, c->id, true, &code);

		if (code != c->code)
			fail_msg("%s: exit %d, expected %d", c->id, code,
				 c->code);
		for (k = 0; c->says[k]; k++)
			if (!strstr(text, c->says[k]))
				fail_msg("%s: no '%s' in:\n%s", c->id,
					 c->says[k], text);
		g_free(text);
	}
}

/* The image written is the eadr one, without --model. */
static void test_run_image(void **state)
{
	struct run *r = *state;
	char *image = path_in(r, "state.img"), *text, *data = NULL;
	gsize len;
	int code;

	text = run_replay(r, "4.prefix.0", false, &code);
	assert_int_equal(code, TORN_EXIT_OK);
	assert_non_null(strstr(text, "image of 4.prefix.0 written to"));
	assert_true(g_file_get_contents(image, &data, &len, NULL));
	assert_int_equal(len, PM_SIZE);
	assert_memory_equal(data, r->only_a, PM_SIZE);
	g_free(data);
	g_free(text);
	g_free(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_model, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_recorded_hash, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_run_no_check, make_run,
						remove_run),
		cmocka_unit_test_setup_teardown(test_run_image, make_run,
						remove_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
