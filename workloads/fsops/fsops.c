/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fsops parser: workload text to an op array, with line-numbered errors. */
#include "fsops.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What each op takes, one letter an argument: P a path, R a path that
 * may be "." (the mount point), Q a second path, G a symlink target, O
 * an offset, L a length, S a size, T a pattern; lower case: optional, m
 * a mode, f flag words (any number).  The usage names the arguments for
 * "missing" messages: its word i + 1 is argument i.
 */
struct kind_spec {
	const char *name;
	const char *args;
	const char *usage;
};

static const struct kind_spec specs[TORN_FSOPS_NKINDS] = {
	[TORN_FSOPS_CREAT] = { "creat", "Pm", "creat PATH [MODE]" },
	[TORN_FSOPS_MKDIR] = { "mkdir", "Pm", "mkdir PATH [MODE]" },
	[TORN_FSOPS_WRITE] = { "write", "POLT",
			       "write PATH OFFSET LENGTH PATTERN" },
	[TORN_FSOPS_PWRITE] = { "pwrite", "POLT",
				"pwrite PATH OFFSET LENGTH PATTERN" },
	[TORN_FSOPS_APPEND] = { "append", "PLT", "append PATH LENGTH PATTERN" },
	[TORN_FSOPS_TRUNCATE] = { "truncate", "PS", "truncate PATH SIZE" },
	[TORN_FSOPS_FALLOCATE] = { "fallocate", "POLf",
				   "fallocate PATH OFFSET LENGTH [keep-size] [punch-hole] [zero-range]" },
	[TORN_FSOPS_RENAME] = { "rename", "PQ", "rename FROM TO" },
	[TORN_FSOPS_LINK] = { "link", "PQ", "link EXISTING NEW" },
	[TORN_FSOPS_SYMLINK] = { "symlink", "GP", "symlink TARGET PATH" },
	[TORN_FSOPS_UNLINK] = { "unlink", "P", "unlink PATH" },
	[TORN_FSOPS_RMDIR] = { "rmdir", "P", "rmdir PATH" },
	[TORN_FSOPS_MMAP_WRITE] = { "mmap-write", "POLTf",
				    "mmap-write PATH OFFSET LENGTH PATTERN [map-sync]" },
	[TORN_FSOPS_MSYNC] = { "msync", "P", "msync PATH" },
	[TORN_FSOPS_FSYNC] = { "fsync", "R", "fsync PATH" },
	[TORN_FSOPS_FDATASYNC] = { "fdatasync", "R", "fdatasync PATH" },
	[TORN_FSOPS_SYNC] = { "sync", "", "sync" },
};

struct flag_word {
	const char *word;
	unsigned int flag;
	enum torn_fsops_kind kind;
};

static const struct flag_word flag_words[] = {
	{ "keep-size", TORN_FSOPS_KEEP_SIZE, TORN_FSOPS_FALLOCATE },
	{ "punch-hole", TORN_FSOPS_PUNCH_HOLE, TORN_FSOPS_FALLOCATE },
	{ "zero-range", TORN_FSOPS_ZERO_RANGE, TORN_FSOPS_FALLOCATE },
	{ "map-sync", TORN_FSOPS_MAP_SYNC, TORN_FSOPS_MMAP_WRITE },
};

const char *torn_fsops_kind_name(enum torn_fsops_kind kind)
{
	if ((unsigned int)kind >= TORN_FSOPS_NKINDS)
		return NULL;
	return specs[kind].name;
}

int torn_fsops_kind_by_name(const char *name)
{
	int k;

	for (k = 0; k < TORN_FSOPS_NKINDS; k++)
		if (!strcmp(specs[k].name, name))
			return k;
	return -1;
}

int torn_fsops_op_is_durability(const struct torn_fsops_op *op)
{
	return op->kind >= TORN_FSOPS_MSYNC ||
	       (op->kind == TORN_FSOPS_MMAP_WRITE &&
		(op->flags & TORN_FSOPS_MAP_SYNC));
}

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ull

