/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The states a --resume skips, and the exit code the verdicts make. */
#include <string.h>

#include "check_int.h"
#include "torn_exit.h"

static int add_done(const struct torn_verdict_rec *v, void *ctx)
{
	GHashTable *done = ctx;

	g_hash_table_add(done, g_strdup(v->state));
	return 0;
}

GHashTable *check_resume_set(const char *dir, struct torn_verdicts_stats *st)
{
	GHashTable *done =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct torn_verdicts_stats ignored;
	struct torn_err err = { "" };

	if (!st)
		st = &ignored;
	memset(st, 0, sizeof(*st));
	/* a missing or unreadable file: nothing checked yet */
	torn_verdicts_foreach(dir, add_done, done, st, &err);
	return done;
}

int check_exit_code(const uint64_t count[TORN_V_COUNT], uint64_t done)
{
	if (count[TORN_V_ERROR] && !count[TORN_V_INCONSISTENT] &&
	    !count[TORN_V_UNRECOVERABLE])
		return TORN_EXIT_INFRA;
	return count[TORN_V_CONSISTENT] == done ? TORN_EXIT_OK : TORN_EXIT_FAIL;
}
