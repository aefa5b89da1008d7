/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built-in workload: writes through a plain shared mapping, made durable by
 * msync. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "torn_mark.h"

#define SIZE (64 * 1024)

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/mnt/msync-file";
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), i;
	char *p;

	if (fd < 0 || ftruncate(fd, SIZE)) {
		fprintf(stderr, "wl-msync: %s: %s\n", path, strerror(errno));
		return 1;
	}
	/* fsync the size so that only the data is left to msync */
	if (fsync(fd)) {
		fprintf(stderr, "wl-msync: fsync: %s\n", strerror(errno));
		return 1;
	}
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "wl-msync: mmap: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < 4; i++) {
		char what[64];

		snprintf(what, sizeof(what), "write page %d, msync", i);
		torn_mark(TORN_MARK_ID_OP_BEGIN, i + 1, what, strlen(what));
		memset(p + i * 4096 + 100, '0' + i, 3000);
		if (msync(p + i * 4096, 4096, MS_SYNC)) {
			fprintf(stderr, "wl-msync: msync: %s\n",
				strerror(errno));
			return 1;
		}
		torn_mark(TORN_MARK_ID_OP_END, i + 1, NULL, 0);
		torn_mark(TORN_MARK_ID_DURABLE, i + 1, what, strlen(what));
	}
	munmap(p, SIZE);
	close(fd);
	return 0;
}
