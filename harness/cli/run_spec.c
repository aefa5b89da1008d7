/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's settings (run_spec.h): the spec file and the command line. */
#include <glib.h>
#include <string.h>

#include "run_spec.h"

static const char *const key_names[RUN_KEYS] = {
	[RUN_FS] = "fs",
	[RUN_FLUSH] = "flush",
	[RUN_WORKLOAD] = "workload",
	[RUN_ENGINE] = "engine",
	[RUN_POINTS] = "points",
	[RUN_MODEL] = "model",
	[RUN_GRANULARITY] = "granularity",
	[RUN_OUT] = "out",
	[RUN_ORACLES] = "oracles",
	[RUN_TIMEOUT] = "timeout",
	[RUN_JOBS] = "jobs",
	[RUN_KERNEL] = "kernel",
	[RUN_MODULES] = "modules",
	[RUN_CACHE] = "cache",
	[RUN_LIMIT] = "limit",
	[RUN_FROM_OP] = "from-op",
	[RUN_BOOT_TIMEOUT] = "boot-timeout",
};

const char *run_key_name(enum run_key k)
{
	return k >= 0 && k < RUN_KEYS ? key_names[k] : "?";
}

int run_key_parse(const char *name)
{
	int k;

	for (k = 0; k < RUN_KEYS; k++)
		if (!strcmp(name, key_names[k]))
			return k;
	return -1;
}

/*
 * The line of key in a [run] group of text (0: none).  The last one:
 * GKeyFile keeps the last of repeated keys, and merges repeated groups.
 */
static int spec_line(const char *text, const char *key)
{
	char **lines = g_strsplit(text, "\n", -1), **l;
	int n = 0, found = 0, in_run = 0;

	for (l = lines; *l; l++) {
		char *t = g_strstrip(g_strdup(*l));

		n++;
		if (t[0] == '[') {
			in_run = !strcmp(t, "[run]");
		} else if (in_run && g_str_has_prefix(t, key)) {
			const char *rest = t + strlen(key);

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest == '=')
				found = n;
		}
		g_free(t);
	}
	g_strfreev(lines);
	return found;
}

static int only_run_group(GKeyFile *kf, const char *path, struct torn_err *err)
{
	gchar **groups;
	gsize n, i;
	int ret = 0;

	groups = g_key_file_get_groups(kf, &n);
	for (i = 0; i < n && !ret; i++)
		if (strcmp(groups[i], "run"))
			ret = torn_err_set(
				err, TORN_E_FORMAT,
				"%s: unknown group [%s]; settings go in [run]",
				path, groups[i]);
	g_strfreev(groups);
	return ret;
}

/* One key of the [run] group into s. */
static int spec_key(GKeyFile *kf, const char *path, const char *text,
		    const char *key, struct run_settings *s,
		    struct torn_err *err)
{
	int k = run_key_parse(key), line = spec_line(text, key);
	GError *e = NULL;
	char *v;

	if (k < 0)
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s:%d: unknown key '%s'", path, line, key);
	v = g_key_file_get_string(kf, "run", key, &e);
	if (!v) {
		/* a bad escape, e.g. "\q" */
		torn_err_set(err, TORN_E_FORMAT, "%s:%d: key '%s': %s", path,
			     line, key, e->message);
		g_error_free(e);
		return TORN_E_FORMAT;
	}
	if (!*v) {
		g_free(v);
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s:%d: key '%s' has no value", path, line,
				    key);
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
	GError *e = NULL;
	gchar **keys = NULL;
	gsize n, i;
	int ret;

	if (!g_key_file_load_from_data(kf, copy, strlen(copy), G_KEY_FILE_NONE,
				       &e)) {
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: %s", path,
				   e->message);
		g_error_free(e);
		goto out;
	}
	ret = only_run_group(kf, path, err);
	if (ret)
		goto out;
	keys = g_key_file_get_keys(kf, "run", &n, NULL);
	for (i = 0; keys && i < n && !ret; i++)
		ret = spec_key(kf, path, copy, keys[i], s, err);
	if (!ret)
		s->spec = path;
out:
	g_strfreev(keys);
	g_key_file_free(kf);
	g_free(copy);
	return ret;
}

int run_spec_read(const char *path, struct run_settings *s,
		  struct torn_err *err)
{
	GError *e = NULL;
	gchar *text;
	gsize len;
	int ret;

	if (!g_file_get_contents(path, &text, &len, &e)) {
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "cannot read spec '%s': %s", path,
				   e->message);
		g_error_free(e);
		return ret;
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

const char *run_settings_get(const struct run_settings *s, enum run_key k)
{
	return s->set[k].value;
}

void run_settings_blame(const struct run_settings *s, enum run_key k,
			const char *why, struct torn_err *err)
{
	if (s->spec && s->set[k].line)
		torn_err_set(err, TORN_E_USAGE, "%s:%d: key '%s': %s", s->spec,
			     s->set[k].line, key_names[k], why);
	else
		torn_err_set(err, TORN_E_USAGE, "--%s: %s", key_names[k], why);
}

void run_settings_free(struct run_settings *s)
{
	int k;

	for (k = 0; k < RUN_KEYS; k++)
		g_free(s->set[k].value);
	memset(s, 0, sizeof(*s));
}
