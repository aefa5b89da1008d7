/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trace records in memory: validation, loading, appending, statistics. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace.h"
#include "trace_internal.h"

/*
 * Value and text bytes of appended records live in blocks that never
 * move, so that record->data stays valid while the record array grows.
 */
#define DATA_BLOCK_SIZE (64 * 1024)

struct data_block {
	struct data_block *next;
	size_t used;
	uint8_t bytes[DATA_BLOCK_SIZE];
};

struct torn_trace {
	struct torn_trace_header hdr;
	struct torn_record *recs;
	size_t count;
	size_t cap;
	uint8_t *file; /* the bytes a loaded trace was decoded from */
	struct data_block *blocks; /* newest first */
};

static const char *const record_kind_names[] = {
	[TORN_REC_STORE] = "store", [TORN_REC_NT_STORE] = "nt_store",
	[TORN_REC_FLUSH] = "flush", [TORN_REC_FENCE] = "fence",
	[TORN_REC_MARK] = "mark",   [TORN_REC_UNRESOLVED] = "unresolved",
	[TORN_REC_END] = "end",
};

static const char *const flush_kind_names[] = {
	[TORN_FLUSH_CLFLUSH] = "clflush",
	[TORN_FLUSH_CLFLUSHOPT] = "clflushopt",
	[TORN_FLUSH_CLWB] = "clwb",
};

static const char *const fence_kind_names[] = {
	[TORN_FENCE_SFENCE] = "sfence",
	[TORN_FENCE_MFENCE] = "mfence",
	[TORN_FENCE_LOCKED] = "locked",
	[TORN_FENCE_SERIALIZING] = "serializing",
	[TORN_FENCE_WBINVD] = "wbinvd",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int kind)
{
	if (kind < 0 || (size_t)kind >= n || !names[kind])
		return "?";
	return names[kind];
}

const char *torn_record_kind_name(int kind)
{
	return name_of(record_kind_names, ARRAY_SIZE(record_kind_names), kind);
}

const char *torn_flush_kind_name(int kind)
{
	return name_of(flush_kind_names, ARRAY_SIZE(flush_kind_names), kind);
}

const char *torn_fence_kind_name(int kind)
{
	return name_of(fence_kind_names, ARRAY_SIZE(fence_kind_names), kind);
}

void trace_default_header(struct torn_trace_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->version = TORN_TRACE_VERSION;
	hdr->pm_base = 0x100000000ULL;
	hdr->pm_size = 64ULL << 20;
	hdr->line_size = TORN_LINE_SIZE;
	hdr->cpu_features =
		TORN_CPU_CLFLUSH | TORN_CPU_CLFLUSHOPT | TORN_CPU_CLWB;
	hdr->flags = 0;
}

