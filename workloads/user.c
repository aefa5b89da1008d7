/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A user's test's words (user.h): shell-quoted, expanded, never a shell. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "user.h"

/* word with {target}, {mnt} and {fs} replaced; NULL at an unknown {name}. */
static char *expand(const char *word, const char *target, const char *fs,
		    bool *named_target, char *bad, size_t badlen)
{
	static const char *const names[] = { "{target}", "{mnt}", "{fs}" };
	const char *values[] = { target, "/mnt", fs };
	GString *out = g_string_new(NULL);
	const char *p = word;

	while (*p) {
		size_t i, n = 0;

		if (*p != '{') {
			g_string_append_c(out, *p++);
			continue;
		}
		for (i = 0; i < G_N_ELEMENTS(names); i++)
			if (!strncmp(p, names[i], strlen(names[i]))) {
				n = strlen(names[i]);
				break;
			}
		if (!n) {
			const char *close = strchr(p, '}');

			snprintf(bad, badlen, "%.*s",
				 close ? (int)(close - p + 1) : (int)strlen(p),
				 p);
			g_string_free(out, TRUE);
			return NULL;
		}
		if (i == 0 && named_target)
			*named_target = true;
		g_string_append(out, values[i]);
		p += n;
	}
	return g_string_free(out, FALSE);
}

int torn_user_words(const char *cmdline, bool allow_empty, const char *target,
		    const char *fs, char ***argv, bool *named_target,
		    struct torn_err *err)
{
	GError *ge = NULL;
	char **words = NULL, bad[64];
	int n = 0, i;

	*argv = NULL;
	if (named_target)
		*named_target = false;
	if (!cmdline || !cmdline[strspn(cmdline, " \t\r\n")]) {
		/* g_shell_parse_argv refuses an empty line */
		if (!allow_empty)
			return torn_err_set(err, TORN_E_FORMAT,
					    "an empty command line");
		*argv = g_new0(char *, 1);
		return 0;
	}
	if (!g_shell_parse_argv(cmdline, &n, &words, &ge)) {
		int ret = torn_err_set(err, TORN_E_FORMAT, "%s", ge->message);

		g_error_free(ge);
		return ret;
	}
	for (i = 0; i < n; i++) {
		char *w = expand(words[i], target, fs, named_target, bad,
				 sizeof(bad));

		if (!w) {
			g_strfreev(words);
			return torn_err_set(
				err, TORN_E_FORMAT,
				"'%s': torn knows {target}, {mnt} and {fs}",
				bad);
		}
		g_free(words[i]);
		words[i] = w;
	}
	*argv = words;
	return 0;
}
