/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshots of the tree under test, printed as the agent's dump prints it. */
#include "fsops_tree.h"
#include "torn_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* O_NOATIME needs ownership or CAP_FOWNER; without either, do without. */
static int open_quiet(int dirfd, const char *name, int flags)
{
	int fd;

	flags |= O_CLOEXEC | O_NOFOLLOW;
	fd = openat(dirfd, name, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, flags);
	return fd;
}

static int hash_file(int dirfd, const char *name, uint64_t *h)
{
	unsigned char buf[65536];
	int fd = open_quiet(dirfd, name, O_RDONLY);
	ssize_t n;

	*h = TORN_FNV1A64_INIT;
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*h = torn_fnv1a64(*h, buf, n);
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

void fsx_entry_clear(struct fsx_entry *e)
{
	free(e->path);
	free(e->target);
	e->path = e->target = NULL;
}

int fsx_entry_copy(struct fsx_entry *dst, const struct fsx_entry *src)
{
	*dst = *src;
	dst->path = src->path ? strdup(src->path) : NULL;
	dst->target = src->target ? strdup(src->target) : NULL;
	if ((src->path && !dst->path) || (src->target && !dst->target)) {
		fsx_entry_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

int fsx_entry_same(const struct fsx_entry *a, const struct fsx_entry *b)
{
	if (a->type != b->type || a->mode != b->mode)
		return 0;
	switch (a->type) {
	case 'f':
		return a->nlink == b->nlink && a->size == b->size &&
		       a->hash == b->hash;
	case 'l':
		return !strcmp(a->target, b->target);
	case 'o':
		return a->fmt == b->fmt;
	}
	return 1;
}

void fsx_tree_free(struct fsx_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		fsx_entry_clear(&t->e[i]);
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct fsx_entry *)a)->path,
		      ((const struct fsx_entry *)b)->path);
}

const struct fsx_entry *fsx_tree_find(const struct fsx_tree *t,
				      const char *path)
{
	struct fsx_entry key = { .path = (char *)path };

	if (!t->n)
		return NULL;
	return bsearch(&key, t->e, t->n, sizeof(*t->e), by_path);
}

static struct fsx_entry *push(struct fsx_tree *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct fsx_entry *p = realloc(t->e, cap * sizeof(*p));

		if (!p)
			return NULL;
		t->e = p;
		t->cap = cap;
	}
	memset(&t->e[t->n], 0, sizeof(t->e[0]));
	return &t->e[t->n++];
}

struct reader {
	const struct fsx_tree *prev;
	const struct fsx_entry *dirty;
	size_t ndirty;
	struct fsx_tree *t;
	char *why;
	size_t len;
};

/* May a file's hash be taken from the previous snapshot? */
static const struct fsx_entry *reusable(const struct reader *r,
					const struct fsx_entry *e)
{
	const struct fsx_entry *p;
	size_t i;

	if (!r->prev)
		return NULL;
	p = fsx_tree_find(r->prev, e->path);
	if (!p || p->type != 'f' || p->dev != e->dev || p->ino != e->ino)
		return NULL;
	for (i = 0; i < r->ndirty; i++)
		if (r->dirty[i].dev == e->dev && r->dirty[i].ino == e->ino)
			return NULL;
	return p;
}

static int read_entry(struct reader *r, int dirfd, const char *name,
		      const char *path, int *is_dir)
{
	struct fsx_entry *e;
	struct stat st;
	int ret;

	*is_dir = 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		ret = -errno;
		snprintf(r->why, r->len, "cannot stat %s: %s", path,
			 strerror(errno));
		return ret;
	}
	e = push(r->t);
	if (!e)
		return -ENOMEM;
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->mode = st.st_mode & 07777;
	e->nlink = st.st_nlink;
	e->size = st.st_size;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	if (S_ISDIR(st.st_mode)) {
		e->type = 'd';
		*is_dir = 1;
	} else if (S_ISREG(st.st_mode)) {
		const struct fsx_entry *p;

		e->type = 'f';
		p = reusable(r, e);
		if (p) {
			e->hash = p->hash;
		} else {
			ret = hash_file(dirfd, name, &e->hash);
			if (ret) {
				snprintf(r->why, r->len, "cannot read %s: %s",
					 path, strerror(-ret));
				return ret;
			}
		}
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

		if (n < 0) {
			ret = -errno;
			snprintf(r->why, r->len, "cannot read link %s: %s",
				 path, strerror(errno));
			return ret;
		}
		target[n] = 0;
		e->type = 'l';
		e->target = strdup(target);
		if (!e->target)
			return -ENOMEM;
	} else {
		e->type = 'o';
		e->fmt = st.st_mode & S_IFMT;
	}
	return 0;
}

