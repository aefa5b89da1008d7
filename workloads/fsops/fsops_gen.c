/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACE-style bounded workloads: each op or pair of ops, then persistence. */
#include "fsops.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The file set, as in ACE (CrashMonkey): two files in two directories
 * and an empty directory, made durable by a sync in a setup prefix.  The
 * setup ops get markers like any other; the durability oracle only holds
 * them to what the sync promised.
 */
static const char setup_text[] =
	"# setup, made durable by the sync: the state the ops start from\n"
	"mkdir A\n"
	"mkdir B\n"
	"creat foo\n"
	"pwrite foo 0 8K rand:1\n"
	"creat A/foo\n"
	"pwrite A/foo 0 4K rand:2\n"
	"sync\n";

/*
 * One op with its arguments.  Persistence ops for seq-1 follow from the
 * op: fsync and fdatasync of the file it leaves (fsync of a directory),
 * fsync of the directory whose entries it changed and, for a rename
 * across directories, of the source's directory; sync; msync after a
 * mapped write.  seq2 marks the one variant per kind that seq-2 pairs.
 */
struct variant {
	const char *name;
	const char *text;
	int seq2;
};

static const struct variant variants[] = {
	{ "write", "write foo 0 4K rand:11", 1 },
	{ "pwrite", "pwrite foo 1000 5000 rand:12", 0 },
	{ "pwrite-extend", "pwrite foo 8K 4K rand:13", 1 },
	{ "append", "append A/foo 1000 rand:14", 1 },
	{ "truncate", "truncate foo 1000", 1 },
	{ "fallocate", "fallocate foo 8K 8K", 0 },
	{ "fallocate-keep", "fallocate A/foo 4K 8K keep-size", 1 },
	{ "punch-hole", "fallocate foo 1K 4K punch-hole", 0 },
	{ "zero-range", "fallocate foo 1K 4K zero-range", 0 },
	{ "creat", "creat bar", 1 },
	{ "creat-sub", "creat A/bar", 0 },
	{ "mkdir", "mkdir C", 1 },
	{ "rename", "atomic rename foo bar", 1 },
	{ "rename-xdir", "atomic rename foo A/bar", 0 },
	{ "rename-over", "atomic rename foo A/foo", 0 },
	{ "rename-dir", "atomic rename A C", 0 },
	{ "link", "link foo bar", 0 },
	{ "link-xdir", "link foo A/bar", 1 },
	{ "symlink", "symlink foo B/s", 1 },
	{ "unlink", "unlink A/foo", 1 },
	{ "rmdir", "rmdir B", 1 },
	{ "mmap-write", "mmap-write foo 0 4K rand:15", 1 },
	{ "mmap-sync", "mmap-write foo 4K 4K rand:16 map-sync", 0 },
};

#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* ---- a model of the file set, enough to keep ops valid ------------- */

#define MODEL_MAX 32
#define MODEL_PATH 64

struct node {
	char path[MODEL_PATH];
	char type; /* 'f', 'd', 'l' */
	uint64_t size;
	int ino;
};

struct model {
	struct node n[MODEL_MAX];
	int nn, next_ino;
	/* paths touched since the setup's sync */
	char dirty[MODEL_MAX * 2][MODEL_PATH];
	int ndirty;
	int mapped[MODEL_MAX]; /* inodes with a mapping */
	int nmapped;
};

static struct node *find(struct model *m, const char *path)
{
	int i;

	for (i = 0; i < m->nn; i++)
		if (!strcmp(m->n[i].path, path))
			return &m->n[i];
	return NULL;
}

static void parent_of(const char *path, char *buf)
{
	const char *s = strrchr(path, '/');

	if (!s)
		snprintf(buf, MODEL_PATH, ".");
	else
		snprintf(buf, MODEL_PATH, "%.*s", (int)(s - path), path);
}

static int is_under(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	return !strncmp(path, dir, l) && path[l] == '/';
}

static int parent_is_dir(struct model *m, const char *path)
{
	char parent[MODEL_PATH];
	struct node *p;

	parent_of(path, parent);
	if (!strcmp(parent, "."))
		return 1;
	p = find(m, parent);
	return p && p->type == 'd';
}

static int has_children(struct model *m, const char *dir)
{
	int i;

	for (i = 0; i < m->nn; i++)
		if (is_under(m->n[i].path, dir))
			return 1;
	return 0;
}

