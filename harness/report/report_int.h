/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the report's loader and renderers: escaping, small helpers. */
#ifndef TORN_REPORT_INT_H
#define TORN_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "states.h"

/* One more line for the report's notes (printf-style). */
void report_note(struct torn_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The in-flight writes of the first TORN_REPORT_EXPLAIN_MAX of the n
 * failures f (new ones first, as the HTML page shows them), each with
 * its fate in the state and where it was stored (report_explain.c):
 * states rebuilt from t and base (size bytes) with o, the model and
 * granularity the check used.  What cannot be rebuilt stays unexplained,
 * with one note.
 */
void report_explain(struct torn_report *r, const struct torn_trace *t,
		    const uint8_t *base, size_t size,
		    const struct torn_states_opts *o,
		    struct torn_report_failure *f, size_t n);

/*
 * s[0..len) for a terminal: well-formed UTF-8 but control characters;
 * control bytes and bytes that are not UTF-8 as \xNN, so nothing a guest
 * wrote can move the cursor or change colours.  A backslash stays as it
 * is: replay commands must stay copyable.
 * At most max output characters (0: no limit), then "...".
 */
void report_put_term(FILE *f, const char *s, size_t len, size_t max);
/* The same, each newline a new line starting with indent (none after s). */
void report_put_term_lines(FILE *f, const char *s, size_t len, size_t max,
			   const char *indent);

/*
 * s[0..len) as XML/HTML character data or attribute value: & < > " '
 * as references; control characters XML 1.0 cannot hold (all below
 * 0x20 but tab, newline, carriage return; U+FFFE, U+FFFF) as the text
 * \xNN; bytes that are not UTF-8 as U+FFFD.  At most max characters of
 * s (0: no limit), then "...".
 */
void report_put_xml(FILE *f, const char *s, size_t len, size_t max);

/* report_put_xml of a NUL-terminated string. */
void report_put_xmls(FILE *f, const char *s);
/* "10 states: TITLE (DOC)", escaped, for a known finding's line. */
void report_put_known_xml(FILE *f, const struct torn_report_known *k);

/*
 * The replay command of a state, "torn replay DIR ID", DIR in single
 * quotes unless it is all safe characters; malloc'd.
 */
char *report_replay_command(const char *dir, const char *id);

/* "fence sfence", "flush clwb", "end of trace", "store"... for a point. */
void report_point_kind(const struct torn_report_point *p, char *buf,
		       size_t size);

/* Name of well-known marker ids ("OP_BEGIN"), or NULL. */
const char *report_mark_name(uint32_t id);

#endif
