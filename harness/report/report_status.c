/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whether a report's verdicts are complete, and torn report's exit status. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "known.h"
#include "report.h"
#include "torn_exit.h"

int torn_report_new_unread(const char *dir, const char *why,
			   struct torn_report **out)
{
	struct torn_report *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->dir = g_strdup(dir);
	r->boot_ms = r->workload_ms = r->check_wall_ms = -1;
	snprintf(r->load_error, sizeof(r->load_error), "%s",
		 why && *why ? why : "verdicts.jsonl: cannot be read");
	*out = r;
	return 0;
}

bool torn_report_empty(const struct torn_report *r)
{
	return !r->states && !r->lines && !r->bad_lines &&
	       r->enum_status == TORN_REPORT_ENUM_DONE && !r->enum_unique &&
	       !r->enum_partial;
}

size_t torn_report_problems(const struct torn_report *r,
			    char (*lines)[TORN_REPORT_PROBLEM_LEN], size_t max)
{
	size_t n = 0;

#define PROBLEM(...)                                                \
	do {                                                        \
		if (n < max)                                        \
			snprintf(lines[n], TORN_REPORT_PROBLEM_LEN, \
				 __VA_ARGS__);                      \
		n++;                                                \
	} while (0)

	if (r->load_error[0]) {
		PROBLEM("no verdicts: %s", r->load_error);
		return n;
	}
	if (torn_report_empty(r))
		PROBLEM("nothing checked: no crash state at the chosen crash "
			"points (no write was in flight at any of them)");
	else if (!r->states && !r->lines)
		PROBLEM("no verdicts: verdicts.jsonl is empty (was the run "
			"checked?)");
	else if (!r->states)
		PROBLEM("no verdicts: none of the %" PRIu64 " line(s) of "
			"verdicts.jsonl is a verdict",
			r->lines);
	if (r->bad_lines)
		PROBLEM("%" PRIu64 " line(s) of verdicts.jsonl unreadable "
			"(corrupt, cut short or not a verdict)",
			r->bad_lines);
	if (r->unchecked)
		PROBLEM("%" PRIu64 " crash state(s) enumerated without a "
			"verdict: the check stopped early or ran with --limit "
			"(torn check --resume checks them)",
			r->unchecked);
#undef PROBLEM
	return n;
}

int torn_report_exit_status(const struct torn_report *r)
{
	if (torn_verdicts_flagged(r->by_verdict) > (r->strict ? 0 : r->known))
		return TORN_EXIT_FAIL;
	if (torn_report_empty(r) && torn_report_problems(r, NULL, 0) == 1)
		return TORN_EXIT_EMPTY;
	if (torn_report_problems(r, NULL, 0) || r->failing > r->known)
		return TORN_EXIT_INFRA;
	return TORN_EXIT_OK;
}

void torn_report_verdict_line(const struct torn_report *r, char *buf,
			      size_t len)
{
	uint64_t flagged = torn_verdicts_flagged(r->by_verdict);
	char known[400];
	size_t at;

	torn_report_known_text(r, known, sizeof(known));
	switch (torn_report_exit_status(r)) {
	case TORN_EXIT_FAIL:
		at = (size_t)snprintf(buf, len, "FOUND");
		if (r->by_verdict[TORN_V_INCONSISTENT] && at < len)
			at += (size_t)snprintf(
				buf + at, len - at, " %" PRIu64 " inconsistent",
				r->by_verdict[TORN_V_INCONSISTENT]);
		if (r->by_verdict[TORN_V_UNRECOVERABLE] && at < len)
			at += (size_t)snprintf(
				buf + at, len - at,
				"%s %" PRIu64 " unrecoverable",
				r->by_verdict[TORN_V_INCONSISTENT] ? "," : "",
				r->by_verdict[TORN_V_UNRECOVERABLE]);
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at,
					       " of %" PRIu64 " crash states",
					       r->states);
		if (r->known && at < len)
			snprintf(buf + at, len - at,
				 "%s%" PRIu64 " of them known findings (%s)",
				 r->strict ? ", --strict: " : ", ", r->known,
				 known);
		break;
	case TORN_EXIT_EMPTY:
		snprintf(buf, len,
			 "nothing checked: no crash state at the "
			 "chosen crash points");
		break;
	case TORN_EXIT_INFRA:
		snprintf(buf, len,
			 "not a result: the verdicts are not this "
			 "run's whole result");
		break;
	default:
		if (flagged)
			snprintf(buf, len,
				 "no new inconsistency: %" PRIu64 " of %" PRIu64
				 " crash states flagged, all known findings "
				 "(%s)",
				 flagged, r->states, known);
		else
			snprintf(buf, len,
				 "all %" PRIu64 " crash states "
				 "consistent",
				 r->states);
	}
}

void torn_report_known_text(const struct torn_report *r, char *buf, size_t len)
{
	const char *ids[TORN_REPORT_KNOWN_MAX];
	uint64_t counts[TORN_REPORT_KNOWN_MAX];
	size_t i;

	for (i = 0; i < r->n_known; i++) {
		ids[i] = r->known_ids[i].id;
		counts[i] = r->known_ids[i].states;
	}
	torn_known_counts_text(ids, counts, r->n_known, buf, len);
}
