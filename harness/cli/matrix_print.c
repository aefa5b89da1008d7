/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn matrix's output: JSON, GitHub's $GITHUB_OUTPUT lines, GitLab YAML. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "matrix.h"
#include "torn_exit.h"

/* The specs as torn run --cell gets them again: shell words. */
static char *sources_words(const char *const *srcs, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		char *q = g_shell_quote(srcs[i]);

		g_string_append_printf(s, " %s", q);
		g_free(q);
	}
	return g_string_free(s, FALSE);
}

/*
 * The specs as one CI variable's words, split by the shell unquoted:
 * NULL after one line when a path would not survive that.
 */
static char *sources_plain(const char *const *srcs, size_t n)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < n; i++) {
		if (strspn(srcs[i], "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_+-./") != strlen(srcs[i])) {
			fprintf(stderr,
				"torn matrix: '%s': a spec path in a CI variable "
				"is letters, digits and _ + - . / only\n",
				srcs[i]);
			g_string_free(s, TRUE);
			return NULL;
		}
		g_string_append_printf(s, " %s", srcs[i]);
	}
	return g_string_free(s, FALSE);
}

static void put(struct torn_json_writer *w, const char *k, const char *v)
{
	torn_json_write_key(w, k);
	if (v)
		torn_json_write_str(w, v);
	else
		torn_json_write_null(w);
}

/* A cell's axes, the members JSON and GitHub share. */
static void put_axes(struct torn_json_writer *w, const struct matrix_cell *c)
{
	put(w, "spec", c->spec);
	put(w, "fs", c->fs);
	put(w, "flush", c->flush);
	put(w, "engine", c->engine);
}

/* Is this the first cell of its trace (cells of a trace are adjacent)? */
static bool first_of_trace(const struct matrix *m, size_t i)
{
	return !i || strcmp(m->cells[i - 1].trace, m->cells[i].trace) != 0;
}

static int print_json(const struct matrix *m, const char *src)
{
	struct torn_json_writer *w;
	char *out = NULL, *cmd;
	int ret;

	if (torn_json_writer_new(&w, TORN_JSON_PRETTY))
		return TORN_EXIT_INFRA;
	torn_json_write_begin_object(w);
	torn_json_write_key(w, "cells");
	torn_json_write_begin_array(w);
	for (size_t i = 0; i < m->n; i++) {
		const struct matrix_cell *c = &m->cells[i];

		if (c->skip)
			continue;
		torn_json_write_begin_object(w);
		put(w, "id", c->id);
		put(w, "trace", c->trace);
		put(w, "name", c->name);
		put_axes(w, c);
		torn_json_write_key(w, "shard");
		torn_json_write_uint64(w, c->shard);
		torn_json_write_key(w, "shards");
		torn_json_write_uint64(w, c->shards);
		put(w, "expect", c->expect);
		cmd = g_strdup_printf("torn run --cell %s%s", c->id, src);
		put(w, "command", cmd);
		g_free(cmd);
		torn_json_write_end_object(w);
	}
	torn_json_write_end_array(w);
	torn_json_write_key(w, "traces");
	torn_json_write_begin_array(w);
	for (size_t i = 0; i < m->n; i++) {
		const struct matrix_cell *c = &m->cells[i];

		if (c->skip || !first_of_trace(m, i))
			continue;
		torn_json_write_begin_object(w);
		put(w, "trace", c->trace);
		torn_json_write_key(w, "shards");
		torn_json_write_uint64(w, c->shards);
		cmd = g_strdup_printf("torn run --cell %s --trace-only%s",
				      c->trace, src);
		put(w, "command", cmd);
		g_free(cmd);
		torn_json_write_end_object(w);
	}
	torn_json_write_end_array(w);
	torn_json_write_key(w, "skipped");
	torn_json_write_begin_array(w);
	for (size_t i = 0; i < m->n; i++) {
		const struct matrix_cell *c = &m->cells[i];

		if (!c->skip)
			continue;
		torn_json_write_begin_object(w);
		put(w, "id", c->id);
		put(w, "name", c->name);
		put_axes(w, c);
		put(w, "reason", c->skip);
		torn_json_write_end_object(w);
	}
	torn_json_write_end_array(w);
	torn_json_write_end_object(w);
	ret = torn_json_writer_take(w, &out, NULL);
	torn_json_writer_free(w);
	if (ret)
		return TORN_EXIT_INFRA;
	fputs(out, stdout);
	if (!*out || out[strlen(out) - 1] != '\n')
		putchar('\n');
	free(out);
	return TORN_EXIT_OK;
}

