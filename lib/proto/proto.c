/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Frame encoding and defensive decoding for the agent protocol. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static uint32_t get_u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

void torn_buf_free(struct torn_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int buf_reserve(struct torn_buf *b, size_t extra)
{
	size_t cap;
	uint8_t *p;

	if (b->len + extra <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int torn_buf_append(struct torn_buf *b, const void *p, size_t n)
{
	int ret = buf_reserve(b, n);

	if (ret)
		return ret;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int torn_proto_encode(struct torn_buf *b, uint16_t kind, size_t nfields,
		      const struct torn_proto_field *fields)
{
	size_t body = 4, i;
	uint8_t *p;
	int ret;

	if (nfields > TORN_PROTO_MAX_FIELDS)
		return TORN_E_RANGE;
	for (i = 0; i < nfields; i++) {
		if (fields[i].len > TORN_PROTO_MAX_FRAME)
			return TORN_E_RANGE;
		body += 4 + (size_t)fields[i].len;
	}
	if (body > TORN_PROTO_MAX_FRAME)
		return TORN_E_RANGE;
	ret = buf_reserve(b, 8 + body);
	if (ret)
		return ret;
	p = b->data + b->len;
	put_u32(p, TORN_PROTO_MAGIC);
	put_u32(p + 4, body);
	put_u16(p + 8, kind);
	put_u16(p + 10, nfields);
	p += TORN_PROTO_HEAD;
	for (i = 0; i < nfields; i++) {
		put_u32(p, fields[i].len);
		if (fields[i].len)
			memcpy(p + 4, fields[i].data, fields[i].len);
		p += 4 + fields[i].len;
	}
	b->len += 8 + body;
	return 0;
}

int torn_proto_encode_strv(struct torn_buf *b, uint16_t kind, size_t n,
			   const char *const *strv)
{
	struct torn_proto_field *f;
	size_t i;
	int ret;

	if (n > TORN_PROTO_MAX_FIELDS)
		return TORN_E_RANGE;
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		f[i].data = (const uint8_t *)strv[i];
		f[i].len = strlen(strv[i]);
	}
	ret = torn_proto_encode(b, kind, n, f);
	free(f);
	return ret;
}

long torn_proto_frame_size(const uint8_t *buf, size_t len, struct torn_err *err)
{
	uint32_t body;
	uint16_t kind;

	if (len < TORN_PROTO_HEAD)
		return 0;
	if (get_u32(buf) != TORN_PROTO_MAGIC)
		return torn_err_set(err, TORN_E_FORMAT,
				    "bad frame magic 0x%08x", get_u32(buf));
	body = get_u32(buf + 4);
	if (body < 4 || body > TORN_PROTO_MAX_FRAME)
		return torn_err_set(err, TORN_E_FORMAT,
				    "frame length %u outside 4..%u", body,
				    TORN_PROTO_MAX_FRAME);
	kind = get_u16(buf + 8);
	if (kind < TORN_PROTO_REQUEST || kind > TORN_PROTO_ERROR)
		return torn_err_set(err, TORN_E_FORMAT, "unknown frame kind %u",
				    kind);
	if (get_u16(buf + 10) > TORN_PROTO_MAX_FIELDS)
		return torn_err_set(err, TORN_E_FORMAT,
				    "frame has %u fields, limit %u",
				    get_u16(buf + 10), TORN_PROTO_MAX_FIELDS);
	return 8 + (long)body;
}

int torn_proto_decode(const uint8_t *buf, size_t len,
		      struct torn_proto_msg *msg, struct torn_err *err)
{
	long size = torn_proto_frame_size(buf, len, err);
	size_t pos = TORN_PROTO_HEAD, i;
	uint16_t n;

	memset(msg, 0, sizeof(*msg));
	if (size < 0)
		return (int)size;
	if (size == 0 || (size_t)size != len)
		return torn_err_set(err, TORN_E_FORMAT,
				    "frame of %zu bytes declares %ld", len,
				    size ? size : (long)TORN_PROTO_HEAD);
	n = get_u16(buf + 10);
	msg->kind = get_u16(buf + 8);
	msg->nfields = n;
	msg->fields = calloc(n ? n : 1, sizeof(*msg->fields));
	if (!msg->fields)
		return torn_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		uint32_t flen;

		if (len - pos < 4) {
			torn_proto_msg_clear(msg);
			return torn_err_set(err, TORN_E_FORMAT,
					    "field %zu head past frame end", i);
		}
		flen = get_u32(buf + pos);
		pos += 4;
		if (flen > len - pos) {
			torn_proto_msg_clear(msg);
			return torn_err_set(
				err, TORN_E_FORMAT,
				"field %zu of %u bytes past frame end", i,
				flen);
		}
		msg->fields[i].data = buf + pos;
		msg->fields[i].len = flen;
		pos += flen;
	}
	if (pos != len) {
		torn_proto_msg_clear(msg);
		return torn_err_set(err, TORN_E_FORMAT,
				    "%zu stray bytes after the last field",
				    len - pos);
	}
	return 0;
}

void torn_proto_msg_clear(struct torn_proto_msg *msg)
{
	free(msg->fields);
	memset(msg, 0, sizeof(*msg));
}

int torn_proto_field_is(const struct torn_proto_msg *msg, size_t i,
			const char *s)
{
	size_t n = strlen(s);

	return i < msg->nfields && msg->fields[i].len == n &&
	       !memcmp(msg->fields[i].data, s, n);
}

char *torn_proto_field_dup(const struct torn_proto_msg *msg, size_t i)
{
	char *s;

	if (i >= msg->nfields)
		return NULL;
	s = malloc((size_t)msg->fields[i].len + 1);
	if (!s)
		return NULL;
	memcpy(s, msg->fields[i].data, msg->fields[i].len);
	s[msg->fields[i].len] = 0;
	return s;
}
