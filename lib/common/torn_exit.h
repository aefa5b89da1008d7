/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process exit codes every torn command and stage library uses. */
#ifndef TORN_EXIT_H
#define TORN_EXIT_H

/*
 * 0 success, 1 a check failed (inconsistency, mismatch), 2 usage,
 * 3 infrastructure (a guest, a file, a tool failed), 4 nothing to check
 * (no crash state at the chosen crash points: never a pass unless
 * --allow-empty), 130 interrupted (SIGINT or SIGTERM, after cleaning up:
 * 128 + SIGINT, as a shell says).
 */
#define TORN_EXIT_OK 0
#define TORN_EXIT_FAIL 1
#define TORN_EXIT_USAGE 2
#define TORN_EXIT_INFRA 3
#define TORN_EXIT_EMPTY 4
#define TORN_EXIT_INTERRUPTED 130

#endif