static int is_dirty(struct model *m, const char *path)
{
	int i;

	for (i = 0; i < m->ndirty; i++)
		if (!strcmp(m->dirty[i], path))
			return 1;
	return 0;
}

/* Touch path: returns whether it was clean before. */
static int touch(struct model *m, const char *path)
{
	if (is_dirty(m, path))
		return 0;
	if (m->ndirty < MODEL_MAX * 2)
		snprintf(m->dirty[m->ndirty++], MODEL_PATH, "%s", path);
	return 1;
}

/* Touch every name of inode ino. */
static int touch_inode(struct model *m, int ino)
{
	int i, clean = 1;

	for (i = 0; i < m->nn; i++)
		if (m->n[i].ino == ino && !touch(m, m->n[i].path))
			clean = 0;
	return clean;
}

static void add(struct model *m, const char *path, char type, uint64_t size,
		int ino)
{
	struct node *n = &m->n[m->nn++];

	snprintf(n->path, MODEL_PATH, "%s", path);
	n->type = type;
	n->size = size;
	n->ino = ino ? ino : ++m->next_ino;
}

static void drop(struct model *m, struct node *n)
{
	*n = m->n[--m->nn];
}

static int mapped(struct model *m, int ino)
{
	int i;

	for (i = 0; i < m->nmapped; i++)
		if (m->mapped[i] == ino)
			return 1;
	return 0;
}

/*
 * Apply op to the model: -1 if it would fail, else 0 with *clean set
 * when nothing it touches was touched since the setup's sync.
 */
static int apply(struct model *m, const struct torn_fsops_op *op, int *clean)
{
	struct node *s = op->path ? find(m, op->path) : NULL, *d;
	uint64_t end = op->offset + op->length;
	int c = 1, i;

	if (m->nn + 2 > MODEL_MAX)
		return -1;
	switch (op->kind) {
	case TORN_FSOPS_CREAT:
	case TORN_FSOPS_MKDIR:
	case TORN_FSOPS_SYMLINK:
		if (s || !parent_is_dir(m, op->path))
			return -1;
		c = touch(m, op->path);
		add(m, op->path,
		    op->kind == TORN_FSOPS_CREAT   ? 'f'
		    : op->kind == TORN_FSOPS_MKDIR ? 'd'
						   : 'l',
		    0, 0);
		break;
	case TORN_FSOPS_WRITE:
	case TORN_FSOPS_PWRITE:
	case TORN_FSOPS_APPEND:
	case TORN_FSOPS_TRUNCATE:
	case TORN_FSOPS_FALLOCATE:
	case TORN_FSOPS_MMAP_WRITE:
		if (!s || s->type != 'f')
			return -1;
		if (op->kind == TORN_FSOPS_MMAP_WRITE) {
			if (end > s->size || m->nmapped == MODEL_MAX)
				return -1;
			m->mapped[m->nmapped++] = s->ino;
		} else if (op->kind == TORN_FSOPS_APPEND) {
			end = s->size + op->length;
		} else if (op->kind == TORN_FSOPS_TRUNCATE) {
			s->size = op->length;
		} else if (op->flags &
			   (TORN_FSOPS_KEEP_SIZE | TORN_FSOPS_PUNCH_HOLE)) {
			end = 0;
		}
		if (end > s->size && op->kind != TORN_FSOPS_TRUNCATE)
			s->size = end;
		c = touch_inode(m, s->ino);
		break;
	case TORN_FSOPS_RENAME:
		d = find(m, op->path2);
		if (!s || !parent_is_dir(m, op->path2) ||
		    is_under(op->path2, op->path))
			return -1;
		if (d && (d->type == 'd') != (s->type == 'd'))
			return -1;
		if (d && d->type == 'd' && has_children(m, op->path2))
			return -1;
		c &= touch_inode(m, s->ino);
		c &= touch(m, op->path2);
		if (d) {
			c &= touch_inode(m, d->ino);
			drop(m, d);
		}
		for (i = 0; i < m->nn; i++) {
			char moved[MODEL_PATH];
			struct node *n = &m->n[i];

			if (!is_under(n->path, op->path))
				continue;
			snprintf(moved, sizeof(moved), "%s%s", op->path2,
				 n->path + strlen(op->path));
			c &= touch(m, n->path);
			c &= touch(m, moved);
			snprintf(n->path, MODEL_PATH, "%s", moved);
		}
		s = find(m, op->path);
		snprintf(s->path, MODEL_PATH, "%s", op->path2);
		break;
	case TORN_FSOPS_LINK:
		if (!s || s->type != 'f' || find(m, op->path2) ||
		    !parent_is_dir(m, op->path2))
			return -1;
		c &= touch_inode(m, s->ino);
		c &= touch(m, op->path2);
		add(m, op->path2, 'f', s->size, s->ino);
		break;
	case TORN_FSOPS_UNLINK:
		if (!s || s->type == 'd')
			return -1;
		c &= touch_inode(m, s->ino);
		drop(m, s);
		break;
	case TORN_FSOPS_RMDIR:
		if (!s || s->type != 'd' || has_children(m, op->path))
			return -1;
		c = touch(m, op->path);
		drop(m, s);
		break;
	case TORN_FSOPS_MSYNC:
		if (!s || s->type != 'f' || !mapped(m, s->ino))
			return -1;
		break;
	case TORN_FSOPS_FSYNC:
		if (strcmp(op->path, ".") && (!s || s->type == 'l'))
			return -1;
		break;
	case TORN_FSOPS_FDATASYNC:
		if (!s || s->type != 'f')
			return -1;
		break;
	default:
		break;
	}
	if (clean)
		*clean = c;
	return 0;
}

