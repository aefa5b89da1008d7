/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small JSON library for the run directory: a strict reader, a writer. */
#ifndef TORN_JSON_H
#define TORN_JSON_H

/*
 * The files torn report reads come from a run directory, and their
 * strings partly from guests: they are untrusted.  The reader takes a
 * buffer and its length (no NUL needed), checks everything against
 * RFC 8259 and builds a tree it owns:
 *
 *  - nesting deeper than TORN_JSON_DEPTH_MAX is an error, so a hostile
 *    line cannot exhaust the stack;
 *  - strings are decoded to UTF-8 (\uXXXX with surrogate pairs; a lone
 *    surrogate becomes U+FFFD); they may hold NUL bytes, so they come
 *    with their length, and always with a terminating NUL as well;
 *    raw bytes are passed through as they are (no UTF-8 check: the
 *    renderers sanitize what they print);
 *  - control characters inside strings, leading zeros, trailing commas,
 *    comments, NaN, single quotes and anything after the value but
 *    whitespace are errors;
 *  - numbers are kept as doubles and, when they are integers that fit,
 *    as int64 / uint64 too;
 *  - an object keeps its members in file order; a repeated key is kept,
 *    and torn_json_get() finds its first occurrence.
 *
 * Errors are TORN_E_FORMAT (TORN_E_TRUNCATED when the input ends inside
 * the value) with "byte N: what was wrong", or -ENOMEM.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"

#define TORN_JSON_DEPTH_MAX 32

enum torn_json_type {
	TORN_JSON_NULL = 1,
	TORN_JSON_BOOL,
	TORN_JSON_NUMBER,
	TORN_JSON_STRING,
	TORN_JSON_ARRAY,
	TORN_JSON_OBJECT,
};

struct torn_json; /* one value; a parsed document is its root */

/* Parse text[0..len) as one JSON value into *out (freed with _free). */
int torn_json_parse(const char *text, size_t len, struct torn_json **out,
		    struct torn_err *err);
void torn_json_free(struct torn_json *v); /* NULL is a no-op */

/* The type of v; 0 for NULL. */
int torn_json_get_type(const struct torn_json *v);

/* Member key of object v, or NULL if v is not an object or has none. */
const struct torn_json *torn_json_get(const struct torn_json *v,
				      const char *key);

/* Members of an array or object; 0 for anything else. */
size_t torn_json_get_count(const struct torn_json *v);
/* Member i of an array or object, NULL past the end. */
const struct torn_json *torn_json_get_at(const struct torn_json *v, size_t i);
/* Key of member i of an object, NULL otherwise (NUL-terminated). */
const char *torn_json_get_key_at(const struct torn_json *v, size_t i);

/*
 * The decoded bytes of a string value (NUL-terminated, may hold NULs:
 * *len, when not NULL, gets the length), or NULL if v is not a string.
 */
const char *torn_json_get_string(const struct torn_json *v, size_t *len);

/* 0 and *out when v is a non-negative integer within uint64, else -1. */
int torn_json_get_uint64(const struct torn_json *v, uint64_t *out);
/* 0 and *out when v is an integer within int64, else -1. */
int torn_json_get_int64(const struct torn_json *v, int64_t *out);
/* 0 and *out when v is a number, else -1. */
int torn_json_get_double(const struct torn_json *v, double *out);
/* 0 and *out when v is true or false, else -1. */
int torn_json_get_bool(const struct torn_json *v, bool *out);

/* Shorthands: member key's value, or NULL / -1 when missing or mistyped. */
const char *torn_json_get_member_string(const struct torn_json *obj,
					const char *key, size_t *len);
int torn_json_get_member_uint64(const struct torn_json *obj, const char *key,
				uint64_t *out);

/* ---- writing ------------------------------------------------------------ */

/*
 * A writer builds one JSON value into a growable buffer (malloc), value
 * by value: begin/end an object or an array, a key before each member
 * of an object, and the scalars.  Errors are sticky: after the first
 * (-ENOMEM, or TORN_E_USAGE for a misuse such as a value without its
 * key, a key outside an object, an end that does not match, nesting
 * deeper than TORN_JSON_DEPTH_MAX or a second top-level value) every
 * call does nothing and returns it, and torn_json_writer_take() fails
 * with it.  Every call returns that sticky error, 0 while there is none.
 *
 * Strings are taken with their length and may hold any bytes: '"' and
 * '\' are escaped, newline and tab as \n and \t, the other control
 * characters (below 0x20) as \u00XX; well-formed UTF-8 and DEL are
 * passed through as they are (the reader gives the same bytes back).
 * A byte that is not part of well-formed UTF-8 (a guest's garbage) is
 * written as \u00XX, its Latin-1 reading, as torn check always did, so
 * that every file torn writes is valid JSON; the reader gives it back
 * as that character's UTF-8, two bytes.  Numbers are integers only.
 *
 * Compact output has no whitespace at all ({"a":1,"b":[true]}), for one
 * line of a .jsonl file.  TORN_JSON_PRETTY writes one member or element
 * per line, indented by two spaces a level, as "key": value, and ends
 * with a newline: for files people read and scripts grep.
 */
struct torn_json_writer;

enum torn_json_writer_flag {
	TORN_JSON_PRETTY = 1 << 0,
};

/* A new, empty writer (flags: TORN_JSON_*); 0 or -ENOMEM. */
int torn_json_writer_new(struct torn_json_writer **out, unsigned int flags);
void torn_json_writer_free(struct torn_json_writer *w); /* NULL: no-op */

int torn_json_write_begin_object(struct torn_json_writer *w);
int torn_json_write_end_object(struct torn_json_writer *w);
int torn_json_write_begin_array(struct torn_json_writer *w);
int torn_json_write_end_array(struct torn_json_writer *w);
/* The key of the next member of the object being written. */
int torn_json_write_key(struct torn_json_writer *w, const char *key);
/* s[0..len) as a string (s may be NULL when len is 0). */
int torn_json_write_string(struct torn_json_writer *w, const char *s,
			   size_t len);
/* A NUL-terminated string. */
int torn_json_write_str(struct torn_json_writer *w, const char *s);
int torn_json_write_uint64(struct torn_json_writer *w, uint64_t v);
int torn_json_write_int64(struct torn_json_writer *w, int64_t v);
int torn_json_write_bool(struct torn_json_writer *w, bool v);
int torn_json_write_null(struct torn_json_writer *w);

/*
 * The finished text: 0 with *out (malloc'd, NUL-terminated, free()) and
 * *len (when not NULL).  The sticky error, or TORN_E_USAGE when no value
 * is complete (nothing written, or an object or array still open), with
 * *out NULL.  Either way the writer is empty again, error cleared, and
 * may write another value.
 */
int torn_json_writer_take(struct torn_json_writer *w, char **out, size_t *len);

#endif
