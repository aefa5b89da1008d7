/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which pages of its NVDIMM a guest wrote (wp.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "wp.h"

/*
 * PAGEMAP_SCAN's uapi (linux/fs.h, Linux 6.7), spelled out: Debian 12's
 * headers are 6.1's.  The layout is the kernel's ABI.
 */
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

void torn_wp_close(struct torn_wp *w)
{
	if (w->pagemap >= 0)
		close(w->pagemap);
	w->pagemap = -1;
}

bool torn_wp_on(const struct torn_wp *w)
{
	return w->pagemap >= 0;
}

int torn_wp_open(struct torn_wp *w, pid_t pid, const char *workdir,
		 struct torn_err *err)
{
	char path[4200], line[256] = "";
	unsigned long long addr, len;
	FILE *f;

	memset(w, 0, sizeof(*w));
	w->pagemap = -1;
	snprintf(path, sizeof(path), "%s/" TORN_WP_STATUS_NAME, workdir);
	f = fopen(path, "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return torn_err_set(err, TORN_E_NOTFOUND,
				    "the write-tracking shim wrote no %s",
				    path);
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "ok %llx %llx", &addr, &len) != 2 || !len)
		return torn_err_set(err, TORN_E_NOTFOUND,
				    "write tracking is off: %.200s", line);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	w->pagemap = open(path, O_RDONLY | O_CLOEXEC);
	if (w->pagemap < 0)
		return torn_err_set(err, TORN_E_NOTFOUND, "%s: %s", path,
				    strerror(errno));
	w->addr = addr;
	w->len = len;
	return 0;
}

int torn_wp_scan(struct torn_wp *w, torn_wp_range_fn fn, void *ctx,
		 struct torn_err *err)
{
	struct wp_page_region v[256];
	uint64_t at = w->addr, end = w->addr + w->len;

	if (w->pagemap < 0)
		return torn_err_set(err, TORN_E_NOTFOUND,
				    "write tracking is off");
	w->scans++;
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
		long n = ioctl(w->pagemap, WP_PAGEMAP_SCAN, &s);
		long i;

		if (n < 0)
			return torn_err_set(err, -errno, "PAGEMAP_SCAN: %s",
					    strerror(errno));
		for (i = 0; i < n; i++) {
			fn(v[i].start - w->addr, v[i].end - v[i].start, ctx);
			w->pages += (v[i].end - v[i].start) / 4096;
		}
		if (s.walk_end <= at)
			return torn_err_set(
				err, TORN_E_GUEST,
				"PAGEMAP_SCAN made no progress at %#" PRIx64,
				at);
		at = s.walk_end;
	}
	return 0;
}
