/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A user's own test in the guest: where it is staged, how its words expand. */
#ifndef TORN_WORKLOAD_USER_H
#define TORN_WORKLOAD_USER_H

#include <stdbool.h>

#include "torn_err.h"

/*
 * Where torn stages a user's test (docs/own-tests.md): the program, the
 * checker, the setup step and the script under TORN_USER_BIN by their
 * base names, the files and directories under TORN_USER_FILES, which
 * the environment names as TORN_FILES.
 */
#define TORN_USER_BIN "/opt/torn/bin"
#define TORN_USER_FILES "/opt/torn/files"

/*
 * cmdline as an argument vector: split into words the way a POSIX shell
 * quotes them ('...', "...", \), but never run by a shell, so nothing is
 * expanded but these, in every word: {target} (the mount point, or the
 * device DAX node), {mnt} (the mount point, /mnt) and {fs} (the
 * filesystem kind's name).  *argv is NULL-terminated (g_strfreev it);
 * *named_target (may be NULL) is set when a word held {target}.  0, or
 * TORN_E_FORMAT with why in err (an unclosed quote, an empty line when
 * allow_empty is false, a brace that names nothing torn knows).
 */
int torn_user_words(const char *cmdline, bool allow_empty, const char *target,
		    const char *fs, char ***argv, bool *named_target,
		    struct torn_err *err);

#endif
