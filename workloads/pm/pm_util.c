/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the PM workloads and checkers share: mapping, flushing, markers. */
#include "pm_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

enum pm_flush_insn pm_best_flush(void)
{
	return (enum pm_flush_insn)torn_flush_best();
}

const char *pm_flush_name(enum pm_flush_insn f)
{
	return torn_flush_insn_name((enum torn_flush_insn)f);
}

FILE *pm_rec;
static const uint8_t *rec_base;
static size_t rec_len;

void pm_rec_start(struct pm_map *m)
{
	const char *path = getenv("TORN_PM_RECORD");
	const char *flush = getenv("TORN_PM_FLUSH");

	if (!m->host || !path || !*path)
		return;
	if (flush && !strcmp(flush, "clflush"))
		m->flush = PM_CLFLUSH;
	else if (flush && !strcmp(flush, "clflushopt"))
		m->flush = PM_CLFLUSHOPT;
	pm_rec = fopen(path, "w");
	if (!pm_rec) {
		fprintf(stderr, "TORN_PM_RECORD %s: %s\n", path,
			strerror(errno));
		return;
	}
	fprintf(pm_rec, "# %s\n", pm_flush_name(m->flush));
	rec_base = m->base;
	rec_len = m->len;
}

void pm_rec_stop(void)
{
	if (pm_rec)
		fclose(pm_rec);
	pm_rec = NULL;
}

/* p's offset in the recorded mapping, or -1 (outside: not recorded). */
static long long rec_off(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)rec_base;

	if (a < b || a + n > b + rec_len)
		return -1;
	return (long long)(a - b);
}

void pm_rec_store(const void *p, size_t n)
{
	long long off = rec_off(p, n);
	size_t i;

	if (off < 0)
		return;
	fprintf(pm_rec, "store 0x%llx %zu ", off, n);
	for (i = 0; i < n; i++)
		fprintf(pm_rec, "%02x", ((const uint8_t *)p)[i]);
	fputc('\n', pm_rec);
}

void pm_rec_flush(enum pm_flush_insn f, const void *p)
{
	long long off = rec_off(p, 1);

	if (off >= 0)
		fprintf(pm_rec, "flush %s 0x%llx\n", pm_flush_name(f), off);
}

void pm_rec_fence(void)
{
	fprintf(pm_rec, "fence sfence\n");
}

void pm_rec_mark(uint32_t id, uint64_t arg)
{
	fprintf(pm_rec, "mark %u %llu\n", id, (unsigned long long)arg);
}

void pm_flush_line(const struct pm_map *m, const void *p)
{
	volatile char *line = (volatile char *)((uintptr_t)p & ~(uintptr_t)63);

	if (__builtin_expect(pm_rec != NULL, 0))
		pm_rec_flush(m->flush, (const void *)line);

	torn_flush_line((enum torn_flush_insn)m->flush, (const void *)line);
}

void pm_flush_range(const struct pm_map *m, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)63;
	uintptr_t end = (uintptr_t)p + len;

	for (; a < end; a += PM_LINE)
		pm_flush_line(m, (const void *)a);
}

void pm_persist(const struct pm_map *m, const void *p, size_t len)
{
	pm_flush_range(m, p, len);
	pm_fence();
}

static int write_zeros(int fd, size_t len)
{
	static const char zero[4096];

	while (len) {
		size_t n = len < sizeof(zero) ? len : sizeof(zero);
		ssize_t w = write(fd, zero, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		len -= (size_t)w;
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		ret = fsync(fd);
		close(fd);
	}
	free(copy);
	return ret;
}

int pm_create_file(const char *path, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write_zeros(fd, len) || fsync(fd) || fsync_dir_of(path)) {
		snprintf(err, errlen, "create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int pm_map_open(struct pm_map *m, const char *path, size_t len, int host,
		char *err, size_t errlen)
{
	struct stat st;
	int flags;
	void *p;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->host = host;
	m->flush = pm_best_flush();
	m->len = len;
	m->devdax = !stat(path, &st) && S_ISCHR(st.st_mode);
	if (!m->devdax && pm_create_file(path, len, err, errlen))
		return -1;
	m->map_len = m->devdax && len < PM_DEVDAX_MAP ? PM_DEVDAX_MAP : len;
	m->fd = open(path, O_RDWR | O_CLOEXEC);
	if (m->fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	flags = host ? MAP_SHARED : MAP_SHARED_VALIDATE | MAP_SYNC;
	p = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, flags, m->fd, 0);
	if (p == MAP_FAILED && m->devdax) /* device-dax is synchronous */
		p = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 m->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mmap %s%s: %s%s", path,
			 host ? "" : " MAP_SYNC", strerror(errno),
			 host ? "" : " (not DAX? --host maps a plain file)");
		goto fail;
	}
	m->base = p;
	pm_rec_start(m);
	return 0;
fail:
	close(m->fd);
	m->fd = -1;
	return -1;
}

int pm_map_close(struct pm_map *m)
{
	int ret = 0;

	pm_rec_stop();
	if (m->base && m->host && msync(m->base, m->map_len, MS_SYNC))
		ret = -1;
	if (m->base)
		munmap(m->base, m->map_len);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->fd = -1;
	return ret;
}

void pm_op_begin(uint64_t i, const char *what)
{
	torn_mark(TORN_MARK_ID_OP_BEGIN, i, what, strlen(what));
	if (pm_rec)
		pm_rec_mark(TORN_MARK_ID_OP_BEGIN, i);
}

