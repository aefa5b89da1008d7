/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report's terminal summary. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "known.h"
#include "report_int.h"
#include "trace.h"

/* Rows of the crash point table and failing states shown on a terminal. */
#define TEXT_POINTS_MAX 24
#define TEXT_FAILURES_MAX 10
#define TEXT_DETAIL_MAX 300

static void put_s(FILE *f, const char *s, size_t max)
{
	report_put_term(f, s, strlen(s), max);
}

/* s (printable ASCII: the loader checks names) left-aligned in width. */
static void put_padded(FILE *f, const char *s, int width)
{
	int n = (int)strlen(s);

	put_s(f, s, 0);
	fprintf(f, "%*s", n < width ? width - n : 1, "");
}

static void put_secs(FILE *f, uint64_t ms)
{
	if (ms < 1000)
		fprintf(f, "%" PRIu64 " ms", ms);
	else if (ms < 100000)
		fprintf(f, "%.1f s", ms / 1000.0);
	else
		fprintf(f, "%.0f s", ms / 1000.0);
}

/* The marker before a crash point, in a few words. */
static void put_mark(FILE *f, const struct torn_report *r, long idx, size_t max)
{
	const struct torn_report_mark *m;

	if (idx < 0) {
		fputs("-", f);
		return;
	}
	m = &r->marks[idx];
	switch (m->id) {
	case TORN_MARK_OP_BEGIN:
		fprintf(f, "began op %" PRIu64, m->arg);
		if (m->text[0]) {
			fputs(" \"", f);
			put_s(f, m->text, max);
			fputs("\"", f);
		}
		return;
	case TORN_MARK_OP_END:
		fprintf(f, "ended op %" PRIu64, m->arg);
		return;
	case TORN_MARK_DURABLE:
		fprintf(f, "op %" PRIu64 " durable", m->arg);
		return;
	case TORN_MARK_START:
		fputs("START", f);
		return;
	case TORN_MARK_STOP:
		fputs("STOP", f);
		return;
	}
	fprintf(f, "mark %" PRIu32 " %" PRIu64, m->id, m->arg);
}

static void put_point_row(FILE *f, const struct torn_report *r,
			  const struct torn_report_point *p)
{
	char kind[48];

	report_point_kind(p, kind, sizeof(kind));
	fprintf(f, "  %8" PRIu64 "  %-14s", p->seq, kind);
	if (p->enumerated)
		fprintf(f, " %8" PRIu32 " %9" PRIu64 " %6" PRIu64,
			p->inflight_lines, p->generated, p->unique);
	else
		fprintf(f, " %8s %9s %6s", "-", "-", "-");
	fprintf(f, " %7" PRIu64 " %7" PRIu64 "  ", p->checked, p->failing);
	put_mark(f, r, p->last_mark, 24);
	fputc('\n', f);
}

static void put_points(FILE *f, const struct torn_report *r)
{
	size_t i, shown = 0, with_verdicts = 0, failing = 0;
	size_t rest = 0, rest_failing = 0;
	uint64_t rest_checked = 0;
	bool all;

	for (i = 0; i < r->n_points; i++) {
		with_verdicts += r->points[i].checked > 0;
		failing += r->points[i].failing > 0;
	}
	fprintf(f, "\ncrash points: %zu with verdicts, %zu with failing states",
		with_verdicts, failing);
	if (r->enum_status == TORN_REPORT_ENUM_DONE)
		fprintf(f, ", %" PRIu64 " enumerated", r->enum_points);
	fputc('\n', f);
	if (!r->n_points)
		return;
	fprintf(f, "  %8s  %-14s %8s %9s %6s %7s %7s  %s\n", "record", "kind",
		"inflight", "generated", "unique", "checked", "failing",
		"last marker before");
	/* all points when they fit, else the failing ones first */
	all = r->n_points <= TEXT_POINTS_MAX;
	for (i = 0; i < r->n_points; i++) {
		const struct torn_report_point *p = &r->points[i];

		if ((all || p->failing) && shown < TEXT_POINTS_MAX) {
			put_point_row(f, r, p);
			shown++;
		} else {
			rest++;
			rest_failing += p->failing > 0;
			rest_checked += p->checked;
		}
	}
	if (rest)
		fprintf(f,
			"  ... %zu more point(s), %zu with failing states, "
			"%" PRIu64
			" states checked there (--html shows every point)\n",
			rest, rest_failing, rest_checked);
}

