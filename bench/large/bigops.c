/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bigops N [TARGET]: N operations on a MAP_SYNC mapping of TARGET/bigops.dat
 * (4 MiB), each an op between markers that stores a 64-byte record
 * (sequence number, then a checksum word last) to the next line of a ring,
 * writes it back with clwb and fences: N crash points, a large trace.
 */
#include <linux/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "torn_mark.h"

#define RING (4u << 20)
#define LINE 64u

static void persist_line(void *p)
{
	__asm__ __volatile__("clwb (%0)" ::"r"(p) : "memory");
	__asm__ __volatile__("sfence" ::: "memory");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : "/mnt";
	char path[4096], *end;
	unsigned long long n, i;
	uint64_t *base;
	int fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s N [TARGET]\n", argv[0]);
		return 2;
	}
	errno = 0;
	n = strtoull(argv[1], &end, 10);
	if (errno || *end || !n) {
		fprintf(stderr, "%s: bad count '%s'\n", argv[0], argv[1]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bigops.dat", dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, RING) || fsync(fd)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], path, strerror(errno));
		return 1;
	}
	base = mmap(NULL, RING, PROT_READ | PROT_WRITE,
		    MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	if (base == MAP_FAILED) {
		fprintf(stderr, "%s: mmap MAP_SYNC %s: %s\n", argv[0], path,
			strerror(errno));
		return 1;
	}
	torn_mark_start();
	for (i = 1; i <= n; i++) {
		uint64_t *rec = base + ((i - 1) % (RING / LINE)) * (LINE / 8);
		uint64_t sum = i;
		unsigned int w;

		torn_mark(TORN_MARK_ID_OP_BEGIN, i, "record", 6);
		for (w = 0; w < 7; w++) {
			rec[w] = i * 0x9e3779b97f4a7c15ull + w;
			sum ^= rec[w];
		}
		rec[7] = sum;
		persist_line(rec);
		torn_mark(TORN_MARK_ID_OP_END, i, NULL, 0);
		torn_mark(TORN_MARK_ID_DURABLE, i, "record", 6);
	}
	torn_mark_stop();
	printf("%s: %llu records written to %s\n", argv[0], n, path);
	return 0;
}
