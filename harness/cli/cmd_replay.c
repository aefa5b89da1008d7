/* torn replay: rebuild one crash state, re-check it, explain it, minimize it. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_internal.h"
#include "cli.h"
#include "registry.h"
#include "states.h"

#ifndef TORN_WORKLOAD_BINS
#define TORN_WORKLOAD_BINS ""
#endif

/* ---- symbols ------------------------------------------------------------ */

struct sym {
	uint64_t addr;
	uint64_t size;	/* 0: up to the next symbol */
	char *name;
};

struct symtab {
	struct sym *v;
	size_t n;
};

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void symtab_add(struct symtab *t, size_t *cap, uint64_t addr,
		       uint64_t size, const char *name)
{
	if (t->n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		t->v = g_renew(struct sym, t->v, *cap);
	}
	t->v[t->n].addr = addr;
	t->v[t->n].size = size;
	t->v[t->n].name = g_strdup(name);
	t->n++;
}

/* /proc/kallsyms as captured at trace time: "ADDR TYPE NAME [MODULE]". */
static void load_kallsyms(const char *path, struct symtab *t)
{
	gchar *text = NULL;
	char **lines, **l;
	size_t cap = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l; l++) {
		char name[256], type;
		unsigned long long addr;

		if (sscanf(*l, "%llx %c %255s", &addr, &type, name) == 3 && addr &&
		    (type == 't' || type == 'T'))
			symtab_add(t, &cap, addr, 0, name);
	}
	g_strfreev(lines);
	g_free(text);
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
}

/* Function symbols of a (non-PIE) ELF64 program; untrusted file, checked. */
static void load_elf(const char *path, struct symtab *t)
{
	gchar *d = NULL;
	gsize len;
	const Elf64_Ehdr *eh;
	size_t cap = 0, i;

	if (!g_file_get_contents(path, &d, &len, NULL))
		return;
	eh = (const Elf64_Ehdr *)d;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > len ||
	    (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
		goto out;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = (const Elf64_Shdr *)(d + eh->e_shoff) + i;
		const Elf64_Shdr *str;
		size_t k, nsyms;

		if (sh->sh_type != SHT_SYMTAB || sh->sh_link >= eh->e_shnum ||
		    sh->sh_offset > len || sh->sh_size > len - sh->sh_offset)
			continue;
		str = (const Elf64_Shdr *)(d + eh->e_shoff) + sh->sh_link;
		if (str->sh_offset > len || str->sh_size > len - str->sh_offset)
			continue;
		nsyms = sh->sh_size / sizeof(Elf64_Sym);
		for (k = 0; k < nsyms; k++) {
			const Elf64_Sym *sy = (const Elf64_Sym *)(d + sh->sh_offset) + k;
			const char *name;

			if (ELF64_ST_TYPE(sy->st_info) != STT_FUNC || !sy->st_value ||
			    sy->st_name >= str->sh_size)
				continue;
			name = d + str->sh_offset + sy->st_name;
			if (!memchr(name, 0, str->sh_size - sy->st_name))
				continue;
			symtab_add(t, &cap, sy->st_value, sy->st_size, name);
		}
	}
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
out:
	g_free(d);
}

/* "name+0x12" for pc, or NULL. */
static const char *symbolize(const struct symtab *t, uint64_t pc, char *buf,
			     size_t len)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	if (t->v[lo].size && pc >= t->v[lo].addr + t->v[lo].size)
		return NULL;
	if (pc - t->v[lo].addr > 0x100000)
		return NULL;
	snprintf(buf, len, "%s+0x%" PRIx64, t->v[lo].name, pc - t->v[lo].addr);
	return buf;
}

static void symtab_free(struct symtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		g_free(t->v[i].name);
	g_free(t->v);
}

/* ---- the run and the state -------------------------------------------- */

