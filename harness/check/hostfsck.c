/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fsck oracle on the host: the guest's e2fsck -fn or xfs_repair -n,
 * run natively on the checker's backing file where the namespace's data
 * starts, after the guest's umount.  The bytes are the ones the guest's
 * /dev/pmem0 reads (QEMU maps the same file, shared), and the binary is
 * the one the kit stages into the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "capture.h"
#include "check_int.h"

uint64_t check_run_host_fsck(struct check_run *run)
{
	const char *mode = getenv("TORN_FSCK");
	int host = torn_fs_get(run->fs_kind)->host_fsck;
	bool xfs = host == TORN_HOST_FSCK_XFS;
	gchar *prog = g_find_program_in_path(xfs ? "xfs_repair" : "e2fsck");
	const uint8_t *d = run->base ? run->base + TORN_NS_DATA_OFFSET : NULL;
	bool sb = false;

	run->host_fsck_offset = 0;
	if (d && run->pm_size > TORN_NS_DATA_OFFSET + 4096)
		sb = xfs ? !memcmp(d, "XFSB", 4)
			 : d[1024 + 0x38] == 0x53 && d[1024 + 0x39] == 0xef;
	if (host != TORN_HOST_FSCK_NONE &&
	    (run->oracles & TORN_O_BIT(TORN_O_FSCK)) && prog && sb &&
	    !(mode && !strcmp(mode, "guest")))
		run->host_fsck_offset = TORN_NS_DATA_OFFSET;
	g_free(prog);
	return run->host_fsck_offset;
}

/* A read-only loop device on c's backing file at the offset. */
static int loop_attach_once(struct checker *c, struct torn_err *err)
{
	struct loop_config cfg;
	int ctl, n, fd, file;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return torn_err_set(err, -errno, "/dev/loop-control: %s",
				    strerror(errno));
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		return torn_err_set(err, -errno, "no free loop device: %s",
				    strerror(errno));
	snprintf(c->loop_dev, sizeof(c->loop_dev), "/dev/loop%d", n);
	fd = open(c->loop_dev, O_RDONLY | O_CLOEXEC);
	file = open(c->pm_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || file < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (file >= 0)
			close(file);
		return torn_err_set(err, -e, "%s: %s", c->loop_dev,
				    strerror(e));
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (unsigned int)file;
	cfg.info.lo_offset = c->run->host_fsck_offset;
	/* auto-clear: the device goes when its last opener (torn) does */
	cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	if (ioctl(fd, LOOP_CONFIGURE, &cfg)) {
		int e = errno;

		close(fd);
		close(file);
		return torn_err_set(err, -e, "LOOP_CONFIGURE %s: %s",
				    c->loop_dev, strerror(e));
	}
	close(file);
	c->loop_fd = fd;
	return 0;
}

/* Again when another process took the free device first (EBUSY). */
static int loop_attach(struct checker *c, struct torn_err *err)
{
	int ret = 0, i;

	for (i = 0; i < 5; i++) {
		ret = loop_attach_once(c, err);
		if (ret != -EBUSY)
			break;
	}
	return ret;
}

void check_host_fsck_attach(struct checker *c)
{
	struct torn_err err = { "" };

	c->fsck_on_host = false;
	if (!c->run->host_fsck_offset)
		return;
	if (torn_fs_get(c->run->fs_kind)->host_fsck == TORN_HOST_FSCK_XFS &&
	    loop_attach(c, &err)) {
		fprintf(stderr,
			"torn: checker %d: xfs_repair runs in the guest: %s\n",
			c->idx, err.msg);
		return;
	}
	c->fsck_on_host = true;
}

void check_host_fsck_detach(struct checker *c)
{
	if (c->loop_fd >= 0)
		close(c->loop_fd);
	c->loop_fd = -1;
	c->fsck_on_host = false;
}

int check_host_fsck(struct checker *c, char **status, char **out)
{
	char dev[4300], st[32];
	char *e2[] = { "e2fsck", "-fn", dev, NULL };
	char *xfs[] = { "xfs_repair", "-n", c->loop_dev, NULL };
	bool is_xfs = c->loop_fd >= 0;
	struct torn_capture cap;
	GString *text;
	int ret;

	snprintf(dev, sizeof(dev), "%s?offset=%" PRIu64, c->pm_path,
		 c->run->host_fsck_offset);
	/* nothing of the last state cached in the loop device */
	if (is_xfs && ioctl(c->loop_fd, BLKFLSBUF, 0))
		return -errno;
	ret = torn_capture_run(is_xfs ? xfs : e2, NULL, c->run->timeout_ms,
			       &cap);
	if (ret)
		return ret;
	torn_capture_status(&cap, st, sizeof(st));
	text = g_string_new_len((const char *)cap.out.data,
				(gssize)cap.out.len);
	/* the device as the guest names it (e2fsck: with and without the
	 * options) */
	g_string_replace(text, is_xfs ? c->loop_dev : dev, "/dev/pmem0", 0);
	if (!is_xfs)
		g_string_replace(text, c->pm_path, "/dev/pmem0", 0);
	*status = strdup(st);
	*out = g_string_free(text, FALSE);
	torn_capture_free(&cap);
	return 0;
}
