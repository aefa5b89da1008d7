/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running a program with its output captured and a deadline: the agent's
 * way of running what the host asks for, and the host's way of running
 * fsck on a checker's backing file.
 */
#ifndef TORN_CAPTURE_H
#define TORN_CAPTURE_H

#include <stddef.h>

#include "proto.h"

#define TORN_CAPTURE_CAP (4u << 20) /* bytes of stdout or stderr kept */

struct torn_capture {
	int status; /* waitpid status */
	int timed_out; /* killed at the deadline */
	struct torn_buf out, err;
};

/*
 * Run argv with stdout/stderr captured (each capped), killing its whole
 * process group after timeout_ms (<= 0: no limit).  path, when not NULL,
 * is the child's $PATH (set between fork and exec: for a single-threaded
 * caller, the agent).  Returns 0 or -errno.
 */
int torn_capture_run(char *const argv[], const char *path, long timeout_ms,
		     struct torn_capture *res);
void torn_capture_free(struct torn_capture *res);
/* "exit 0", "signal 9", "timeout" */
void torn_capture_status(const struct torn_capture *res, char *buf, size_t len);

#endif
