/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The option table (options.h): crash-state options, counts, oracles. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "torn_parse.h"
#include "torn_verdict.h"

#define ENGINES_EXPECTED \
	"expected prefix, subsets:K, full[:CAP], random:N[:SEED] or torn"

const char *cli_opt_value(int argc, char **argv, int *i, const char *name,
			  bool *missing)
{
	size_t n = strlen(name);

	*missing = false;
	if (strncmp(argv[*i], name, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* Append the comma-separated engines of list to o. */
static int add_engines(struct torn_states_opts *o, const char *list,
		       struct torn_err *err)
{
	char buf[512], *tok, *save = NULL;

	if (strlen(list) >= sizeof(buf) || !*list)
		return torn_err_set(err, TORN_E_USAGE, ENGINES_EXPECTED);
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->n_engines == TORN_ENGINES_MAX)
			return torn_err_set(err, TORN_E_USAGE,
					    "at most %d engines",
					    TORN_ENGINES_MAX);
		if (torn_engine_parse(tok, &o->engines[o->n_engines], err))
			return TORN_E_USAGE;
		o->n_engines++;
	}
	return 0;
}

/* The crash-state options, and which bit of `which` each needs. */
static const struct {
	const char *opt;
	unsigned int which;
} states_opts[] = {
	{ "--model", CLI_STATES_MODEL },
	{ "--granularity", CLI_STATES_MODEL },
	{ "--points", CLI_STATES_ENUM },
	{ "--engine", CLI_STATES_ENUM },
};

int cli_states_set(const char *opt, const char *value,
		   struct torn_states_opts *o, struct cli_states_seen *seen,
		   struct torn_err *err)
{
	if (!strcmp(opt, "--model")) {
		seen->model = true;
		return torn_model_parse(value, &o->model, err);
	}
	if (!strcmp(opt, "--granularity")) {
		seen->granularity = true;
		return torn_granularity_parse(value, &o->granularity, err);
	}
	if (!strcmp(opt, "--points")) {
		if (torn_points_parse(value, &o->points, &o->store_every, err))
			return TORN_E_USAGE;
		seen->points = value;
		return 0;
	}
	if (!strcmp(opt, "--engine")) {
		if (!seen->engines) {
			o->n_engines = 0;
			seen->engines = true;
		}
		return add_engines(o, value, err);
	}
	return TORN_E_NOTFOUND;
}

int cli_states_option(const char *cmd, int argc, char **argv, int *i,
		      struct torn_states_opts *o, unsigned int which,
		      struct cli_states_seen *seen)
{
	struct torn_err err = { .msg = "" };
	const char *v;
	bool missing;
	size_t k;

	for (k = 0; k < sizeof(states_opts) / sizeof(states_opts[0]); k++) {
		if (!(which & states_opts[k].which))
			continue;
		v = cli_opt_value(argc, argv, i, states_opts[k].opt, &missing);
		if (missing) {
			fprintf(stderr, "%s: %s needs a value\n", cmd,
				argv[*i]);
			return -1;
		}
		if (!v)
			continue;
		if (!cli_states_set(states_opts[k].opt, v, o, seen, &err))
			return 1;
		fprintf(stderr, "%s: %s: %s\n", cmd, states_opts[k].opt,
			err.msg);
		return -1;
	}
	return 0;
}

void cli_states_usage(FILE *f, unsigned int which)
{
	if (which & CLI_STATES_MODEL)
		fprintf(f,
			"  --model M        adr or eadr (default: eadr if the\n"
			"                   trace says the NVDIMM has CPU-cache\n"
			"                   persistence, else adr)\n"
			"  --granularity G  line (a line keeps a prefix of its\n"
			"                   stores) or torn (each 8-byte granule\n"
			"                   does); default line\n");
	if (which & CLI_STATES_ENUM)
		fprintf(f,
			"  --points P       crash points, comma-separated: fence (the\n"
			"                   default: before each fence, and each\n"
			"                   clflush that persists writes), flush,\n"
			"                   store:N, marker, all\n"
			"  --engine E       prefix, subsets:K, full[:CAP],\n"
			"                   random:N[:SEED], torn; repeat or\n"
			"                   comma-separate, up to %d (default:\n"
			"                   prefix,subsets:1)\n",
			TORN_ENGINES_MAX);
}

static const struct {
	const char *flag;
	uint64_t min, max;
	const char *usage;
} counts[CLI_COUNT_N] = {
	[CLI_COUNT_JOBS] = { "-j", 1, 64,
			     "  -j N            checker guests (default: number of cores)\n" },
	[CLI_COUNT_TIMEOUT] = { "--timeout", 1, 3600,
				"  --timeout S     seconds for each step in the guest (default 60)\n" },
	[CLI_COUNT_LIMIT] = { "--limit", 1, UINT64_MAX,
			      "  --limit N       check at most N states\n" },
	[CLI_COUNT_FROM_OP] = { "--from-op", 1, UINT64_MAX,
				"  --from-op N     only crash points from op N's begin marker on (e.g.\n"
				"                  skip a workload's set-up; ops are numbered from 1)\n" },
	[CLI_COUNT_COVERAGE_BATCH] = { "--coverage-batch", 1, 100000,
				       "  --coverage-batch N  --coverage, the counters read once every N\n"
				       "                  states of a checker (default 1: per state)\n" },
};

const char *cli_count_flag(enum cli_count c)
{
	return counts[c].flag;
}

int cli_count_parse(enum cli_count c, const char *value, uint64_t *out,
		    struct torn_err *err)
{
	if (!torn_parse_count(NULL, NULL, value, counts[c].min, counts[c].max,
			      out))
		return 0;
	if (counts[c].max == UINT64_MAX)
		return torn_err_set(err, TORN_E_USAGE,
				    "expected a number from %" PRIu64,
				    counts[c].min);
	return torn_err_set(err, TORN_E_USAGE, "expected %" PRIu64 "..%" PRIu64,
			    counts[c].min, counts[c].max);
}

int cli_count_option(const char *cmd, int argc, char **argv, int *i,
		     unsigned int which, struct cli_counts *c)
{
	struct torn_err err = { .msg = "" };
	int k;

	for (k = 0; k < CLI_COUNT_N; k++) {
		if (!(which & CLI_COUNT_BIT(k)) ||
		    strcmp(argv[*i], counts[k].flag))
			continue;
		if (*i + 1 >= argc) {
			fprintf(stderr, "%s: %s needs a value\n", cmd,
				argv[*i]);
			return -1;
		}
		if (cli_count_parse(k, argv[*i + 1], &c->v[k], &err)) {
			fprintf(stderr, "%s: %s '%s': %s\n", cmd, argv[*i],
				argv[*i + 1], err.msg);
			return -1;
		}
		c->given |= CLI_COUNT_BIT(k);
		++*i;
		return 1;
	}
	return 0;
}

void cli_counts_usage(FILE *f, unsigned int which)
{
	int k;

	for (k = 0; k < CLI_COUNT_N; k++)
		if (which & CLI_COUNT_BIT(k))
			fputs(counts[k].usage, f);
}

int cli_oracles_parse(const char *value, unsigned int *set,
		      struct torn_err *err)
{
	char bad[64];

	if (!torn_oracle_set_parse(value, set, bad, sizeof(bad)))
		return 0;
	return torn_err_set(
		err, TORN_E_USAGE,
		"unknown oracle '%s' (mount, fsck, dmesg, durability, atomicity, usability, custom, all)",
		bad);
}

/* ---- known findings ---------------------------------------------------- */

static int known_add(struct cli_known *k, const char *file,
		     struct torn_err *err)
{
	if (k->n == CLI_KNOWN_MAX)
		return torn_err_set(err, TORN_E_USAGE,
				    "at most %d known findings files",
				    CLI_KNOWN_MAX);
	k->files[k->n] = strdup(file);
	if (!k->files[k->n])
		return torn_err_set(err, -ENOMEM, "out of memory");
	k->n++;
	return 0;
}

int cli_known_option(const char *cmd, int argc, char **argv, int *i,
		     struct cli_known *k)
{
	struct torn_err err = { .msg = "" };
	bool missing = false;
	const char *v;

	if (!strcmp(argv[*i], "--strict")) {
		k->strict = true;
		return 1;
	}
	v = cli_opt_value(argc, argv, i, "--known", &missing);
	if (missing) {
		fprintf(stderr, "%s: --known needs a value\n", cmd);
		return -1;
	}
	if (!v)
		return 0;
	if (known_add(k, v, &err)) {
		fprintf(stderr, "%s: --known: %s\n", cmd, err.msg);
		return -1;
	}
	return 1;
}

int cli_known_add_list(struct cli_known *k, const char *list,
		       struct torn_err *err)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return torn_err_set(err, -ENOMEM, "out of memory");
	for (tok = strtok_r(copy, " \t", &save); tok && !ret;
	     tok = strtok_r(NULL, " \t", &save))
		ret = known_add(k, tok, err);
	free(copy);
	return ret;
}

void cli_known_fini(struct cli_known *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->files[i]);
	k->n = 0;
}
