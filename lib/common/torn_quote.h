/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names from users and guests made safe to print in a one-line message. */
#ifndef TORN_QUOTE_H
#define TORN_QUOTE_H

#include <stddef.h>

/*
 * A buffer size for torn_quote() that holds any path (PATH_MAX bytes)
 * whose bytes are mostly printable; longer output is cut with "...".
 */
#define TORN_QUOTE_SIZE 4200

/*
 * s written into buf[0..size) so that a terminal shows it and does
 * nothing else: control bytes (below 0x20, 0x7f), C1 controls and bytes
 * that are not well-formed UTF-8 as \xNN, a backslash as \\, so the
 * text cannot move the cursor, change colours or fake another line.
 * Printable ASCII and well-formed UTF-8 stay as they are.  When it does
 * not fit, it is cut at a character boundary and ends in "...".
 * Returns buf, always NUL-terminated (size >= 4).  s NULL: "(null)".
 */
const char *torn_quote(const char *s, char *buf, size_t size);

/* The same for len bytes at s, which may hold NULs (shown as \x00). */
const char *torn_quote_mem(const void *s, size_t len, char *buf, size_t size);

#endif
