/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn trace-dump: a trace in text form, or its statistics. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "torn_quote.h"
#include "trace.h"

static void trace_dump_usage(FILE *f)
{
	fprintf(f,
		"usage: torn trace-dump FILE [--stats]\n"
		"\n"
		"Print the trace FILE in text form on stdout, header line\n"
		"first (docs/trace-format.md describes it; it parses back).\n"
		"\n"
		"  --stats   print counts instead: records by kind, flushes\n"
		"            and fences by kind, unresolved flushes, bytes\n"
		"            stored, kernel stores, distinct lines touched,\n"
		"            markers\n"
		"  --help    print this help\n"
		"\n"
		"Exit status: 0 success (also when the reader of stdout "
		"goes away,\n"
		"as with | head), 2 usage, 3 unreadable or corrupt trace, "
		"or output\n"
		"not written.\n");
}

static const char *mark_name(uint32_t id)
{
	switch (id) {
	case TORN_MARK_START:
		return "start";
	case TORN_MARK_STOP:
		return "stop";
	case TORN_MARK_OP_BEGIN:
		return "op-begin";
	case TORN_MARK_OP_END:
		return "op-end";
	case TORN_MARK_DURABLE:
		return "durable";
	}
	return id >= TORN_MARK_USER ? "user" : NULL;
}

static void print_stats(const struct torn_trace *t,
			const struct torn_trace_stats *st)
{
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t i, n = torn_trace_get_count(t);
	uint64_t unresolved[TORN_FLUSH_CLWB + 1] = { 0 };
	const char *name;
	int k;

	torn_trace_header_write_text(torn_trace_get_header(t), stdout);
	printf("records: %zu\n", n);
	for (k = TORN_REC_STORE; k < TORN_REC_END; k++)
		printf("  %-12s %" PRIu64 "\n", torn_record_kind_name(k),
		       st->records[k]);
	printf("flushes:\n");
	for (k = TORN_FLUSH_CLFLUSH; k <= TORN_FLUSH_CLWB; k++)
		printf("  %-12s %" PRIu64 "\n", torn_flush_kind_name(k),
		       st->flushes[k]);
	for (i = 0; i < n; i++)
		if (recs[i].kind == TORN_REC_UNRESOLVED)
			unresolved[recs[i].sub]++;
	printf("unresolved flushes: %" PRIu64 "\n",
	       st->records[TORN_REC_UNRESOLVED]);
	for (k = TORN_FLUSH_CLFLUSH; k <= TORN_FLUSH_CLWB; k++)
		printf("  %-12s %" PRIu64 "\n", torn_flush_kind_name(k),
		       unresolved[k]);
	printf("fences:\n");
	for (k = TORN_FENCE_SFENCE; k <= TORN_FENCE_WBINVD; k++)
		printf("  %-12s %" PRIu64 "\n", torn_fence_kind_name(k),
		       st->fences[k]);
	printf("bytes stored: %" PRIu64 "\n", st->bytes_stored);
	printf("kernel stores: %" PRIu64 "\n", st->kernel_stores);
	printf("lines touched: %" PRIu64 "\n", st->lines_touched);
	printf("markers: %" PRIu64 "\n", st->records[TORN_REC_MARK]);
	for (i = 0; i < n; i++) {
		if (recs[i].kind != TORN_REC_MARK)
			continue;
		printf("  record %zu: ", i);
		torn_record_write_text(&recs[i], stdout);
		name = mark_name(recs[i].mark_id);
		if (name)
			printf("  # %s", name);
		printf("\n");
	}
}

/*
 * How the output ended: a reader that went away (torn trace-dump | head)
 * is not an error, just the end; anything else is.
 */
static int output_status(int ret)
{
	if (!ret && fflush(stdout))
		ret = -errno;
	if (!ret && ferror(stdout))
		ret = errno == EPIPE ? -EPIPE : -EIO;
	if (!ret || ret == -EPIPE)
		return TORN_EXIT_OK;
	fprintf(stderr, "torn: trace-dump: cannot write output: %s\n",
		strerror(-ret));
	return TORN_EXIT_INFRA;
}

int cmd_trace_dump(int argc, char **argv)
{
	char q[TORN_QUOTE_SIZE];
	struct torn_err err = { .msg = "" };
	struct torn_trace_stats st;
	const char *path = NULL;
	struct torn_trace *t;
	bool stats = false;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			trace_dump_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(argv[i], "--stats")) {
			stats = true;
		} else if (!strcmp(argv[i], "--")) {
			if (i + 2 != argc || path)
				goto usage;
			path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"torn: trace-dump: unknown option "
				"'%s'\n",
				torn_quote(argv[i], q, sizeof(q)));
			goto usage;
		} else if (path) {
			fprintf(stderr,
				"torn: trace-dump: one FILE only, "
				"not '%s'\n",
				torn_quote(argv[i], q, sizeof(q)));
			goto usage;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		fprintf(stderr, "torn: trace-dump: no FILE given\n");
		goto usage;
	}

	ret = torn_trace_load(path, &t, &err);
	if (ret) {
		fprintf(stderr, "torn: cannot read trace '%s': %s\n",
			torn_quote(path, q, sizeof(q)), err.msg);
		return TORN_EXIT_INFRA;
	}
	if (stats) {
		ret = torn_trace_get_stats(t, &st);
		if (ret) {
			fprintf(stderr, "torn: cannot count trace '%s': %s\n",
				torn_quote(path, q, sizeof(q)),
				torn_strerror(ret));
			torn_trace_free(t);
			return TORN_EXIT_INFRA;
		}
		print_stats(t, &st);
		ret = 0;
	} else {
		ret = torn_trace_write_text(t, stdout);
	}
	torn_trace_free(t);
	return output_status(ret);

usage:
	fprintf(stderr, "usage: torn trace-dump FILE [--stats]\n");
	return TORN_EXIT_USAGE;
}
