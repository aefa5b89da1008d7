/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn workloads: generate ACE-style fsops workloads, check workload files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fsops.h"
#include "fsops_exec.h"

#define MAX_WORKLOAD (16 << 20)

#define GENERATE_USAGE \
	"usage: torn workloads generate --seq 1|2 --out DIR [--ops LIST]\n"
#define CHECK_USAGE \
	"usage: torn workloads check [--parse-only] [--show] FILE...\n"

static void generate_usage(FILE *f)
{
	fputs(GENERATE_USAGE
	      "Writes bounded fsops workloads in the style of ACE (CrashMonkey)\n"
	      "into DIR: after a setup made durable by sync, each op (--seq 1)\n"
	      "or pair of ops (--seq 2) on a small file set, followed by each\n"
	      "persistence op (fsync, fdatasync, fsync of the directory, sync,\n"
	      "msync).  --ops keeps only the listed op kinds, e.g.\n"
	      "rename,link,fsync.\n"
	      "Exit status: 0 written, 2 usage, 3 DIR not written.\n",
	      f);
}

static void check_usage(FILE *f)
{
	fputs(CHECK_USAGE
	      "Parses each FILE and runs it on the host in a temporary\n"
	      "directory, reporting the first error with its line.\n"
	      "  --parse-only   parse, do not run\n"
	      "  --show         print the expected records the run produced\n"
	      "                 (docs/oracles.md)\n"
	      "docs/workloads.md describes the language.\n"
	      "Exit status: 0 all good, 1 a bad workload, 2 usage, 3 a FILE\n"
	      "not read.\n",
	      f);
}

static void workloads_usage(FILE *f)
{
	fputs(GENERATE_USAGE, f);
	fputs("       torn workloads check [--parse-only] [--show] FILE...\n"
	      "torn workloads generate --help, torn workloads check --help\n"
	      "say more.\n",
	      f);
}

struct out_dir {
	const char *dir;
	int failed;
};

static int write_workload(void *arg, const char *name, const char *text)
{
	struct out_dir *o = arg;
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f)) {
		int e = errno;

		fprintf(stderr, "torn workloads: cannot write %s: %s\n", path,
			strerror(e));
		o->failed = 1;
		return -e ? -e : -EIO;
	}
	return 0;
}

static int generate(int argc, char **argv)
{
	struct torn_err err = { "" };
	struct out_dir o = { 0 };
	const char *ops = NULL;
	int seq = 0, i, n;

	/* --help anywhere, even where a value was due: usage only */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			generate_usage(stdout);
			return TORN_EXIT_OK;
		}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seq") && i + 1 < argc) {
			i++;
			seq = !strcmp(argv[i], "1")   ? 1
			      : !strcmp(argv[i], "2") ? 2
						      : 0;
			if (!seq) {
				fprintf(stderr,
					"torn workloads generate: --seq must be 1 or 2, not '%s'\n",
					argv[i]);
				return TORN_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
			o.dir = argv[++i];
		} else if (!strcmp(argv[i], "--ops") && i + 1 < argc) {
			ops = argv[++i];
		} else {
			fprintf(stderr,
				"torn workloads generate: unknown option or missing value '%s'\n",
				argv[i]);
			fputs(GENERATE_USAGE, stderr);
			return TORN_EXIT_USAGE;
		}
	}
	if (!seq || !o.dir) {
		fprintf(stderr,
			"torn workloads generate: --seq and --out are required\n");
		fputs(GENERATE_USAGE, stderr);
		return TORN_EXIT_USAGE;
	}
	if (mkdir(o.dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "torn workloads: cannot create %s: %s\n", o.dir,
			strerror(errno));
		return TORN_EXIT_INFRA;
	}
	n = torn_fsops_generate(seq, ops, write_workload, &o, &err);
	if (o.failed)
		return TORN_EXIT_INFRA;
	if (n < 0) {
		fprintf(stderr, "torn workloads generate: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	printf("wrote %d seq-%d workloads to %s\n", n, seq, o.dir);
	return TORN_EXIT_OK;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(MAX_WORKLOAD + 1);
	if (buf)
		*len = fread(buf, 1, MAX_WORKLOAD + 1, f);
	if (!buf || ferror(f) || *len > MAX_WORKLOAD) {
		if (buf && !ferror(f))
			errno = EFBIG;
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* 0: good, 1: a bad workload, 2: unreadable. */
static int check_one(const char *path, int parse_only, int show)
{
	struct torn_err err = { "" };
	struct torn_fsops *w;
	size_t len = 0;
	char *text = read_file(path, &len);
	int ret;

	if (!text) {
		fprintf(stderr, "torn workloads: cannot read %s: %s\n", path,
			strerror(errno));
		return 2;
	}
	ret = torn_fsops_parse(text, len, path, &w, &err);
	free(text);
	if (ret) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (!parse_only) {
		ret = torn_fsops_dry_run(w, show ? stdout : NULL, &err);
		if (ret)
			fprintf(stderr, "%s\n", err.msg);
	}
	if (!ret)
		printf("%s: ok, %zu ops%s\n", path, w->nops,
		       parse_only ? " (parsed only)" : "");
	torn_fsops_free(w);
	return ret ? 1 : 0;
}

static int check(int argc, char **argv)
{
	int i, parse_only = 0, show = 0, worst = 0, nfiles = 0;

	/* --help anywhere: usage only, before any FILE is run */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			check_usage(stdout);
			return TORN_EXIT_OK;
		}
	for (i = 1; i < argc; i++) {
		int r;

		if (!strcmp(argv[i], "--parse-only")) {
			parse_only = 1;
			continue;
		}
		if (!strcmp(argv[i], "--show")) {
			show = 1;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr,
				"torn workloads check: unknown option '%s'\n",
				argv[i]);
			fputs(CHECK_USAGE, stderr);
			return TORN_EXIT_USAGE;
		}
		nfiles++;
		r = check_one(argv[i], parse_only, show);
		if (r > worst)
			worst = r;
	}
	if (!nfiles) {
		fprintf(stderr, "torn workloads check: no FILE given\n");
		fputs(CHECK_USAGE, stderr);
		return TORN_EXIT_USAGE;
	}
	return worst == 2 ? TORN_EXIT_INFRA
	       : worst	  ? TORN_EXIT_FAIL
			  : TORN_EXIT_OK;
}

int cmd_workloads(int argc, char **argv)
{
	if (argc < 2) {
		workloads_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		generate_usage(stdout);
		fputc('\n', stdout);
		check_usage(stdout);
		return TORN_EXIT_OK;
	}
	if (!strcmp(argv[1], "generate"))
		return generate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return check(argc - 1, argv + 1);
	fprintf(stderr, "torn workloads: unknown subcommand '%s'\n", argv[1]);
	workloads_usage(stderr);
	return TORN_EXIT_USAGE;
}
