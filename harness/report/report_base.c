/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * torn report RUN --base OTHER: the failing states of two runs compared
 * by signature (state ids name records of one trace, so two traces share
 * none): new, still failing, fixed.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

char *torn_report_signature(const struct torn_report_failure *s)
{
	GString *out = g_string_new(NULL);
	size_t k;

	for (k = 0; k < s->n_results; k++) {
		const struct torn_report_result *res = &s->results[k];
		const char *d = res->detail ? res->detail : "";
		size_t n = 0;

		if (res->ok)
			continue;
		g_string_append_printf(out, "%s%s: ", out->len ? "; " : "",
				       res->name);
		for (; *d && *d != '\n' && n < 120; d++, n++) {
			if (g_ascii_isdigit(*d)) {
				while (g_ascii_isdigit(d[1]))
					d++;
				g_string_append_c(out, 'N');
			} else {
				g_string_append_c(out, *d);
			}
		}
	}
	if (!out->len)
		g_string_append(out, torn_verdict_name(s->verdict));
	return g_string_free(out, FALSE);
}

/* Each failing state of r into t by signature, counted in now or base. */
static void tally(GHashTable *t, GPtrArray *order, const struct torn_report *r,
		  bool base)
{
	for (size_t i = 0; i < r->n_failures; i++) {
		const struct torn_report_failure *s = &r->failures[i];
		char *sig = torn_report_signature(s);
		struct torn_report_sig_diff *d = g_hash_table_lookup(t, sig);

		if (!d) {
			d = g_new0(struct torn_report_sig_diff, 1);
			d->sig = sig;
			g_hash_table_insert(t, d->sig, d);
			g_ptr_array_add(order, d);
		} else {
			g_free(sig);
		}
		if (base) {
			if (!d->base++)
				d->base_id = s->id;
		} else if (!d->now++) {
			d->now_id = s->id;
		}
		if (!d->known[0] && s->known[0])
			snprintf(d->known, sizeof(d->known), "%s", s->known);
	}
}

static int class_of(const struct torn_report_sig_diff *d)
{
	return !d->base ? 0 : d->now ? 1 : 2; /* new, still, fixed */
}

/* new, then still failing, then fixed; most states first; then by text */
static int by_class(const void *a, const void *b)
{
	const struct torn_report_sig_diff *x = a, *y = b;
	uint64_t nx = x->now ? x->now : x->base, ny = y->now ? y->now : y->base;

	if (class_of(x) != class_of(y))
		return class_of(x) - class_of(y);
	if (nx != ny)
		return nx < ny ? 1 : -1;
	return strcmp(x->sig, y->sig);
}

int torn_report_set_base(struct torn_report *r, const struct torn_report *base)
{
	GHashTable *t = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *order = g_ptr_array_new();
	struct torn_report_diff *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d) {
		g_hash_table_destroy(t);
		g_ptr_array_free(order, TRUE);
		return -1;
	}
	tally(t, order, r, false);
	tally(t, order, base, true);
	d->n = order->len;
	d->sigs = g_new0(struct torn_report_sig_diff, d->n ? d->n : 1);
	for (i = 0; i < d->n; i++) {
		struct torn_report_sig_diff *s = order->pdata[i];

		d->sigs[i] = *s;
		g_free(s);
	}
	qsort(d->sigs, d->n, sizeof(*d->sigs), by_class);
	for (i = 0; i < d->n; i++) {
		int c = class_of(&d->sigs[i]);

		d->n_new += c == 0;
		d->n_still += c == 1;
		d->n_fixed += c == 2;
	}
	d->base_dir = g_strdup(base->dir);
	d->base_states = base->states;
	d->base_failing = base->failing;
	g_hash_table_destroy(t);
	g_ptr_array_free(order, TRUE);
	torn_report_diff_free(r->diff);
	r->diff = d;
	return 0;
}

void torn_report_diff_free(struct torn_report_diff *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		g_free(d->sigs[i].sig);
	g_free(d->sigs);
	g_free(d->base_dir);
	free(d);
}

const char *torn_report_diff_class(const struct torn_report_sig_diff *s)
{
	static const char *const name[] = { "new", "still failing", "fixed" };

	return name[class_of(s)];
}

void torn_report_diff_summary(const struct torn_report_diff *d, char *buf,
			      size_t len)
{
	snprintf(
		buf, len,
		"%zu new, %zu still failing, %zu fixed signature(s) against the base run",
		d->n_new, d->n_still, d->n_fixed);
}
