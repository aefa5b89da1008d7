/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The JSON writer (json.h): values into a growable buffer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "torn_utf8.h"

struct level {
	bool object;
	size_t members;
};

struct torn_json_writer {
	char *buf;
	size_t len, cap;
	int error; /* sticky: the first error */
	bool pretty;
	bool have_key; /* a key was written, its value is next */
	bool done; /* a whole top-level value is in buf */
	int depth;
	struct level stack[TORN_JSON_DEPTH_MAX];
};

int torn_json_writer_new(struct torn_json_writer **out, unsigned int flags)
{
	struct torn_json_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->pretty = flags & TORN_JSON_PRETTY;
	*out = w;
	return 0;
}

void torn_json_writer_free(struct torn_json_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

static int put(struct torn_json_writer *w, const char *s, size_t n)
{
	if (w->error)
		return w->error;
	if (n >= w->cap - w->len || !w->buf) {
		size_t cap = w->cap ? w->cap : 256;
		char *p;

		while (cap - w->len <= n) {
			if (cap > SIZE_MAX / 2)
				return w->error = -ENOMEM;
			cap *= 2;
		}
		p = realloc(w->buf, cap);
		if (!p)
			return w->error = -ENOMEM;
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
	return 0;
}

static int newline_indent(struct torn_json_writer *w, int depth)
{
	static const char spaces[] = "                                ";
	int ret = put(w, "\n", 1);

	while (!ret && depth > 0) {
		int n = depth * 2 > (int)sizeof(spaces) - 1
				? (int)sizeof(spaces) - 1
				: depth * 2;

		ret = put(w, spaces, (size_t)n);
		depth -= n / 2;
	}
	return ret;
}

/* Where a value may go: after a key, in an array, or at the top. */
static int before_value(struct torn_json_writer *w)
{
	struct level *l;

	if (w->error)
		return w->error;
	if (!w->depth) {
		if (w->done)
			return w->error = TORN_E_USAGE;
		return 0;
	}
	l = &w->stack[w->depth - 1];
	if (l->object) {
		if (!w->have_key)
			return w->error = TORN_E_USAGE;
		w->have_key = false;
		return 0;
	}
	if (l->members++ && put(w, ",", 1))
		return w->error;
	return w->pretty ? newline_indent(w, w->depth) : 0;
}

/* After a whole value: at the top, the document is complete. */
static int after_value(struct torn_json_writer *w)
{
	if (!w->error && !w->depth) {
		w->done = true;
		if (w->pretty)
			put(w, "\n", 1);
	}
	return w->error;
}

static int begin(struct torn_json_writer *w, bool object)
{
	if (before_value(w))
		return w->error;
	if (w->depth == TORN_JSON_DEPTH_MAX)
		return w->error = TORN_E_USAGE;
	if (put(w, object ? "{" : "[", 1))
		return w->error;
	w->stack[w->depth].object = object;
	w->stack[w->depth].members = 0;
	w->depth++;
	return 0;
}

static int end(struct torn_json_writer *w, bool object)
{
	struct level *l;

	if (w->error)
		return w->error;
	if (!w->depth || w->stack[w->depth - 1].object != object || w->have_key)
		return w->error = TORN_E_USAGE;
	l = &w->stack[--w->depth];
	if (w->pretty && l->members && newline_indent(w, w->depth))
		return w->error;
	if (put(w, object ? "}" : "]", 1))
		return w->error;
	return after_value(w);
}

int torn_json_write_begin_object(struct torn_json_writer *w)
{
	return begin(w, true);
}

int torn_json_write_end_object(struct torn_json_writer *w)
{
	return end(w, true);
}

int torn_json_write_begin_array(struct torn_json_writer *w)
{
	return begin(w, false);
}

int torn_json_write_end_array(struct torn_json_writer *w)
{
	return end(w, false);
}

static int put_string(struct torn_json_writer *w, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	put(w, "\"", 1);
	while (i < len) {
		unsigned char c = u[i];
		size_t n = 1;
		uint32_t cp;
		char esc[8];

		if (c >= 0x80)
			n = torn_utf8_seq(u + i, len - i, &cp);
		if (n && c != '"' && c != '\\' && c >= 0x20) {
			i += n;
			continue;
		}
		/* the bytes that need no escape, in one go */
		put(w, s + run, i - run);
		run = ++i;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c == '\n') {
			put(w, "\\n", 2);
		} else if (c == '\t') {
			put(w, "\\t", 2);
		} else {
			/* a control character, or a byte that is not UTF-8 */
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		}
	}
	put(w, s + run, len - run);
	return put(w, "\"", 1);
}

int torn_json_write_key(struct torn_json_writer *w, const char *key)
{
	struct level *l;

	if (w->error)
		return w->error;
	if (!w->depth || !w->stack[w->depth - 1].object || w->have_key || !key)
		return w->error = TORN_E_USAGE;
	l = &w->stack[w->depth - 1];
	if (l->members++ && put(w, ",", 1))
		return w->error;
	if (w->pretty && newline_indent(w, w->depth))
		return w->error;
	if (put_string(w, key, strlen(key)) ||
	    put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1))
		return w->error;
	w->have_key = true;
	return 0;
}

int torn_json_write_string(struct torn_json_writer *w, const char *s,
			   size_t len)
{
	if (!s && len && !w->error)
		w->error = TORN_E_USAGE;
	if (before_value(w) || put_string(w, s ? s : "", s ? len : 0))
		return w->error;
	return after_value(w);
}

int torn_json_write_str(struct torn_json_writer *w, const char *s)
{
	if (!s && !w->error)
		w->error = TORN_E_USAGE;
	return torn_json_write_string(w, s, s ? strlen(s) : 0);
}

static int scalar(struct torn_json_writer *w, const char *text)
{
	if (before_value(w) || put(w, text, strlen(text)))
		return w->error;
	return after_value(w);
}

int torn_json_write_uint64(struct torn_json_writer *w, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, v);
	return scalar(w, text);
}

int torn_json_write_int64(struct torn_json_writer *w, int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, v);
	return scalar(w, text);
}

int torn_json_write_bool(struct torn_json_writer *w, bool v)
{
	return scalar(w, v ? "true" : "false");
}

int torn_json_write_null(struct torn_json_writer *w)
{
	return scalar(w, "null");
}

int torn_json_writer_take(struct torn_json_writer *w, char **out, size_t *len)
{
	int ret = w->error ? w->error : w->done ? 0 : TORN_E_USAGE;

	*out = NULL;
	if (!ret) {
		*out = w->buf;
		if (len)
			*len = w->len;
		w->buf = NULL;
	}
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
	w->error = 0;
	w->have_key = w->done = false;
	w->depth = 0;
	return ret;
}
