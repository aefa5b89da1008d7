/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn report: read a run directory into a summary (report.h). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "known.h"
#include "report.h"
#include "report_int.h"
#include "rundir.h"
#include "states.h"
#include "stepper.h"
#include "trace.h"

/* What the loader keeps of every verdict, for dedup figures and matching. */
struct vstate {
	const char *id; /* the key in loader.ids */
	uint64_t point;
	struct torn_hash128 hash;
	bool has_hash;
	uint8_t match; /* 0 not seen, 1 matched, 2 other hash */
};

struct loader {
	struct torn_report *r;
	const struct torn_report_opts *o;
	struct torn_trace *trace;
	GHashTable *ids; /* state id -> index into vstates + 1 */
	GHashTable *last; /* state id -> the line of its last verdict */
	GArray *vstates;
	GHashTable *point_idx; /* seq -> index into points + 1 */
	GArray *points;
	GHashTable *semantic; /* distinct semantic hashes */
	GHashTable *checkers; /* checker + 1 -> its restore + check ms */
	GArray *failures;
	bool noted_engines;
	uint64_t max_at_ms; /* verdicts' "at_ms": since the check began */
	/* check.json: the model and granularity torn check used; 0: unknown */
	int check_model, check_granularity;
	unsigned int check_points; /* its --points; 0: not recorded */
	char check_engines[512]; /* its engines; "": not recorded */
	uint64_t check_from_op; /* its --from-op; 0: none */
	uint32_t check_shard_index, check_shard_count; /* its --shard; 0: all */
	uint64_t check_store_every;
	/* the first line whose state id is not canonical, and why */
	uint64_t first_bad_line;
	char first_bad[300];
};

void report_note(struct torn_report *r, const char *fmt, ...)
{
	char **notes = realloc(r->notes, (r->n_notes + 1) * sizeof(*notes));
	va_list ap;

	if (!notes)
		return;
	r->notes = notes;
	va_start(ap, fmt);
	r->notes[r->n_notes] = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	r->n_notes++;
}

static void copy_str(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

static char *path_in(const struct torn_report *r, const char *name)
{
	return g_strdup_printf("%s/%s", r->dir, name);
}

/* ---- meta.json ------------------------------------------------------- */

static void load_meta(struct torn_report *r)
{
	struct torn_err err = { "" };
	struct torn_run_meta *m = malloc(sizeof(*m));

	if (!m) {
		report_note(r, "out of memory reading " TORN_RUN_META);
		return;
	}
	if (torn_run_meta_read(r->dir, m, &err)) {
		report_note(
			r,
			"%s; fs, flush mode, workload and trace times unknown",
			err.msg);
		free(m);
		return;
	}
	snprintf(r->fs, sizeof(r->fs), "%s", m->fs);
	snprintf(r->flush_mode, sizeof(r->flush_mode), "%s", m->flush_mode);
	snprintf(r->workload, sizeof(r->workload), "%s", m->workload);
	snprintf(r->kernel, sizeof(r->kernel), "%s", m->kernel);
	r->boot_ms = m->boot_ms;
	r->workload_ms = m->workload_ms;
	free(m);
}

/* ---- tracer-stats.json: what the tracer itself says went wrong ------- */

static void load_tracer_stats(struct torn_report *r)
{
	static const char *const bad[] = { "error",	      "stores_lost",
					   "stores_clipped",  "unresolved",
					   "flushes_outside", "append_errors",
					   "walk_mismatches" };
	char *path = path_in(r, "tracer-stats.json");
	struct torn_json *m = NULL;
	gchar *text = NULL;
	gsize len;
	size_t i;

	/* optional: older runs and hand-made fixtures have none */
	if (!g_file_get_contents(path, &text, &len, NULL))
		goto out;
	if (torn_json_parse(text, len, &m, NULL)) {
		report_note(r, "%s: not valid JSON; ignored", path);
		goto out;
	}
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		uint64_t v;

		if (!torn_json_get_member_uint64(m, bad[i], &v) && v)
			report_note(r,
				    "tracer: %s = %" PRIu64
				    " (tracer-stats.json)",
				    bad[i], v);
	}
out:
	torn_json_free(m);
	g_free(text);
	g_free(path);
}

/* ---- check.json: the enumeration options torn check used ------------ */

static void load_check_options(struct loader *ld)
{
	struct torn_report *r = ld->r;
	char *path = path_in(r, TORN_RUN_CHECK);
	struct torn_err err = { "" };
	struct torn_run_check c;
	int ret;

	ld->check_store_every = 1;
	ret = torn_run_check_read(r->dir, &c, &err);
	/* optional: checks before it was written have none */
	if (ret == -ENOENT)
		goto out;
	if (ret) {
		report_note(r, "%s; ignored", err.msg);
		goto out;
	}
	if (c.model[0] && torn_model_parse(c.model, &ld->check_model, NULL))
		report_note(r, "%s: unknown model; ignored", path);
	if (c.granularity[0] &&
	    torn_granularity_parse(c.granularity, &ld->check_granularity, NULL))
		report_note(r, "%s: unknown granularity; ignored", path);
	ld->check_from_op = c.from_op;
	ld->check_shard_index = (uint32_t)c.shard_index;
	ld->check_shard_count = (uint32_t)c.shard_count;
	if (c.shard_count)
		report_note(
			r,
			"%s: shard %" PRIu64 " of %" PRIu64
			": the verdicts of this shard's states only; torn merge "
			"joins the shards",
			path, c.shard_index, c.shard_count);
	g_strlcpy(ld->check_engines, c.engines, sizeof(ld->check_engines));
	g_strlcpy(r->engines_used, c.engines, sizeof(r->engines_used));
	if (c.points[0] && torn_points_parse(c.points, &ld->check_points,
					     &ld->check_store_every, NULL)) {
		ld->check_points = 0;
		ld->check_store_every = 1;
		report_note(r, "%s: unknown points; ignored", path);
	}
out:
	g_free(path);
}

/* ---- trace.torn ------------------------------------------------------- */

static size_t bucket_of(const struct torn_report *r, uint64_t rec)
{
	uint64_t n = r->records ? r->records : 1;

	if (rec >= n)
		return r->n_buckets - 1;
	return (size_t)((unsigned __int128)rec * r->n_buckets / n);
}

