/* torn replay: options into struct torn_replay_opts, then the replay stage. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model.h"
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

/* The option at argv[*i] that takes a value; 0, or -1 after a message. */
static int parse_valued(struct torn_replay_opts *o, char **argv, int *i)
{
	const char *a = argv[*i], *val = argv[++*i];
	struct torn_err err = { "" };
	uint64_t s;

	if (!strcmp(a, "--image")) {
		o->image = val;
	} else if (!strcmp(a, "--timeout")) {
		if (torn_parse_count("torn replay", a, val, 1, 3600, &s))
			return -1;
		o->timeout_ms = (int)s * 1000;
	} else if (!strcmp(a, "--model")) {
		if (torn_model_parse(val, &o->model, &err))
			goto usage_err;
	} else if (!strcmp(a, "--granularity")) {
		if (torn_granularity_parse(val, &o->granularity, &err))
			goto usage_err;
	} else {
		fprintf(stderr, "torn replay: unknown option '%s'\n", a);
		replay_usage(stderr);
		return -1;
	}
	return 0;
usage_err:
	fprintf(stderr, "torn replay: %s\n", err.msg);
	return -1;
}

int cmd_replay(int argc, char **argv)
{
	struct torn_replay_opts o;
	int i;

	torn_replay_opts_init(&o);
	for (i = 1; i < argc; i++) {
		int k = guest_opts_parse(&o.guest, argc, argv, &i);
		const char *a = argv[i];

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
	return torn_replay_run(&o);
}
