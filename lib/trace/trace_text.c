/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The text form of traces: writing it and parsing it. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torn_quote.h"
#include "trace.h"
#include "trace_internal.h"

struct name_bit {
	const char *name;
	uint32_t bit;
};

static const struct name_bit feature_names[] = {
	{ "clflush", TORN_CPU_CLFLUSH },
	{ "clflushopt", TORN_CPU_CLFLUSHOPT },
	{ "clwb", TORN_CPU_CLWB },
	{ "eadr", TORN_CPU_EADR },
	{ NULL, 0 },
};

static const struct name_bit flag_names[] = {
	{ "pc", TORN_TRACE_F_PC },
	{ "from-boot", TORN_TRACE_F_FROM_BOOT },
	{ NULL, 0 },
};

/* A line of text being built; long enough for any record. */
struct line {
	char s[1536];
	size_t len;
};

static void line_add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->s))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->s + l->len, sizeof(l->s) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->s))
		l->len = sizeof(l->s) - 1;
}

static void add_bits(struct line *l, const char *key,
		     const struct name_bit *names, uint32_t bits)
{
	const char *sep = "";
	int i;

	line_add(l, " %s=", key);
	if (!bits) {
		line_add(l, "none");
		return;
	}
	for (i = 0; names[i].name; i++) {
		if (bits & names[i].bit) {
			line_add(l, "%s%s", sep, names[i].name);
			sep = ",";
		}
	}
}

static void add_value(struct line *l, const uint8_t *v, unsigned int size)
{
	unsigned int i;
	bool same = size > 8;

	for (i = 1; same && i < size; i++)
		same = v[i] == v[0];
	if (same) {
		line_add(l, " *%02x", v[0]);
		return;
	}
	line_add(l, " ");
	for (i = 0; i < size; i++)
		line_add(l, "%02x", v[i]);
}

static void add_text(struct line *l, const uint8_t *s, unsigned int len)
{
	unsigned int i;

	line_add(l, " \"");
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			line_add(l, "\\%c", s[i]);
		else if (s[i] == '\n')
			line_add(l, "\\n");
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			line_add(l, "\\x%02x", s[i]);
		else
			line_add(l, "%c", s[i]);
	}
	line_add(l, "\"");
}

static void format_record(struct line *l, const struct torn_record *rec)
{
	line_add(l, "%s", torn_record_kind_name(rec->kind));
	switch (rec->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		line_add(l, " 0x%" PRIx64 " %u", rec->offset, rec->size);
		if (rec->data)
			add_value(l, rec->data, rec->size);
		break;
	case TORN_REC_FLUSH:
		line_add(l, " %s 0x%" PRIx64, torn_flush_kind_name(rec->sub),
			 rec->offset);
		break;
	case TORN_REC_UNRESOLVED:
		line_add(l, " %s va=0x%" PRIx64, torn_flush_kind_name(rec->sub),
			 rec->vaddr);
		break;
	case TORN_REC_FENCE:
		line_add(l, " %s", torn_fence_kind_name(rec->sub));
		break;
	case TORN_REC_MARK:
		line_add(l, " %" PRIu32 " %" PRIu64, rec->mark_id, rec->arg);
		if (rec->size && rec->data)
			add_text(l, rec->data, rec->size);
		break;
	}
	if (rec->pc)
		line_add(l, " pc=0x%" PRIx64, rec->pc);
	if (rec->flags & TORN_REC_F_KERNEL)
		line_add(l, " kernel");
	if (rec->flags & TORN_REC_F_STRING)
		line_add(l, " string");
}

static int put_line(const struct line *l, FILE *f)
{
	if (fwrite(l->s, 1, l->len, f) != l->len)
		return errno ? -errno : -EIO;
	return 0;
}

int torn_record_write_text(const struct torn_record *rec, FILE *f)
{
	struct line l = { .len = 0 };
	int ret;

	format_record(&l, rec);
	ret = put_line(&l, f);
	return ret ? ret : (int)l.len;
}

