/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn_quote(): control bytes of untrusted names shown as \xNN. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "torn_quote.h"

/*
 * Length of the well-formed UTF-8 sequence of two to four bytes at s
 * (at most len), 0 when there is none: overlong forms, surrogates, code
 * points past U+10FFFF and the C1 controls U+0080..U+009F are refused.
 */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0xa0; /* past the C1 controls */
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
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
