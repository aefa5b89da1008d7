/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Restoring a checker's NVDIMM image between states, side by side: the
 * restore by changed pages (check_restore_state: the pages recovery
 * wrote, the last delta, the lines persisted since) against the former
 * way (a full page compare of the image buffer with the persisted image,
 * the delta applied, a second full compare of the backing file with the
 * buffer), at 64 MiB and 512 MiB.  One JSON line per size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "restore.h"

#define DIRTY 64 /* pages recovery writes (a median of 33 in real checks) */
#define LINES 36 /* in-flight lines of a state */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 11;
}

/* Recovery writes a few pages: the journal, a superblock, some inodes. */
static void dirty(uint8_t *pm, size_t size, struct check_pages *mark,
		  uint64_t *seed)
{
	unsigned int i;

	for (i = 0; i < DIRTY; i++) {
		uint64_t pg = next(seed) % (size / CHECK_PAGE);

		pm[pg * CHECK_PAGE + i] ^= 0x5a;
		if (mark)
			check_pages_mark(mark, pg * CHECK_PAGE, 1);
	}
}

static void bench(size_t mib, int rounds)
{
	size_t size = mib << 20;
	uint8_t *persisted = malloc(size), *pm = malloc(size);
	uint8_t *img = malloc(size), data[LINES][64];
	struct torn_delta_ent ent[LINES];
	struct torn_crash_state cs = { .n_delta = LINES, .delta = ent };
	struct check_pages stale;
	uint64_t seed = 42, copied = 0;
	double t, t_new = 0, t_old = 0;
	int r, i;

	if (!persisted || !pm || !img || check_pages_init(&stale, size))
		exit(1);
	memset(persisted, 0x11, size);
	memcpy(pm, persisted, size);
	memcpy(img, persisted, size);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < LINES; i++) {
			ent[i].offset = next(&seed) % (size / 64) * 64;
			ent[i].len = 64;
			memset(data[i], (int)r, 64);
			ent[i].data = data[i];
		}
		dirty(pm, size, &stale, &seed);
		t = now();
		copied += check_restore_state(pm, persisted, &cs, &stale, NULL);
		t_new += now() - t;
		dirty(pm, size, NULL, &seed);
		t = now();
		check_restore(img, persisted, size);
		torn_state_apply(&cs, img);
		check_restore(pm, img, size);
		t_old += now() - t;
	}
	printf("{\"bench\":\"restore\",\"image_mib\":%zu,\"dirty_pages\":%d,\"delta_lines\":%d,\"rounds\":%d,"
	       "\"changed_pages_ms\":%.3f,\"two_full_compares_ms\":%.2f,\"speedup\":%.0f,\"pages_copied_per_round\":%.1f}\n",
	       mib, DIRTY, LINES, rounds, t_new * 1000 / rounds,
	       t_old * 1000 / rounds, t_old / (t_new > 0 ? t_new : 1e-9),
	       (double)copied / rounds);
	check_pages_fini(&stale);
	free(persisted);
	free(pm);
	free(img);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;

	bench(64, rounds);
	bench(512, rounds > 4 ? rounds / 4 : 1);
	return 0;
}
