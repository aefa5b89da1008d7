/* SPDX-License-Identifier: GPL-2.0-or-later */
/* report_fixture DIR ok|bad: write a synthetic run directory (fixture.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

int main(int argc, char **argv)
{
	struct fixture_expect e;

	if (argc != 3 || (strcmp(argv[2], "ok") && strcmp(argv[2], "bad"))) {
		fprintf(stderr, "usage: report_fixture DIR ok|bad\n");
		return 2;
	}
	if (fixture_make(argv[1], !strcmp(argv[2], "bad"), &e))
		return 1;
	/* what the report must show, for the scripts */
	printf("states %" PRIu64 "\n", e.states);
	printf("inconsistent %" PRIu64 "\n", e.by_verdict[TORN_V_INCONSISTENT]);
	printf("unrecoverable %" PRIu64 "\n",
	       e.by_verdict[TORN_V_UNRECOVERABLE]);
	printf("failing_id %s\n", e.failing_id[0] ? e.failing_id : "-");
	printf("unrecoverable_id %s\n",
	       e.unrecoverable_id[0] ? e.unrecoverable_id : "-");
	return 0;
}
