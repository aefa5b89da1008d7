/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The option table (harness/cli/options.c): values, repeats, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"
#include "torn_verdict.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * One command line of crash-state options, parsed as a command does: each
 * argument in turn until one is not consumed or fails.
 */
struct states_case {
	const char *argv[12];
	unsigned int which;
	int ret; /* the last cli_states_option result */
	int stop; /* the argument it stopped at (argc when all) */
	int model, granularity;
	unsigned int points;
	uint64_t store_every;
	unsigned int n_engines;
	const char *engines; /* canonical names, comma-separated */
	const char *points_text;
};

/* clang-format off */
static const struct states_case states_cases[] = {
	/* defaults untouched */
	{ { NULL }, CLI_STATES_ALL, 1, 0, TORN_MODEL_AUTO, TORN_GRAN_LINE,
	  TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--model", "adr" }, CLI_STATES_ALL, 1, 2, TORN_MODEL_ADR,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--model=eadr", "--granularity", "torn" }, CLI_STATES_MODEL, 1, 3,
	  TORN_MODEL_EADR, TORN_GRAN_TORN, TORN_POINTS_FENCE, 1, 2,
	  "prefix,subsets:1", NULL },
	/* the last of a repeated option wins */
	{ { "--model", "adr", "--model", "eadr" }, CLI_STATES_ALL, 1, 4,
	  TORN_MODEL_EADR, TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2,
	  "prefix,subsets:1", NULL },
	{ { "--points", "fence,store:10" }, CLI_STATES_ALL, 1, 2,
	  TORN_MODEL_AUTO, TORN_GRAN_LINE, TORN_POINTS_FENCE | TORN_POINTS_STORE,
	  10, 2, "prefix,subsets:1", "fence,store:10" },
	{ { "--points=all", "--points", "marker" }, CLI_STATES_ALL, 1, 3,
	  TORN_MODEL_AUTO, TORN_GRAN_LINE, TORN_POINTS_MARKER, 1, 2,
	  "prefix,subsets:1", "marker" },
	/* the first --engine replaces the defaults, later ones add */
	{ { "--engine", "torn" }, CLI_STATES_ALL, 1, 2, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 1, "torn", NULL },
	{ { "--engine", "prefix,subsets:2", "--engine=full:9" }, CLI_STATES_ALL,
	  1, 3, TORN_MODEL_AUTO, TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 3,
	  "prefix,subsets:2,full:9", NULL },
	{ { "--engine", "prefix,,random:3" }, CLI_STATES_ALL, 1, 2,
	  TORN_MODEL_AUTO, TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2,
	  "prefix,random:3:0", NULL },
	/* exactly TORN_ENGINES_MAX, then one more */
	{ { "--engine", "prefix,prefix,prefix,prefix", "--engine",
	    "prefix,prefix,prefix,prefix" },
	  CLI_STATES_ALL, 1, 4, TORN_MODEL_AUTO, TORN_GRAN_LINE,
	  TORN_POINTS_FENCE, 1, 8,
	  "prefix,prefix,prefix,prefix,prefix,prefix,prefix,prefix", NULL },
	{ { "--engine", "prefix,prefix,prefix,prefix", "--engine",
	    "prefix,prefix,prefix,prefix", "--engine=torn" },
	  CLI_STATES_ALL, -1, 4, TORN_MODEL_AUTO, TORN_GRAN_LINE,
	  TORN_POINTS_FENCE, 1, 8, NULL, NULL },
	{ { "--engine", "prefix,prefix,prefix,prefix,prefix,prefix,prefix,prefix,prefix" },
	  CLI_STATES_ALL, -1, 1, TORN_MODEL_AUTO, TORN_GRAN_LINE,
	  TORN_POINTS_FENCE, 1, 8, NULL, NULL },
	/* bad and missing values */
	{ { "--model", "x" }, CLI_STATES_ALL, -1, 1, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--model" }, CLI_STATES_ALL, -1, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--granularity=" }, CLI_STATES_ALL, -1, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--points", "store:0" }, CLI_STATES_ALL, -1, 1, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--engine", "" }, CLI_STATES_ALL, -1, 1, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 0, "", NULL },
	{ { "--engine", "bogus" }, CLI_STATES_ALL, -1, 1, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 0, "", NULL },
	{ { "--engine" }, CLI_STATES_ALL, -1, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	/* not ours: the command goes on with its own options */
	{ { "--points", "fence" }, CLI_STATES_MODEL, 0, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--model", "adr" }, CLI_STATES_ENUM, 0, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--modelx", "adr" }, CLI_STATES_ALL, 0, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
	{ { "--fs", "xfs-dax" }, CLI_STATES_ALL, 0, 0, TORN_MODEL_AUTO,
	  TORN_GRAN_LINE, TORN_POINTS_FENCE, 1, 2, "prefix,subsets:1", NULL },
};
/* clang-format on */

