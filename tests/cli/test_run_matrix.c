/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run over lists of fs and flush modes (harness/cli/run_matrix.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "run_plan.h"
#include "torn_exit.h"

/* What the fake run saw, and what it answers, cell by cell. */
static char seen[8][200];
static int nseen;
static int answers[8];

static int fake_run(struct run_settings *s)
{
	snprintf(seen[nseen], sizeof(seen[nseen]), "%s %s %s",
		 run_settings_get(s, RUN_FS), run_settings_get(s, RUN_FLUSH),
		 run_settings_get(s, RUN_OUT) ? run_settings_get(s, RUN_OUT)
					      : "-");
	return answers[nseen++];
}

static void spec(struct run_settings *s, const char *text)
{
	struct torn_err err = { "" };

	assert_int_equal(run_spec_parse("m.torn", text, strlen(text), s, &err),
			 0);
	run_settings_default(s, RUN_WORKLOAD, "fsops-default");
	run_settings_default(s, RUN_ENGINE, "prefix");
	run_settings_default(s, RUN_POINTS, "fence");
}

/* Every pair in order, each into OUT/FS-FLUSH; the worst exit wins. */
static void test_cells(void **state)
{
	struct run_settings s = { 0 };

	spec(&s, "[run]\nfs = ext4-dax  xfs-dax\nflush = clwb eadr\n"
		 "out = /tmp/m\n");
	assert_int_equal(run_matrix_cells(&s), 4);
	nseen = 0;
	memset(answers, 0, sizeof(answers));
	answers[1] = TORN_EXIT_FAIL;
	answers[2] = TORN_EXIT_EMPTY;
	assert_int_equal(run_matrix(&s, fake_run), TORN_EXIT_FAIL);
	assert_int_equal(nseen, 4);
	assert_string_equal(seen[0], "ext4-dax clwb /tmp/m/ext4-dax-clwb");
	assert_string_equal(seen[1], "ext4-dax eadr /tmp/m/ext4-dax-eadr");
	assert_string_equal(seen[2], "xfs-dax clwb /tmp/m/xfs-dax-clwb");
	assert_string_equal(seen[3], "xfs-dax eadr /tmp/m/xfs-dax-eadr");
	/* infrastructure is worse than a failure, usage stops the rest */
	nseen = 0;
	answers[1] = TORN_EXIT_INFRA;
	assert_int_equal(run_matrix(&s, fake_run), TORN_EXIT_INFRA);
	nseen = 0;
	answers[1] = TORN_EXIT_USAGE;
	assert_int_equal(run_matrix(&s, fake_run), TORN_EXIT_USAGE);
	assert_int_equal(nseen, 2);
	run_settings_free(&s);
}

/* One of each is no matrix; without out each run names its own. */
static void test_single(void **state)
{
	struct run_settings s = { 0 };

	spec(&s, "[run]\nfs = devdax\n");
	assert_int_equal(run_matrix_cells(&s), 1);
	run_settings_free(&s);
	spec(&s, "[run]\nflush = clwb clflush nt\n");
	assert_int_equal(run_matrix_cells(&s), 3);
	run_settings_default(&s, RUN_FS, "ext4-dax");
	nseen = 0;
	memset(answers, 0, sizeof(answers));
	assert_int_equal(run_matrix(&s, fake_run), TORN_EXIT_OK);
	assert_string_equal(seen[2], "ext4-dax nt -");
	run_settings_free(&s);
}

/* A bad or doubled word fails before the first run. */
static void test_bad(void **state)
{
	static const char *const specs[] = {
		"[run]\nfs = ext4-dax ext4-dax\n",
		"[run]\nfs = ext4-dax nope\nflush = clwb eadr\n",
		"[run]\nfs = ext4-dax xfs-dax\nflush = clwb bogus\n",
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct run_settings s = { 0 };

		spec(&s, specs[i]);
		run_settings_default(&s, RUN_FLUSH, "clwb");
		nseen = 0;
		assert_int_equal(run_matrix(&s, fake_run), TORN_EXIT_USAGE);
		assert_int_equal(nseen, 0);
		run_settings_free(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
