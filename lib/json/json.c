/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small, bounds-checked JSON reader (json.h says what it accepts). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct torn_json {
	int type;
	bool boolean;
	bool is_int; /* fits int64 */
	bool is_uint; /* fits uint64, non-negative */
	int64_t i64;
	uint64_t u64;
	double num;
	char *str; /* STRING: decoded, NUL-terminated */
	size_t len;
	size_t n, cap; /* ARRAY, OBJECT */
	struct torn_json **items;
	char **keys; /* OBJECT */
	size_t *key_lens;
};

struct parser {
	const char *start, *p, *end;
	struct torn_err *err;
};

static int fail(struct parser *ps, int code, const char *what)
{
	return torn_err_set(ps->err, code, "byte %zu: %s",
			    (size_t)(ps->p - ps->start), what);
}

/* At the end of the input: the value was cut short. */
static int cut_short(struct parser *ps, const char *inside)
{
	return torn_err_set(ps->err, TORN_E_TRUNCATED,
			    "byte %zu: input ends inside %s",
			    (size_t)(ps->p - ps->start), inside);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct torn_json *node_new(int type)
{
	struct torn_json *v = calloc(1, sizeof(*v));

	if (v)
		v->type = type;
	return v;
}

void torn_json_free(struct torn_json *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		torn_json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->key_lens);
	free(v->str);
	free(v);
}

static int hex4(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string starting at the opening quote: *out (malloc'd, NUL-terminated)
 * and *len.  The decoded form is never longer than the raw one (an
 * escape of 6 bytes gives at most 3, a pair of 12 gives 4).
 */
static int parse_string(struct parser *ps, char **out, size_t *len)
{
	const char *q = ps->p + 1, *body = q;
	char *buf, *o;

	/* find the closing quote first, to size the buffer */
	while (q < ps->end && *q != '"') {
		if (*q == '\\' && q + 1 < ps->end)
			q++;
		q++;
	}
	if (q >= ps->end) {
		ps->p = ps->end;
		return cut_short(ps, "a string");
	}
	buf = malloc((size_t)(q - body) + 1);
	if (!buf)
		return -ENOMEM;
	o = buf;
	ps->p = body;
	while (ps->p < q) {
		unsigned char c = (unsigned char)*ps->p;
		unsigned int cp, lo;

		if (c < 0x20) {
			free(buf);
			return fail(ps, TORN_E_FORMAT,
				    "control character in a string");
		}
		if (c != '\\') {
			*o++ = (char)c;
			ps->p++;
			continue;
		}
		ps->p++;
		switch (*ps->p) {
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '/':
			*o++ = '/';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (q - ps->p < 5 || hex4(ps->p + 1, &cp)) {
				free(buf);
				return fail(ps, TORN_E_FORMAT,
					    "\\u needs four hex digits");
			}
			ps->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && q - ps->p >= 7 &&
			    ps->p[1] == '\\' && ps->p[2] == 'u' &&
			    !hex4(ps->p + 3, &lo) && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				ps->p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd; /* a lone surrogate */
			}
			o += put_utf8(o, cp);
			break;
		default:
			free(buf);
			return fail(ps, TORN_E_FORMAT,
				    "unknown escape in a string");
		}
		ps->p++;
	}
	*o = '\0';
	*len = (size_t)(o - buf);
	*out = buf;
	ps->p = q + 1;
	return 0;
}

static bool is_digit(const struct parser *ps, const char *p)
{
	return p < ps->end && *p >= '0' && *p <= '9';
}

static int parse_number(struct parser *ps, struct torn_json *v)
{
	const char *s = ps->p, *p = s;
	bool neg = false, integer = true;
	char tmp[128];
	uint64_t u = 0;
	bool overflow = false;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!is_digit(ps, p)) {
		ps->p = p;
		return p >= ps->end ? cut_short(ps, "a number")
				    : fail(ps, TORN_E_FORMAT,
					   "a number needs a digit here");
	}
	if (*p == '0' && is_digit(ps, p + 1)) {
		ps->p = p;
		return fail(ps, TORN_E_FORMAT, "leading zero in a number");
	}
	while (is_digit(ps, p)) {
		unsigned int d = (unsigned int)(*p - '0');

		if (u > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			u = u * 10 + d;
		p++;
	}
	if (p < ps->end && *p == '.') {
		integer = false;
		p++;
		if (!is_digit(ps, p)) {
			ps->p = p;
			return p >= ps->end ? cut_short(ps, "a number")
					    : fail(ps, TORN_E_FORMAT,
						   "a digit must follow '.'");
		}
		while (is_digit(ps, p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		integer = false;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(ps, p)) {
			ps->p = p;
			return p >= ps->end ? cut_short(ps, "a number")
					    : fail(ps, TORN_E_FORMAT,
						   "a digit must follow the "
						   "exponent");
		}
		while (is_digit(ps, p))
			p++;
	}
	if ((size_t)(p - s) >= sizeof(tmp))
		return fail(ps, TORN_E_FORMAT, "number longer than 127 bytes");
	memcpy(tmp, s, (size_t)(p - s));
	tmp[p - s] = '\0';
	v->num = strtod(tmp, NULL);
	if (!isfinite(v->num))
		return fail(ps, TORN_E_FORMAT, "number out of range");
	if (integer && !overflow) {
		if (!neg) {
			v->is_uint = true;
			v->u64 = u;
			if (u <= INT64_MAX) {
				v->is_int = true;
				v->i64 = (int64_t)u;
			}
		} else if (u <= (uint64_t)INT64_MAX + 1) {
			v->is_int = true;
			v->i64 = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN
							      : -(int64_t)u;
			if (u == 0) {
				v->is_uint = true; /* -0 */
				v->u64 = 0;
			}
		}
	}
	ps->p = p;
	return 0;
}

static int literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word), have = (size_t)(ps->end - ps->p);

	if (have < n) {
		if (!memcmp(ps->p, word, have)) {
			ps->p = ps->end;
			return cut_short(ps, "a literal");
		}
		return fail(ps, TORN_E_FORMAT, "unexpected character");
	}
	if (memcmp(ps->p, word, n))
		return fail(ps, TORN_E_FORMAT, "unexpected character");
	ps->p += n;
	return 0;
}