struct replay {
	const char *dir;
	const char *id;
	struct torn_trace *trace;
	const struct torn_record *recs;
	size_t nrecs;
	uint64_t size;
	uint8_t *base;
	struct torn_states_opts so;
	uint64_t point;
	uint8_t *state;		/* the state's image */
	uint8_t *persisted;	/* persisted image at the point */
	uint8_t *full;		/* every store before the point applied */
	char *verdict_line;	/* from verdicts.jsonl, or NULL */
	char *meta;
	struct symtab ksyms, usyms;
};

/* The value of "key":"..." in a JSON line (copied), or NULL. */
static char *json_str(const char *line, const char *key)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = line ? strstr(line, pat) : NULL;
	if (!p)
		return NULL;
	p += strlen(pat);
	e = strchr(p, '"');
	return e ? g_strndup(p, e - p) : NULL;
}

static char *find_verdict(const char *dir, const char *id)
{
	char *path = g_strdup_printf("%s/verdicts.jsonl", dir), *text = NULL;
	char *pat = g_strdup_printf("{\"state\":\"%s\",", id), *found = NULL;
	char **lines, **l;

	if (g_file_get_contents(path, &text, NULL, NULL)) {
		lines = g_strsplit(text, "\n", -1);
		for (l = lines; *l; l++)
			if (g_str_has_prefix(*l, pat))
				found = g_strdup(*l);
		g_strfreev(lines);
	}
	g_free(text);
	g_free(path);
	g_free(pat);
	return found;
}

static uint8_t *state_image(struct replay *r, const char *id,
			    struct torn_hash128 *h, struct torn_err *err)
{
	uint8_t *img = malloc(r->size);

	if (!img) {
		torn_err_set(err, -ENOMEM, "out of memory");
		return NULL;
	}
	if (torn_state_image(r->trace, r->base, r->size, &r->so, id, img, h,
			     err)) {
		free(img);
		return NULL;
	}
	return img;
}

