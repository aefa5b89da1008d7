/* The vocabulary of judging: oracles, verdicts, and how one follows. */
#ifndef TORN_VERDICT_H
#define TORN_VERDICT_H

/*
 * One list of oracles and one of verdicts for the whole tree: torn check
 * writes these names into verdicts.jsonl, torn report and torn replay
 * read them back, and docs/oracles.md explains each.  The order is the
 * order of the names in files and in printed tables; never reorder, only
 * append (before the _COUNT).
 */

#include <stdbool.h>
#include <stddef.h>

enum torn_oracle {
	TORN_O_MOUNT,
	TORN_O_FSCK,
	TORN_O_DMESG,
	TORN_O_DURABILITY,
	TORN_O_ATOMICITY,
	TORN_O_USABILITY,
	TORN_O_CUSTOM,
	TORN_O_COUNT,
};

/* Bit of oracle o in a set of oracles (struct torn_check_opts.oracles). */
#define TORN_O_BIT(o) (1u << (o))
#define TORN_O_ALL ((1u << TORN_O_COUNT) - 1)

enum torn_verdict {
	TORN_V_CONSISTENT,
	TORN_V_INCONSISTENT,
	TORN_V_UNRECOVERABLE,
	TORN_V_TIMEOUT,
	TORN_V_ERROR,
	TORN_V_COUNT,
};

/* "mount", ... ; "?" out of range. */
const char *torn_oracle_name(int oracle);
/* The oracle named s (exact), or -1. */
int torn_oracle_parse(const char *s);
/* "consistent", ... ; "?" out of range. */
const char *torn_verdict_name(int verdict);
/* The verdict named s (exact), or -1. */
int torn_verdict_parse(const char *s);

/*
 * "mount,fsck" or "all" into a set of TORN_O_BIT()s: 0, or -1 with the
 * unknown name in bad (when not NULL; may be cut to badlen).
 */
int torn_oracle_set_parse(const char *s, unsigned int *set, char *bad,
			  size_t badlen);

/* One oracle's outcome on one crash state. */
struct torn_oracle_result {
	bool ran;
	bool ok;
	char detail[600];
};

/*
 * What the recovery attempt itself said, beside the oracles' outcomes:
 * a step the checker ran out of time on, or a checker program that could
 * not be judged (it crashed, or said neither yes nor no).
 */
enum torn_judge_flag {
	TORN_J_TIMEOUT = 1 << 0,	/* a step timed out */
	TORN_J_ERROR = 1 << 1,		/* a step failed, not the image */
	TORN_J_MOUNTED = 1 << 2,	/* the recovery mount succeeded */
	TORN_J_NOMOUNT = 1 << 3,	/* no mount belongs (device DAX) */
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
