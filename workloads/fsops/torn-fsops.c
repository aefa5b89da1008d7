/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-fsops: run an fsops workload in the guest, write its expected states. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsops.h"
#include "fsops_exec.h"

#define MAX_WORKLOAD (16 << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: torn-fsops [--expected FILE] [WORKLOAD] MOUNTPOINT\n"
		"Runs the fsops WORKLOAD (default: $TORN_FSOPS_FILE) on the filesystem\n"
		"at MOUNTPOINT with torn markers around each op, and writes what each\n"
		"durability op promises to FILE (default /tmp/torn-expected.txt).\n"
		"Exit 0: done; 1: an op failed; 2: usage or a bad workload.\n");
}

static char *read_workload(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "torn-fsops: cannot open %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_WORKLOAD + 1);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "torn-fsops: out of memory\n");
		return NULL;
	}
	n = fread(buf, 1, MAX_WORKLOAD + 1, f);
	if (ferror(f) || n > MAX_WORKLOAD) {
		fprintf(stderr, "torn-fsops: cannot read %s: %s\n", path,
			ferror(f) ? strerror(errno) : "larger than 16 MiB");
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	struct torn_fsops_exec_opts o = { 0 };
	const char *expected = "/tmp/torn-expected.txt", *file = NULL,
		   *mnt = NULL, *pos[2];
	struct torn_err err = { "" };
	struct torn_fsops *w;
	size_t len, npos = 0;
	char *text;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--expected") && i + 1 < argc) {
			expected = argv[++i];
		} else if (argv[i][0] == '-' || npos == 2) {
			fprintf(stderr,
				"torn-fsops: unexpected argument '%s'\n",
				argv[i]);
			usage(stderr);
			return 2;
		} else {
			pos[npos++] = argv[i];
		}
	}
	if (npos == 2) {
		file = pos[0];
		mnt = pos[1];
	} else if (npos == 1) {
		file = getenv("TORN_FSOPS_FILE");
		mnt = pos[0];
	}
	if (!mnt || !file || !*file) {
		usage(stderr);
		return 2;
	}
	text = read_workload(file, &len);
	if (!text)
		return 2;
	ret = torn_fsops_parse(text, len, file, &w, &err);
	free(text);
	if (ret) {
		fprintf(stderr, "torn-fsops: %s\n", err.msg);
		return 2;
	}
	o.expected = fopen(expected, "w");
	if (!o.expected) {
		fprintf(stderr, "torn-fsops: cannot write %s: %s\n", expected,
			strerror(errno));
		torn_fsops_free(w);
		return 2;
	}
	ret = torn_fsops_exec(w, mnt, &o, &err);
	if (fclose(o.expected) && !ret) {
		fprintf(stderr, "torn-fsops: cannot write %s: %s\n", expected,
			strerror(errno));
		ret = -errno;
	} else if (ret) {
		fprintf(stderr, "torn-fsops: %s\n", err.msg);
	} else {
		printf("torn-fsops: %zu ops done on %s\n", w->nops, mnt);
	}
	torn_fsops_free(w);
	return ret ? 1 : 0;
}
