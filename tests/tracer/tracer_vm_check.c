/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host side of the tracer's vm test: is the trace what the guest did? */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "tracer_vm.h"

#define NO_OFFSET UINT64_MAX

static int failures;

static void expect(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool is_store(const struct torn_record *r)
{
	return r->kind == TORN_REC_STORE || r->kind == TORN_REC_NT_STORE;
}

static bool is_kernel(const struct torn_record *r)
{
	return r->flags & TORN_REC_F_KERNEL;
}

/* Index of the first 8-byte store of value v (kind 0: either), or -1. */
static long find_store64(const struct torn_record *recs, size_t n, int kind,
			 uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (is_store(&recs[i]) && (!kind || recs[i].kind == kind) &&
		    recs[i].size == 8 && get64(recs[i].data) == v)
			return (long)i;
	return -1;
}

/* Index of the first flush of line (off & ~63) after record from. */
static long find_flush(const struct torn_record *recs, size_t n, long from,
		       uint64_t off, int sub, bool kernel)
{
	for (size_t i = from < 0 ? 0 : (size_t)from; i < n; i++)
		if (recs[i].kind == TORN_REC_FLUSH &&
		    recs[i].offset == (off & ~63ull) &&
		    (!sub || recs[i].sub == sub) &&
		    is_kernel(&recs[i]) == kernel)
			return (long)i;
	return -1;
}

/*
 * Index of the fence that orders the user flushes before record from:
 * the user's sfence, or, when an interrupt ran between the flushes and
 * the sfence, the kernel fence the tracer then folds it into (a fence
 * with no PM record since the previous one is not recorded again).
 * -1 when the first fence after from is neither.
 */
static long find_user_sfence(const struct torn_record *recs, size_t n,
			     long from)
{
	for (size_t i = from < 0 ? 0 : (size_t)from; i < n; i++) {
		if (recs[i].kind != TORN_REC_FENCE)
			continue;
		if (is_kernel(&recs[i]) || recs[i].sub == TORN_FENCE_SFENCE)
			return (long)i;
		return -1;
	}
	return -1;
}

/*
 * Replay the stores of one privilege into an image: who[] says which
 * bytes kernel (2) or user (1) stores wrote last, and with what kind.
 */
struct image {
	uint8_t *bytes;
	uint8_t *who;
	uint8_t *kind;
	long *last; /* record that wrote the byte last */
};

static void replay(const struct torn_trace *t, struct image *im)
{
	const struct torn_trace_header *h = torn_trace_get_header(t);
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t);

	im->bytes = calloc(h->pm_size, 1);
	im->who = calloc(h->pm_size, 1);
	im->kind = calloc(h->pm_size, 1);
	im->last = calloc(h->pm_size, sizeof(long));
	if (!im->bytes || !im->who || !im->kind || !im->last) {
		perror("calloc");
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_store(&recs[i]))
			continue;
		for (unsigned int b = 0; b < recs[i].size; b++) {
			uint64_t o = recs[i].offset + b;

			im->bytes[o] = recs[i].data[b];
			im->who[o] = is_kernel(&recs[i]) ? 2 : 1;
			im->kind[o] = recs[i].kind;
			im->last[o] = (long)i;
		}
	}
}

/*
 * The self-check: the trace of a guest armed from boot, replayed over
 * the zeroed NVDIMM it started with, must give the backing file QEMU
 * left, byte for byte (the trace is closed at exit).
 */
static int self_check(const char *trace, const char *final)
{
	struct torn_err err = { { 0 } };
	struct torn_trace *t;
	const struct torn_trace_header *h;
	struct image im;
	uint8_t *fin;
	FILE *f;
	uint64_t diff = 0, first = 0, nonzero = 0;

	if (torn_trace_load(trace, &t, &err)) {
		fprintf(stderr, "tracer_vm_check: %s\n", err.msg);
		return 1;
	}
	h = torn_trace_get_header(t);
	expect(h->flags == (TORN_TRACE_F_PC | TORN_TRACE_F_FROM_BOOT),
	       "header flags: pc, armed from boot");
	replay(t, &im);
	fin = malloc(h->pm_size);
	f = fopen(final, "rb");
	if (!fin || !f || fread(fin, 1, h->pm_size, f) != h->pm_size) {
		fprintf(stderr, "tracer_vm_check: cannot read '%s'\n", final);
		return 1;
	}
	fclose(f);
	for (uint64_t o = 0; o < h->pm_size; o++) {
		nonzero += fin[o] != 0;
		if (im.bytes[o] == fin[o])
			continue;
		if (!diff++)
			first = o;
	}
	if (diff)
		printf("first difference at 0x%" PRIx64 ": trace 0x%02x, file "
		       "0x%02x (last written by record %ld)\n",
		       first, im.bytes[first], fin[first], im.last[first]);
	printf("%" PRIu64 " records replayed, %" PRIu64 " non-zero bytes in "
	       "the file, %" PRIu64 " bytes differ\n",
	       (uint64_t)torn_trace_get_count(t), nonzero, diff);
	expect(nonzero > 0, "the guest wrote to the NVDIMM");
	expect(diff == 0, "zeroed NVDIMM + every store == final backing file");
	torn_trace_free(t);
	printf("%s\n", failures ? "tracer self-check FAILED"
				: "tracer self-check passed");
	return failures ? 1 : 0;
}