static uint64_t splitmix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void torn_fsops_pattern_fill(const struct torn_fsops_pattern *p, uint64_t start,
			     uint8_t *buf, size_t len)
{
	size_t i, tlen;

	switch (p->kind) {
	case TORN_FSOPS_FILL:
		memset(buf, (int)(p->value & 0xff), len);
		break;
	case TORN_FSOPS_RAND:
		for (i = 0; i < len; i++) {
			uint64_t pos = start + i, j = pos / 8, w;

			w = splitmix64(p->value + (j + 1) * GOLDEN_GAMMA);

			buf[i] = (uint8_t)(w >> (8 * (pos % 8)));
		}
		break;
	case TORN_FSOPS_TEXT:
		tlen = strlen(p->text);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)p->text[(start + i) % tlen];
		break;
	}
}

/* ---- parsing ---------------------------------------------------------- */

struct parser {
	const char *name;
	unsigned int line;
	const char *opname; /* for messages; NULL before the op word */
	struct torn_err *err;
};

static int fail(struct parser *ps, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct parser *ps, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->opname)
		return torn_err_set(ps->err, code, "%s:%u: %s: %s", ps->name,
				    ps->line, ps->opname, msg);
	return torn_err_set(ps->err, code, "%s:%u: %s", ps->name, ps->line,
			    msg);
}

/* A word as a message shows it: at most 60 bytes. */
static const char *shown(const char *w, char *buf, size_t len)
{
	if (strlen(w) <= 60)
		return w;
	snprintf(buf, len, "%.57s...", w);
	return buf;
}

/*
 * Decimal or 0x hex, with an optional binary suffix K, M or G.
 * Returns 0, -1 (not a number) or -2 (too large for 64 bits).
 */
static int parse_number(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10, mul = 1;
	const char *p = s;
	int digits = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; *p; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -2;
		v = v * base + d;
		digits++;
	}
	if (!digits)
		return -1;
	if (*p) {
		switch (*p) {
		case 'k':
		case 'K':
			mul = 1ull << 10;
			break;
		case 'm':
		case 'M':
			mul = 1ull << 20;
			break;
		case 'g':
		case 'G':
			mul = 1ull << 30;
			break;
		default:
			return -1;
		}
		if (p[1])
			return -1;
		if (v > UINT64_MAX / mul)
			return -2;
		v *= mul;
	}
	*out = v;
	return 0;
}

/* A number for the argument called what, at most max. */
static int number_arg(struct parser *ps, const char *what, const char *w,
		      uint64_t max, uint64_t *out)
{
	char b[64];
	int r = parse_number(w, out);

	if (r == -1)
		return fail(ps, TORN_E_FORMAT, "%s '%s' is not a number", what,
			    shown(w, b, sizeof(b)));
	if (r == -2 || *out > max)
		return fail(ps, TORN_E_RANGE, "%s '%s' is above %llu", what,
			    shown(w, b, sizeof(b)), (unsigned long long)max);
	return 0;
}

static int mode_arg(struct parser *ps, const char *w, unsigned int *mode)
{
	unsigned int v = 0;
	const char *p;
	char b[64];

	for (p = w; *p; p++) {
		if (*p < '0' || *p > '7' || v > 07777)
			break;
		v = v * 8 + (*p - '0');
	}
	if (*p || p == w || v > 07777)
		return fail(ps, TORN_E_FORMAT,
			    "mode '%s' is not an octal mode like 0644",
			    shown(w, b, sizeof(b)));
	*mode = v;
	return 0;
}

/*
 * Normalize a path in place (drop leading "./"); root_ok allows "." for
 * the mount point.  Returns 0 or an error.
 */