static int push(struct torn_json *v, struct torn_json *item, char *key,
		size_t key_len)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		struct torn_json **items =
			realloc(v->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		v->items = items;
		if (v->type == TORN_JSON_OBJECT) {
			char **keys = realloc(v->keys, cap * sizeof(*keys));
			size_t *lens;

			if (!keys)
				return -ENOMEM;
			v->keys = keys;
			lens = realloc(v->key_lens, cap * sizeof(*lens));
			if (!lens)
				return -ENOMEM;
			v->key_lens = lens;
		}
		v->cap = cap;
	}
	v->items[v->n] = item;
	if (v->type == TORN_JSON_OBJECT) {
		v->keys[v->n] = key;
		v->key_lens[v->n] = key_len;
	}
	v->n++;
	return 0;
}

static int parse_value(struct parser *ps, int depth, struct torn_json **out);

/* An array or object from its opening bracket. */
static int parse_container(struct parser *ps, int depth, struct torn_json *v)
{
	bool object = v->type == TORN_JSON_OBJECT;
	char close = object ? '}' : ']';
	const char *inside = object ? "an object" : "an array";
	int ret;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct torn_json *item = NULL;
		char *key = NULL;
		size_t key_len = 0;

		skip_ws(ps);
		if (ps->p >= ps->end)
			return cut_short(ps, inside);
		if (object) {
			if (*ps->p != '"')
				return fail(ps, TORN_E_FORMAT,
					    "expected a string key");
			ret = parse_string(ps, &key, &key_len);
			if (ret)
				return ret;
			skip_ws(ps);
			if (ps->p >= ps->end) {
				free(key);
				return cut_short(ps, inside);
			}
			if (*ps->p != ':') {
				free(key);
				return fail(ps, TORN_E_FORMAT,
					    "expected ':' after a key");
			}
			ps->p++;
		}
		ret = parse_value(ps, depth + 1, &item);
		if (!ret) {
			ret = push(v, item, key, key_len);
			if (ret)
				torn_json_free(item);
		}
		if (ret) {
			free(key);
			return ret;
		}
		skip_ws(ps);
		if (ps->p >= ps->end)
			return cut_short(ps, inside);
		if (*ps->p == close) {
			ps->p++;
			return 0;
		}
		if (*ps->p != ',')
			return fail(ps, TORN_E_FORMAT,
				    object ? "expected ',' or '}'"
					   : "expected ',' or ']'");
		ps->p++;
	}
}

