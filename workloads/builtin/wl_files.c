/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built-in workload: create, write, fsync, rename, fdatasync on a DAX
 * filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "torn_mark.h"

static unsigned long op;

static void begin(const char *what)
{
	torn_mark(TORN_MARK_ID_OP_BEGIN, ++op, what, strlen(what));
}

static void end(void)
{
	torn_mark(TORN_MARK_ID_OP_END, op, NULL, 0);
}

static void durable(const char *what)
{
	torn_mark(TORN_MARK_ID_DURABLE, op, what, strlen(what));
}

static int die(const char *what)
{
	fprintf(stderr, "wl-files: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char a[512], b[512], buf[4096];
	const char *dir = argc > 1 ? argv[1] : "/mnt";
	int fd, dfd, i;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = 'A' + i % 26;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return die(dir);

	begin("creat a");
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return die(a);
	end();
	begin("pwrite a 0 4096");
	if (pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf))
		return die("pwrite");
	end();
	begin("fsync a");
	if (fsync(fd))
		return die("fsync");
	end();
	durable("fsync a");
	begin("rename a b");
	if (rename(a, b))
		return die("rename");
	end();
	begin("fsync dir");
	if (fsync(dfd))
		return die("fsync dir");
	end();
	durable("fsync dir");
	begin("pwrite b 4096 100");
	if (pwrite(fd, buf, 100, 4096) != 100)
		return die("pwrite");
	end();
	begin("fdatasync b");
	if (fdatasync(fd))
		return die("fdatasync");
	end();
	durable("fdatasync b");
	close(fd);
	close(dfd);
	return 0;
}
