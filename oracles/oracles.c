/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host-side oracle logic: expected states, dmesg patterns, verdict records. */
#include "oracles.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

void oracle_progress_at(const struct oracle_marker *m, size_t n, uint64_t point,
			struct oracle_progress *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < n && m[i].record < point; i++) {
		switch (m[i].id) {
		case TORN_MARK_OP_BEGIN:
			if (m[i].arg > p->last_begun)
				p->last_begun = m[i].arg;
			break;
		case TORN_MARK_OP_END:
			if (m[i].arg > p->last_ended)
				p->last_ended = m[i].arg;
			break;
		case TORN_MARK_DURABLE:
			if (m[i].arg > p->last_durable)
				p->last_durable = m[i].arg;
			break;
		}
	}
	p->nmarkers = i;
}

/* ---- expected.txt ------------------------------------------------------- */

enum exp_kind { EXP_TOUCH, EXP_PRE, EXP_POST, EXP_DURABLE };

struct exp_rec {
	int kind;
	uint64_t op;
	char *line; /* dump line, or the path for touch */
	char *path; /* points into line (or is line) */
};

struct exp_op {
	uint64_t op;
	int atomic;
};

struct oracle_expected {
	struct exp_rec *recs;
	size_t nrecs, caprecs;
	struct exp_op *ops;
	size_t nops, capops;
	char *text; /* owned copy that lines point into */
};

/*
 * The path field of a dump line: "d MODE P", "f MODE NLINK SIZE HASH P
 * [= FIRST]", "l TARGET P", "o MODE TYPE P", "- P", "? WHY P".  Returns
 * the path's start and its length, or NULL.
 */
static const char *line_path(const char *line, size_t *plen)
{
	int field, want;
	const char *p = line, *start;

	switch (line[0]) {
	case 'd':
	case 'l':
	case '?':
		want = 2;
		break;
	case 'f':
		want = 5;
		break;
	case 'o':
		want = 3;
		break;
	case '-':
		want = 1;
		break;
	default:
		return NULL;
	}
	if (line[1] != ' ')
		return NULL;
	for (field = 0; field < want; field++) {
		p = strchr(p, ' ');
		if (!p)
			return NULL;
		while (*p == ' ')
			p++;
	}
	start = p;
	while (*p && *p != ' ' && *p != '\n')
		p++;
	if (p == start)
		return NULL;
	*plen = p - start;
	return start;
}

