/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mmap-msync: records through a shared mapping, made durable by msync. */
#include "mmsync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pm_util.h"

void mms_record(uint32_t seq, uint8_t out[MMS_REC_SIZE])
{
	uint64_t v, g;

	v = MMS_MAGIC;
	memcpy(out, &v, 8);
	v = seq;
	memcpy(out + 8, &v, 8);
	/* every other granule zero: fewer torn states (pmlog_fmt.h) */
	for (g = 2; g < MMS_REC_SIZE / 8 - 1; g++) {
		v = g % 2 ? 0 : pm_mix(seq, g);
		memcpy(out + 8 * g, &v, 8);
	}
	v = pm_fnv(PM_FNV_INIT, out, MMS_REC_SIZE - 8);
	memcpy(out + MMS_REC_SIZE - 8, &v, 8);
}

int mms_verify(const uint8_t *img, size_t len, uint64_t acked, char *why,
	       size_t whylen)
{
	uint8_t want[MMS_REC_SIZE];
	uint64_t i;

	for (i = 1; i <= acked; i++) {
		size_t off = (size_t)(i - 1) * MMS_PAGE + MMS_REC_OFF, b;
		unsigned int differ = 0, zero = 0;

		if (i > MMS_PAGES || off + MMS_REC_SIZE > len) {
			snprintf(why, whylen,
				 "acknowledged write %" PRIu64
				 " lies beyond the file's %zu bytes",
				 i, len);
			return PM_INCONSISTENT;
		}
		mms_record((uint32_t)i, want);
		for (b = 0; b < MMS_REC_SIZE; b++) {
			differ += img[off + b] != want[b];
			zero += img[off + b] == 0;
		}
		if (!differ)
			continue;
		snprintf(why, whylen,
			 "acknowledged write %" PRIu64 " (page %" PRIu64
			 ") is %s: %u of %u bytes differ",
			 i, i - 1, zero == MMS_REC_SIZE ? "missing" : "torn",
			 differ, MMS_REC_SIZE);
		return PM_INCONSISTENT;
	}
	return PM_CONSISTENT;
}

int mms_main(int argc, char **argv, int do_msync)
{
	struct pm_map view = { 0 }; /* for recording (host tests) */
	const char *target;
	char err[512];
	uint8_t *p;
	uint32_t i;
	int host, fd;

	if (pm_parse_args(argc, argv, "/mnt/" MMS_FILE, &target, &host))
		return 2;
	/* size and blocks durable first: only the data is left to msync */
	if (pm_create_file(target, MMS_SIZE, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	fd = open(target, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open %s: %s\n", argv[0], target,
			strerror(errno));
		return 1;
	}
	p = mmap(NULL, MMS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", argv[0], strerror(errno));
		close(fd);
		return 1;
	}
	view.base = p;
	view.len = MMS_SIZE;
	view.host = host;
	view.flush = pm_best_flush();
	pm_rec_start(&view);
	for (i = 1; i <= MMS_PAGES; i++) {
		uint8_t rec[MMS_REC_SIZE], *page = p + (i - 1) * MMS_PAGE;
		char what[64];
		unsigned int g;

		snprintf(what, sizeof(what), "write page %u%s", i - 1,
			 do_msync ? ", msync" : " (no msync)");
		pm_op_begin(i, what);
		mms_record(i, rec);
		for (g = 0; g < MMS_REC_SIZE; g += 8)
			pm_store64(page + MMS_REC_OFF + g, pm_get64(rec + g));
		if (do_msync && msync(page, MMS_PAGE, MS_SYNC)) {
			fprintf(stderr, "%s: msync: %s\n", argv[0],
				strerror(errno));
			return 1;
		}
		if (do_msync && pm_rec) {
			/* the kernel's part, as dax_writeback_one does it */
			for (g = 0; g < MMS_PAGE; g += PM_LINE)
				pm_rec_flush(view.flush, page + g);
			pm_rec_fence();
		}
		pm_op_end(i);
		pm_durable(i, what);
	}
	pm_rec_stop();
	munmap(p, MMS_SIZE);
	close(fd);
	printf("%s: %u pages written to %s%s\n", argv[0], MMS_PAGES, target,
	       do_msync ? ", each msync'ed" : " without msync");
	return 0;
}
