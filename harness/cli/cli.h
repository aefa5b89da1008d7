/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Subcommands of the torn command line; each lives in its own cmd_*.c. */
#ifndef TORN_CLI_H
#define TORN_CLI_H

/*
 * A subcommand gets argv with argv[0] = its own name.  It prints results
 * on stdout, diagnostics on stderr, and returns the process exit code
 * (torn_exit.h).
 */
#include <stdint.h>

#include "torn_exit.h"
#include "torn_parse.h"

int cmd_kit(int argc, char **argv);
int cmd_smoke(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_trace_dump(int argc, char **argv);
int cmd_states(int argc, char **argv);
int cmd_state_image(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_workloads(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_matrix(int argc, char **argv);

/*
 * ret, torn check's exit code, as a spec's expect = inconsistent (a
 * seeded bug) has it, said on stdout (expect.c): FAIL, the bug caught, is
 * OK; OK, the bug missed, is FAIL; anything else stays.  source follows
 * "expect = inconsistent" (" (expect.txt)"), where follows "no new
 * inconsistent state" (" in 12 crash states").
 */
int cli_expect_inconsistent(int ret, const char *source, const char *where);
int cmd_kernel(int argc, char **argv);
int cmd_coverage(int argc, char **argv);

struct cli_known;
struct torn_known;
/*
 * The known findings k names (torn_check_known_load) into *out: 0, or
 * -1 after "CMD: why" on stderr.
 */
int cli_known_load(const char *cmd, const struct cli_known *k,
		   struct torn_known **out);

#endif
