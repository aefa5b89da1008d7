/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report --html: one self-contained page with an inline SVG timeline. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "report_int.h"
#include "stepper.h"
#include "torn_exit.h"
#include "trace.h"

/* Rows and states a page holds at most: it must open in a browser. */
#define HTML_POINTS_MAX 1000
#define HTML_FAILURES_MAX 500
#define HTML_SIGNATURES_MAX 50 /* signature rows */
#define HTML_DETAIL_MAX 4000

/* The timeline's geometry, in SVG user units. */
#define TL_LEFT 150
#define TL_WIDTH 1000
#define TL_LANE 44
#define TL_GAP 8
#define TL_ADDR_TOP 10 /* the stores-by-address lane, first */
#define TL_ADDR_ROW 3 /* px per address band */
#define TL_TOP (TL_ADDR_TOP + TL_ADDR_ROW * TORN_REPORT_ADDR_BINS + 16)

static void esc(FILE *f, const char *s)
{
	report_put_xmls(f, s);
}

static void put_style(FILE *f)
{
	fputs("<style>\n"
	      "body{font:14px/1.4 "
	      "system-ui,sans-serif;margin:1.5em;color:#222;max-width:1300px}\n"
	      "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-"
	      "bottom:1px solid #ccc}\n"
	      "table{border-collapse:collapse}td,th{padding:2px "
	      "8px;border-bottom:1px solid #eee;text-align:right}\n"
	      "td.l,th.l{text-align:left}td.k{white-space:nowrap}tr.fail "
	      "td{background:#fdecea}\n"
	      ".cards{display:flex;flex-wrap:wrap;gap:10px}\n"
	      ".card{border:1px solid #ddd;border-radius:6px;padding:6px "
	      "12px;min-width:110px}\n"
	      ".card b{display:block;font-size:1.5em}.card.bad "
	      "b{color:#c62828}\n"
	      ".notes li{color:#8a5300}\n"
	      ".banner{font-size:1.15em;font-weight:bold;border-radius:6px;"
	      "padding:8px 12px}.banner.ok{background:#e8f5e9;color:#1b5e20}"
	      ".banner.known{background:#fff8e1;color:#6d4c00}"
	      ".banner.bad{background:#fdecea;color:#8e0000}\n"
	      ".problems{border:2px solid #c62828;background:#fdecea;"
	      "color:#8e0000;border-radius:6px;padding:6px 12px;"
	      "margin:10px 0;font-weight:bold}\n"
	      ".state{border:1px solid #e0b4b4;border-radius:6px;padding:6px "
	      "12px;margin:10px 0}\n"
	      ".state h3{margin:2px 0;font-size:1.05em}\n"
	      "pre{white-space:pre-wrap;word-break:break-all;background:#"
	      "f6f6f6;padding:4px 8px;margin:2px 0}\n"
	      "code{background:#f0f0f0;padding:1px 4px}\n"
	      "svg text{font:11px sans-serif;fill:#444}\n"
	      ".explain td{font-family:monospace;font-size:.9em}"
	      ".explain td.dropped{color:#c62828;font-weight:bold}"
	      ".explain td.torn{color:#e65100;font-weight:bold}"
	      ".explain td.persisted{color:#2e7d32}\n"
	      "</style>\n",
	      f);
}

static void put_card(FILE *f, const char *id, const char *label, uint64_t n,
		     bool bad)
{
	fprintf(f,
		"<div class=\"card%s\" id=\"%s\"><b>%" PRIu64 "</b>%s</div>\n",
		bad && n ? " bad" : "", id, n, label);
}

/* ---- timeline ---------------------------------------------------------- */

#define TL_OPS 24 /* the operations row under the record axis */

/*
 * Each operation's begin marker on the record axis: a tick, its number
 * where there is room for it, its text as the tooltip.
 */
static void put_ops_row(FILE *f, const struct torn_report *r, double y)
{
	double last = -100;
	size_t i;

	if (!r->records)
		return;
	fprintf(f, "<text x=\"4\" y=\"%.0f\">operations</text>\n", y + 4);
	for (i = 0; i < r->n_marks; i++) {
		const struct torn_report_mark *m = &r->marks[i];
		double x = TL_LEFT +
			   (double)m->record * TL_WIDTH / (double)r->records;

		if (m->id != TORN_MARK_OP_BEGIN)
			continue;
		fprintf(f,
			"<g class=\"op\"><rect x=\"%.1f\" y=\"%.0f\" "
			"width=\"1\" height=\"8\" class=\"mk\"/>",
			x, y - 8);
		if (x - last >= 14) {
			fprintf(f,
				"<text x=\"%.1f\" y=\"%.0f\" "
				"text-anchor=\"middle\">%" PRIu64 "</text>",
				x, y + 8, m->arg);
			last = x;
		}
		fprintf(f, "<title>op %" PRIu64 " at record %" PRIu64 ": ",
			m->arg, m->record);
		report_put_xml(f, m->text, strlen(m->text), 80);
		fputs("</title></g>\n", f);
	}
}

static double bucket_x(const struct torn_report *r, size_t b)
{
	return TL_LEFT + (double)b * TL_WIDTH / (double)r->n_buckets;
}

