/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fsops executor: runs ops between markers, records their promises. */
#include "fsops_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsops_tree.h"
#include "torn_flush.h"
#include "torn_mark.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

#define LINE_MAX_LEN 8400

/*
 * How a path came to name what it names now.  It decides whether a
 * durability op on the path may promise the name itself:
 * - fsync: on ext4 and XFS an fsync commits the last transaction that
 *   changed the inode, and journal commits are ordered, so it persists a
 *   name the inode got by being created there, or by being renamed or
 *   linked there (both change the inode).  It does not persist a name the
 *   path got because an ancestor directory was renamed: the file's inode
 *   did not change then, its last transaction may be older.
 * - fdatasync, msync, MAP_SYNC: ext4 commits only for data-relevant
 *   changes (i_datasync_tid), which a new inode has but a rename or a
 *   link does not: only a name from creation is persisted.
 * A name promised durable (by any durability op) stays so until an op
 * changes what the path names.
 */
enum name_kind {
	NAME_INITIAL, /* in the tree before the workload */
	NAME_CREATED, /* creat, mkdir, symlink made it here */
	NAME_MOVED_SELF, /* renamed or linked to this path */
	NAME_MOVED_ANCESTOR, /* an ancestor directory was renamed */
	NAME_GONE, /* removed */
};

/* What is known about one path that an op touched or a promise covers. */
struct path_rec {
	char *path; /* "./a" */
	int valid; /* a promise holds: untouched since */
	int absent; /* the promise is "- PATH" */
	struct fsx_entry p; /* the promised entry (valid && !absent) */
	unsigned int stars; /* its fields left open */
	int name_durable; /* what the path names is known durable */
	enum name_kind name_kind;
	int seen; /* the path existed at some time */
	unsigned int touch_line; /* source line of the last op touching it */
};

struct range {
	uint64_t start, end;
};

/* Changes to one inode that no durability op has covered yet. */
struct inode_rec {
	dev_t dev;
	ino_t ino;
	int pending_meta; /* size, allocation, creation */
	int pending_write; /* data written by write(2)-like calls */
	struct range *mapped; /* data written through mappings */
	size_t nmapped, capmapped;
	/*
	 * What is durable of the content whatever the name: set by promises
	 * on any of its paths, kept through renames and links, dropped when
	 * an op writes the inode.
	 */
	int content_valid;
	struct fsx_entry content; /* mode, size, hash */
	unsigned int content_stars; /* of FSX_STAR_MODE, _SIZE, _HASH */
};

#define CONTENT_FIELDS (FSX_STAR_MODE | FSX_STAR_SIZE | FSX_STAR_HASH)

struct mapping {
	dev_t dev;
	ino_t ino;
	char *addr;
	size_t len;
};

struct exec {
	const struct torn_fsops *w;
	const struct torn_fsops_exec_opts *o;
	struct torn_err *err;
	int root;
	struct fsx_tree cur, next;
	struct path_rec *recs; /* sorted by path */
	size_t nrecs, caprecs;
	struct inode_rec *inodes;
	size_t ninodes, capinodes;
	struct mapping *maps;
	size_t nmaps, capmaps;
	enum torn_flush_insn flush;
	long page;
	/* the op being run */
	size_t n;
	const struct torn_fsops_op *op;
	char p1[TORN_FSOPS_MAX_PATH + 8], p2[TORN_FSOPS_MAX_PATH + 8];
	char detail[256]; /* why an op failed, beyond errno */
	int has_inode; /* the op opened a file: dev, ino below */
	dev_t dev;
	ino_t ino;
	long long size_before, size_after;
	uint64_t wstart, wend; /* bytes an op wrote */
};

/* ---- records ------------------------------------------------------- */