static int why_set(char *why, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_set(char *why, size_t len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return code;
}

/* The version is checked by the reader alone: in memory it is implied. */
int trace_check_header(const struct torn_trace_header *hdr, char *why,
		       size_t len)
{
	if (hdr->line_size != TORN_LINE_SIZE)
		return why_set(why, len, TORN_E_FORMAT,
			       "line size %" PRIu32 " is not %d",
			       hdr->line_size, TORN_LINE_SIZE);
	if (hdr->pm_size == 0 || hdr->pm_size % TORN_LINE_SIZE)
		return why_set(why, len, TORN_E_FORMAT,
			       "pm size 0x%" PRIx64
			       " is not a positive multiple of %d",
			       hdr->pm_size, TORN_LINE_SIZE);
	if (hdr->pm_base % TORN_LINE_SIZE)
		return why_set(why, len, TORN_E_FORMAT,
			       "pm base 0x%" PRIx64 " is not %d-byte aligned",
			       hdr->pm_base, TORN_LINE_SIZE);
	if (hdr->pm_size - 1 > UINT64_MAX - hdr->pm_base)
		return why_set(why, len, TORN_E_FORMAT,
			       "pm base 0x%" PRIx64 " + size 0x%" PRIx64
			       " wraps around",
			       hdr->pm_base, hdr->pm_size);
	if (hdr->cpu_features & ~(uint32_t)TORN_CPU_ALL)
		return why_set(why, len, TORN_E_FORMAT,
			       "unknown cpu feature bits 0x%" PRIx32,
			       hdr->cpu_features & ~(uint32_t)TORN_CPU_ALL);
	if (hdr->flags & ~(uint32_t)TORN_TRACE_F_ALL)
		return why_set(why, len, TORN_E_FORMAT,
			       "unknown header flag bits 0x%" PRIx32,
			       hdr->flags & ~(uint32_t)TORN_TRACE_F_ALL);
	return 0;
}

int trace_check_record(const struct torn_trace_header *hdr,
		       const struct torn_record *rec, char *why, size_t len)
{
/* The writer's hot path runs this: the name is looked up on errors only. */
#define KIND_NAME torn_record_kind_name(rec->kind)
	if (rec->kind < TORN_REC_STORE || rec->kind >= TORN_REC_END)
		return why_set(why, len, TORN_E_FORMAT,
			       "unknown record kind %u", rec->kind);
	if (rec->flags & ~TORN_REC_F_ALL)
		return why_set(why, len, TORN_E_FORMAT,
			       "%s has unknown flag bits 0x%02x", KIND_NAME,
			       rec->flags & ~TORN_REC_F_ALL);
	if ((rec->flags & TORN_REC_F_STRING) && rec->kind != TORN_REC_STORE)
		return why_set(why, len, TORN_E_FORMAT,
			       "%s has the string flag (stores only)",
			       KIND_NAME);
	switch (rec->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		if (rec->sub)
			return why_set(why, len, TORN_E_FORMAT,
				       "%s sub-kind %u is not 0", KIND_NAME,
				       rec->sub);
		if (rec->size < 1 || rec->size > TORN_STORE_MAX)
			return why_set(why, len, TORN_E_FORMAT,
				       "%s size %u outside 1..%d", KIND_NAME,
				       rec->size, TORN_STORE_MAX);
		if (rec->offset >= hdr->pm_size ||
		    hdr->pm_size - rec->offset < rec->size)
			return why_set(why, len, TORN_E_FORMAT,
				       "%s of %u bytes at offset 0x%" PRIx64
				       " beyond pm size 0x%" PRIx64,
				       KIND_NAME, rec->size, rec->offset,
				       hdr->pm_size);
		if (!rec->data)
			return why_set(why, len, TORN_E_FORMAT,
				       "%s has no value bytes", KIND_NAME);
		return 0;
	case TORN_REC_FLUSH:
	case TORN_REC_UNRESOLVED:
		if (!rec->sub || rec->sub >= ARRAY_SIZE(flush_kind_names))
			return why_set(why, len, TORN_E_FORMAT,
				       "%s kind %u is not a flush kind",
				       KIND_NAME, rec->sub);
		if (rec->size)
			return why_set(why, len, TORN_E_FORMAT,
				       "%s length %u is not 0", KIND_NAME,
				       rec->size);
		if (rec->kind == TORN_REC_FLUSH && rec->offset >= hdr->pm_size)
			return why_set(why, len, TORN_E_FORMAT,
				       "flush offset 0x%" PRIx64
				       " beyond pm size 0x%" PRIx64,
				       rec->offset, hdr->pm_size);
		return 0;
	case TORN_REC_FENCE:
		if (!rec->sub || rec->sub >= ARRAY_SIZE(fence_kind_names))
			return why_set(why, len, TORN_E_FORMAT,
				       "fence kind %u is not a fence kind",
				       rec->sub);
		if (rec->size)
			return why_set(why, len, TORN_E_FORMAT,
				       "fence length %u is not 0", rec->size);
		return 0;
	case TORN_REC_MARK:
		if (rec->sub)
			return why_set(why, len, TORN_E_FORMAT,
				       "mark sub-kind %u is not 0", rec->sub);
		if (rec->size && !rec->data)
			return why_set(why, len, TORN_E_FORMAT,
				       "mark has no text bytes");
		return 0;
	}
	return why_set(why, len, TORN_E_FORMAT, "unknown record kind %u",
		       rec->kind);
#undef KIND_NAME
}

/* Keep only the fields that the record's kind stores on disk. */
static void normalize_record(struct torn_record *dst,
			     const struct torn_record *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	dst->flags = src->flags;
	dst->pc = src->kind == TORN_REC_MARK ? 0 : src->pc; /* not stored */
	switch (src->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		dst->size = src->size;
		dst->offset = src->offset;
		dst->data = src->data;
		break;
	case TORN_REC_FLUSH:
		dst->sub = src->sub;
		dst->offset = src->offset;
		break;
	case TORN_REC_UNRESOLVED:
		dst->sub = src->sub;
		dst->vaddr = src->vaddr;
		break;
	case TORN_REC_FENCE:
		dst->sub = src->sub;
		break;
	case TORN_REC_MARK:
		dst->size = src->size;
		dst->mark_id = src->mark_id;
		dst->arg = src->arg;
		dst->data = src->size ? src->data : NULL;
		break;
	}
}

void trace_encode_header(uint8_t *p, const struct torn_trace_header *hdr)
{
	memset(p, 0, TORN_TRACE_HEADER_SIZE);
	memcpy(p + HDR_MAGIC, TORN_TRACE_MAGIC, sizeof(TORN_TRACE_MAGIC));
	put_le32(p + HDR_VERSION, TORN_TRACE_VERSION);
	put_le32(p + HDR_SIZE, TORN_TRACE_HEADER_SIZE);
	put_le64(p + HDR_PM_BASE, hdr->pm_base);
	put_le64(p + HDR_PM_SIZE, hdr->pm_size);
	put_le32(p + HDR_LINE_SIZE, hdr->line_size);
	put_le32(p + HDR_FEATURES, hdr->cpu_features);
	put_le32(p + HDR_FLAGS, hdr->flags);
}

/* ---- in-memory traces ------------------------------------------------ */

static struct torn_trace *trace_alloc(const struct torn_trace_header *hdr)
{
	struct torn_trace *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->hdr = *hdr;
	t->hdr.version = TORN_TRACE_VERSION;
	return t;
}

int torn_trace_new(struct torn_trace **out, const struct torn_trace_header *hdr)
{
	struct torn_trace_header def;
	struct torn_trace *t;
	char why[200];
	int ret;

	if (!hdr) {
		trace_default_header(&def);
		hdr = &def;
	}
	ret = trace_check_header(hdr, why, sizeof(why));
	if (ret)
		return TORN_E_RANGE;
	t = trace_alloc(hdr);
	if (!t)
		return -ENOMEM;
	*out = t;
	return 0;
}

void torn_trace_free(struct torn_trace *t)
{
	struct data_block *b, *next;

	if (!t)
		return;
	for (b = t->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(t->file);
	free(t->recs);
	free(t);
}

static int grow_records(struct torn_trace *t, size_t want)
{
	struct torn_record *recs;
	size_t cap;

	if (want <= t->cap)
		return 0;
	cap = t->cap ? t->cap : 256;
	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(*recs))
			return -ENOMEM;
		cap *= 2;
	}
	recs = realloc(t->recs, cap * sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	t->recs = recs;
	t->cap = cap;
	return 0;
}

/* Copy n (at most 255) bytes into stable storage owned by t. */
static const uint8_t *copy_data(struct torn_trace *t, const uint8_t *src,
				size_t n)
{
	struct data_block *b = t->blocks;
	uint8_t *dst;

	if (!b || DATA_BLOCK_SIZE - b->used < n) {
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->used = 0;
		b->next = t->blocks;
		t->blocks = b;
	}
	dst = b->bytes + b->used;
	memcpy(dst, src, n);
	b->used += n;
	return dst;
}

int torn_trace_append(struct torn_trace *t, const struct torn_record *rec,
		      struct torn_err *err)
{
	struct torn_record *dst;
	char why[200];
	int ret;

	ret = trace_check_record(&t->hdr, rec, why, sizeof(why));
	if (ret)
		return torn_err_set(err, ret, "record %zu: %s", t->count, why);
	ret = grow_records(t, t->count + 1);
	if (ret)
		return torn_err_set(err, ret, "record %zu: out of memory",
				    t->count);
	dst = &t->recs[t->count];
	normalize_record(dst, rec);
	if (dst->size) {
		dst->data = copy_data(t, rec->data, dst->size);
		if (!dst->data)
			return torn_err_set(err, -ENOMEM,
					    "record %zu: out of memory",
					    t->count);
	}
	t->count++;
	return 0;
}

const struct torn_trace_header *
torn_trace_get_header(const struct torn_trace *t)
{
	return &t->hdr;
}

size_t torn_trace_get_count(const struct torn_trace *t)
{
	return t->count;
}

const struct torn_record *torn_trace_get_records(const struct torn_trace *t)
{
	return t->recs;
}

/* ---- reading --------------------------------------------------------- */

static int decode_header(const uint8_t *p, size_t len,
			 struct torn_trace_header *hdr, struct torn_err *err)
{
	uint32_t hsize;
	char why[200];
	size_t i;
	int ret;

	if (len < 8 ||
	    memcmp(p + HDR_MAGIC, TORN_TRACE_MAGIC, sizeof(TORN_TRACE_MAGIC)))
		return torn_err_set(
			err,
			len < 8 && len > 0 && !memcmp(p, TORN_TRACE_MAGIC, len)
				? TORN_E_TRUNCATED
				: TORN_E_FORMAT,
			len ? "bad magic, not a torn trace"
			    : "empty file, not a torn trace");
	if (len < 12)
		return torn_err_set(err, TORN_E_TRUNCATED,
				    "header cut short at byte 0x%zx", len);
	hdr->version = get_le32(p + HDR_VERSION);
	if (hdr->version != TORN_TRACE_VERSION)
		return torn_err_set(err, TORN_E_VERSION,
				    "trace version %" PRIu32
				    " is not the supported version %d",
				    hdr->version, TORN_TRACE_VERSION);
	if (len < TORN_TRACE_HEADER_SIZE)
		return torn_err_set(err, TORN_E_TRUNCATED,
				    "header cut short at byte 0x%zx", len);
	hsize = get_le32(p + HDR_SIZE);
	if (hsize != TORN_TRACE_HEADER_SIZE)
		return torn_err_set(err, TORN_E_FORMAT,
				    "header size %" PRIu32 " is not %d", hsize,
				    TORN_TRACE_HEADER_SIZE);
	hdr->pm_base = get_le64(p + HDR_PM_BASE);
	hdr->pm_size = get_le64(p + HDR_PM_SIZE);
	hdr->line_size = get_le32(p + HDR_LINE_SIZE);
	hdr->cpu_features = get_le32(p + HDR_FEATURES);
	hdr->flags = get_le32(p + HDR_FLAGS);
	ret = trace_check_header(hdr, why, sizeof(why));
	if (ret)
		return torn_err_set(err, ret, "header: %s", why);
	for (i = HDR_RESERVED; i < TORN_TRACE_HEADER_SIZE; i++)
		if (p[i])
			return torn_err_set(err, TORN_E_FORMAT,
					    "header: reserved byte 0x%zx is "
					    "not zero",
					    i);
	return 0;
}

/*
 * Decode the record at p[pos..len) into rec; returns its length, or a
 * negative code with err filled.  idx names the record in messages.
 * Records at byte offsets: every read checks len first.
 */
static long decode_record(const uint8_t *p, size_t len, size_t pos, size_t idx,
			  const struct torn_trace_header *hdr,
			  struct torn_record *rec, struct torn_err *err)
{
	const uint8_t *r = p + pos;
	size_t avail = len - pos, need;
	char why[200];
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (avail < REC_HEAD_SIZE)
		return torn_err_set(err, TORN_E_TRUNCATED,
				    "record %zu at byte 0x%zx: cut short in "
				    "its head",
				    idx, pos);
	rec->kind = r[0];
	rec->flags = r[1];
	rec->sub = r[2];
	rec->size = r[3];
	switch (rec->kind) {
	case TORN_REC_STORE:
	case TORN_REC_NT_STORE:
		need = REC_STORE_FIXED + rec->size;
		break;
	case TORN_REC_FLUSH:
	case TORN_REC_UNRESOLVED:
		need = REC_FLUSH_FIXED;
		break;
	case TORN_REC_FENCE:
		need = REC_FENCE_FIXED;
		break;
	case TORN_REC_MARK:
		need = REC_MARK_FIXED + rec->size;
		break;
	case TORN_REC_END:
		if (rec->flags || rec->sub || rec->size)
			return torn_err_set(err, TORN_E_FORMAT,
					    "record %zu at byte 0x%zx: end "
					    "head has non-zero fields",
					    idx, pos);
		need = REC_END_SIZE;
		break;
	default:
		return torn_err_set(err, TORN_E_FORMAT,
				    "record %zu at byte 0x%zx: unknown record "
				    "kind %u",
				    idx, pos, rec->kind);
	}
	/* Check the fixed fields before complaining about a short tail. */
	if (rec->kind != TORN_REC_END) {
		rec->data = r; /* any non-NULL value until decoded */
		if (avail >= need) {
			switch (rec->kind) {
			case TORN_REC_STORE:
			case TORN_REC_NT_STORE:
				rec->offset = get_le64(r + 4);
				rec->pc = get_le64(r + 12);
				rec->data = r + REC_STORE_FIXED;
				break;
			case TORN_REC_FLUSH:
				rec->offset = get_le64(r + 4);
				rec->pc = get_le64(r + 12);
				break;
			case TORN_REC_UNRESOLVED:
				rec->vaddr = get_le64(r + 4);
				rec->pc = get_le64(r + 12);
				break;
			case TORN_REC_FENCE:
				rec->pc = get_le64(r + 4);
				break;
			case TORN_REC_MARK:
				rec->mark_id = get_le32(r + 4);
				rec->arg = get_le64(r + 8);
				rec->data =
					rec->size ? r + REC_MARK_FIXED : NULL;
				break;
			}
		}
		ret = trace_check_record(hdr, rec, why, sizeof(why));
		if (avail >= need && !rec->size)
			rec->data = NULL;
		if (ret)
			return torn_err_set(err, ret,
					    "record %zu at byte 0x%zx: %s", idx,
					    pos, why);
	}
	if (avail < need)
		return torn_err_set(err, TORN_E_TRUNCATED,
				    "record %zu at byte 0x%zx: %s of %zu bytes "
				    "cut short after %zu",
				    idx, pos, torn_record_kind_name(rec->kind),
				    need, avail);
	if (rec->kind == TORN_REC_END)
		rec->offset = get_le64(r + 4); /* the count, for the caller */
	return (long)need;
}

/*
 * Walk the records of p[0..len) twice: first to validate and count
 * (recs NULL), then to fill recs.  Returns the count or a negative code.
 */
static int walk_records(const uint8_t *p, size_t len,
			const struct torn_trace_header *hdr,
			struct torn_record *recs, size_t *count,
			struct torn_err *err)
{
	struct torn_record rec;
	size_t pos = TORN_TRACE_HEADER_SIZE, idx = 0;
	long n;

	for (;;) {
		if (pos == len)
			return torn_err_set(err, TORN_E_TRUNCATED,
					    "record %zu at byte 0x%zx: trace "
					    "ends without an end record, cut "
					    "short",
					    idx, pos);
		n = decode_record(p, len, pos, idx, hdr, &rec, err);
		if (n < 0)
			return (int)n;
		if (rec.kind == TORN_REC_END)
			break;
		if (recs)
			recs[idx] = rec;
		pos += (size_t)n;
		idx++;
	}
	if (rec.offset != idx)
		return torn_err_set(err, TORN_E_FORMAT,
				    "record %zu at byte 0x%zx: end counts "
				    "%" PRIu64 " records, the trace has %zu",
				    idx, pos, rec.offset, idx);
	if (len - pos != REC_END_SIZE)
		return torn_err_set(err, TORN_E_FORMAT,
				    "record %zu at byte 0x%zx: %zu byte(s) "
				    "after the end record",
				    idx, pos, len - pos - REC_END_SIZE);
	*count = idx;
	return 0;
}

/* Decode bytes already owned by the new trace (taken over, even on error). */
static int load_owned(uint8_t *file, size_t len, struct torn_trace **out,
		      struct torn_err *err)
{
	struct torn_trace_header hdr;
	struct torn_trace *t;
	size_t count = 0;
	int ret;

	ret = decode_header(file, len, &hdr, err);
	if (ret)
		goto out_free_file;
	ret = walk_records(file, len, &hdr, NULL, &count, err);
	if (ret)
		goto out_free_file;
	t = trace_alloc(&hdr);
	if (!t) {
		ret = torn_err_set(err, -ENOMEM, "out of memory");
		goto out_free_file;
	}
	t->file = file;
	ret = grow_records(t, count ? count : 1);
	if (ret) {
		torn_trace_free(t);
		return torn_err_set(err, ret, "out of memory for %zu records",
				    count);
	}
	ret = walk_records(file, len, &hdr, t->recs, &t->count, err);
	if (ret) {
		torn_trace_free(t);
		return ret;
	}
	*out = t;
	return 0;

out_free_file:
	free(file);
	return ret;
}

int torn_trace_load_buf(const void *buf, size_t len, struct torn_trace **out,
			struct torn_err *err)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return torn_err_set(err, -ENOMEM, "out of memory for %zu bytes",
				    len);
	if (len)
		memcpy(copy, buf, len);
	return load_owned(copy, len, out, err);
}

