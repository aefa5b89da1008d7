/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The canonical semantic dump of a directory tree (no timestamps). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "torn_dir.h"

struct inode_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct dump_ctx {
	struct torn_buf *out;
	struct inode_seen *seen;
	size_t nseen, capseen;
	char *err;
	size_t errlen;
};

/* FNV-1a, 64 bit: enough to tell file contents apart in a dump. */
static int hash_file(int dirfd, const char *name, uint64_t *h)
{
	unsigned char buf[65536];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	*h = 0xcbf29ce484222325ull;
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++) {
			*h ^= buf[i];
			*h *= 0x100000001b3ull;
		}
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

static void emit(struct dump_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emit(struct dump_ctx *c, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	torn_buf_append(c->out, line, n);
}

static const char *first_link(struct dump_ctx *c, const struct stat *st,
			      const char *path)
{
	size_t i;

	for (i = 0; i < c->nseen; i++)
		if (c->seen[i].dev == st->st_dev &&
		    c->seen[i].ino == st->st_ino)
			return c->seen[i].path;
	if (c->nseen == c->capseen) {
		size_t cap = c->capseen ? 2 * c->capseen : 16;
		struct inode_seen *p = realloc(c->seen, cap * sizeof(*p));

		if (!p)
			return NULL;
		c->seen = p;
		c->capseen = cap;
	}
	c->seen[c->nseen].dev = st->st_dev;
	c->seen[c->nseen].ino = st->st_ino;
	c->seen[c->nseen].path = strdup(path);
	c->nseen++;
	return NULL;
}

static int dump_dir(struct dump_ctx *c, int dirfd, const char *rel)
{
	char **names;
	size_t n, i;
	int ret = torn_dir_names(dirfd, &names, &n);

	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", rel, names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW)) {
			emit(c, "? %s %s\n", strerror(errno), path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			emit(c, "d %04o %s\n", st.st_mode & 07777, path);
			if (sub < 0) {
				emit(c, "? %s %s/\n", strerror(errno), path);
				continue;
			}
			ret = dump_dir(c, sub, path);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			const char *first = NULL;
			uint64_t h = 0;
			int hr = hash_file(dirfd, names[i], &h);

			if (st.st_nlink > 1)
				first = first_link(c, &st, path);
			if (hr)
				emit(c, "f %04o %lu %lld unreadable:%s %s",
				     st.st_mode & 07777,
				     (unsigned long)st.st_nlink,
				     (long long)st.st_size, strerror(-hr),
				     path);
			else
				emit(c, "f %04o %lu %lld %016llx %s",
				     st.st_mode & 07777,
				     (unsigned long)st.st_nlink,
				     (long long)st.st_size,
				     (unsigned long long)h, path);
			if (first)
				emit(c, " = %s", first);
			emit(c, "\n");
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t len = readlinkat(dirfd, names[i], target,
						 sizeof(target) - 1);

			target[len < 0 ? 0 : len] = 0;
			emit(c, "l %s %s\n", target, path);
		} else {
			emit(c, "o %04o %o %s\n", st.st_mode & 07777,
			     st.st_mode & S_IFMT, path);
		}
	}
	torn_dir_names_free(names, n);
	return ret;
}

int agent_dump_tree(const char *dir, struct torn_buf *out, char *err,
		    size_t errlen)
{
	struct dump_ctx c = { .out = out, .err = err, .errlen = errlen };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;
	struct stat st;
	size_t i;

	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -errno;
	}
	if (!fstat(fd, &st))
		emit(&c, "d %04o .\n", st.st_mode & 07777);
	ret = dump_dir(&c, fd, ".");
	close(fd);
	for (i = 0; i < c.nseen; i++)
		free(c.seen[i].path);
	free(c.seen);
	if (ret)
		snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}
