/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel gcov counters: dumps parsed, checked against each other, summed. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "gcda.h"
#include "gcov.h"

/* One .gcda: its bytes as first seen, where the counters are, their sums. */
struct gcda {
	char *path;
	GByteArray *layout; /* the file with every counter as first seen */
	GArray *at; /* guint32: byte offset of each counter in layout */
	uint64_t *sum;
};

struct torn_gcov {
	GHashTable *by_path; /* path -> struct gcda */
	GPtrArray *files; /* struct gcda, in path order when sorted */
	int sorted;
};

static uint64_t get64(const unsigned char *p)
{
	return torn_gcda_u32(p) | (uint64_t)torn_gcda_u32(p + 4) << 32;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 4; i++) {
		p[i] = (unsigned char)(v >> (8 * i));
		p[4 + i] = (unsigned char)(v >> (32 + 8 * i));
	}
}

/*
 * The counter offsets of a .gcda into at (cleared first), after checking
 * its shape: header, records that fit, counter payloads of whole u64s.
 */
static int scan_gcda(const unsigned char *p, size_t len, GArray *at,
		     const char *path, struct torn_err *err)
{
	size_t pos = TORN_GCDA_HEADER_WORDS * 4;

	g_array_set_size(at, 0);
	if (len < pos || torn_gcda_u32(p) != TORN_GCDA_MAGIC)
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s: not a .gcda (bad magic or too short)",
				    path);
	while (pos < len) {
		uint32_t tag, rlen;

		if (len - pos < 8)
			return torn_err_set(
				err, TORN_E_FORMAT,
				"%s: a record header cut at byte %zu", path,
				pos);
		tag = torn_gcda_u32(p + pos);
		rlen = torn_gcda_u32(p + pos + 4);
		pos += 8;
		if (rlen > len - pos || rlen % 4)
			return torn_err_set(
				err, TORN_E_FORMAT,
				"%s: record 0x%08x of %u bytes at byte %zu runs past the end",
				path, tag, rlen, pos - 8);
		if (torn_gcda_is_counter_tag(tag)) {
			if (rlen % 8)
				return torn_err_set(
					err, TORN_E_FORMAT,
					"%s: counter record of %u bytes at byte %zu",
					path, rlen, pos - 8);
			for (uint32_t k = 0; k < rlen; k += 8) {
				guint32 off = (guint32)(pos + k);

				g_array_append_val(at, off);
			}
		}
		pos += rlen;
	}
	return 0;
}

static void gcda_free(gpointer p)
{
	struct gcda *f = p;

	g_free(f->path);
	g_byte_array_unref(f->layout);
	g_array_unref(f->at);
	free(f->sum);
	g_free(f);
}

int torn_gcov_new(struct torn_gcov **g)
{
	struct torn_gcov *n = g_new0(struct torn_gcov, 1);

	n->by_path = g_hash_table_new(g_str_hash, g_str_equal);
	n->files = g_ptr_array_new_with_free_func(gcda_free);
	*g = n;
	return 0;
}

void torn_gcov_free(struct torn_gcov *g)
{
	if (!g)
		return;
	g_hash_table_destroy(g->by_path);
	g_ptr_array_unref(g->files);
	g_free(g);
}

/* Same records, same lengths, same non-counter words: the same build. */
static int same_shape(const struct gcda *f, const unsigned char *p, size_t len,
		      const GArray *at)
{
	size_t prev = 0;

	if (len != f->layout->len || at->len != f->at->len)
		return 0;
	for (guint i = 0; i <= at->len; i++) {
		size_t next = i < at->len ? g_array_index(at, guint32, i) : len;

		if (i < at->len && next != g_array_index(f->at, guint32, i))
			return 0;
		if (memcmp(p + prev, f->layout->data + prev, next - prev))
			return 0;
		prev = next + 8;
	}
	return 1;
}

/* One file of a dump, checked; staged into *add (not yet in g). */
struct staged {
	struct gcda *f; /* g's, or a new one */
	int is_new;
	const unsigned char *p;
	GArray *at;
};

static int stage_one(struct torn_gcov *g, const char *path,
		     const unsigned char *p, size_t len, struct staged *s,
		     struct torn_err *err)
{
	GArray *at = g_array_new(FALSE, FALSE, sizeof(guint32));
	struct gcda *f = g_hash_table_lookup(g->by_path, path);
	int ret = scan_gcda(p, len, at, path, err);

	if (ret) {
		g_array_unref(at);
		return ret;
	}
	if (f && !same_shape(f, p, len, at)) {
		g_array_unref(at);
		return torn_err_set(
			err, TORN_E_MISMATCH,
			"%s: its records differ from an earlier dump's (counters of another kernel build?)",
			path);
	}
	if (!f) {
		f = g_new0(struct gcda, 1);
		f->path = g_strdup(path);
		f->layout = g_byte_array_sized_new(len);
		g_byte_array_append(f->layout, p, len);
		f->at = g_array_ref(at);
		f->sum = calloc(at->len ? at->len : 1, sizeof(uint64_t));
		s->is_new = 1;
	}
	s->f = f;
	s->p = p;
	s->at = at;
	return 0;
}

