/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host <-> guest agent protocol: length-prefixed frames of byte fields. */
#ifndef TORN_PROTO_H
#define TORN_PROTO_H

/*
 * The host and torn-agent exchange frames over a virtio-serial port.  A
 * frame is a list of byte strings ("fields"), which keeps every message
 * argv-shaped and the parser tiny:
 *
 *   u32 magic   "TRNP" (0x504e5254 little-endian)
 *   u32 length  bytes that follow this field (kind, nfields, fields),
 *               4..TORN_PROTO_MAX_FRAME
 *   u16 kind    TORN_PROTO_REQUEST, _REPLY or _ERROR
 *   u16 nfields <= TORN_PROTO_MAX_FIELDS
 *   then nfields times: u32 field length, the bytes
 *
 * All integers are little-endian.  The sum of the fields must fill
 * `length` exactly.  A request's first field names the command; a reply's
 * first field is "ok" or a short error text.  A frame that breaks any of
 * these rules is rejected by torn_proto_decode() with a message; the
 * receiver answers it with an ERROR frame and resynchronises by dropping
 * its input (the stream has no other way to find the next frame).
 *
 * Everything a guest sends is untrusted: decoding never reads outside the
 * buffer and never allocates more than the frame's declared length.
 */

#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"

#define TORN_PROTO_MAGIC 0x504e5254u
#define TORN_PROTO_HEAD 12
#define TORN_PROTO_MAX_FRAME (64u << 20)
#define TORN_PROTO_MAX_FIELDS 4096

enum torn_proto_kind {
	TORN_PROTO_REQUEST = 1,
	TORN_PROTO_REPLY = 2,
	TORN_PROTO_ERROR = 3,
};

struct torn_proto_field {
	const uint8_t *data; /* points into the decoded buffer */
	uint32_t len;
};

/* A decoded frame; fields point into the buffer it was decoded from. */
struct torn_proto_msg {
	uint16_t kind;
	uint16_t nfields;
	struct torn_proto_field
		*fields; /* owned; free with torn_proto_msg_clear */
};

/* A growable byte buffer used to build frames. */
struct torn_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void torn_buf_free(struct torn_buf *b);
int torn_buf_append(struct torn_buf *b, const void *p, size_t n);

/*
 * Encode a frame of `nfields` fields into b (appended).  Returns 0 or
 * TORN_E_RANGE when the frame would exceed the limits.
 */
int torn_proto_encode(struct torn_buf *b, uint16_t kind, size_t nfields,
		      const struct torn_proto_field *fields);
/* The same with NUL-terminated strings as fields. */
int torn_proto_encode_strv(struct torn_buf *b, uint16_t kind, size_t n,
			   const char *const *strv);

/*
 * Look at the head of buf: returns the full frame size (head + length)
 * when the head is valid, 0 when fewer than TORN_PROTO_HEAD bytes are
 * there, or a negative code with err filled when the head is bad (wrong
 * magic, oversized, unknown kind).
 */
long torn_proto_frame_size(const uint8_t *buf, size_t len,
			   struct torn_err *err);

/*
 * Decode one complete frame of exactly `len` bytes.  On success msg's
 * fields point into buf.  Returns 0 or TORN_E_FORMAT with err filled.
 */
int torn_proto_decode(const uint8_t *buf, size_t len,
		      struct torn_proto_msg *msg, struct torn_err *err);

void torn_proto_msg_clear(struct torn_proto_msg *msg);

/* Write a whole encoded buffer to fd (retries short writes and EINTR). */
int torn_proto_send(int fd, const struct torn_buf *b);

/*
 * Read one frame from fd into frame (replacing its contents) and decode it
 * into msg.  timeout_ms < 0 waits forever; otherwise the whole frame must
 * arrive within it (TORN_E_TIMEOUT).  End of file is TORN_E_TRUNCATED.
 * A bad frame is TORN_E_FORMAT with err filled: the stream is then out of
 * step and the caller should drop the connection's pending input.
 */
int torn_proto_recv(int fd, int timeout_ms, struct torn_buf *frame,
		    struct torn_proto_msg *msg, struct torn_err *err);

/* Does field i equal the string s? (false when i is out of range) */
int torn_proto_field_is(const struct torn_proto_msg *msg, size_t i,
			const char *s);
/* A malloc'd NUL-terminated copy of field i, or NULL (out of range/OOM). */
char *torn_proto_field_dup(const struct torn_proto_msg *msg, size_t i);

#endif