void pm_op_end(uint64_t i)
{
	torn_mark(TORN_MARK_ID_OP_END, i, NULL, 0);
	if (pm_rec)
		pm_rec_mark(TORN_MARK_ID_OP_END, i);
}

void pm_durable(uint64_t i, const char *what)
{
	torn_mark(TORN_MARK_ID_DURABLE, i, what, strlen(what));
	if (pm_rec)
		pm_rec_mark(TORN_MARK_ID_DURABLE, i);
}

int pm_parse_args(int argc, char **argv, const char *def_target,
		  const char **target, int *host)
{
	int i;

	*target = def_target;
	*host = 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--host"))
			*host = 1;
		else if (argv[i][0] == '-' || i != argc - 1)
			goto usage;
		else
			*target = argv[i];
	}
	return 0;
usage:
	fprintf(stderr,
		"usage: %s [--host] [TARGET]  (default %s)\n"
		"  TARGET: a file on a DAX filesystem or a device-dax device\n"
		"  --host: a plain file without MAP_SYNC (unit tests only)\n",
		argv[0], def_target);
	return -1;
}

uint64_t pm_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t pm_mix(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x | 1;
}

/* A decimal u64 filling [s, end) exactly. */
static int parse_u64(const char *s, const char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int pm_markers_parse(const char *markers, const char *last_durable,
		     struct pm_markers *mk)
{
	const char *p = markers;
	uint64_t durable = 0;

	memset(mk, 0, sizeof(*mk));
	while (p && *p) {
		const char *tok, *colon, *end;
		uint64_t id, arg;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		tok = p;
		end = strchr(tok, ' ');
		if (!end)
			end = tok + strlen(tok);
		colon = memchr(tok, ':', (size_t)(end - tok));
		if (!colon || parse_u64(tok, colon, &id) ||
		    parse_u64(colon + 1, end, &arg))
			return -1;
		if (id == TORN_MARK_ID_OP_BEGIN) {
			mk->last_begin = arg;
			mk->n_begin++;
		} else if (id == TORN_MARK_ID_DURABLE) {
			durable = arg;
		}
		p = end;
	}
	mk->last_durable = durable;
	if (last_durable &&
	    parse_u64(last_durable, last_durable + strlen(last_durable),
		      &mk->last_durable))
		return -1;
	return 0;
}

int pm_markers_from_env(struct pm_markers *mk)
{
	return pm_markers_parse(getenv("TORN_MARKERS"),
				getenv("TORN_LAST_DURABLE"), mk);
}

int pm_target_path(const char *target, const char *name, char *out,
		   size_t outlen)
{
	struct stat st;
	int n;

	if (!stat(target, &st) && S_ISDIR(st.st_mode))
		n = snprintf(out, outlen, "%s/%s", target, name);
	else
		n = snprintf(out, outlen, "%s", target);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int pm_checker_start(int argc, char **argv, const char *usage, const char *name,
		     struct pm_markers *mk, char *path, size_t pathlen)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s TARGET (%s)\n", argv[0], usage);
		return -1;
	}
	if (pm_markers_from_env(mk)) {
		fprintf(stderr,
			"%s: malformed TORN_MARKERS or TORN_LAST_DURABLE\n",
			argv[0]);
		return -1;
	}
	if (pm_target_path(argv[1], name, path, pathlen)) {
		fprintf(stderr, "%s: target path too long\n", argv[0]);
		return -1;
	}
	return 0;
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Copy len bytes of a read-only device-dax mapping, SIGBUS caught. */
static enum pm_load load_devdax(int fd, void *buf, size_t len, size_t *got,
				char *why, size_t whylen)
{
	size_t map_len =
		(len + PM_DEVDAX_MAP - 1) / PM_DEVDAX_MAP * PM_DEVDAX_MAP;
	struct sigaction sa, old;
	volatile enum pm_load ret = PM_LOAD_OK;
	uint8_t *p;

	p = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return PM_LOAD_IOERR;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(bus_jmp, 1)) {
		memcpy(buf, p, len);
		*got = len;
	} else {
		snprintf(why, whylen, "SIGBUS reading the device (poison?)");
		ret = PM_LOAD_IOERR;
	}
	sigaction(SIGBUS, &old, NULL);
	munmap(p, map_len);
	return ret;
}

enum pm_load pm_load(const char *path, void *buf, size_t len, size_t *got,
		     char *why, size_t whylen)
{
	enum pm_load ret = PM_LOAD_OK;
	struct stat st;
	size_t off = 0;
	int fd;

	*got = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "open %s: %s", path, strerror(errno));
		return errno == ENOENT ? PM_LOAD_MISSING : PM_LOAD_IOERR;
	}
	if (fstat(fd, &st)) {
		snprintf(why, whylen, "stat %s: %s", path, strerror(errno));
		ret = PM_LOAD_IOERR;
	} else if (S_ISCHR(st.st_mode)) {
		ret = load_devdax(fd, buf, len, got, why, whylen);
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", path);
		ret = PM_LOAD_IOERR;
	} else {
		while (off < len) {
			ssize_t r = pread(fd, (char *)buf + off, len - off,
					  (off_t)off);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				snprintf(why, whylen, "read %s at %zu: %s",
					 path, off, strerror(errno));
				ret = PM_LOAD_IOERR;
				break;
			}
			if (!r) {
				snprintf(why, whylen,
					 "%s holds %zu bytes, not %zu", path,
					 off, len);
				ret = PM_LOAD_SHORT;
				break;
			}
			off += (size_t)r;
		}
		*got = off;
	}
	close(fd);
	return ret;
}
