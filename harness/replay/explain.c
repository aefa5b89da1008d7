/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --explain: the crash point, its markers, what became of each write. */
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fsmap.h"
#include "guest.h"
#include "replay_int.h"

static const char *mark_name(uint32_t id)
{
	switch (id) {
	case TORN_MARK_START:
		return "START";
	case TORN_MARK_STOP:
		return "STOP";
	case TORN_MARK_OP_BEGIN:
		return "op begins";
	case TORN_MARK_OP_END:
		return "op ends";
	case TORN_MARK_DURABLE:
		return "durable";
	}
	return "marker";
}

static void print_mark(FILE *out, const struct torn_record *m, size_t i)
{
	fprintf(out, "  record %-7zu %-9s %" PRIu64 " %.*s\n", i,
		mark_name(m->mark_id), m->arg, (int)m->size,
		m->data ? (const char *)m->data : "");
}

/* An operation's markers before the crash point. */
struct op_seen {
	uint64_t op;
	size_t begin, end, durable; /* record indices; SIZE_MAX: none */
	const struct torn_record *text;
};

static struct op_seen *op_of(GArray *ops, uint64_t op)
{
	struct op_seen s = { op, SIZE_MAX, SIZE_MAX, SIZE_MAX, NULL };
	guint i;

	for (i = ops->len; i-- > 0;)
		if (g_array_index(ops, struct op_seen, i).op == op)
			return &g_array_index(ops, struct op_seen, i);
	g_array_append_val(ops, s);
	return &g_array_index(ops, struct op_seen, ops->len - 1);
}

/*
 * The operations begun before the crash point, each with where it began,
 * ended and was made durable: what the workload had been told was done.
 */
static void explain_markers(const struct torn_replay *r, FILE *out)
{
	GArray *ops = g_array_new(FALSE, FALSE, sizeof(struct op_seen));
	size_t i;

	fprintf(out, "markers before it:\n");
	for (i = 0; i < r->point && i < r->nrecs; i++) {
		const struct torn_record *m = &r->recs[i];
		struct op_seen *o;

		if (m->kind != TORN_REC_MARK)
			continue;
		switch (m->mark_id) {
		case TORN_MARK_OP_BEGIN:
			o = op_of(ops, m->arg);
			o->begin = i;
			o->text = m;
			break;
		case TORN_MARK_OP_END:
			op_of(ops, m->arg)->end = i;
			break;
		case TORN_MARK_DURABLE:
			op_of(ops, m->arg)->durable = i;
			break;
		default:
			print_mark(out, m, i);
		}
	}
	for (i = 0; i < ops->len; i++) {
		const struct op_seen *o =
			&g_array_index(ops, struct op_seen, i);

		fprintf(out, "  op %-4" PRIu64 " %-24.*s", o->op,
			o->text ? (int)o->text->size : 0,
			o->text && o->text->data ? (const char *)o->text->data
						 : "");
		if (o->begin != SIZE_MAX)
			fprintf(out, " begun at %zu", o->begin);
		if (o->end != SIZE_MAX)
			fprintf(out, ", ended at %zu", o->end);
		else
			fputs(", running when it crashed", out);
		if (o->durable != SIZE_MAX)
			fprintf(out, ", durable at %zu", o->durable);
		fputc('\n', out);
	}
	g_array_free(ops, TRUE);
	for (i = r->point; i < r->nrecs; i++)
		if (r->recs[i].kind == TORN_REC_MARK) {
			fprintf(out, "next marker:\n");
			print_mark(out, &r->recs[i], i);
			break;
		}
}

struct inflight_counts {
	size_t persisted, dropped, torn, shown;
	GHashTable *lines;
};

/* One write that changes what the state could lose, and its fate. */
static void explain_write(const struct torn_replay *r, FILE *out,
			  const struct torn_inflight_write *w, int fate,
			  struct inflight_counts *n)
{
	const struct torn_record *s = &r->recs[w->record];
	const uint8_t *data = s->data + (w->offset - s->offset);
	char bytes[64] = "", sym[512];
	uint64_t b;

