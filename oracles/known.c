/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Known findings files (known.h).  Read by a small line parser of its
 * own, not GKeyFile: GKeyFile takes backslashes in values as escapes (a
 * regular expression's "\(" is an error there) and keeps no line
 * numbers for the messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <glib.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings_files.h"
#include "known.h"
#include "torn_fs.h"
#include "torn_quote.h"

struct finding {
	char *id, *title, *doc, *source;
	int line;
	unsigned int fs; /* bits of enum torn_fs_kind; 0: any */
	int verdict; /* -1: inconsistent or unrecoverable */
	unsigned int named; /* oracles with a regular expression */
	regex_t re[TORN_O_COUNT];
	unsigned int may_fail, passed;
};

struct torn_known {
	struct finding *v;
	size_t n, cap;
};

#define QLEN 80

struct torn_known *torn_known_new(void)
{
	return calloc(1, sizeof(struct torn_known));
}

static void finding_free(struct finding *f)
{
	int o;

	for (o = 0; o < TORN_O_COUNT; o++)
		if (f->named & TORN_O_BIT(o))
			regfree(&f->re[o]);
	free(f->id);
	free(f->title);
	free(f->doc);
	free(f->source);
	memset(f, 0, sizeof(*f));
}

void torn_known_free(struct torn_known *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		finding_free(&k->v[i]);
	free(k->v);
	free(k);
}

const char *torn_known_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < torn_findings_files_count; i++)
		if (!strcmp(torn_findings_files[i].name, name))
			return torn_findings_files[i].text;
	return NULL;
}

/* One file being read: where, and the finding being built. */
struct reader {
	struct torn_known *k;
	const char *name;
	int line;
	struct torn_err *err;
	struct finding *f; /* k->v[k->n - 1] while building, or NULL */
	unsigned int seen; /* keys of f given so far (bits of key_names) */
	size_t first; /* k->n before this file */
};

static const char *const key_names[] = { "title",   "doc",	"fs",
					 "verdict", "may-fail", "passed" };
#define NKEYS (sizeof(key_names) / sizeof(key_names[0]))

/* "NAME:LINE: [key 'KEY': ]why"; user strings in fmt's arguments quoted. */
__attribute__((format(printf, 3, 4))) static int
fail(struct reader *r, const char *key, const char *fmt, ...)
{
	char qn[QLEN], qk[QLEN], why[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (key)
		return torn_err_set(
			r->err, TORN_E_FORMAT, "%s:%d: key '%s': %s",
			torn_quote(r->name, qn, sizeof(qn)), r->line,
			torn_quote(key, qk, sizeof(qk)), why);
	return torn_err_set(r->err, TORN_E_FORMAT, "%s:%d: %s",
			    torn_quote(r->name, qn, sizeof(qn)), r->line, why);
}

/* s quoted into q[QLEN], for a message. */
#define Q(s, q) torn_quote((s), (q), sizeof(q))

/* Each word of a list (blanks, commas, semicolons between) into fn. */
static int each_word(struct reader *r, const char *key, const char *list,
		     int (*fn)(struct reader *r, const char *key,
			       const char *word, unsigned int *bits),
		     unsigned int *bits)
{
	static const char sep[] = " \t,;";
	char word[64], q[QLEN];
	int ret = 0;

	*bits = 0;
	while (!ret && *(list += strspn(list, sep))) {
		size_t n = strcspn(list, sep);

		if (n >= sizeof(word))
			return fail(r, key, "'%s...' is too long", Q(list, q));
		memcpy(word, list, n);
		word[n] = '\0';
		ret = fn(r, key, word, bits);
		list += n;
	}
	if (!ret && !*bits)
		ret = fail(r, key, "an empty list");
	return ret;
}

static int fs_word(struct reader *r, const char *key, const char *word,
		   unsigned int *bits)
{
	int fs = torn_fs_kind_parse(word);
	char q[QLEN], kinds[256] = "";

	if (fs < 0) {
		for (int i = 0; i < TORN_FS_BUILTIN; i++)
			snprintf(kinds + strlen(kinds),
				 sizeof(kinds) - strlen(kinds), "%s%s",
				 i ? ", " : "", torn_fs_kind_name(i));
		return fail(r, key, "unknown filesystem '%s' (%s)", Q(word, q),
			    kinds);
	}
	*bits |= 1u << fs;
	return 0;
}

static int oracle_word(struct reader *r, const char *key, const char *word,
		       unsigned int *bits)
{
	int o = torn_oracle_parse(word);
	char q[QLEN];

	if (o < 0)
		return fail(r, key, "unknown oracle '%s'", Q(word, q));
	*bits |= TORN_O_BIT(o);
	return 0;
}

static int new_finding(struct reader *r, const char *id)
{
	struct torn_known *k = r->k;
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->v[i].id, id)) {
			char q[QLEN], qs[QLEN];

			return fail(r, NULL,
				    "finding '%s' given twice (first in %s:%d)",
				    Q(id, q), Q(k->v[i].source, qs),
				    k->v[i].line);
		}
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 8;
		struct finding *v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	r->f = &k->v[k->n++];
	memset(r->f, 0, sizeof(*r->f));
	r->f->verdict = -1;
	r->f->line = r->line;
	r->f->id = strdup(id);
	r->f->source = strdup(r->name);
	r->seen = 0;
	return r->f->id && r->f->source ? 0 : -ENOMEM;
}

