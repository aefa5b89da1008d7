/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn_quote(): control bytes of untrusted names shown as \xNN. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "torn_quote.h"
#include "torn_utf8.h"

/*
 * Length of the well-formed UTF-8 sequence of two to four bytes at s
 * (at most len), 0 when there is none; the C1 controls U+0080..U+009F
 * are refused too: a terminal acts on them.
 */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n = torn_utf8_seq(s, len, &cp);

	return n >= 2 && cp >= 0xa0 ? n : 0;
}

/* How byte p[i] and those after it are shown: into piece, *n bytes read. */
static size_t piece_at(const unsigned char *p, size_t len, size_t i,
		       char piece[8], size_t *n)
{
	*n = 1;
	if (p[i] == '\\') {
		memcpy(piece, "\\\\", 2);
		return 2;
	}
	if (p[i] >= 0x20 && p[i] < 0x7f) {
		piece[0] = (char)p[i];
		return 1;
	}
	if (p[i] >= 0x80 && (*n = utf8_seq(p + i, len - i))) {
		memcpy(piece, p + i, *n);
		return *n;
	}
	*n = 1;
	return (size_t)snprintf(piece, 8, "\\x%02x", p[i]);
}

const char *torn_quote_mem(const void *s, size_t len, char *buf, size_t size)
{
	const unsigned char *p = s;
	size_t i, n, o = 0, total = 0;
	char piece[8];

	if (size < 4) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	if (!p) {
		snprintf(buf, size, "(null)");
		return buf;
	}
	for (i = 0; i < len; i += n)
		total += piece_at(p, len, i, piece, &n);
	for (i = 0; i < len; i += n) {
		size_t plen = piece_at(p, len, i, piece, &n);

		/* cut short: stop where "..." still fits after it */
		if (total >= size && o + plen + 3 >= size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, piece, plen);
		o += plen;
	}
	buf[o] = '\0';
	return buf;
}

const char *torn_quote(const char *s, char *buf, size_t size)
{
	return torn_quote_mem(s, s ? strlen(s) : 0, buf, size);
}
