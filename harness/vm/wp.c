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
#include "wp_scan.h"

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

struct scan_ctx {
	struct torn_wp *w;
	torn_wp_range_fn fn;
	void *ctx;
};

static void scan_range(uint64_t off, uint64_t len, void *arg)
{
	struct scan_ctx *x = arg;

	x->fn(off, len, x->ctx);
	x->w->pages += len / 4096;
}

int torn_wp_scan(struct torn_wp *w, torn_wp_range_fn fn, void *ctx,
		 struct torn_err *err)
{
	struct scan_ctx x = { .w = w, .fn = fn, .ctx = ctx };
	int ret;

	if (w->pagemap < 0)
		return torn_err_set(err, TORN_E_NOTFOUND,
				    "write tracking is off");
	w->scans++;
	ret = wp_scan_mapping(w->pagemap, w->addr, w->len, scan_range, &x);
	if (ret == -EAGAIN)
		return torn_err_set(err, TORN_E_GUEST,
				    "PAGEMAP_SCAN made no progress");
	if (ret)
		return torn_err_set(err, ret, "PAGEMAP_SCAN: %s",
				    strerror(-ret));
	return 0;
}