/* The finding just read is complete: the keys it must have. */
static int end_finding(struct reader *r)
{
	struct finding *f = r->f;
	int line = r->line, ret = 0;
	char q[QLEN];

	if (!f)
		return 0;
	r->f = NULL;
	r->line = f->line; /* the messages name the [ID] line */
	if (!f->title)
		ret = fail(r, NULL, "finding '%s' has no title", Q(f->id, q));
	else if (!f->named)
		ret = fail(r, NULL,
			   "finding '%s' names no oracle (e.g. fsck = "
			   "REGULAR-EXPRESSION): it would explain every "
			   "state",
			   Q(f->id, q));
	else if (f->passed & (f->named | f->may_fail))
		ret = fail(r, NULL,
			   "finding '%s' has an oracle both failed and passed",
			   Q(f->id, q));
	r->line = line;
	return ret;
}

static int set_regex(struct reader *r, int o, const char *key, const char *v)
{
	struct finding *f = r->f;
	char why[120];
	int rc;

	if (f->named & TORN_O_BIT(o))
		return fail(r, key, "given twice");
	rc = regcomp(&f->re[o], v, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &f->re[o], why, sizeof(why));
		regfree(&f->re[o]);
		return fail(r, key, "bad regular expression: %s", why);
	}
	f->named |= TORN_O_BIT(o);
	return 0;
}

static int set_key(struct reader *r, const char *key, const char *v)
{
	struct finding *f = r->f;
	unsigned int i;
	int o = torn_oracle_parse(key);

	char q[QLEN];

	if (!f)
		return fail(r, key, "outside a [FINDING-ID] group");
	if (!*v)
		return fail(r, key, "no value");
	if (o >= 0)
		return set_regex(r, o, key, v);
	for (i = 0; i < NKEYS && strcmp(key, key_names[i]); i++)
		;
	if (i == NKEYS)
		return fail(r, key,
			    "unknown key (title, doc, fs, verdict, may-fail, "
			    "passed, or an oracle: mount, fsck, dmesg, ...)");
	if (r->seen & (1u << i))
		return fail(r, key, "given twice");
	r->seen |= 1u << i;
	switch (i) {
	case 0:
		return (f->title = strdup(v)) ? 0 : -ENOMEM;
	case 1:
		return (f->doc = strdup(v)) ? 0 : -ENOMEM;
	case 2:
		return each_word(r, key, v, fs_word, &f->fs);
	case 3:
		f->verdict = torn_verdict_parse(v);
		if (!torn_verdict_flagged(f->verdict))
			return fail(r, key,
				    "'%s' is not inconsistent or unrecoverable",
				    Q(v, q));
		return 0;
	case 4:
		return each_word(r, key, v, oracle_word, &f->may_fail);
	default:
		return each_word(r, key, v, oracle_word, &f->passed);
	}
}