static int path_arg(struct parser *ps, char *w, int root_ok, char **out)
{
	char b[64], *p = w, *c;
	size_t clen;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (!*p)
		p = ".";
	if (!strcmp(p, ".")) {
		if (!root_ok)
			return fail(ps, TORN_E_FORMAT,
				    "path '%s' is the mount point itself",
				    shown(w, b, sizeof(b)));
		*out = p;
		return 0;
	}
	if (p[0] == '/')
		return fail(
			ps, TORN_E_FORMAT,
			"path '%s' is absolute; paths are relative to the mount point",
			shown(w, b, sizeof(b)));
	if (strlen(p) > TORN_FSOPS_MAX_PATH)
		return fail(ps, TORN_E_RANGE,
			    "path '%s' is longer than %d bytes",
			    shown(w, b, sizeof(b)), TORN_FSOPS_MAX_PATH);
	for (c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return fail(ps, TORN_E_FORMAT,
				    "path '%s' has a control character",
				    shown(w, b, sizeof(b)));
	for (c = p;; c += clen + 1) {
		clen = strcspn(c, "/");
		if (!clen)
			return fail(ps, TORN_E_FORMAT,
				    c[0] ? "path '%s' has an empty component"
					 : "path '%s' ends with '/'",
				    shown(w, b, sizeof(b)));
		if ((clen == 1 && c[0] == '.') ||
		    (clen == 2 && c[0] == '.' && c[1] == '.'))
			return fail(ps, TORN_E_FORMAT,
				    "path '%s' has a '%.*s' component",
				    shown(w, b, sizeof(b)), (int)clen, c);
		if (clen > 255)
			return fail(
				ps, TORN_E_RANGE,
				"path '%s' has a component longer than 255 bytes",
				shown(w, b, sizeof(b)));
		if (!c[clen])
			break;
	}
	*out = p;
	return 0;
}

static int pattern_arg(struct parser *ps, const char *w,
		       struct torn_fsops_pattern *pat, const char **text)
{
	char b[64];

	if (!strncmp(w, "fill:", 5)) {
		pat->kind = TORN_FSOPS_FILL;
		if (parse_number(w + 5, &pat->value) || pat->value > 255)
			return fail(ps, TORN_E_FORMAT,
				    "fill byte '%s' is not a number 0..255",
				    shown(w + 5, b, sizeof(b)));
		return 0;
	}
	if (!strncmp(w, "rand:", 5)) {
		pat->kind = TORN_FSOPS_RAND;
		if (parse_number(w + 5, &pat->value))
			return fail(ps, TORN_E_FORMAT,
				    "random seed '%s' is not a 64-bit number",
				    shown(w + 5, b, sizeof(b)));
		return 0;
	}
	if (!strncmp(w, "text:", 5)) {
		pat->kind = TORN_FSOPS_TEXT;
		if (!w[5] || strlen(w + 5) > 255)
			return fail(ps, TORN_E_FORMAT,
				    "text pattern must have 1..255 bytes");
		*text = w + 5;
		return 0;
	}
	return fail(ps, TORN_E_FORMAT,
		    "pattern '%s' is not fill:BYTE, rand:SEED or text:STRING",
		    shown(w, b, sizeof(b)));
}

static int flag_arg(struct parser *ps, enum torn_fsops_kind kind, const char *w,
		    unsigned int *flags)
{
	char b[64], known[128] = "";
	size_t i;

	for (i = 0; i < sizeof(flag_words) / sizeof(flag_words[0]); i++) {
		if (flag_words[i].kind != kind)
			continue;
		if (!strcmp(flag_words[i].word, w)) {
			*flags |= flag_words[i].flag;
			return 0;
		}
		snprintf(known + strlen(known), sizeof(known) - strlen(known),
			 "%s%s", known[0] ? ", " : "", flag_words[i].word);
	}
	return fail(ps, TORN_E_FORMAT, "unknown flag '%s' (known: %s)",
		    shown(w, b, sizeof(b)), known);
}

/* Word n + 1 of a usage string: the name of argument n. */
static void usage_word(const char *usage, size_t n, char *buf, size_t len)
{
	const char *p = usage;
	size_t i, wl;

	for (i = 0; i <= n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p) {
		snprintf(buf, len, "an argument");
		return;
	}
	wl = strcspn(p, " ");
	snprintf(buf, len, "%.*s", (int)wl, p);
}

static void append_text(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void append_text(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* The canonical text of a parsed op. */
static void op_text(const struct torn_fsops_op *op, const char *pattern_text,
		    char *buf, size_t len)
{
	const char *spec = specs[op->kind].args;

	buf[0] = 0;
	append_text(buf, len, "%s%s", op->atomic ? "atomic " : "",
		    specs[op->kind].name);
	for (; *spec; spec++) {
		switch (*spec) {
		case 'P':
		case 'R':
			append_text(buf, len, " %s", op->path);
			break;
		case 'Q':
			append_text(buf, len, " %s", op->path2);
			break;
		case 'G':
			append_text(buf, len, " %s", op->target);
			break;
		case 'O':
			append_text(buf, len, " %llu",
				    (unsigned long long)op->offset);
			break;
		case 'L':
		case 'S':
			append_text(buf, len, " %llu",
				    (unsigned long long)op->length);
			break;
		case 'T':
			if (op->pattern.kind == TORN_FSOPS_FILL)
				append_text(buf, len, " fill:0x%02x",
					    (unsigned int)op->pattern.value);
			else if (op->pattern.kind == TORN_FSOPS_RAND)
				append_text(
					buf, len, " rand:%llu",
					(unsigned long long)op->pattern.value);
			else
				append_text(buf, len, " text:%s", pattern_text);
			break;
		case 'm':
			if (op->mode !=
			    (op->kind == TORN_FSOPS_MKDIR ? 0755 : 0644))
				append_text(buf, len, " %04o", op->mode);
			break;
		case 'f':
			if (op->flags & TORN_FSOPS_KEEP_SIZE)
				append_text(buf, len, " keep-size");
			if (op->flags & TORN_FSOPS_PUNCH_HOLE)
				append_text(buf, len, " punch-hole");
			if (op->flags & TORN_FSOPS_ZERO_RANGE)
				append_text(buf, len, " zero-range");
			if (op->flags & TORN_FSOPS_MAP_SYNC)
				append_text(buf, len, " map-sync");
			break;
		}
	}
}

#define MAX_WORDS 16

/* Split a line (modified in place) into words; returns the count or -1. */
static int split_words(char *line, char **w)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			return n;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = 0;
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Parse the words of one line into op; strings still point into words. */
static int parse_op(struct parser *ps, char **w, int nw,
		    struct torn_fsops_op *op, const char **pattern_text)
{
	const struct kind_spec *spec;
	const char *a;
	char b[64], argname[32];
	int k, i = 0, r;

	if (!strcmp(w[0], "atomic")) {
		op->atomic = 1;
		w++;
		nw--;
		if (!nw)
			return fail(ps, TORN_E_FORMAT,
				    "atomic: expects an operation after it");
	}
	k = torn_fsops_kind_by_name(w[0]);
	if (k < 0)
		return fail(ps, TORN_E_FORMAT, "unknown operation '%s'",
			    shown(w[0], b, sizeof(b)));
	op->kind = k;
	spec = &specs[k];
	ps->opname = spec->name;
	op->mode = k == TORN_FSOPS_MKDIR ? 0755 : 0644;
	w++;
	nw--;
	for (a = spec->args; *a; a++) {
		char *word;

		if (i == nw) {
			if (*a == 'm' || *a == 'f')
				break;
			usage_word(spec->usage, a - spec->args, argname,
				   sizeof(argname));
			return fail(ps, TORN_E_FORMAT, "missing %s (usage: %s)",
				    argname, spec->usage);
		}
		word = w[i++];
		switch (*a) {
		case 'P':
		case 'R':
			r = path_arg(ps, word, *a == 'R', (char **)&op->path);
			break;
		case 'Q':
			r = path_arg(ps, word, 0, (char **)&op->path2);
			break;
		case 'G':
			r = strlen(word) > TORN_FSOPS_MAX_PATH
				    ? fail(ps, TORN_E_RANGE,
					   "target is longer than %d bytes",
					   TORN_FSOPS_MAX_PATH)
				    : 0;
			op->target = word;
			break;
		case 'O':
			r = number_arg(ps, "offset", word,
				       TORN_FSOPS_MAX_OFFSET, &op->offset);
			break;
		case 'L':
			r = number_arg(ps, "length", word,
				       TORN_FSOPS_MAX_LENGTH, &op->length);
			if (!r && !op->length)
				r = fail(ps, TORN_E_RANGE,
					 "length 0 does nothing");
			break;
		case 'S':
			r = number_arg(ps, "size", word, TORN_FSOPS_MAX_OFFSET,
				       &op->length);
			break;
		case 'T':
			r = pattern_arg(ps, word, &op->pattern, pattern_text);
			break;
		case 'm':
			r = mode_arg(ps, word, &op->mode);
			break;
		case 'f':
			r = flag_arg(ps, k, word, &op->flags);
			while (!r && i < nw)
				r = flag_arg(ps, k, w[i++], &op->flags);
			break;
		default:
			r = 0;
		}
		if (r)
			return r;
	}
	if (i < nw)
		return fail(ps, TORN_E_FORMAT, "unexpected '%s' (usage: %s)",
			    shown(w[i], b, sizeof(b)), spec->usage);
	if ((op->flags & TORN_FSOPS_PUNCH_HOLE) &&
	    (op->flags & TORN_FSOPS_ZERO_RANGE))
		return fail(ps, TORN_E_FORMAT,
			    "punch-hole and zero-range exclude each other");
	if (op->offset + op->length > TORN_FSOPS_MAX_OFFSET)
		return fail(ps, TORN_E_RANGE, "the range ends beyond %llu",
			    (unsigned long long)TORN_FSOPS_MAX_OFFSET);
	if (op->atomic && op->kind >= TORN_FSOPS_MSYNC)
		return fail(ps, TORN_E_FORMAT,
			    "cannot be atomic: it changes nothing in the tree");
	if (op->kind == TORN_FSOPS_RENAME) {
		size_t l = strlen(op->path);

		if (!strncmp(op->path, op->path2, l) && op->path2[l] == '/')
			return fail(ps, TORN_E_FORMAT, "'%s' is inside '%s'",
				    op->path2, op->path);
	}
	return 0;
}

void torn_fsops_free(struct torn_fsops *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nops; i++) {
		struct torn_fsops_op *op = &w->ops[i];

		free((char *)op->path);
		free((char *)op->path2);
		free((char *)op->target);
		free((char *)op->pattern.text);
		free((char *)op->text);
	}
	free(w->ops);
	free((char *)w->name);
	free(w);
}

/* Copy a parsed op's strings out of the line buffer into w. */
static int keep_op(struct torn_fsops *w, size_t *cap,
		   const struct torn_fsops_op *op, const char *pattern_text)
{
	struct torn_fsops_op *o;
	char text[TORN_FSOPS_MAX_LINE + 64];

	if (w->nops == *cap) {
		size_t ncap = *cap ? 2 * *cap : 32;
		struct torn_fsops_op *p = realloc(w->ops, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		w->ops = p;
		*cap = ncap;
	}
	o = &w->ops[w->nops];
	*o = *op;
	o->path = dup_or_null(op->path);
	o->path2 = dup_or_null(op->path2);
	o->target = dup_or_null(op->target);
	o->pattern.text = dup_or_null(pattern_text);
	op_text(op, pattern_text, text, sizeof(text));
	o->text = strdup(text);
	w->nops++;
	if ((op->path && !o->path) || (op->path2 && !o->path2) ||
	    (op->target && !o->target) || (pattern_text && !o->pattern.text) ||
	    !o->text)
		return -ENOMEM;
	return 0;
}

int torn_fsops_parse(const char *text, size_t len, const char *name,
		     struct torn_fsops **out, struct torn_err *err)
{
	struct parser ps = { .name = name ? name : "workload", .err = err };
	struct torn_fsops *w = calloc(1, sizeof(*w));
	char line[TORN_FSOPS_MAX_LINE + 1];
	size_t pos = 0, cap = 0;
	int ret = 0;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->name = strdup(ps.name);
	if (!w->name) {
		free(w);
		return -ENOMEM;
	}
	while (pos < len && !ret) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct torn_fsops_op op = { 0 };
		const char *pattern_text = NULL;
		char *words[MAX_WORDS], *hash;
		int nw;

		ps.line++;
		ps.opname = NULL;
		if (llen > TORN_FSOPS_MAX_LINE) {
			ret = fail(&ps, TORN_E_RANGE,
				   "line is longer than %d bytes",
				   TORN_FSOPS_MAX_LINE);
			break;
		}
		memcpy(line, text + pos, llen);
		line[llen] = 0;
		pos += llen + 1;
		if (strlen(line) != llen) {
			ret = fail(&ps, TORN_E_FORMAT, "line has a NUL byte");
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		nw = split_words(line, words);
		if (nw < 0) {
			ret = fail(&ps, TORN_E_FORMAT, "more than %d words",
				   MAX_WORDS);
			break;
		}
		if (!nw)
			continue;
		if (w->nops == TORN_FSOPS_MAX_OPS) {
			ret = fail(&ps, TORN_E_RANGE, "more than %d operations",
				   TORN_FSOPS_MAX_OPS);
			break;
		}
		op.line = ps.line;
		ret = parse_op(&ps, words, nw, &op, &pattern_text);
		if (!ret)
			ret = keep_op(w, &cap, &op, pattern_text);
	}
	if (ret) {
		torn_fsops_free(w);
		return ret;
	}
	*out = w;
	return 0;
}
