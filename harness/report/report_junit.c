/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report --junit: JUnit XML, one testcase per oracle of the run. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "report_int.h"

/* Failing states listed in one testcase; CI pages choke on more. */
#define JUNIT_STATES_MAX 1000
#define JUNIT_DETAIL_MAX 1000

/* A new failure of oracle: known findings are skipped cases of their own. */
static bool failed_oracle(const struct torn_report_failure *s,
			  const char *oracle)
{
	size_t i;

	if (s->known[0])
		return false;
	for (i = 0; i < s->n_results; i++)
		if (!s->results[i].ok && !strcmp(s->results[i].name, oracle))
			return true;
	for (i = 0; i < s->n_failed; i++)
		if (!strcmp(s->failed[i], oracle))
			return true;
	return false;
}

static const struct torn_report_result *
result_of(const struct torn_report_failure *s, const char *oracle)
{
	size_t i;

	for (i = 0; i < s->n_results; i++)
		if (!strcmp(s->results[i].name, oracle))
			return &s->results[i];
	return NULL;
}

/*
 * One failing state in a failure or error body (character data); its
 * torn replay command also onto replays, when given (g_free).
 */
static void put_state(FILE *f, const struct torn_report *r,
		      const struct torn_report_failure *s, const char *oracle,
		      GPtrArray *replays)
{
	const struct torn_report_result *res =
		oracle ? result_of(s, oracle) : NULL;
	char *replay = report_replay_command(r->dir, s->id);

	report_put_xmls(f, s->id);
	fprintf(f, " %s, crash before record %" PRIu64,
		torn_verdict_name(s->verdict), s->point);
	if (s->last_op_begin >= 0)
		fprintf(f,
			", last op begun %" PRId64 ", ended %" PRId64
			", durable %" PRId64,
			s->last_op_begin, s->last_op_end, s->last_durable);
	fputc('\n', f);
	if (res && res->detail) {
		fputs("  ", f);
		report_put_xml(f, res->detail, res->detail_len,
			       JUNIT_DETAIL_MAX);
		fputc('\n', f);
	}
	if (!oracle && s->error) {
		fputs("  ", f);
		report_put_xml(f, s->error, s->error_len, JUNIT_DETAIL_MAX);
		fputc('\n', f);
	}
	fputs("  ", f);
	report_put_xmls(f, replay);
	fputc('\n', f);
	if (replays)
		g_ptr_array_add(replays, replay);
	else
		g_free(replay);
}

static void put_oracle_case(FILE *f, const struct torn_report *r,
			    const char *suite,
			    const struct torn_report_oracle *o)
{
	GPtrArray *replays;
	size_t i, listed = 0;
	uint64_t n = 0;

	for (i = 0; i < r->n_failures; i++)
		n += failed_oracle(&r->failures[i], o->name);
	fputs("    <testcase classname=\"", f);
	report_put_xmls(f, suite);
	fputs("\" name=\"", f);
	report_put_xmls(f, o->name);
	if (!n) {
		fputs("\"/>\n", f);
		return;
	}
	fprintf(f,
		"\">\n      <failure type=\"%s\" message=\"%" PRIu64
		" of %" PRIu64 " states failed ",
		"inconsistent", n, o->ran);
	report_put_xmls(f, o->name);
	fputs("\">", f);
	replays = g_ptr_array_new_with_free_func(g_free);
	for (i = 0; i < r->n_failures; i++) {
		if (!failed_oracle(&r->failures[i], o->name))
			continue;
		if (listed++ == JUNIT_STATES_MAX) {
			fprintf(f,
				"... and %" PRIu64
				" more (torn report --html lists all)\n",
				n - JUNIT_STATES_MAX);
			break;
		}
		put_state(f, r, &r->failures[i], o->name, replays);
	}
	fputs("</failure>\n", f);
	/* what a developer runs next, one state a line, for CI to show */
	fputs("      <system-out>", f);
	for (i = 0; i < replays->len; i++) {
		report_put_xmls(f, replays->pdata[i]);
		fputc('\n', f);
	}
	fputs("</system-out>\n    </testcase>\n", f);
	g_ptr_array_free(replays, TRUE);
}

/* A known finding: a skipped case named by its id, its states counted. */
static void put_known_case(FILE *f, const char *suite,
			   const struct torn_report_known *k)
{
	fputs("    <testcase classname=\"", f);
	report_put_xmls(f, suite);
	fputs("\" name=\"known finding ", f);
	report_put_xmls(f, k->id);
	fprintf(f, "\">\n      <skipped message=\"known finding ");
	report_put_xmls(f, k->id);
	fputs(": ", f);
	report_put_known_xml(f, k);
	fputs("\"/>\n    </testcase>\n", f);
}

/* States that got no verdict from the oracles: timeouts and errors. */
static void put_checking_case(FILE *f, const struct torn_report *r,
			      const char *suite)
{
	uint64_t n =
		r->by_verdict[TORN_V_TIMEOUT] + r->by_verdict[TORN_V_ERROR];
	size_t i, listed = 0;

	fputs("    <testcase classname=\"", f);
	report_put_xmls(f, suite);
	fputs("\" name=\"checking\"", f);
	if (!n) {
		fputs("/>\n", f);
		return;
	}
	fprintf(f,
		">\n      <error type=\"%s\" message=\"%" PRIu64
		" timeout(s), %" PRIu64 " error(s) of %" PRIu64 " states\">",
		r->by_verdict[TORN_V_TIMEOUT] ? "timeout" : "error",
		r->by_verdict[TORN_V_TIMEOUT], r->by_verdict[TORN_V_ERROR],
		r->states);
	for (i = 0; i < r->n_failures; i++) {
		const struct torn_report_failure *s = &r->failures[i];

		if (s->verdict != TORN_V_TIMEOUT && s->verdict != TORN_V_ERROR)
			continue;
		if (listed++ == JUNIT_STATES_MAX) {
			fprintf(f, "... and %" PRIu64 " more\n",
				n - JUNIT_STATES_MAX);
			break;
		}
		put_state(f, r, s, NULL, NULL);
	}
	fputs("</error>\n    </testcase>\n", f);
}