typedef uint32_t (*lane_value)(const struct torn_report_bucket *b);

static uint32_t v_stores(const struct torn_report_bucket *b)
{
	return b->stores + b->nt_stores;
}

static uint32_t v_nt(const struct torn_report_bucket *b)
{
	return b->nt_stores;
}

static uint32_t v_flushes(const struct torn_report_bucket *b)
{
	return b->flushes + b->unresolved;
}

static uint32_t v_fences(const struct torn_report_bucket *b)
{
	return b->fences;
}

static uint32_t v_inflight(const struct torn_report_bucket *b)
{
	return b->max_inflight_lines;
}

static uint32_t v_marks(const struct torn_report_bucket *b)
{
	return b->marks;
}

/* Bars of one lane as one path, heights scaled to max. */
static void put_bars(FILE *f, const struct torn_report *r, lane_value value,
		     uint32_t max, double y0, const char *cls)
{
	double w = (double)TL_WIDTH / (double)r->n_buckets;
	size_t b;

	if (!max)
		return;
	fprintf(f, "<path class=\"%s\" d=\"", cls);
	for (b = 0; b < r->n_buckets; b++) {
		uint32_t v = value(&r->buckets[b]);
		double h;

		if (!v)
			continue;
		h = (double)v * (TL_LANE - 4) / (double)max;
		if (h < 1)
			h = 1;
		fprintf(f, "M%.1f %.1fh%.2fv%.1fh%.2fz", bucket_x(r, b),
			y0 + TL_LANE, w, -h, -w);
	}
	fputs("\"/>\n", f);
}

static uint32_t lane_max(const struct torn_report *r, lane_value value)
{
	uint32_t m = 0;
	size_t b;

	for (b = 0; b < r->n_buckets; b++)
		if (value(&r->buckets[b]) > m)
			m = value(&r->buckets[b]);
	return m;
}

static void put_lane_label(FILE *f, double y, const char *name, uint32_t max,
			   const char *unit)
{
	fprintf(f, "<text x=\"4\" y=\"%.0f\">%s</text>", y + TL_LANE / 2.0,
		name);
	fprintf(f, "<text x=\"4\" y=\"%.0f\">max %" PRIu32 " %s</text>\n",
		y + TL_LANE / 2.0 + 13, max, unit);
	fprintf(f,
		"<line x1=\"%d\" x2=\"%d\" y1=\"%.0f\" y2=\"%.0f\" "
		"stroke=\"#ddd\"/>\n",
		TL_LEFT, TL_LEFT + TL_WIDTH, y + TL_LANE, y + TL_LANE);
}

/*
 * Where the stores go: a band per 1/TORN_REPORT_ADDR_BINS of the NVDIMM
 * bytes the trace stores to, darker for more stores, teal where the
 * kernel made most of them, blue where the workload did.
 */
static void put_addr_lane(FILE *f, const struct torn_report *r)
{
	double w = (double)TL_WIDTH / (double)r->n_buckets;
	uint32_t max = 0;
	size_t b, k;

	for (b = 0; b < r->n_buckets; b++)
		for (k = 0; k < TORN_REPORT_ADDR_BINS; k++)
			if (r->buckets[b].addr[k] > max)
				max = r->buckets[b].addr[k];
	fprintf(f,
		"<g id=\"stores-by-address\"><text x=\"4\" y=\"%d\">stores by "
		"address</text><text x=\"4\" y=\"%d\">from 0x%" PRIx64
		"</text><text x=\"4\" y=\"%d\">to 0x%" PRIx64 "</text>\n",
		TL_ADDR_TOP + 10, TL_ADDR_TOP + 30, r->store_lo,
		TL_ADDR_TOP + TL_ADDR_ROW * TORN_REPORT_ADDR_BINS, r->store_hi);
	for (b = 0; max && b < r->n_buckets; b++)
		for (k = 0; k < TORN_REPORT_ADDR_BINS; k++) {
			const struct torn_report_bucket *x = &r->buckets[b];
			double a;

			if (!x->addr[k])
				continue;
			a = 0.2 + 0.8 * (double)x->addr[k] / (double)max;
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%d\" width=\"%.2f\" "
				"height=\"%d\" fill=\"%s\" fill-opacity=\"%.2f\"/>",
				bucket_x(r, b),
				TL_ADDR_TOP + (int)k * TL_ADDR_ROW,
				w < 1 ? 1 : w, TL_ADDR_ROW,
				2 * x->addr_kernel[k] > x->addr[k] ? "#00897b"
								   : "#1565c0",
				a);
		}
	fprintf(f,
		"<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
		"stroke=\"#ddd\"/></g>\n",
		TL_LEFT, TL_LEFT + TL_WIDTH,
		TL_ADDR_TOP + TL_ADDR_ROW * TORN_REPORT_ADDR_BINS,
		TL_ADDR_TOP + TL_ADDR_ROW * TORN_REPORT_ADDR_BINS);
}

/* The first failing crash point at or after seq, or NULL. */
static const struct torn_report_point *
failing_point_in(const struct torn_report *r, uint64_t first, uint64_t end)
{
	size_t i;

	for (i = 0; i < r->n_points; i++)
		if (r->points[i].seq >= first && r->points[i].seq <= end &&
		    r->points[i].failing)
			return &r->points[i];
	return NULL;
}

