/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --minimize: delta debugging over the lines a state lost. */
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"
#include "torn_exit.h"
#include "verdict.h"

/* The image with every in-flight write persisted, but for the lines given. */
static void image_dropping(const struct torn_replay *r, const uint64_t *lines,
			   size_t n, uint8_t *out)
{
	size_t i;

	memcpy(out, r->full, r->size);
	for (i = 0; i < n; i++)
		memcpy(out + lines[i] * TORN_LINE_SIZE,
		       r->state + lines[i] * TORN_LINE_SIZE, TORN_LINE_SIZE);
}

/* 1: that image fails the check, 0: it passes, -1: the guest failed. */
static int fails(struct replay_guest *g, struct torn_replay *r,
		 const uint64_t *lines, size_t n, uint8_t *img, int *tests)
{
	struct check_result res;
	int v;

	image_dropping(r, lines, n, img);
	v = replay_guest_check(g, img, &res);
	++*tests;
	fprintf(stderr, "torn: minimize: test %d, %zu lines dropped: %s\n",
		*tests, n, v < 0 ? "guest failed" : torn_verdict_name(v));
	return v < 0 ? -1 : torn_verdict_is_failure(v);
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Lines in flight at the point that the state does not hold in full, sorted. */
static GArray *lost_lines(const struct torn_replay *r)
{
	GArray *lines = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	size_t i, k = 0;

	for (i = 0; i < r->n_inflight; i++) {
		uint64_t l = r->inflight[i].offset / TORN_LINE_SIZE;

		g_array_append_val(lines, l);
	}
	g_array_sort(lines, by_value);
	for (i = 0; i < lines->len; i++) {
		uint64_t l = g_array_index(lines, uint64_t, i);

		if (k && g_array_index(lines, uint64_t, k - 1) == l)
			continue;
		if (!memcmp(r->state + l * TORN_LINE_SIZE,
			    r->full + l * TORN_LINE_SIZE, TORN_LINE_SIZE))
			continue;
		g_array_index(lines, uint64_t, k++) = l;
	}
	g_array_set_size(lines, k);
	return lines;
}

/* ddmin: a failing subset of cur, as small as the tests find. */
static void ddmin(struct replay_guest *g, struct torn_replay *r, GArray *cur,
		  uint8_t *img, int *tests)
{
	size_t gran = 2;

	while (cur->len >= 2) {
		size_t chunk = (cur->len + gran - 1) / gran, start;
		int reduced = 0;

		for (start = 0; start < cur->len && !reduced; start += chunk) {
			size_t n = MIN(chunk, cur->len - start);
			GArray *complement =
				g_array_new(FALSE, FALSE, sizeof(uint64_t));

			/* subset first, then its complement */
			if (fails(g, r, &g_array_index(cur, uint64_t, start), n,
				  img, tests) == 1) {
				g_array_remove_range(cur, 0, start);
				g_array_set_size(cur, n);
				gran = 2;
				reduced = 1;
			} else {
				g_array_append_vals(complement, cur->data,
						    start);
				g_array_append_vals(complement,
						    &g_array_index(cur,
								   uint64_t,
								   start + n),
						    cur->len - start - n);
				if (gran > 2 && complement->len &&
				    fails(g, r, (uint64_t *)complement->data,
					  complement->len, img, tests) == 1) {
					g_array_set_size(cur, 0);
					g_array_append_vals(cur,
							    complement->data,
							    complement->len);
					gran = MAX(gran - 1, 2);
					reduced = 1;
				}
			}
			g_array_free(complement, TRUE);
		}
		if (!reduced) {
			if (gran >= cur->len)
				break;
			gran = MIN(gran * 2, cur->len);
		}
	}
}

/* The in-flight writes on each line of cur, as the stepper listed them. */
static void print_writers(const struct torn_replay *r, FILE *out,
			  const GArray *cur)
{
	guint k;
	size_t i;
	char sym[256];

	for (k = 0; k < cur->len; k++) {
		uint64_t line = g_array_index(cur, uint64_t, k);

		fprintf(out, "  line 0x%08" PRIx64 ", written by:\n",
			line * TORN_LINE_SIZE);
		for (i = 0; i < r->n_inflight; i++) {
			const struct torn_inflight_write *w = &r->inflight[i];
			const struct torn_record *s = &r->recs[w->record];

			if (w->offset / TORN_LINE_SIZE != line)
				continue;
			fprintf(out,
				"    record %-7zu %s 0x%08" PRIx64 " +%u  %s\n",
				w->record, w->nt ? "nt_store" : "store",
				w->offset, w->len,
				replay_where(r, s, sym, sizeof(sym)));
		}
	}
}

/*
 * The smallest set of lines whose loss, with every other in-flight write
 * persisted, still fails the check.
 */
int replay_minimize(struct torn_replay *r, struct replay_guest *g)
{
	GArray *cur = lost_lines(r);
	uint8_t *img = malloc(r->size);
	int tests = 0, f, ret = 0;

	if (!img) {
		g_array_free(cur, TRUE);
		return TORN_EXIT_INFRA;
	}
	fprintf(r->out,
		"minimize: %u lines of in-flight writes did not (fully) persist in %s\n",
		cur->len, r->o.state_id);
	f = fails(g, r, NULL, 0, img, &tests);
	if (f == 1) {
		fprintf(r->out,
			"minimize: the check fails even with every in-flight write persisted:\n"
			"the failure does not come from what the crash dropped\n");
		goto out;
	}
	f = cur->len ? fails(g, r, (uint64_t *)cur->data, cur->len, img, &tests)
		     : 0;
	if (f != 1) {
		fprintf(r->out, "minimize: the state does not fail now (%s)\n",
			f < 0 ? "guest failed" : "consistent");
		ret = f < 0 ? TORN_EXIT_INFRA : 0;
		goto out;
	}
	ddmin(g, r, cur, img, &tests);
	fprintf(r->out,
		"minimize: after %d checks, the state fails because these %u line(s) did not persist\n"
		"while every other in-flight write did:\n",
		tests, cur->len);
	print_writers(r, r->out, cur);
out:
	free(img);
	g_array_free(cur, TRUE);
	return ret;
}
