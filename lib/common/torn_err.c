/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error codes to text. */
#include "torn_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *torn_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case TORN_E_FORMAT:
		return "malformed input";
	case TORN_E_VERSION:
		return "unsupported version";
	case TORN_E_TRUNCATED:
		return "input ends early";
	case TORN_E_RANGE:
		return "value out of range";
	case TORN_E_USAGE:
		return "bad usage";
	case TORN_E_TIMEOUT:
		return "timed out";
	case TORN_E_GUEST:
		return "guest failure";
	case TORN_E_MISMATCH:
		return "mismatch";
	case TORN_E_NOTFOUND:
		return "not found";
	case TORN_E_INTERRUPTED:
		return "interrupted";
	}
	if (code < 0 && code > TORN_E_BASE)
		return strerror(-code);
	return "unknown error";
}

int torn_err_set(struct torn_err *err, int code, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return code;
	/* formatted apart: an argument may be err->msg itself */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(err->msg, msg, sizeof(msg));
	return code;
}
