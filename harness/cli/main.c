/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn: the command line, a table of subcommands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "run", cmd_run,
	  "trace, enumerate crash states, check them: the whole job" },
	{ "kit", cmd_kit, "build (or reuse) the guest kit and base PM images" },
	{ "kernel", cmd_kernel,
	  "build a guest kernel from linux-source: patches, gcov" },
	{ "coverage", cmd_coverage,
	  "the kernel recovery code a run's crash states exercised" },
	{ "smoke", cmd_smoke,
	  "boot a guest and check the DAX stack on an NVDIMM" },
	{ "trace", cmd_trace,
	  "trace a workload on an NVDIMM into a run directory" },
	{ "verify", cmd_verify,
	  "self-check a traced run: base + trace == final" },
	{ "trace-dump", cmd_trace_dump,
	  "print a trace in text form, or its statistics" },
	{ "states", cmd_states, "enumerate the crash states of a traced run" },
	{ "state-image", cmd_state_image,
	  "write the image of one crash state" },
	{ "replay", cmd_replay,
	  "rebuild one crash state: re-check, explain, minimize, shell" },
	{ "report", cmd_report,
	  "summarize a checked run: terminal, JUnit XML, HTML" },
	{ "workloads", cmd_workloads,
	  "generate ACE-style fsops workloads, check workload files" },
	{ "check", cmd_check,
	  "recover and judge every crash state in checker guests" },
	{ "merge", cmd_merge,
	  "join the shard checks of one traced run into one run" },
	{ "matrix", cmd_matrix,
	  "the cells of a CI job matrix: specs x fs x flush x engine x shard" },
	{ "findings", cmd_findings,
	  "propose known findings entries from a run's flagged states" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: torn COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-12s %s\n", subcommands[i].name,
			subcommands[i].summary);
	fprintf(f, "\n'torn COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	/* a guest that dies under us must be an error, not a killed torn */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return TORN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return TORN_EXIT_OK;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "torn: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return TORN_EXIT_USAGE;
}