static int read_dir(struct reader *r, int dirfd, const char *rel)
{
	char **names;
	size_t n, i;
	int ret = torn_dir_names(dirfd, &names, &n);

	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		char path[4200];
		int is_dir, sub;

		snprintf(path, sizeof(path), "%s/%s", rel, names[i]);
		ret = read_entry(r, dirfd, names[i], path, &is_dir);
		if (ret || !is_dir)
			continue;
		sub = open_quiet(dirfd, names[i], O_RDONLY | O_DIRECTORY);
		if (sub < 0) {
			ret = -errno;
			snprintf(r->why, r->len, "cannot open %s: %s", path,
				 strerror(errno));
			break;
		}
		ret = read_dir(r, sub, path);
		close(sub);
	}
	torn_dir_names_free(names, n);
	return ret;
}

int fsx_tree_read(int rootfd, const struct fsx_tree *prev,
		  const struct fsx_entry *dirty, size_t ndirty,
		  struct fsx_tree *t, char *why, size_t len)
{
	struct reader r = { prev, dirty, ndirty, t, why, len };
	int ret, is_dir, fd;

	fsx_tree_free(t);
	why[0] = 0;
	/* the root through a fresh descriptor: readdir moves the offset */
	fd = open_quiet(rootfd, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, len, "cannot open the mount point: %s",
			 strerror(errno));
		return ret;
	}
	ret = read_entry(&r, fd, ".", ".", &is_dir);
	if (!ret)
		ret = read_dir(&r, fd, ".");
	close(fd);
	if (ret && !why[0])
		snprintf(why, len, "cannot read the tree: %s", strerror(-ret));
	if (!ret)
		qsort(t->e, t->n, sizeof(*t->e), by_path);
	return ret;
}

void fsx_line(const struct fsx_entry *e, const char *path, unsigned int stars,
	      char *buf, size_t len)
{
	char mode[8] = "*", nlink[24] = "*", size[24] = "*", hash[20] = "*",
	     fmt[12] = "*";

	if (!e) {
		snprintf(buf, len, "- %s", path);
		return;
	}
	if (!path)
		path = e->path;
	if (!(stars & FSX_STAR_MODE))
		snprintf(mode, sizeof(mode), "%04o", e->mode);
	switch (e->type) {
	case 'd':
		snprintf(buf, len, "d %s %s", mode, path);
		break;
	case 'f':
		if (!(stars & FSX_STAR_NLINK))
			snprintf(nlink, sizeof(nlink), "%lu", e->nlink);
		if (!(stars & FSX_STAR_SIZE))
			snprintf(size, sizeof(size), "%lld", e->size);
		if (!(stars & FSX_STAR_HASH))
			snprintf(hash, sizeof(hash), "%016llx",
				 (unsigned long long)e->hash);
		snprintf(buf, len, "f %s %s %s %s %s", mode, nlink, size, hash,
			 path);
		break;
	case 'l':
		snprintf(buf, len, "l %s %s",
			 stars & FSX_STAR_DETAIL ? "*" : e->target, path);
		break;
	default:
		if (!(stars & FSX_STAR_DETAIL))
			snprintf(fmt, sizeof(fmt), "%o", e->fmt);
		snprintf(buf, len, "o %s %s %s", mode, fmt, path);
	}
}