static void put_ratio(FILE *f, uint64_t of, uint64_t n)
{
	if (n)
		fprintf(f, "  (%.1fx)", (double)of / (double)n);
}

static void put_dedup(FILE *f, const struct torn_report *r)
{
	size_t i;

	fprintf(f, "\ndedup\n  engines                 ");
	for (i = 0; i < r->n_engines; i++) {
		fprintf(f, "%s", i ? ", " : " ");
		put_s(f, r->engines[i].name, 0);
	}
	fputc('\n', f);
	if (r->enum_status == TORN_REPORT_ENUM_DONE) {
		fprintf(f, "  enumerated with          %s\n", r->enum_options);
		fprintf(f, "  crash states generated   %" PRIu64 "%s\n",
			r->enum_generated,
			r->enum_partial ? " (partial: the time budget ran out)"
					: "");
		fprintf(f, "  unique states            %" PRIu64,
			r->enum_unique);
		put_ratio(f, r->enum_generated, r->enum_unique);
		if (r->enum_matched < r->enum_unique && !r->enum_partial)
			fprintf(f,
				", %" PRIu64
				" not checked (--from-op, --limit, or the check stopped)",
				r->enum_unique - r->enum_matched);
		fputc('\n', f);
		for (i = 0; i < r->n_engines && r->n_engines > 1; i++) {
			fputs("    ", f);
			put_padded(f, r->engines[i].name, 21);
			fprintf(f,
				"%" PRIu64 " generated, %" PRIu64
				" unique in this order\n",
				r->engines[i].generated, r->engines[i].unique);
		}
		fprintf(f,
			"  verdicts matched         %" PRIu64 " of %" PRIu64
			" (state id and image hash as enumerated)\n",
			r->enum_matched, r->states);
	} else {
		fprintf(f, "  crash states generated   unknown (%s)\n",
			r->enum_status == TORN_REPORT_ENUM_OFF
				? "--no-enumerate"
				: "not enumerated again, see above");
	}
	fprintf(f,
		"  unique images checked    %" PRIu64 " of %" PRIu64
		" states\n",
		r->unique_images, r->states);
	if (!r->unique_semantic && r->states) {
		fputs("  unique semantic states   none recorded (no filesystem "
		      "dumps: devdax?)\n",
		      f);
		return;
	}
	fprintf(f, "  unique semantic states   %" PRIu64, r->unique_semantic);
	put_ratio(f, r->states, r->unique_semantic);
	fputc('\n', f);
}

static void put_times(FILE *f, const struct torn_report *r)
{
	fprintf(f, "\ntime\n  trace    ");
	if (r->boot_ms >= 0 || r->workload_ms >= 0) {
		if (r->boot_ms >= 0) {
			fputs("boot ", f);
			put_secs(f, (uint64_t)r->boot_ms);
		}
		if (r->workload_ms >= 0) {
			fputs(r->boot_ms >= 0 ? ", workload " : "workload ", f);
			put_secs(f, (uint64_t)r->workload_ms);
		}
		fputs(" (meta.json)\n", f);
	} else {
		fputs("unknown (no meta.json times)\n", f);
	}
	if (r->enum_status == TORN_REPORT_ENUM_DONE) {
		fputs("  states   ", f);
		put_secs(f, r->enum_ms);
		fputs(" (enumerated again now by torn report)\n", f);
	}
	fputs("  check    ", f);
	put_secs(f, r->restore_ms + r->check_ms);
	fputs(" in checker guests: restore ", f);
	put_secs(f, r->restore_ms);
	fputs(", check ", f);
	put_secs(f, r->check_ms);
	fprintf(f, ", summed over %" PRIu64 " guest(s)\n", r->checkers);
	if (r->check_wall_ms >= 0) {
		fputs("           ", f);
		put_secs(f, (uint64_t)r->check_wall_ms);
		fputs(r->check_wall_from_verdicts
			      ? " wall clock, check start to last verdict\n"
			      : " wall clock, verdicts.jsonl created to last "
				"written\n",
		      f);
	}
	if (r->retried)
		fprintf(f,
			"           %" PRIu64
			" state(s) checked twice (a checker was restarted)\n",
			r->retried);
}