/*
 * With a wrong direct_map= nothing can be translated: every flush must
 * still be there, as UNRESOLVED with the virtual address it flushed.
 */
static int unresolved_check(const char *trace, uint64_t direct_map)
{
	struct torn_err err = { { 0 } };
	struct torn_trace *t;
	const struct torn_trace_header *h;
	const struct torn_record *recs;
	uint64_t user[TORN_FLUSH_CLWB + 1] = { 0 }, kernel = 0, kernel_pm = 0;
	uint64_t resolved = 0;
	size_t n;

	if (torn_trace_load(trace, &t, &err)) {
		fprintf(stderr, "tracer_vm_check: %s\n", err.msg);
		return 1;
	}
	h = torn_trace_get_header(t);
	recs = torn_trace_get_records(t);
	n = torn_trace_get_count(t);
	for (size_t i = 0; i < n; i++) {
		resolved += recs[i].kind == TORN_REC_FLUSH;
		if (recs[i].kind != TORN_REC_UNRESOLVED)
			continue;
		if (!is_kernel(&recs[i])) {
			user[recs[i].sub]++;
			continue;
		}
		kernel++;
		kernel_pm +=
			recs[i].vaddr - direct_map - h->pm_base < h->pm_size;
	}
	printf("unresolved: user clflush %" PRIu64 ", clflushopt %" PRIu64
	       ", clwb %" PRIu64 "; kernel %" PRIu64 " (%" PRIu64
	       " at direct-map addresses of the NVDIMM)\n",
	       user[TORN_FLUSH_CLFLUSH], user[TORN_FLUSH_CLFLUSHOPT],
	       user[TORN_FLUSH_CLWB], kernel, kernel_pm);
	expect(resolved == 0, "no flush resolved");
	expect(user[TORN_FLUSH_CLFLUSH] >= 1 &&
		       user[TORN_FLUSH_CLFLUSHOPT] >= 1 &&
		       user[TORN_FLUSH_CLWB] >= 3,
	       "every user flush is kept, unresolved");
	expect(kernel >= 65 && kernel == kernel_pm,
	       "kernel flushes kept, with their direct-map addresses");
	torn_trace_free(t);
	printf("%s\n", failures ? "tracer unresolved check FAILED"
				: "tracer unresolved check passed");
	return failures ? 1 : 0;
}

