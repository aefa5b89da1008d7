/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn replay: options into struct torn_replay_opts, then the replay stage. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "replay.h"

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: torn replay DIR STATE-ID [--explain] [--minimize] [--shell]\n"
		"         [--image FILE] [--no-check] [--timeout S] [--model M] [--granularity G]\n"
		"Rebuilds one crash state of the run in DIR (its image hash must equal\n"
		"the one torn check recorded) and re-checks it in a guest, printing every\n"
		"oracle's full output.\n\n"
		"  --explain      the crash point, the markers around it, every in-flight\n"
		"                 write and whether it persisted, was dropped or torn, with\n"
		"                 the instruction that made it\n"
		"  --minimize     the smallest set of lost writes that still fails\n"
		"  --shell        a shell in a guest on the recovered image (console here)\n"
		"  --image FILE   write the crash image to FILE\n"
		"  --no-check     do not boot a guest (with --explain or --image)\n"
		"  --timeout S    seconds for each step in the guest (default 60)\n"
		"  --model M, --granularity G   the crash model and tear granularity\n"
		"                 (default: what torn check recorded in DIR/check.json)\n"
		"%s",
		guest_opts_usage);
}

/* The option at argv[*i] that takes a value and is replay's own. */
static int parse_valued(struct torn_replay_opts *o, char **argv, int *i)
{
	const char *a = argv[*i], *val = argv[++*i];

	if (strcmp(a, "--image")) {
		fprintf(stderr, "torn replay: unknown option '%s'\n", a);
		replay_usage(stderr);
		return -1;
	}
	o->image = val;
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	struct torn_replay_opts o;
	/* zero: the model and granularity check.json recorded */
	struct torn_states_opts so = { 0 };
	struct cli_states_seen seen = { 0 };
	struct cli_counts counts = { 0 };
	int i;

	torn_replay_opts_init(&o);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int k = guest_opts_parse(&o.guest, argc, argv, &i);

		if (!k)
			k = cli_states_option("torn replay", argc, argv, &i,
					      &so, CLI_STATES_MODEL, &seen);
		if (!k)
			k = cli_count_option("torn replay", argc, argv, &i,
					     CLI_COUNT_BIT(CLI_COUNT_TIMEOUT),
					     &counts);

		if (k < 0)
			return TORN_EXIT_USAGE;
		if (k)
			continue;
		if (!strcmp(a, "--help")) {
			replay_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(a, "--explain")) {
			o.explain = true;
		} else if (!strcmp(a, "--minimize")) {
			o.minimize = true;
		} else if (!strcmp(a, "--shell")) {
			o.shell = true;
		} else if (!strcmp(a, "--no-check")) {
			o.no_check = true;
		} else if (a[0] != '-') {
			if (!o.dir) {
				o.dir = a;
			} else if (!o.state_id) {
				o.state_id = a;
			} else {
				fprintf(stderr,
					"torn replay: unexpected argument '%s'\n",
					a);
				return TORN_EXIT_USAGE;
			}
		} else if (i + 1 >= argc) {
			fprintf(stderr,
				"torn replay: unknown option or missing value '%s'\n",
				a);
			return TORN_EXIT_USAGE;
		} else if (parse_valued(&o, argv, &i)) {
			return TORN_EXIT_USAGE;
		}
	}
	if (!o.dir || !o.state_id) {
		replay_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	if (so.model)
		o.model = so.model;
	if (so.granularity)
		o.granularity = so.granularity;
	if (counts.given & CLI_COUNT_BIT(CLI_COUNT_TIMEOUT))
		o.timeout_ms = (int)counts.v[CLI_COUNT_TIMEOUT] * 1000;
	return torn_replay_run(&o);
}
