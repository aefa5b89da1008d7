/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The torn trace format: records of NVDIMM stores, flushes, fences, markers. */
#ifndef TORN_TRACE_H
#define TORN_TRACE_H

/*
 * A trace is what the tracer plugin saw reach the emulated NVDIMM between
 * the START and STOP markers, in program order (the guest runs -smp 1).
 * docs/trace-format.md documents the bytes; this header is the API.
 *
 * Binary layout (little-endian, no padding between records):
 *
 *   header, 64 bytes:
 *     0  u8[8] magic "TORNTRC\0"
 *     8  u32   version (TORN_TRACE_VERSION)
 *    12  u32   header size (64)
 *    16  u64   pm_base: guest-physical address of the NVDIMM
 *    24  u64   pm_size: bytes of the NVDIMM (offsets are below this)
 *    32  u32   line_size: 64
 *    36  u32   cpu_features: TORN_CPU_* bits the guest CPU offered
 *    40  u32   flags: TORN_TRACE_F_*
 *    44  u8[20] reserved, zero
 *
 *   records, each starting with a 4-byte head {u8 kind, u8 flags,
 *   u8 sub, u8 len}:
 *     STORE, NT_STORE  head(sub=0, len=size 1..64), u64 offset, u64 pc,
 *                      u8 value[size]
 *     FLUSH            head(sub=flush kind, len=0), u64 offset, u64 pc
 *     UNRESOLVED       head(sub=flush kind, len=0), u64 vaddr, u64 pc
 *     FENCE            head(sub=fence kind, len=0), u64 pc
 *     MARK             head(sub=0, len=text length 0..255), u32 id,
 *                      u64 arg, u8 text[len]
 *     END              head(kind=END, flags=0, sub=0, len=0),
 *                      u64 number of records before END
 *
 *   A trace ends with exactly one END record and nothing after it; a file
 *   without one was cut short (the tracer died) and is rejected.  Fields
 *   a kind does not use (sub of stores and marks, len of flushes and
 *   fences) are zero, so a valid trace has exactly one encoding.
 *
 * Validation on read: magic, version, header size, line size 64,
 * pm_size > 0 and a multiple of the line size, pm_base line-aligned and
 * pm_base + pm_size not wrapping, only known cpu_features and flags bits,
 * reserved bytes zero, known kinds and sub-kinds, unused fields zero,
 * store size 1..64, offset + size <= pm_size, flush offset < pm_size,
 * record flags within TORN_REC_F_*, the END count.  A bad file is
 * TORN_E_FORMAT, TORN_E_VERSION (version) or TORN_E_TRUNCATED (cut
 * short, no END) with a message that names the record index and byte
 * offset.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "torn_err.h"

#define TORN_TRACE_MAGIC "TORNTRC" /* 7 chars + NUL = 8 bytes */
#define TORN_TRACE_VERSION 1
#define TORN_TRACE_HEADER_SIZE 64
#define TORN_LINE_SIZE 64
#define TORN_GRANULE_SIZE 8
#define TORN_STORE_MAX 64
#define TORN_MARK_TEXT_MAX 255

enum torn_record_kind {
	TORN_REC_STORE = 1,
	TORN_REC_NT_STORE = 2,
	TORN_REC_FLUSH = 3,
	TORN_REC_FENCE = 4,
	TORN_REC_MARK = 5,
	TORN_REC_UNRESOLVED =
		6, /* a flush whose address could not be translated */
	TORN_REC_END = 7,
};

enum torn_flush_kind {
	TORN_FLUSH_CLFLUSH = 1,
	TORN_FLUSH_CLFLUSHOPT = 2,
	TORN_FLUSH_CLWB = 3,
};

enum torn_fence_kind {
	TORN_FENCE_SFENCE = 1,
	TORN_FENCE_MFENCE = 2,
	TORN_FENCE_LOCKED = 3, /* LOCK prefix or xchg with memory */
	TORN_FENCE_SERIALIZING = 4, /* cpuid and other serializing insns */
	TORN_FENCE_WBINVD = 5, /* write back everything */
};