static void emit(struct exec *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emit(struct exec *x, const char *fmt, ...)
{
	va_list ap;

	if (!x->o->expected)
		return;
	va_start(ap, fmt);
	vfprintf(x->o->expected, fmt, ap);
	va_end(ap);
}

static int rec_cmp(const void *key, const void *r)
{
	return strcmp(key, ((const struct path_rec *)r)->path);
}

static struct path_rec *rec_find(struct exec *x, const char *path)
{
	if (!x->nrecs)
		return NULL;
	return bsearch(path, x->recs, x->nrecs, sizeof(*x->recs), rec_cmp);
}

/* The record of path, made if missing (NULL: out of memory). */
static struct path_rec *rec_get(struct exec *x, const char *path)
{
	struct path_rec *r = rec_find(x, path);
	size_t lo = 0, hi = x->nrecs;

	if (r)
		return r;
	if (x->nrecs == x->caprecs) {
		size_t cap = x->caprecs ? 2 * x->caprecs : 64;
		struct path_rec *p = realloc(x->recs, cap * sizeof(*p));

		if (!p)
			return NULL;
		x->recs = p;
		x->caprecs = cap;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(x->recs[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&x->recs[lo + 1], &x->recs[lo],
		(x->nrecs - lo) * sizeof(*x->recs));
	r = &x->recs[lo];
	memset(r, 0, sizeof(*r));
	r->path = strdup(path);
	if (!r->path) {
		memmove(&x->recs[lo], &x->recs[lo + 1],
			(x->nrecs - lo) * sizeof(*x->recs));
		return NULL;
	}
	x->nrecs++;
	return r;
}

static struct inode_rec *inode_find(struct exec *x, dev_t dev, ino_t ino)
{
	size_t i;

	for (i = 0; i < x->ninodes; i++)
		if (x->inodes[i].dev == dev && x->inodes[i].ino == ino)
			return &x->inodes[i];
	return NULL;
}

static struct inode_rec *inode_get(struct exec *x, dev_t dev, ino_t ino)
{
	struct inode_rec *r = inode_find(x, dev, ino);

	if (r)
		return r;
	if (x->ninodes == x->capinodes) {
		size_t cap = x->capinodes ? 2 * x->capinodes : 16;
		struct inode_rec *p = realloc(x->inodes, cap * sizeof(*p));

		if (!p)
			return NULL;
		x->inodes = p;
		x->capinodes = cap;
	}
	r = &x->inodes[x->ninodes++];
	memset(r, 0, sizeof(*r));
	r->dev = dev;
	r->ino = ino;
	return r;
}

static void inode_settle(struct inode_rec *r)
{
	r->pending_meta = r->pending_write = 0;
	r->nmapped = 0;
}

static int inode_add_mapped(struct inode_rec *r, uint64_t start, uint64_t end)
{
	if (r->nmapped == r->capmapped) {
		size_t cap = r->capmapped ? 2 * r->capmapped : 8;
		struct range *p = realloc(r->mapped, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->mapped = p;
		r->capmapped = cap;
	}
	r->mapped[r->nmapped].start = start;
	r->mapped[r->nmapped].end = end;
	r->nmapped++;
	return 0;
}

/* "foo" -> "./foo", "." -> "." */
static void dump_path(const char *p, char *buf, size_t len)
{
	if (!p)
		buf[0] = 0;
	else if (!strcmp(p, "."))
		snprintf(buf, len, ".");
	else
		snprintf(buf, len, "./%s", p);
}

static int op_fail(struct exec *x, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int op_fail(struct exec *x, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return torn_err_set(x->err, code, "%s:%u: %s: %s", x->w->name,
			    x->op->line, x->op->text, msg);
}

/* ---- doing an op ----------------------------------------------------- */

static int write_all(int fd, const uint8_t *data, size_t len, int at,
		     uint64_t off)
{
	while (len) {
		ssize_t n =
			at ? pwrite(fd, data, len, off) : write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Open the op's file; note its inode and size. */
static int open_file(struct exec *x, const char *path, int flags)
{
	struct stat st;
	int fd = openat(x->root, path, flags | O_CLOEXEC, x->op->mode);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = -errno;

		close(fd);
		return e;
	}
	x->has_inode = 1;
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	x->size_before = st.st_size;
	return fd;
}

static int close_file(struct exec *x, int fd, int ret)
{
	struct stat st;

	if (!ret && !fstat(fd, &st))
		x->size_after = st.st_size;
	close(fd);
	return ret;
}

/* fallocate modes a host filesystem lacks, done with plain writes. */
static int emulate_fallocate(int fd, const struct torn_fsops_op *op,
			     long long size)
{
	uint64_t end = op->offset + op->length;
	int keep = op->flags & (TORN_FSOPS_KEEP_SIZE | TORN_FSOPS_PUNCH_HOLE);
	uint8_t *zero;
	int ret = 0;

	if (keep && end > (uint64_t)size)
		end = size;
	if (op->flags & (TORN_FSOPS_PUNCH_HOLE | TORN_FSOPS_ZERO_RANGE)) {
		if (end > op->offset) {
			zero = calloc(1, end - op->offset);
			if (!zero)
				return -ENOMEM;
			ret = write_all(fd, zero, end - op->offset, 1,
					op->offset);
			free(zero);
		}
	} else if (!keep && end > (uint64_t)size && ftruncate(fd, end)) {
		ret = -errno;
	}
	return ret;
}

static int do_fallocate(struct exec *x, const struct torn_fsops_op *op)
{
	int mode = 0, fd, ret = 0;

	if (op->flags & TORN_FSOPS_KEEP_SIZE)
		mode |= FALLOC_FL_KEEP_SIZE;
	if (op->flags & TORN_FSOPS_PUNCH_HOLE)
		mode |= FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	if (op->flags & TORN_FSOPS_ZERO_RANGE)
		mode |= FALLOC_FL_ZERO_RANGE;
	fd = open_file(x, op->path, O_WRONLY);
	if (fd < 0)
		return fd;
	if (fallocate(fd, mode, op->offset, op->length)) {
		ret = -errno;
		if (ret == -EOPNOTSUPP && x->o->host)
			ret = emulate_fallocate(fd, op, x->size_before);
	}
	return close_file(x, fd, ret);
}

static int do_mmap_write(struct exec *x, const struct torn_fsops_op *op,
			 const uint8_t *data)
{
	uint64_t moff = op->offset & ~(uint64_t)(x->page - 1);
	size_t mlen = op->offset + op->length - moff;
	int fd, map_sync = op->flags & TORN_FSOPS_MAP_SYNC, emulated = 0;
	struct mapping *m;
	char *p;

	fd = open_file(x, op->path, O_RDWR);
	if (fd < 0)
		return fd;
	if (op->offset + op->length > (uint64_t)x->size_before) {
		snprintf(
			x->detail, sizeof(x->detail),
			"the file has %lld bytes; a mapping cannot write beyond them (to %llu)",
			x->size_before,
			(unsigned long long)(op->offset + op->length));
		return close_file(x, fd, -ERANGE);
	}
	if (x->nmaps == x->capmaps) {
		size_t cap = x->capmaps ? 2 * x->capmaps : 8;

		m = realloc(x->maps, cap * sizeof(*m));
		if (!m)
			return close_file(x, fd, -ENOMEM);
		x->maps = m;
		x->capmaps = cap;
	}
	p = mmap(NULL, mlen, PROT_READ | PROT_WRITE,
		 map_sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED, fd,
		 moff);
	if (p == MAP_FAILED && map_sync && x->o->host &&
	    (errno == EOPNOTSUPP || errno == EINVAL)) {
		emulated = 1;
		p = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 moff);
	}
	if (p == MAP_FAILED) {
		int e = -errno;

		if (map_sync)
			snprintf(
				x->detail, sizeof(x->detail),
				"mmap MAP_SYNC: %s (is the filesystem mounted with -o dax?)",
				strerror(-e));
		return close_file(x, fd, e);
	}
	memcpy(p + (op->offset - moff), data, op->length);
	if (map_sync) {
		torn_flush_range(x->flush, p + (op->offset - moff), op->length);
		if (emulated)
			msync(p, mlen, MS_SYNC);
	}
	m = &x->maps[x->nmaps++];
	m->dev = x->dev;
	m->ino = x->ino;
	m->addr = p;
	m->len = mlen;
	x->wstart = op->offset;
	x->wend = op->offset + op->length;
	return close_file(x, fd, 0);
}

static int do_msync(struct exec *x, const struct torn_fsops_op *op)
{
	struct stat st;
	size_t i, n = 0;

	if (fstatat(x->root, op->path, &st, 0))
		return -errno;
	for (i = 0; i < x->nmaps; i++) {
		if (x->maps[i].dev != st.st_dev || x->maps[i].ino != st.st_ino)
			continue;
		if (msync(x->maps[i].addr, x->maps[i].len, MS_SYNC))
			return -errno;
		n++;
	}
	if (!n) {
		snprintf(x->detail, sizeof(x->detail),
			 "no mapping of %s (mmap-write it first)", x->p1);
		return -ENOENT;
	}
	x->has_inode = 1;
	x->dev = st.st_dev;
	x->ino = st.st_ino;
	return 0;
}

static int do_sync_file(struct exec *x, const struct torn_fsops_op *op)
{
	int fd = open_file(x, op->path, O_RDONLY), ret = 0;

	if (fd < 0)
		return fd;
	if (op->kind == TORN_FSOPS_FSYNC ? fsync(fd) : fdatasync(fd))
		ret = -errno;
	return close_file(x, fd, ret);
}

/* The system call(s) of one op; -errno (and maybe x->detail) on failure. */
static int do_op(struct exec *x, const struct torn_fsops_op *op,
		 const uint8_t *data)
{
	int fd, ret = 0;

	switch (op->kind) {
	case TORN_FSOPS_CREAT:
		fd = open_file(x, op->path, O_WRONLY | O_CREAT | O_TRUNC);
		return fd < 0 ? fd : close_file(x, fd, 0);
	case TORN_FSOPS_MKDIR:
		return mkdirat(x->root, op->path, op->mode) ? -errno : 0;
	case TORN_FSOPS_WRITE:
	case TORN_FSOPS_PWRITE:
	case TORN_FSOPS_APPEND:
		fd = open_file(
			x, op->path,
			O_WRONLY |
				(op->kind == TORN_FSOPS_APPEND ? O_APPEND : 0));
		if (fd < 0)
			return fd;
		x->wstart = op->kind == TORN_FSOPS_APPEND
				    ? (uint64_t)x->size_before
				    : op->offset;
		x->wend = x->wstart + op->length;
		if (op->kind == TORN_FSOPS_WRITE &&
		    lseek(fd, op->offset, SEEK_SET) < 0)
			ret = -errno;
		if (!ret)
			ret = write_all(fd, data, op->length,
					op->kind == TORN_FSOPS_PWRITE,
					op->offset);
		return close_file(x, fd, ret);
	case TORN_FSOPS_TRUNCATE:
		fd = open_file(x, op->path, O_WRONLY);
		if (fd < 0)
			return fd;
		if (ftruncate(fd, op->length))
			ret = -errno;
		return close_file(x, fd, ret);
	case TORN_FSOPS_FALLOCATE:
		return do_fallocate(x, op);
	case TORN_FSOPS_RENAME:
		ret = renameat(x->root, op->path, x->root, op->path2);
		return ret ? -errno : 0;
	case TORN_FSOPS_LINK:
		return linkat(x->root, op->path, x->root, op->path2, 0) ? -errno
									: 0;
	case TORN_FSOPS_SYMLINK:
		return symlinkat(op->target, x->root, op->path) ? -errno : 0;
	case TORN_FSOPS_UNLINK:
		return unlinkat(x->root, op->path, 0) ? -errno : 0;
	case TORN_FSOPS_RMDIR:
		return unlinkat(x->root, op->path, AT_REMOVEDIR) ? -errno : 0;
	case TORN_FSOPS_MMAP_WRITE:
		return do_mmap_write(x, op, data);
	case TORN_FSOPS_MSYNC:
		return do_msync(x, op);
	case TORN_FSOPS_FSYNC:
	case TORN_FSOPS_FDATASYNC:
		return do_sync_file(x, op);
	case TORN_FSOPS_SYNC:
		return syncfs(x->root) ? -errno : 0;
	default:
		return -EINVAL;
	}
}

/* ---- what an op touched ------------------------------------------------ */

struct pathset {
	char **p;
	size_t n, cap;
};

static int pathset_add(struct pathset *s, const char *path)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **p = realloc(s->p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->p = p;
		s->cap = cap;
	}
	s->p[s->n] = strdup(path);
	if (!s->p[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void pathset_sort(struct pathset *s)
{
	size_t i, o = 0;

	qsort(s->p, s->n, sizeof(*s->p), by_str);
	for (i = 0; i < s->n; i++) {
		if (o && !strcmp(s->p[o - 1], s->p[i])) {
			free(s->p[i]);
			continue;
		}
		s->p[o++] = s->p[i];
	}
	s->n = o;
}

static void pathset_free(struct pathset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->p[i]);
	free(s->p);
}

static int same_inode(const struct fsx_entry *a, const struct fsx_entry *b)
{
	return a && b && a->dev == b->dev && a->ino == b->ino;
}

/* Every path of tree t whose inode is e's. */
static int add_names_of(struct pathset *s, const struct fsx_tree *t,
			const struct fsx_entry *e)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < t->n && !ret && e; i++)
		if (same_inode(&t->e[i], e))
			ret = pathset_add(s, t->e[i].path);
	return ret;
}

/*
 * The paths op may have changed: its named paths, every path whose line
 * or inode differs between the trees, and every name of the inodes it
 * named (a write through one hard link changes them all).
 */
static int touched(struct exec *x, struct pathset *s)
{
	const struct fsx_tree *b = &x->cur, *a = &x->next;
	const char *named[2] = { x->p1, x->p2 };
	size_t i = 0, j = 0, k;
	int ret = 0;

	for (k = 0; k < 2 && !ret; k++) {
		if (!named[k][0])
			continue;
		ret = pathset_add(s, named[k]);
		if (!ret)
			ret = add_names_of(s, b, fsx_tree_find(b, named[k]));
		if (!ret)
			ret = add_names_of(s, a, fsx_tree_find(a, named[k]));
	}
	while (!ret && (i < b->n || j < a->n)) {
		int c = i == b->n   ? 1
			: j == a->n ? -1
				    : strcmp(b->e[i].path, a->e[j].path);

		if (c < 0) {
			ret = pathset_add(s, b->e[i++].path);
		} else if (c > 0) {
			ret = pathset_add(s, a->e[j++].path);
		} else {
			if (!same_inode(&b->e[i], &a->e[j]) ||
			    !fsx_entry_same(&b->e[i], &a->e[j]))
				ret = pathset_add(s, a->e[j].path);
			i++;
			j++;
		}
	}
	if (!ret)
		pathset_sort(s);
	return ret;
}

/* Stars of what an entry of the new tree came from (0: a new inode). */
static unsigned int source_stars(struct exec *x, const struct fsx_entry *e)
{
	unsigned int stars = 0;
	size_t i;

	for (i = 0; i < x->cur.n; i++) {
		struct path_rec *r;

		if (!same_inode(&x->cur.e[i], e))
			continue;
		r = rec_find(x, x->cur.e[i].path);
		stars |= r && r->valid && !r->absent ? r->stars : FSX_STAR_ALL;
	}
	return stars;
}

/*
 * An atomic op: its touched paths must have been settled (promised and
 * untouched since), else a crash could show a state before an earlier
 * op, neither this op's before nor its after.  Writes pre and post.
 */
static int atomic_records(struct exec *x, const struct pathset *s)
{
	char line[LINE_MAX_LEN];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct path_rec *r = rec_find(x, s->p[i]);

		if (r && !r->valid)
			return op_fail(
				x, TORN_E_USAGE,
				"%s changed at line %u and was not made durable since, so its state before this op is unknown after a crash; fsync or sync before an atomic op",
				s->p[i], r->touch_line);
	}
	for (i = 0; i < s->n; i++) {
		struct path_rec *r = rec_find(x, s->p[i]);

		if (r && !r->absent)
			fsx_line(&r->p, s->p[i], r->stars, line, sizeof(line));
		else
			fsx_line(NULL, s->p[i], 0, line, sizeof(line));
		emit(x, "pre %zu %s\n", x->n, line);
	}
	for (i = 0; i < s->n; i++) {
		const struct fsx_entry *e = fsx_tree_find(&x->next, s->p[i]);

		fsx_line(e, s->p[i], e ? source_stars(x, e) : 0, line,
			 sizeof(line));
		emit(x, "post %zu %s\n", x->n, line);
	}
	return 0;
}

/* Forget the promises on touched paths; note how each is named now. */
static int settle_touched(struct exec *x, const struct pathset *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		const struct fsx_entry *b = fsx_tree_find(&x->cur, s->p[i]);
		const struct fsx_entry *a = fsx_tree_find(&x->next, s->p[i]);
		struct path_rec *r = rec_get(x, s->p[i]);
		int existed = 0;

		if (!r)
			return -ENOMEM;
		r->valid = r->absent = 0;
		fsx_entry_clear(&r->p);
		r->touch_line = x->op->line;
		if (!a) {
			if (b) {
				r->name_kind = NAME_GONE;
				r->name_durable = 0;
			}
			continue;
		}
		r->seen = 1;
		if (same_inode(a, b))
			continue;
		r->name_durable = 0;
		for (j = 0; j < x->cur.n && !existed; j++)
			existed = same_inode(&x->cur.e[j], a);
		if (!existed)
			r->name_kind = NAME_CREATED;
		else if (!strcmp(s->p[i], x->p2))
			r->name_kind = NAME_MOVED_SELF;
		else
			r->name_kind = NAME_MOVED_ANCESTOR;
	}
	return 0;
}

/* What an op leaves to be made durable on the inode it wrote. */
static int note_pending(struct exec *x)
{
	const struct torn_fsops_op *op = x->op;
	struct inode_rec *r;

	if (!x->has_inode)
		return 0;
	r = inode_get(x, x->dev, x->ino);
	if (!r)
		return -ENOMEM;
	r->content_valid = 0;
	switch (op->kind) {
	case TORN_FSOPS_WRITE:
	case TORN_FSOPS_PWRITE:
	case TORN_FSOPS_APPEND:
		r->pending_write = 1;
		break;
	case TORN_FSOPS_MMAP_WRITE:
		return inode_add_mapped(r, x->wstart, x->wend);
	default:
		r->pending_meta = 1;
	}
	if (x->size_after != x->size_before)
		r->pending_meta = 1;
	return 0;
}

/* ---- durable promises ------------------------------------------------ */

/*
 * The durable content of e's inode, if known, fills fields of a promise
 * (stars), and a promise teaches what is durable of the content.
 */
static int content_carry(struct exec *x, const struct fsx_entry *e,
			 unsigned int *stars)
{
	struct inode_rec *ir;
	char was[LINE_MAX_LEN], now[LINE_MAX_LEN];
	unsigned int known;

	if (e->type != 'f')
		return 0;
	ir = inode_get(x, e->dev, e->ino);
	if (!ir)
		return -ENOMEM;
	if (ir->content_valid) {
		unsigned int open = ir->content_stars | FSX_STAR_NLINK;

		fsx_line(&ir->content, e->path, open, was, sizeof(was));
		fsx_line(e, NULL, open, now, sizeof(now));
		if (strcmp(was, now))
			return op_fail(
				x, TORN_E_MISMATCH,
				"internal: durable content '%s' is now '%s'",
				was, now);
		*stars &= ir->content_stars | ~CONTENT_FIELDS;
	}
	known = CONTENT_FIELDS & ~*stars;
	if (!known)
		return 0;
	fsx_entry_clear(&ir->content);
	ir->content_valid = 1;
	ir->content_stars = CONTENT_FIELDS & ~known;
	return fsx_entry_copy(&ir->content, e);
}

static int promise(struct exec *x, const struct fsx_entry *e,
		   unsigned int stars)
{
	struct path_rec *r;
	char line[LINE_MAX_LEN];
	int ret = content_carry(x, e, &stars);

	if (ret)
		return ret;
	r = rec_get(x, e->path);
	if (!r)
		return -ENOMEM;
	r->name_durable = 1;
	r->seen = 1;
	if (r->valid && !r->absent) {
		char was[LINE_MAX_LEN];

		/* a promise still valid still holds, or touched() erred */
		fsx_line(&r->p, e->path, r->stars, was, sizeof(was));
		fsx_line(e, NULL, r->stars, line, sizeof(line));
		if (strcmp(was, line))
			return op_fail(
				x, TORN_E_MISMATCH,
				"internal: promise '%s' no longer holds: '%s'",
				was, line);
		stars &= r->stars;
		if (stars == r->stars && fsx_entry_same(&r->p, e))
			return 0; /* promised already, untouched since */
	}
	fsx_line(e, NULL, stars, line, sizeof(line));
	emit(x, "durable %zu %s\n", x->n, line);
	fsx_entry_clear(&r->p);
	r->valid = 1;
	r->absent = 0;
	r->stars = stars;
	return fsx_entry_copy(&r->p, e);
}

static int promise_absent(struct exec *x, const char *path)
{
	struct path_rec *r = rec_get(x, path);

	if (!r)
		return -ENOMEM;
	r->name_durable = 1;
	if (r->valid && r->absent)
		return 0;
	emit(x, "durable %zu - %s\n", x->n, path);
	fsx_entry_clear(&r->p);
	r->valid = r->absent = 1;
	r->stars = 0;
	return 0;
}

/* May a durability op on path promise its name?  (full: fsync) */
static int name_ok(struct exec *x, const char *path, int full)
{
	struct path_rec *r = rec_find(x, path);

	if (!strcmp(path, "."))
		return 1;
	if (!r || r->name_durable || r->name_kind == NAME_INITIAL ||
	    r->name_kind == NAME_CREATED)
		return 1;
	return full && r->name_kind == NAME_MOVED_SELF;
}

/* Is path a direct child of dir ("." or "./a")? */
static int child_of(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	return !strncmp(path, dir, l) && path[l] == '/' &&
	       !strchr(path + l + 1, '/');
}

/* fsync of a directory: itself, its entries exist, removed ones do not. */
static int promise_dir(struct exec *x, const struct fsx_entry *d)
{
	size_t i;
	int ret = promise(x, d, 0);

	for (i = 0; i < x->next.n && !ret; i++)
		if (child_of(x->next.e[i].path, d->path))
			ret = promise(x, &x->next.e[i],
				      FSX_STAR_MODE | FSX_STAR_NLINK |
					      FSX_STAR_SIZE | FSX_STAR_HASH |
					      FSX_STAR_DETAIL);
	for (i = 0; i < x->nrecs && !ret; i++) {
		char *p = x->recs[i].path;

		if (x->recs[i].seen && child_of(p, d->path) &&
		    !fsx_tree_find(&x->next, p))
			ret = promise_absent(x, p);
	}
	return ret;
}

static int promise_sync(struct exec *x)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < x->ninodes; i++)
		inode_settle(&x->inodes[i]);
	for (i = 0; i < x->next.n && !ret; i++)
		ret = promise(x, &x->next.e[i], 0);
	for (i = 0; i < x->nrecs && !ret; i++)
		if (x->recs[i].seen &&
		    !fsx_tree_find(&x->next, x->recs[i].path))
			ret = promise_absent(x, x->recs[i].path);
	return ret;
}

