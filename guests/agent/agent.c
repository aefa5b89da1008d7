/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-agent: the guest side of torn, serving the host over virtio-serial. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "agent.h"
#include "proto.h"
#include "torn_mark.h"
#include "torn_time.h"

#define AGENT_PORT_NAME "torn.agent"
#define AGENT_VERSION "1"

static int kmsg_fd = -1;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "torn-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- start-up -------------------------------------------------------- */

static void mount_basics(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/mnt", 0755);
	mkdir("/tmp", 01777);
	if (mount("proc", "/proc", "proc", 0, NULL) && errno != EBUSY)
		logmsg("mount /proc: %s", strerror(errno));
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) && errno != EBUSY)
		logmsg("mount /sys: %s", strerror(errno));
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		logmsg("mount /dev: %s", strerror(errno));
	if (mount("tmpfs", "/tmp", "tmpfs", 0, NULL) && errno != EBUSY)
		logmsg("mount /tmp: %s", strerror(errno));
}

/*
 * Load the modules listed, in dependency order, by the kit builder.
 * 0, or -1 with why set (what failed first; the rest are still tried).
 */
static int load_modules(const char *list, char *why, size_t len)
{
	char line[512];
	FILE *f = fopen(list, "r");
	int ret = 0;

	if (!f) {
		snprintf(why, len, "no module list %s: %s", list,
			 strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		int fd;

		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (!ret)
				snprintf(why, len, "module %s: %s", line,
					 strerror(errno));
			ret = -1;
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
			if (!ret)
				snprintf(why, len, "loading %s: %s", line,
					 strerror(errno));
			ret = -1;
		}
		close(fd);
	}
	fclose(f);
	return ret;
}

/* Find /dev/vportNpM whose name is AGENT_PORT_NAME; wait for it a while. */
static int open_port(char *path, size_t pathlen)
{
	int tries;

	for (tries = 0; tries < 300; tries++) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char namefile[512], name[64] = "";
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(namefile, sizeof(namefile),
				 "/sys/class/virtio-ports/%s/name", e->d_name);
			f = fopen(namefile, "r");
			if (!f)
				continue;
			if (!fgets(name, sizeof(name), f))
				name[0] = 0;
			fclose(f);
			name[strcspn(name, "\n")] = 0;
			if (!strcmp(name, AGENT_PORT_NAME)) {
				int fd;

				snprintf(path, pathlen, "/dev/%s", e->d_name);
				fd = open(path, O_RDWR | O_CLOEXEC);
				if (fd >= 0) {
					closedir(d);
					return fd;
				}
			}
		}
		if (d)
			closedir(d);
		usleep(100000);
	}
	return -1;
}

/* ---- replies --------------------------------------------------------- */

struct reply {
	struct torn_proto_field f[8];
	size_t n;
};

static void reply_add(struct reply *r, const void *data, size_t len)
{
	if (r->n < 8) {
		r->f[r->n].data = data;
		r->f[r->n].len = len;
		r->n++;
	}
}

static void reply_str(struct reply *r, const char *s)
{
	reply_add(r, s, strlen(s));
}

static int send_reply(int fd, uint16_t kind, struct reply *r)
{
	struct torn_buf b = { 0 };
	int ret = torn_proto_encode(&b, kind, r->n, r->f);

	if (!ret)
		ret = torn_proto_send(fd, &b);
	torn_buf_free(&b);
	return ret;
}

