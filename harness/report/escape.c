/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Escaping run data for terminals, XML and HTML; small shared helpers. */
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "report_int.h"
#include "torn_utf8.h"
#include "trace.h"

void report_put_term(FILE *f, const char *s, size_t len, size_t max)
{
	report_put_term_lines(f, s, len, max, NULL);
}

void report_put_term_lines(FILE *f, const char *s, size_t len, size_t max,
			   const char *indent)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, shown = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = torn_utf8_seq(p + i, len - i, &cp);

		if (max && shown >= max) {
			fputs("...", f);
			return;
		}
		if (indent && cp == '\n') {
			/* a line of its own; none after the last */
			if (++i < len)
				fprintf(f, "\n%s", indent);
			shown++;
			continue;
		}
		if (!n || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)) {
			/* C0, DEL, C1 controls and stray bytes */
			if (!n)
				n = 1;
			while (n--)
				fprintf(f, "\\x%02x", p[i++]);
		} else {
			fwrite(p + i, 1, n, f);
			i += n;
		}
		shown++;
	}
}

void report_put_xml(FILE *f, const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, shown = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = torn_utf8_seq(p + i, len - i, &cp);

		if (max && shown >= max) {
			fputs("...", f);
			return;
		}
		shown++;
		if (!n) {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
			i++;
			continue;
		}
		i += n;
		switch (cp) {
		case '&':
			fputs("&amp;", f);
			continue;
		case '<':
			fputs("&lt;", f);
			continue;
		case '>':
			fputs("&gt;", f);
			continue;
		case '"':
			fputs("&quot;", f);
			continue;
		case '\'':
			fputs("&#39;", f);
			continue;
		case '\t':
		case '\n':
		case '\r':
			fprintf(f, "&#%u;", cp);
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || cp == 0xfffe || cp == 0xffff)
			fprintf(f, "\\x%02x", cp < 0x100 ? cp : cp & 0xff);
		else
			fwrite(p + i - n, 1, n, f);
	}
}

void report_put_xmls(FILE *f, const char *s)
{
	report_put_xml(f, s, strlen(s), 0);
}

void report_put_known_xml(FILE *f, const struct torn_report_known *k)
{
	fprintf(f, "%" PRIu64 " state%s", k->states, k->states == 1 ? "" : "s");
	if (k->title[0]) {
		fputs(": ", f);
		report_put_xmls(f, k->title);
	}
	if (k->doc[0]) {
		fputs(" (", f);
		report_put_xmls(f, k->doc);
		fputc(')', f);
	}
}

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("%+,-./:=@_", *s))
			return false;
	return true;
}

char *report_replay_command(const char *dir, const char *id)
{
	GString *s = g_string_new("torn replay ");
	const char *p;

	if (shell_safe(dir)) {
		g_string_append(s, dir);
	} else {
		g_string_append_c(s, '\'');
		for (p = dir; *p; p++)
			if (*p == '\'')
				g_string_append(s, "'\\''");
			else
				g_string_append_c(s, *p);
		g_string_append_c(s, '\'');
	}
	/* the loader keeps only canonical ids: digits, engine, digits */
	g_string_append_printf(s, " %s", id);
	return g_string_free(s, FALSE);
}

void report_point_kind(const struct torn_report_point *p, char *buf,
		       size_t size)
{
	switch (p->kind) {
	case TORN_REC_FENCE:
		snprintf(buf, size, "fence %s", torn_fence_kind_name(p->sub));
		break;
	case TORN_REC_FLUSH:
		snprintf(buf, size, "flush %s", torn_flush_kind_name(p->sub));
		break;
	case TORN_REC_UNRESOLVED:
		snprintf(buf, size, "unresolved %s",
			 torn_flush_kind_name(p->sub));
		break;
	case TORN_REC_END:
		snprintf(buf, size, "end of trace");
		break;
	case 0:
		snprintf(buf, size, "?");
		break;
	default:
		snprintf(buf, size, "%s", torn_record_kind_name(p->kind));
		break;
	}
}

const char *report_mark_name(uint32_t id)
{
	switch (id) {
	case TORN_MARK_START:
		return "START";
	case TORN_MARK_STOP:
		return "STOP";
	case TORN_MARK_OP_BEGIN:
		return "OP_BEGIN";
	case TORN_MARK_OP_END:
		return "OP_END";
	case TORN_MARK_DURABLE:
		return "DURABLE";
	}
	return NULL;
}