/* Read up to want bytes at buf; *got is less only at the end of the file. */
static int read_upto(int fd, uint8_t *buf, size_t want, size_t *got)
{
	size_t len = 0;
	ssize_t n;

	while (len < want) {
		n = read(fd, buf + len, want - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += (size_t)n;
	}
	*got = len;
	return 0;
}

/*
 * Read a trace file: a regular file only (a FIFO or a device has no end
 * to wait for), its header checked before anything else is read, and
 * never more than the size fstat gave (a file still growing is cut
 * there, and then fails for want of its END record).  read(2) rather
 * than mmap so a shrinking file is safe.
 */
int torn_trace_load(const char *path, struct torn_trace **out,
		    struct torn_err *err)
{
	struct torn_trace_header hdr;
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0, more;
	int fd, ret;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return torn_err_set(err, -errno, "%s", strerror(errno));
	if (fstat(fd, &st)) {
		ret = torn_err_set(err, -errno, "%s", strerror(errno));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = torn_err_set(err, -EISDIR, "%s", strerror(EISDIR));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = torn_err_set(
			err, TORN_E_FORMAT,
			"not a regular file (a %s), not a torn trace",
			S_ISFIFO(st.st_mode)   ? "FIFO"
			: S_ISCHR(st.st_mode)  ? "character device"
			: S_ISBLK(st.st_mode)  ? "block device"
			: S_ISSOCK(st.st_mode) ? "socket"
					       : "special file");
		goto out_close;
	}
	if ((uint64_t)st.st_size >= SIZE_MAX) {
		ret = torn_err_set(err, -EFBIG, "%s", strerror(EFBIG));
		goto out_close;
	}
	buf = malloc(TORN_TRACE_HEADER_SIZE);
	if (!buf) {
		ret = torn_err_set(err, -ENOMEM, "out of memory");
		goto out_close;
	}
	/* the magic and version first: a 2 GB file of something else is
	 * refused after 64 bytes, not after reading it all */
	ret = read_upto(fd, buf,
			(size_t)st.st_size < TORN_TRACE_HEADER_SIZE
				? (size_t)st.st_size
				: TORN_TRACE_HEADER_SIZE,
			&len);
	if (ret) {
		torn_err_set(err, ret, "%s", strerror(-ret));
		goto out_free;
	}
	ret = decode_header(buf, len, &hdr, err);
	if (ret)
		goto out_free;
	if ((size_t)st.st_size > len) {
		uint8_t *nbuf = realloc(buf, (size_t)st.st_size);

		if (!nbuf) {
			ret = torn_err_set(err, -ENOMEM,
					   "out of memory for %jd bytes",
					   (intmax_t)st.st_size);
			goto out_free;
		}
		buf = nbuf;
		ret = read_upto(fd, buf + len, (size_t)st.st_size - len, &more);
		if (ret) {
			torn_err_set(err, ret, "%s", strerror(-ret));
			goto out_free;
		}
		len += more;
	}
	close(fd);
	return load_owned(buf, len, out, err);

out_free:
	free(buf);
out_close:
	close(fd);
	return ret;
}

/* ---- statistics ------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Up to this many lines (a 64 GiB NVDIMM), count them in a bitmap. */
#define STATS_BITMAP_LINES (1ULL << 30)

/* Distinct lines stored to: a bitmap (128 KiB per GiB), else a sort. */
static int count_lines(const struct torn_trace *t, uint64_t *out)
{
	uint64_t nlines = t->hdr.pm_size / TORN_LINE_SIZE, first, last, l;
	uint64_t *set, distinct = 0;
	size_t i, n = 0, stores = 0;
	bool bitmap = nlines <= STATS_BITMAP_LINES;

	for (i = 0; i < t->count; i++)
		if (t->recs[i].kind == TORN_REC_STORE ||
		    t->recs[i].kind == TORN_REC_NT_STORE)
			stores++;
	if (!stores) {
		*out = 0;
		return 0;
	}
	/* A store of up to 64 bytes touches at most two lines. */
	set = bitmap ? calloc((nlines + 63) / 64, sizeof(*set))
		     : malloc(stores * 2 * sizeof(*set));
	if (!set)
		return -ENOMEM;
	for (i = 0; i < t->count; i++) {
		const struct torn_record *r = &t->recs[i];

		if (r->kind != TORN_REC_STORE && r->kind != TORN_REC_NT_STORE)
			continue;
		first = r->offset / TORN_LINE_SIZE;
		last = (r->offset + r->size - 1) / TORN_LINE_SIZE;
		for (l = first; l <= last; l++) {
			if (!bitmap) {
				set[n++] = l;
			} else if (!(set[l / 64] & 1ULL << l % 64)) {
				set[l / 64] |= 1ULL << l % 64;
				distinct++;
			}
		}
	}
	if (!bitmap) {
		qsort(set, n, sizeof(*set), cmp_u64);
		for (i = 0; i < n; i++)
			if (!i || set[i] != set[i - 1])
				distinct++;
	}
	free(set);
	*out = distinct;
	return 0;
}

int torn_trace_get_stats(const struct torn_trace *t,
			 struct torn_trace_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < t->count; i++) {
		const struct torn_record *r = &t->recs[i];

		st->records[r->kind]++;
		switch (r->kind) {
		case TORN_REC_STORE:
		case TORN_REC_NT_STORE:
			st->bytes_stored += r->size;
			if (r->flags & TORN_REC_F_KERNEL)
				st->kernel_stores++;
			break;
		case TORN_REC_FLUSH:
			st->flushes[r->sub]++;
			break;
		case TORN_REC_FENCE:
			st->fences[r->sub]++;
			break;
		}
	}
	return count_lines(t, &st->lines_touched);
}
