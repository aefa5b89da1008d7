/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers of the PM workload tests: a scratch directory, running programs. */
#ifndef TORN_PM_TEST_H
#define TORN_PM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char pm_dir[256];

static inline int pm_rm_one(const char *path, const struct stat *st, int flag,
			    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline int pm_setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(pm_dir, sizeof(pm_dir), "%s/torn-pm-test-XXXXXX",
		 t && *t ? t : "/tmp");
	return mkdtemp(pm_dir) ? 0 : -1;
}

static inline int pm_teardown(void **state)
{
	(void)state;
	nftw(pm_dir, pm_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* pm_dir/name into buf. */
static inline const char *pm_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", pm_dir, name);
	return buf;
}

/*
 * Run argv[0] with argv and env ("NAME=VALUE" strings added to ours,
 * NULL-terminated, may be NULL); its stdout into out (may be NULL).
 * Returns the exit status, or 128 + signal.
 */
static inline int pm_run(const char *const *argv, const char *const *env,
			 char *out, size_t outlen)
{
	int fds[2], status;
	size_t got = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		close(fds[0]);
		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		for (; env && *env; env++)
			putenv((char *)*env);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char buf[256];
		ssize_t r = read(fds[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && got + 1 < outlen) {
			size_t n = (size_t)r < outlen - 1 - got
					   ? (size_t)r
					   : outlen - 1 - got;

			memcpy(out + got, buf, n);
			got += n;
		}
	}
	if (out && outlen)
		out[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Read len bytes of path into buf; bytes read. */
static inline size_t pm_read(const char *path, void *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

/* Write len bytes of buf to path (created or truncated); 0 or -1. */
static inline int pm_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t n;

	if (!f)
		return -1;
	n = fwrite(buf, 1, len, f);
	return fclose(f) || n != len ? -1 : 0;
}

#endif