/* ---- generating ------------------------------------------------------ */

struct gen {
	int seq;
	unsigned int kinds; /* op kinds drawn from (bit per kind) */
	unsigned int persist; /* persistence kinds used */
	torn_fsops_gen_fn fn;
	void *arg;
	struct torn_err *err;
	int count;
	struct model setup;
};

/* Parse one op's text: the generator's texts are known good. */
static int parse_one(const char *text, struct torn_fsops **w)
{
	struct torn_err e;

	return torn_fsops_parse(text, strlen(text), "generator", w, &e);
}

/* The path an op leaves behind for persistence ops (NULL: none). */
static const char *target_of(const struct torn_fsops_op *op)
{
	switch (op->kind) {
	case TORN_FSOPS_RENAME:
	case TORN_FSOPS_LINK:
		return op->path2;
	case TORN_FSOPS_UNLINK:
	case TORN_FSOPS_RMDIR:
		return NULL;
	default:
		return op->path;
	}
}

static int namespace_op(enum torn_fsops_kind k)
{
	return k == TORN_FSOPS_CREAT || k == TORN_FSOPS_MKDIR ||
	       k == TORN_FSOPS_RENAME || k == TORN_FSOPS_LINK ||
	       k == TORN_FSOPS_SYMLINK || k == TORN_FSOPS_UNLINK ||
	       k == TORN_FSOPS_RMDIR;
}

struct persist {
	char name[80]; /* for the file name */
	char text[96]; /* the op */
};

/* Add "verb path" (or "verb") under name, unless it is there already. */
static void add_persist(struct persist *p, int *np, const char *name,
			const char *verb, const char *path)
{
	int i;

	snprintf(p[*np].text, sizeof(p[*np].text), "%s%s%s", verb,
		 path ? " " : "", path ? path : "");
	for (i = 0; i < *np; i++)
		if (!strcmp(p[i].text, p[*np].text))
			return;
	snprintf(p[*np].name, sizeof(p[*np].name), "%s", name);
	(*np)++;
}

/* Persistence ops after a seq-1 op, valid in model m (after the op). */
static int seq1_persists(struct model *m, const struct torn_fsops_op *op,
			 struct persist *p)
{
	const char *t = target_of(op);
	struct node *n = t ? find(m, t) : NULL;
	char dir[MODEL_PATH];
	int np = 0;

	if (op->kind == TORN_FSOPS_MMAP_WRITE) {
		if (op->flags & TORN_FSOPS_MAP_SYNC) {
			snprintf(p[0].name, sizeof(p[0].name), "none");
			p[0].text[0] = 0;
			return 1;
		}
		add_persist(p, &np, "msync", "msync", t);
		add_persist(p, &np, "fsync", "fsync", t);
		add_persist(p, &np, "sync", "sync", NULL);
		return np;
	}
	if (n && n->type != 'l')
		add_persist(p, &np, "fsync", "fsync", t);
	if (n && n->type == 'f' &&
	    (!namespace_op(op->kind) || op->kind == TORN_FSOPS_CREAT))
		add_persist(p, &np, "fdatasync", "fdatasync", t);
	if (namespace_op(op->kind)) {
		parent_of(t ? t : op->path, dir);
		add_persist(p, &np, "fsync-dir", "fsync", dir);
		if (op->kind == TORN_FSOPS_RENAME) {
			parent_of(op->path, dir);
			add_persist(p, &np, "fsync-srcdir", "fsync", dir);
		}
	}
	add_persist(p, &np, "sync", "sync", NULL);
	return np;
}

