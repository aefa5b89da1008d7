/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sending and receiving agent protocol frames over a file descriptor. */
#include "proto.h"
#include "torn_time.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int torn_proto_send(int fd, const struct torn_buf *b)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t n = write(fd, b->data + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, 1000);
			continue;
		}
		if (n < 0)
			return -errno;
		off += n;
	}
	return 0;
}

/* Read exactly n more bytes into b; deadline < 0 means none. */
static int read_full(int fd, struct torn_buf *b, size_t n, long long deadline)
{
	size_t want = b->len + n;

	if (want > b->cap) {
		uint8_t *p = realloc(b->data, want);

		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = want;
	}
	while (b->len < want) {
		ssize_t got;

		if (deadline >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			long long left = deadline - torn_now_ms();
			int r;

			if (left <= 0)
				return TORN_E_TIMEOUT;
			r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
			if (r < 0 && errno == EINTR)
				return TORN_E_INTERRUPTED;
			if (r < 0)
				return -errno;
			if (r == 0)
				return TORN_E_TIMEOUT;
		}
		got = read(fd, b->data + b->len, want - b->len);
		if (got < 0 && errno == EINTR) {
			if (deadline >= 0)
				return TORN_E_INTERRUPTED;
			continue;
		}
		if (got < 0 && errno == EAGAIN)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return TORN_E_TRUNCATED;
		b->len += got;
	}
	return 0;
}

int torn_proto_recv(int fd, int timeout_ms, struct torn_buf *frame,
		    struct torn_proto_msg *msg, struct torn_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : torn_now_ms() + timeout_ms;
	long size;
	int ret;

	frame->len = 0;
	ret = read_full(fd, frame, TORN_PROTO_HEAD, deadline);
	if (ret)
		return torn_err_set(err, ret, "reading frame head: %s",
				    torn_strerror(ret));
	size = torn_proto_frame_size(frame->data, frame->len, err);
	if (size < 0)
		return (int)size;
	ret = read_full(fd, frame, size - TORN_PROTO_HEAD, deadline);
	if (ret)
		return torn_err_set(err, ret, "reading frame body: %s",
				    torn_strerror(ret));
	return torn_proto_decode(frame->data, frame->len, msg, err);
}
