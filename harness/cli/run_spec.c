/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's settings (run_spec.h): the spec file and the command line. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"
#include "run_spec.h"
#include "torn_quote.h"

/* Room for a quoted path or name in a message of torn_err's 512 bytes. */
#define SPEC_QUOTE 200

/*
 * The line of key in the [run] or [test] group of text (0: none).  The
 * last one: GKeyFile keeps the last of repeated keys, and merges
 * repeated groups (a spec has one of the two groups).
 */
static int spec_line(const char *text, const char *key)
{
	int run = guest_spec_line(text, "run", key);

	return run ? run : guest_spec_line(text, "test", key);
}

/*
 * What GKeyFile would take without a word, and run a job the spec did
 * not ask for: a NUL byte (it reads the text as ending there, so a file
 * of leading NULs is an empty spec), and a key given twice in [run] (it
 * keeps the last).  text[0..len).
 */
static int spec_prescan(const char *path, const char *text, size_t len,
			struct torn_err *err)
{
	GHashTable *seen =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *nul = memchr(text, '\0', len), *p = text, *end;
	char q[SPEC_QUOTE], qk[SPEC_QUOTE];
	int line = 0, in_run = 0, ret = 0;

	if (nul) {
		for (p = text; p < nul; p++)
			line += *p == '\n';
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "%s:%d: a NUL byte: not a text spec",
				   torn_quote(path, q, sizeof(q)), line + 1);
		goto out;
	}
	for (p = text; p < text + len && !ret; p = end + 1) {
		const char *eq;
		char *key;

		end = memchr(p, '\n', (size_t)(text + len - p));
		if (!end)
			end = text + len;
		line++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p == '#')
			continue;
		if (*p == '[') {
			in_run = (end - p >= 5 && !memcmp(p, "[run]", 5)) ||
				 (end - p >= 6 && !memcmp(p, "[test]", 6));
			continue;
		}
		eq = memchr(p, '=', (size_t)(end - p));
		if (!in_run || !eq)
			continue;
		while (eq > p && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		key = g_strndup(p, (size_t)(eq - p));
		if (g_hash_table_contains(seen, key))
			ret = torn_err_set(
				err, TORN_E_FORMAT,
				"%s:%d: key '%s' given twice (first on line %d)",
				torn_quote(path, q, sizeof(q)), line,
				torn_quote(key, qk, sizeof(qk)),
				GPOINTER_TO_INT(
					g_hash_table_lookup(seen, key)));
		g_hash_table_insert(seen, key, GINT_TO_POINTER(line));
	}
out:
	g_hash_table_destroy(seen);
	return ret;
}

/*
 * The one group of a spec: [run], or [test] for a user's test (the same
 * keys; docs/own-tests.md).  *group := its name.
 */
static int only_run_group(GKeyFile *kf, const char *path, const char **group,
			  struct torn_err *err)
{
	char q[SPEC_QUOTE], qg[SPEC_QUOTE];
	gchar **groups;
	gsize n, i;
	int ret = 0;

	torn_quote(path, q, sizeof(q));
	groups = g_key_file_get_groups(kf, &n);
	for (i = 0; i < n && !ret; i++)
		if (strcmp(groups[i], "run") && strcmp(groups[i], "test") &&
		    strcmp(groups[i], "fs"))
			ret = torn_err_set(
				err, TORN_E_FORMAT,
				"%s: unknown group [%s]; settings go in [run] or [test], a filesystem kind in [fs]",
				q, torn_quote(groups[i], qg, sizeof(qg)));
	g_strfreev(groups);
	*group = g_key_file_has_group(kf, "test") ? "test" : "run";
	if (!ret && g_key_file_has_group(kf, "test") &&
	    g_key_file_has_group(kf, "run"))
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "%s: [run] and [test]: one group a spec", q);
	/* an empty spec must not quietly run the default job */
	if (!ret && !g_key_file_has_group(kf, *group))
		ret = torn_err_set(
			err, TORN_E_FORMAT, "%s:1: %s; settings go in [run]", q,
			n ? "no [run] group" : "empty spec, no [run] group");
	return ret;
}

/* One key of the [run] group into s; a bad escape ("\q") is an error. */
static int spec_key(GKeyFile *kf, const char *path, const char *text,
		    const char *group, const char *key, struct run_settings *s,
		    struct torn_err *err)
{
	int k = run_key_parse(key), line = spec_line(text, key);
	char q[SPEC_QUOTE], qk[SPEC_QUOTE], qm[SPEC_QUOTE];
	GError *e = NULL;
	char *v;

	torn_quote(path, q, sizeof(q));
	torn_quote(key, qk, sizeof(qk));
	if (k < 0)
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s:%d: unknown key '%s'", q, line, qk);
	v = g_key_file_get_string(kf, group, key, &e);
	if (!v) {
		torn_err_set(err, TORN_E_FORMAT, "%s:%d: key '%s': %s", q, line,
			     qk, torn_quote(e->message, qm, sizeof(qm)));
		g_error_free(e);
		return TORN_E_FORMAT;
	}
	run_value_cut_comment(v);
	if (!*v) {
		g_free(v);
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s:%d: key '%s' has no value", q, line,
				    qk);
	}
	g_free(s->set[k].value);
	s->set[k].value = v;
	s->set[k].line = line;
	return 0;
}