/* Is nothing of r pending but mapped data inside [start, end)? */
static int covered(const struct inode_rec *r, uint64_t start, uint64_t end)
{
	size_t i;

	if (r->pending_meta || r->pending_write)
		return 0;
	for (i = 0; i < r->nmapped; i++)
		if (r->mapped[i].start < start || r->mapped[i].end > end)
			return 0;
	return 1;
}

/* What a durability op that returned guarantees; see name_kind above. */
static int promises(struct exec *x)
{
	const struct torn_fsops_op *op = x->op;
	const struct fsx_entry *e = fsx_tree_find(&x->next, x->p1);
	struct inode_rec *r = NULL;
	uint64_t start = 0, end = UINT64_MAX;

	if (op->kind == TORN_FSOPS_SYNC)
		return promise_sync(x);
	if (x->has_inode) {
		r = inode_get(x, x->dev, x->ino);
		if (!r)
			return -ENOMEM;
	}
	switch (op->kind) {
	case TORN_FSOPS_FSYNC:
		if (r)
			inode_settle(r);
		if (!e || !name_ok(x, x->p1, 1))
			return 0;
		if (e->type == 'd')
			return promise_dir(x, e);
		return e->type == 'f' ? promise(x, e, FSX_STAR_NLINK) : 0;
	case TORN_FSOPS_FDATASYNC:
		if (r)
			inode_settle(r);
		if (!e || e->type != 'f' || !name_ok(x, x->p1, 0))
			return 0;
		return promise(x, e, FSX_STAR_MODE | FSX_STAR_NLINK);
	case TORN_FSOPS_MMAP_WRITE:
		start = x->wstart;
		end = x->wend;
		/* fall through */
	case TORN_FSOPS_MSYNC:
		if (!r || !covered(r, start, end))
			return 0;
		inode_settle(r);
		if (!e || e->type != 'f' || e->dev != x->dev ||
		    e->ino != x->ino || !name_ok(x, x->p1, 0))
			return 0;
		return promise(x, e, FSX_STAR_MODE | FSX_STAR_NLINK);
	default:
		return 0;
	}
}