/* The traces' ids, blank-separated, for a shell loop. */
static void put_trace_ids(const struct matrix *m)
{
	bool first = true;

	for (size_t i = 0; i < m->n; i++)
		if (!m->cells[i].skip && first_of_trace(m, i)) {
			printf("%s%s", first ? "" : " ", m->cells[i].trace);
			first = false;
		}
}

/* GitHub: name={"include":[...]} lines, one JSON line each. */
static int print_github(const struct matrix *m, const char *src)
{
	struct torn_json_writer *w;
	char *cells = NULL, *traces = NULL;
	size_t count = 0;
	int ret;

	if (torn_json_writer_new(&w, 0))
		return TORN_EXIT_INFRA;
	for (int pass = 0; pass < 2; pass++) {
		torn_json_write_begin_object(w);
		torn_json_write_key(w, "include");
		torn_json_write_begin_array(w);
		for (size_t i = 0; i < m->n; i++) {
			const struct matrix_cell *c = &m->cells[i];
			char shard[32];

			if (c->skip || (pass && !first_of_trace(m, i)))
				continue;
			count += !pass;
			torn_json_write_begin_object(w);
			if (!pass)
				put(w, "cell", c->id);
			put(w, "trace", c->trace);
			if (!pass) {
				put_axes(w, c);
				snprintf(shard, sizeof(shard), "%u/%u",
					 c->shard, c->shards);
				put(w, "shard", shard);
				put(w, "expect", c->expect);
			}
			torn_json_write_end_object(w);
		}
		torn_json_write_end_array(w);
		torn_json_write_end_object(w);
		ret = torn_json_writer_take(w, pass ? &traces : &cells, NULL);
		if (ret)
			break;
	}
	torn_json_writer_free(w);
	if (!ret) {
		printf("cells=%s\ntraces=%s\ncount=%zu\ntrace_ids=", cells,
		       traces, count);
		put_trace_ids(m);
		printf("\nsources=%s\n", src + (*src == ' '));
	}
	free(cells);
	free(traces);
	return ret ? TORN_EXIT_INFRA : TORN_EXIT_OK;
}

/* A YAML double-quoted scalar: ids, names and paths are plain text. */
static void yq(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

/* GitLab: a child pipeline of parallel:matrix jobs over the templates. */
static int print_gitlab(const struct matrix *m, const char *src,
			const char *include)
{
	size_t cells = 0, traces = 0;
	bool first;

	for (size_t i = 0; i < m->n; i++)
		if (!m->cells[i].skip) {
			cells++;
			traces += first_of_trace(m, i);
		}
	printf("# torn matrix --format gitlab: %zu cells of %zu traces "
	       "(docs/ci.md)\n",
	       cells, traces);
	printf("include:\n  - local: ");
	yq(include);
	printf("\nvariables:\n  TORN_SOURCES: ");
	yq(src + (*src == ' '));
	printf("\n  TORN_TRACES: \"");
	put_trace_ids(m);
	printf("\"\n");
	if (!cells) {
		/* a pipeline needs a job: say why there is nothing to run */
		printf("torn-no-cells:\n  script:\n    - echo \"torn matrix: no "
		       "cell to run\"\n");
		return TORN_EXIT_OK;
	}
	for (int pass = 0; pass < 2; pass++) {
		printf("%s:\n  extends: %s\n  parallel:\n    matrix:\n"
		       "      - %s: [",
		       pass ? "torn-check" : "torn-trace",
		       pass ? ".torn-check" : ".torn-trace",
		       pass ? "TORN_CELL" : "TORN_TRACE");
		first = true;
		for (size_t i = 0; i < m->n; i++) {
			const struct matrix_cell *c = &m->cells[i];

			if (c->skip || (!pass && !first_of_trace(m, i)))
				continue;
			printf("%s", first ? "" : ", ");
			yq(pass ? c->id : c->trace);
			first = false;
		}
		printf("]\n");
	}
	printf("torn-report:\n  extends: .torn-report\n");
	return TORN_EXIT_OK;
}

int matrix_print(const struct matrix *m, const char *format,
		 const char *const *srcs, size_t n, const char *include)
{
	bool json = !strcmp(format, "json");
	char *src = json ? sources_words(srcs, n) : sources_plain(srcs, n);
	int ret;

	if (!src)
		return TORN_EXIT_USAGE;
	if (json)
		ret = print_json(m, src);
	else if (!strcmp(format, "github"))
		ret = print_github(m, src);
	else
		ret = print_gitlab(m, src, include);
	g_free(src);
	return ret;
}