int run_spec_parse(const char *path, const char *text, size_t len,
		   struct run_settings *s, struct torn_err *err)
{
	GKeyFile *kf = g_key_file_new();
	char *copy = g_strndup(text, len); /* spec_line wants a string */
	char q[SPEC_QUOTE], qm[SPEC_QUOTE];
	GError *e = NULL;
	gchar **keys = NULL;
	const char *group;
	gsize n, i;
	int ret;

	ret = spec_prescan(path, text, len, err);
	if (ret)
		goto out;
	if (!g_key_file_load_from_data(kf, copy, strlen(copy), G_KEY_FILE_NONE,
				       &e)) {
		/* GLib's message quotes the line: it may hold control bytes */
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: %s",
				   torn_quote(path, q, sizeof(q)),
				   torn_quote(e->message, qm, sizeof(qm)));
		g_error_free(e);
		goto out;
	}
	ret = only_run_group(kf, path, &group, err);
	if (ret)
		goto out;
	keys = g_key_file_get_keys(kf, group, &n, NULL);
	for (i = 0; keys && i < n && !ret; i++)
		ret = spec_key(kf, path, copy, group, keys[i], s, err);
	if (!ret && g_key_file_has_group(kf, "fs")) {
		/* a kind of the user's own; fs = defaults to it */
		int kind;

		ret = guest_fs_parse(kf, copy, path, &kind, err);
		if (!ret && !s->set[RUN_FS].value) {
			s->set[RUN_FS].value =
				g_strdup(torn_fs_kind_name(kind));
			s->set[RUN_FS].line =
				guest_spec_line(copy, "fs", "name");
		}
	}
	if (!ret)
		s->spec = path;
out:
	g_strfreev(keys);
	g_key_file_free(kf);
	g_free(copy);
	return ret;
}

/*
 * Read the spec at path: a regular file of at most SPEC_MAX bytes (a
 * FIFO would hang, /dev/zero never end).  0 or TORN_E_FORMAT.
 */
#define SPEC_MAX (1 << 20)
int run_spec_read(const char *path, struct run_settings *s,
		  struct torn_err *err)
{
	char q[SPEC_QUOTE], *text = NULL;
	const char *why = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd, ret;

	torn_quote(path, q, sizeof(q));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		why = S_ISDIR(st.st_mode) ? "a directory"
					  : "not a regular file";
	} else if (st.st_size > SPEC_MAX) {
		why = "larger than 1 MiB, not a spec";
	} else {
		text = g_malloc((size_t)st.st_size + 1);
		while (len <= (size_t)st.st_size) {
			n = read(fd, text + len, (size_t)st.st_size + 1 - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				why = strerror(errno);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		if (!why && len > (size_t)st.st_size)
			why = "it grew while read";
	}
	if (fd >= 0)
		close(fd);
	if (why) {
		g_free(text);
		return torn_err_set(err, TORN_E_FORMAT,
				    "cannot read spec '%s': %s", q, why);
	}
	ret = run_spec_parse(path, text, len, s, err);
	g_free(text);
	return ret;
}

void run_settings_set(struct run_settings *s, enum run_key k, const char *value)
{
	g_free(s->set[k].value);
	s->set[k].value = g_strdup(value);
	s->set[k].line = 0;
}

void run_settings_default(struct run_settings *s, enum run_key k,
			  const char *value)
{
	if (!s->set[k].value)
		run_settings_set(s, k, value);
}

void run_settings_copy(struct run_settings *dst, const struct run_settings *src)
{
	int k;

	run_settings_free(dst);
	dst->spec = src->spec;
	for (k = 0; k < RUN_KEYS; k++) {
		dst->set[k].value = g_strdup(src->set[k].value);
		dst->set[k].line = src->set[k].line;
	}
}

const char *run_settings_get(const struct run_settings *s, enum run_key k)
{
	return s->set[k].value;
}

int run_settings_blame(const struct run_settings *s, enum run_key k,
		       const char *why, struct torn_err *err)
{
	char q[SPEC_QUOTE], qw[TORN_QUOTE_SIZE];

	/* why quotes the value, which came from the user */
	torn_quote(why, qw, sizeof(qw));
	if (s->spec && s->set[k].line)
		return torn_err_set(err, TORN_E_USAGE, "%s:%d: key '%s': %s",
				    torn_quote(s->spec, q, sizeof(q)),
				    s->set[k].line, run_key_name(k), qw);
	return torn_err_set(err, TORN_E_USAGE, "--%s: %s", run_key_name(k), qw);
}

void run_settings_free(struct run_settings *s)
{
	int k;

	for (k = 0; k < RUN_KEYS; k++)
		g_free(s->set[k].value);
	memset(s, 0, sizeof(*s));
}