/* ---- the loop -------------------------------------------------------- */

/* Bytes the regular files of the current tree take on the host. */
static uint64_t tree_blocks(const struct exec *x)
{
	uint64_t n = 0;
	struct stat st;
	size_t i;

	for (i = 0; i < x->cur.n; i++)
		if (x->cur.e[i].type == 'f' &&
		    !fstatat(x->root, x->cur.e[i].path, &st,
			     AT_SYMLINK_NOFOLLOW))
			n += (uint64_t)st.st_blocks * 512;
	return n;
}

/* Does op write data of op->length bytes (its pattern)? */
static bool writes_data(const struct torn_fsops_op *op)
{
	return op->kind == TORN_FSOPS_WRITE || op->kind == TORN_FSOPS_PWRITE ||
	       op->kind == TORN_FSOPS_APPEND ||
	       op->kind == TORN_FSOPS_MMAP_WRITE;
}

/*
 * capacity: would op, which writes or allocates, overflow it?  It adds
 * what it writes past the end of f, its file (a write inside the file
 * reuses its blocks, holes aside).
 */
static int fits(struct exec *x, const struct torn_fsops_op *op,
		const struct fsx_entry *f)
{
	uint64_t used, size = f && f->size > 0 ? (uint64_t)f->size : 0;
	uint64_t off = op->kind == TORN_FSOPS_APPEND ? size : op->offset;
	uint64_t add = op->length;

	if (!x->o->capacity ||
	    (!writes_data(op) && (op->kind != TORN_FSOPS_FALLOCATE ||
				  (op->flags & TORN_FSOPS_PUNCH_HOLE))))
		return 0;
	if (off < size)
		add = off + op->length > size ? off + op->length - size : 0;
	used = tree_blocks(x);
	if (used + add <= x->o->capacity)
		return 0;
	return op_fail(x, TORN_E_RANGE,
		       "the files would need %llu KiB, more than the %llu MiB "
		       "the filesystem holds (%llu KiB in files before it)",
		       (unsigned long long)((used + add) >> 10),
		       (unsigned long long)(x->o->capacity >> 20),
		       (unsigned long long)(used >> 10));
}

