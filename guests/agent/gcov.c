/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest kernel's gcov counters: reset them, and send them to the host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "gcda.h"

#define GCOV_DIR "/sys/kernel/debug/gcov"

static int gcov_present(char *err, size_t len)
{
	struct stat st;

	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) &&
	    errno != EBUSY) {
		snprintf(err, len, "mount debugfs: %s", strerror(errno));
		return -1;
	}
	if (stat(GCOV_DIR, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(
			err, len,
			"no %s: the guest kernel has no gcov (torn kernel build --gcov)",
			GCOV_DIR);
		return -1;
	}
	return 0;
}

int agent_gcov_reset(char *err, size_t len)
{
	int fd;

	if (gcov_present(err, len))
		return -1;
	fd = open(GCOV_DIR "/reset", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		snprintf(err, len, "reset %s: %s", GCOV_DIR, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void put_u32(struct torn_buf *b, uint32_t v)
{
	unsigned char le[4] = { v, v >> 8, v >> 16, v >> 24 };

	torn_buf_append(b, le, 4);
}

/* The header, then records of (tag, length in bytes, payload): gcda.h. */
int agent_gcda_reached(const unsigned char *p, size_t len)
{
	size_t pos = TORN_GCDA_HEADER_WORDS * 4;

	while (pos + 8 <= len) {
		uint32_t tag = torn_gcda_u32(p + pos);
		uint32_t rlen = torn_gcda_u32(p + pos + 4);

		pos += 8;
		if (rlen > len - pos)
			return 1;
		if (torn_gcda_is_counter_tag(tag))
			for (uint32_t k = 0; k < rlen; k++)
				if (p[pos + k])
					return 1;
		pos += rlen;
	}
	return pos != len;
}

/*
 * Every .gcda below dir (a path under GCOV_DIR) into out; with changed,
 * only those agent_gcda_reached.
 */
static int walk(const char *dir, int changed, struct torn_buf *out,
		unsigned int *n, char *err, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		snprintf(err, len, "opendir %s: %s", dir, strerror(errno));
		return -1;
	}
	while (!ret && (e = readdir(d))) {
		char path[4096], buf[65536];
		size_t nl = strlen(e->d_name);
		struct torn_buf data = { 0 };
		struct stat st;
		ssize_t got;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			ret = walk(path, changed, out, n, err, len);
			continue;
		}
		/* the .gcno entries are symlinks into the build tree */
		if (!S_ISREG(st.st_mode) || nl < 6 ||
		    strcmp(e->d_name + nl - 5, ".gcda"))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, len, "open %s: %s", path,
				 strerror(errno));
			ret = -1;
			break;
		}
		while ((got = read(fd, buf, sizeof(buf))) > 0)
			torn_buf_append(&data, buf, got);
		close(fd);
		if (changed && !agent_gcda_reached(data.data, data.len)) {
			torn_buf_free(&data);
			continue;
		}
		put_u32(out, strlen(path) - strlen(GCOV_DIR));
		torn_buf_append(out, path + strlen(GCOV_DIR),
				strlen(path) - strlen(GCOV_DIR));
		put_u32(out, data.len);
		torn_buf_append(out, data.data, data.len);
		torn_buf_free(&data);
		(*n)++;
	}
	closedir(d);
	return ret;
}

int agent_gcov_dump(struct torn_buf *out, int changed, unsigned int *files,
		    char *err, size_t len)
{
	*files = 0;
	if (gcov_present(err, len))
		return -1;
	return walk(GCOV_DIR, changed, out, files, err, len);
}
