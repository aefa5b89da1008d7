/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PAGEMAP_SCAN over one mapping: the pages written since the last scan,
 * protected again.  Header-only, with no torn header, so that both torn
 * (wp.c, on QEMU's /proc/PID/pagemap) and the shim (wp_shim.c, on
 * QEMU's own /proc/self/pagemap, for a remote checker) build it.  The
 * uapi (linux/fs.h, Linux 6.7) is spelled out: Debian 12's headers are
 * 6.1's; the layout is the kernel's ABI.
 */
#ifndef TORN_VM_WP_SCAN_H
#define TORN_VM_WP_SCAN_H

#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>

struct wp_page_region {
	uint64_t start, end, categories;
};

struct wp_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask;
	uint64_t return_mask;
};

#define WP_PAGEMAP_SCAN _IOWR('f', 16, struct wp_scan_arg)
#define WP_SCAN_WP_MATCHING (1 << 0)
#define WP_SCAN_CHECK_WPASYNC (1 << 1)
#define WP_PAGE_IS_WRITTEN (1 << 1)

/*
 * fn(offset in the mapping, length, ctx) for each written range of
 * [addr, addr + len), in order.  0; -errno when the kernel refused;
 * -EAGAIN when a scan made no progress.
 */
static inline int
wp_scan_mapping(int pagemap, uint64_t addr, uint64_t len,
		void (*fn)(uint64_t off, uint64_t n, void *ctx), void *ctx)
{
	struct wp_page_region v[256];
	uint64_t at = addr, end = addr + len;

	while (at < end) {
		struct wp_scan_arg s = {
			.size = sizeof(s),
			.flags = WP_SCAN_WP_MATCHING | WP_SCAN_CHECK_WPASYNC,
			.start = at,
			.end = end,
			.vec = (uintptr_t)v,
			.vec_len = sizeof(v) / sizeof(*v),
			.category_mask = WP_PAGE_IS_WRITTEN,
			.return_mask = WP_PAGE_IS_WRITTEN,
		};
		long n = ioctl(pagemap, WP_PAGEMAP_SCAN, &s);

		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++)
			fn(v[i].start - addr, v[i].end - v[i].start, ctx);
		if (s.walk_end <= at)
			return -EAGAIN;
		at = s.walk_end;
	}
	return 0;
}

/*
 * A remote checker's ask and answer (wp_shim.c and harness/check/
 * remote.c): torn writes a sequence number into the ask file; the shim
 * scans and writes the ranges, then this header, into the answer file.
 */
#define WP_ANSWER_MAGIC 0x7473776e726f7400ull /* "\0tornwst" */
#define WP_ANSWER_OK 0
#define WP_ANSWER_FAILED 1 /* the scan failed: what was written unknown */
#define WP_ANSWER_FULL 2 /* more ranges than the answer file holds */

struct wp_answer {
	uint64_t magic, seq, status, nranges;
	/* then nranges pairs of uint64_t: offset, length */
};

#endif
