/* Self-checks of a traced run: replay equals final image; durable lines flushed. */
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t verify_replay(const struct torn_trace *t, const uint8_t *base,
		       const uint8_t *final, struct verify_range *ranges,
		       size_t max_ranges, size_t *nranges)
{
	const struct torn_trace_header *h = torn_trace_get_header(t);
	const struct torn_record *r = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t), i;
	uint8_t *img = malloc(h->pm_size);
	uint64_t diff = 0, off;

	*nranges = 0;
	if (!img)
		return UINT64_MAX;
	memcpy(img, base, h->pm_size);
	for (i = 0; i < n; i++)
		if (r[i].kind == TORN_REC_STORE || r[i].kind == TORN_REC_NT_STORE)
			memcpy(img + r[i].offset, r[i].data, r[i].size);
	for (off = 0; off < h->pm_size; off++) {
		if (img[off] == final[off])
			continue;
		diff++;
		if (*nranges && ranges[*nranges - 1].offset +
					ranges[*nranges - 1].length == off) {
			ranges[*nranges - 1].length++;
		} else if (*nranges < max_ranges) {
			ranges[*nranges].offset = off;
			ranges[*nranges].length = 1;
			++*nranges;
		}
	}
	free(img);
	return diff;
}

/* Per-line state for the durability check. */
struct line_state {
	size_t last_store;	/* record index + 1 of the last judged store */
	uint64_t pc;
	uint8_t nt;
	uint8_t flushed;	/* flushed after last_store (awaits a fence) */
	uint8_t persistent;	/* nothing pending */
};

size_t verify_durability(const struct torn_trace *t, int eadr,
			 void (*report)(const struct verify_violation *v,
					void *ctx),
			 void *ctx)
{
	const struct torn_trace_header *h = torn_trace_get_header(t);
	const struct torn_record *r = torn_trace_get_records(t);
	size_t n = torn_trace_get_count(t), nlines = h->pm_size / TORN_LINE_SIZE;
	size_t i, l, violations = 0;
	struct line_state *ls = calloc(nlines, sizeof(*ls));
	/* lines with something pending, to keep fences and markers cheap */
	size_t *pending = malloc(nlines * sizeof(*pending)), npending = 0;

	if (!ls || !pending) {
		free(ls);
		free(pending);
		return SIZE_MAX;
	}
	for (i = 0; i < nlines; i++)
		ls[i].persistent = 1;
	for (i = 0; i < n; i++) {
		const struct torn_record *rec = &r[i];

		switch (rec->kind) {
		case TORN_REC_STORE:
		case TORN_REC_NT_STORE: {
			int nt = rec->kind == TORN_REC_NT_STORE;
			uint64_t first = rec->offset / TORN_LINE_SIZE;
			uint64_t last = (rec->offset + rec->size - 1) /
					TORN_LINE_SIZE;

			/* judged: user stores and NT stores */
			if (!nt && (rec->flags & TORN_REC_F_KERNEL))
				break;
			if (!nt && eadr)
				break;
			for (l = first; l <= last; l++) {
				if (ls[l].persistent)
					pending[npending++] = l;
				ls[l].last_store = i + 1;
				ls[l].pc = rec->pc;
				ls[l].nt = nt;
				ls[l].flushed = nt; /* NT: flush-initiated */
				ls[l].persistent = 0;
			}
			break;
		}
		case TORN_REC_FLUSH:
			l = rec->offset / TORN_LINE_SIZE;
			if (ls[l].persistent)
				break;
			if (rec->sub == TORN_FLUSH_CLFLUSH)
				ls[l].persistent = 1;
			else
				ls[l].flushed = 1;
			break;
		case TORN_REC_FENCE: {
			size_t k, keep = 0;

			for (k = 0; k < npending; k++) {
				l = pending[k];
				if (ls[l].flushed || rec->sub == TORN_FENCE_WBINVD)
					ls[l].persistent = 1;
				if (!ls[l].persistent)
					pending[keep++] = l;
			}
			npending = keep;
			break;
		}
		case TORN_REC_MARK: {
			size_t k, keep = 0;

			if (rec->mark_id != TORN_MARK_DURABLE)
				break;
			for (k = 0; k < npending; k++) {
				struct verify_violation v;

				l = pending[k];
				if (ls[l].persistent)
					continue;
				/* judged once: the next store re-opens it */
				ls[l].persistent = 1;
				violations++;
				if (!report)
					continue;
				v.marker_index = i;
				v.marker_arg = rec->arg;
				v.line_offset = l * TORN_LINE_SIZE;
				v.store_index = ls[l].last_store - 1;
				v.store_pc = ls[l].pc;
				v.nt = ls[l].nt;
				v.flushed = ls[l].flushed;
				report(&v, ctx);
			}
			npending = keep;
			break;
		}
		}
	}
	free(ls);
	free(pending);
	return violations;
}

