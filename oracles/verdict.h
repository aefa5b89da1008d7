/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict rule: how oracle results make one crash state's verdict. */
#ifndef TORN_VERDICT_H
#define TORN_VERDICT_H

#include <stdbool.h>

#include "torn_verdict.h"

/*
 * What the recovery attempt itself said, beside the oracles' outcomes:
 * a step the checker ran out of time on, or a checker program that could
 * not be judged (it crashed, or said neither yes nor no).
 */
enum torn_judge_flag {
	TORN_J_TIMEOUT = 1 << 0, /* a step timed out */
	TORN_J_ERROR = 1 << 1, /* a step failed, not the image */
	TORN_J_MOUNTED = 1 << 2, /* the recovery mount succeeded */
	TORN_J_NOMOUNT = 1 << 3, /* no mount belongs (device DAX) */
};

/*
 * The verdict for one crash state from its oracles' results (an array of
 * TORN_O_COUNT) and the TORN_J_* flags.  Pure; the one place the rule
 * lives (docs/oracles.md):
 *  - a timeout makes it timeout, else a checker error makes it error;
 *  - else a failed recovery mount (the mount oracle ran and failed and
 *    nothing got mounted, on a filesystem kind) makes it unrecoverable;
 *  - else any oracle that ran and failed makes it inconsistent;
 *  - else consistent.
 */
int torn_verdict_combine(const struct torn_oracle_result *r,
			 unsigned int flags);

/* A verdict that says the image is bad (inconsistent or unrecoverable). */
static inline bool torn_verdict_is_failure(int v)
{
	return v == TORN_V_INCONSISTENT || v == TORN_V_UNRECOVERABLE;
}

#endif