static int send_error(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int send_error(int fd, const char *fmt, ...)
{
	char msg[512];
	struct reply r = { .n = 0 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_str(&r, msg);
	return send_reply(fd, TORN_PROTO_ERROR, &r);
}

/* ---- run a program ---------------------------------------------------- */

static int reply_run(int fd, char *const argv[], long timeout_ms)
{
	struct torn_capture res;
	struct reply r = { .n = 0 };
	char status[32];
	int ret = torn_capture_run(argv, "/bin:/sbin:/usr/bin:/usr/sbin",
				   timeout_ms, &res);

	if (ret)
		return send_error(fd, "cannot run '%s': %s", argv[0],
				  strerror(-ret));
	torn_capture_status(&res, status, sizeof(status));
	reply_str(&r, "ok");
	reply_str(&r, status);
	reply_add(&r, res.out.data, res.out.len);
	reply_add(&r, res.err.data, res.err.len);
	ret = send_reply(fd, TORN_PROTO_REPLY, &r);
	torn_capture_free(&res);
	return ret;
}

/* ---- commands --------------------------------------------------------- */

/* Fields 1.. of msg as a NULL-terminated argv (strings malloc'd). */
static char **fields_to_argv(const struct torn_proto_msg *msg, size_t first)
{
	size_t n = msg->nfields - first, i;
	char **argv = calloc(n + 1, sizeof(*argv));

	if (!argv)
		return NULL;
	for (i = 0; i < n; i++) {
		argv[i] = torn_proto_field_dup(msg, first + i);
		if (!argv[i] || memchr(msg->fields[first + i].data, 0,
				       msg->fields[first + i].len)) {
			while (i + 1 > 0) {
				free(argv[i]);
				if (!i--)
					break;
			}
			free(argv);
			return NULL;
		}
	}
	return argv;
}

static void free_argv(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int cmd_run(int fd, const struct torn_proto_msg *msg)
{
	char **argv;
	char *t;
	long timeout_ms;
	int ret;

	if (msg->nfields < 3)
		return send_error(fd,
				  "usage: run TIMEOUT_MS PROGRAM [ARGS...]");
	t = torn_proto_field_dup(msg, 1);
	timeout_ms = t ? strtol(t, NULL, 10) : 0;
	free(t);
	argv = fields_to_argv(msg, 2);
	if (!argv)
		return send_error(fd, "bad argument (NUL byte or no memory)");
	ret = reply_run(fd, argv, timeout_ms);
	free_argv(argv);
	return ret;
}

static int reply_ok(int fd, const char *detail)
{
	struct reply r = { .n = 0 };

	reply_str(&r, "ok");
	if (detail)
		reply_str(&r, detail);
	return send_reply(fd, TORN_PROTO_REPLY, &r);
}

static int cmd_mount(int fd, char **a, size_t n)
{
	if (n != 4)
		return send_error(fd, "usage: mount DEV DIR FSTYPE OPTIONS");
	mkdir(a[1], 0755);
	if (mount(a[0], a[1], a[2], 0, a[3][0] ? a[3] : NULL))
		return send_error(fd, "mount %s on %s: %s", a[0], a[1],
				  strerror(errno));
	return reply_ok(fd, NULL);
}

static int cmd_umount(int fd, char **a, size_t n)
{
	if (n != 1)
		return send_error(fd, "usage: umount DIR");
	if (umount(a[0]))
		return send_error(fd, "umount %s: %s", a[0], strerror(errno));
	return reply_ok(fd, NULL);
}

/* Load modules the kit staged for use on demand (modules.d/NAME). */
static int cmd_load_modules(int fd, char **a, size_t n)
{
	static char loaded[16][64]; /* each list once: a mount asks each time */
	static size_t nloaded;
	char path[300], why[600];

	if (!n)
		return send_error(fd, "usage: load-modules NAME...");
	for (size_t i = 0; i < n; i++) {
		for (char *p = a[i]; *p; p++)
			if (*p == '-')
				*p = '_';
		if (strchr(a[i], '/'))
			return send_error(fd, "bad module name '%s'", a[i]);
		for (size_t j = 0; j < nloaded; j++)
			if (!strcmp(loaded[j], a[i]))
				goto next;
		snprintf(path, sizeof(path), "/etc/torn/modules.d/%s", a[i]);
		if (access(path, R_OK))
			return send_error(
				fd, "kernel module %s is not in the kit", a[i]);
		if (load_modules(path, why, sizeof(why)))
			return send_error(fd, "%s", why);
		if (nloaded < 16 && strlen(a[i]) < sizeof(loaded[0]))
			snprintf(loaded[nloaded++], sizeof(loaded[0]), "%s",
				 a[i]);
	next:;
	}
	return reply_ok(fd, NULL);
}

/* Kernel log since the previous call (the first call gets everything). */
static int cmd_dmesg(int fd)
{
	struct torn_buf b = { 0 };
	struct reply r = { .n = 0 };
	char rec[8192];
	int ret;

	if (kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	while (kmsg_fd >= 0) {
		ssize_t len = read(kmsg_fd, rec, sizeof(rec) - 1);
		char *text;

		if (len < 0 && errno == EPIPE)
			continue; /* overwritten records: go on */
		if (len <= 0)
			break;
		rec[len] = 0;
		/* "prio,seq,usec,flags;text\n" -> text */
		text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		torn_buf_append(&b, text, strcspn(text, "\n"));
		torn_buf_append(&b, "\n", 1);
	}
	reply_str(&r, "ok");
	reply_add(&r, b.data, b.len);
	ret = send_reply(fd, TORN_PROTO_REPLY, &r);
	torn_buf_free(&b);
	return ret;
}

static int cmd_dump(int fd, char **a, size_t n)
{
	struct torn_buf b = { 0 };
	struct reply r = { .n = 0 };
	char err[256];
	int ret;

	if (n != 1)
		return send_error(fd, "usage: dump DIR");
	ret = agent_dump_tree(a[0], &b, err, sizeof(err));
	if (ret) {
		torn_buf_free(&b);
		return send_error(fd, "dump %s: %s", a[0], err);
	}
	reply_str(&r, "ok");
	reply_add(&r, b.data, b.len);
	ret = send_reply(fd, TORN_PROTO_REPLY, &r);
	torn_buf_free(&b);
	return ret;
}

/*
 * BLKFLSBUF on dev: its buffers written back and dropped.  0, or -1 with
 * why in why (ENOTTY, not a block device, is no error when any_file).
 */
static int flush_bdev(const char *dev, bool any_file, char *why, size_t len)
{
	int bfd = open(dev, O_RDONLY | O_CLOEXEC), e;

	if (bfd < 0) {
		snprintf(why, len, "open %s: %s", dev, strerror(errno));
		return -1;
	}
	if (ioctl(bfd, BLKFLSBUF, 0) && !(any_file && errno == ENOTTY)) {
		e = errno;
		close(bfd);
		snprintf(why, len, "BLKFLSBUF %s: %s", dev, strerror(e));
		return -1;
	}
	close(bfd);
	return 0;
}

/*
 * Drop the page cache, and a block device's buffers when one is named
 * (the whole guest's caches: for a user who wants them gone; a check
 * between crash states needs only "invalidate").
 */
static int cmd_drop_caches(int fd, char **a, size_t n)
{
	char why[300];
	int dfd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	sync();
	if (dfd >= 0) {
		if (write(dfd, "3\n", 2) != 2)
			logmsg("drop_caches: %s", strerror(errno));
		close(dfd);
	}
	if (n == 1 && flush_bdev(a[0], true, why, sizeof(why)))
		return send_error(fd, "%s", why);
	return reply_ok(fd, NULL);
}

/*
 * What a crash state's recovery left cached of the block device, gone
 * before the next state: its buffers written back and dropped
 * (BLKFLSBUF).  The filesystem's own caches went with its umount.
 */
static int cmd_invalidate(int fd, char **a, size_t n)
{
	char why[300];

	if (n != 1)
		return send_error(fd, "usage: invalidate DEVICE");
	if (flush_bdev(a[0], false, why, sizeof(why)))
		return send_error(fd, "%s", why);
	return reply_ok(fd, NULL);
}

static int cmd_write_file(int fd, const struct torn_proto_msg *msg)
{
	char *path = torn_proto_field_dup(msg, 1);
	int ofd, ret;

	if (msg->nfields != 3 || !path) {
		free(path);
		return send_error(fd, "usage: write-file PATH DATA");
	}
	ofd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (ofd < 0) {
		ret = send_error(fd, "open %s: %s", path, strerror(errno));
		free(path);
		return ret;
	}
	if (write(ofd, msg->fields[2].data, msg->fields[2].len) !=
	    (ssize_t)msg->fields[2].len) {
		ret = send_error(fd, "write %s: %s", path, strerror(errno));
	} else {
		ret = reply_ok(fd, NULL);
	}
	close(ofd);
	free(path);
	return ret;
}

static int cmd_read_file(int fd, char **a, size_t n)
{
	struct torn_buf b = { 0 };
	struct reply r = { .n = 0 };
	char tmp[65536];
	int ifd, ret;
	ssize_t got;

	if (n != 1)
		return send_error(fd, "usage: read-file PATH");
	ifd = open(a[0], O_RDONLY | O_CLOEXEC);
	if (ifd < 0)
		return send_error(fd, "open %s: %s", a[0], strerror(errno));
	while ((got = read(ifd, tmp, sizeof(tmp))) > 0 &&
	       b.len < TORN_PROTO_MAX_FRAME / 2)
		torn_buf_append(&b, tmp, got);
	close(ifd);
	reply_str(&r, "ok");
	reply_add(&r, b.data, b.len);
	ret = send_reply(fd, TORN_PROTO_REPLY, &r);
	torn_buf_free(&b);
	return ret;
}

/* A marker from the agent itself (START and STOP around a workload). */
static int cmd_mark(int fd, char **a, size_t n)
{
	char *end;
	unsigned long id;
	unsigned long long arg = 0;

	if (n < 1 || n > 3)
		return send_error(fd, "usage: mark ID [ARG [TEXT]]");
	id = strtoul(a[0], &end, 0);
	if (*end || id == 0 || id > 0xffffffffUL)
		return send_error(fd, "mark: bad id '%s'", a[0]);
	if (n > 1) {
		arg = strtoull(a[1], &end, 0);
		if (*end)
			return send_error(fd, "mark: bad argument '%s'", a[1]);
	}
	torn_mark((uint32_t)id, arg, n > 2 ? a[2] : NULL,
		  n > 2 ? strlen(a[2]) : 0);
	return reply_ok(fd, NULL);
}

static int cmd_mapsync(int fd, char **a, size_t n)
{
	char detail[256];
	int ret;

	if (n != 1)
		return send_error(fd, "usage: mapsync-check PATH");
	ret = agent_mapsync_check(a[0], detail, sizeof(detail));
	if (ret)
		return send_error(fd, "%s", detail);
	return reply_ok(fd, detail);
}

/*
 * gcov-reset, gcov-dump [changed]: the kernel's coverage counters
 * (gcov.c); changed leaves out the files whose counters are all zero.
 */
static int cmd_gcov(int fd, const struct torn_proto_msg *msg, int dump)
{
	int changed = dump && torn_proto_field_is(msg, 1, "changed");
	struct torn_buf b = { 0 };
	struct reply r = { .n = 0 };
	unsigned int files = 0;
	char why[300], count[32];
	int ret;

	if (!dump)
		return agent_gcov_reset(why, sizeof(why))
			       ? send_error(fd, "%s", why)
			       : reply_ok(fd, NULL);
	if (agent_gcov_dump(&b, changed, &files, why, sizeof(why))) {
		torn_buf_free(&b);
		return send_error(fd, "%s", why);
	}
	snprintf(count, sizeof(count), "%u", files);
	reply_str(&r, "ok");
	reply_str(&r, count);
	reply_add(&r, b.data, b.len);
	ret = send_reply(fd, TORN_PROTO_REPLY, &r);
	torn_buf_free(&b);
	return ret;
}

/* Handle one request; returns 1 when the agent should power off. */
static int handle(int fd, const struct torn_proto_msg *msg)
{
	char **a;
	size_t n;
	int ret = 0;

	if (msg->kind != TORN_PROTO_REQUEST || msg->nfields < 1) {
		send_error(fd, "expected a request naming a command");
		return 0;
	}
	if (torn_proto_field_is(msg, 0, "run"))
		return cmd_run(fd, msg), 0;
	if (torn_proto_field_is(msg, 0, "write-file"))
		return cmd_write_file(fd, msg), 0;
	a = fields_to_argv(msg, 1);
	if (!a) {
		send_error(fd, "bad argument (NUL byte or no memory)");
		return 0;
	}
	n = msg->nfields - 1;
	if (torn_proto_field_is(msg, 0, "ping"))
		reply_ok(fd, "pong");
	else if (torn_proto_field_is(msg, 0, "mount"))
		cmd_mount(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "umount"))
		cmd_umount(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "load-modules"))
		cmd_load_modules(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "dump"))
		cmd_dump(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "dmesg"))
		cmd_dmesg(fd);
	else if (torn_proto_field_is(msg, 0, "sync")) {
		sync();
		reply_ok(fd, NULL);
	} else if (torn_proto_field_is(msg, 0, "drop-caches"))
		cmd_drop_caches(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "invalidate"))
		cmd_invalidate(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "read-file"))
		cmd_read_file(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "usable")) {
		char why[512];

		if (n != 1)
			send_error(fd, "usage: usable DIR");
		else if (agent_usable(a[0], why, sizeof(why)))
			send_error(fd, "%s", why);
		else
			reply_ok(fd, NULL);
	} else if (torn_proto_field_is(msg, 0, "mark"))
		cmd_mark(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "mapsync-check"))
		cmd_mapsync(fd, a, n);
	else if (torn_proto_field_is(msg, 0, "gcov-reset"))
		cmd_gcov(fd, msg, 0);
	else if (torn_proto_field_is(msg, 0, "gcov-dump"))
		cmd_gcov(fd, msg, 1);
	else if (torn_proto_field_is(msg, 0, "poweroff")) {
		reply_ok(fd, NULL);
		ret = 1;
	} else if (torn_proto_field_is(msg, 0, "exit")) {
		/* hand the console to init's shell (torn replay --shell) */
		reply_ok(fd, NULL);
		ret = 2;
	} else {
		char *name = torn_proto_field_dup(msg, 0);

		send_error(fd, "unknown command '%.64s'", name ? name : "?");
		free(name);
	}
	free_argv(a);
	return ret;
}