static void load_trace(struct loader *ld)
{
	struct torn_report *r = ld->r;
	char *path = path_in(r, "trace.torn");
	struct torn_err err = { "" };
	const struct torn_record *recs;
	struct torn_trace_stats st = { 0 };
	struct torn_stepper *model = NULL;
	struct torn_err serr = { "" };
	size_t i, nb, k;
	int ret;

	ret = torn_trace_load(path, &ld->trace, &err);
	if (ret) {
		report_note(
			r,
			"%s: %s; no timeline, no crash point kinds, no dedup "
			"figures",
			path, ret == -ENOENT ? "missing" : err.msg);
		g_free(path);
		return;
	}
	g_free(path);
	r->has_trace = true;
	r->eadr =
		torn_trace_get_header(ld->trace)->cpu_features & TORN_CPU_EADR;
	r->records = torn_trace_get_count(ld->trace);
	recs = torn_trace_get_records(ld->trace);
	if (!torn_trace_get_stats(ld->trace, &st)) {
		for (k = 0; k < G_N_ELEMENTS(r->by_kind) && k <= TORN_REC_END;
		     k++)
			r->by_kind[k] = st.records[k];
		r->lines_touched = st.lines_touched;
	}
	if (st.records[TORN_REC_UNRESOLVED])
		report_note(
			r,
			"trace: %" PRIu64
			" flushes the tracer could not translate (unresolved): "
			"their lines stay in flight",
			st.records[TORN_REC_UNRESOLVED]);
	r->marks = calloc(st.records[TORN_REC_MARK] + 1, sizeof(*r->marks));
	nb = ld->o->timeline_buckets ? ld->o->timeline_buckets
				     : TORN_REPORT_BUCKETS;
	if (nb > r->records)
		nb = r->records ? r->records : 1;
	r->buckets = calloc(nb, sizeof(*r->buckets));
	if (!r->marks || !r->buckets) {
		report_note(r, "out of memory for the timeline");
		return;
	}
	r->n_buckets = nb;
	for (k = 0; k < nb; k++)
		r->buckets[k].first = UINT64_MAX;
	/*
	 * The in-flight timeline is the model itself (injectors/stepper.h),
	 * under the model the check used when check.json says so.
	 */
	if (torn_stepper_new(&model, ld->trace, NULL,
			     torn_trace_get_header(ld->trace)->pm_size,
			     ld->check_model ? ld->check_model
					     : TORN_MODEL_AUTO,
			     &serr)) {
		report_note(r, "trace: %s; no in-flight timeline", serr.msg);
		model = NULL;
	}
	/* the span of the stores, for the stores-by-address lane */
	r->store_lo = UINT64_MAX;
	for (i = 0; i < r->records; i++)
		if (recs[i].kind == TORN_REC_STORE ||
		    recs[i].kind == TORN_REC_NT_STORE) {
			if (recs[i].offset < r->store_lo)
				r->store_lo = recs[i].offset;
			if (recs[i].offset + recs[i].size > r->store_hi)
				r->store_hi = recs[i].offset + recs[i].size;
		}
	if (r->store_lo >= r->store_hi)
		r->store_lo = r->store_hi = 0;
	for (i = 0; i < r->records; i++) {
		const struct torn_record *rec = &recs[i];
		struct torn_report_bucket *b = &r->buckets[bucket_of(r, i)];

		if (b->first == UINT64_MAX)
			b->first = i;
		b->end = i + 1;
		switch (rec->kind) {
		case TORN_REC_STORE:
		case TORN_REC_NT_STORE:
			if (rec->kind == TORN_REC_STORE)
				b->stores++;
			else
				b->nt_stores++;
			b->kernel_stores += !!(rec->flags & TORN_REC_F_KERNEL);
			{
				size_t bin =
					(size_t)((rec->offset - r->store_lo) *
						 TORN_REPORT_ADDR_BINS /
						 (r->store_hi - r->store_lo));

				if (b->addr[bin] < UINT16_MAX)
					b->addr[bin]++;
				if ((rec->flags & TORN_REC_F_KERNEL) &&
				    b->addr_kernel[bin] < UINT16_MAX)
					b->addr_kernel[bin]++;
			}
			break;
		case TORN_REC_FLUSH:
			b->flushes++;
			break;
		case TORN_REC_UNRESOLVED:
			b->unresolved++;
			break;
		case TORN_REC_FENCE:
			b->fences++;
			break;
		case TORN_REC_MARK: {
			struct torn_report_mark *m = &r->marks[r->n_marks++];

			b->marks++;
			m->record = i;
			m->id = rec->mark_id;
			m->arg = rec->arg;
			copy_str(m->text, sizeof(m->text),
				 (const char *)rec->data, rec->size);
			break;
		}
		}
		if (model && torn_stepper_step(model) < 0) {
			report_note(
				r,
				"trace: %s; the in-flight timeline stops at record %zu",
				torn_stepper_error(model), i);
			torn_stepper_free(model);
			model = NULL;
		}
		if (model &&
		    torn_stepper_inflight_lines(model) > b->max_inflight_lines)
			b->max_inflight_lines =
				torn_stepper_inflight_lines(model);
	}
	/* an empty trace still has its end */
	if (r->buckets[nb - 1].first == UINT64_MAX)
		r->buckets[nb - 1].first = r->buckets[nb - 1].end = r->records;
	torn_stepper_free(model);
}