static void hook(struct exec *x, int after)
{
	if (x->o->hook)
		x->o->hook(x->o->hook_arg, x->n, after);
}

/* Inodes a path names (itself and what it leads to): their hashes change. */
static size_t dirty_inodes(struct exec *x, const struct torn_fsops_op *op,
			   struct fsx_entry *dirty)
{
	const char *paths[2] = { op->path, op->path2 };
	size_t n = 0, k;
	struct stat st;

	for (k = 0; k < 2; k++) {
		if (!paths[k])
			continue;
		if (!fstatat(x->root, paths[k], &st, AT_SYMLINK_NOFOLLOW)) {
			dirty[n].dev = st.st_dev;
			dirty[n++].ino = st.st_ino;
		}
		if (!fstatat(x->root, paths[k], &st, 0)) {
			dirty[n].dev = st.st_dev;
			dirty[n++].ino = st.st_ino;
		}
	}
	return n;
}

static int run_op(struct exec *x, size_t n, const struct torn_fsops_op *op)
{
	const struct fsx_entry *b;
	struct fsx_entry dirty[4] = { 0 };
	struct pathset touch = { 0 };
	uint8_t *data = NULL;
	char why[512];
	size_t ndirty, i;
	int ret, durability = torn_fsops_op_is_durability(op);

	x->n = n;
	x->op = op;
	x->detail[0] = 0;
	x->has_inode = 0;
	x->size_before = x->size_after = 0;
	x->wstart = x->wend = 0;
	dump_path(op->path, x->p1, sizeof(x->p1));
	dump_path(op->path2, x->p2, sizeof(x->p2));
	hook(x, 0);
	b = fsx_tree_find(&x->cur, x->p1);
	ret = fits(x, op, b);
	if (ret)
		return ret;
	if ((op->kind == TORN_FSOPS_FSYNC ||
	     op->kind == TORN_FSOPS_FDATASYNC) &&
	    b && b->type == 'l')
		return op_fail(x, TORN_E_USAGE,
			       "%s is a symbolic link; name what it points to",
			       x->p1);
	if (writes_data(op)) {
		data = malloc(op->length);
		if (!data)
			return op_fail(x, -ENOMEM, "out of memory");
		torn_fsops_pattern_fill(&op->pattern, 0, data, op->length);
	}
	ndirty = dirty_inodes(x, op, dirty);

	torn_mark(TORN_MARK_ID_OP_BEGIN, n, op->text, strlen(op->text));
	ret = do_op(x, op, data);
	torn_mark(TORN_MARK_ID_OP_END, n, NULL, 0);
	free(data);
	if (ret)
		return op_fail(x, ret, "%s",
			       x->detail[0] ? x->detail : strerror(-ret));
	if (durability)
		torn_mark(TORN_MARK_ID_DURABLE, n, op->text, strlen(op->text));

	ret = fsx_tree_read(x->root, &x->cur, dirty, ndirty, &x->next, why,
			    sizeof(why));
	if (ret)
		return op_fail(x, ret, "after it: %s", why);
	emit(x, "op %zu %d %s\n", n, op->atomic, op->text);
	if (op->kind < TORN_FSOPS_MSYNC) {
		ret = touched(x, &touch);
		for (i = 0; i < touch.n && !ret; i++)
			emit(x, "touch %zu %s\n", n, touch.p[i]);
		if (!ret && op->atomic)
			ret = atomic_records(x, &touch);
		if (!ret)
			ret = settle_touched(x, &touch);
		if (!ret)
			ret = note_pending(x);
	}
	pathset_free(&touch);
	if (!ret && durability)
		ret = promises(x);
	if (ret == -ENOMEM)
		return op_fail(x, ret, "out of memory");
	if (ret)
		return ret;
	if (x->o->expected)
		fflush(x->o->expected);
	/* the new tree becomes the current one */
	fsx_tree_free(&x->cur);
	x->cur = x->next;
	memset(&x->next, 0, sizeof(x->next));
	hook(x, 1);
	return 0;
}

