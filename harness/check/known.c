/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The known findings a check applies: the stock ones, the user's files. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_int.h"
#include "torn_quote.h"

static int add_file(struct torn_known *k, const char *path,
		    struct torn_err *err)
{
	GError *gerr = NULL;
	gchar *text = NULL;
	gsize len = 0;
	char q[300];
	int ret;

	if (!g_file_get_contents(path, &text, &len, &gerr)) {
		ret = gerr->domain == G_FILE_ERROR &&
				      gerr->code == G_FILE_ERROR_NOENT
			      ? -ENOENT
			      : -EIO;
		torn_err_set(err, ret, "cannot read known findings %s: %s",
			     torn_quote(path, q, sizeof(q)), gerr->message);
		g_error_free(gerr);
		return ret;
	}
	ret = torn_known_add(k, path, text, len, err);
	g_free(text);
	return ret;
}

int torn_check_known_load(struct torn_known **out, const char *const *files,
			  size_t n, struct torn_err *err)
{
	struct torn_known *k = torn_known_new();
	const char *stock = torn_known_builtin("stock");
	bool none = false;
	size_t i;
	int ret = 0;

	*out = NULL;
	if (!k)
		return torn_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		none |= !strcmp(files[i], "none");
	if (!none && stock)
		ret = torn_known_add(k, "stock", stock, strlen(stock), err);
	for (i = 0; i < n && !ret; i++)
		if (strcmp(files[i], "none"))
			ret = add_file(k, files[i], err);
	if (ret) {
		torn_known_free(k);
		return ret;
	}
	*out = k;
	return 0;
}

void check_known_text(const struct torn_known *k, const uint64_t *by, char *buf,
		      size_t len)
{
	size_t n = torn_known_count(k), i, at = 0, done = 0;
	bool *used = calloc(n + 1, sizeof(*used));

	buf[0] = '\0';
	if (!used || !by)
		goto out;
	while (done < n) {
		struct torn_finding_info info;
		size_t best = n;

		for (i = 0; i < n; i++)
			if (!used[i] && (best == n || by[i] > by[best]))
				best = i;
		used[best] = true;
		done++;
		if (!by[best])
			break;
		torn_known_info(k, best, &info);
		if (at + 1 >= len)
			break;
		at += (size_t)snprintf(buf + at, len - at,
				       "%s%s ×%" G_GUINT64_FORMAT,
				       at ? ", " : "", info.id, by[best]);
	}
out:
	free(used);
}
