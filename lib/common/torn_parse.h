/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict parsing of numbers given on command lines and in specs. */
#ifndef TORN_PARSE_H
#define TORN_PARSE_H

#include <stdint.h>

/*
 * A whole decimal number in min..max for option opt of command cmd ("torn
 * check"); 0, or -1 after a one-line usage error on stderr (none when cmd
 * is NULL).  "2x", "-1", "" and out-of-range values are errors.
 */
int torn_parse_count(const char *cmd, const char *opt, const char *arg,
		     uint64_t min, uint64_t max, uint64_t *out);

#endif
