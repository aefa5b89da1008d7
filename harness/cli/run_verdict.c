/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's last line, and what expect = inconsistent makes of the result. */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "run_plan.h"
#include "torn_exit.h"

int run_expect(const struct run_plan *p, int ret,
	       const struct torn_check_summary *c)
{
	char where[64];

	if (!p->expect_inconsistent)
		return ret;
	snprintf(where, sizeof(where), " in %" PRIu64 " crash states",
		 c->checked);
	return cli_expect_inconsistent(ret, "", where);
}

/* The summary's last line, in the words of the counts above it. */
void run_print_verdict(int ret, const struct torn_check_summary *c,
		       const char *dir)
{
	static const int order[] = { TORN_V_UNRECOVERABLE, TORN_V_INCONSISTENT,
				     TORN_V_TIMEOUT, TORN_V_ERROR };
	const char *sep = "";
	size_t i;

	if (ret == TORN_EXIT_EMPTY) {
		printf("verdict: NOTHING CHECKED: no crash state at the chosen "
		       "crash points\n");
		return;
	}
	if (ret == TORN_EXIT_OK && c->known) {
		printf("verdict: no new inconsistency: %" PRIu64 " of %" PRIu64
		       " crash states flagged, all known findings (%s; torn "
		       "report %s lists them)\n",
		       c->known, c->checked, c->known_text, dir);
		return;
	}
	if (ret == TORN_EXIT_OK) {
		printf("verdict: all %" PRIu64 " crash states consistent\n",
		       c->checked);
		return;
	}
	if (ret != TORN_EXIT_FAIL && !c->checked) {
		printf("verdict: infrastructure failure, no state judged\n");
		return;
	}
	printf("verdict: %s", ret == TORN_EXIT_FAIL ? "FOUND " : "");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		uint64_t n = c->by_verdict[order[i]];

		if (!n)
			continue;
		printf("%s%" PRIu64 " %s", sep, n, torn_verdict_name(order[i]));
		sep = ", ";
	}
	printf(" of %" PRIu64 " crash states%s", c->checked,
	       ret == TORN_EXIT_FAIL ? "" : ": infrastructure failure");
	if (c->known)
		printf(", %" PRIu64 " of them known findings (%s)", c->known,
		       c->known_text);
	printf(" (torn report %s)\n", dir);
}
