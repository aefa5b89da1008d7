/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ACE-style generator: counts, determinism, names, filters, errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fnv1a.h"
#include "fsops.h"

struct collect {
	int n;
	uint64_t hash; /* over every name and text, in order */
	char first[128], last[128];
	int atomic; /* workloads with an atomic op under test */
	int kinds[TORN_FSOPS_NKINDS]; /* ops under test, by kind */
	int stop_after; /* fail the callback after this many */
};

static int collect(void *arg, const char *name, const char *text)
{
	struct collect *c = arg;
	struct torn_err err = { "" };
	struct torn_fsops *w;
	const char *p;
	size_t i;
	int seq;

	if (c->stop_after && c->n == c->stop_after)
		return -EIO;
	/* seqN-NNNN-WHAT.fsops, numbered from 1 without gaps */
	assert_int_equal(sscanf(name, "seq%d-", &seq), 1);
	assert_int_equal(atoi(name + 5), c->n + 1);
	assert_int_equal(name[9], '-');
	assert_non_null(strstr(name, ".fsops"));
	for (p = name; *p; p++)
		assert_true(strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.",
			*p));
	if (torn_fsops_parse(text, strlen(text), name, &w, &err)) {
		print_error("%s does not parse: %s\n%s", name, err.msg, text);
		fail();
	}
	/* the setup: seven ops ending with sync */
	assert_true(w->nops >= 8);
	assert_int_equal(w->ops[6].kind, TORN_FSOPS_SYNC);
	for (i = 7; i < w->nops; i++) {
		if (w->ops[i].atomic)
			c->atomic++;
		c->kinds[w->ops[i].kind]++;
	}
	torn_fsops_free(w);
	c->hash = torn_fnv1a64(c->hash, name, strlen(name) + 1);
	c->hash = torn_fnv1a64(c->hash, text, strlen(text) + 1);
	if (!c->n)
		snprintf(c->first, sizeof(c->first), "%s", name);
	snprintf(c->last, sizeof(c->last), "%s", name);
	c->n++;
	return 0;
}

static void test_seq1(void **state)
{
	struct collect a = { .hash = TORN_FNV1A64_INIT };
	struct collect b = { .hash = TORN_FNV1A64_INIT };
	struct torn_err err = { "" };
	int k;

	assert_int_equal(torn_fsops_generate(1, NULL, collect, &a, &err), 68);
	assert_int_equal(a.n, 68);
	/* deterministic */
	assert_int_equal(torn_fsops_generate(1, NULL, collect, &b, &err), 68);
	assert_int_equal(a.hash, b.hash);
	assert_string_equal(a.first, "seq1-0001-write-fsync.fsops");
	assert_string_equal(a.last, "seq1-0068-mmap-sync-none.fsops");
	/* every op kind is under test, and every persistence op */
	for (k = 0; k < TORN_FSOPS_NKINDS; k++)
		if (!a.kinds[k]) {
			print_error("no %s under test\n",
				    torn_fsops_kind_name(k));
			fail();
		}
	assert_int_equal(a.atomic, 14); /* the four renames */
}

static void test_seq2(void **state)
{
	struct collect a = { .hash = TORN_FNV1A64_INIT };
	struct collect b = { .hash = TORN_FNV1A64_INIT };
	struct torn_err err = { "" };
	int n = torn_fsops_generate(2, NULL, collect, &a, &err);

	print_message("seq-2: %d workloads, %d atomic\n", n, a.atomic);
	assert_int_equal(n, a.n);
	assert_true(n >= 200 && n <= 400);
	assert_int_equal(torn_fsops_generate(2, NULL, collect, &b, &err), n);
	assert_int_equal(a.hash, b.hash);
	assert_true(a.atomic > 0);
	assert_int_equal(n, 302); /* 151 valid pairs of 13 ops, 2 each */
}

static void test_ops_filter(void **state)
{
	struct collect a = { 0 }, b = { 0 }, c = { 0 };
	struct torn_err err = { "" };
	int k;

	assert_int_equal(torn_fsops_generate(1, "rename", collect, &a, &err),
			 14);
	for (k = 0; k < TORN_FSOPS_MSYNC; k++)
		assert_int_equal(a.kinds[k], k == TORN_FSOPS_RENAME ? 14 : 0);
	/* a persistence op in the list keeps only it */
	assert_int_equal(
		torn_fsops_generate(1, "rename,fsync", collect, &b, &err), 10);
	assert_int_equal(b.kinds[TORN_FSOPS_SYNC], 0);
	assert_int_equal(b.kinds[TORN_FSOPS_FSYNC], 10);
	/* pairs drawn from the list only */
	/* link foo A/bar then unlink A/foo, and the other way round */
	assert_int_equal(
		torn_fsops_generate(2, "link,unlink", collect, &c, &err), 4);
	assert_int_equal(c.n, 4);
	for (k = 0; k < TORN_FSOPS_MSYNC; k++)
		if (k != TORN_FSOPS_LINK && k != TORN_FSOPS_UNLINK)
			assert_int_equal(c.kinds[k], 0);
}

static void test_errors(void **state)
{
	struct collect a = { .stop_after = 3 };
	struct torn_err err = { "" };

	assert_int_equal(torn_fsops_generate(3, NULL, collect, &a, &err),
			 TORN_E_USAGE);
	assert_string_equal(err.msg, "--seq must be 1 or 2, not 3");
	assert_int_equal(
		torn_fsops_generate(1, "rename,frob", collect, &a, &err),
		TORN_E_USAGE);
	assert_string_equal(err.msg, "unknown op 'frob' in --ops");
	/* the callback's failure stops the generator and is returned */
	assert_int_equal(torn_fsops_generate(1, NULL, collect, &a, &err), -EIO);
	assert_int_equal(a.n, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq1),
		cmocka_unit_test(test_seq2),
		cmocka_unit_test(test_ops_filter),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