static int push_rec(struct oracle_expected *e, const struct exp_rec *r)
{
	if (e->nrecs == e->caprecs) {
		size_t cap = e->caprecs ? 2 * e->caprecs : 64;
		struct exp_rec *p = realloc(e->recs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		e->recs = p;
		e->caprecs = cap;
	}
	e->recs[e->nrecs++] = *r;
	return 0;
}

static int push_op(struct oracle_expected *e, uint64_t op, int atomic)
{
	if (e->nops == e->capops) {
		size_t cap = e->capops ? 2 * e->capops : 64;
		struct exp_op *p = realloc(e->ops, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		e->ops = p;
		e->capops = cap;
	}
	e->ops[e->nops].op = op;
	e->ops[e->nops].atomic = atomic;
	e->nops++;
	return 0;
}

int oracle_expected_parse(const char *text, size_t len,
			  struct oracle_expected **out, struct torn_err *err)
{
	struct oracle_expected *e = calloc(1, sizeof(*e));
	char *line, *next;
	size_t lineno = 0;
	int ret;

	if (!e || !(e->text = malloc(len + 1))) {
		free(e);
		return torn_err_set(err, -ENOMEM, "out of memory");
	}
	memcpy(e->text, text, len);
	e->text[len] = 0;
	if (memchr(text, 0, len)) {
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "expected.txt: NUL byte in text");
		goto out_fail;
	}
	for (line = e->text; line && *line; line = next) {
		char kw[16], *rest;
		unsigned long long op;
		int consumed = 0;
		struct exp_rec r = { 0 };

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "%15s %llu %n", kw, &op, &consumed) < 2 ||
		    !consumed) {
			ret = torn_err_set(
				err, TORN_E_FORMAT,
				"expected.txt:%zu: expected KEYWORD N ...",
				lineno);
			goto out_fail;
		}
		rest = line + consumed;
		r.op = op;
		if (!strcmp(kw, "op")) {
			if ((rest[0] != '0' && rest[0] != '1') ||
			    (rest[1] && rest[1] != ' ')) {
				ret = torn_err_set(
					err, TORN_E_FORMAT,
					"expected.txt:%zu: op: atomic flag must be 0 or 1",
					lineno);
				goto out_fail;
			}
			if (push_op(e, op, rest[0] == '1'))
				goto out_oom;
			continue;
		}
		if (!strcmp(kw, "touch")) {
			r.kind = EXP_TOUCH;
			r.line = rest;
			r.path = rest;
			if (!*rest || strchr(rest, ' ')) {
				ret = torn_err_set(
					err, TORN_E_FORMAT,
					"expected.txt:%zu: touch needs one path",
					lineno);
				goto out_fail;
			}
		} else {
			size_t plen;
			const char *p;

			if (!strcmp(kw, "pre"))
				r.kind = EXP_PRE;
			else if (!strcmp(kw, "post"))
				r.kind = EXP_POST;
			else if (!strcmp(kw, "durable"))
				r.kind = EXP_DURABLE;
			else {
				ret = torn_err_set(
					err, TORN_E_FORMAT,
					"expected.txt:%zu: unknown keyword '%s'",
					lineno, kw);
				goto out_fail;
			}
			p = line_path(rest, &plen);
			if (!p) {
				ret = torn_err_set(
					err, TORN_E_FORMAT,
					"expected.txt:%zu: not a dump line: '%.60s'",
					lineno, rest);
				goto out_fail;
			}
			r.line = rest;
			r.path = strndup(p, plen);
			if (!r.path)
				goto out_oom;
		}
		if (push_rec(e, &r))
			goto out_oom;
	}
	*out = e;
	return 0;
out_oom:
	ret = torn_err_set(err, -ENOMEM, "out of memory");
out_fail:
	/* after the message: it may quote the text e holds */
	oracle_expected_free(e);
	return ret;
}

void oracle_expected_free(struct oracle_expected *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nrecs; i++)
		if (e->recs[i].kind != EXP_TOUCH)
			free(e->recs[i].path);
	free(e->recs);
	free(e->ops);
	free(e->text);
	free(e);
}

size_t oracle_expected_ops(const struct oracle_expected *e)
{
	return e ? e->nops : 0;
}

/* Split s at spaces into at most max fields (pointers into a copy). */
static size_t split(char *s, char **f, size_t max)
{
	size_t n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, " \n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \n", &save))
		f[n++] = tok;
	return n;
}

int oracle_line_matches(const char *promised, const char *actual)
{
	char a[4096], b[4096];
	char *fa[16], *fb[16];
	size_t na, nb, i;

	snprintf(a, sizeof(a), "%s", promised);
	snprintf(b, sizeof(b), "%s", actual);
	na = split(a, fa, 16);
	nb = split(b, fb, 16);
	/* "= first-link" is the dump's note on hard links: not promised */
	if (nb >= 2 && !strcmp(fb[nb - 2], "="))
		nb -= 2;
	if (na >= 2 && !strcmp(fa[na - 2], "="))
		na -= 2;
	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(fa[i], "*") && strcmp(fa[i], fb[i]))
			return 0;
	return 1;
}

