/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Self-checks of a traced run: replay equals final; durable lines flushed. */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_syms.h"
#include "rundir.h"
#include "stepper.h"

#define REPLAY_CHUNK (1u << 20)

/* A store's piece of one chunk of the image, in record order. */
struct chunk_store {
	uint64_t chunk;
	size_t rec;
};

static int by_chunk(const void *a, const void *b)
{
	const struct chunk_store *x = a, *y = b;

	if (x->chunk != y->chunk)
		return x->chunk < y->chunk ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static void add_range(struct verify_range *ranges, size_t max_ranges,
		      size_t *nranges, uint64_t off)
{
	if (*nranges &&
	    ranges[*nranges - 1].offset + ranges[*nranges - 1].length == off) {
		ranges[*nranges - 1].length++;
	} else if (*nranges < max_ranges) {
		ranges[*nranges].offset = off;
		ranges[*nranges].length = 1;
		++*nranges;
	}
}

/*
 * verify_replay a 1 MiB chunk at a time: the stores sorted by chunk (in
 * record order within one), each chunk of base copied, stored to and
 * compared with final's.  With release, base and final are file
 * mappings whose chunks are given back once compared, so that memory
 * does not grow with the image.
 */
static uint64_t replay_chunks(const struct torn_trace *t, const uint8_t *base,
			      const uint8_t *final, bool release,
			      struct verify_range *ranges, size_t max_ranges,
			      size_t *nranges)
{
	const struct torn_trace_header *h = torn_trace_get_header(t);
	const struct torn_record *r = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t), i, ns = 0, k = 0;
	struct chunk_store *cs = malloc((2 * n + 1) * sizeof(*cs));
	uint8_t *img = malloc(REPLAY_CHUNK);
	uint64_t diff = 0, chunk, off;

	*nranges = 0;
	if (!cs || !img) {
		free(cs);
		free(img);
		return UINT64_MAX;
	}
	for (i = 0; i < n; i++) {
		uint64_t first, last;

		if ((r[i].kind != TORN_REC_STORE &&
		     r[i].kind != TORN_REC_NT_STORE) ||
		    !r[i].size)
			continue;
		first = r[i].offset / REPLAY_CHUNK;
		last = (r[i].offset + r[i].size - 1) / REPLAY_CHUNK;
		cs[ns++] = (struct chunk_store){ first, i };
		if (last != first)
			cs[ns++] = (struct chunk_store){ last, i };
	}
	qsort(cs, ns, sizeof(*cs), by_chunk);
	for (chunk = 0; chunk * REPLAY_CHUNK < h->pm_size; chunk++) {
		uint64_t start = chunk * REPLAY_CHUNK;
		uint64_t len = h->pm_size - start < REPLAY_CHUNK
				       ? h->pm_size - start
				       : REPLAY_CHUNK;

		memcpy(img, base + start, len);
		for (; k < ns && cs[k].chunk == chunk; k++) {
			const struct torn_record *s = &r[cs[k].rec];
			uint64_t a = s->offset > start ? s->offset : start;
			uint64_t b = s->offset + s->size < start + len
					     ? s->offset + s->size
					     : start + len;

			if (a < b)
				memcpy(img + (a - start),
				       s->data + (a - s->offset), b - a);
		}
		if (memcmp(img, final + start, len))
			for (off = 0; off < len; off++)
				if (img[off] != final[start + off]) {
					diff++;
					add_range(ranges, max_ranges, nranges,
						  start + off);
				}
		if (release) {
			madvise((void *)(base + start), len, MADV_DONTNEED);
			madvise((void *)(final + start), len, MADV_DONTNEED);
		}
	}
	free(cs);
	free(img);
	return diff;
}

uint64_t verify_replay(const struct torn_trace *t, const uint8_t *base,
		       const uint8_t *final, struct verify_range *ranges,
		       size_t max_ranges, size_t *nranges)
{
	return replay_chunks(t, base, final, false, ranges, max_ranges,
			     nranges);
}

/*
 * Which stores a durability point judges: non-temporal ones always;
 * cached ones from user mode under adr (eadr: cached stores are
 * persistent once visible; kernel ones are the filesystem's business).
 */
static bool judged(const struct torn_record *r, int eadr)
{
	if (r->kind == TORN_REC_NT_STORE)
		return true;
	return r->kind == TORN_REC_STORE && !eadr &&
	       !(r->flags & TORN_REC_F_KERNEL);
}

/* A line's judged in-flight writes, as the stepper lists them. */
struct line_verdict {
	const struct torn_record *recs;
	int eadr;
	bool found;
	size_t first; /* record of the oldest one */
	struct verify_violation v;
};

static int judge_write(const struct torn_inflight_write *w, void *ctx)
{
	struct line_verdict *lv = ctx;
	const struct torn_record *r = &lv->recs[w->record];

	if (!judged(r, lv->eadr))
		return 0;
	if (!lv->found)
		lv->first = w->record;
	lv->found = true;
	lv->v.store_index = w->record;
	lv->v.store_pc = r->pc;
	lv->v.nt = w->nt;
	/* an NT store is its own flush: it waits for a fence */
	lv->v.flushed = w->flush_initiated || w->nt;
	return 0;
}