static void engines_text(const struct torn_states_opts *o, char *buf,
			 size_t size)
{
	unsigned int i;
	size_t n = 0;

	buf[0] = '\0';
	for (i = 0; i < o->n_engines && n < size; i++) {
		if (i)
			buf[n++] = ',';
		torn_engine_format(&o->engines[i], buf + n, size - n);
		n = strlen(buf);
	}
}

static void test_states_options(void **state)
{
	size_t k;

	for (k = 0; k < N(states_cases); k++) {
		const struct states_case *c = &states_cases[k];
		struct cli_states_seen seen = { 0 };
		struct torn_states_opts o;
		char *argv[12], eng[512];
		int argc = 0, i, ret = 1;

		while (c->argv[argc]) {
			argv[argc] = (char *)c->argv[argc];
			argc++;
		}
		print_message("case %zu: %s %s ...\n", k, argc ? argv[0] : "",
			      argc > 1 ? argv[1] : "");
		torn_states_opts_init(&o);
		for (i = 0; i < argc; i++) {
			ret = cli_states_option("torn: test", argc, argv, &i,
						&o, c->which, &seen);
			if (ret != 1)
				break;
		}
		assert_int_equal(ret, c->ret);
		assert_int_equal(i, c->stop);
		if (ret < 0)
			continue;
		assert_int_equal(o.model, c->model);
		assert_int_equal(o.granularity, c->granularity);
		assert_int_equal(o.points, c->points);
		assert_int_equal(o.store_every, c->store_every);
		assert_int_equal(o.n_engines, c->n_engines);
		engines_text(&o, eng, sizeof(eng));
		assert_string_equal(eng, c->engines);
		if (c->points_text)
			assert_string_equal(seen.points, c->points_text);
		else
			assert_null(seen.points);
	}
}

/* The reasons, word for word: torn run and the commands print them. */
struct set_case {
	const char *opt, *value;
	int ret;
	const char *why;
};

/* clang-format off */
static const struct set_case set_cases[] = {
	{ "--model", "adr", 0, NULL },
	{ "--model", "x", TORN_E_USAGE,
	  "unknown model 'x': expected adr or eadr" },
	{ "--granularity", "x", TORN_E_USAGE,
	  "unknown granularity 'x': expected line or torn" },
	{ "--points", "x", TORN_E_USAGE,
	  "unknown crash points 'x': expected fence, flush, store:N, marker or all" },
	{ "--engine", "", TORN_E_USAGE,
	  "expected prefix, subsets:K, full[:CAP], random:N[:SEED] or torn" },
	{ "--engine", "prefix,prefix,prefix,prefix,prefix,prefix,prefix,prefix,torn",
	  TORN_E_USAGE, "at most 8 engines" },
	{ "--engine", "bogus", TORN_E_USAGE,
	  "unknown engine 'bogus': expected prefix, subsets:K, full[:CAP], random:N[:SEED] or torn" },
	{ "--fs", "ext4-dax", TORN_E_NOTFOUND, NULL },
	{ "model", "adr", TORN_E_NOTFOUND, NULL },
};
/* clang-format on */

static void test_states_set(void **state)
{
	size_t k;

	for (k = 0; k < N(set_cases); k++) {
		const struct set_case *c = &set_cases[k];
		struct cli_states_seen seen = { 0 };
		struct torn_err err = { .msg = "" };
		struct torn_states_opts o;

		print_message("%s '%s'\n", c->opt, c->value);
		torn_states_opts_init(&o);
		assert_int_equal(
			cli_states_set(c->opt, c->value, &o, &seen, &err),
			c->ret);
		if (c->why)
			assert_string_equal(err.msg, c->why);
	}
}

struct count_case {
	enum cli_count count;
	const char *value;
	int ret;
	uint64_t v;
	const char *why;
};

/* clang-format off */
static const struct count_case count_cases[] = {
	{ CLI_COUNT_JOBS, "1", 0, 1, NULL },
	{ CLI_COUNT_JOBS, "64", 0, 64, NULL },
	{ CLI_COUNT_JOBS, "0", TORN_E_USAGE, 0, "expected 1..64" },
	{ CLI_COUNT_JOBS, "65", TORN_E_USAGE, 0, "expected 1..64" },
	{ CLI_COUNT_JOBS, "2x", TORN_E_USAGE, 0, "expected 1..64" },
	{ CLI_COUNT_JOBS, "-1", TORN_E_USAGE, 0, "expected 1..64" },
	{ CLI_COUNT_JOBS, "", TORN_E_USAGE, 0, "expected 1..64" },
	{ CLI_COUNT_TIMEOUT, "3600", 0, 3600, NULL },
	{ CLI_COUNT_TIMEOUT, "3601", TORN_E_USAGE, 0, "expected 1..3600" },
	{ CLI_COUNT_LIMIT, "18446744073709551615", 0, UINT64_MAX, NULL },
	{ CLI_COUNT_LIMIT, "18446744073709551616", TORN_E_USAGE, 0,
	  "expected a number from 1" },
	{ CLI_COUNT_LIMIT, "0", TORN_E_USAGE, 0, "expected a number from 1" },
	{ CLI_COUNT_FROM_OP, "3", 0, 3, NULL },
	{ CLI_COUNT_FROM_OP, "three", TORN_E_USAGE, 0,
	  "expected a number from 1" },
};
/* clang-format on */

