/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn state-image: the image of one crash state of a traced run. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "states_print.h"

static void state_image_usage(FILE *f)
{
	fprintf(f,
		"usage: torn state-image DIR STATE-ID -o FILE\n"
		"         [--model adr|eadr] [--granularity line|torn]\n"
		"\n"
		"Write the image of one crash state of the run in DIR to\n"
		"FILE: the base image, everything persisted at the state's\n"
		"crash point and the state's delta.  STATE-ID is\n"
		"POINT.ENGINE.INDEX as 'torn states --list' prints it; give\n"
		"the same --model and --granularity.\n"
		"\n"
		"Exit status: 0 success, 2 usage or no such state,\n"
		"3 unreadable run directory or unwritable FILE.\n");
}

/* Create path with size bytes and map it for writing. */
static void *map_output(const char *path, size_t size)
{
	void *p;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int cmd_state_image(int argc, char **argv)
{
	const char *cmd = "state-image", *dir = NULL, *id = NULL, *out = NULL;
	struct torn_err err = { .msg = "" };
	struct torn_states_opts o;
	struct torn_hash128 h;
	struct cli_states_seen seen = { 0 };
	bool missing;
	struct states_run run;
	char hash[33];
	size_t size;
	void *img;
	int i, ret, rc;

	torn_states_opts_init(&o);
	for (i = 1; i < argc; i++) {
		const char *v;

		ret = cli_states_option("torn: state-image", argc, argv, &i, &o,
					CLI_STATES_MODEL, &seen);
		if (ret < 0)
			goto usage;
		if (ret)
			continue;
		v = cli_opt_value(argc, argv, &i, "--output", &missing);
		if (!v && !missing && !strcmp(argv[i], "-o")) {
			if (i + 1 >= argc)
				missing = true;
			else
				v = argv[++i];
		}
		if (missing) {
			fprintf(stderr, "torn: %s: %s needs a FILE\n", cmd,
				argv[i]);
			goto usage;
		}
		if (v) {
			out = v;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			state_image_usage(stdout);
			return TORN_EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "torn: %s: unknown option '%s'\n", cmd,
				argv[i]);
			goto usage;
		} else if (!dir) {
			dir = argv[i];
		} else if (!id) {
			id = argv[i];
		} else {
			fprintf(stderr, "torn: %s: unexpected argument '%s'\n",
				cmd, argv[i]);
			goto usage;
		}
	}
	if (!dir || !id || !out) {
		fprintf(stderr, "torn: %s: %s\n", cmd,
			!dir  ? "no DIR given (see --help)"
			: !id ? "no STATE-ID given (see --help)"
			      : "no -o FILE given (see --help)");
		goto usage;
	}
	{
		struct torn_engine e;
		uint64_t point, index;

		if (torn_state_id_parse(id, &point, &e, &index, &err)) {
			fprintf(stderr, "torn: %s: %s\n", cmd, err.msg);
			goto usage;
		}
	}
	ret = states_run_open(cmd, dir, &run);
	if (ret)
		return ret;
	size = run.size;
	img = map_output(out, size);
	if (!img) {
		fprintf(stderr, "torn: %s: cannot write '%s': %s\n", cmd, out,
			strerror(errno));
		states_run_close(&run);
		return TORN_EXIT_INFRA;
	}
	ret = torn_state_image(run.trace, run.base, run.size, &o, id, img, &h,
			       &err);
	rc = TORN_EXIT_OK;
	if (ret) {
		fprintf(stderr, "torn: %s: %s\n", cmd, err.msg);
		rc = ret == TORN_E_NOTFOUND || ret == TORN_E_USAGE
			     ? TORN_EXIT_USAGE
			     : TORN_EXIT_INFRA;
	}
	if (munmap(img, run.size) && !rc) {
		fprintf(stderr, "torn: %s: cannot write '%s': %s\n", cmd, out,
			strerror(errno));
		rc = TORN_EXIT_INFRA;
	}
	if (rc)
		unlink(out);
	states_run_close(&run);
	if (!rc) {
		torn_hash_format(&h, hash);
		printf("state %s hash %s image %s bytes %zu\n", id, hash, out,
		       size);
	}
	return rc;

usage:
	return TORN_EXIT_USAGE; /* the reason is already printed, one line */
}
