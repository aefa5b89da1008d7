/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The vocabulary of judging: oracle and verdict names, an oracle's result. */
#ifndef TORN_VERDICT_NAMES_H
#define TORN_VERDICT_NAMES_H

/*
 * One list of oracles and one of verdicts for the whole tree: torn check
 * writes these names into verdicts.jsonl, torn report and torn replay
 * read them back, and docs/oracles.md explains each.  They live on the
 * ground floor because the run directory's files carry them; the rule
 * that turns oracle results into a verdict is oracles/verdict.h.  The
 * order is the order of the names in files and in printed tables; never
 * reorder, only append (before the _COUNT).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * Flagged: inconsistent or unrecoverable, a state the oracles found
 * broken (a known finding may explain it; timeouts and errors are not).
 */
static inline bool torn_verdict_flagged(int v)
{
	return v == TORN_V_INCONSISTENT || v == TORN_V_UNRECOVERABLE;
}

/* The flagged states among counts by verdict. */
static inline uint64_t torn_verdicts_flagged(const uint64_t by[TORN_V_COUNT])
{
	return by[TORN_V_INCONSISTENT] + by[TORN_V_UNRECOVERABLE];
}

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
	char detail[1200]; /* room for old files: \u00XX read back as 2 bytes */
};

#endif