/* One line, without its '\n', blanks around it stripped. */
static int read_line(struct reader *r, char *s)
{
	char *eq, *end, q[QLEN];

	if (!*s || *s == '#')
		return 0;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || end[1] || end == s + 1 ||
		    strcspn(s + 1, " \t[") < (size_t)(end - s - 1))
			return fail(r, NULL, "'%s' is not a [FINDING-ID] line",
				    Q(s, q));
		*end = '\0';
		if (end - s - 1 > TORN_FINDING_ID_MAX)
			return fail(r, NULL,
				    "finding id '%s' is longer than 40 bytes",
				    Q(s + 1, q));
		return end_finding(r) ?: new_finding(r, s + 1);
	}
	eq = strchr(s, '=');
	if (!eq)
		return fail(r, NULL, "'%s' is not 'key = value'", Q(s, q));
	for (end = eq; end > s && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = '\0';
	for (eq++; *eq == ' ' || *eq == '\t'; eq++)
		;
	if (!*s)
		return fail(r, NULL, "'= %s' has no key", Q(eq, q));
	return set_key(r, s, eq);
}

int torn_known_add(struct torn_known *k, const char *name, const char *text,
		   size_t len, struct torn_err *err)
{
	struct reader r = { k, name, 0, err, NULL, 0, k->n };
	const char *p = text, *end = text + len;
	char *line = NULL;
	int ret = 0;

	if (memchr(text, '\0', len)) {
		r.line = 1;
		for (p = text; *p; p++)
			r.line += *p == '\n';
		ret = fail(&r, NULL, "a NUL byte: not a text file");
		p = end;
	}
	while (!ret && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char *s, *e;

		r.line++;
		free(line);
		line = strndup(p, n);
		if (!line) {
			ret = -ENOMEM;
			break;
		}
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s);
		     e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r');
		     e--)
			;
		*e = '\0';
		ret = read_line(&r, s);
		p += n + 1;
	}
	free(line);
	if (!ret)
		ret = end_finding(&r);
	if (ret) {
		if (ret == -ENOMEM)
			torn_err_set(err, ret, "%s: out of memory", name);
		while (k->n > r.first)
			finding_free(&k->v[--k->n]);
	}
	return ret;
}

size_t torn_known_count(const struct torn_known *k)
{
	return k ? k->n : 0;
}

void torn_known_info(const struct torn_known *k, size_t i,
		     struct torn_finding_info *info)
{
	const struct finding *f = &k->v[i];

	info->id = f->id;
	info->title = f->title;
	info->doc = f->doc ? f->doc : "";
	info->source = f->source;
	info->line = f->line;
}

int torn_known_find(const struct torn_known *k, const char *id)
{
	size_t i;

	for (i = 0; k && i < k->n; i++)
		if (!strcmp(k->v[i].id, id))
			return (int)i;
	return -1;
}

static bool explains(const struct finding *f, int fs, int v,
		     const struct torn_oracle_result r[TORN_O_COUNT])
{
	unsigned int failed = 0;
	int o;

	if (f->fs && (fs < 0 || !(f->fs & (1u << fs))))
		return false;
	if (f->verdict >= 0 && f->verdict != v)
		return false;
	for (o = 0; o < TORN_O_COUNT; o++) {
		if (r[o].ran && !r[o].ok)
			failed |= TORN_O_BIT(o);
		if ((f->passed & TORN_O_BIT(o)) && !(r[o].ran && r[o].ok))
			return false;
	}
	if ((failed & f->named) != f->named ||
	    (failed & ~(f->named | f->may_fail)))
		return false;
	for (o = 0; o < TORN_O_COUNT; o++)
		if ((f->named & TORN_O_BIT(o)) &&
		    regexec(&f->re[o], r[o].detail, 0, NULL, 0))
			return false;
	return true;
}

int torn_known_match(const struct torn_known *k, const char *fs, int v,
		     const struct torn_oracle_result r[TORN_O_COUNT])
{
	int kind = fs ? torn_fs_kind_parse(fs) : -1;
	size_t i;

	if (!k || !torn_verdict_flagged(v))
		return -1;
	for (i = 0; i < k->n; i++)
		if (explains(&k->v[i], kind, v, r))
			return (int)i;
	return -1;
}

