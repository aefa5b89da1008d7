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
	size_t n = torn_known_count(k), i;
	const char **ids = calloc(n + 1, sizeof(*ids));

	buf[0] = '\0';
	if (ids && by) {
		for (i = 0; i < n; i++) {
			struct torn_finding_info info;

			torn_known_info(k, i, &info);
			ids[i] = info.id;
		}
		torn_known_counts_text(ids, by, n, buf, len);
	}
	free(ids);
}