static void test_counts(void **state)
{
	size_t k;

	for (k = 0; k < N(count_cases); k++) {
		const struct count_case *c = &count_cases[k];
		struct torn_err err = { .msg = "" };
		uint64_t v = 0;

		print_message("%s '%s'\n", cli_count_flag(c->count), c->value);
		assert_int_equal(cli_count_parse(c->count, c->value, &v, &err),
				 c->ret);
		if (c->why)
			assert_string_equal(err.msg, c->why);
		else
			assert_int_equal(v, c->v);
	}
}

struct count_option_case {
	const char *argv[4];
	unsigned int which;
	int ret, i;
	unsigned int given;
	uint64_t jobs, limit;
};

/* clang-format off */
static const struct count_option_case count_option_cases[] = {
	{ { "-j", "4" }, CLI_COUNT_BIT(CLI_COUNT_JOBS), 1, 1,
	  CLI_COUNT_BIT(CLI_COUNT_JOBS), 4, 0 },
	{ { "--limit", "7" }, ~0u, 1, 1, CLI_COUNT_BIT(CLI_COUNT_LIMIT), 0, 7 },
	{ { "-j" }, ~0u, -1, 0, 0, 0, 0 },
	{ { "-j", "0" }, ~0u, -1, 0, 0, 0, 0 },
	{ { "--limit", "x" }, ~0u, -1, 0, 0, 0, 0 },
	/* not ours */
	{ { "--jobs", "4" }, ~0u, 0, 0, 0, 0, 0 },
	{ { "-j", "4" }, CLI_COUNT_BIT(CLI_COUNT_LIMIT), 0, 0, 0, 0, 0 },
	{ { "--timeout=4" }, ~0u, 0, 0, 0, 0, 0 },
};
/* clang-format on */

static void test_count_options(void **state)
{
	size_t k;

	for (k = 0; k < N(count_option_cases); k++) {
		const struct count_option_case *c = &count_option_cases[k];
		struct cli_counts counts = { { 0 }, 0 };
		char *argv[4];
		int argc = 0, i = 0;

		while (c->argv[argc]) {
			argv[argc] = (char *)c->argv[argc];
			argc++;
		}
		print_message("case %zu: %s\n", k, argv[0]);
		assert_int_equal(cli_count_option("torn test", argc, argv, &i,
						  c->which, &counts),
				 c->ret);
		assert_int_equal(i, c->i);
		assert_int_equal(counts.given, c->given);
		assert_int_equal(counts.v[CLI_COUNT_JOBS], c->jobs);
		assert_int_equal(counts.v[CLI_COUNT_LIMIT], c->limit);
	}
}

struct oracles_case {
	const char *value;
	int ret;
	unsigned int set;
	const char *why;
};

/* clang-format off */
static const struct oracles_case oracles_cases[] = {
	{ "mount", 0, TORN_O_BIT(TORN_O_MOUNT), NULL },
	{ "mount,fsck,custom", 0,
	  TORN_O_BIT(TORN_O_MOUNT) | TORN_O_BIT(TORN_O_FSCK) |
		  TORN_O_BIT(TORN_O_CUSTOM),
	  NULL },
	{ "all", 0, TORN_O_ALL, NULL },
	{ "mount,nope", TORN_E_USAGE, 0,
	  "unknown oracle 'nope' (mount, fsck, dmesg, durability, atomicity, usability, custom, all)" },
	{ "", TORN_E_USAGE, 0,
	  "unknown oracle '' (mount, fsck, dmesg, durability, atomicity, usability, custom, all)" },
};
/* clang-format on */

static void test_oracles(void **state)
{
	size_t k;

	for (k = 0; k < N(oracles_cases); k++) {
		const struct oracles_case *c = &oracles_cases[k];
		struct torn_err err = { .msg = "" };
		unsigned int set = 0;

		print_message("--oracles '%s'\n", c->value);
		assert_int_equal(cli_oracles_parse(c->value, &set, &err),
				 c->ret);
		if (c->why)
			assert_string_equal(err.msg, c->why);
		else
			assert_int_equal(set, c->set);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_options),
		cmocka_unit_test(test_states_set),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_count_options),
		cmocka_unit_test(test_oracles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