/* "fsync-A-foo" for fsync of A/foo, "fsync-root" for fsync of ".". */
static void persist_name(const char *verb, const char *path, char *buf,
			 size_t len)
{
	size_t i, o;

	o = snprintf(buf, len, "%s-", verb);
	if (!strcmp(path, "."))
		path = "root";
	for (i = 0; path[i] && o + 1 < len; i++)
		buf[o++] = path[i] == '/' ? '-' : path[i];
	buf[o] = 0;
}

/* Persistence ops after a seq-2 pair: fsync of what each op left, or sync. */
static int seq2_persists(struct model *m, const struct torn_fsops_op *op1,
			 const struct torn_fsops_op *op2, struct persist *p)
{
	const struct torn_fsops_op *ops[2] = { op2, op1 };
	int np = 0, k;

	for (k = 0; k < 2; k++) {
		const char *t = target_of(ops[k]);
		struct node *n = t ? find(m, t) : NULL;
		char dir[MODEL_PATH], name[80];
		int before = np;

		if (n && n->type == 'f' && mapped(m, n->ino) &&
		    ops[k]->kind == TORN_FSOPS_MMAP_WRITE) {
			persist_name("msync", t, name, sizeof(name));
			add_persist(p, &np, name, "msync", t);
		} else if (n && n->type != 'l') {
			persist_name("fsync", t, name, sizeof(name));
			add_persist(p, &np, name, "fsync", t);
		} else {
			parent_of(t ? t : ops[k]->path, dir);
			if (strcmp(dir, ".") && !find(m, dir))
				snprintf(dir, sizeof(dir), ".");
			persist_name("fsync", dir, name, sizeof(name));
			add_persist(p, &np, name, "fsync", dir);
		}
		/* the same as the first: sync instead */
		if (np == before)
			add_persist(p, &np, "sync", "sync", NULL);
	}
	return np;
}

static int persist_kind(const struct persist *p)
{
	char word[16];

	if (!p->text[0])
		return -1;
	sscanf(p->text, "%15s", word);
	return torn_fsops_kind_by_name(word);
}

static int emit_workload(struct gen *g, const char *what, const char *ops,
			 const struct persist *p)
{
	char name[256], *text;
	size_t len;
	int ret, pk = persist_kind(p);

	if (pk >= 0 && !(g->persist & (1u << pk)))
		return 0;
	snprintf(name, sizeof(name), "seq%d-%04d-%s-%s.fsops", g->seq,
		 g->count + 1, what, p->name);
	len = strlen(ops) + strlen(setup_text) + strlen(p->text) + 512;
	text = malloc(len);
	if (!text)
		return -ENOMEM;
	snprintf(text, len,
		 "# torn workloads generate --seq %d: %s, then %s\n"
		 "%s"
		 "# under test\n"
		 "%s"
		 "%s%s",
		 g->seq, what, p->text[0] ? p->text : "nothing more",
		 setup_text, ops, p->text, p->text[0] ? "\n" : "");
	ret = g->fn(g->arg, name, text);
	free(text);
	if (!ret)
		g->count++;
	return ret;
}

static int gen_seq1(struct gen *g)
{
	size_t v;
	int ret = 0;

	for (v = 0; v < NVARIANTS && !ret; v++) {
		struct torn_fsops *w;
		struct model m = g->setup;
		struct persist p[8];
		char ops[128];
		int np, i;

		if (parse_one(variants[v].text, &w))
			return torn_err_set(g->err, TORN_E_FORMAT,
					    "bad built-in variant '%s'",
					    variants[v].text);
		if (!(g->kinds & (1u << w->ops[0].kind)) ||
		    apply(&m, &w->ops[0], NULL)) {
			torn_fsops_free(w);
			continue;
		}
		snprintf(ops, sizeof(ops), "%s\n", variants[v].text);
		np = seq1_persists(&m, &w->ops[0], p);
		for (i = 0; i < np && !ret; i++)
			ret = emit_workload(g, variants[v].name, ops, &p[i]);
		torn_fsops_free(w);
	}
	return ret;
}