static void put_timeline(FILE *f, const struct torn_report *r)
{
	static const struct {
		const char *name, *cls, *unit;
		lane_value value;
	} lanes[] = {
		{ "stores", "st", "/slice", v_stores },
		{ "flushes", "fl", "/slice", v_flushes },
		{ "fences", "fe", "/slice", v_fences },
		{ "lines in flight", "in", "lines", v_inflight },
		{ "markers", "mk", "/slice", v_marks },
	};
	size_t nl = G_N_ELEMENTS(lanes), l, b, m = 0;
	double y, height = TL_TOP + (nl + 1) * (TL_LANE + TL_GAP) + 24 + TL_OPS;
	double w;

	fprintf(f,
		"<h2>Trace timeline</h2>\n<p>%" PRIu64
		" records in %zu slices of about %" PRIu64
		" records each, in program order. Crash points with a failing "
		"state are red; "
		"hover a slice for its figures, click a red mark for its crash "
		"point.</p>\n",
		r->records, r->n_buckets,
		r->n_buckets ? (r->records + r->n_buckets - 1) / r->n_buckets
			     : 0);
	fprintf(f,
		"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		"viewBox=\"0 0 %d %.0f\" width=\"100%%\" "
		"data-records=\"%" PRIu64 "\" data-slices=\"%zu\" role=\"img\" "
		"aria-label=\"trace timeline\">\n",
		TL_LEFT + TL_WIDTH + 10, height, r->records, r->n_buckets);
	fputs("<style>.st{fill:#1565c0}.nt{fill:#7b1fa2}.fl{fill:#ef6c00}"
	      ".fe{fill:#2e7d32}.in{fill:#90a4ae}.mk{fill:#222}"
	      ".cp-enum{fill:#cfd8dc}.cp{fill:#757575}.cp-fail{fill:#d32f2f}."
	      "hov{fill:transparent}"
	      ".hov:hover{fill:rgba(0,0,0,.08)}</style>\n",
	      f);
	put_addr_lane(f, r);
	for (l = 0; l < nl; l++) {
		uint32_t max = lane_max(r, lanes[l].value);

		y = TL_TOP + l * (TL_LANE + TL_GAP);
		put_lane_label(f, y, lanes[l].name, max, lanes[l].unit);
		put_bars(f, r, lanes[l].value, max, y, lanes[l].cls);
		if (lanes[l].value == v_stores) /* non-temporal share */
			put_bars(f, r, v_nt, max, y, "nt");
	}
	/* crash points: grey where checked, red where a state failed */
	y = TL_TOP + nl * (TL_LANE + TL_GAP);
	fprintf(f, "<text x=\"4\" y=\"%.0f\">crash points</text>\n",
		y + TL_LANE / 2.0);
	fprintf(f, "<text x=\"4\" y=\"%.0f\">short: unchecked</text>\n",
		y + TL_LANE / 2.0 + 13);
	w = (double)TL_WIDTH / (double)r->n_buckets;
	/* short and pale: enumerated, no verdict; tall: checked */
	fputs("<path class=\"cp-enum\" d=\"", f);
	for (b = 0; b < r->n_buckets; b++)
		if (r->buckets[b].crash_points && !r->buckets[b].points)
			fprintf(f, "M%.1f %.1fh%.2fv%dh%.2fz", bucket_x(r, b),
				y + TL_LANE - 12.0, w < 1 ? 1 : w, 12,
				w < 1 ? -1 : -w);
	fputs("\"/>\n", f);
	fputs("<path class=\"cp\" d=\"", f);
	for (b = 0; b < r->n_buckets; b++)
		if (r->buckets[b].points && !r->buckets[b].failing_points)
			fprintf(f, "M%.1f %.1fh%.2fv%dh%.2fz", bucket_x(r, b),
				y + 8, w < 1 ? 1 : w, TL_LANE - 8,
				w < 1 ? -1 : -w);
	fputs("\"/>\n", f);
	for (b = 0; b < r->n_buckets; b++) {
		const struct torn_report_bucket *k = &r->buckets[b];
		const struct torn_report_point *p;

		if (!k->failing_points)
			continue;
		p = failing_point_in(r, k->first,
				     b + 1 == r->n_buckets ? UINT64_MAX
							   : k->end - 1);
		fprintf(f,
			"<a href=\"#p%" PRIu64
			"\"><rect class=\"cp-fail\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"%.2f\" height=\"%d\"><title>%" PRIu32
			" crash point(s) with %" PRIu64
			" failing state(s) in records %" PRIu64 "..%" PRIu64
			"</title></rect></a>\n",
			p ? p->seq : k->first, bucket_x(r, b), y, w < 2 ? 2 : w,
			TL_LANE, k->failing_points, k->failing_states, k->first,
			k->end);
	}
	/* a hover rectangle per slice with its figures */
	for (b = 0; b < r->n_buckets; b++) {
		const struct torn_report_bucket *k = &r->buckets[b];

		fprintf(f,
			"<rect class=\"hov\" x=\"%.1f\" y=\"%d\" "
			"width=\"%.2f\" height=\"%.0f\">"
			"<title>records %" PRIu64 "..%" PRIu64 ": %" PRIu32
			" stores (%" PRIu32 " non-temporal), %" PRIu32
			" flushes, %" PRIu32 " fences, up to %" PRIu32
			" lines in flight",
			bucket_x(r, b), TL_TOP, w,
			nl * (double)(TL_LANE + TL_GAP), k->first,
			k->end ? k->end - 1 : 0, k->stores + k->nt_stores,
			k->nt_stores, k->flushes + k->unresolved, k->fences,
			k->max_inflight_lines);
		if (k->crash_points)
			fprintf(f,
				", %" PRIu32 " crash points (%" PRIu32
				" checked)",
				k->crash_points, k->points);
		/* the first marker text of the slice */
		while (m < r->n_marks && r->marks[m].record < k->first)
			m++;
		if (m < r->n_marks && r->marks[m].record < k->end) {
			const struct torn_report_mark *mk = &r->marks[m];
			const char *name = report_mark_name(mk->id);

			fprintf(f, "; marker %s %" PRIu64 " ", name ? name : "",
				mk->arg);
			report_put_xml(f, mk->text, strlen(mk->text), 80);
		}
		fputs("</title></rect>\n", f);
	}
	/* record axis, and the operations under it */
	y = TL_TOP + (nl + 1) * (TL_LANE + TL_GAP) + 12;
	put_ops_row(f, r, y + 16);
	for (l = 0; l <= 4; l++)
		fprintf(f,
			"<text x=\"%.0f\" y=\"%.0f\" "
			"text-anchor=\"%s\">%" PRIu64 "</text>\n",
			TL_LEFT + l * TL_WIDTH / 4.0, y,
			l == 0	 ? "start"
			: l == 4 ? "end"
				 : "middle",
			r->records * l / 4);
	fputs("</svg>\n<p><small>Stores by address: a band per 1/" G_STRINGIFY(
		      TORN_REPORT_ADDR_BINS) " of the NVDIMM bytes the trace "
					     "stores to, top to bottom, darker for more stores; "
					     "<span style=\"color:#1565c0\">the workload's</span> or "
					     "<span style=\"color:#00897b\">the kernel's</span>, whichever "
					     "made most. Colours: <span "
					     "style=\"color:#1565c0\">stores</span>, "
					     "<span style=\"color:#7b1fa2\">non-temporal stores</span>, "
					     "<span style=\"color:#ef6c00\">flushes</span>, "
					     "<span style=\"color:#2e7d32\">fences</span>, "
					     "<span style=\"color:#90a4ae\">lines holding stores not yet "
					     "persistent</span> "
					     "(the report's own replay: stores are in flight until flushed "
					     "and fenced, "
					     "or until a fence on eADR).</small></p>\n",
	      f);
}