/* Record flags (head byte 1). */
#define TORN_REC_F_KERNEL 0x01 /* executed at CPL 0 */
/*
 * A STORE of a string instruction (rep movs, rep stos): the stores of
 * one such instruction may become visible out of order (SDM vol. 3A,
 * "Fast-String Operation and Out-of-Order Stores").  STORE records only.
 */
#define TORN_REC_F_STRING 0x02
#define TORN_REC_F_ALL 0x03

/* Header cpu_features bits. */
#define TORN_CPU_CLFLUSH 0x01
#define TORN_CPU_CLFLUSHOPT 0x02
#define TORN_CPU_CLWB 0x04
#define TORN_CPU_EADR 0x08 /* NVDIMM declared cpu-cache persistence */
#define TORN_CPU_ALL 0x0f

/* Header flags. */
#define TORN_TRACE_F_PC 0x01 /* records carry real PCs (else 0) */
#define TORN_TRACE_F_FROM_BOOT 0x02 /* armed at boot, not at START */
#define TORN_TRACE_F_ALL 0x03

/* Well-known marker ids (the guest's magic cpuid passes these). */
enum torn_mark_id {
	TORN_MARK_START = 1, /* arms the tracer */
	TORN_MARK_STOP = 2, /* disarms it */
	TORN_MARK_OP_BEGIN = 3, /* arg: operation index; text: the op */
	TORN_MARK_OP_END = 4, /* arg: operation index */
	TORN_MARK_DURABLE = 5, /* arg: operation index of the fsync/msync/... */
	TORN_MARK_USER = 16, /* first id free for workloads */
};

struct torn_trace_header {
	uint32_t version;
	uint64_t pm_base;
	uint64_t pm_size;
	uint32_t line_size;
	uint32_t cpu_features;
	uint32_t flags;
};

/*
 * One decoded record.  For STORE/NT_STORE `data` points at `size` value
 * bytes (memory order); for MARK at `size` text bytes (not NUL-terminated).
 * `data` points into the trace that produced the record and lives as long
 * as it does.
 */
struct torn_record {
	uint8_t kind; /* enum torn_record_kind */
	uint8_t flags; /* TORN_REC_F_* */
	uint8_t sub; /* flush or fence kind */
	uint8_t size; /* store size or mark text length */
	uint32_t mark_id;
	uint64_t offset; /* stores, FLUSH: byte offset in the NVDIMM */
	uint64_t vaddr; /* UNRESOLVED: the virtual address */
	uint64_t arg; /* MARK */
	uint64_t pc;
	const uint8_t *data;
};

/* ---- reading -------------------------------------------------------- */

struct torn_trace; /* a validated, loaded trace: header + record array */

/*
 * Load and validate a whole trace file (read into memory, not mapped).
 * Only a regular file is read (a FIFO or device is TORN_E_FORMAT, a
 * directory -EISDIR), its header first: a bad magic or version fails
 * after 64 bytes, and no more than the size fstat gives is read.  On
 * error returns a negative code (-errno when the file cannot be read)
 * and fills err (may be NULL) with the reason, which holds no path;
 * *out is untouched.
 */
int torn_trace_load(const char *path, struct torn_trace **out,
		    struct torn_err *err);

/* Validate and load a trace held in memory (copied). */
int torn_trace_load_buf(const void *buf, size_t len, struct torn_trace **out,
			struct torn_err *err);

/*
 * Parse the text form (see torn_trace_write_text) into a trace.  Errors
 * are TORN_E_FORMAT with a message starting "line N: ".
 */
int torn_trace_parse_text(const char *text, struct torn_trace **out,
			  struct torn_err *err);

/*
 * An empty in-memory trace to append to (tests, synthetic benchmarks).
 * hdr NULL means the defaults of the text form; hdr->version is ignored.
 * A header that breaks the rules above is TORN_E_RANGE.
 */
int torn_trace_new(struct torn_trace **out,
		   const struct torn_trace_header *hdr);
/*
 * Validate rec against the header and append a copy (data is copied;
 * fields the kind does not use are stored as zero).  A bad record is
 * TORN_E_FORMAT, "record N: <why>".  Appending may move the record
 * array: get the records again after appending; data pointers stay.
 */
int torn_trace_append(struct torn_trace *t, const struct torn_record *rec,
		      struct torn_err *err);