/* Whether the verdicts are the run's result: an error when they are not. */
static void put_verdicts_case(FILE *f, const char *suite,
			      char (*lines)[TORN_REPORT_PROBLEM_LEN], size_t n)
{
	size_t i;

	fputs("    <testcase classname=\"", f);
	report_put_xmls(f, suite);
	fputs("\" name=\"verdicts\"", f);
	if (!n) {
		fputs("/>\n", f);
		return;
	}
	fputs(">\n      <error type=\"incomplete\" message=\"", f);
	report_put_xmls(f, lines[0]);
	fputs("\">", f);
	for (i = 0; i < n; i++) {
		report_put_xmls(f, lines[i]);
		fputc('\n', f);
	}
	fputs("</error>\n    </testcase>\n", f);
}

static void put_property(FILE *f, const char *name, const char *value)
{
	fprintf(f, "      <property name=\"%s\" value=\"", name);
	report_put_xmls(f, value);
	fputs("\"/>\n", f);
}

int torn_report_write_junit(const struct torn_report *r, FILE *f)
{
	char *suite = g_strdup_printf("%s/%s/%s", r->fs[0] ? r->fs : "?",
				      r->flush_mode[0] ? r->flush_mode : "?",
				      r->workload[0] ? r->workload : "?");
	/* the test cases' class: fs.flush.engine, a CI matrix's axes */
	char *cls = g_strdup_printf("%s.%s.%s", r->fs[0] ? r->fs : "?",
				    r->flush_mode[0] ? r->flush_mode : "?",
				    r->engines_used[0] ? r->engines_used : "?");
	char lines[TORN_REPORT_PROBLEMS_MAX][TORN_REPORT_PROBLEM_LEN];
	size_t n_problems = torn_report_problems(r, lines, G_N_ELEMENTS(lines));
	uint64_t failures = 0, errors, tests = r->n_oracles + r->n_known + 2;
	char num[32];
	size_t i, k;

	for (i = 0; i < r->n_oracles; i++)
		for (k = 0; k < r->n_failures; k++)
			if (failed_oracle(&r->failures[k],
					  r->oracles[i].name)) {
				failures++;
				break;
			}
	errors = r->by_verdict[TORN_V_TIMEOUT] + r->by_verdict[TORN_V_ERROR]
			 ? 1
			 : 0;
	errors += n_problems > 0;
	if (n_problems > G_N_ELEMENTS(lines))
		n_problems = G_N_ELEMENTS(lines);
	if (r->load_error[0])
		tests = 1;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f,
		"<testsuites name=\"torn\" tests=\"%" PRIu64
		"\" failures=\"%" PRIu64 "\" errors=\"%" PRIu64
		"\" time=\"%.3f\">\n",
		tests, failures, errors,
		(r->restore_ms + r->check_ms) / 1000.0);
	fputs("  <testsuite name=\"", f);
	report_put_xmls(f, suite);
	fprintf(f,
		"\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
		"\" errors=\"%" PRIu64 "\" skipped=\"%zu\" time=\"%.3f\">\n",
		tests, failures, errors, r->n_known,
		(r->restore_ms + r->check_ms) / 1000.0);
	fputs("    <properties>\n", f);
	put_property(f, "run", r->dir);
	put_property(f, "fs", r->fs);
	put_property(f, "flush_mode", r->flush_mode);
	put_property(f, "workload", r->workload);
	put_property(f, "kernel", r->kernel);
	snprintf(num, sizeof(num), "%" PRIu64, r->states);
	put_property(f, "states_checked", num);
	for (i = 0; i < TORN_V_COUNT; i++) {
		char name[32];

		snprintf(name, sizeof(name), "states_%s", torn_verdict_name(i));
		snprintf(num, sizeof(num), "%" PRIu64, r->by_verdict[i]);
		put_property(f, name, num);
	}
	snprintf(num, sizeof(num), "%" PRIu64, r->unique_semantic);
	put_property(f, "unique_semantic_states", num);
	if (r->enum_status == TORN_REPORT_ENUM_DONE) {
		snprintf(num, sizeof(num), "%" PRIu64, r->enum_generated);
		put_property(f, "states_generated", num);
		snprintf(num, sizeof(num), "%" PRIu64, r->enum_unique);
		put_property(f, "states_unique", num);
	}
	snprintf(num, sizeof(num), "%" PRIu64, r->bad_lines);
	put_property(f, "verdict_lines_skipped", num);
	fputs("    </properties>\n", f);
	put_verdicts_case(f, cls, lines, n_problems);
	for (i = 0; i < r->n_oracles; i++)
		put_oracle_case(f, r, cls, &r->oracles[i]);
	for (i = 0; i < r->n_known; i++)
		put_known_case(f, cls, &r->known_ids[i]);
	if (!r->load_error[0])
		put_checking_case(f, r, cls);
	if (r->n_notes) {
		fputs("    <system-err>", f);
		for (i = 0; i < r->n_notes; i++) {
			report_put_xmls(f, r->notes[i]);
			fputc('\n', f);
		}
		fputs("</system-err>\n", f);
	}
	fputs("  </testsuite>\n</testsuites>\n", f);
	g_free(suite);
	g_free(cls);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
