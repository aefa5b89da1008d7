/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by rundir.c and verdicts.c: strict member getters, safe quoting. */
#ifndef TORN_RUNDIR_INT_H
#define TORN_RUNDIR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "torn_err.h"

/*
 * The getters read member key of object obj.  A missing member is 0
 * with *present false (when present is not NULL) and the output left as
 * it is; a member of the wrong type or that does not fit is
 * TORN_E_FORMAT with "member 'key': why" in why (whylen bytes).
 */

/* A string without NUL bytes shorter than size, copied into buf. */
int rundir_get_string(const struct torn_json *obj, const char *key, char *buf,
		      size_t size, bool *present, char *why, size_t whylen);
int rundir_get_uint64(const struct torn_json *obj, const char *key,
		      uint64_t *out, bool *present, char *why, size_t whylen);
/* An integer from 0 to max. */
int rundir_get_count(const struct torn_json *obj, const char *key, int64_t max,
		     int64_t *out, bool *present, char *why, size_t whylen);
int rundir_get_bool(const struct torn_json *obj, const char *key, bool *out,
		    bool *present, char *why, size_t whylen);
/* An object (or absent); *out NULL when absent. */
int rundir_get_object(const struct torn_json *obj, const char *key,
		      const struct torn_json **out, char *why, size_t whylen);

/*
 * s[0..len) for a message, in single quotes: at most 40 bytes, bytes
 * outside printable ASCII as \xNN, so an untrusted name cannot reach a
 * terminal raw.
 */
void rundir_quote(const char *s, size_t len, char *buf, size_t size);

/*
 * Open DIR/NAME for reading (never blocking on a FIFO put there) into
 * *fd, its path into path (pathlen bytes) and its status into *st:
 * 0, -errno with "path: missing" or "path: why", or TORN_E_FORMAT for
 * what is not a regular file (nothing left open then).
 */
struct stat;
int rundir_open_regular(const char *dir, const char *name, char *path,
			size_t pathlen, int *fd, struct stat *st,
			struct torn_err *err);

#endif