int torn_trace_header_write_text(const struct torn_trace_header *hdr, FILE *f)
{
	struct line l = { .len = 0 };

	line_add(&l, "header pm_base=0x%" PRIx64 " pm_size=0x%" PRIx64,
		 hdr->pm_base, hdr->pm_size);
	add_bits(&l, "features", feature_names, hdr->cpu_features);
	add_bits(&l, "flags", flag_names, hdr->flags);
	line_add(&l, "\n");
	return put_line(&l, f);
}

int torn_trace_write_text(const struct torn_trace *t, FILE *f)
{
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t i, n = torn_trace_get_count(t);
	struct line l = { .len = 0 };
	int ret;

	ret = torn_trace_header_write_text(torn_trace_get_header(t), f);
	for (i = 0; !ret && i < n; i++) {
		l.len = 0;
		format_record(&l, &recs[i]);
		line_add(&l, "\n");
		ret = put_line(&l, f);
	}
	if (!ret && ferror(f))
		ret = -EIO;
	return ret;
}

/* ---- parsing --------------------------------------------------------- */

#define MAX_TOKENS 8

struct token {
	const char *s; /* in the line; strings: the decoded bytes */
	size_t len;
	bool quoted;
};

struct parser {
	const char *p; /* next unread character */
	unsigned int lineno;
	struct torn_err *err;
	struct token tok[MAX_TOKENS];
	int ntok;
	uint8_t text[TORN_MARK_TEXT_MAX]; /* the one quoted string of a line */
	uint8_t value[TORN_STORE_MAX];
	char shown[40 * 4 + 1]; /* see show() */
};