/* A variant's text without "atomic ", and the op as parsed. */
static const char *plain_text(const char *text)
{
	return strncmp(text, "atomic ", 7) ? text : text + 7;
}

static int gen_seq2(struct gen *g)
{
	size_t v1, v2;
	int ret = 0;

	for (v1 = 0; v1 < NVARIANTS && !ret; v1++) {
		if (!variants[v1].seq2)
			continue;
		for (v2 = 0; v2 < NVARIANTS && !ret; v2++) {
			struct torn_fsops *w1 = NULL, *w2 = NULL;
			struct model m = g->setup;
			struct persist p[4];
			char ops[256], what[64];
			int np, i, clean1, clean2;

			if (!variants[v2].seq2)
				continue;
			if (parse_one(variants[v1].text, &w1) ||
			    parse_one(variants[v2].text, &w2)) {
				torn_fsops_free(w1);
				return torn_err_set(g->err, TORN_E_FORMAT,
						    "bad built-in variant");
			}
			if (!(g->kinds & (1u << w1->ops[0].kind)) ||
			    !(g->kinds & (1u << w2->ops[0].kind)) ||
			    apply(&m, &w1->ops[0], &clean1) ||
			    apply(&m, &w2->ops[0], &clean2))
				goto next;
			/*
			 * Atomic only when the op's paths are as the sync
			 * left them: the executor insists, a crash could
			 * otherwise show neither its before nor its after.
			 */
			snprintf(ops, sizeof(ops), "%s\n%s%s\n",
				 variants[v1].text,
				 w2->ops[0].atomic && clean2 ? "atomic " : "",
				 plain_text(variants[v2].text));
			snprintf(what, sizeof(what), "%s-%s",
				 torn_fsops_kind_name(w1->ops[0].kind),
				 torn_fsops_kind_name(w2->ops[0].kind));
			np = seq2_persists(&m, &w1->ops[0], &w2->ops[0], p);
			for (i = 0; i < np && !ret; i++)
				ret = emit_workload(g, what, ops, &p[i]);
		next:
			torn_fsops_free(w1);
			torn_fsops_free(w2);
		}
	}
	return ret;
}

/* Parse --ops: kinds of ops under test and persistence kinds. */
static int parse_kinds(struct gen *g, const char *list)
{
	char buf[512], *tok, *save = NULL;
	unsigned int ops = 0, persist = 0;

	g->kinds = g->persist = ~0u;
	if (!list)
		return 0;
	if (strlen(list) >= sizeof(buf))
		return torn_err_set(g->err, TORN_E_USAGE,
				    "--ops list too long");
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int k = torn_fsops_kind_by_name(tok);

		if (k < 0)
			return torn_err_set(g->err, TORN_E_USAGE,
					    "unknown op '%s' in --ops", tok);
		if (k >= TORN_FSOPS_MSYNC)
			persist |= 1u << k;
		else
			ops |= 1u << k;
	}
	if (ops)
		g->kinds = ops;
	if (persist)
		g->persist = persist;
	return 0;
}

int torn_fsops_generate(int seq, const char *ops, torn_fsops_gen_fn fn,
			void *arg, struct torn_err *err)
{
	struct gen g = { .seq = seq, .fn = fn, .arg = arg, .err = err };
	struct torn_fsops *setup;
	size_t i;
	int ret;

	if (seq != 1 && seq != 2)
		return torn_err_set(err, TORN_E_USAGE,
				    "--seq must be 1 or 2, not %d", seq);
	ret = parse_kinds(&g, ops);
	if (ret)
		return ret;
	if (parse_one(setup_text, &setup))
		return torn_err_set(err, TORN_E_FORMAT, "bad built-in setup");
	for (i = 0; i < setup->nops; i++)
		apply(&g.setup, &setup->ops[i], NULL);
	torn_fsops_free(setup);
	g.setup.ndirty = 0; /* the sync made it all durable */
	ret = seq == 1 ? gen_seq1(&g) : gen_seq2(&g);
	return ret ? ret : g.count;
}
