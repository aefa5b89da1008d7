/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The write-tracking shim: preloaded into a checker's QEMU
 * (LD_PRELOAD), it write-protects the NVDIMM backing file's mapping with
 * an asynchronous userfaultfd (UFFD_FEATURE_WP_ASYNC, Linux 6.7), so
 * that torn can ask the kernel which pages the guest wrote since the
 * last ask (PAGEMAP_SCAN on /proc/PID/pagemap, vm.c) without a fault
 * handler, a plugin or a scan of the image.
 *
 * $TORN_WP_FILE names the backing file; the first mapping of it (from
 * offset 0) is registered, and one line goes to $TORN_WP_STATUS: "ok
 * ADDR LEN" (hex) or "error WHY".  Anything that fails leaves QEMU as
 * it was: torn then restores by a full compare.
 *
 * On another host's hypervisor torn cannot read QEMU's pagemap: there
 * $TORN_WP_ASK and $TORN_WP_ANSWER name two files (volumes torn writes
 * and reads through libvirt), and a thread of the shim's answers each
 * new sequence number in the ask file with a scan of its own
 * (wp_scan.h), written to the answer file.
 *
 * No torn header but wp_scan.h: this is built alone into QEMU's process.
 * The uapi constants are spelled out because Debian 12's headers predate
 * them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wp_scan.h"

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

#define EXPORT __attribute__((visibility("default")))

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static dev_t want_dev;
static ino_t want_ino;
static int armed; /* 1: watching for the mapping; 0: done or off */
static char status_path[4096];
static char ask_path[4096], answer_path[4096]; /* "" : torn scans */

__attribute__((constructor)) static void wp_init(void)
{
	const char *file = getenv("TORN_WP_FILE");
	const char *status = getenv("TORN_WP_STATUS");
	struct stat st;

	/* QEMU's own children (none expected) run without the shim */
	unsetenv("LD_PRELOAD");
	if (!file || !status || stat(file, &st))
		return;
	snprintf(status_path, sizeof(status_path), "%s", status);
	if (getenv("TORN_WP_ASK") && getenv("TORN_WP_ANSWER")) {
		snprintf(ask_path, sizeof(ask_path), "%s",
			 getenv("TORN_WP_ASK"));
		snprintf(answer_path, sizeof(answer_path), "%s",
			 getenv("TORN_WP_ANSWER"));
	}
	want_dev = st.st_dev;
	want_ino = st.st_ino;
	armed = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fd = open(status_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n) {
		/* torn reads a short line as no tracking: nothing to do */
	}
	close(fd);
}

/* ---- answering a remote torn ----------------------------------------------
 */

static uint64_t map_addr, map_len;

struct answer {
	uint64_t *ranges, max, n;
	int full;
};

static void add_range(uint64_t off, uint64_t len, void *ctx)
{
	struct answer *a = ctx;

	if (a->n == a->max) {
		a->full = 1;
		return;
	}
	a->ranges[2 * a->n] = off;
	a->ranges[2 * a->n + 1] = len;
	a->n++;
}

/* Scan, and write the ranges and then the header that says seq. */
static void answer(int pagemap, uint64_t seq)
{
	struct wp_answer h = { .magic = WP_ANSWER_MAGIC, .seq = seq };
	struct answer a = { 0 };
	struct stat st;
	int fd = open(answer_path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(h)) {
		close(fd);
		return;
	}
	a.max = ((uint64_t)st.st_size - sizeof(h)) / 16;
	a.ranges = malloc(a.max * 16 + 16);
	if (!a.ranges || pagemap < 0 ||
	    wp_scan_mapping(pagemap, map_addr, map_len, add_range, &a))
		h.status = WP_ANSWER_FAILED;
	else if (a.full)
		h.status = WP_ANSWER_FULL;
	h.nranges = h.status ? 0 : a.n;
	if (h.nranges && pwrite(fd, a.ranges, h.nranges * 16, sizeof(h)) !=
				 (ssize_t)(h.nranges * 16))
		h.status = WP_ANSWER_FAILED;
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		/* torn waits, then reads the whole image back */
	}
	free(a.ranges);
	close(fd);
}

/* Wait for a new sequence number in the ask file (woken by inotify, or
 * every 50 ms when a write was missed), and answer it. */
static void *answer_main(void *arg)
{
	int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	uint64_t last = 0;

	(void)arg;
	if (in >= 0)
		inotify_add_watch(in, ask_path, IN_MODIFY | IN_CLOSE_WRITE);
	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		char ev[4096];
		uint64_t seq = 0;
		int fd;

		if (in < 0 || poll(&p, 1, 50) > 0)
			while (in >= 0 && read(in, ev, sizeof(ev)) > 0)
				;
		if (in < 0)
			usleep(20000);
		fd = open(ask_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (pread(fd, &seq, sizeof(seq), 0) != (ssize_t)sizeof(seq))
			seq = 0;
		close(fd);
		if (seq && seq != last) {
			last = seq;
			answer(pagemap, seq);
		}
	}
	return NULL;
}

/* Write-protect [addr, addr + len) for good; the descriptor stays open. */
static void protect(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_WP_ASYNC |
					      UFFD_FEATURE_WP_UNPOPULATED };
	struct uffdio_register reg = {
		.range = { (uintptr_t)addr, len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffdio_writeprotect wp = {
		.range = { (uintptr_t)addr, len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		say("error userfaultfd: %s\n", strerror(errno));
		return;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		say("error UFFDIO_API (asynchronous write-protect, Linux 6.7): %s\n",
		    strerror(errno));
	} else if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		say("error UFFDIO_REGISTER: %s\n", strerror(errno));
	} else if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) {
		say("error UFFDIO_WRITEPROTECT: %s\n", strerror(errno));
	} else {
		pthread_t t;

		map_addr = (uintptr_t)addr;
		map_len = len;
		if (ask_path[0] &&
		    pthread_create(&t, NULL, answer_main, NULL)) {
			say("error pthread_create: %s\n", strerror(errno));
			return;
		}
		say("ok %lx %zx\n", (unsigned long)(uintptr_t)addr, len);
		return; /* the registration lives as long as the descriptor */
	}
	close(fd);
}

static void *wp_mmap(void *addr, size_t len, int prot, int flags, int fd,
		     off_t off)
{
	static mmap_fn real;
	struct stat st;
	void *p;

	if (!real)
		real = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (armed && p != MAP_FAILED && fd >= 0 && off == 0 &&
	    (flags & MAP_SHARED) && (prot & PROT_WRITE) && !fstat(fd, &st) &&
	    st.st_dev == want_dev && st.st_ino == want_ino) {
		armed = 0;
		protect(p, len);
	}
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	return wp_mmap(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
		    off_t off)
{
	return wp_mmap(addr, len, prot, flags, fd, off);
}