static int perr(struct parser *ps, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, int code, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return torn_err_set(ps->err, code, "line %u: %s", ps->lineno, why);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a quoted string starting after its opening quote. */
static int lex_string(struct parser *ps, struct token *t)
{
	const char *p = ps->p;
	size_t n = 0;
	int hi, lo;
	uint8_t c;

	for (;;) {
		if (*p == '\0' || *p == '\n')
			return perr(ps, TORN_E_FORMAT,
				    "string without a closing quote");
		if (*p == '"')
			break;
		c = (uint8_t)*p++;
		if (c == '\\') {
			switch (*p) {
			case '"':
			case '\\':
				c = (uint8_t)*p++;
				break;
			case 'n':
				c = '\n';
				p++;
				break;
			case 'x':
				hi = hexval(p[1]);
				lo = hi < 0 ? -1 : hexval(p[2]);
				if (lo < 0)
					return perr(ps, TORN_E_FORMAT,
						    "\\x needs two hex digits");
				c = (uint8_t)(hi << 4 | lo);
				p += 3;
				break;
			default:
				return perr(ps, TORN_E_FORMAT,
					    "unknown escape in string");
			}
		}
		if (n == TORN_MARK_TEXT_MAX)
			return perr(ps, TORN_E_FORMAT,
				    "mark text longer than %d bytes",
				    TORN_MARK_TEXT_MAX);
		ps->text[n++] = c;
	}
	ps->p = p + 1;
	t->s = (const char *)ps->text;
	t->len = n;
	t->quoted = true;
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Split the next line into tokens; comments and blanks are dropped. */
static int lex_line(struct parser *ps)
{
	bool have_string = false;
	struct token *t;
	int ret;

	ps->ntok = 0;
	for (;;) {
		while (is_blank(*ps->p))
			ps->p++;
		if (*ps->p == '#')
			while (*ps->p && *ps->p != '\n')
				ps->p++;
		if (*ps->p == '\0' || *ps->p == '\n')
			break;
		if (ps->ntok == MAX_TOKENS)
			return perr(ps, TORN_E_FORMAT, "too many fields");
		t = &ps->tok[ps->ntok++];
		if (*ps->p == '"') {
			if (have_string)
				return perr(ps, TORN_E_FORMAT,
					    "more than one string");
			have_string = true;
			ps->p++;
			ret = lex_string(ps, t);
			if (ret)
				return ret;
			if (*ps->p && !is_blank(*ps->p) && *ps->p != '\n' &&
			    *ps->p != '#')
				return perr(ps, TORN_E_FORMAT,
					    "junk after a closing quote");
			continue;
		}
		t->s = ps->p;
		t->quoted = false;
		while (*ps->p && !is_blank(*ps->p) && *ps->p != '\n' &&
		       *ps->p != '#' && *ps->p != '"')
			ps->p++;
		t->len = (size_t)(ps->p - t->s);
	}
	if (*ps->p == '\n')
		ps->p++;
	return 0;
}

static bool tok_is(const struct token *t, const char *word)
{
	return !t->quoted && t->len == strlen(word) &&
	       !memcmp(t->s, word, t->len);
}

/*
 * A token as a message shows it: at most 40 bytes, anything unprintable
 * escaped (torn_quote), so that a message stays one line of text.
 */
static const char *show(struct parser *ps, const char *s, size_t len)
{
	return torn_quote_mem(s, len < 40 ? len : 40, ps->shown,
			      sizeof(ps->shown));
}

#define TOK_FMT "'%s'"
#define TOK_ARG(t) show(ps, (t)->s, (t)->len)

/* A number in decimal or 0x-hex, the whole of s[0..len). */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	size_t i = 0;
	int d;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		d = hexval(s[i]);
		if (d < 0 || (unsigned int)d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

static int tok_u64(struct parser *ps, const struct token *t, const char *what,
		   uint64_t max, uint64_t *out)
{
	if (t->quoted || !parse_u64(t->s, t->len, out))
		return perr(ps, TORN_E_FORMAT, "%s " TOK_FMT " is not a number",
			    what, TOK_ARG(t));
	if (*out > max)
		return perr(ps, TORN_E_FORMAT, "%s " TOK_FMT " is too large",
			    what, TOK_ARG(t));
	return 0;
}

/* "key=..." ? then point *val at what follows '='. */
static bool tok_key(const struct token *t, const char *key, struct token *val)
{
	size_t k = strlen(key);

	if (t->quoted || t->len <= k || memcmp(t->s, key, k) || t->s[k] != '=')
		return false;
	val->s = t->s + k + 1;
	val->len = t->len - k - 1;
	val->quoted = false;
	return true;
}

static int parse_bits(struct parser *ps, const struct token *val,
		      const char *key, const struct name_bit *names,
		      uint32_t *out)
{
	const char *p = val->s, *end = val->s + val->len, *comma;
	size_t n;
	int i;

	*out = 0;
	if (val->len == 4 && !memcmp(p, "none", 4))
		return 0;
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		n = (size_t)((comma ? comma : end) - p);
		for (i = 0; names[i].name; i++)
			if (strlen(names[i].name) == n &&
			    !memcmp(names[i].name, p, n))
				break;
		if (!names[i].name)
			return perr(ps, TORN_E_FORMAT, "unknown %s '%s'", key,
				    show(ps, p, n));
		*out |= names[i].bit;
		p += n + (comma ? 1 : 0);
	}
	return 0;
}

static int parse_header(struct parser *ps, struct torn_trace_header *hdr)
{
	struct token val;
	unsigned int seen = 0, bit;
	int i, ret;

	trace_default_header(hdr);
	for (i = 1; i < ps->ntok; i++) {
		const struct token *t = &ps->tok[i];

		if (tok_key(t, "pm_base", &val)) {
			bit = 1;
			ret = tok_u64(ps, &val, "pm_base", UINT64_MAX,
				      &hdr->pm_base);
		} else if (tok_key(t, "pm_size", &val)) {
			bit = 2;
			ret = tok_u64(ps, &val, "pm_size", UINT64_MAX,
				      &hdr->pm_size);
		} else if (tok_key(t, "features", &val)) {
			bit = 4;
			ret = parse_bits(ps, &val, "feature", feature_names,
					 &hdr->cpu_features);
		} else if (tok_key(t, "flags", &val)) {
			bit = 8;
			ret = parse_bits(ps, &val, "flag", flag_names,
					 &hdr->flags);
		} else {
			return perr(ps, TORN_E_FORMAT,
				    "unknown header field " TOK_FMT,
				    TOK_ARG(t));
		}
		if (ret)
			return ret;
		if (seen & bit)
			return perr(ps, TORN_E_FORMAT,
				    "header field " TOK_FMT " given twice",
				    TOK_ARG(t));
		seen |= bit;
	}
	return 0;
}

static int parse_kind(struct parser *ps, const struct token *t,
		      const char *what, const char *(*name)(int), int max)
{
	int k;

	for (k = 1; k <= max; k++)
		if (tok_is(t, name(k)))
			return k;
	return perr(ps, TORN_E_FORMAT, "unknown %s kind " TOK_FMT, what,
		    TOK_ARG(t));
}

static int parse_value(struct parser *ps, const struct token *t,
		       unsigned int size)
{
	size_t i;
	int hi, lo;

	if (t->quoted)
		goto bad;
	if (t->len == 3 && t->s[0] == '*') {
		hi = hexval(t->s[1]);
		lo = hexval(t->s[2]);
		if (hi < 0 || lo < 0)
			goto bad;
		memset(ps->value, hi << 4 | lo, size);
		return 0;
	}
	if (t->len != 2 * (size_t)size)
		return perr(ps, TORN_E_FORMAT,
			    "value has %zu hex digits, size %u needs %u",
			    t->len, size, 2 * size);
	for (i = 0; i < size; i++) {
		hi = hexval(t->s[2 * i]);
		lo = hexval(t->s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			goto bad;
		ps->value[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	return perr(ps, TORN_E_FORMAT,
		    "value " TOK_FMT " is not hex bytes or *XX", TOK_ARG(t));
}

/* The optional trailing fields: pc=X (not for marks), kernel, string. */
static int parse_options(struct parser *ps, int first, struct torn_record *rec)
{
	struct token val;
	bool have_pc = false;
	int i, ret;

	for (i = first; i < ps->ntok; i++) {
		const struct token *t = &ps->tok[i];

		if (tok_key(t, "pc", &val) && !have_pc &&
		    rec->kind != TORN_REC_MARK) {
			ret = tok_u64(ps, &val, "pc", UINT64_MAX, &rec->pc);
			if (ret)
				return ret;
			have_pc = true;
		} else if (tok_is(t, "kernel") &&
			   !(rec->flags & TORN_REC_F_KERNEL)) {
			rec->flags |= TORN_REC_F_KERNEL;
		} else if (tok_is(t, "string") &&
			   !(rec->flags & TORN_REC_F_STRING)) {
			rec->flags |= TORN_REC_F_STRING;
		} else {
			return perr(ps, TORN_E_FORMAT,
				    "unexpected field " TOK_FMT, TOK_ARG(t));
		}
	}
	return 0;
}

static int need_fields(struct parser *ps, int n, const char *usage)
{
	if (ps->ntok < n)
		return perr(ps, TORN_E_FORMAT, "too few fields, expected %s",
			    usage);
	return 0;
}

static int parse_record(struct parser *ps, struct torn_record *rec)
{
	const struct token *kind = &ps->tok[0];
	struct token val;
	uint64_t v;
	int ret, k, next;

	memset(rec, 0, sizeof(*rec));
	if (tok_is(kind, "store") || tok_is(kind, "nt_store")) {
		rec->kind = tok_is(kind, "store") ? TORN_REC_STORE
						  : TORN_REC_NT_STORE;
		ret = need_fields(ps, 4, "OFFSET SIZE VALUE");
		if (!ret)
			ret = tok_u64(ps, &ps->tok[1], "offset", UINT64_MAX,
				      &rec->offset);
		if (!ret)
			ret = tok_u64(ps, &ps->tok[2], "size", UINT64_MAX, &v);
		if (ret)
			return ret;
		if (v < 1 || v > TORN_STORE_MAX)
			return perr(ps, TORN_E_FORMAT,
				    "%s size %" PRIu64 " outside 1..%d",
				    torn_record_kind_name(rec->kind), v,
				    TORN_STORE_MAX);
		rec->size = (uint8_t)v;
		ret = parse_value(ps, &ps->tok[3], rec->size);
		if (ret)
			return ret;
		rec->data = ps->value;
		next = 4;
	} else if (tok_is(kind, "flush") || tok_is(kind, "unresolved")) {
		bool flush = tok_is(kind, "flush");

		rec->kind = flush ? TORN_REC_FLUSH : TORN_REC_UNRESOLVED;
		ret = need_fields(ps, 3, flush ? "KIND OFFSET" : "KIND va=X");
		if (ret)
			return ret;
		k = parse_kind(ps, &ps->tok[1], "flush", torn_flush_kind_name,
			       TORN_FLUSH_CLWB);
		if (k < 0)
			return k;
		rec->sub = (uint8_t)k;
		if (flush) {
			ret = tok_u64(ps, &ps->tok[2], "offset", UINT64_MAX,
				      &rec->offset);
		} else if (tok_key(&ps->tok[2], "va", &val)) {
			ret = tok_u64(ps, &val, "va", UINT64_MAX, &rec->vaddr);
		} else {
			ret = perr(ps, TORN_E_FORMAT,
				   "expected va=ADDRESS, not " TOK_FMT,
				   TOK_ARG(&ps->tok[2]));
		}
		if (ret)
			return ret;
		next = 3;
	} else if (tok_is(kind, "fence")) {
		rec->kind = TORN_REC_FENCE;
		ret = need_fields(ps, 2, "KIND");
		if (ret)
			return ret;
		k = parse_kind(ps, &ps->tok[1], "fence", torn_fence_kind_name,
			       TORN_FENCE_WBINVD);
		if (k < 0)
			return k;
		rec->sub = (uint8_t)k;
		next = 2;
	} else if (tok_is(kind, "mark")) {
		rec->kind = TORN_REC_MARK;
		ret = need_fields(ps, 3, "ID ARG [\"TEXT\"]");
		if (!ret)
			ret = tok_u64(ps, &ps->tok[1], "mark id", UINT32_MAX,
				      &v);
		if (!ret)
			ret = tok_u64(ps, &ps->tok[2], "mark arg", UINT64_MAX,
				      &rec->arg);
		if (ret)
			return ret;
		rec->mark_id = (uint32_t)v;
		next = 3;
		if (ps->ntok > 3 && ps->tok[3].quoted) {
			rec->size = (uint8_t)ps->tok[3].len;
			rec->data = ps->text;
			next = 4;
		}
	} else if (tok_is(kind, "header")) {
		return perr(ps, TORN_E_FORMAT,
			    "the header line must come first, and only once");
	} else {
		return perr(ps, TORN_E_FORMAT, "unknown record kind " TOK_FMT,
			    TOK_ARG(kind));
	}
	return parse_options(ps, next, rec);
}

int torn_trace_parse_text(const char *text, struct torn_trace **out,
			  struct torn_err *err)
{
	struct torn_trace_header hdr;
	struct torn_trace *t = NULL;
	struct torn_record rec;
	struct parser *ps;
	char why[200];
	int ret = 0;

	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return torn_err_set(err, -ENOMEM, "out of memory");
	ps->p = text;
	ps->err = err;
	while (*ps->p) {
		ps->lineno++;
		ret = lex_line(ps);
		if (ret)
			goto out_free;
		if (!ps->ntok)
			continue;
		if (!t && tok_is(&ps->tok[0], "header")) {
			ret = parse_header(ps, &hdr);
			if (ret)
				goto out_free;
			if (trace_check_header(&hdr, why, sizeof(why))) {
				ret = perr(ps, TORN_E_FORMAT, "header: %s",
					   why);
				goto out_free;
			}
			ret = torn_trace_new(&t, &hdr);
			if (ret) {
				ret = perr(ps, ret, "%s", torn_strerror(ret));
				goto out_free;
			}
			continue;
		}
		if (!t) {
			ret = torn_trace_new(&t, NULL);
			if (ret) {
				ret = perr(ps, ret, "%s", torn_strerror(ret));
				goto out_free;
			}
		}
		ret = parse_record(ps, &rec);
		if (ret)
			goto out_free;
		ret = trace_check_record(torn_trace_get_header(t), &rec, why,
					 sizeof(why));
		if (ret) {
			ret = perr(ps, ret, "%s", why);
			goto out_free;
		}
		ret = torn_trace_append(t, &rec, NULL);
		if (ret) {
			ret = perr(ps, ret, "%s", torn_strerror(ret));
			goto out_free;
		}
	}
	if (!t) {
		ret = torn_trace_new(&t, NULL);
		if (ret) {
			ret = torn_err_set(err, ret, "%s", torn_strerror(ret));
			goto out_free;
		}
	}
	*out = t;
	t = NULL;
out_free:
	torn_trace_free(t);
	free(ps);
	return ret;
}