/* The libpmem program: pmem_persist'ed tags, a pmem_memcpy_persist. */
static int pmem_check(const char *trace)
{
	struct torn_err err = { { 0 } };
	struct torn_trace *t;
	const struct torn_record *recs;
	struct image im;
	uint64_t page1 = NO_OFFSET;
	long i, j, last_flush = -1;
	size_t n;
	bool ok = true;

	if (torn_trace_load(trace, &t, &err)) {
		fprintf(stderr, "tracer_vm_check: %s\n", err.msg);
		return 1;
	}
	recs = torn_trace_get_records(t);
	n = torn_trace_get_count(t);
	for (int k = 0; k < PMEM_TAGS; k++) {
		i = find_store64(recs, n, TORN_REC_STORE, PMEM_TAG(k));
		j = i < 0 ? -1
			  : find_flush(recs, n, i, recs[i].offset, 0, false);
		ok = ok && i >= 0 && !is_kernel(&recs[i]) && j > i;
		if (j > last_flush)
			last_flush = j;
	}
	expect(ok, "pmem_persist: a user flush of each stored line after it");
	expect(last_flush > 0 && find_user_sfence(recs, n, last_flush) > 0,
	       "pmem_persist: user sfence after the flushes");

	for (size_t k = 0; k < n; k++)
		if (recs[k].kind == TORN_REC_NT_STORE && recs[k].size >= 8 &&
		    !is_kernel(&recs[k]) &&
		    get64(recs[k].data) == PMEM_TAG(100))
			page1 = recs[k].offset;
	expect(page1 != NO_OFFSET && page1 % 4096 == 0,
	       "pmem_memcpy_persist: user NT store of the first bytes");
	if (page1 == NO_OFFSET)
		return 1;
	replay(t, &im);
	ok = true;
	for (int b = 8; b < 4096; b++)
		ok = ok && im.bytes[page1 + b] == PMEM_BYTE(b) &&
		     im.who[page1 + b] == 1 &&
		     im.kind[page1 + b] == TORN_REC_NT_STORE;
	expect(ok, "pmem_memcpy_persist: the page, all user NT stores");
	printf("pmem: page 1 at 0x%" PRIx64 ", %zu records\n", page1, n);
	torn_trace_free(t);
	printf("%s\n", failures ? "tracer pmem check FAILED"
				: "tracer pmem check passed");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct torn_err err = { { 0 } };
	struct torn_trace *t;
	const struct torn_trace_header *h;
	const struct torn_record *recs;
	struct torn_trace_stats st;
	struct image im;
	uint64_t page[4];
	size_t n;
	long i, j, last_abc = -1;
	bool ok;
	char what[160];

	if (argc == 4 && !strcmp(argv[1], "self-check"))
		return self_check(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "pmem"))
		return pmem_check(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "unresolved"))
		return unresolved_check(argv[2], strtoull(argv[3], NULL, 0));
	if (argc != 3) {
		fprintf(stderr,
			"usage: tracer_vm_check TRACE PM_BASE\n"
			"       tracer_vm_check self-check TRACE FINAL-IMAGE\n"
			"       tracer_vm_check unresolved TRACE DIRECT-MAP\n"
			"       tracer_vm_check pmem TRACE\n");
		return 2;
	}
	if (torn_trace_load(argv[1], &t, &err)) {
		fprintf(stderr, "tracer_vm_check: %s\n", err.msg);
		return 1;
	}
	h = torn_trace_get_header(t);
	recs = torn_trace_get_records(t);
	n = torn_trace_get_count(t);
	torn_trace_get_stats(t, &st);

	expect(h->pm_base == strtoull(argv[2], NULL, 0), "header pm_base");
	expect(h->flags == TORN_TRACE_F_PC, "header flags: pc, armed at START");
	expect(n >= 2 && recs[0].kind == TORN_REC_MARK &&
		       recs[0].mark_id == TORN_MARK_START,
	       "first record is START");
	expect(n >= 2 && recs[n - 1].kind == TORN_REC_MARK &&
		       recs[n - 1].mark_id == TORN_MARK_STOP,
	       "last record is STOP");
	expect(find_store64(recs, n, 0, V0) < 0, "no store from before START");
	expect(find_store64(recs, n, 0, V5) < 0, "no store from after STOP");
	expect(st.records[TORN_REC_UNRESOLVED] == 0, "no unresolved flush");

	for (int p = 0; p < 4; p++) {
		i = find_store64(recs, n, TORN_REC_STORE, TAG(p));
		page[p] = i < 0 ? NO_OFFSET : recs[i].offset - TAG_OFF;
		snprintf(what, sizeof(what),
			 "user store of page %d's tag, page at 0x%" PRIx64, p,
			 page[p]);
		expect(i >= 0 && !is_kernel(&recs[i]) && page[p] % 4096 == 0,
		       what);
		if (page[p] == NO_OFFSET) {
			printf("cannot go on without the tags\n");
			return 1;
		}
	}

	i = find_store64(recs, n, TORN_REC_STORE, V1);
	expect(i >= 0 && !is_kernel(&recs[i]) &&
		       recs[i].offset == page[0] + V1_OFF && recs[i].pc,
	       "user store V1 with its value, offset and pc");
	j = find_flush(recs, n, i, page[0] + V1_OFF, TORN_FLUSH_CLWB, false);
	expect(i >= 0 && j > i,
	       "user clwb [reg] on V1's line, resolved by a page walk");

	ok = false;
	for (size_t k = 0; k < n; k++)
		if (recs[k].kind == TORN_REC_STORE && recs[k].size == 16 &&
		    recs[k].offset == page[0] + U128_OFF &&
		    !memcmp(recs[k].data, U128_BYTES, 16)) {
			ok = true;
			i = (long)k;
		}
	expect(ok, "16-byte store recorded whole");
	expect(ok && find_flush(recs, n, i, page[0] + U128_OFF,
				TORN_FLUSH_CLFLUSHOPT, false) > i,
	       "user clflushopt [base+index*8] on its line");

	i = find_store64(recs, n, TORN_REC_NT_STORE, V3);
	expect(i >= 0 && !is_kernel(&recs[i]) &&
		       recs[i].offset == page[0] + NT_OFF,
	       "user movnti is an NT_STORE");

	i = find_store64(recs, n, TORN_REC_STORE, V6);
	expect(i >= 0 && find_flush(recs, n, i, page[0] + GS_OFF,
				    TORN_FLUSH_CLWB, false) > i,
	       "user clwb gs:[disp32] adds the GS base");

	i = find_store64(recs, n, TORN_REC_STORE, V7);
	j = find_flush(recs, n, i, page[0] + CLFLUSH_OFF, TORN_FLUSH_CLFLUSH,
		       false);
	expect(i >= 0 && j > i, "user clflush on its line");
	expect(j > 0 && find_user_sfence(recs, n, j) > j,
	       "user sfence after the flushes");

	j = find_store64(recs, n, TORN_REC_STORE, REP_V(0));
	ok = j >= 0;
	for (int q = 0; q < REP_N && ok; q++) {
		i = find_store64(recs, n, TORN_REC_STORE, REP_V(q));
		ok = i >= 0 && recs[i].offset == page[0] + REP_OFF + 8u * q &&
		     (recs[i].flags & TORN_REC_F_STRING) &&
		     recs[i].pc == recs[j].pc;
	}
	expect(ok, "rep movsq: every qword a store flagged string, one pc");
	i = find_store64(recs, n, TORN_REC_STORE, V1);
	expect(i >= 0 && !(recs[i].flags & TORN_REC_F_STRING),
	       "a plain store is not flagged string");

	ok = false;
	for (size_t k = 0; k < n; k++)
		if (recs[k].kind == TORN_REC_MARK &&
		    recs[k].mark_id == MARK_ID && recs[k].arg == MARK_ARG &&
		    recs[k].size == strlen(MARK_TEXT) &&
		    !memcmp(recs[k].data, MARK_TEXT, recs[k].size))
			ok = true;
	expect(ok, "user marker with id, argument and text");

	i = find_store64(recs, n, TORN_REC_STORE, V4);
	expect(i >= 0 && recs[i].offset == page[2] && !is_kernel(&recs[i]),
	       "user store V4 through a plain shared mapping");
	expect(i >= 0 && find_flush(recs, n, i, page[2], 0, true) > i,
	       "msync: kernel flush of V4's line through the direct map");

	replay(t, &im);
	ok = !memcmp(im.bytes + page[1] + ABC_OFF, "abc", 3);
	for (int b = 0; b < 3; b++) {
		ok = ok && im.who[page[1] + ABC_OFF + b] == 2;
		if (im.last[page[1] + ABC_OFF + b] > last_abc)
			last_abc = im.last[page[1] + ABC_OFF + b];
	}
	expect(ok, "pwrite \"abc\": kernel stores with the bytes");
	expect(ok && find_flush(recs, n, last_abc, page[1] + ABC_OFF, 0, true) >
			       last_abc,
	       "pwrite \"abc\": kernel flush of the line (unaligned copy)");
	ok = true;
	for (int b = 0; b < 64; b++) {
		uint64_t o = page[3] + NT64_OFF + b;

		ok = ok && im.bytes[o] == NT64_BYTE(b) && im.who[o] == 2 &&
		     im.kind[o] == TORN_REC_NT_STORE;
	}
	expect(ok, "pwrite of 64 aligned bytes: kernel NT stores");

	printf("records %zu: stores %" PRIu64 " (kernel %" PRIu64
	       "), nt stores %" PRIu64 ", flushes %" PRIu64 " (clflush %" PRIu64
	       ", clflushopt %" PRIu64 ", clwb %" PRIu64
	       "), unresolved %" PRIu64 ", fences %" PRIu64 ", marks %" PRIu64
	       ", lines %" PRIu64 "\n",
	       n, st.records[TORN_REC_STORE] + st.records[TORN_REC_NT_STORE],
	       st.kernel_stores, st.records[TORN_REC_NT_STORE],
	       st.records[TORN_REC_FLUSH], st.flushes[TORN_FLUSH_CLFLUSH],
	       st.flushes[TORN_FLUSH_CLFLUSHOPT], st.flushes[TORN_FLUSH_CLWB],
	       st.records[TORN_REC_UNRESOLVED], st.records[TORN_REC_FENCE],
	       st.records[TORN_REC_MARK], st.lines_touched);
	torn_trace_free(t);
	printf("%s\n",
	       failures ? "tracer vm check FAILED" : "tracer vm check passed");
	return failures ? 1 : 0;
}
