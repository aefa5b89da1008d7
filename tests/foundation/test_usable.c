/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The usability oracle's guest half, run on the host: a tree it must pass, one
 * it must flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent.h"

static char root[64];

static void path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", root, rel);
}

static int setup(void **state)
{
	char p[256];

	snprintf(root, sizeof(root), "/tmp/torn-usable-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	path(p, sizeof(p), "a");
	mkdir(p, 0755);
	path(p, sizeof(p), "a/b");
	mkdir(p, 0755);
	path(p, sizeof(p), "c");
	mkdir(p, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) ? -1 : 0;
}

static void test_usable_tree_passes(void **state)
{
	char why[512], p[256];

	assert_int_equal(agent_usable(root, why, sizeof(why)), 0);
	/* the probes are gone again */
	path(p, sizeof(p), "a/b/.torn-usability-probe");
	assert_int_not_equal(access(p, F_OK), 0);
}

static void test_unusable_dir_is_flagged(void **state)
{
	char why[512], p[256];

	/* a directory where the probe file must go: create fails there */
	path(p, sizeof(p), "a/b/.torn-usability-probe");
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(agent_usable(root, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "a/b"));
	rmdir(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usable_tree_passes),
		cmocka_unit_test(test_unusable_dir_is_flagged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