/* The tree before the workload is durable: the base image. */
static int initial_records(struct exec *x)
{
	size_t i;

	for (i = 0; i < x->cur.n; i++) {
		struct path_rec *r = rec_get(x, x->cur.e[i].path);

		if (!r)
			return -ENOMEM;
		unsigned int stars = 0;

		r->valid = r->seen = r->name_durable = 1;
		r->name_kind = NAME_INITIAL;
		if (fsx_entry_copy(&r->p, &x->cur.e[i]) ||
		    content_carry(x, &x->cur.e[i], &stars))
			return -ENOMEM;
	}
	return 0;
}

int torn_fsops_exec(const struct torn_fsops *w, const char *mnt,
		    const struct torn_fsops_exec_opts *o, struct torn_err *err)
{
	struct exec x = { .w = w, .o = o, .err = err };
	char why[512];
	mode_t umask_was = umask(0);
	size_t i;
	int ret;

	x.flush = torn_flush_best();
	x.page = sysconf(_SC_PAGESIZE);
	x.root = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x.root < 0) {
		ret = -errno;
		torn_err_set(err, ret, "cannot open %s: %s", mnt,
			     strerror(errno));
		goto out;
	}
	ret = fsx_tree_read(x.root, NULL, NULL, 0, &x.cur, why, sizeof(why));
	if (ret) {
		torn_err_set(err, ret, "%s: %s", mnt, why);
		goto out;
	}
	ret = initial_records(&x);
	if (ret) {
		torn_err_set(err, ret, "out of memory");
		goto out;
	}
	emit(&x, "# torn expected v1\n# fsops %s\n", w->name);
	for (i = 0; i < w->nops && !ret; i++)
		ret = run_op(&x, i + 1, &w->ops[i]);
	if (o->expected && fflush(o->expected) && !ret) {
		ret = -errno;
		torn_err_set(err, ret, "cannot write the expected records: %s",
			     strerror(errno));
	}