static void commit(struct torn_gcov *g, struct staged *s, size_t n,
		   uint64_t *fresh)
{
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct gcda *f = s[i].f;

		for (guint c = 0; c < f->at->len; c++) {
			uint64_t v = get64(s[i].p +
					   g_array_index(f->at, guint32, c));

			if (v && !f->sum[c])
				k++;
			f->sum[c] = v > UINT64_MAX - f->sum[c] ? UINT64_MAX
							       : f->sum[c] + v;
		}
		if (s[i].is_new) {
			g_ptr_array_add(g->files, f);
			g_hash_table_insert(g->by_path, f->path, f);
			g->sorted = 0;
		}
	}
	if (fresh)
		*fresh = k;
}

static void unstage(struct staged *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].is_new)
			gcda_free(s[i].f);
		g_array_unref(s[i].at);
	}
	g_free(s);
}

int torn_gcov_add(struct torn_gcov *g, const void *dump, size_t len,
		  uint64_t *fresh, struct torn_err *err)
{
	const unsigned char *p = dump;
	GHashTable *seen =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct staged *s = NULL;
	size_t pos = 0, n = 0, cap = 0;
	int ret = 0;

	while (!ret && pos < len) {
		uint32_t plen, dlen;
		char *path;

		if (len - pos < 4 || (plen = torn_gcda_u32(p + pos)) == 0 ||
		    plen > 4096 || plen > len - pos - 4) {
			ret = torn_err_set(err, TORN_E_FORMAT,
					   "gcov dump: bad path at byte %zu",
					   pos);
			break;
		}
		path = g_strndup((const char *)p + pos + 4, plen);
		pos += 4 + plen;
		if (strlen(path) != plen || len - pos < 4 ||
		    (dlen = torn_gcda_u32(p + pos)) > len - pos - 4) {
			ret = torn_err_set(
				err, TORN_E_FORMAT,
				"gcov dump: entry '%.200s' cut short", path);
			g_free(path);
			break;
		}
		pos += 4;
		if (!g_hash_table_add(seen, g_strdup(path))) {
			ret = torn_err_set(err, TORN_E_FORMAT,
					   "gcov dump: '%.200s' twice", path);
			g_free(path);
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			s = g_renew(struct staged, s, cap);
		}
		memset(&s[n], 0, sizeof(s[n]));
		ret = stage_one(g, path, p + pos, dlen, &s[n], err);
		if (!ret)
			n++;
		pos += dlen;
		g_free(path);
	}
	g_hash_table_destroy(seen);
	if (ret) {
		unstage(s, n);
		return ret;
	}
	commit(g, s, n, fresh);
	for (size_t i = 0; i < n; i++)
		g_array_unref(s[i].at);
	g_free(s);
	return 0;
}

int torn_gcov_add_gcda(struct torn_gcov *g, const char *path, const void *gcda,
		       size_t len, uint64_t *fresh, struct torn_err *err)
{
	struct staged *s = g_new0(struct staged, 1);
	int ret = stage_one(g, path, gcda, len, s, err);

	if (ret) {
		g_free(s);
		return ret;
	}
	commit(g, s, 1, fresh);
	g_array_unref(s->at);
	g_free(s);
	return 0;
}

uint64_t torn_gcov_counters(const struct torn_gcov *g)
{
	uint64_t n = 0;

	for (guint i = 0; i < g->files->len; i++)
		n += ((struct gcda *)g_ptr_array_index(g->files, i))->at->len;
	return n;
}

uint64_t torn_gcov_reached(const struct torn_gcov *g)
{
	uint64_t n = 0;

	for (guint i = 0; i < g->files->len; i++) {
		const struct gcda *f = g_ptr_array_index(g->files, i);

		for (guint c = 0; c < f->at->len; c++)
			n += f->sum[c] != 0;
	}
	return n;
}

static gint by_path(gconstpointer a, gconstpointer b)
{
	const struct gcda *x = *(struct gcda *const *)a;
	const struct gcda *y = *(struct gcda *const *)b;

	return strcmp(x->path, y->path);
}

static void sort(const struct torn_gcov *g)
{
	struct torn_gcov *m = (struct torn_gcov *)g;

	if (!m->sorted) {
		g_ptr_array_sort(m->files, by_path);
		m->sorted = 1;
	}
}

size_t torn_gcov_files(const struct torn_gcov *g)
{
	return g->files->len;
}

const char *torn_gcov_path(const struct torn_gcov *g, size_t i)
{
	sort(g);
	return i < g->files->len
		       ? ((struct gcda *)g_ptr_array_index(g->files, i))->path
		       : NULL;
}

int torn_gcov_gcda(const struct torn_gcov *g, size_t i, void **out, size_t *len)
{
	const struct gcda *f;
	unsigned char *b;

	sort(g);
	if (i >= g->files->len)
		return TORN_E_RANGE;
	f = g_ptr_array_index(g->files, i);
	b = g_memdup2(f->layout->data, f->layout->len);
	for (guint c = 0; c < f->at->len; c++)
		put64(b + g_array_index(f->at, guint32, c), f->sum[c]);
	*out = b;
	*len = f->layout->len;
	return 0;
}
