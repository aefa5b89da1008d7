/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The failing states' in-flight writes for the HTML cards: each state
 * rebuilt, the writes in flight at its point with the stepper, each one's
 * fate (torn_inflight_fates), its PC named through the run's symbols.
 * One stepper walks forward over the states sorted by crash point.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fsmap.h"
#include "report_int.h"
#include "run_syms.h"
#include "stepper.h"
#include "torn_fs.h"

struct collect {
	struct torn_inflight_write *v;
	size_t n, cap;
};

static int collect(const struct torn_inflight_write *w, void *ctx)
{
	struct collect *c = ctx;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->v = g_renew(struct torn_inflight_write, c->v, c->cap);
	}
	c->v[c->n++] = *w;
	return 0;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int by_point(const void *a, const void *b)
{
	const struct torn_report_failure *x =
		*(const struct torn_report_failure *const *)a;
	const struct torn_report_failure *y =
		*(const struct torn_report_failure *const *)b;

	return x->point < y->point ? -1 : x->point > y->point;
}

/* f's rows from the writes in flight c and their fates. */
static void rows(struct torn_report_failure *f, const struct collect *c,
		 const int *fate, const struct torn_record *recs,
		 const struct torn_syms *syms)
{
	size_t i;

	f->writes = g_new0(struct torn_report_write, TORN_REPORT_WRITES_MAX);
	for (i = 0; i < c->n; i++) {
		const struct torn_record *s = &recs[c->v[i].record];
		struct torn_report_write *w;

		if (fate[i] == TORN_FATE_SAME)
			continue;
		if (f->n_writes == TORN_REPORT_WRITES_MAX) {
			f->more_writes++;
			continue;
		}
		w = &f->writes[f->n_writes++];
		w->record = c->v[i].record;
		w->offset = c->v[i].offset;
		w->len = c->v[i].len;
		w->nt = c->v[i].nt;
		w->fate = fate[i];
		if (!s->pc ||
		    !torn_syms_where(syms, s->pc, w->where, sizeof(w->where)))
			snprintf(w->where, sizeof(w->where), "0x%" PRIx64,
				 s->pc);
	}
	f->explained = true;
}

/* What f's lines are in the filesystem (fsmap.h), into its rows. */
static void structures(struct torn_report_failure *f, const struct torn_fs *fs,
		       const uint8_t *full, struct torn_fsmap_final *final,
		       size_t size)
{
	uint64_t *lines = g_new(uint64_t, f->n_writes + 1);
	struct torn_fsmap m;
	size_t i, j, n = 0;

	for (i = 0; i < f->n_writes; i++)
		lines[n++] = f->writes[i].offset / 64;
	/* distinct lines: the writes come in program order */
	qsort(lines, n, sizeof(*lines), by_u64);
	for (i = j = 0; i < n; i++)
		if (!j || lines[j - 1] != lines[i])
			lines[j++] = lines[i];
	torn_fsmap_make(fs, full, final, size, lines, j, &m);
	for (i = 0; i < f->n_writes; i++) {
		uint64_t at = f->writes[i].offset / 64 * 64;

		for (j = 0; j < m.n; j++)
			if (m.rows[j].offset == at)
				snprintf(f->writes[i].what,
					 sizeof(f->writes[i].what), "%s",
					 m.rows[j].what);
		if (!m.n && m.header[0])
			snprintf(f->writes[i].what, sizeof(f->writes[i].what),
				 "%s", m.header);
	}
	torn_fsmap_fini(&m);
	g_free(lines);
}

void report_explain(struct torn_report *r, const struct torn_trace *t,
		    const uint8_t *base, size_t size,
		    const struct torn_states_opts *o,
		    struct torn_report_failure *f, size_t n)
{
	struct torn_report_failure **pick =
		g_new(struct torn_report_failure *, TORN_REPORT_EXPLAIN_MAX);
	const struct torn_record *recs = torn_trace_get_records(t);
	struct torn_stepper *st = NULL;
	struct torn_err err = { "" };
	struct torn_syms *syms = NULL;
	uint8_t *img = NULL, *persisted = NULL, *full = NULL;
	char *final_path = g_build_filename(r->dir, "final.img", NULL);
	/* read once, and only if some state's map needs it */
	struct torn_fsmap_final final = { .path = final_path };
	int kind = torn_fs_kind_parse(r->fs);
	size_t mapped = 0;
	struct collect c = { 0 };
	size_t k = 0, i, failed = 0;
	int pass;

	/* new ones first, then known ones: the HTML page's order */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n && k < TORN_REPORT_EXPLAIN_MAX; i++)
			if (!f[i].known[0] == !pass)
				pick[k++] = &f[i];
	if (!k)
		goto out;
	qsort(pick, k, sizeof(*pick), by_point);
	img = malloc(size);
	persisted = malloc(size);
	if (!img || !persisted ||
	    torn_stepper_new(&st, t, base, size, o->model, &err))
		goto out;
	syms = torn_run_syms(r->dir, r->workload, r->kernel);
	for (i = 0; i < k; i++) {
		struct torn_hash128 h;
		int *fate;

		if (torn_stepper_advance_to(st, pick[i]->point) ||
		    torn_state_image(t, base, size, o, pick[i]->id, img, &h,
				     &err)) {
			failed++;
			continue;
		}
		torn_stepper_persisted_image(st, persisted);
		c.n = 0;
		torn_stepper_foreach_inflight(st, collect, &c);
		fate = g_new0(int, c.n + 1);
		if (!torn_inflight_fates(recs, c.v, c.n, persisted, img, fate))
			rows(pick[i], &c, fate, recs, syms);
		g_free(fate);
		if (pick[i]->n_writes && kind >= 0 &&
		    mapped++ < TORN_REPORT_FSMAP_MAX &&
		    (full || (full = malloc(size)))) {
			torn_stepper_full_image(st, full);
			structures(pick[i], torn_fs_get(kind), full, &final,
				   size);
		}
	}
	if (failed)
		report_note(
			r,
			"%zu failing state%s could not be rebuilt for the HTML page's write tables: %s",
			failed, failed == 1 ? "" : "s", err.msg);
out:
	torn_syms_free(syms);
	torn_stepper_free(st);
	g_free(c.v);
	free(img);
	free(persisted);
	free(full);
	torn_fsmap_final_fini(&final);
	g_free(final_path);
	g_free(pick);
}