void torn_trace_free(struct torn_trace *t); /* NULL is a no-op */

const struct torn_trace_header *
torn_trace_get_header(const struct torn_trace *t);
size_t
torn_trace_get_count(const struct torn_trace *t); /* records, END excluded */
const struct torn_record *torn_trace_get_records(const struct torn_trace *t);

/* ---- writing -------------------------------------------------------- */

struct torn_trace_writer; /* buffered; appends are cheap */

/*
 * Create (truncate) path and write the header; hdr NULL as for
 * torn_trace_new.  A bad header is TORN_E_RANGE, an OS failure -errno.
 */
int torn_trace_writer_new(struct torn_trace_writer **out, const char *path,
			  const struct torn_trace_header *hdr);
/*
 * Appends one record (END is written by _close, never by _append).  No
 * syscall or allocation unless the 4 MiB buffer is full.  A record that
 * breaks the rules is TORN_E_RANGE and is not written; an I/O failure is
 * -errno and sticks: every later call returns it.
 */
int torn_trace_writer_append(struct torn_trace_writer *w,
			     const struct torn_record *rec);
/* Writes END, flushes and closes; frees w even on error. */
int torn_trace_writer_close(struct torn_trace_writer *w);
/* Flushes buffered records without ending the trace. */
int torn_trace_writer_flush(struct torn_trace_writer *w);

/* Serialize a whole in-memory trace to a binary file. */
int torn_trace_save(const struct torn_trace *t, const char *path);
/*
 * Serialize a whole trace into a malloc'd buffer (*buf, *len) holding
 * exactly the bytes torn_trace_save would write; the caller frees it.
 */
int torn_trace_encode(const struct torn_trace *t, uint8_t **buf, size_t *len);

/* ---- text form ------------------------------------------------------ */

/*
 * The text form, one record a line, '#' starts a comment:
 *
 *   header pm_base=0x100000000 pm_size=0x4000000
 * features=clflush,clflushopt,clwb[,eadr] flags=pc[,from-boot] store 0x1000 8
 * 0102030405060708 [pc=0xffffffff81234567] [kernel] nt_store 0x1040 4 deadbeef
 *   store 0x2000 64 *ab            # 64 bytes of 0xab
 *   flush clwb 0x1000 [pc=..] [kernel]
 *   unresolved clwb va=0x7f0000001000 [pc=..] [kernel]
 *   fence sfence|mfence|locked|serializing|wbinvd [pc=..] [kernel]
 *   mark 3 7 "pwrite /mnt/a 0 4096"   # id arg [text]
 *
 * Offsets are in hex with 0x or decimal.  The header line is optional in
 * parsed text (defaults: pm_base 0x100000000, pm_size 64 MiB, all flush
 * features, no flags) and must come first when present; "none" is an
 * empty list.  Values are hex bytes in memory order.  Text in marks is a
 * C-like string with \" \\ \n and \xNN escapes.  Marks carry no pc.
 * The writer's output is canonical (docs/trace-format.md): parsing it
 * and writing again gives the same text.
 */
int torn_trace_write_text(const struct torn_trace *t, FILE *f);
/* The header line alone, with its newline; 0 or -errno. */
int torn_trace_header_write_text(const struct torn_trace_header *hdr, FILE *f);
/* One record in text form, no newline; returns chars written or -errno. */
int torn_record_write_text(const struct torn_record *rec, FILE *f);

const char *torn_flush_kind_name(int kind); /* "clwb", or "?" */
const char *torn_fence_kind_name(int kind); /* "sfence", or "?" */
const char *torn_record_kind_name(int kind); /* "store", or "?" */

/* ---- statistics ----------------------------------------------------- */

struct torn_trace_stats {
	uint64_t records[TORN_REC_END + 1]; /* by kind */
	uint64_t flushes[TORN_FLUSH_CLWB + 1];
	uint64_t fences[TORN_FENCE_WBINVD + 1];
	uint64_t bytes_stored; /* STORE + NT_STORE sizes */
	uint64_t kernel_stores;
	uint64_t lines_touched; /* distinct 64-byte lines stored to */
};

int torn_trace_get_stats(const struct torn_trace *t,
			 struct torn_trace_stats *st);

#endif
