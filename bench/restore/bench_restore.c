/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Restoring a checker's 64 MiB NVDIMM image between states: page compare vs
 * full copy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "restore.h"

#define SIZE (64u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Recovery writes a few pages: the journal, a superblock, some inodes. */
static void dirty(uint8_t *img, unsigned int pages, unsigned int seed)
{
	unsigned int i;

	for (i = 0; i < pages; i++) {
		seed = seed * 1103515245 + 12345;
		img[(size_t)(seed % (SIZE / 4096)) * 4096 + i % 4096] ^= 0x5a;
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	uint8_t *want = malloc(SIZE), *file = malloc(SIZE);
	double t, compare = 0, copy = 0;
	uint64_t copied = 0;
	int r;

	if (!want || !file)
		return 1;
	memset(want, 0x11, SIZE);
	memcpy(file, want, SIZE);
	for (r = 0; r < rounds; r++) {
		dirty(file, 64, r);
		t = now();
		copied += check_restore(file, want, SIZE);
		compare += now() - t;
		dirty(file, 64, r);
		t = now();
		memcpy(file, want, SIZE);
		copy += now() - t;
	}
	printf("{\"bench\":\"restore\",\"image_mib\":64,\"dirty_pages\":64,\"rounds\":%d,"
	       "\"page_compare_ms\":%.2f,\"full_copy_ms\":%.2f,\"pages_copied_per_round\":%.1f}\n",
	       rounds, compare * 1000 / rounds, copy * 1000 / rounds,
	       (double)copied / rounds);
	free(want);
	free(file);
	return 0;
}