static int replay_load(struct replay *r, int model_set, int gran_set)
{
	struct torn_err err = { "" };
	struct torn_hash128 h;
	struct torn_engine e;
	uint64_t index;
	char path[4200], hex[40], *recorded, *copts = NULL;
	gsize len;
	size_t i;

	snprintf(path, sizeof(path), "%s/trace.torn", r->dir);
	if (torn_trace_load(path, &r->trace, &err)) {
		fprintf(stderr, "torn: cannot read trace '%s': %s\n", path, err.msg);
		return TORN_EXIT_INFRA;
	}
	r->recs = torn_trace_get_records(r->trace);
	r->nrecs = torn_trace_get_count(r->trace);
	r->size = torn_trace_get_header(r->trace)->pm_size;
	snprintf(path, sizeof(path), "%s/base.img", r->dir);
	if (!g_file_get_contents(path, (gchar **)&r->base, &len, NULL) ||
	    len != r->size) {
		fprintf(stderr, "torn: %s is missing or not %" PRIu64 " bytes\n",
			path, r->size);
		return TORN_EXIT_INFRA;
	}
	snprintf(path, sizeof(path), "%s/meta.json", r->dir);
	g_file_get_contents(path, &r->meta, NULL, NULL);
	/* the model and granularity torn check used */
	snprintf(path, sizeof(path), "%s/check.json", r->dir);
	if (g_file_get_contents(path, &copts, NULL, NULL)) {
		char *m = json_str(copts, "model"), *g = json_str(copts, "granularity");

		if (!model_set && m)
			torn_model_parse(m, &r->so.model, &err);
		if (!gran_set && g)
			torn_granularity_parse(g, &r->so.granularity, &err);
		g_free(m);
		g_free(g);
		g_free(copts);
	}
	if (torn_state_id_parse(r->id, &r->point, &e, &index, &err)) {
		fprintf(stderr, "torn replay: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	r->state = state_image(r, r->id, &h, &err);
	if (!r->state) {
		fprintf(stderr, "torn replay: state %s: %s\n", r->id, err.msg);
		return TORN_EXIT_USAGE;
	}
	snprintf(hex, sizeof(hex), "%016" PRIx64 "%016" PRIx64, h.hi, h.lo);
	r->verdict_line = find_verdict(r->dir, r->id);
	recorded = json_str(r->verdict_line, "image_hash");
	if (recorded && strcmp(recorded, hex)) {
		fprintf(stderr, "torn replay: the rebuilt image of %s hashes to %s, but torn check recorded %s: the run directory or the options changed\n",
			r->id, hex, recorded);
		g_free(recorded);
		return TORN_EXIT_INFRA;
	}
	fprintf(stderr, "torn: rebuilt state %s (image hash %s%s)\n", r->id, hex,
		recorded ? ", as recorded" : "; no verdict recorded for it");
	g_free(recorded);
	{
		char *pid = g_strdup_printf("%" PRIu64 ".prefix.0", r->point);

		r->persisted = state_image(r, pid, &h, &err);
		g_free(pid);
		if (!r->persisted) {
			fprintf(stderr, "torn replay: persisted image at %" PRIu64 ": %s\n",
				r->point, err.msg);
			return TORN_EXIT_INFRA;
		}
	}
	r->full = g_memdup2(r->base, r->size);
	for (i = 0; i < r->point && i < r->nrecs; i++)
		if (r->recs[i].kind == TORN_REC_STORE ||
		    r->recs[i].kind == TORN_REC_NT_STORE)
			memcpy(r->full + r->recs[i].offset, r->recs[i].data,
			       r->recs[i].size);
	snprintf(path, sizeof(path), "%s/kallsyms", r->dir);
	load_kallsyms(path, &r->ksyms);
	{
		/* the workload program on this host, for user PCs */
		char *prog = NULL;
		char **bins = g_strsplit(TORN_WORKLOAD_BINS, ":", -1), **b;
		char name[128];

		if (r->meta && !meta_get(r->meta, "workload", name, sizeof(name)) &&
		    torn_workload_find(name))
			prog = g_strdup(torn_workload_find(name)->program);
		for (b = bins; prog && *b; b++)
			if (g_str_has_suffix(*b, prog) &&
			    (*b)[strlen(*b) - strlen(prog) - 1] == '/')
				load_elf(*b, &r->usyms);
		g_strfreev(bins);
		g_free(prog);
	}
	return 0;
}

static void replay_free(struct replay *r)
{
	torn_trace_free(r->trace);
	g_free(r->base);
	free(r->state);
	free(r->persisted);
	g_free(r->full);
	g_free(r->verdict_line);
	g_free(r->meta);
	symtab_free(&r->ksyms);
	symtab_free(&r->usyms);
}

static const char *where(const struct replay *r, const struct torn_record *rec,
			 char *buf, size_t len)
{
	const struct symtab *t = rec->flags & TORN_REC_F_KERNEL ? &r->ksyms :
								  &r->usyms;

	if (!rec->pc)
		return "?";
	if (!symbolize(t, rec->pc, buf, len))
		snprintf(buf, len, "0x%" PRIx64 " (%s)", rec->pc,
			 rec->flags & TORN_REC_F_KERNEL ? "kernel" : "user");
	return buf;
}

/* ---- explain ------------------------------------------------------------ */

static const char *mark_name(uint32_t id)
{
	switch (id) {
	case TORN_MARK_START: return "START";
	case TORN_MARK_STOP: return "STOP";
	case TORN_MARK_OP_BEGIN: return "op begins";
	case TORN_MARK_OP_END: return "op ends";
	case TORN_MARK_DURABLE: return "durable";
	}
	return "marker";
}

static void print_mark(const struct torn_record *m, size_t i)
{
	printf("  record %-7zu %-9s %" PRIu64 " %.*s\n", i, mark_name(m->mark_id),
	       m->arg, (int)m->size, m->data ? (const char *)m->data : "");
}

/*
 * Every store before the point whose bytes are not yet persistent there
 * (the full replay and the persisted image differ at bytes it was the
 * last to write), and what the state kept of it.
 */
static void explain(struct replay *r)
{
	const struct torn_record *pt = r->point < r->nrecs ? &r->recs[r->point] :
							     NULL;
	size_t i, last_begin = SIZE_MAX, n_persisted = 0, n_dropped = 0,
		  n_torn = 0, shown = 0;
	uint32_t *writer = calloc(r->size / 64 + 1, sizeof(uint32_t));
	GHashTable *inflight_lines = g_hash_table_new(g_direct_hash, g_direct_equal);
	char sym[256];

	printf("state %s\n", r->id);
	printf("crash point: before record %" PRIu64 " (%s%s%s)\n", r->point,
	       pt ? torn_record_kind_name(pt->kind) : "end of trace",
	       pt && pt->kind == TORN_REC_FENCE ? " " : "",
	       pt && pt->kind == TORN_REC_FENCE ? torn_fence_kind_name(pt->sub) : "");
	if (pt && pt->pc)
		printf("  at %s\n", where(r, pt, sym, sizeof(sym)));
	printf("markers before it:\n");
	for (i = 0; i < r->point && i < r->nrecs; i++)
		if (r->recs[i].kind == TORN_REC_MARK) {
			if (r->recs[i].mark_id == TORN_MARK_OP_BEGIN)
				last_begin = i;
			if (r->recs[i].mark_id == TORN_MARK_DURABLE ||
			    r->recs[i].mark_id == TORN_MARK_START)
				print_mark(&r->recs[i], i);
		}
	if (last_begin != SIZE_MAX) {
		printf("running when it crashed:\n");
		print_mark(&r->recs[last_begin], last_begin);
	}
	for (i = r->point; i < r->nrecs; i++)
		if (r->recs[i].kind == TORN_REC_MARK) {
			printf("next marker:\n");
			print_mark(&r->recs[i], i);
			break;
		}

	printf("in-flight writes (not yet persistent at the crash point):\n");
	/* the last writer of each byte is what the full image holds */
	{
		uint32_t *last = calloc(r->size, sizeof(uint32_t));

		for (i = 0; last && i < r->point && i < r->nrecs; i++) {
			const struct torn_record *s = &r->recs[i];

			if (s->kind == TORN_REC_STORE || s->kind == TORN_REC_NT_STORE)
				for (uint64_t b = 0; b < s->size; b++)
					last[s->offset + b] = (uint32_t)i + 1;
		}
		for (i = 0; last && i < r->point && i < r->nrecs; i++) {
			const struct torn_record *s = &r->recs[i];
			uint64_t b, mine = 0, kept = 0;
			const char *status;
			char bytes[64] = "";

			if (s->kind != TORN_REC_STORE && s->kind != TORN_REC_NT_STORE)
				continue;
			for (b = s->offset; b < s->offset + s->size; b++) {
				if (last[b] != i + 1 || r->full[b] == r->persisted[b])
					continue;
				mine++;
				kept += r->state[b] == r->full[b];
			}
			if (!mine)
				continue;
			g_hash_table_add(inflight_lines,
					 GSIZE_TO_POINTER(s->offset / 64 + 1));
			if (kept == mine) {
				status = "persisted";
				n_persisted++;
			} else if (!kept) {
				status = "DROPPED";
				n_dropped++;
			} else {
				status = "TORN";
				n_torn++;
			}
			for (b = 0; b < s->size && b < 8; b++)
				snprintf(bytes + 2 * b, sizeof(bytes) - 2 * b, "%02x",
					 s->data[b]);
			if (shown++ < 200)
				printf("  record %-7zu %-8s 0x%08" PRIx64 " +%-2u %-9s %s%s  %s\n",
				       i, s->kind == TORN_REC_NT_STORE ? "nt_store" : "store",
				       s->offset, s->size, status, bytes,
				       s->size > 8 ? ".." : "",
				       where(r, s, sym, sizeof(sym)));
		}
		free(last);
	}
	if (shown > 200)
		printf("  ... %zu more\n", shown - 200);
	printf("in flight: %zu writes on %u lines: %zu persisted, %zu dropped, %zu torn\n",
	       n_persisted + n_dropped + n_torn, g_hash_table_size(inflight_lines),
	       n_persisted, n_dropped, n_torn);
	if (r->verdict_line) {
		char *v = json_str(r->verdict_line, "verdict");
		const char *o = strstr(r->verdict_line, "\"oracles\":");

		printf("verdict: %s\n", v ? v : "?");
		if (o) {
			const char *end = strstr(o, "},\"markers\"");

			printf("oracles: %.*s}\n", end ? (int)(end - o - 10) : 400,
			       o + 10);
		}
		g_free(v);
	}
	free(writer);
	g_hash_table_destroy(inflight_lines);
}

/* ---- a checker guest for re-checking and minimizing ----------------------- */

struct replay_guest {
	struct check_run run;
	struct checker c;
	gchar *expected;
};

static int guest_setup(struct replay *r, struct replay_guest *g,
		       const struct guest_opts *o, int timeout_ms, FILE *verbose)
{
	struct torn_err err = { "" };
	char path[4200], fsname[64] = "", flush[64] = "";
	gsize len;

	memset(g, 0, sizeof(*g));
	g->run.dir = r->dir;
	g->run.o = *o;
	g->run.oracles = (1 << 7) - 1;
	g->run.timeout_ms = timeout_ms;
	g->run.pm_size = r->size;
	g->run.base = r->base;
	g->run.verbose = verbose;
	if (!r->meta || meta_get(r->meta, "fs", fsname, sizeof(fsname)) ||
	    torn_fs_kind_parse(fsname) < 0) {
		fprintf(stderr, "torn replay: %s/meta.json names no filesystem\n",
			r->dir);
		return TORN_EXIT_INFRA;
	}
	g->run.fs_kind = torn_fs_kind_parse(fsname);
	g->run.o.fs_kind = g->run.fs_kind;
	if (!meta_get(r->meta, "flush_mode", flush, sizeof(flush)) &&
	    torn_flush_mode_parse(flush) >= 0)
		g->run.o.flush_mode = torn_flush_mode_parse(flush);
	meta_get(r->meta, "checker", g->run.checker_prog,
		 sizeof(g->run.checker_prog));
	snprintf(path, sizeof(path), "%s/expected.txt", r->dir);
	if (g_file_get_contents(path, &g->expected, &len, NULL) &&
	    oracle_expected_parse(g->expected, len, &g->run.expected, &err)) {
		fprintf(stderr, "torn replay: %s: %s\n", path, err.msg);
		return TORN_EXIT_INFRA;
	}
	collect_markers(&g->run, r->trace);
	g->run.semantic = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
						NULL);
	pthread_mutex_init(&g->run.lock, NULL);
	if (guest_kit(&g->run.o, &g->run.kit))
		return TORN_EXIT_INFRA;
	snprintf(path, sizeof(path), "%s/base.img", r->dir);
	if (checker_init(&g->c, &g->run, 0, path)) {
		fprintf(stderr, "torn replay: cannot set up a checker\n");
		return TORN_EXIT_INFRA;
	}
	snprintf(g->c.job.id, sizeof(g->c.job.id), "%s", r->id);
	g->c.job.point = r->point;
	if (checker_boot(&g->c, &err)) {
		fprintf(stderr, "torn replay: guest did not boot: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	return 0;
}

static void guest_teardown(struct replay_guest *g)
{
	if (g->c.run)
		checker_fini(&g->c);
	oracle_expected_free(g->run.expected);
	free(g->run.markers);
	if (g->run.semantic)
		g_hash_table_destroy(g->run.semantic);
	g_free(g->expected);
}

/* Check image img in the guest; the verdict, or -1 when the guest failed. */
static int guest_check(struct replay_guest *g, const uint8_t *img,
		       struct check_result *res)
{
	memcpy(g->c.img, img, g->run.pm_size);
	check_restore(g->c.pm, g->c.img, g->run.pm_size);
	if (check_one(&g->c, res)) {
		fprintf(stderr, "torn replay: the guest failed: %s\n",
			res->infra_detail);
		return -1;
	}
	return res->verdict;
}

static void print_result(const struct check_result *res)
{
	int o;

	printf("verdict: %s\n", verdict_names[res->verdict]);
	for (o = 0; o < 7; o++)
		if (res->r[o].ran)
			printf("  %-10s %s%s%s\n", oracle_names[o],
			       res->r[o].ok ? "ok" : "FAILED",
			       res->r[o].detail[0] && !res->r[o].ok ? ": " : "",
			       res->r[o].ok ? "" : res->r[o].detail);
}

/* ---- minimize ------------------------------------------------------------ */

/* The image: everything in flight persisted, but for the lines in set. */
static void image_dropping(const struct replay *r, const uint64_t *lines,
			   size_t n, uint8_t *out)
{
	size_t i;

	memcpy(out, r->full, r->size);
	for (i = 0; i < n; i++)
		memcpy(out + lines[i] * 64, r->state + lines[i] * 64, 64);
}

static int fails(struct replay_guest *g, struct replay *r, const uint64_t *lines,
		 size_t n, uint8_t *img, int *tests)
{
	struct check_result res;
	int v;

	image_dropping(r, lines, n, img);
	v = guest_check(g, img, &res);
	++*tests;
	fprintf(stderr, "torn: minimize: test %d, %zu lines dropped: %s\n", *tests,
		n, v < 0 ? "guest failed" : verdict_names[v]);
	return v == V_INCONSISTENT || v == V_UNRECOVERABLE ? 1 : v < 0 ? -1 : 0;
}

/*
 * Delta debugging (ddmin) over the lines the state did not fully persist:
 * the smallest set whose loss, with every other in-flight write persisted,
 * still fails the check.
 */
static int minimize(struct replay *r, struct replay_guest *g)
{
	GArray *cur = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint8_t *img = malloc(r->size);
	uint64_t l;
	size_t gran = 2;
	int tests = 0, f, ret = 0;

	for (l = 0; l < r->size / 64; l++)
		if (memcmp(r->state + l * 64, r->full + l * 64, 64))
			g_array_append_val(cur, l);
	printf("minimize: %u lines of in-flight writes did not (fully) persist in %s\n",
	       cur->len, r->id);
	f = fails(g, r, NULL, 0, img, &tests);
	if (f == 1) {
		printf("minimize: the check fails even with every in-flight write persisted:\n"
		       "the failure does not come from what the crash dropped\n");
		goto out;
	}
	f = cur->len ? fails(g, r, (uint64_t *)cur->data, cur->len, img, &tests) : 0;
	if (f != 1) {
		printf("minimize: the state does not fail now (%s)\n",
		       f < 0 ? "guest failed" : "consistent");
		ret = f < 0 ? TORN_EXIT_INFRA : 0;
		goto out;
	}
	while (cur->len >= 2) {
		size_t chunk = (cur->len + gran - 1) / gran, start;
		int reduced = 0;

		for (start = 0; start < cur->len && !reduced; start += chunk) {
			size_t n = MIN(chunk, cur->len - start);
			GArray *complement = g_array_new(FALSE, FALSE, sizeof(uint64_t));

			/* subset first, then its complement */
			if (fails(g, r, &g_array_index(cur, uint64_t, start), n,
				  img, &tests) == 1) {
				g_array_remove_range(cur, 0, start);
				g_array_set_size(cur, n);
				gran = 2;
				reduced = 1;
			} else {
				g_array_append_vals(complement, cur->data, start);
				g_array_append_vals(complement,
						    &g_array_index(cur, uint64_t, start + n),
						    cur->len - start - n);
				if (gran > 2 && complement->len &&
				    fails(g, r, (uint64_t *)complement->data,
					  complement->len, img, &tests) == 1) {
					g_array_set_size(cur, 0);
					g_array_append_vals(cur, complement->data,
							    complement->len);
					gran = MAX(gran - 1, 2);
					reduced = 1;
				}
			}
			g_array_free(complement, TRUE);
		}
		if (!reduced) {
			if (gran >= cur->len)
				break;
			gran = MIN(gran * 2, cur->len);
		}
	}
	printf("minimize: after %d checks, the state fails because these %u line(s) did not persist\n"
	       "while every other in-flight write did:\n",
	       tests, cur->len);
	for (guint k = 0; k < cur->len; k++) {
		uint64_t line = g_array_index(cur, uint64_t, k);
		size_t i;
		char sym[256];

		printf("  line 0x%08" PRIx64 ", written by:\n", line * 64);
		for (i = 0; i < r->point && i < r->nrecs; i++) {
			const struct torn_record *s = &r->recs[i];

			if ((s->kind == TORN_REC_STORE || s->kind == TORN_REC_NT_STORE) &&
			    s->offset / 64 <= line && (s->offset + s->size - 1) / 64 >= line &&
			    memcmp(r->full + s->offset, r->persisted + s->offset, s->size))
				printf("    record %-7zu %s 0x%08" PRIx64 " +%u  %s\n", i,
				       s->kind == TORN_REC_NT_STORE ? "nt_store" : "store",
				       s->offset, s->size, where(r, s, sym, sizeof(sym)));
		}
	}
out:
	free(img);
	g_array_free(cur, TRUE);
	return ret;
}

/* ---- the command ---------------------------------------------------------- */

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: torn replay DIR STATE-ID [--explain] [--minimize] [--shell]\n"
		"         [--image FILE] [--no-check] [--timeout S] [--model M] [--granularity G]\n"
		"Rebuilds one crash state of the run in DIR (its image hash must equal\n"
		"the one torn check recorded) and re-checks it in a guest, printing every\n"
		"oracle's full output.\n\n"
		"  --explain      the crash point, the markers around it, every in-flight\n"
		"                 write and whether it persisted, was dropped or torn, with\n"
		"                 the instruction that made it\n"
		"  --minimize     the smallest set of lost writes that still fails\n"
		"  --shell        a shell in a guest on the recovered image (console here)\n"
		"  --image FILE   write the crash image to FILE\n"
		"  --no-check     do not boot a guest (with --explain or --image)\n"
		"  --timeout S    seconds for each step in the guest (default 60)\n"
		"  --model M, --granularity G   the crash model and tear granularity\n"
		"                 (default: what torn check recorded in DIR/check.json)\n"
		"%s",
		guest_opts_usage);
}

static int shell(struct replay *r, const struct guest_opts *o)
{
	struct torn_vm_config cfg = { 0 };
	struct torn_err err = { "" };
	struct torn_kit kit;
	struct torn_vm *vm;
	char fsname[64] = "", work[4096], pm[4200];
	struct guest_opts go = *o;
	int ret;

	if (guest_kit(&go, &kit))
		return TORN_EXIT_INFRA;
	if (guest_workdir("shell", work, sizeof(work))) {
		perror("torn replay: cannot create a work directory");
		return TORN_EXIT_INFRA;
	}
	snprintf(pm, sizeof(pm), "%s/pm.img", work);
	if (!g_file_set_contents(pm, (const gchar *)r->state, r->size, NULL)) {
		fprintf(stderr, "torn replay: cannot write %s\n", pm);
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	cfg.kernel = kit.kernel;
	cfg.initrd = kit.initrd;
	cfg.pm_path = pm;
	cfg.pm_size = r->size;
	cfg.workdir = work;
	cfg.console_stdio = 1;
	cfg.append = "torn.shell";
	ret = torn_vm_start(&cfg, &vm, &err);
	if (ret) {
		fprintf(stderr, "torn replay: guest did not boot: %s\n", err.msg);
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	if (r->meta && !meta_get(r->meta, "fs", fsname, sizeof(fsname)) &&
	    strcmp(fsname, "devdax")) {
		const char *mnt[] = { "mount", "/dev/pmem0", "/mnt",
				      !strcmp(fsname, "xfs-dax") ? "xfs" : "ext4",
				      "dax", NULL };

		if (guest_call(vm, 120000, mnt, NULL, &err))
			fprintf(stderr, "torn replay: the recovery mount failed: %s\n",
				err.msg);
		else
			fprintf(stderr, "torn replay: recovered filesystem mounted on /mnt\n");
	}
	{
		const char *ex[] = { "exit", NULL };

		guest_call(vm, 10000, ex, NULL, &err);
	}
	torn_vm_wait(vm);
	guest_workdir_remove(work);
	return 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay r = { 0 };
	struct guest_opts o = { 0 };
	int do_explain = 0, do_min = 0, do_shell = 0, no_check = 0, i, ret;
	int model_set = 0, gran_set = 0, timeout_ms = 60000;
	const char *image = NULL;
	struct torn_err err = { "" };

	torn_states_opts_init(&r.so);
	for (i = 1; i < argc; i++) {
		int k = guest_opts_parse(&o, argc, argv, &i);
		const char *a = argv[i];

		if (k < 0)
			return TORN_EXIT_USAGE;
		if (k)
			continue;
		if (!strcmp(a, "--help")) {
			replay_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(a, "--explain")) {
			do_explain = 1;
		} else if (!strcmp(a, "--minimize")) {
			do_min = 1;
		} else if (!strcmp(a, "--shell")) {
			do_shell = 1;
		} else if (!strcmp(a, "--no-check")) {
			no_check = 1;
		} else if (a[0] != '-') {
			if (!r.dir)
				r.dir = a;
			else if (!r.id)
				r.id = a;
			else {
				fprintf(stderr, "torn replay: unexpected argument '%s'\n", a);
				return TORN_EXIT_USAGE;
			}
		} else if (i + 1 >= argc) {
			fprintf(stderr, "torn replay: unknown option or missing value '%s'\n", a);
			return TORN_EXIT_USAGE;
		} else if (!strcmp(a, "--image")) {
			image = argv[++i];
		} else if (!strcmp(a, "--timeout")) {
			uint64_t s;

			if (torn_parse_count("torn replay", a, argv[++i], 1,
					    3600, &s))
				return TORN_EXIT_USAGE;
			timeout_ms = (int)s * 1000;
		} else if (!strcmp(a, "--model")) {
			model_set = 1;
			if (torn_model_parse(argv[++i], &r.so.model, &err))
				goto usage_err;
		} else if (!strcmp(a, "--granularity")) {
			gran_set = 1;
			if (torn_granularity_parse(argv[++i], &r.so.granularity, &err))
				goto usage_err;
		} else {
			fprintf(stderr, "torn replay: unknown option '%s'\n", a);
			replay_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	if (!r.dir || !r.id) {
		replay_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	torn_vm_install_signal_handlers();
	ret = replay_load(&r, model_set, gran_set);
	if (ret)
		goto out;
	if (image) {
		if (!g_file_set_contents(image, (const gchar *)r.state, r.size, NULL)) {
			fprintf(stderr, "torn replay: cannot write %s\n", image);
			ret = TORN_EXIT_INFRA;
			goto out;
		}
		printf("image of %s written to %s\n", r.id, image);
	}
	if (do_explain)
		explain(&r);
	if (do_shell) {
		ret = shell(&r, &o);
		goto out;
	}
	if (!no_check || do_min) {
		struct replay_guest g;
		struct check_result res;

		ret = guest_setup(&r, &g, &o, timeout_ms,
				  do_min ? NULL : stdout);
		if (!ret && !do_min) {
			int v = guest_check(&g, r.state, &res);

			if (v < 0) {
				ret = TORN_EXIT_INFRA;
			} else {
				print_result(&res);
				ret = v == V_CONSISTENT ? TORN_EXIT_OK :
				      v == V_INCONSISTENT || v == V_UNRECOVERABLE ?
						TORN_EXIT_FAIL : TORN_EXIT_INFRA;
			}
		} else if (!ret) {
			ret = minimize(&r, &g);
		}
		guest_teardown(&g);
	}
out:
	replay_free(&r);
	return ret;
usage_err:
	fprintf(stderr, "torn replay: %s\n", err.msg);
	return TORN_EXIT_USAGE;
}
