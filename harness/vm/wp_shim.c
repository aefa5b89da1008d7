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
 * No torn header: this is built alone into QEMU's process.  The uapi
 * constants are spelled out because Debian 12's headers predate them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
