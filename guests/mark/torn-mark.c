/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-mark: emit one tracer marker from a shell script in the guest. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "torn_mark.h"

static const struct {
	const char *name;
	uint32_t id;
} mark_names[] = {
	{ "start", TORN_MARK_ID_START },
	{ "stop", TORN_MARK_ID_STOP },
	{ "op-begin", TORN_MARK_ID_OP_BEGIN },
	{ "op-end", TORN_MARK_ID_OP_END },
	{ "durable", TORN_MARK_ID_DURABLE },
	{ "user", TORN_MARK_ID_USER },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: torn-mark ID ARG [TEXT]\n"
		"  ID    a number, or start, stop, op-begin, op-end, durable,\n"
		"        user\n"
		"  ARG   a 64-bit number (decimal or 0x hex)\n"
		"  TEXT  optional, at most %d bytes\n",
		TORN_MARK_TEXT_MAX_LEN);
	exit(2);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t id = 0, arg;
	const char *text = NULL;
	size_t len = 0, i;

	if (argc < 3 || argc > 4)
		usage();
	for (i = 0; i < sizeof(mark_names) / sizeof(mark_names[0]); i++)
		if (!strcmp(argv[1], mark_names[i].name))
			break;
	if (i < sizeof(mark_names) / sizeof(mark_names[0])) {
		id = mark_names[i].id;
	} else if (parse_u64(argv[1], UINT32_MAX, &id)) {
		fprintf(stderr, "torn-mark: bad marker id '%s'\n", argv[1]);
		return 2;
	}
	if (parse_u64(argv[2], UINT64_MAX, &arg)) {
		fprintf(stderr, "torn-mark: bad argument '%s'\n", argv[2]);
		return 2;
	}
	if (argc == 4) {
		text = argv[3];
		len = strlen(text);
		if (len > TORN_MARK_TEXT_MAX_LEN) {
			fprintf(stderr,
				"torn-mark: text longer than %d bytes\n",
				TORN_MARK_TEXT_MAX_LEN);
			return 2;
		}
	}
	torn_mark((uint32_t)id, arg, text, len);
	return 0;
}
