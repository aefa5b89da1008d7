/* A small, bounds-checked JSON reader for verdict lines and meta.json. */
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

#endif