/* "op 3 begun "rename a b", op 2 ended, op 1 durable" */
static void put_progress(FILE *f, const struct torn_report *r,
			 const struct torn_report_failure *s)
{
	const char *text;

	if (s->last_op_begin < 0 && s->last_op_end < 0 && s->last_durable < 0) {
		fputs("unknown", f);
		return;
	}
	if (s->last_op_begin > 0) {
		fprintf(f, "op %" PRId64 " begun", s->last_op_begin);
		text = torn_report_op_text(r, (uint64_t)s->last_op_begin);
		if (text && *text) {
			fputs(" \"", f);
			put_s(f, text, 60);
			fputc('"', f);
		}
	} else {
		fputs("no op begun", f);
	}
	if (s->last_op_end > 0)
		fprintf(f, ", op %" PRId64 " ended", s->last_op_end);
	else
		fputs(", none ended", f);
	if (s->last_durable > 0)
		fprintf(f, ", op %" PRId64 " durable", s->last_durable);
	else
		fputs(", nothing durable yet", f);
}

/* "12 flagged: 12 known (F1 ×10, F2 ×2), 0 new", and what each is. */
static void put_known(FILE *f, const struct torn_report *r)
{
	uint64_t flagged = torn_verdicts_flagged(r->by_verdict);
	char text[512], line[600];
	size_t i;

	if (!flagged)
		return;
	torn_report_known_text(r, text, sizeof(text));
	torn_known_flagged_line(flagged, r->known, text, line, sizeof(line));
	fputs("  ", f);
	put_s(f, line, 0);
	fputc('\n', f);
	for (i = 0; i < r->n_known; i++) {
		if (!r->known_ids[i].title[0])
			continue;
		fputs("    ", f);
		put_s(f, r->known_ids[i].id, 0);
		fputs(": ", f);
		put_s(f, r->known_ids[i].title, 0);
		if (r->known_ids[i].doc[0]) {
			fputs(" (", f);
			put_s(f, r->known_ids[i].doc, 0);
			fputc(')', f);
		}
		fputc('\n', f);
	}
}

/* The failure signatures against the base run (--base), 20 at most. */
static void put_base(FILE *f, const struct torn_report *r)
{
	const struct torn_report_diff *d = r->diff;
	char sum[200];
	size_t i;

	if (!d)
		return;
	torn_report_diff_summary(d, sum, sizeof(sum));
	fprintf(f, "\nbase run: ");
	put_s(f, d->base_dir, 0);
	fprintf(f, " (%" PRIu64 " of %" PRIu64 " states failing)\n  %s\n",
		d->base_failing, d->base_states, sum);
	for (i = 0; i < d->n && i < 20; i++) {
		const struct torn_report_sig_diff *s = &d->sigs[i];

		fprintf(f, "  %-13s %6" PRIu64 " %6" PRIu64 "  ",
			torn_report_diff_class(s), s->now, s->base);
		put_s(f, s->sig, 160);
		if (s->known[0]) {
			fputs("  known finding ", f);
			put_s(f, s->known, 0);
		}
		fputc('\n', f);
	}
	if (d->n > 20)
		fprintf(f, "  ... %zu more (--html lists 50)\n", d->n - 20);
}

static void put_failures(FILE *f, const struct torn_report *r)
{
	size_t i, k;

	if (!r->n_failures) {
		fprintf(f, "\nfailing states: none%s\n",
			r->states ? "" : " (no verdicts)");
		return;
	}
	fprintf(f, "\nfailing states: %zu", r->n_failures);
	if (r->n_failures > TEXT_FAILURES_MAX)
		fprintf(f, " (the first %d; --html or --junit list all)",
			TEXT_FAILURES_MAX);
	fputc('\n', f);
	for (i = 0; i < r->n_failures && i < TEXT_FAILURES_MAX; i++) {
		const struct torn_report_failure *s = &r->failures[i];
		const struct torn_report_point *p =
			torn_report_find_point(r, s->point);
		char kind[48] = "?", *replay;

		if (p)
			report_point_kind(p, kind, sizeof(kind));
		fprintf(f, "  %s  %s  before record %" PRIu64 " (%s)", s->id,
			torn_verdict_name(s->verdict), s->point, kind);
		if (s->known[0]) {
			fputs("  known finding ", f);
			put_s(f, s->known, 0);
		}
		fputc('\n', f);
		fputs("    markers: ", f);
		put_progress(f, r, s);
		fputc('\n', f);
		for (k = 0; k < s->n_results; k++) {
			const struct torn_report_result *res = &s->results[k];

			if (res->ok)
				continue;
			fputs("    ", f);
			put_s(f, res->name, 0);
			fputs(": ", f);
			if (res->detail)
				report_put_term_lines(
					f, res->detail, res->detail_len,
					TEXT_DETAIL_MAX, "      ");
			else
				fputs("failed", f);
			fputc('\n', f);
		}
		if (s->error) {
			fputs("    checker: ", f);
			report_put_term(f, s->error, s->error_len,
					TEXT_DETAIL_MAX);
			fputc('\n', f);
		}
		replay = report_replay_command(r->dir, s->id);
		fputs("    replay: ", f);
		put_s(f, replay, 0);
		fputc('\n', f);
		g_free(replay);
	}
}

