/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The smoke test's MAP_SYNC check: write, flush, unmap, read back. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "torn_flush.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define CHECK_SIZE 8192

/* Map, fill, flush, unmap; then read back through a fresh view. */
int agent_mapsync_check(const char *path, char *detail, size_t len)
{
	enum torn_flush_insn how = torn_flush_best();
	const char *mapping = "MAP_SYNC";
	struct stat st;
	size_t size = CHECK_SIZE, i;
	int devdax, fd;
	char *p;

	devdax = !stat(path, &st) && S_ISCHR(st.st_mode);
	if (devdax)
		size = 2u << 20; /* device-dax maps whole aligned pages */
	fd = open(path,
		  devdax ? O_RDWR | O_CLOEXEC
			 : O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		snprintf(detail, len, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (!devdax && ftruncate(fd, size)) {
		snprintf(detail, len, "ftruncate %s: %s", path,
			 strerror(errno));
		goto out_fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (p == MAP_FAILED && devdax) {
		mapping = "MAP_SHARED";
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	if (p == MAP_FAILED) {
		snprintf(detail, len, "mmap %s %s: %s", mapping, path,
			 strerror(errno));
		goto out_fail;
	}
	for (i = 0; i < size; i++)
		p[i] = (char)(i * 7 + 3);
	torn_flush_range(how, p, size);
	munmap(p, size);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(detail, len, "mmap for read-back %s: %s", path,
			 strerror(errno));
		goto out_fail;
	}
	for (i = 0; i < size; i++)
		if (p[i] != (char)(i * 7 + 3)) {
			snprintf(detail, len, "byte %zu reads back wrong", i);
			munmap(p, size);
			goto out_fail;
		}
	munmap(p, size);
	close(fd);
	snprintf(detail, len,
		 "%zu bytes written through a %s mapping, "
		 "flushed with %s, read back intact",
		 size, mapping, torn_flush_insn_name(how));
	return 0;
out_fail:
	close(fd);
	return -1;
}
