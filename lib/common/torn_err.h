/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error codes and error messages shared by every torn library. */
#ifndef TORN_ERR_H
#define TORN_ERR_H

#include <stddef.h>

/*
 * Functions return 0 on success or a negative code: -errno for OS
 * failures, TORN_E_* for domain errors.  torn_strerror() explains both.
 * Domain codes live far below any errno value.
 */
enum torn_errcode {
	TORN_E_BASE = -10000,
	TORN_E_FORMAT = -10001, /* malformed input (trace, spec, frame) */
	TORN_E_VERSION = -10002, /* unsupported format version */
	TORN_E_TRUNCATED = -10003, /* input ends early */
	TORN_E_RANGE = -10004, /* a value outside what is allowed */
	TORN_E_USAGE = -10005, /* a bad option or argument */
	TORN_E_TIMEOUT = -10006, /* a guest did not answer in time */
	TORN_E_GUEST = -10007, /* a guest failed or sent nonsense */
	TORN_E_MISMATCH = -10008, /* a check found a difference */
	TORN_E_NOTFOUND = -10009, /* a named thing does not exist */
	TORN_E_INTERRUPTED = -10010, /* stopped by a signal */
};

/* Text for a return code of any torn function; never NULL. */
const char *torn_strerror(int code);

/*
 * A detailed message for the caller to print once.  Libraries fill it
 * with what failed first, lower case, no full stop, e.g.
 * "record 12 at byte 0x3c: store size 0 outside 1..64".
 */
struct torn_err {
	char msg[512];
};

/*
 * Set err->msg (printf-style) when err is not NULL; returns code.  An
 * argument may be err->msg itself ("context: %s", err->msg).
 */
int torn_err_set(struct torn_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