/* Why the verdicts are not the run's result: last, where the eye lands. */
static void put_problems(FILE *f, const struct torn_report *r)
{
	char lines[TORN_REPORT_PROBLEMS_MAX][TORN_REPORT_PROBLEM_LEN];
	size_t i, n = torn_report_problems(r, lines, G_N_ELEMENTS(lines));

	if (n)
		fputc('\n', f);
	for (i = 0; i < n && i < G_N_ELEMENTS(lines); i++) {
		fputs("ERROR: ", f);
		put_s(f, lines[i], 0);
		fputc('\n', f);
	}
}

int torn_report_write_text(const struct torn_report *r, FILE *f)
{
	static const int kinds[] = { TORN_REC_STORE, TORN_REC_NT_STORE,
				     TORN_REC_FLUSH, TORN_REC_UNRESOLVED,
				     TORN_REC_FENCE, TORN_REC_MARK };
	size_t i;
	int v;

	fputs("run      ", f);
	put_s(f, r->dir, 0);
	fputs("\n         ", f);
	put_s(f, r->fs[0] ? r->fs : "?", 0);
	fputs(", flush ", f);
	put_s(f, r->flush_mode[0] ? r->flush_mode : "?", 0);
	fputs(", workload ", f);
	put_s(f, r->workload[0] ? r->workload : "?", 0);
	if (r->kernel[0]) {
		fputs(", kernel ", f);
		put_s(f, r->kernel, 0);
	}
	fputc('\n', f);
	if (r->load_error[0]) {
		put_problems(f, r);
		goto out;
	}
	if (r->has_trace) {
		fprintf(f, "trace    %" PRIu64 " records:", r->records);
		for (i = 0; i < G_N_ELEMENTS(kinds); i++)
			if (r->by_kind[kinds[i]] ||
			    kinds[i] != TORN_REC_UNRESOLVED)
				fprintf(f, "%s %" PRIu64 " %s", i ? "," : "",
					r->by_kind[kinds[i]],
					torn_record_kind_name(kinds[i]));
		fprintf(f, "; %" PRIu64 " lines touched\n", r->lines_touched);
	}

	fprintf(f, "\nstates checked: %" PRIu64 "\n", r->states);
	for (v = 0; v < TORN_V_COUNT; v++)
		fprintf(f, "  %-15s %8" PRIu64 "\n", torn_verdict_name(v),
			r->by_verdict[v]);
	if (r->bad_lines || r->duplicates)
		fprintf(f,
			"  (%" PRIu64 " line(s) of verdicts.jsonl skipped: "
			"corrupt or cut short; %" PRIu64 " duplicate(s))\n",
			r->bad_lines, r->duplicates);
	put_known(f, r);

	fprintf(f, "\n  %-15s %8s %8s\n", "oracle", "ran", "failed");
	for (i = 0; i < r->n_oracles; i++) {
		fputs("  ", f);
		put_padded(f, r->oracles[i].name, 15);
		fprintf(f, " %8" PRIu64 " %8" PRIu64 "\n", r->oracles[i].ran,
			r->oracles[i].failed);
	}
	put_points(f, r);
	put_dedup(f, r);
	put_times(f, r);
	put_failures(f, r);
	put_base(f, r);
	put_problems(f, r);
	{
		char line[600];

		torn_report_verdict_line(r, line, sizeof(line));
		fputs("\nverdict: ", f);
		put_s(f, line, 0);
		fputc('\n', f);
	}
out:
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
