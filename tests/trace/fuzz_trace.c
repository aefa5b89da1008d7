/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzzing the trace reader and the text parser: a libFuzzer entry point
 * and, unless built for libFuzzer, a seeded driver that mutates valid
 * traces. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what, const char *detail)
{
	if (ok)
		return;
	fprintf(stderr, "fuzz_trace: broken: %s%s%s\n", what,
		detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Outcomes, for the driver's summary. */
static uint64_t binary_ok, binary_bad, text_ok, text_bad;

static char *to_text(const struct torn_trace *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	check(f != NULL, "open_memstream", NULL);
	check(torn_trace_write_text(t, f) == 0, "write text", NULL);
	check(fclose(f) == 0, "close memstream", NULL);
	return buf;
}

static void check_same_records(const struct torn_trace *a,
			       const struct torn_trace *b)
{
	const struct torn_record *ra = torn_trace_get_records(a);
	const struct torn_record *rb = torn_trace_get_records(b);
	size_t i, n = torn_trace_get_count(a);
	const struct torn_trace_header *ha = torn_trace_get_header(a);
	const struct torn_trace_header *hb = torn_trace_get_header(b);

	check(ha->version == hb->version && ha->pm_base == hb->pm_base &&
		      ha->pm_size == hb->pm_size &&
		      ha->line_size == hb->line_size &&
		      ha->cpu_features == hb->cpu_features &&
		      ha->flags == hb->flags,
	      "same header", NULL);
	check(n == torn_trace_get_count(b), "same count", NULL);
	for (i = 0; i < n; i++) {
		check(ra[i].kind == rb[i].kind && ra[i].flags == rb[i].flags &&
			      ra[i].sub == rb[i].sub &&
			      ra[i].size == rb[i].size &&
			      ra[i].mark_id == rb[i].mark_id &&
			      ra[i].offset == rb[i].offset &&
			      ra[i].vaddr == rb[i].vaddr &&
			      ra[i].arg == rb[i].arg && ra[i].pc == rb[i].pc,
		      "same record fields", NULL);
		check(!ra[i].size ||
			      !memcmp(ra[i].data, rb[i].data, ra[i].size),
		      "same record data", NULL);
	}
}

/* An accepted trace obeys the rules, and re-encodes to the same bytes. */
static void check_loaded(const uint8_t *data, size_t size,
			 const struct torn_trace *t)
{
	const struct torn_trace_header *hdr = torn_trace_get_header(t);
	const struct torn_record *recs = torn_trace_get_records(t);
	size_t i, k, n = torn_trace_get_count(t), len;
	struct torn_err err = { .msg = "" };
	struct torn_trace *back = NULL;
	volatile uint8_t sum = 0;
	uint8_t *bin;
	char *text;

	check(hdr->version == TORN_TRACE_VERSION, "version", NULL);
	check(hdr->line_size == TORN_LINE_SIZE, "line size", NULL);
	check(hdr->pm_size && hdr->pm_size % TORN_LINE_SIZE == 0, "pm size",
	      NULL);
	for (i = 0; i < n; i++) {
		const struct torn_record *r = &recs[i];

		check(r->kind >= TORN_REC_STORE && r->kind < TORN_REC_END,
		      "record kind", NULL);
		check(!(r->flags & ~TORN_REC_F_ALL), "record flags", NULL);
		if (r->kind == TORN_REC_STORE || r->kind == TORN_REC_NT_STORE) {
			check(r->size >= 1 && r->size <= TORN_STORE_MAX,
			      "store size", NULL);
			check(r->offset < hdr->pm_size &&
				      hdr->pm_size - r->offset >= r->size,
			      "store in pm", NULL);
		}
		if (r->kind == TORN_REC_FLUSH)
			check(r->offset < hdr->pm_size, "flush in pm", NULL);
		if (r->size)
			check(r->data != NULL, "data", NULL);
		/* ASan reports any byte outside the trace's memory. */
		for (k = 0; k < r->size; k++)
			sum += r->data[k];
	}
	(void)sum;

	check(torn_trace_encode(t, &bin, &len) == 0, "encode", NULL);
	check(len == size && !memcmp(bin, data, size),
	      "an accepted trace re-encodes to its own bytes", NULL);
	free(bin);

	text = to_text(t);
	check(torn_trace_parse_text(text, &back, &err) == 0,
	      "the text of a trace parses", err.msg);
	check_same_records(t, back);
	torn_trace_free(back);
	free(text);
}

static void fuzz_binary(const uint8_t *data, size_t size)
{
	struct torn_err err = { .msg = "" };
	struct torn_trace *t = NULL;
	int ret;

	ret = torn_trace_load_buf(data, size, &t, &err);
	if (ret == 0) {
		binary_ok++;
		check(t != NULL, "trace returned", NULL);
		check_loaded(data, size, t);
		torn_trace_free(t);
		return;
	}
	binary_bad++;
	check(t == NULL, "no trace on error", NULL);
	check(ret == TORN_E_FORMAT || ret == TORN_E_VERSION ||
		      ret == TORN_E_TRUNCATED,
	      "error code", err.msg);
	check(err.msg[0] != '\0', "an error has a message", NULL);
	check(!strchr(err.msg, '\n'), "one-line message", err.msg);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	struct torn_err err = { .msg = "" };
	struct torn_trace *t = NULL, *t2 = NULL;
	char *copy, *text, *text2;
	int ret;

	copy = malloc(size + 1);
	check(copy != NULL, "malloc", NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	ret = torn_trace_parse_text(copy, &t, &err);
	free(copy);
	if (ret) {
		text_bad++;
		check(t == NULL, "no trace on error", NULL);
		check(ret == TORN_E_FORMAT, "text error code", err.msg);
		check(!strncmp(err.msg, "line ", 5), "names the line", err.msg);
		check(!strchr(err.msg, '\n'), "one-line message", err.msg);
		return;
	}
	text_ok++;
	text = to_text(t);
	check(torn_trace_parse_text(text, &t2, &err) == 0,
	      "written text parses", err.msg);
	check_same_records(t, t2);
	text2 = to_text(t2);
	check(!strcmp(text, text2), "text is canonical", NULL);
	free(text);
	free(text2);
	torn_trace_free(t);
	torn_trace_free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_binary(data, size);
	fuzz_text(data, size);
	return 0;
}

#ifndef TORN_LIBFUZZER

/* ---- the seeded driver ----------------------------------------------- */

#define MAX_SEEDS 32
#define MAX_STARTS 256

struct seed {
	uint8_t *bytes;
	size_t len;
	size_t starts[MAX_STARTS]; /* byte offsets of records, END last */
	size_t nstarts;
	bool text;
};

static struct seed seeds[MAX_SEEDS];
static size_t nseeds;
static uint64_t rng_state = 0x746f726e2d666aULL; /* fixed: reproducible */

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? (size_t)(rng() % n) : 0;
}

static const char *const seed_texts[] = {
	"header pm_base=0x100000000 pm_size=0x10000 "
	"features=clflush,clflushopt,clwb flags=pc\n"
	"store 0x1000 8 0102030405060708 pc=0x10 kernel\n"
	"flush clwb 0x1000 pc=0x11\n"
	"fence sfence pc=0x12\n"
	"mark 16 1 \"hi \\\"there\\\" \\x00\\n\"\n"
	"unresolved clflushopt va=0x7f0000 pc=0x13\n"
	"nt_store 0xffc0 64 *ab\n",
	"header pm_base=0x0 pm_size=0x40 features=none flags=none\n"
	"store 0x3f 1 ff\n"
	"fence wbinvd\n"
	"mark 1 0\n",
	"",
	"mark 3 7 \"pwrite /mnt/a 0 4096\" kernel\n"
	"fence locked\nfence serializing\nfence mfence\n"
	"flush clflush 0x3ffffc0\n",
};

/* Record byte offsets of a valid encoded trace. */
static void find_starts(struct seed *s)
{
	size_t pos = TORN_TRACE_HEADER_SIZE;

	s->nstarts = 0;
	while (pos + 4 <= s->len && s->nstarts < MAX_STARTS) {
		const uint8_t *r = s->bytes + pos;

		s->starts[s->nstarts++] = pos;
		switch (r[0]) {
		case TORN_REC_STORE:
		case TORN_REC_NT_STORE:
			pos += 20 + r[3];
			break;
		case TORN_REC_FLUSH:
		case TORN_REC_UNRESOLVED:
			pos += 20;
			break;
		case TORN_REC_FENCE:
			pos += 12;
			break;
		case TORN_REC_MARK:
			pos += 16 + r[3];
			break;
		default:
			return;
		}
	}
}

static void add_trace_seed(struct torn_trace *t)
{
	struct seed *s = &seeds[nseeds++];
	char *text;

	check(torn_trace_encode(t, &s->bytes, &s->len) == 0, "encode seed",
	      NULL);
	find_starts(s);
	/* The same trace in text form is a seed of its own. */
	text = to_text(t);
	s = &seeds[nseeds++];
	s->bytes = (uint8_t *)text;
	s->len = strlen(text);
	s->text = true;
}

/* A random valid trace of up to 60 records. */
static struct torn_trace *random_trace(void)
{
	struct torn_trace_header hdr = {
		.pm_base = (uint64_t)below(1 << 20) * TORN_LINE_SIZE,
		.pm_size = (1 + below(64)) * TORN_LINE_SIZE,
		.line_size = TORN_LINE_SIZE,
		.cpu_features = (uint32_t)below(16),
		.flags = (uint32_t)below(4),
	};
	struct torn_err err = { .msg = "" };
	size_t i, k, n = below(61);
	struct torn_record rec;
	struct torn_trace *t;
	uint8_t buf[256];

	check(torn_trace_new(&t, &hdr) == 0, "new", NULL);
	for (i = 0; i < n; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.kind = 1 + below(6);
		rec.flags = below(2);
		rec.pc = below(3) ? rng() : 0;
		for (k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)rng();
		rec.data = buf;
		switch (rec.kind) {
		case TORN_REC_STORE:
		case TORN_REC_NT_STORE:
			rec.size = 1 + below(TORN_STORE_MAX);
			if (rec.size > hdr.pm_size)
				rec.size = (uint8_t)hdr.pm_size;
			rec.offset = below(hdr.pm_size - rec.size + 1);
			if (below(4) == 0)
				memset(buf, buf[0], rec.size);
			break;
		case TORN_REC_FLUSH:
		case TORN_REC_UNRESOLVED:
			rec.sub = 1 + below(3);
			rec.offset = below(hdr.pm_size);
			rec.vaddr = rng();
			break;
		case TORN_REC_FENCE:
			rec.sub = 1 + below(5);
			break;
		case TORN_REC_MARK:
			rec.mark_id = below(2) ? (uint32_t)below(20)
					       : (uint32_t)rng();
			rec.arg = rng();
			rec.size = below(3) ? below(40) : below(256);
			break;
		}
		check(torn_trace_append(t, &rec, &err) == 0, "append", err.msg);
	}
	return t;
}

static void make_seeds(void)
{
	struct torn_err err = { .msg = "" };
	struct torn_trace *t;
	size_t i;

	for (i = 0; i < sizeof(seed_texts) / sizeof(seed_texts[0]); i++) {
		check(torn_trace_parse_text(seed_texts[i], &t, &err) == 0,
		      "seed text", err.msg);
		add_trace_seed(t);
		torn_trace_free(t);
	}
	while (nseeds + 2 <= MAX_SEEDS) {
		t = random_trace();
		add_trace_seed(t);
		torn_trace_free(t);
	}
}

static const uint64_t interesting[] = {
	0,
	1,
	2,
	7,
	8,
	9,
	63,
	64,
	65,
	127,
	128,
	255,
	256,
	0x7fffffff,
	0xffffffff,
	0x100000000ULL,
	0x7fffffffffffffffULL,
	0xffffffffffffffffULL,
	0xffffffffffffffc0ULL,
};

static uint64_t pick_interesting(void)
{
	return below(4) ? interesting[below(sizeof(interesting) /
					    sizeof(interesting[0]))]
			: rng();
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Apply one random mutation to buf[0..*len), which has room for cap. */
static void mutate(const struct seed *s, uint8_t *buf, size_t *len, size_t cap)
{
	static const size_t header_fields[][2] = {
		{ 8, 4 },  { 12, 4 }, { 16, 8 }, { 24, 8 }, { 32, 4 },
		{ 36, 4 }, { 40, 4 }, { 44, 1 }, { 63, 1 },
	};
	static const char text_bytes[] = "0123456789abcdefx\"\\ \n#*=";
	size_t at, n, i, from;

	switch (below(10)) {
	case 0: /* bit flip */
		if (*len)
			buf[below(*len)] ^= (uint8_t)(1u << below(8));
		break;
	case 1: /* random byte */
		if (*len)
			buf[below(*len)] = (uint8_t)rng();
		break;
	case 2: /* truncate */
		*len = below(*len + 1);
		break;
	case 3: /* insert bytes */
		n = 1 + below(16);
		if (*len + n > cap)
			break;
		at = below(*len + 1);
		memmove(buf + at + n, buf + at, *len - at);
		for (i = 0; i < n; i++)
			buf[at + i] = below(2) ? (uint8_t)rng()
					       : (uint8_t)text_bytes[below(25)];
		*len += n;
		break;
	case 4: /* delete a range */
		if (!*len)
			break;
		at = below(*len);
		n = 1 + below(*len - at);
		memmove(buf + at, buf + at + n, *len - at - n);
		*len -= n;
		break;
	case 5: /* a record's size (len) field */
		if (s->text || !s->nstarts)
			goto flip;
		at = s->starts[below(s->nstarts)] + 3;
		if (at < *len)
			buf[at] = (uint8_t)pick_interesting();
		break;
	case 6: /* a record's kind, flags or sub-kind */
		if (s->text || !s->nstarts)
			goto flip;
		at = s->starts[below(s->nstarts)] + below(3);
		if (at < *len)
			buf[at] = (uint8_t)(below(2) ? below(10) : rng());
		break;
	case 7: /* a header field, or a record's 64-bit field */
		if (s->text)
			goto flip;
		if (below(2)) {
			i = below(sizeof(header_fields) /
				  sizeof(header_fields[0]));
			at = header_fields[i][0];
			n = header_fields[i][1];
		} else if (s->nstarts) {
			at = s->starts[below(s->nstarts)] + 4;
			n = 8;
		} else {
			break;
		}
		if (at + n <= *len)
			put_le(buf + at, pick_interesting(), n);
		break;
	case 8: /* the END count, nudged */
		if (s->text || *len < 8)
			goto flip;
		put_le(buf + *len - 8, s->nstarts - 1 + below(3) - 1, 8);
		break;
	case 9: /* copy a chunk over another place, or insert it */
		if (!*len)
			break;
		from = below(*len);
		n = 1 + below(*len - from < 32 ? *len - from : 32);
		at = below(*len + 1);
		if (below(2) && *len + n <= cap) {
			memmove(buf + at + n, buf + at, *len - at);
			memmove(buf + at, buf + (from >= at ? from + n : from),
				n);
			*len += n;
		} else if (at + n <= *len) {
			memmove(buf + at, buf + from, n);
		}
		break;
	}
	return;
flip:
	if (*len)
		buf[below(*len)] ^= (uint8_t)(1u << below(8));
}

static int write_seeds(const char *dir)
{
	char path[4096];
	size_t i;
	FILE *f;

	make_seeds();
	for (i = 0; i < nseeds; i++) {
		snprintf(path, sizeof(path), "%s/seed-%02zu%s", dir, i,
			 seeds[i].text ? ".txt" : ".torn");
		f = fopen(path, "wb");
		if (!f ||
		    fwrite(seeds[i].bytes, 1, seeds[i].len, f) !=
			    seeds[i].len ||
		    fclose(f)) {
			fprintf(stderr, "fuzz_trace: cannot write '%s': %s\n",
				path, strerror(errno));
			return 1;
		}
	}
	printf("%zu seeds written to %s\n", nseeds, dir);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long iterations = 300000, it;
	size_t len, cap, m, i;
	uint8_t *buf;

	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return write_seeds(argv[2]);
	if (argc > 2 ||
	    (argc == 2 && !(iterations = strtoul(argv[1], NULL, 10)))) {
		fprintf(stderr, "usage: fuzz_trace_mutate [ITERATIONS]\n"
				"       fuzz_trace_mutate --write-seeds DIR\n");
		return 2;
	}
	make_seeds();
	/* Every seed is valid as it is. */
	for (i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i].bytes, seeds[i].len);
	check(binary_ok == nseeds / 2 && text_ok == nseeds / 2,
	      "seeds are accepted", NULL);

	cap = 0;
	for (i = 0; i < nseeds; i++)
		if (seeds[i].len > cap)
			cap = seeds[i].len;
	cap += 1024;
	buf = malloc(cap);
	check(buf != NULL, "malloc", NULL);
	for (it = 0; it < iterations; it++) {
		const struct seed *s = &seeds[below(nseeds)];

		memcpy(buf, s->bytes, s->len);
		len = s->len;
		for (m = 1 + below(4); m; m--)
			mutate(s, buf, &len, cap);
		LLVMFuzzerTestOneInput(buf, len);
	}
	free(buf);
	for (i = 0; i < nseeds; i++)
		free(seeds[i].bytes);
	printf("fuzz_trace: %lu mutated inputs; binary: %llu accepted, "
	       "%llu rejected; text: %llu accepted, %llu rejected\n",
	       iterations, (unsigned long long)binary_ok,
	       (unsigned long long)binary_bad, (unsigned long long)text_ok,
	       (unsigned long long)text_bad);
	/* A mutator that only ever breaks, or never does, tests nothing. */
	check(binary_ok > nseeds / 2 && binary_bad > 0 &&
		      text_ok > nseeds / 2 && text_bad > 0,
	      "both outcomes seen", NULL);
	return 0;
}

#endif
