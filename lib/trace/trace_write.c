/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writing binary traces: the buffered writer, save and encode. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace.h"
#include "trace_internal.h"

/*
 * The tracer appends millions of records from a TCG callback: one
 * memcpy-sized encode into a big buffer per record, a write(2) per
 * WRITER_BUF_SIZE bytes.
 */
#define WRITER_BUF_SIZE (4u << 20)

struct torn_trace_writer {
	int fd;
	int error; /* first failure, sticky */
	uint64_t count; /* records appended, END excluded */
	size_t used;
	struct torn_trace_header hdr;
	uint8_t buf[]; /* WRITER_BUF_SIZE bytes */
};

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int torn_trace_writer_new(struct torn_trace_writer **out, const char *path,
			  const struct torn_trace_header *hdr)
{
	struct torn_trace_header def;
	struct torn_trace_writer *w;
	char why[200];

	if (!hdr) {
		trace_default_header(&def);
		hdr = &def;
	}
	if (trace_check_header(hdr, why, sizeof(why)))
		return TORN_E_RANGE;
	w = malloc(sizeof(*w) + WRITER_BUF_SIZE);
	if (!w)
		return -ENOMEM;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int ret = -errno;

		free(w);
		return ret;
	}
	w->error = 0;
	w->count = 0;
	w->hdr = *hdr;
	trace_encode_header(w->buf, hdr);
	w->used = TORN_TRACE_HEADER_SIZE;
	*out = w;
	return 0;
}

int torn_trace_writer_flush(struct torn_trace_writer *w)
{
	if (w->error)
		return w->error;
	w->error = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	return w->error;
}

int torn_trace_writer_append(struct torn_trace_writer *w,
			     const struct torn_record *rec)
{
	char why[200];
	int ret;

	if (__builtin_expect(w->error, 0))
		return w->error;
	if (__builtin_expect(trace_check_record(&w->hdr, rec, why, sizeof(why)),
			     0))
		return TORN_E_RANGE;
	if (__builtin_expect(WRITER_BUF_SIZE - w->used < REC_MAX_SIZE, 0)) {
		ret = torn_trace_writer_flush(w);
		if (ret)
			return ret;
	}
	w->used += trace_encode_record(w->buf + w->used, rec);
	w->count++;
	return 0;
}

int torn_trace_writer_close(struct torn_trace_writer *w)
{
	uint8_t *p;
	int ret = 0;

	if (!w)
		return 0;
	if (!w->error && WRITER_BUF_SIZE - w->used < REC_END_SIZE)
		torn_trace_writer_flush(w);
	if (!w->error) {
		p = w->buf + w->used;
		p[0] = TORN_REC_END;
		p[1] = p[2] = p[3] = 0;
		put_le64(p + 4, w->count);
		w->used += REC_END_SIZE;
		torn_trace_writer_flush(w);
	}
	ret = w->error;
	if (close(w->fd) && !ret)
		ret = -errno;
	free(w);
	return ret;
}

int torn_trace_save(const struct torn_trace *t, const char *path)
{
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t i, n = torn_trace_get_count(t);
	struct torn_trace_writer *w;
	int ret;

	ret = torn_trace_writer_new(&w, path, torn_trace_get_header(t));
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		ret = torn_trace_writer_append(w, &recs[i]);
		if (ret) {
			torn_trace_writer_close(w);
			return ret;
		}
	}
	return torn_trace_writer_close(w);
}

int torn_trace_encode(const struct torn_trace *t, uint8_t **bufp, size_t *lenp)
{
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t i, n = torn_trace_get_count(t), len;
	uint8_t *buf, *p;

	len = TORN_TRACE_HEADER_SIZE + REC_END_SIZE;
	for (i = 0; i < n; i++) {
		switch (recs[i].kind) {
		case TORN_REC_STORE:
		case TORN_REC_NT_STORE:
			len += REC_STORE_FIXED + recs[i].size;
			break;
		case TORN_REC_FLUSH:
		case TORN_REC_UNRESOLVED:
			len += REC_FLUSH_FIXED;
			break;
		case TORN_REC_FENCE:
			len += REC_FENCE_FIXED;
			break;
		case TORN_REC_MARK:
			len += REC_MARK_FIXED + recs[i].size;
			break;
		}
	}
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	trace_encode_header(buf, torn_trace_get_header(t));
	p = buf + TORN_TRACE_HEADER_SIZE;
	for (i = 0; i < n; i++)
		p += trace_encode_record(p, &recs[i]);
	p[0] = TORN_REC_END;
	p[1] = p[2] = p[3] = 0;
	put_le64(p + 4, n);
	*bufp = buf;
	*lenp = len;
	return 0;
}