/* The last marker before record seq, or -1. */
static long last_mark_before(const struct torn_report *r, uint64_t seq)
{
	size_t lo = 0, hi = r->n_marks;

	/* first mark at or after seq */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->marks[mid].record < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* ---- verdicts.jsonl --------------------------------------------------- */

static struct torn_report_point *point_get(struct loader *ld, uint64_t seq)
{
	gpointer key = GSIZE_TO_POINTER((gsize)seq + 1);
	guint i = GPOINTER_TO_UINT(g_hash_table_lookup(ld->point_idx, key));

	if (!i) {
		struct torn_report_point p = { .seq = seq, .last_mark = -1 };

		g_array_append_val(ld->points, p);
		i = ld->points->len;
		g_hash_table_insert(ld->point_idx, key, GUINT_TO_POINTER(i));
	}
	return &g_array_index(ld->points, struct torn_report_point, i - 1);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* check writes image_hash as hi then lo, 16 hex digits each */
static bool parse_image_hash(const char *s, struct torn_hash128 *h)
{
	size_t i;

	if (strlen(s) != 32)
		return false;
	h->hi = h->lo = 0;
	for (i = 0; i < 16; i++) {
		if (hex_value(s[i]) < 0 || hex_value(s[16 + i]) < 0)
			return false;
		h->hi = h->hi << 4 | (uint64_t)hex_value(s[i]);
		h->lo = h->lo << 4 | (uint64_t)hex_value(s[16 + i]);
	}
	return true;
}

static struct torn_report_oracle *oracle_get(struct loader *ld,
					     const char *name)
{
	struct torn_report *r = ld->r;
	size_t i;

	for (i = 0; i < r->n_oracles; i++)
		if (!strcmp(r->oracles[i].name, name))
			return &r->oracles[i];
	/* lib/rundir takes only the TORN_O_COUNT oracles there are */
	if (r->n_oracles == TORN_REPORT_ORACLES_MAX)
		return NULL;
	snprintf(r->oracles[r->n_oracles].name, TORN_REPORT_NAME_MAX, "%s",
		 name);
	return &r->oracles[r->n_oracles++];
}

static struct torn_report_engine *engine_get(struct loader *ld,
					     const char *name)
{
	struct torn_report *r = ld->r;
	size_t i;

	for (i = 0; i < r->n_engines; i++)
		if (!strcmp(r->engines[i].name, name))
			return &r->engines[i];
	if (r->n_engines == G_N_ELEMENTS(r->engines)) {
		if (!ld->noted_engines)
			report_note(
				r,
				"verdicts.jsonl names more than %zu engines; the "
				"others are not counted",
				G_N_ELEMENTS(r->engines));
		ld->noted_engines = true;
		return NULL;
	}
	snprintf(r->engines[r->n_engines].name, TORN_REPORT_NAME_MAX, "%s",
		 name);
	return &r->engines[r->n_engines++];
}

static void failure_free(struct torn_report_failure *f)
{
	size_t i;

	for (i = 0; i < f->n_results; i++)
		free(f->results[i].detail);
	free(f->results);
	free(f->failed);
	free(f->error);
	g_free(f->writes);
}

static char *dup_capped(const char *s, size_t len, size_t *out_len)
{
	char *d;

	if (len > TORN_REPORT_DETAIL_MAX)
		len = TORN_REPORT_DETAIL_MAX;
	d = malloc(len + 1);
	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	if (out_len)
		*out_len = len;
	return d;
}

/*
 * Whether v's state id is the canonical form of its engine (the only
 * form torn replay rebuilds); the engine's canonical name into eng.
 */
static bool id_canonical(const struct torn_verdict_rec *v, char *eng,
			 size_t size)
{
	struct torn_engine engine;
	uint64_t point, index;
	char canon[128];

	if (torn_state_id_parse(v->state, &point, &engine, &index, NULL))
		return false;
	torn_engine_format(&engine, eng, size);
	snprintf(canon, sizeof(canon), "%" PRIu64 ".%s.%" PRIu64, point, eng,
		 index);
	return !strcmp(canon, v->state);
}

/* v's known finding: recorded, or matched again (torn_report_opts.known). */
static void known_of(const struct loader *ld, const struct torn_verdict_rec *v,
		     char *id, size_t len)
{
	const struct torn_known *k = ld->o ? ld->o->known : NULL;
	struct torn_finding_info info;
	int i;

	snprintf(id, len, "%s", k ? "" : v->known);
	if (!k)
		return;
	i = torn_known_match(k, ld->r->fs, v->verdict, v->oracles);
	if (i < 0)
		return;
	torn_known_info(k, (size_t)i, &info);
	snprintf(id, len, "%s", info.id);
}

/* One more state of known finding id; past the table's room, "other". */
static void known_count(struct torn_report *r, const char *id)
{
	size_t i;

	r->known++;
	for (i = 0; i < r->n_known; i++)
		if (!strcmp(r->known_ids[i].id, id))
			break;
	if (i == r->n_known) {
		if (i == TORN_REPORT_KNOWN_MAX)
			snprintf(r->known_ids[--i].id,
				 sizeof(r->known_ids[i].id), "other");
		else
			snprintf(r->known_ids[r->n_known++].id,
				 sizeof(r->known_ids[i].id), "%s", id);
	}
	r->known_ids[i].states++;
}

static int by_states(const void *a, const void *b)
{
	const struct torn_report_known *x = a, *y = b;

	return x->states < y->states ? 1 : x->states > y->states ? -1 : 0;
}

/*
 * Most states first, with titles: from the findings matched again, else
 * the stock ones'.
 */
static void known_finish(struct torn_report *r,
			 const struct torn_report_opts *o)
{
	const char *stock = torn_known_builtin("stock");
	struct torn_known *own = NULL;
	const struct torn_known *k = o ? o->known : NULL;
	struct torn_err err = { "" };
	size_t i;

	r->strict = o && o->strict;
	if (!r->n_known)
		return;
	qsort(r->known_ids, r->n_known, sizeof(r->known_ids[0]), by_states);
	if (!k) {
		own = torn_known_new();
		if (own && stock &&
		    !torn_known_add(own, "stock", stock, strlen(stock), &err))
			k = own;
	}
	if (k)
		for (i = 0; i < r->n_known; i++) {
			struct torn_report_known *kn = &r->known_ids[i];
			int j = torn_known_find(k, kn->id);
			struct torn_finding_info info;

			if (j < 0)
				continue;
			torn_known_info(k, (size_t)j, &info);
			snprintf(kn->title, sizeof(kn->title), "%s",
				 info.title);
			snprintf(kn->doc, sizeof(kn->doc), "%s", info.doc);
		}
	torn_known_free(own);
}

/* The failure record's owned parts, for a state that is not consistent. */
static int failure_fill(const struct torn_verdict_rec *v,
			struct torn_report_failure *f)
{
	size_t n = 0;
	int o;

	for (o = 0; o < TORN_O_COUNT; o++)
		n += v->oracles[o].ran;
	f->failed = calloc(n ? n : 1, sizeof(*f->failed));
	f->results = calloc(n ? n : 1, sizeof(*f->results));
	if (!f->failed || !f->results)
		return -ENOMEM;
	for (o = 0; o < TORN_O_COUNT; o++) {
		const struct torn_oracle_result *in = &v->oracles[o];
		struct torn_report_result *res;

		if (!in->ran)
			continue;
		res = &f->results[f->n_results++];
		snprintf(res->name, sizeof(res->name), "%s",
			 torn_oracle_name(o));
		res->ok = in->ok;
		if (!in->ok)
			snprintf(f->failed[f->n_failed++], TORN_REPORT_NAME_MAX,
				 "%s", torn_oracle_name(o));
		if (in->detail[0]) {
			res->detail = dup_capped(in->detail, strlen(in->detail),
						 &res->detail_len);
			if (!res->detail)
				return -ENOMEM;
		}
	}
	if (v->error[0]) {
		f->error =
			dup_capped(v->error, strlen(v->error), &f->error_len);
		if (!f->error)
			return -ENOMEM;
	}
	return 0;
}

/* A marker as the report keeps it: -1 when absent or past int64. */
static int64_t marker(const struct torn_verdict_rec *v, uint64_t m)
{
	return v->no_markers || m > INT64_MAX ? -1 : (int64_t)m;
}

/* The first pass: every state's last line (a later one replaces it). */
static int note_last(const struct torn_verdict_rec *v, void *ctx)
{
	struct loader *ld = ctx;

	g_hash_table_insert(ld->last, g_strdup(v->state),
			    g_memdup2(&v->line, sizeof(v->line)));
	return 0;
}

/* Whether v is its state's verdict: the state's last readable line. */
static bool is_last_verdict(struct loader *ld, const struct torn_verdict_rec *v)
{
	const uint64_t *line = g_hash_table_lookup(ld->last, v->state);

	return !line || *line == v->line;
}

/* One verdict lib/rundir read (torn_verdicts_foreach); always 0. */
static int add_verdict(const struct torn_verdict_rec *v, void *ctx)
{
	struct loader *ld = ctx;
	struct torn_report *r = ld->r;
	struct torn_report_failure f = { .line = v->line };
	struct torn_report_engine *eng;
	struct torn_report_point *pt;
	struct vstate vs = { 0 };
	uint64_t restore_ms, check_ms;
	int o;

	if (!id_canonical(v, f.engine, sizeof(f.engine))) {
		r->bad_lines++;
		if (!ld->first_bad_line) {
			ld->first_bad_line = v->line;
			snprintf(ld->first_bad, sizeof(ld->first_bad),
				 TORN_RUN_VERDICTS
				 " line %" PRIu64
				 ": state %s is not in the canonical form of "
				 "its engine",
				 v->line, v->state);
		}
		return 0;
	}
	/* a state checked again (--resume retries errors): the last line */
	if (!is_last_verdict(ld, v) ||
	    g_hash_table_contains(ld->ids, v->state)) {
		r->duplicates++;
		return 0;
	}
	snprintf(f.id, sizeof(f.id), "%s", v->state);
	f.point = v->point;
	f.index = v->index;
	f.verdict = v->verdict;
	snprintf(f.image_hash, sizeof(f.image_hash), "%s", v->image_hash);
	snprintf(f.semantic_hash, sizeof(f.semantic_hash), "%s",
		 v->semantic_hash);
	f.last_op_begin = marker(v, v->last_op_begin);
	f.last_op_end = marker(v, v->last_op_end);
	f.last_durable = marker(v, v->last_durable);
	f.attempts = (uint64_t)v->attempts;
	restore_ms = v->ms_restore > 0 ? (uint64_t)v->ms_restore : 0;
	check_ms = v->ms_check > 0 ? (uint64_t)v->ms_check : 0;

	vs.id = g_strdup(f.id);
	vs.point = f.point;
	vs.has_hash = parse_image_hash(f.image_hash, &vs.hash);
	g_array_append_val(ld->vstates, vs);
	g_hash_table_insert(ld->ids, (gpointer)vs.id,
			    GUINT_TO_POINTER(ld->vstates->len));
	r->states++;
	r->by_verdict[f.verdict]++;
	r->restore_ms += restore_ms;
	r->check_ms += check_ms;
	r->retried += f.attempts > 1;
	if (v->at_ms > 0 && (uint64_t)v->at_ms > ld->max_at_ms)
		ld->max_at_ms = (uint64_t)v->at_ms;
	if (v->checker >= 0) {
		gpointer key = GSIZE_TO_POINTER((gsize)v->checker + 1);
		uint64_t *busy = g_hash_table_lookup(ld->checkers, key);

		if (!busy) {
			busy = g_new0(uint64_t, 1);
			g_hash_table_insert(ld->checkers, key, busy);
		}
		*busy += restore_ms + check_ms;
		if (*busy > r->check_busy_ms)
			r->check_busy_ms = *busy;
	}
	if (f.semantic_hash[0] &&
	    !g_hash_table_contains(ld->semantic, f.semantic_hash))
		g_hash_table_add(ld->semantic, g_strdup(f.semantic_hash));
	for (o = 0; o < TORN_O_COUNT; o++) {
		struct torn_report_oracle *ro;

		if (!v->oracles[o].ran)
			continue;
		ro = oracle_get(ld, torn_oracle_name(o));
		if (!ro)
			continue;
		ro->ran++;
		ro->failed += !v->oracles[o].ok;
	}
	eng = engine_get(ld, f.engine);
	pt = point_get(ld, f.point);
	pt->checked++;
	pt->by_verdict[f.verdict]++;
	if (eng)
		eng->checked++;
	if (f.verdict == TORN_V_CONSISTENT)
		return 0;
	r->failing++;
	pt->failing++;
	if (eng)
		eng->failing++;
	known_of(ld, v, f.known, sizeof(f.known));
	if (f.known[0])
		known_count(r, f.known);
	if (failure_fill(v, &f)) {
		report_note(r, "out of memory keeping failing state %s", f.id);
		failure_free(&f);
		return 0;
	}
	g_array_append_val(ld->failures, f);
	return 0;
}

static int load_verdicts(struct loader *ld, struct torn_err *err)
{
	struct torn_report *r = ld->r;
	char *path = path_in(r, TORN_RUN_VERDICTS);
	struct torn_verdicts_stats st;
	struct statx stx;
	const char *first;
	int ret;

	/* a state's last verdict is its own: find them, then read them */
	ret = torn_verdicts_foreach(r->dir, note_last, ld, &st, err);
	if (!ret)
		ret = torn_verdicts_foreach(r->dir, add_verdict, ld, &st, err);
	if (ret == -ENOENT) {
		torn_err_set(err, TORN_E_NOTFOUND,
			     "%s: missing (no torn check of this run yet?)",
			     path);
		ret = TORN_E_NOTFOUND;
	}
	if (ret) {
		g_free(path);
		return ret;
	}
	r->lines = st.lines;
	r->bad_lines += st.unreadable + st.cut;
	/* how long checking took, from the file itself (includes boots) */
	r->check_wall_ms = -1;
	if (ld->max_at_ms) {
		/* check records when each verdict came, since it began */
		r->check_wall_ms = (int64_t)ld->max_at_ms;
		r->check_wall_from_verdicts = true;
	} else if (!statx(AT_FDCWD, path, 0, STATX_BTIME | STATX_MTIME, &stx) &&
		   (stx.stx_mask & STATX_BTIME) && r->states) {
		int64_t b = stx.stx_btime.tv_sec * 1000LL +
			    stx.stx_btime.tv_nsec / 1000000;
		int64_t m = stx.stx_mtime.tv_sec * 1000LL +
			    stx.stx_mtime.tv_nsec / 1000000;

		/* a copied file has new times: they must cover the work */
		if (m >= b && (uint64_t)(m - b) >= r->check_busy_ms)
			r->check_wall_ms = m - b;
	}
	/* the first reason, whichever of lib/rundir and the ids found it */
	first = st.first_bad_line && (!ld->first_bad_line ||
				      st.first_bad_line < ld->first_bad_line)
			? st.first_bad
		: ld->first_bad_line ? ld->first_bad
				     : NULL;
	if (r->bad_lines)
		report_note(r,
			    "%s: %" PRIu64
			    " corrupt or cut-short line(s) skipped%s%s%s",
			    path, r->bad_lines, first ? " (first: " : "",
			    first ? first : "", first ? ")" : "");
	if (r->duplicates)
		report_note(
			r,
			"%s: %" PRIu64
			" verdict(s) for a state checked again; the last kept",
			path, r->duplicates);
	g_free(path);
	return 0;
}

/* ---- the enumeration, again ------------------------------------------ */

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static bool rec_is_store(const struct torn_record *rec)
{
	return rec->kind == TORN_REC_STORE || rec->kind == TORN_REC_NT_STORE;
}

/*
 * For checks that did not record their --points in check.json: take the
 * kinds of the records its verdicts' points sit before (points are sorted
 * by seq here).
 */
static void infer_points(struct loader *ld, unsigned int *points,
			 uint64_t *store_every)
{
	struct torn_report *r = ld->r;
	const struct torn_record *recs = torn_trace_get_records(ld->trace);
	uint64_t stores = 0, pos = 0, g = 0;
	size_t i;

	*points = 0;
	for (i = 0; i < r->n_points; i++) {
		uint64_t seq = r->points[i].seq;

		if (!r->points[i].checked)
			continue;
		for (; pos < seq && pos < r->records; pos++)
			stores += rec_is_store(&recs[pos]);
		if (seq >= r->records)
			continue; /* the end is always a point */
		switch (recs[seq].kind) {
		case TORN_REC_FENCE:
			*points |= TORN_POINTS_FENCE;
			continue;
		case TORN_REC_FLUSH:
		case TORN_REC_UNRESOLVED:
			/* fence points include clflushes (model.h) */
			*points |=
				recs[seq].sub == TORN_FLUSH_CLFLUSH &&
						recs[seq].kind == TORN_REC_FLUSH
					? TORN_POINTS_FENCE
					: TORN_POINTS_FLUSH;
			continue;
		case TORN_REC_MARK:
			*points |= TORN_POINTS_MARKER;
			continue;
		}
		if (seq > 0 && rec_is_store(&recs[seq - 1])) {
			*points |= TORN_POINTS_STORE;
			g = gcd64(g, stores);
		} else {
			*points |= TORN_POINTS_ALL;
		}
	}
	if (!*points)
		*points = TORN_POINTS_FENCE;
	*store_every = g ? g : 1;
}

static void points_text(unsigned int points, uint64_t every, char *buf,
			size_t size)
{
	GString *s = g_string_new(NULL);

	if (points & TORN_POINTS_ALL)
		g_string_append(s, "all");
	if (points & TORN_POINTS_FENCE)
		g_string_append(s, s->len ? ",fence" : "fence");
	if (points & TORN_POINTS_FLUSH)
		g_string_append(s, s->len ? ",flush" : "flush");
	if (points & TORN_POINTS_MARKER)
		g_string_append(s, s->len ? ",marker" : "marker");
	if (points & TORN_POINTS_STORE)
		g_string_append_printf(s, "%sstore:%" PRIu64, s->len ? "," : "",
				       every);
	snprintf(buf, size, "%s", s->str);
	g_string_free(s, TRUE);
}

struct enum_result {
	uint64_t points, generated, unique, matched, mismatched, missing;
	bool partial;
	uint64_t engine_generated[TORN_ENGINES_MAX];
	uint64_t engine_unique[TORN_ENGINES_MAX];
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Mark the verdict of state cs, if there is one, matched or not. */
static void match_verdict(struct loader *ld, const struct torn_crash_state *cs,
			  const char *engine)
{
	struct vstate *vs;
	char id[128];
	guint vi;

	snprintf(id, sizeof(id), "%" PRIu64 ".%s.%" PRIu64, cs->point, engine,
		 cs->index);
	vi = GPOINTER_TO_UINT(g_hash_table_lookup(ld->ids, id));
	if (!vi)
		return;
	vs = &g_array_index(ld->vstates, struct vstate, vi - 1);
	vs->match = vs->has_hash && torn_hash_eq(&vs->hash, &cs->hash) ? 1 : 2;
}

/*
 * One pass of the enumerator with o; per-point figures go into the
 * points when fill is set.  Every state is yielded (no dedup in the
 * enumerator), so whatever order the check's engines were in, the
 * unique count and the matching of ids are the same.
 */
static int enumerate_once(struct loader *ld, const void *base,
			  const struct torn_states_opts *o, bool fill,
			  struct enum_result *res, struct torn_err *err)
{
	long long deadline = mono_ms() + (ld->o->enum_budget_ms
						  ? ld->o->enum_budget_ms
						  : TORN_REPORT_ENUM_BUDGET_MS);
	struct torn_state_set *seen = NULL;
	struct torn_states *s = NULL;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	char eng_names[TORN_ENGINES_MAX][TORN_REPORT_NAME_MAX];
	const struct torn_record *recs = torn_trace_get_records(ld->trace);
	uint64_t pos = 0, nmarks = 0;
	unsigned int e;
	guint i;
	int ret;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < ld->vstates->len; i++)
		g_array_index(ld->vstates, struct vstate, i).match = 0;
	for (e = 0; e < o->n_engines; e++)
		torn_engine_format(&o->engines[e], eng_names[e],
				   sizeof(eng_names[e]));
	ret = torn_state_set_new(&seen);
	if (!ret)
		ret = torn_states_new(&s, ld->trace, base,
				      torn_trace_get_header(ld->trace)->pm_size,
				      o, err);
	while (!ret && (ret = torn_states_next_point(s, &pt)) == 1) {
		struct torn_report_point *p = NULL;
		bool checked;
		uint64_t unique = 0;
		guint pi = GPOINTER_TO_UINT(g_hash_table_lookup(
			ld->point_idx, GSIZE_TO_POINTER((gsize)pt.seq + 1)));

		ret = 0;
		res->points++;
		checked = pi && g_array_index(ld->points,
					      struct torn_report_point, pi - 1)
					.checked;
		if (fill)
			p = point_get(ld, pt.seq);
		/* unique as torn check counts them: image and markers before */
		for (; pos < pt.seq && pos < ld->r->records; pos++)
			nmarks += recs[pos].kind == TORN_REC_MARK;
		while ((ret = torn_states_next_state(s, &cs)) == 1) {
			struct torn_hash128 key =
				torn_state_context_key(cs.hash, nmarks);

			if (!(++res->generated & 4095) &&
			    mono_ms() > deadline) {
				res->partial = true;
				break;
			}
			res->engine_generated[cs.engine_idx]++;
			ret = torn_state_set_add(seen, &key);
			if (ret < 0)
				break;
			if (ret == 1 &&
			    torn_state_shard(key, ld->check_shard_count) ==
				    ld->check_shard_index) {
				unique++;
				res->engine_unique[cs.engine_idx]++;
			}
			ret = 0;
			if (checked)
				match_verdict(ld, &cs,
					      eng_names[cs.engine_idx]);
		}
		if (ret < 0)
			break;
		res->unique += unique;
		if (res->partial) {
			ret = 0;
			break;
		}
		if (p) {
			p->enumerated = true;
			p->generated = pt.states;
			p->unique = unique;
			p->inflight_writes = pt.inflight_writes;
			p->inflight_lines = pt.inflight_lines;
		}
	}
	if (ret < 0 && s && !err->msg[0])
		torn_err_set(err, ret, "%s",
			     torn_states_get_error(s)[0]
				     ? torn_states_get_error(s)
				     : torn_strerror(ret));
	for (i = 0; i < ld->vstates->len; i++) {
		uint8_t m = g_array_index(ld->vstates, struct vstate, i).match;

		res->matched += m == 1;
		res->mismatched += m == 2;
		res->missing += m == 0;
	}
	torn_states_free(s);
	torn_state_set_free(seen);
	return ret < 0 ? ret : 0;
}

/*
 * How many of a few verdicts (spread over the file) the enumerator with
 * o gives with their image hash: one crash point each (only_point), so
 * trying options costs little next to a whole pass.
 */
static unsigned int sample_matches(struct loader *ld, const void *base,
				   const struct torn_states_opts *o,
				   unsigned int *tried)
{
	unsigned int k, matched = 0;
	guint n = ld->vstates->len;

	*tried = 0;
	for (k = 0; k < 4 && k < n; k++) {
		const struct vstate *vs =
			&g_array_index(ld->vstates, struct vstate,
				       (guint)((uint64_t)n * k / 4));
		struct torn_states_opts one = *o;
		struct torn_states *s = NULL;
		struct torn_crash_point pt;
		struct torn_crash_state cs;
		struct torn_engine e;
		uint64_t point, index;
		unsigned int i;

		if (!vs->has_hash || vs->point > ld->r->records ||
		    torn_state_id_parse(vs->id, &point, &e, &index, NULL))
			continue;
		for (i = 0; i < o->n_engines; i++)
			if (o->engines[i].kind == e.kind &&
			    o->engines[i].n == e.n &&
			    o->engines[i].seed == e.seed)
				break;
		if (i == o->n_engines)
			continue;
		one.only_point = vs->point;
		one.dedup = NULL;
		++*tried;
		if (torn_states_new(&s, ld->trace, base,
				    torn_trace_get_header(ld->trace)->pm_size,
				    &one, NULL))
			continue;
		if (torn_states_next_point(s, &pt) == 1)
			while (torn_states_next_state(s, &cs) == 1)
				if (cs.engine_idx == i && cs.index == index) {
					matched += torn_hash_eq(&cs.hash,
								&vs->hash);
					break;
				}
		torn_states_free(s);
	}
	return matched;
}

static void *map_base(struct torn_report *r, size_t size)
{
	char *path = path_in(r, "base.img");
	struct stat st;
	void *p = MAP_FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		report_note(r, "%s: %s; no dedup figures", path,
			    errno == ENOENT ? "missing" : strerror(errno));
	} else if (fstat(fd, &st) || (uint64_t)st.st_size != size) {
		report_note(r,
			    "%s: not the trace's %zu bytes; no dedup figures",
			    path, size);
	} else {
		p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			report_note(r, "%s: cannot map: %s; no dedup figures",
				    path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	g_free(path);
	return p == MAP_FAILED ? NULL : p;
}

static void enumerate(struct loader *ld)
{
	struct torn_report *r = ld->r;
	struct torn_states_opts o;
	struct enum_result res;
	struct torn_err err = { "" };
	size_t size, i;
	void *base;
	long long t0;
	char pts[64], from[48] = "";
	int ret;

	if (!ld->o->enumerate)
		return;
	r->enum_status = TORN_REPORT_ENUM_SKIPPED;
	if (!ld->trace)
		return;
	if (!r->n_engines && !r->states && ld->check_engines[0]) {
		/* no verdict at all: the engines check.json names */
		gchar **names = g_strsplit(ld->check_engines, ",", -1);

		for (i = 0; names[i]; i++)
			engine_get(ld, names[i]);
		g_strfreev(names);
	}
	if (!r->n_engines) {
		report_note(r, "no verdicts name an engine; no dedup figures");
		return;
	}
	if (ld->noted_engines)
		return;
	torn_states_opts_init(&o);
	o.n_engines = 0;
	for (i = 0; i < r->n_engines; i++)
		if (torn_engine_parse(r->engines[i].name,
				      &o.engines[o.n_engines++], &err)) {
			report_note(r, "engine '%s': %s; no dedup figures",
				    r->engines[i].name, err.msg);
			return;
		}
	if (ld->check_points) {
		o.points = ld->check_points;
		o.store_every = ld->check_store_every;
	} else {
		infer_points(ld, &o.points, &o.store_every);
	}
	size = torn_trace_get_header(ld->trace)->pm_size;
	base = map_base(r, size);
	if (!base)
		return;
	/*
	 * check.json says which model and granularity the check used; runs
	 * from before it was written do not: then when a sample of verdicts
	 * does not match line granularity, try torn.
	 */
	if (ld->check_model)
		o.model = ld->check_model;
	if (ld->check_granularity) {
		o.granularity = ld->check_granularity;
	} else {
		struct torn_states_opts o2 = o;
		unsigned int tried, tried2, m, m2;

		m = sample_matches(ld, base, &o, &tried);
		if (m < tried) {
			o2.granularity = TORN_GRAN_TORN;
			m2 = sample_matches(ld, base, &o2, &tried2);
			if (m2 > m)
				o = o2;
		}
	}
	t0 = mono_ms();
	ret = enumerate_once(ld, base, &o, true, &res, &err);
	r->enum_ms = (uint64_t)(mono_ms() - t0);
	if (!ret && ld->o->explain)
		report_explain(r, ld->trace, base, size, &o,
			       (struct torn_report_failure *)(void *)
				       ld->failures->data,
			       ld->failures->len);
	munmap(base, size);
	if (ret) {
		r->enum_status = TORN_REPORT_ENUM_FAILED;
		report_note(r, "enumerating the crash states again failed: %s",
			    err.msg);
		return;
	}
	r->enum_status = TORN_REPORT_ENUM_DONE;
	points_text(o.points, o.store_every, pts, sizeof(pts));
	if (ld->check_from_op)
		snprintf(from, sizeof(from), ", checked from op %" PRIu64,
			 ld->check_from_op);
	snprintf(r->enum_options, sizeof(r->enum_options),
		 "model %s, granularity %s, points %s%s",
		 torn_model_name(o.model   ? o.model
				 : r->eadr ? TORN_MODEL_EADR
					   : TORN_MODEL_ADR),
		 torn_granularity_name(o.granularity), pts, from);
	r->enum_points = res.points;
	r->enum_generated = res.generated;
	r->enum_unique = res.unique;
	r->enum_matched = res.matched;
	r->enum_mismatched = res.mismatched;
	r->enum_missing = res.missing;
	r->enum_partial = res.partial;
	if (res.partial)
		report_note(
			r,
			"enumerating the crash states again stopped after %.0f s, "
			"at %" PRIu64 " states: the dedup figures are partial "
			"(torn report --no-enumerate skips them)",
			r->enum_ms / 1000.0, res.generated);
	for (i = 0; i < r->n_engines; i++) {
		r->engines[i].generated = res.engine_generated[i];
		r->engines[i].unique = res.engine_unique[i];
	}
	if ((res.mismatched || res.missing) && !res.partial)
		report_note(
			r,
			"%" PRIu64 " verdict(s) do not match the states "
			"enumerated again with %s (%" PRIu64
			" with another image, %" PRIu64
			" not found): the check used other options (its --points "
			"are inferred from the verdicts), or the run directory "
			"changed since",
			res.mismatched + res.missing, r->enum_options,
			res.mismatched, res.missing);
}

/* ---- the whole run ---------------------------------------------------- */

static int cmp_point(const void *a, const void *b)
{
	const struct torn_report_point *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_hash(const void *a, const void *b)
{
	const struct torn_hash128 *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void count_images(struct loader *ld)
{
	struct torn_hash128 *h = malloc((ld->vstates->len + 1) * sizeof(*h));
	size_t n = 0, i, distinct = 0;

	if (!h)
		return;
	for (i = 0; i < ld->vstates->len; i++) {
		const struct vstate *vs =
			&g_array_index(ld->vstates, struct vstate, i);

		if (vs->has_hash)
			h[n++] = vs->hash;
	}
	if (n)
		qsort(h, n, sizeof(*h), cmp_hash);
	for (i = 0; i < n; i++)
		distinct += !i || cmp_hash(&h[i - 1], &h[i]);
	ld->r->unique_images = distinct;
	free(h);
}

/* Sort the points and re-index them (after anything that adds points). */
static void sort_points(struct loader *ld)
{
	guint i;

	if (ld->points->len)
		qsort(ld->points->data, ld->points->len,
		      sizeof(struct torn_report_point), cmp_point);
	g_hash_table_remove_all(ld->point_idx);
	for (i = 0; i < ld->points->len; i++)
		g_hash_table_insert(
			ld->point_idx,
			GSIZE_TO_POINTER(
				(gsize)g_array_index(
					ld->points, struct torn_report_point, i)
					.seq +
				1),
			GUINT_TO_POINTER(i + 1));
	ld->r->points = (struct torn_report_point *)(void *)ld->points->data;
	ld->r->n_points = ld->points->len;
}

static void finish_points(struct loader *ld)
{
	struct torn_report *r = ld->r;
	const struct torn_record *recs =
		ld->trace ? torn_trace_get_records(ld->trace) : NULL;
	size_t i;

	for (i = 0; i < r->n_points; i++) {
		struct torn_report_point *p = &r->points[i];

		if (recs) {
			if (p->seq < r->records) {
				p->kind = recs[p->seq].kind;
				p->sub = recs[p->seq].sub;
			} else {
				p->kind = TORN_REC_END;
			}
			p->last_mark = last_mark_before(r, p->seq);
			if (p->seq > r->records)
				report_note(r,
					    "verdicts name crash point %" PRIu64
					    ", past the trace's %" PRIu64
					    " records",
					    p->seq, r->records);
		}
		if (r->n_buckets) {
			struct torn_report_bucket *b =
				&r->buckets[bucket_of(r, p->seq)];

			b->crash_points++;
			if (!p->checked)
				continue;
			b->points++;
			b->failing_points += p->failing > 0;
			b->failing_states += p->failing;
		}
	}
}

/*
 * Unique states enumerated, from the check's --from-op on, that got no
 * verdict.  The check dedups from its --from-op only, so it may check
 * more states there than the enumeration calls unique: the count can
 * err low, never high.
 */
static void count_unchecked(struct loader *ld)
{
	struct torn_report *r = ld->r;
	uint64_t from = 0, expected = 0;
	guint i;

	if (r->enum_status != TORN_REPORT_ENUM_DONE || r->enum_partial)
		return;
	for (i = 0; ld->check_from_op && i < r->n_marks; i++)
		if (r->marks[i].id == TORN_MARK_OP_BEGIN &&
		    r->marks[i].arg == ld->check_from_op) {
			from = r->marks[i].record;
			break;
		}
	for (i = 0; i < ld->points->len; i++) {
		const struct torn_report_point *p =
			&g_array_index(ld->points, struct torn_report_point, i);

		if (p->enumerated && p->seq >= from)
			expected += p->unique;
	}
	r->unchecked =
		expected > r->enum_matched ? expected - r->enum_matched : 0;
}

int torn_report_load(const char *dir, const struct torn_report_opts *o,
		     struct torn_report **out, struct torn_err *err)
{
	static const struct torn_report_opts defaults = { .enumerate = true };
	struct loader ld = { .o = o ? o : &defaults };
	struct torn_report *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return torn_err_set(err, -ENOMEM, "out of memory");
	ld.r = r;
	r->dir = g_strdup(dir);
	r->boot_ms = r->workload_ms = r->check_wall_ms = -1;
	ld.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ld.last =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ld.vstates = g_array_new(FALSE, FALSE, sizeof(struct vstate));
	ld.point_idx = g_hash_table_new(g_direct_hash, g_direct_equal);
	ld.points = g_array_new(FALSE, TRUE, sizeof(struct torn_report_point));
	ld.semantic =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ld.checkers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					    g_free);
	ld.failures =
		g_array_new(FALSE, TRUE, sizeof(struct torn_report_failure));

	load_meta(r); /* first: the fs, for known findings matched again */
	ret = load_verdicts(&ld, err);
	if (ret)
		goto out;
	load_check_options(&ld);
	load_trace(&ld);
	load_tracer_stats(r);
	r->unique_semantic = g_hash_table_size(ld.semantic);
	r->checkers = g_hash_table_size(ld.checkers);
	count_images(&ld);
	sort_points(&ld);
	enumerate(&ld);
	count_unchecked(&ld);
	sort_points(&ld);
	finish_points(&ld);
	r->n_failures = ld.failures->len;
	known_finish(r, o);
	r->failures = (struct torn_report_failure *)(void *)g_array_free(
		ld.failures, FALSE);
	ld.failures = NULL;
	r->points = (struct torn_report_point *)(void *)g_array_free(ld.points,
								     FALSE);
	ld.points = NULL;
out:
	if (ld.failures) {
		guint i;

		for (i = 0; i < ld.failures->len; i++)
			failure_free(&g_array_index(
				ld.failures, struct torn_report_failure, i));
		g_array_free(ld.failures, TRUE);
	}
	if (ld.points)
		g_array_free(ld.points, TRUE);
	g_hash_table_destroy(ld.ids);
	g_hash_table_destroy(ld.last);
	g_array_free(ld.vstates, TRUE);
	g_hash_table_destroy(ld.point_idx);
	g_hash_table_destroy(ld.semantic);
	g_hash_table_destroy(ld.checkers);
	torn_trace_free(ld.trace);
	if (ret) {
		r->points = NULL;
		r->n_points = 0;
		torn_report_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void torn_report_free(struct torn_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_failures; i++)
		failure_free(&r->failures[i]);
	g_free(r->failures);
	g_free(r->points);
	free(r->marks);
	free(r->buckets);
	for (i = 0; i < r->n_notes; i++)
		g_free(r->notes[i]);
	free(r->notes);
	torn_report_diff_free(r->diff);
	g_free(r->dir);
	free(r);
}

const struct torn_report_point *
torn_report_find_point(const struct torn_report *r, uint64_t seq)
{
	size_t lo = 0, hi = r->n_points;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->points[mid].seq < seq)
			lo = mid + 1;
		else if (r->points[mid].seq > seq)
			hi = mid;
		else
			return &r->points[mid];
	}
	return NULL;
}

const char *torn_report_op_text(const struct torn_report *r, uint64_t op)
{
	size_t i;

	for (i = 0; i < r->n_marks; i++)
		if (r->marks[i].id == TORN_MARK_OP_BEGIN &&
		    r->marks[i].arg == op)
			return r->marks[i].text;
	return NULL;
}
