/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The option table: the options several commands share, one parser each. */
#ifndef TORN_CLI_OPTIONS_H
#define TORN_CLI_OPTIONS_H

/*
 * Every command that takes one of these options parses it here, so that
 * a value means the same and fails with the same words everywhere.  The
 * guest options (--fs, --flush, --kernel, ...) have their table in
 * harness/guest (guest_opts_parse).
 *
 * Messages start with cmd, the caller's prefix ("torn: states",
 * "torn check"): "CMD: --model: unknown model 'x': expected adr or eadr",
 * "CMD: -j '0': expected 1..64", "CMD: --points needs a value".
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "states.h"
#include "torn_err.h"

/*
 * The value of option name at argv[*i], given as "NAME VALUE" (*i moves
 * past it) or "NAME=VALUE"; NULL when argv[*i] is another option, or
 * with *missing set when NAME is last.
 */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name,
			  bool *missing);

/* ---- the crash-state options ---------------------------------------- */

/* Which of them a command takes (cli_states_option's which). */
#define CLI_STATES_MODEL 0x1 /* --model, --granularity */
#define CLI_STATES_ENUM 0x2 /* --points, --engine */
#define CLI_STATES_ALL (CLI_STATES_MODEL | CLI_STATES_ENUM)

/* What they remember between options; zero it before the first. */
struct cli_states_seen {
	bool engines; /* an --engine came: the next ones add to it */
	const char *points; /* the last --points as given (check.json) */
	bool model, granularity; /* given */
};

/*
 * The crash-state option at argv[*i] (of those in which), as "--opt V"
 * or "--opt=V", into o (torn_states_opts_init first):
 *  --model adr|eadr, --granularity line|torn, --points LIST,
 *  --engine LIST (repeatable; comma lists; the first replaces the
 *  default engines; at most TORN_ENGINES_MAX in all).
 * Returns 1 when consumed (*i past its value), 0 when not one of ours,
 * -1 on a missing or bad value (one line on stderr).
 */
int cli_states_option(const char *cmd, int argc, char **argv, int *i,
		      struct torn_states_opts *o, unsigned int which,
		      struct cli_states_seen *seen);

/*
 * The same parsers for a value from elsewhere (torn run's spec): opt as
 * on the command line ("--engine"), value outliving seen.  0;
 * TORN_E_NOTFOUND when opt is none of them; TORN_E_USAGE with why in err
 * ("unknown model 'x': expected adr or eadr", "at most 8 engines").
 */
int cli_states_set(const char *opt, const char *value,
		   struct torn_states_opts *o, struct cli_states_seen *seen,
		   struct torn_err *err);

/* Their usage lines (the given bits), as torn states prints them. */
void cli_states_usage(FILE *f, unsigned int which);

/* ---- numbers ---------------------------------------------------------- */

enum cli_count {
	CLI_COUNT_JOBS, /* -j N: checker guests, 1..64 */
	CLI_COUNT_TIMEOUT, /* --timeout S: seconds a guest step, 1..3600 */
	CLI_COUNT_LIMIT, /* --limit N: at most N states, from 1 */
	CLI_COUNT_FROM_OP, /* --from-op N: from op N's begin on, from 1 */
	CLI_COUNT_COVERAGE_BATCH, /* --coverage-batch N: states a read */
	CLI_COUNT_N,
};
#define CLI_COUNT_BIT(c) (1u << (c))

/* The numbers, and which were given. */
struct cli_counts {
	uint64_t v[CLI_COUNT_N];
	unsigned int given; /* CLI_COUNT_BIT()s */
};

/* The option's name on the command line ("-j", "--timeout"). */
const char *cli_count_flag(enum cli_count c);

/*
 * The count option at argv[*i] (of the CLI_COUNT_BIT()s in which), as
 * "OPT N", into c.  1 consumed, 0 not ours, -1 on a missing or bad
 * value (one line on stderr: "CMD: -j '0': expected 1..64").
 */
int cli_count_option(const char *cmd, int argc, char **argv, int *i,
		     unsigned int which, struct cli_counts *c);

/*
 * A whole decimal number in the count's range into *out (strict, as
 * torn_parse_count): 0, or TORN_E_USAGE with why in err ("expected
 * 1..64", "expected a number from 1").
 */
int cli_count_parse(enum cli_count c, const char *value, uint64_t *out,
		    struct torn_err *err);

/* Their usage lines (the given CLI_COUNT_BIT()s), as torn check words them. */
void cli_counts_usage(FILE *f, unsigned int which);

/* ---- known findings ---------------------------------------------------- */

#define CLI_KNOWN_MAX 16

/* --known FILE (repeatable; "none": not even the stock findings), --strict. */
struct cli_known {
	char *files[CLI_KNOWN_MAX]; /* owned (cli_known_fini) */
	size_t n;
	bool strict;
};

/*
 * --known FILE or --strict at argv[*i] into k.  1 consumed, 0 not ours,
 * -1 on a missing value or too many files (one line on stderr).
 */
int cli_known_option(const char *cmd, int argc, char **argv, int *i,
		     struct cli_known *k);
/*
 * Each blank-separated file of list into k (a spec's "known = A B"):
 * 0, or TORN_E_USAGE with "at most 16 known findings files".
 */
int cli_known_add_list(struct cli_known *k, const char *list,
		       struct torn_err *err);
void cli_known_fini(struct cli_known *k);

/* ---- oracles ---------------------------------------------------------- */

/*
 * --oracles LIST ("mount,fsck" or "all") into a set of TORN_O_BIT()s:
 * 0, or TORN_E_USAGE with "unknown oracle 'x' (mount, ..., all)".
 */
int cli_oracles_parse(const char *value, unsigned int *set,
		      struct torn_err *err);

#endif