/* The part of an oracle's detail that names the failure, as a pattern. */
static void detail_pattern(int o, const char *detail, GString *out)
{
	const char *s = detail, *end, *c;
	size_t n = 0;

	while (*s == '\n' || *s == ' ')
		s++;
	end = s + strcspn(s, "\n");
	if (o == TORN_O_FSCK && !strncmp(s, "exit ", 5)) {
		c = memchr(s, ':', (size_t)(end - s));
		if (c && c[1] == ' ')
			s = c + 2;
	}
	if (o == TORN_O_MOUNT)
		for (c = s; c + 1 < end; c++)
			if (c[0] == ':' && c[1] == ' ')
				s = c + 2;
	while (end > s && (end[-1] == '.' || end[-1] == ' '))
		end--;
	for (c = s; c < end && n < 120; c++, n++) {
		if (*c >= '0' && *c <= '9') {
			while (c + 1 < end && c[1] >= '0' && c[1] <= '9')
				c++;
			g_string_append(out, "[0-9]+");
		} else if (strchr("\\^$.|?*+()[]{}", *c)) {
			g_string_append_c(out, '\\');
			g_string_append_c(out, *c);
		} else if ((unsigned char)*c >= ' ') {
			g_string_append_c(out, *c);
		}
	}
}

/* The oracles of mask, blank-separated, after "key = ". */
static void oracle_list(GString *out, const char *key, unsigned int mask)
{
	const char *sep = "";
	int o;

	if (!mask)
		return;
	g_string_append_printf(out, "%s =", key);
	for (o = 0; o < TORN_O_COUNT; o++)
		if (mask & TORN_O_BIT(o)) {
			g_string_append_printf(out, "%s %s", sep,
					       torn_oracle_name(o));
			sep = "";
		}
	g_string_append_c(out, '\n');
}

char *torn_known_propose(const char *id, const char *fs, int v,
			 const struct torn_oracle_result r[TORN_O_COUNT])
{
	unsigned int failed = 0, passed = 0, named;
	GString *out;
	int o;

	if (!torn_verdict_flagged(v))
		return NULL;
	for (o = 0; o < TORN_O_COUNT; o++) {
		if (r[o].ran && !r[o].ok)
			failed |= TORN_O_BIT(o);
		else if (r[o].ran)
			passed |= TORN_O_BIT(o);
	}
	if (!failed)
		return NULL;
	named = failed;
	if (failed != TORN_O_BIT(TORN_O_DMESG))
		named &= ~TORN_O_BIT(TORN_O_DMESG);
	out = g_string_new(NULL);
	g_string_append_printf(out,
			       "[%s]\ntitle = TODO: what goes wrong, and "
			       "where\n# doc = where it is explained\n",
			       id);
	if (fs && torn_fs_kind_parse(fs) >= 0)
		g_string_append_printf(out, "fs = %s\n", fs);
	g_string_append_printf(out, "verdict = %s\n", torn_verdict_name(v));
	for (o = 0; o < TORN_O_COUNT; o++) {
		if (!(named & TORN_O_BIT(o)))
			continue;
		g_string_append_printf(out, "%s = ", torn_oracle_name(o));
		detail_pattern(o, r[o].detail, out);
		if (out->str[out->len - 1] == ' ')
			g_string_append(out, ".*");
		g_string_append_c(out, '\n');
	}
	oracle_list(out, "may-fail", failed & ~named);
	oracle_list(out, "passed", passed);
	return g_string_free(out, FALSE);
}

void torn_known_counts_text(const char *const *ids, const uint64_t *counts,
			    size_t n, char *buf, size_t len)
{
	bool *used = calloc(n + 1, sizeof(*used));
	size_t at = 0, done, i;

	buf[0] = '\0';
	for (done = 0; used && done < n && at + 1 < len; done++) {
		size_t best = n;

		for (i = 0; i < n; i++)
			if (!used[i] && (best == n || counts[i] > counts[best]))
				best = i;
		used[best] = true;
		if (!counts[best])
			break;
		at += (size_t)snprintf(buf + at, len - at, "%s%s ×%" PRIu64,
				       at ? ", " : "", ids[best], counts[best]);
	}
	free(used);
}

void torn_known_flagged_line(uint64_t flagged, uint64_t known,
			     const char *counts_text, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%" PRIu64 " flagged: %" PRIu64 " known%s%s%s, %" PRIu64
		 " new",
		 flagged, known, counts_text[0] ? " (" : "", counts_text,
		 counts_text[0] ? ")" : "", flagged - known);
}