/* The recovered dump's line for path, copied into buf; 0 if absent. */
static int dump_lookup(const char *dump, const char *path, char *buf,
		       size_t len)
{
	const char *line = dump;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t llen = end ? (size_t)(end - line) : strlen(line);
		char tmp[4096];
		const char *p;
		size_t plen;

		if (llen < sizeof(tmp)) {
			memcpy(tmp, line, llen);
			tmp[llen] = 0;
			p = line_path(tmp, &plen);
			if (p && plen == strlen(path) &&
			    !memcmp(p, path, plen)) {
				snprintf(buf, len, "%s", tmp);
				return 1;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return 0;
}

/* Is path touched by an op in (after, upto]? */
static int touched_later(const struct oracle_expected *e, const char *path,
			 uint64_t after, uint64_t upto)
{
	size_t i;

	for (i = 0; i < e->nrecs; i++)
		if (e->recs[i].kind == EXP_TOUCH && e->recs[i].op > after &&
		    e->recs[i].op <= upto && !strcmp(e->recs[i].path, path))
			return 1;
	return 0;
}

/* Does the recovered state of r's path equal r's line? */
static int holds(const struct exp_rec *r, const char *dump, char *found,
		 size_t len)
{
	int present = dump_lookup(dump, r->path, found, len);

	if (r->line[0] == '-')
		return !present;
	if (!present)
		snprintf(found, len, "absent");
	return present && oracle_line_matches(r->line, found);
}

static void add_detail(char *detail, size_t len, int *nfail, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));
static void add_detail(char *detail, size_t len, int *nfail, const char *fmt,
		       ...)
{
	size_t used = strlen(detail);
	va_list ap;

	if (++*nfail > 3 || used + 8 >= len)
		return;
	if (used)
		strncat(detail, "; ", len - used - 1);
	used = strlen(detail);
	va_start(ap, fmt);
	vsnprintf(detail + used, len - used, fmt, ap);
	va_end(ap);
}

int oracle_durability(const struct oracle_expected *e,
		      const struct oracle_progress *p, const char *dump,
		      char *detail, size_t len)
{
	size_t i, j;
	int nfail = 0;

	detail[0] = 0;
	for (i = 0; e && i < e->nrecs; i++) {
		const struct exp_rec *r = &e->recs[i];
		char found[4096];
		int superseded = 0;

		if (r->kind != EXP_DURABLE || r->op > p->last_durable)
			continue;
		/* only the latest due promise per path counts */
		for (j = 0; j < e->nrecs; j++)
			if (e->recs[j].kind == EXP_DURABLE &&
			    e->recs[j].op > r->op &&
			    e->recs[j].op <= p->last_durable &&
			    !strcmp(e->recs[j].path, r->path))
				superseded = 1;
		if (superseded ||
		    touched_later(e, r->path, r->op, p->last_begun))
			continue;
		if (!holds(r, dump, found, sizeof(found)))
			add_detail(
				detail, len, &nfail,
				"%s: durable since op %llu as '%s', found '%s'",
				r->path, (unsigned long long)r->op, r->line,
				found);
	}
	if (nfail > 3)
		add_detail(detail, len, &nfail, "and %d more", nfail - 4);
	return nfail ? 1 : 0;
}

/* Do all of op's pre (or post) records hold? */
static int all_hold(const struct oracle_expected *e, uint64_t op, int kind,
		    const char *dump)
{
	char found[4096];
	size_t i;

	for (i = 0; i < e->nrecs; i++)
		if (e->recs[i].op == op && e->recs[i].kind == kind &&
		    !holds(&e->recs[i], dump, found, sizeof(found)))
			return 0;
	return 1;
}

int oracle_atomicity(const struct oracle_expected *e,
		     const struct oracle_progress *p, const char *dump,
		     char *detail, size_t len)
{
	size_t i, j;
	int nfail = 0;

	detail[0] = 0;
	for (i = 0; e && i < e->nops; i++) {
		uint64_t op = e->ops[i].op;
		int skip = 0;

		if (!e->ops[i].atomic || op > p->last_begun ||
		    p->last_durable >= op)
			continue;
		for (j = 0; j < e->nrecs; j++)
			if (e->recs[j].op == op &&
			    (e->recs[j].kind == EXP_PRE ||
			     e->recs[j].kind == EXP_POST) &&
			    touched_later(e, e->recs[j].path, op,
					  p->last_begun))
				skip = 1;
		if (skip)
			continue;
		if (!all_hold(e, op, EXP_PRE, dump) &&
		    !all_hold(e, op, EXP_POST, dump)) {
			char found[4096] = "";

			for (j = 0; j < e->nrecs; j++)
				if (e->recs[j].op == op &&
				    e->recs[j].kind == EXP_POST)
					break;
			if (j < e->nrecs && !dump_lookup(dump, e->recs[j].path,
							 found, sizeof(found)))
				snprintf(found, sizeof(found), "absent");
			add_detail(
				detail, len, &nfail,
				"atomic op %llu left neither its before nor its after state (%s: '%s')",
				(unsigned long long)op,
				j < e->nrecs ? e->recs[j].path : "?", found);
		}
	}
	return nfail ? 1 : 0;
}

/* ---- dmesg -------------------------------------------------------------- */

/*
 * What the kernel logs when something is wrong: anywhere in a line (the
 * generic ones), or after a subsystem's prefix, from its error and
 * warning messages (fs/jbd2/{journal,recovery}.c, fs/ext4/super.c
 * ext4_msg/ext4_error, fs/xfs/xfs_message.c, xfs_fsops.c shut-down,
 * fs/btrfs's error and critical levels and its checksum failures).
 * Informational lines of the same prefixes are not matched: "recovery
 * complete", "mounted filesystem", XFS's "Ending recovery" and its
 * "Torn write (CRC failure) detected" (a torn log write it handled).
 */
static const struct {
	const char *prefix; /* "" anywhere */
	const char *const words[12];
} dmesg_patterns[] = {
	{ "",
	  { "BUG:", "WARNING:", "Oops", "kernel BUG",
	    "general protection fault", "Call Trace:", "unable to handle",
	    "Corruption", "corruption", "Internal error", "I/O error" } },
	{ "JBD2: ",
	  { "corrupt", "checksum", "Checksum", "recovery failed", "error",
	    "Error", "bad block", "no valid journal", "failed" } },
	{ "EXT4-fs ",
	  { "error", "warning", "corrupt", "checksum", "Checksum", "failed",
	    "read-only", "Invalid", "invalid", "bad " } },
	{ "XFS (",
	  { "CRC error", "xfs_repair", "shut down", "Shutting down", "failed",
	    "Failed" } },
	/* btrfs_err, btrfs_crit, and checksum failures logged as warnings */
	{ "BTRFS ",
	  { "error (", "critical (", "emergency (", "csum failed",
	    "checksum mismatch", "corrupt" } },
};

/* Does word occur in line[0..len) after prefix?  "errors=" (an option). */
static bool dmesg_hit(const char *line, size_t len, const char *prefix,
		      const char *word)
{
	const char *p =
		*prefix ? memmem(line, len, prefix, strlen(prefix)) : line;
	size_t wl = strlen(word);

	while (p && (size_t)(p - line) < len) {
		const char *hit = memmem(p, len - (size_t)(p - line), word, wl);

		if (!hit)
			return false;
		if (strcmp(word, "error") || (size_t)(hit - line) + 6 >= len ||
		    hit[5] != 's' || hit[6] != '=')
			return true;
		p = hit + wl;
	}
	return false;
}

int oracle_dmesg(const char *log, char *detail, size_t len)
{
	const char *line = log;

	detail[0] = 0;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t llen = end ? (size_t)(end - line) : strlen(line);
		size_t i, w;

		for (i = 0;
		     i < sizeof(dmesg_patterns) / sizeof(dmesg_patterns[0]);
		     i++)
			for (w = 0; dmesg_patterns[i].words[w]; w++) {
				if (!dmesg_hit(line, llen,
					       dmesg_patterns[i].prefix,
					       dmesg_patterns[i].words[w]))
					continue;
				snprintf(detail, len, "%.*s",
					 (int)(llen > 300 ? 300 : llen), line);
				return 1;
			}
		line = end ? end + 1 : NULL;
	}
	return 0;
}