out:
	for (i = 0; i < x.nmaps; i++)
		munmap(x.maps[i].addr, x.maps[i].len);
	free(x.maps);
	for (i = 0; i < x.ninodes; i++) {
		free(x.inodes[i].mapped);
		fsx_entry_clear(&x.inodes[i].content);
	}
	free(x.inodes);
	for (i = 0; i < x.nrecs; i++) {
		free(x.recs[i].path);
		fsx_entry_clear(&x.recs[i].p);
	}
	free(x.recs);
	fsx_tree_free(&x.cur);
	fsx_tree_free(&x.next);
	if (x.root >= 0)
		close(x.root);
	umask(umask_was);
	return ret;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int torn_fsops_dry_run(const struct torn_fsops *w, FILE *expected,
		       struct torn_err *err)
{
	struct torn_fsops_exec_opts o = { .expected = expected,
					  .host = 1,
					  .capacity = TORN_FSOPS_CAPACITY };
	const char *base = getenv("TMPDIR");
	char dir[4096];
	int ret;

	if (!access("/dev/shm", W_OK))
		base = "/dev/shm";
	else if (!base || !*base)
		base = "/tmp";
	snprintf(dir, sizeof(dir), "%s/torn-fsops-XXXXXX", base);
	if (!mkdtemp(dir))
		return torn_err_set(err, -errno,
				    "cannot make a directory in %s: %s", base,
				    strerror(errno));
	ret = torn_fsops_exec(w, dir, &o, err);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return ret;
}
