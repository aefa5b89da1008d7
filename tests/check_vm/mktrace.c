/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A trace in text form (stdin, docs/trace-format.md) written as a binary
 * trace.torn (argv[1]): vm tests build small synthetic crash states so.
 */
#include <glib.h>
#include <stdio.h>

#include "trace.h"

int main(int argc, char **argv)
{
	GString *text = g_string_new(NULL);
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	char buf[4096];
	size_t n;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: mktrace OUT.torn < TEXT\n");
		return 2;
	}
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		g_string_append_len(text, buf, (gssize)n);
	ret = torn_trace_parse_text(text->str, &t, &err);
	g_string_free(text, TRUE);
	if (ret) {
		fprintf(stderr, "mktrace: %s\n", err.msg);
		return 3;
	}
	ret = torn_trace_save(t, argv[1]);
	torn_trace_free(t);
	if (ret) {
		fprintf(stderr, "mktrace: %s: %s\n", argv[1],
			torn_strerror(ret));
		return 3;
	}
	return 0;
}
