/* Subcommands of the torn command line; each lives in its own cmd_*.c. */
#ifndef TORN_CLI_H
#define TORN_CLI_H

/*
 * A subcommand gets argv with argv[0] = its own name.  It prints results
 * on stdout, diagnostics on stderr, and returns the process exit code:
 * 0 success, 1 a check failed (inconsistency, mismatch), 2 usage,
 * 3 infrastructure (a guest, a file, a tool failed).
 */
#define TORN_EXIT_OK 0
#define TORN_EXIT_FAIL 1
#define TORN_EXIT_USAGE 2
#define TORN_EXIT_INFRA 3

#include <stdint.h>

/*
 * A whole decimal number in min..max for option opt of command cmd ("torn
 * check"); 0, or -1 after a one-line usage error on stderr (none when cmd
 * is NULL).
 */
int cli_parse_count(const char *cmd, const char *opt, const char *arg,
		    uint64_t min, uint64_t max, uint64_t *out);

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

#endif