	if (fate == TORN_FATE_SAME)
		return;
	g_hash_table_add(n->lines,
			 GSIZE_TO_POINTER(w->offset / TORN_LINE_SIZE + 1));
	n->persisted += fate == TORN_FATE_PERSISTED;
	n->dropped += fate == TORN_FATE_DROPPED;
	n->torn += fate == TORN_FATE_TORN;
	for (b = 0; b < w->len && b < 8; b++)
		snprintf(bytes + 2 * b, sizeof(bytes) - 2 * b, "%02x", data[b]);
	if (n->shown++ < 200)
		fprintf(out,
			"  record %-7zu %-8s 0x%08" PRIx64
			" +%-2u %-9s %s%s  %s\n",
			w->record, w->nt ? "nt_store" : "store", w->offset,
			w->len, torn_fate_name(fate), bytes,
			w->len > 8 ? ".." : "",
			replay_where(r, s, sym, sizeof(sym)));
}

/* What the lines in flight are in the run's filesystem (fsmap.h). */
static void explain_fs(const struct torn_replay *r, GHashTable *lines,
		       FILE *out)
{
	struct torn_err err = { "" };
	GHashTableIter it;
	gpointer key;
	uint64_t *v = g_new(uint64_t, g_hash_table_size(lines) + 1);
	size_t n = 0;
	int kind = -1;
	char *path = g_build_filename(r->o.dir, "final.img", NULL);
	struct torn_fsmap_final final = { .path = path };
	struct torn_fsmap m;

	if (!r->have_meta ||
	    guest_fs_load_run(r->o.dir, r->meta.fs, &kind, &err))
		kind = -1;
	g_hash_table_iter_init(&it, lines);
	while (g_hash_table_iter_next(&it, &key, NULL))
		v[n++] = GPOINTER_TO_SIZE(key) - 1;
	torn_fsmap_make(kind >= 0 ? torn_fs_get(kind) : NULL, r->full, &final,
			r->size, v, n, &m);
	torn_fsmap_print(&m, out);
	torn_fsmap_fini(&m);
	torn_fsmap_final_fini(&final);
	g_free(path);
	g_free(v);
}

void torn_replay_explain(const struct torn_replay *r, FILE *out)
{
	const struct torn_record *pt =
		r->point < r->nrecs ? &r->recs[r->point] : NULL;
	struct inflight_counts n = { 0 };
	int *fate = calloc(r->n_inflight + 1, sizeof(*fate));
	char sym[512];
	size_t i;

	fprintf(out, "state %s\n", r->o.state_id);
	fprintf(out, "crash point: before record %" PRIu64 " (%s%s%s)\n",
		r->point, pt ? torn_record_kind_name(pt->kind) : "end of trace",
		pt && pt->kind == TORN_REC_FENCE ? " " : "",
		pt && pt->kind == TORN_REC_FENCE ? torn_fence_kind_name(pt->sub)
						 : "");
	if (pt && pt->pc)
		fprintf(out, "  at %s\n",
			replay_where(r, pt, sym, sizeof(sym)));
	explain_markers(r, out);

	fprintf(out,
		"in-flight writes (not yet persistent at the crash point):\n");
	n.lines = g_hash_table_new(g_direct_hash, g_direct_equal);
	if (fate && torn_inflight_fates(r->recs, r->inflight, r->n_inflight,
					r->persisted, r->state, fate))
		g_clear_pointer(&fate, free);
	for (i = 0; fate && i < r->n_inflight; i++)
		explain_write(r, out, &r->inflight[i], fate[i], &n);
	if (n.shown > 200)
		fprintf(out, "  ... %zu more\n", n.shown - 200);
	fprintf(out,
		"in flight: %zu writes on %u lines: %zu persisted, %zu dropped, %zu torn\n",
		n.persisted + n.dropped + n.torn, g_hash_table_size(n.lines),
		n.persisted, n.dropped, n.torn);
	explain_fs(r, n.lines, out);
	if (r->have_verdict) {
		fprintf(out, "verdict: %s\n",
			torn_verdict_name(r->verdict.verdict));
		replay_print_oracles(out, r->verdict.oracles);
	}
	g_hash_table_destroy(n.lines);
	free(fate);
}
