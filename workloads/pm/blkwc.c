/* SPDX-License-Identifier: GPL-2.0-or-later */
/* blk-wc: rounds of O_DIRECT block writes, each flushed, then acknowledged. */
#include "blkwc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pm_util.h"

unsigned int blk_block(unsigned int r, unsigned int k)
{
	/* strides that revisit blocks: later rounds overwrite earlier ones */
	return (r * 5u + k * 7u) % BLK_NBLOCKS;
}

int blk_round_writes(unsigned int r, unsigned int b)
{
	for (unsigned int k = 0; k < BLK_PER_ROUND; k++)
		if (blk_block(r, k) == b)
			return 1;
	return 0;
}

void blk_record(unsigned int r, unsigned int b, uint8_t out[BLK_SIZE])
{
	uint64_t v;

	v = BLK_MAGIC;
	memcpy(out, &v, 8);
	v = r;
	memcpy(out + 8, &v, 8);
	v = b;
	memcpy(out + 16, &v, 8);
	for (unsigned int g = 3; g < BLK_SIZE / 8 - 1; g++) {
		v = pm_mix((uint64_t)r * BLK_NBLOCKS + b, g);
		memcpy(out + 8 * g, &v, 8);
	}
	v = pm_fnv(PM_FNV_INIT, out, BLK_SIZE - 8);
	memcpy(out + BLK_SIZE - 8, &v, 8);
}

/* The round a block holds: 0 all zero, -1 neither zero nor a record. */
static long holds(const uint8_t *blk, unsigned int b)
{
	uint8_t want[BLK_SIZE];
	uint64_t r;
	size_t i;

	for (i = 0; i < BLK_SIZE && !blk[i]; i++)
		;
	if (i == BLK_SIZE)
		return 0;
	r = pm_get64(blk + 8);
	if (pm_get64(blk) != BLK_MAGIC || pm_get64(blk + 16) != b || !r ||
	    r > BLK_ROUNDS)
		return -1;
	blk_record((unsigned int)r, b, want);
	return memcmp(blk, want, BLK_SIZE) ? -1 : (long)r;
}

int blk_verify(const uint8_t *region, uint64_t acked, uint64_t begun, char *why,
	       size_t whylen)
{
	for (unsigned int b = 0; b < BLK_NBLOCKS; b++) {
		const uint8_t *blk = region + (size_t)b * BLK_SIZE;
		unsigned int must = 0; /* the last acknowledged round of b */
		long r = holds(blk, b);

		for (unsigned int x = 1; x <= acked && x <= BLK_ROUNDS; x++)
			if (blk_round_writes(x, b))
				must = x;
		if (r < 0) {
			snprintf(
				why, whylen,
				"block %u is torn or foreign: neither zero nor a round's record",
				b);
			return PM_INCONSISTENT;
		}
		if (r && (!blk_round_writes((unsigned int)r, b) ||
			  (uint64_t)r > begun)) {
			snprintf(
				why, whylen,
				"block %u holds round %ld, which never wrote it (%" PRIu64
				" rounds begun)",
				b, r, begun);
			return PM_INCONSISTENT;
		}
		if ((unsigned int)r < must) {
			snprintf(
				why, whylen,
				"block %u lost acknowledged round %u: it holds %s%ld (round %" PRIu64
				" acknowledged)",
				b, must, r ? "round " : "zeros, round ", r,
				acked);
			return PM_INCONSISTENT;
		}
	}
	return PM_CONSISTENT;
}

int blk_main(int argc, char **argv, int flush)
{
	const char *dev;
	uint8_t *buf;
	int host, fd;

	if (pm_parse_args(argc, argv, "/dev/mapper/torn-wc", &dev, &host))
		return 2;
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", argv[0], dev,
			strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&buf, BLK_SIZE, BLK_SIZE)) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		close(fd);
		return 1;
	}
	for (unsigned int r = 1; r <= BLK_ROUNDS; r++) {
		char what[96];

		snprintf(what, sizeof(what), "round %u: blocks %u %u%s", r,
			 blk_block(r, 0), blk_block(r, 1),
			 flush ? ", fdatasync" : " (no FLUSH)");
		pm_op_begin(r, what);
		for (unsigned int k = 0; k < BLK_PER_ROUND; k++) {
			unsigned int b = blk_block(r, k);
			off_t off = (off_t)(BLK_REGION_OFF +
					    (uint64_t)b * BLK_SIZE);

			blk_record(r, b, buf);
			if (pwrite(fd, buf, BLK_SIZE, off) != BLK_SIZE) {
				fprintf(stderr, "%s: pwrite %s at %lld: %s\n",
					argv[0], dev, (long long)off,
					strerror(errno));
				return 1;
			}
		}
		/* on a block device: the FLUSH that commits the cache */
		if (flush && fdatasync(fd)) {
			fprintf(stderr, "%s: fdatasync %s: %s\n", argv[0], dev,
				strerror(errno));
			return 1;
		}
		pm_op_end(r);
		pm_durable(r, what);
	}
	free(buf);
	close(fd);
	printf("%s: %u rounds of %u blocks written to %s%s\n", argv[0],
	       BLK_ROUNDS, BLK_PER_ROUND, dev,
	       flush ? ", each flushed" : " without FLUSH");
	return 0;
}
