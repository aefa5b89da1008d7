/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How a check starts and ends: what --resume skips, the exit code. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check_int.h"
#include "torn_exit.h"

static int add_last(const struct torn_verdict_rec *v, void *ctx)
{
	GHashTable *last = ctx;

	/* file order: a later line of a state replaces the earlier one */
	g_hash_table_insert(last, g_strdup(v->state),
			    GINT_TO_POINTER(v->verdict + 1));
	return 0;
}

GHashTable *check_last_verdicts(const char *dir, struct torn_verdicts_stats *st)
{
	GHashTable *last =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct torn_verdicts_stats ignored;
	struct torn_err err = { "" };

	if (!st)
		st = &ignored;
	memset(st, 0, sizeof(*st));
	/* a missing or unreadable file: nothing checked yet */
	torn_verdicts_foreach(dir, add_last, last, st, &err);
	return last;
}

bool check_resume_skips(int verdict)
{
	return verdict != TORN_V_ERROR;
}

GHashTable *check_resume_set(const char *dir, uint64_t *retry,
			     struct torn_verdicts_stats *st)
{
	GHashTable *last = check_last_verdicts(dir, st);
	GHashTable *done =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter it;
	gpointer id, v;
	uint64_t again = 0;

	g_hash_table_iter_init(&it, last);
	while (g_hash_table_iter_next(&it, &id, &v)) {
		if (check_resume_skips(GPOINTER_TO_INT(v) - 1))
			g_hash_table_add(done, g_strdup(id));
		else
			again++;
	}
	g_hash_table_destroy(last);
	if (retry)
		*retry = again;
	return done;
}

enum check_start check_start_decide(bool resume, bool fresh, uint64_t lines)
{
	if (resume && fresh)
		return CHECK_START_BOTH;
	if (resume)
		return CHECK_START_RESUME;
	if (!lines)
		return CHECK_START_NEW;
	return fresh ? CHECK_START_FRESH : CHECK_START_REFUSE;
}

int check_exit_code(const uint64_t count[TORN_V_COUNT], uint64_t done,
		    uint64_t known, bool strict)
{
	uint64_t flagged = torn_verdicts_flagged(count);
	uint64_t ok = strict ? 0 : MIN(known, flagged);

	if (count[TORN_V_ERROR] && flagged == ok)
		return TORN_EXIT_INFRA;
	return count[TORN_V_CONSISTENT] + ok == done ? TORN_EXIT_OK
						     : TORN_EXIT_FAIL;
}

int check_end_decide(const struct check_end *e, const char *dir, char *line,
		     size_t len)
{
	const char *s = e->kept == 1 ? "" : "s";

	line[0] = '\0';
	/* a lost verdict first: it is why an interrupted check stopped too */
	if (e->log_error) {
		snprintf(line, len,
			 "torn: cannot %s %s/" TORN_RUN_VERDICTS
			 ": %s; %" PRIu64 " verdict%s kept; continue with "
			 "torn check %s --resume",
			 e->log_sync ? "sync" : "append to", dir,
			 torn_strerror(e->log_error), e->kept, s, dir);
		return TORN_EXIT_INFRA;
	}
	if (e->interrupted) {
		snprintf(line, len,
			 "torn: interrupted; %" PRIu64 " verdict%s kept in "
			 "%s/" TORN_RUN_VERDICTS
			 "; continue with torn check %s --resume",
			 e->kept, s, dir, dir);
		return TORN_EXIT_INTERRUPTED;
	}
	return check_exit_code(e->count, e->done, e->known, e->strict);
}
