/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which pages of its NVDIMM a guest wrote: the write-tracking shim
 * (wp_shim.c, preloaded into QEMU with torn_vm_config.wp_shim)
 * write-protects the backing file's mapping in QEMU with an asynchronous
 * userfaultfd; torn_wp_scan asks the kernel (PAGEMAP_SCAN on QEMU's
 * /proc/PID/pagemap, Linux 6.7) which pages were written since the last
 * scan, and protects them again.  Exact, and in proportion to what was
 * written: no scan of the image.  Writes by torn's own mapping of the
 * file are not QEMU's and are not reported.
 */
#ifndef TORN_VM_WP_H
#define TORN_VM_WP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "torn_err.h"

/* The shim's one-line report, in the guest's work directory. */
#define TORN_WP_STATUS_NAME "wp.status"

struct torn_wp {
	int pagemap; /* QEMU's /proc/PID/pagemap; -1: not open */
	uint64_t addr, len; /* the mapping in QEMU */
	uint64_t scans, pages; /* scans made, pages they reported */
};

/* A range of pages written: file offset and length, page multiples. */
typedef void (*torn_wp_range_fn)(uint64_t off, uint64_t len, void *ctx);

/*
 * Start tracking QEMU pid's writes, whose shim reported to
 * WORKDIR/wp.status: 0, or TORN_E_NOTFOUND with why tracking is off in
 * err ("the shim wrote no status", the shim's "error ..." line, or
 * pagemap not readable).  w is closed either way (torn_wp_close).
 */
int torn_wp_open(struct torn_wp *w, pid_t pid, const char *workdir,
		 struct torn_err *err);
/*
 * Hand every range written since the last scan (the first: since QEMU
 * mapped the file) to fn, and write-protect them again.  0, or a
 * negative error with err set (QEMU gone, or the kernel refused): then
 * what was written is unknown.
 */
int torn_wp_scan(struct torn_wp *w, torn_wp_range_fn fn, void *ctx,
		 struct torn_err *err);
void torn_wp_close(struct torn_wp *w);
/* Whether w tracks writes (open succeeded and not closed). */
bool torn_wp_on(const struct torn_wp *w);

#endif