/* ---- failing states per operation -----------------------------------------
 */

/* Failing states by the operation running at their crash point. */
static void put_ops_table(FILE *f, const struct torn_report *r)
{
	GHashTable *by_op = g_hash_table_new(g_int64_hash, g_int64_equal);
	struct op_row {
		gint64 op;
		uint64_t n, known;
		const struct torn_report_failure *first;
	} * rows;
	size_t i, k, n = 0;

	rows = g_new0(struct op_row, r->n_failures + 1);
	for (i = 0; i < r->n_failures; i++) {
		const struct torn_report_failure *s = &r->failures[i];
		gint64 op = s->last_op_begin > 0 ? s->last_op_begin : 0;
		struct op_row *row = g_hash_table_lookup(by_op, &op);

		if (!row) {
			row = &rows[n++];
			row->op = op;
			row->first = s;
			g_hash_table_insert(by_op, &row->op, row);
		}
		row->n++;
		row->known += s->known[0] != 0;
	}
	fputs("<h2 id=\"per-op\">Failing states per operation</h2>\n<table "
	      "id=\"ops-table\"><tr><th>op</th><th class=\"l\">running at "
	      "the crash point</th><th>failing</th><th>known</th><th "
	      "class=\"l\">e.g.</th></tr>\n",
	      f);
	for (k = 0; k < n; k++) {
		const struct op_row *row = &rows[k];
		const char *text =
			row->op ? torn_report_op_text(r, (uint64_t)row->op)
				: NULL;

		fprintf(f,
			"<tr%s><td>%" G_GINT64_FORMAT "</td><td class=\"l\">",
			row->n > row->known ? " class=\"fail\"" : "", row->op);
		if (row->op)
			esc(f, text ? text : "?");
		else
			fputs("(before the first operation)", f);
		fprintf(f,
			"</td><td>%" PRIu64 "</td><td>%" PRIu64
			"</td><td class=\"l\"><a href=\"#s-",
			row->n, row->known);
		esc(f, row->first->id);
		fputs("\"><code>", f);
		esc(f, row->first->id);
		fputs("</code></a></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	g_free(rows);
	g_hash_table_destroy(by_op);
}

/* ---- tables ------------------------------------------------------------ */

static void put_mark_cell(FILE *f, const struct torn_report *r, long idx)
{
	const struct torn_report_mark *m;
	const char *name;

	if (idx < 0) {
		fputs("-", f);
		return;
	}
	m = &r->marks[idx];
	name = report_mark_name(m->id);
	if (name)
		fprintf(f, "%s %" PRIu64, name, m->arg);
	else
		fprintf(f, "mark %" PRIu32 " %" PRIu64, m->id, m->arg);
	if (m->text[0]) {
		fputs(" <q>", f);
		report_put_xml(f, m->text, strlen(m->text), 80);
		fputs("</q>", f);
	}
}

static void put_points(FILE *f, const struct torn_report *r)
{
	size_t i, others, omitted = 0, failing = 0;
	char kind[48];
	int v;

	for (i = 0; i < r->n_points; i++)
		failing += r->points[i].failing > 0;
	fprintf(f,
		"<h2>States per crash point</h2>\n<p>%zu crash points, %zu "
		"with failing states.</p>\n",
		r->n_points, failing);
	fputs("<table id=\"points\"><tr><th>record</th><th "
	      "class=\"l\">kind</th>"
	      "<th>lines in "
	      "flight</th><th>generated</th><th>unique</th><th>checked</th>",
	      f);
	for (v = 0; v < TORN_V_COUNT; v++)
		fprintf(f, "<th>%s</th>", torn_verdict_name(v));
	fputs("<th class=\"l\">last marker before</th></tr>\n", f);
	/* every failing point; the others while there is room */
	others = failing < HTML_POINTS_MAX ? HTML_POINTS_MAX - failing : 0;
	for (i = 0; i < r->n_points; i++) {
		const struct torn_report_point *p = &r->points[i];

		if (!p->failing && !others) {
			omitted++;
			continue;
		}
		if (!p->failing)
			others--;
		report_point_kind(p, kind, sizeof(kind));
		fprintf(f,
			"<tr id=\"p%" PRIu64 "\"%s><td>%" PRIu64
			"</td><td class=\"l k\">%s</td>",
			p->seq, p->failing ? " class=\"fail\"" : "", p->seq,
			kind);
		if (p->enumerated)
			fprintf(f,
				"<td>%" PRIu32 "</td><td>%" PRIu64
				"</td><td>%" PRIu64 "</td>",
				p->inflight_lines, p->generated, p->unique);
		else
			fputs("<td>-</td><td>-</td><td>-</td>", f);
		fprintf(f, "<td>%" PRIu64 "</td>", p->checked);
		for (v = 0; v < TORN_V_COUNT; v++)
			fprintf(f, "<td>%" PRIu64 "</td>", p->by_verdict[v]);
		fputs("<td class=\"l\">", f);
		put_mark_cell(f, r, p->last_mark);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (omitted)
		fprintf(f,
			"<p>%zu crash points without failing states are not "
			"listed.</p>\n",
			omitted);
}

static void put_progress(FILE *f, const struct torn_report *r, const char *what,
			 int64_t op)
{
	const char *text;

	fprintf(f, "<li>%s: ", what);
	if (op <= 0) {
		fputs(op < 0 ? "unknown" : "none", f);
	} else {
		fprintf(f, "op %" PRId64, op);
		text = torn_report_op_text(r, (uint64_t)op);
		if (text && *text) {
			fputs(" <q>", f);
			report_put_xml(f, text, strlen(text), 200);
			fputs("</q>", f);
		}
	}
	fputs("</li>\n", f);
}

static void put_failure(FILE *f, const struct torn_report *r,
			const struct torn_report_failure *s);

struct sig_group {
	const char *sig; /* key of the table */
	const struct torn_report_failure *first;
	uint64_t n;
};

static int by_count(const void *a, const void *b)
{
	const struct sig_group *x = *(struct sig_group *const *)a;
	const struct sig_group *y = *(struct sig_group *const *)b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

/* Failing states grouped by signature, most first, with one of each. */
static void put_signatures(FILE *f, const struct torn_report *r)
{
	GHashTable *t =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GPtrArray *groups = g_ptr_array_new();
	size_t i;

	for (i = 0; i < r->n_failures; i++) {
		char *sig = torn_report_signature(&r->failures[i]);
		struct sig_group *g = g_hash_table_lookup(t, sig);

		if (!g) {
			g = g_new0(struct sig_group, 1);
			g->sig = sig;
			g->first = &r->failures[i];
			g_hash_table_insert(t, (gpointer)g->sig, g);
			g_ptr_array_add(groups, g);
		} else {
			g_free(sig);
		}
		g->n++;
	}
	g_ptr_array_sort(groups, by_count);
	fprintf(f,
		"<h2 id=\"signatures\">Failures by signature (%u)</h2>\n"
		"<table id=\"signature-table\"><tr><th>states</th><th "
		"class=\"l\">failed oracles and what they said</th><th "
		"class=\"l\">e.g.</th></tr>\n",
		groups->len);
	for (i = 0; i < groups->len && i < HTML_SIGNATURES_MAX; i++) {
		const struct sig_group *g = groups->pdata[i];

		fprintf(f, "<tr%s><td>%" PRIu64 "</td><td class=\"l\">",
			g->first->known[0] ? "" : " class=\"fail\"", g->n);
		esc(f, g->sig);
		if (g->first->known[0]) {
			fputs(" <b>known finding ", f);
			esc(f, g->first->known);
			fputs("</b>", f);
		}
		fputs("</td><td class=\"l\"><a href=\"#s-", f);
		esc(f, g->first->id);
		fputs("\"><code>", f);
		esc(f, g->first->id);
		fputs("</code></a></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (groups->len > HTML_SIGNATURES_MAX)
		fprintf(f, "<p>%u more signatures.</p>\n",
			groups->len - HTML_SIGNATURES_MAX);
	g_ptr_array_free(groups, TRUE);
	g_hash_table_destroy(t);
}

/* The failure signatures against the base run: new, still, fixed. */
static void put_base(FILE *f, const struct torn_report *r)
{
	const struct torn_report_diff *d = r->diff;
	char sum[200];
	size_t i;

	torn_report_diff_summary(d, sum, sizeof(sum));
	fputs("<h2 id=\"base\">Against the base run</h2>\n<p>", f);
	esc(f, sum);
	fputs(": <code>", f);
	esc(f, d->base_dir);
	fprintf(f, "</code>, %" PRIu64 " of %" PRIu64 " states failing.</p>\n",
		d->base_failing, d->base_states);
	if (!d->n)
		return;
	fputs("<table id=\"base-table\"><tr><th>signature is</th><th>"
	      "states</th><th>in the base</th><th class=\"l\">failed oracles "
	      "and what they said</th><th class=\"l\">e.g.</th></tr>\n",
	      f);
	for (i = 0; i < d->n && i < HTML_SIGNATURES_MAX; i++) {
		const struct torn_report_sig_diff *s = &d->sigs[i];

		fprintf(f,
			"<tr%s><td>%s</td><td>%" PRIu64 "</td><td>%" PRIu64
			"</td><td class=\"l\">",
			!s->base && !s->known[0] ? " class=\"fail\"" : "",
			torn_report_diff_class(s), s->now, s->base);
		esc(f, s->sig);
		if (s->known[0]) {
			fputs(" <b>known finding ", f);
			esc(f, s->known);
			fputs("</b>", f);
		}
		fputs("</td><td class=\"l\">", f);
		if (s->now_id) {
			fputs("<a href=\"#s-", f);
			esc(f, s->now_id);
			fputs("\"><code>", f);
			esc(f, s->now_id);
			fputs("</code></a>", f);
		} else {
			fputs("base <code>", f);
			esc(f, s->base_id);
			fputs("</code>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (d->n > HTML_SIGNATURES_MAX)
		fprintf(f, "<p>%zu more signatures.</p>\n",
			d->n - HTML_SIGNATURES_MAX);
}

/* The failing states a known finding explains (known), or the others. */
static void put_failures(FILE *f, const struct torn_report *r, bool known)
{
	size_t i, n = 0, shown = 0;

	for (i = 0; i < r->n_failures; i++)
		n += !!r->failures[i].known[0] == known;
	if (known) {
		fprintf(f,
			"<h2 id=\"known\">Known findings (%zu states)</h2>\n"
			"<ul id=\"known-findings\">\n",
			n);
		for (i = 0; i < r->n_known; i++) {
			const struct torn_report_known *k = &r->known_ids[i];

			fputs("<li><b>", f);
			esc(f, k->id);
			fputs("</b> ", f);
			report_put_known_xml(f, k);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	} else {
		fprintf(f, "<h2 id=\"failures\">Failing states (%zu%s)</h2>\n",
			n, r->known ? " new" : "");
		if (!r->n_failures && r->states)
			fputs("<p id=\"no-failures\">Every state checked was "
			      "consistent.</p>\n",
			      f);
	}
	for (i = 0; i < r->n_failures && shown < HTML_FAILURES_MAX; i++)
		if (!!r->failures[i].known[0] == known) {
			put_failure(f, r, &r->failures[i]);
			shown++;
		}
	if (n > shown)
		fprintf(f,
			"<p>%zu more are in verdicts.jsonl and in torn report "
			"--junit.</p>\n",
			n - shown);
}

/* The state's in-flight writes and their fate (report_explain.c). */
static void put_writes(FILE *f, const struct torn_report_failure *s)
{
	size_t k;

	if (!s->explained) {
		fputs("<p class=\"no-explain\">In-flight writes: see <code>torn "
		      "replay --explain</code> (the page lists them for the "
		      "first " G_STRINGIFY(
			      TORN_REPORT_EXPLAIN_MAX) " failing "
						       "states).</p>\n",
		      f);
		return;
	}
	fputs("<p>In-flight writes at the crash point, and what this state "
	      "kept of each:</p>\n<table class=\"explain\"><tr><th>record</th>"
	      "<th class=\"l\">kind</th><th>NVDIMM offset</th><th>bytes</th>"
	      "<th class=\"l\">fate</th><th class=\"l\">stored by</th>"
	      "<th class=\"l\">in the filesystem</th></tr>\n",
	      f);
	for (k = 0; k < s->n_writes; k++) {
		const struct torn_report_write *w = &s->writes[k];
		const char *cls = w->fate == TORN_FATE_DROPPED ? "dropped"
				  : w->fate == TORN_FATE_TORN  ? "torn"
							       : "persisted";

		fprintf(f,
			"<tr><td>%" PRIu64 "</td><td class=\"l\">%s</td>"
			"<td>0x%08" PRIx64 "</td><td>%u</td>"
			"<td class=\"l %s\">%s</td><td class=\"l\">",
			w->record, w->nt ? "nt_store" : "store", w->offset,
			w->len, cls, torn_fate_name(w->fate));
		esc(f, w->where);
		fputs("</td><td class=\"l\">", f);
		esc(f, w->what);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (s->more_writes)
		fprintf(f,
			"<p>%zu more in <code>torn replay --explain</code>.</p>\n",
			s->more_writes);
	if (!s->n_writes)
		fputs("<p>No in-flight write changes what this state could "
		      "lose: it fails on the persisted image alone.</p>\n",
		      f);
}

static void put_failure(FILE *f, const struct torn_report *r,
			const struct torn_report_failure *s)
{
	const struct torn_report_point *p = torn_report_find_point(r, s->point);
	char kind[48] = "?", *replay;
	size_t k;

	if (p)
		report_point_kind(p, kind, sizeof(kind));
	/* ids, engines and hashes were checked by the loader; escaped anyway */
	fputs("<section class=\"state\" id=\"s-", f);
	esc(f, s->id);
	fprintf(f, "\" data-verdict=\"%s\">\n<h3><code class=\"state-id\">",
		torn_verdict_name(s->verdict));
	esc(f, s->id);
	fprintf(f, "</code> %s</h3>\n", torn_verdict_name(s->verdict));
	fprintf(f,
		"<p>Crash before record <a href=\"#p%" PRIu64 "\">%" PRIu64
		"</a> (%s), engine <code>",
		s->point, s->point, kind);
	esc(f, s->engine);
	fprintf(f, "</code> state %" PRIu64 ". Image <code>", s->index);
	esc(f, s->image_hash[0] ? s->image_hash : "?");
	fputs("</code>", f);
	if (s->attempts > 1)
		fprintf(f, ", checked %" PRIu64 " times", s->attempts);
	fputs(".</p>\n<p>Markers completed before the crash:</p><ul>\n", f);
	put_progress(f, r, "last operation begun", s->last_op_begin);
	put_progress(f, r, "last operation ended", s->last_op_end);
	put_progress(f, r, "last operation durable", s->last_durable);
	fputs("</ul>\n", f);
	put_writes(f, s);
	if (s->n_failed) {
		fputs("<p>Failed oracles: ", f);
		for (k = 0; k < s->n_failed; k++) {
			fputs(k ? ", " : "", f);
			fputs("<b>", f);
			esc(f, s->failed[k]);
			fputs("</b>", f);
		}
		fputs("</p>\n", f);
	}
	for (k = 0; k < s->n_results; k++) {
		const struct torn_report_result *res = &s->results[k];

		if (res->ok && !res->detail)
			continue;
		fputs("<div class=\"oracle\"><b>", f);
		esc(f, res->name);
		fprintf(f, "</b> %s", res->ok ? "passed" : "failed");
		if (res->detail) {
			fputs("<pre class=\"detail\">", f);
			report_put_xml(f, res->detail, res->detail_len,
				       HTML_DETAIL_MAX);
			fputs("</pre>", f);
		}
		fputs("</div>\n", f);
	}
	if (s->error) {
		fputs("<div class=\"oracle\"><b>checker</b><pre "
		      "class=\"detail\">",
		      f);
		report_put_xml(f, s->error, s->error_len, HTML_DETAIL_MAX);
		fputs("</pre></div>\n", f);
	}
	replay = report_replay_command(r->dir, s->id);
	fputs("<p>Replay: <code class=\"replay\">", f);
	esc(f, replay);
	fputs("</code></p>\n</section>\n", f);
	g_free(replay);
}

static void put_times(FILE *f, const struct torn_report *r)
{
	fputs("<h2>Time</h2>\n<table id=\"times\">\n", f);
	if (r->boot_ms >= 0)
		fprintf(f,
			"<tr><td class=\"l\">trace: guest boot</td><td>%.1f "
			"s</td></tr>\n",
			r->boot_ms / 1000.0);
	if (r->workload_ms >= 0)
		fprintf(f,
			"<tr><td class=\"l\">trace: workload</td><td>%.1f "
			"s</td></tr>\n",
			r->workload_ms / 1000.0);
	if (r->enum_status == TORN_REPORT_ENUM_DONE)
		fprintf(f,
			"<tr><td class=\"l\">states: enumeration (measured by "
			"torn report)</td><td>%.2f s</td></tr>\n",
			r->enum_ms / 1000.0);
	fprintf(f,
		"<tr><td class=\"l\">check: image restores, summed over "
		"%" PRIu64 " checker guest(s)</td><td>%.1f s</td></tr>\n",
		r->checkers, r->restore_ms / 1000.0);
	fprintf(f,
		"<tr><td class=\"l\">check: recovery and oracles, "
		"summed</td><td>%.1f s</td></tr>\n",
		r->check_ms / 1000.0);
	if (r->check_wall_ms >= 0)
		fprintf(f,
			"<tr><td class=\"l\">check: wall clock "
			"(%s)</td><td>%.1f s</td></tr>\n",
			r->check_wall_from_verdicts
				? "check start to last verdict"
				: "verdicts.jsonl created to last written",
			r->check_wall_ms / 1000.0);
	fputs("</table>\n", f);
}

/* The overall result in words, coloured by the exit status. */
static void put_banner(FILE *f, const struct torn_report *r)
{
	int st = torn_report_exit_status(r);
	char line[600];

	torn_report_verdict_line(r, line, sizeof(line));
	fprintf(f, "<p class=\"banner %s\" id=\"banner\">",
		st == TORN_EXIT_OK ? (r->known ? "known" : "ok") : "bad");
	esc(f, line);
	fputs("</p>\n", f);
}

/* A banner when the verdicts are not the run's result. */
static void put_problems(FILE *f, const struct torn_report *r)
{
	char lines[TORN_REPORT_PROBLEMS_MAX][TORN_REPORT_PROBLEM_LEN];
	size_t i, n = torn_report_problems(r, lines, G_N_ELEMENTS(lines));

	if (!n)
		return;
	fputs("<div class=\"problems\" id=\"problems\" role=\"alert\">"
	      "Error: the verdicts are not this run's whole result\n<ul>\n",
	      f);
	for (i = 0; i < n && i < G_N_ELEMENTS(lines); i++) {
		fputs("<li>", f);
		esc(f, lines[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul></div>\n", f);
}

int torn_report_write_html(const struct torn_report *r, FILE *f)
{
	size_t i;
	int v;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" "
	      "content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" "
	      "content=\"width=device-width\">\n<title>torn report: ",
	      f);
	esc(f, r->fs[0] ? r->fs : "?");
	fputs("/", f);
	esc(f, r->flush_mode[0] ? r->flush_mode : "?");
	fputs("/", f);
	esc(f, r->workload[0] ? r->workload : "?");
	fputs("</title>\n", f);
	put_style(f);
	fputs("</head><body>\n<h1>torn report: ", f);
	esc(f, r->workload[0] ? r->workload : "?");
	fputs(" on ", f);
	esc(f, r->fs[0] ? r->fs : "?");
	fputs(", flush ", f);
	esc(f, r->flush_mode[0] ? r->flush_mode : "?");
	fputs("</h1>\n<p>Run directory <code id=\"run-dir\">", f);
	esc(f, r->dir);
	fputs("</code>", f);
	if (r->kernel[0]) {
		fputs(", guest kernel ", f);
		esc(f, r->kernel);
	}
	fputs(".</p>\n", f);
	put_problems(f, r);
	if (r->load_error[0])
		goto out;
	put_banner(f, r);
	fputs("<div class=\"cards\" id=\"counts\">\n", f);
	put_card(f, "count-states", "states checked", r->states, false);
	for (v = 0; v < TORN_V_COUNT; v++) {
		char id[48];

		snprintf(id, sizeof(id), "count-%s", torn_verdict_name(v));
		put_card(f, id, torn_verdict_name(v), r->by_verdict[v],
			 v != TORN_V_CONSISTENT);
	}
	put_card(f, "count-images", "unique images checked", r->unique_images,
		 false);
	put_card(f, "count-semantic", "unique semantic states",
		 r->unique_semantic, false);
	if (r->enum_status == TORN_REPORT_ENUM_DONE) {
		put_card(f, "count-generated", "crash states generated",
			 r->enum_generated, false);
		put_card(f, "count-unique", "unique crash states",
			 r->enum_unique, false);
	}
	fputs("</div>\n", f);
	if (r->enum_status == TORN_REPORT_ENUM_DONE)
		fprintf(f,
			"<p>Crash states enumerated again with %s%s: %" PRIu64
			" generated, %" PRIu64 " unique (%.1fx); %" PRIu64
			" of %" PRIu64 " verdicts match the enumeration.</p>\n",
			r->enum_options,
			r->enum_partial ? " (partial: the time budget ran out)"
					: "",
			r->enum_generated, r->enum_unique,
			r->enum_unique ? (double)r->enum_generated /
						 (double)r->enum_unique
				       : 0.0,
			r->enum_matched, r->states);
	if (r->n_notes) {
		fputs("<ul class=\"notes\" id=\"notes\">\n", f);
		for (i = 0; i < r->n_notes; i++) {
			fputs("<li>", f);
			esc(f, r->notes[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	if (r->n_buckets)
		put_timeline(f, r);
	fputs("<h2>Oracles</h2>\n<table id=\"oracles\"><tr><th "
	      "class=\"l\">oracle</th>"
	      "<th>ran</th><th>failed</th></tr>\n",
	      f);
	for (i = 0; i < r->n_oracles; i++) {
		fprintf(f, "<tr%s><td class=\"l\">",
			r->oracles[i].failed ? " class=\"fail\"" : "");
		esc(f, r->oracles[i].name);
		fprintf(f,
			"</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>\n",
			r->oracles[i].ran, r->oracles[i].failed);
	}
	fputs("</table>\n", f);
	put_points(f, r);
	if (r->n_failures)
		put_signatures(f, r);
	if (r->diff)
		put_base(f, r);
	if (r->n_failures && r->n_marks)
		put_ops_table(f, r);
	put_failures(f, r, false);
	if (r->known)
		put_failures(f, r, true);
	put_times(f, r);
out:
	fputs("</body></html>\n", f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
