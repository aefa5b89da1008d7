/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What expect = inconsistent makes of a check's exit code (cli.h). */
#include <stdio.h>

#include "cli.h"

int cli_expect_inconsistent(int ret, const char *source, const char *where)
{
	if (ret == TORN_EXIT_FAIL) {
		printf("expect = inconsistent%s: the bug was caught, the test "
		       "passes (exit 0)\n",
		       source);
		return TORN_EXIT_OK;
	}
	if (ret == TORN_EXIT_OK) {
		printf("expect = inconsistent%s: no new inconsistent state%s: "
		       "the bug was missed, the test fails (exit 1)\n",
		       source, where);
		return TORN_EXIT_FAIL;
	}
	return ret;
}
