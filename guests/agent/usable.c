/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The usability oracle's guest half: create, write, sync, read, delete
 * everywhere. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

#define PROBE ".torn-usability-probe"

static int probe_dir(const char *dir, char *why, size_t len)
{
	char path[4096], buf[4096], back[4096];
	int fd;
	size_t i;

	snprintf(path, sizeof(path), "%s/" PROBE, dir);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 31 + 7);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(why, len, "create in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf) || fsync(fd) ||
	    pread(fd, back, sizeof(back), 0) != sizeof(back) ||
	    memcmp(buf, back, sizeof(buf))) {
		snprintf(why, len, "write/fsync/read back in %s: %s", dir,
			 errno ? strerror(errno) : "data differs");
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	if (unlink(path)) {
		snprintf(why, len, "delete in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int walk(const char *dir, int depth, char *why, size_t len)
{
	DIR *d;
	struct dirent *e;
	int ret;

	errno = 0;
	if (probe_dir(dir, why, len))
		return -1;
	if (depth > 32)
		return 0;
	d = opendir(dir);
	if (!d) {
		snprintf(why, len, "open %s: %s", dir, strerror(errno));
		return -1;
	}
	ret = 0;
	while (!ret && (e = readdir(d))) {
		char sub[4096];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (lstat(sub, &st) || !S_ISDIR(st.st_mode))
			continue;
		ret = walk(sub, depth + 1, why, len);
	}
	closedir(d);
	return ret;
}

int agent_usable(const char *dir, char *why, size_t len)
{
	why[0] = 0;
	return walk(dir, 0, why, len);
}