struct found {
	size_t first;
	struct verify_violation v;
};

static int cmp_line(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return cmp_line(&x->v.line_offset, &y->v.line_offset);
}

/* Sort and drop repeats; returns the new count. */
static size_t unique_lines(uint64_t *lines, size_t n)
{
	size_t i, k = 0;

	if (!n)
		return 0;
	qsort(lines, n, sizeof(*lines), cmp_line);
	for (i = 0; i < n; i++)
		if (!k || lines[k - 1] != lines[i])
			lines[k++] = lines[i];
	return k;
}

/*
 * Lines a judged store went to since the last marker: the only ones a
 * marker has to look at, since a line judged at an earlier marker is
 * judged again only after its next store.
 */
struct candidates {
	uint64_t *line;
	size_t n, cap;
};

static int candidate_add(struct candidates *c, uint64_t line)
{
	uint64_t *p;

	if (c->n == c->cap) {
		c->n = unique_lines(c->line, c->n);
		if (c->n >= c->cap / 2) {
			size_t cap = c->cap ? c->cap * 2 : 64;

			p = realloc(c->line, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			c->line = p;
			c->cap = cap;
		}
	}
	c->line[c->n++] = line;
	return 0;
}

/* Judge the candidate lines at the DURABLE marker record idx. */
static int
judge_marker(struct torn_stepper *st, const struct torn_record *recs,
	     size_t idx, int eadr, struct candidates *c, size_t *violations,
	     void (*report)(const struct verify_violation *v, void *ctx),
	     void *ctx)
{
	struct found *f = NULL;
	size_t i, n = 0;

	c->n = unique_lines(c->line, c->n);
	if (c->n) {
		f = malloc(c->n * sizeof(*f));
		if (!f)
			return -ENOMEM;
	}
	for (i = 0; i < c->n; i++) {
		struct line_verdict lv = { .recs = recs, .eadr = eadr };

		torn_stepper_foreach_line_inflight(
			st, c->line[i] * TORN_LINE_SIZE, judge_write, &lv);
		if (!lv.found)
			continue;
		lv.v.marker_index = idx;
		lv.v.marker_arg = recs[idx].arg;
		lv.v.line_offset = c->line[i] * TORN_LINE_SIZE;
		f[n].first = lv.first;
		f[n].v = lv.v;
		n++;
	}
	if (n)
		qsort(f, n, sizeof(*f), cmp_found);
	for (i = 0; i < n && report; i++)
		report(&f[i].v, ctx);
	*violations += n;
	c->n = 0;
	free(f);
	return 0;
}

size_t verify_durability(const struct torn_trace *t, int eadr,
			 void (*report)(const struct verify_violation *v,
					void *ctx),
			 void *ctx)
{
	const struct torn_trace_header *h = torn_trace_get_header(t);
	const struct torn_record *r = torn_trace_get_records(t);
	struct candidates c = { NULL, 0, 0 };
	size_t violations = 0;
	struct torn_stepper *st;
	int ret;

	/* The persistency model decides what is persistent (model.h). */
	if (torn_stepper_new(&st, t, NULL, h->pm_size,
			     eadr ? TORN_MODEL_EADR : TORN_MODEL_ADR, NULL))
		return SIZE_MAX;
	while ((ret = torn_stepper_step(st)) == 1) {
		const struct torn_record *rec = &r[torn_stepper_pos(st) - 1];
		uint64_t l;

		if (judged(rec, eadr)) {
			for (l = rec->offset / TORN_LINE_SIZE;
			     l <=
			     (rec->offset + rec->size - 1) / TORN_LINE_SIZE;
			     l++) {
				ret = candidate_add(&c, l);
				if (ret)
					goto out;
			}
		} else if (rec->kind == TORN_REC_MARK &&
			   rec->mark_id == TORN_MARK_DURABLE) {
			ret = judge_marker(st, r, torn_stepper_pos(st) - 1,
					   eadr, &c, &violations, report, ctx);
			if (ret)
				goto out;
		}
	}
out:
	free(c.line);
	torn_stepper_free(st);
	return ret ? SIZE_MAX : violations;
}

static int map_file(const char *path, uint64_t size, const uint8_t **p,
		    FILE *out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(out, "FAIL cannot open %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size != size) {
		fprintf(out,
			"FAIL %s is %lld bytes, the trace says the NVDIMM is %llu\n",
			path, (long long)st.st_size, (unsigned long long)size);
		close(fd);
		return -1;
	}
	*p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*p == MAP_FAILED) {
		fprintf(out, "FAIL cannot map %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct report_ctx {
	FILE *out;
	size_t shown;
	const struct torn_record *recs;
	const char *dir;
	struct torn_syms *syms; /* loaded at the first violation */
};

/* "func+0x12 at file.c:34" of the store, or its PC. */
static const char *store_where(struct report_ctx *c, uint64_t pc, char *buf,
			       size_t len)
{
	if (!c->syms) {
		struct torn_run_meta meta;
		struct torn_err err = { "" };

		torn_run_meta_init(&meta);
		if (torn_run_meta_read(c->dir, &meta, &err))
			meta.workload[0] = meta.kernel[0] = 0;
		c->syms = torn_run_syms(c->dir, meta.workload, meta.kernel);
	}
	if (!pc || !torn_syms_where(c->syms, pc, buf, len))
		snprintf(buf, len, "pc 0x%llx", (unsigned long long)pc);
	return buf;
}

static void print_violation(const struct verify_violation *v, void *p)
{
	struct report_ctx *c = p;
	const struct torn_record *m = &c->recs[v->marker_index];
	char where[512];

	if (c->shown++ >= 20)
		return;
	fprintf(c->out,
		"     durable marker (record %zu, op %llu '%.*s'): line 0x%llx last %s at record %zu (%s) is %s\n",
		v->marker_index, (unsigned long long)v->marker_arg,
		(int)m->size, m->data ? (const char *)m->data : "",
		(unsigned long long)v->line_offset,
		v->nt ? "NT-stored" : "stored", v->store_index,
		store_where(c, v->store_pc, where, sizeof(where)),
		v->flushed ? "flushed but not fenced" : "not flushed");
}

int verify_run_dir(const char *dir, int eadr, FILE *out)
{
	char path[4096];
	struct torn_trace *t;
	struct torn_err err = { "" };
	const struct torn_trace_header *h;
	const uint8_t *base = NULL, *final = NULL;
	struct verify_range ranges[10];
	struct torn_trace_stats st;
	struct report_ctx rc = { .out = out, .dir = dir };
	size_t nranges, i, viol, durable = 0;
	uint64_t diff;
	int failed = 0, ret;

	snprintf(path, sizeof(path), "%s/trace.torn", dir);
	ret = torn_trace_load(path, &t, &err);
	if (ret) {
		fprintf(out, "FAIL cannot read trace '%s': %s\n", path,
			err.msg);
		return -1;
	}
	h = torn_trace_get_header(t);
	snprintf(path, sizeof(path), "%s/base.img", dir);
	if (map_file(path, h->pm_size, &base, out))
		goto out_fail;
	snprintf(path, sizeof(path), "%s/final.img", dir);
	if (map_file(path, h->pm_size, &final, out))
		goto out_fail;
	torn_trace_get_stats(t, &st);
	diff = replay_chunks(t, base, final, true, ranges, 10, &nranges);
	if (diff == 0) {
		fprintf(out,
			"ok   replay: base.img + %llu stores == final.img (%llu bytes stored, %llu lines)\n",
			(unsigned long long)(st.records[TORN_REC_STORE] +
					     st.records[TORN_REC_NT_STORE]),
			(unsigned long long)st.bytes_stored,
			(unsigned long long)st.lines_touched);
	} else {
		failed |= VERIFY_REPLAY;
		fprintf(out,
			"FAIL replay: %llu bytes differ from final.img; first ranges:\n",
			(unsigned long long)diff);
		for (i = 0; i < nranges; i++)
			fprintf(out, "     0x%llx +%llu\n",
				(unsigned long long)ranges[i].offset,
				(unsigned long long)ranges[i].length);
	}
	if (st.records[TORN_REC_UNRESOLVED]) {
		failed |= VERIFY_UNRESOLVED;
		fprintf(out,
			"FAIL flushes: %llu flushes could not be translated to a physical line\n",
			(unsigned long long)st.records[TORN_REC_UNRESOLVED]);
	} else {
		fprintf(out, "ok   flushes: all %llu resolved\n",
			(unsigned long long)st.records[TORN_REC_FLUSH]);
	}
	for (i = 0; i < torn_trace_get_count(t); i++)
		durable += torn_trace_get_records(t)[i].kind == TORN_REC_MARK &&
			   torn_trace_get_records(t)[i].mark_id ==
				   TORN_MARK_DURABLE;
	rc.recs = torn_trace_get_records(t);
	viol = verify_durability(t, eadr, print_violation, &rc);
	if (viol == SIZE_MAX) {
		failed |= VERIFY_DURABILITY;
		fprintf(out, "FAIL durability points: out of memory\n");
	} else if (viol) {
		failed |= VERIFY_DURABILITY;
		fprintf(out,
			"FAIL durability points: %zu lines not persistent at %zu markers (first 20 above)\n",
			viol, durable);
	} else {
		fprintf(out,
			"ok   durability points: at all %zu markers every user and NT store was flushed and fenced\n",
			durable);
	}
	torn_syms_free(rc.syms);
	munmap((void *)base, h->pm_size);
	munmap((void *) final, h->pm_size);
	torn_trace_free(t);
	return failed;
out_fail:
	if (base)
		munmap((void *)base, h->pm_size);
	torn_trace_free(t);
	return -1;
}
