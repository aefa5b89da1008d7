/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decoding one UTF-8 sequence strictly, for everything that shows or writes
 * untrusted text. */
#ifndef TORN_UTF8_H
#define TORN_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of the well-formed UTF-8 sequence at s[0..len) and its code
 * point in *cp: 1 for ASCII, 2 to 4 otherwise, 0 when there is none
 * (RFC 3629: overlong forms, surrogates and code points past U+10FFFF are
 * not UTF-8).  The terminal, XML and HTML renderers, torn_quote() and the
 * JSON writer all decide with it.
 */
size_t torn_utf8_seq(const unsigned char *s, size_t len, uint32_t *cp);

#endif