/* Discard whatever is pending on a port whose stream lost frame sync. */
static void drop_input(int fd)
{
	char tmp[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, 200) > 0 && read(fd, tmp, sizeof(tmp)) > 0)
		;
}

int agent_serve(int fd)
{
	struct torn_buf frame = { 0 };

	for (;;) {
		struct torn_proto_msg msg;
		struct torn_err err;
		int ret = torn_proto_recv(fd, -1, &frame, &msg, &err);

		if (ret == TORN_E_FORMAT) {
			send_error(fd, "bad frame: %s", err.msg);
			drop_input(fd);
			continue;
		}
		if (ret == TORN_E_TRUNCATED) {
			/* host went away: wait for it to come back */
			usleep(100000);
			continue;
		}
		if (ret) {
			logmsg("port: %s", err.msg);
			torn_buf_free(&frame);
			return ret;
		}
		ret = handle(fd, &msg);
		torn_proto_msg_clear(&msg);
		if (ret) {
			torn_buf_free(&frame);
			return ret == 2 ? 1 : 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct utsname u;
	struct torn_buf hello = { 0 };
	char port[300];
	const char *fields[3];
	int fd, init_mode = argc > 1 && !strcmp(argv[1], "--init");

	if (argc > 3 && !strcmp(argv[1], "maps"))
		return agent_maps_run(argv[2], argv + 3);
	signal(SIGPIPE, SIG_IGN);
	if (init_mode) {
		char why[600];

		mount_basics();
		if (load_modules("/etc/torn/modules", why, sizeof(why)))
			logmsg("%s", why);
	}
	fd = open_port(port, sizeof(port));
	if (fd < 0) {
		logmsg("no virtio port named %s", AGENT_PORT_NAME);
		return 1;
	}
	uname(&u);
	fields[0] = "hello";
	fields[1] = AGENT_VERSION;
	fields[2] = u.release;
	if (torn_proto_encode_strv(&hello, TORN_PROTO_REPLY, 3, fields) ||
	    torn_proto_send(fd, &hello)) {
		logmsg("cannot greet the host on %s", port);
		return 1;
	}
	torn_buf_free(&hello);
	logmsg("serving on %s", port);
	if (agent_serve(fd) == 1)
		return 0; /* "exit": init goes on (a shell with torn.shell) */
	if (init_mode) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
