/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * torn-blk-wc-check [DEVICE]: oracle of blk-wc and bug-wc-noflush.  The
 * device is $TORN_BLOCKDEV (the kind's block device) or the argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkwc.h"
#include "pm_util.h"

int main(int argc, char **argv)
{
	const char *dev = getenv("TORN_BLOCKDEV");
	size_t len = (size_t)BLK_NBLOCKS * BLK_SIZE;
	struct pm_markers mk;
	char why[512] = "";
	uint8_t *region;
	ssize_t got;
	int fd;

	if (!dev || !*dev)
		dev = argc > 1 ? argv[argc - 1] : NULL;
	if (!dev) {
		fprintf(stderr,
			"usage: %s DEVICE (or TORN_BLOCKDEV in the environment)\n",
			argv[0]);
		return PM_ERROR;
	}
	if (pm_markers_from_env(&mk)) {
		fprintf(stderr, "%s: malformed TORN_MARKERS\n", argv[0]);
		return PM_ERROR;
	}
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", argv[0], dev,
			strerror(errno));
		return PM_ERROR;
	}
	if (posix_memalign((void **)&region, BLK_SIZE, len)) {
		close(fd);
		return PM_ERROR;
	}
	/*
	 * One block a read: on Debian's 6.1 a read through dm-writecache
	 * that spans a cached block, an uncached one and a cached one
	 * returns the last wrong, crash or no crash (docs/findings.md, F8).
	 * This oracle judges what a crash left on the cache, not that.
	 */
	got = (ssize_t)len;
	errno = 0;
	for (size_t off = 0; off < len && got == (ssize_t)len; off += BLK_SIZE)
		if (pread(fd, region + off, BLK_SIZE,
			  (off_t)(BLK_REGION_OFF + off)) != BLK_SIZE)
			got = -1;
	close(fd);
	if (got != (ssize_t)len) {
		/* an acknowledged block that cannot be read is lost */
		printf("cannot read %s's blocks at %llu MiB: %s\n", dev,
		       BLK_REGION_OFF >> 20,
		       errno ? strerror(errno) : "short read");
		return mk.last_durable ? PM_INCONSISTENT : PM_CONSISTENT;
	}
	if (blk_verify(region, mk.last_durable, mk.last_begin, why,
		       sizeof(why))) {
		printf("%s\n", why);
		return PM_INCONSISTENT;
	}
	return PM_CONSISTENT;
}