static int map_file(const char *path, uint64_t size, const uint8_t **p,
		    FILE *out)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(out, "FAIL cannot open %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size != size) {
		fprintf(out, "FAIL %s is %lld bytes, the trace says the NVDIMM is %llu\n",
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
};

static void print_violation(const struct verify_violation *v, void *p)
{
	struct report_ctx *c = p;
	const struct torn_record *m = &c->recs[v->marker_index];

	if (c->shown++ >= 20)
		return;
	fprintf(c->out,
		"     durable marker (record %zu, op %llu '%.*s'): line 0x%llx last %s at record %zu (pc 0x%llx) is %s\n",
		v->marker_index, (unsigned long long)v->marker_arg,
		(int)m->size, m->data ? (const char *)m->data : "",
		(unsigned long long)v->line_offset,
		v->nt ? "NT-stored" : "stored", v->store_index,
		(unsigned long long)v->store_pc,
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
	struct report_ctx rc = { .out = out };
	size_t nranges, i, viol, durable = 0;
	uint64_t diff;
	int failed = 0, ret;

	snprintf(path, sizeof(path), "%s/trace.torn", dir);
	ret = torn_trace_load(path, &t, &err);
	if (ret) {
		fprintf(out, "FAIL cannot read trace '%s': %s\n", path, err.msg);
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
	diff = verify_replay(t, base, final, ranges, 10, &nranges);
	if (diff == 0) {
		fprintf(out, "ok   replay: base.img + %llu stores == final.img (%llu bytes stored, %llu lines)\n",
			(unsigned long long)(st.records[TORN_REC_STORE] +
					     st.records[TORN_REC_NT_STORE]),
			(unsigned long long)st.bytes_stored,
			(unsigned long long)st.lines_touched);
	} else {
		failed |= VERIFY_REPLAY;
		fprintf(out, "FAIL replay: %llu bytes differ from final.img; first ranges:\n",
			(unsigned long long)diff);
		for (i = 0; i < nranges; i++)
			fprintf(out, "     0x%llx +%llu\n",
				(unsigned long long)ranges[i].offset,
				(unsigned long long)ranges[i].length);
	}
	if (st.records[TORN_REC_UNRESOLVED]) {
		failed |= VERIFY_UNRESOLVED;
		fprintf(out, "FAIL flushes: %llu flushes could not be translated to a physical line\n",
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
	if (viol) {
		failed |= VERIFY_DURABILITY;
		fprintf(out, "FAIL durability points: %zu lines not persistent at %zu markers (first 20 above)\n",
			viol, durable);
	} else {
		fprintf(out, "ok   durability points: at all %zu markers every user and NT store was flushed and fenced\n",
			durable);
	}
	munmap((void *)base, h->pm_size);
	munmap((void *)final, h->pm_size);
	torn_trace_free(t);
	return failed;
out_fail:
	if (base)
		munmap((void *)base, h->pm_size);
	torn_trace_free(t);
	return -1;
}
