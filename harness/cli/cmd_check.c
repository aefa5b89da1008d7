/* torn check: options into struct torn_check_opts, then the check stage. */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "cli.h"
#include "torn_verdict.h"

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: torn check DIR [-j N] [--resume] [--oracles LIST] [--timeout S]\n"
		"         [--model M] [--granularity G] [--points P] [--engine E ...]\n"
		"Recovers every unique crash state of the traced run in DIR in a pool\n"
		"of long-lived checker guests and appends a verdict per state to\n"
		"DIR/verdicts.jsonl.\n\n"
		"  -j N            checker guests (default: number of cores)\n"
		"  --resume        check only the states not in verdicts.jsonl yet\n"
		"  --oracles LIST  mount,fsck,dmesg,durability,atomicity,usability,custom\n"
		"                  (default all)\n"
		"  --timeout S     seconds for each step in the guest (default 60)\n"
		"  --checker CMD   the custom oracle's program (default: the workload's)\n"
		"  --order O       trace (default), reverse, shuffle:SEED\n"
		"  --limit N       check at most N states\n"
		"  --from-op N     only crash points from op N's begin marker on (e.g.\n"
		"                  skip a workload's set-up; ops are numbered from 1)\n"
		"  --boot-per-state  boot a fresh guest for every state (slow: a baseline)\n"
		"  --model, --granularity, --points, --engine   as for torn states\n"
		"%s"
		"Exit status: 0 all consistent, 1 a state was not, 2 usage, 3 infrastructure.\n",
		guest_opts_usage);
}

/* --engine A,B: the first --engine replaces the default engines. */
static int parse_engines(struct torn_states_opts *so, const char *arg,
			 bool *user_engines, struct torn_err *err)
{
	char **v = g_strsplit(arg, ",", -1), **p;
	int ret = 0;

	if (!*user_engines)
		so->n_engines = 0;
	*user_engines = true;
	for (p = v; *p && !ret; p++) {
		if (so->n_engines >= TORN_ENGINES_MAX)
			ret = torn_err_set(err, TORN_E_USAGE,
					   "--engine: at most %d engines",
					   TORN_ENGINES_MAX);
		else
			ret = torn_engine_parse(
				*p, &so->engines[so->n_engines++], err);
	}
	g_strfreev(v);
	return ret;
}

/* The option at argv[*i] that takes a value; 0, or -1 after a message. */
static int parse_valued(struct torn_check_opts *o, char **argv, int *i,
			bool *user_engines, struct torn_err *err)
{
	struct torn_states_opts *so = &o->states;
	const char *a = argv[*i], *val = argv[++*i];
	enum torn_check_order order;
	uint64_t n;

	if (!strcmp(a, "-j")) {
		if (torn_parse_count("torn check", a, val, 1, 64, &n))
			return -1;
		o->jobs = (int)n;
	} else if (!strcmp(a, "--limit")) {
		return torn_parse_count("torn check", a, val, 1, UINT64_MAX,
					&o->limit);
	} else if (!strcmp(a, "--from-op")) {
		return torn_parse_count("torn check", a, val, 1, UINT64_MAX,
					&o->from_op);
	} else if (!strcmp(a, "--checker")) {
		o->checker = val;
	} else if (!strcmp(a, "--order")) {
		if (torn_check_order_parse(val, &order, &n, err))
			goto usage_err;
		o->order = order == TORN_CHECK_ORDER_TRACE ? NULL : val;
	} else if (!strcmp(a, "--oracles")) {
		char bad[1024];

		if (torn_oracle_set_parse(val, &o->oracles, bad, sizeof(bad))) {
			fprintf(stderr,
				"torn check: --oracles: unknown oracle '%s' (mount, fsck, dmesg, durability, atomicity, usability, custom, all)\n",
				bad);
			return -1;
		}
	} else if (!strcmp(a, "--timeout")) {
		if (torn_parse_count("torn check", a, val, 1, 3600, &n))
			return -1;
		o->timeout_ms = (int)n * 1000;
	} else if (!strcmp(a, "--model")) {
		if (torn_model_parse(val, &so->model, err))
			goto usage_err;
	} else if (!strcmp(a, "--granularity")) {
		if (torn_granularity_parse(val, &so->granularity, err))
			goto usage_err;
	} else if (!strcmp(a, "--points")) {
		o->points_text = val;
		if (torn_points_parse(val, &so->points, &so->store_every, err))
			goto usage_err;
	} else if (!strcmp(a, "--engine")) {
		if (parse_engines(so, val, user_engines, err))
			goto usage_err;
	} else {
		fprintf(stderr, "torn check: unknown option '%s'\n", a);
		check_usage(stderr);
		return -1;
	}
	return 0;
usage_err:
	fprintf(stderr, "torn check: %s\n", err->msg);
	return -1;
}

int cmd_check(int argc, char **argv)
{
	struct torn_check_opts o;
	struct torn_err err = { "" };
	bool user_engines = false;
	int i;

	torn_check_opts_init(&o);
	for (i = 1; i < argc; i++) {
		int r = guest_opts_parse(&o.guest, argc, argv, &i);
		const char *a = argv[i];

		if (r < 0)
			return TORN_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(a, "--help")) {
			check_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(a, "--boot-per-state")) {
			o.boot_per_state = true;
		} else if (!strcmp(a, "--resume")) {
			o.resume = true;
		} else if (a[0] != '-' && !o.dir) {
			o.dir = a;
		} else if (i + 1 >= argc) {
			fprintf(stderr,
				"torn check: unknown option or missing value '%s'\n",
				a);
			return TORN_EXIT_USAGE;
		} else if (parse_valued(&o, argv, &i, &user_engines, &err)) {
			return TORN_EXIT_USAGE;
		}
	}
	if (!o.dir) {
		check_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	return torn_check_run(&o);
}