static int parse_value(struct parser *ps, int depth, struct torn_json **out)
{
	struct torn_json *v;
	int ret, type;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return cut_short(ps, "a value");
	if (depth >= TORN_JSON_DEPTH_MAX)
		return fail(ps, TORN_E_FORMAT, "nested too deeply");
	switch (*ps->p) {
	case '{':
		type = TORN_JSON_OBJECT;
		break;
	case '[':
		type = TORN_JSON_ARRAY;
		break;
	case '"':
		type = TORN_JSON_STRING;
		break;
	case 't':
	case 'f':
		type = TORN_JSON_BOOL;
		break;
	case 'n':
		type = TORN_JSON_NULL;
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
			type = TORN_JSON_NUMBER;
			break;
		}
		return fail(ps, TORN_E_FORMAT, "unexpected character");
	}
	v = node_new(type);
	if (!v)
		return -ENOMEM;
	switch (type) {
	case TORN_JSON_OBJECT:
	case TORN_JSON_ARRAY:
		ret = parse_container(ps, depth, v);
		break;
	case TORN_JSON_STRING:
		ret = parse_string(ps, &v->str, &v->len);
		break;
	case TORN_JSON_BOOL:
		v->boolean = *ps->p == 't';
		ret = literal(ps, v->boolean ? "true" : "false");
		break;
	case TORN_JSON_NULL:
		ret = literal(ps, "null");
		break;
	default:
		ret = parse_number(ps, v);
		break;
	}
	if (ret) {
		torn_json_free(v);
		return ret;
	}
	*out = v;
	return 0;
}

int torn_json_parse(const char *text, size_t len, struct torn_json **out,
		    struct torn_err *err)
{
	struct parser ps = { text, text, text + len, err };
	struct torn_json *v = NULL;
	int ret;

	if (!text && len)
		return torn_err_set(err, TORN_E_FORMAT, "no input");
	if (!text)
		ps.start = ps.p = ps.end = "";
	ret = parse_value(&ps, 0, &v);
	if (ret) {
		if (ret == -ENOMEM)
			torn_err_set(err, ret, "out of memory");
		return ret;
	}
	skip_ws(&ps);
	if (ps.p < ps.end) {
		torn_json_free(v);
		return fail(&ps, TORN_E_FORMAT, "text after the value");
	}
	*out = v;
	return 0;
}

int torn_json_get_type(const struct torn_json *v)
{
	return v ? v->type : 0;
}

const struct torn_json *torn_json_get(const struct torn_json *v,
				      const char *key)
{
	size_t i, n;

	if (!v || v->type != TORN_JSON_OBJECT || !key)
		return NULL;
	n = strlen(key);
	for (i = 0; i < v->n; i++)
		if (v->key_lens[i] == n && !memcmp(v->keys[i], key, n))
			return v->items[i];
	return NULL;
}

size_t torn_json_get_count(const struct torn_json *v)
{
	return v && (v->type == TORN_JSON_ARRAY || v->type == TORN_JSON_OBJECT)
		       ? v->n
		       : 0;
}

const struct torn_json *torn_json_get_at(const struct torn_json *v, size_t i)
{
	return i < torn_json_get_count(v) ? v->items[i] : NULL;
}

const char *torn_json_get_key_at(const struct torn_json *v, size_t i)
{
	if (!v || v->type != TORN_JSON_OBJECT || i >= v->n)
		return NULL;
	return v->keys[i];
}

const char *torn_json_get_string(const struct torn_json *v, size_t *len)
{
	if (!v || v->type != TORN_JSON_STRING)
		return NULL;
	if (len)
		*len = v->len;
	return v->str;
}

int torn_json_get_uint64(const struct torn_json *v, uint64_t *out)
{
	if (!v || v->type != TORN_JSON_NUMBER || !v->is_uint)
		return -1;
	*out = v->u64;
	return 0;
}

int torn_json_get_int64(const struct torn_json *v, int64_t *out)
{
	if (!v || v->type != TORN_JSON_NUMBER || !v->is_int)
		return -1;
	*out = v->i64;
	return 0;
}

int torn_json_get_double(const struct torn_json *v, double *out)
{
	if (!v || v->type != TORN_JSON_NUMBER)
		return -1;
	*out = v->num;
	return 0;
}

int torn_json_get_bool(const struct torn_json *v, bool *out)
{
	if (!v || v->type != TORN_JSON_BOOL)
		return -1;
	*out = v->boolean;
	return 0;
}

const char *torn_json_get_member_string(const struct torn_json *obj,
					const char *key, size_t *len)
{
	return torn_json_get_string(torn_json_get(obj, key), len);
}

int torn_json_get_member_uint64(const struct torn_json *obj, const char *key,
				uint64_t *out)
{
	return torn_json_get_uint64(torn_json_get(obj, key), out);
}
