/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict parsing of numbers given on command lines and in specs. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "torn_parse.h"

int torn_parse_count(const char *cmd, const char *opt, const char *arg,
		     uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min ||
	    v > max) {
		if (!cmd)
			return -1;
		if (max == UINT64_MAX)
			fprintf(stderr,
				"%s: %s '%s': expected a number from %" PRIu64
				"\n",
				cmd, opt, arg, min);
		else
			fprintf(stderr,
				"%s: %s '%s': expected %" PRIu64 "..%" PRIu64
				"\n",
				cmd, opt, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}
