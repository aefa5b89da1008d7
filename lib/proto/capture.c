/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running a program with its output captured and a deadline (capture.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "torn_time.h"

static void drain(int fd, struct torn_buf *b, int *open_flag)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*open_flag = 0;
		return;
	}
	if (b->len < TORN_CAPTURE_CAP) {
		size_t keep = (size_t)n;

		if (b->len + keep > TORN_CAPTURE_CAP)
			keep = TORN_CAPTURE_CAP - b->len;
		torn_buf_append(b, tmp, keep);
	}
}

int torn_capture_run(char *const argv[], const char *path, long timeout_ms,
		     struct torn_capture *res)
{
	int out[2], err[2], status = 0, out_open = 1, err_open = 1;
	long long deadline = timeout_ms > 0 ? torn_now_ms() + timeout_ms : -1;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (path)
			setenv("PATH", path, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	while (out_open || err_open) {
		struct pollfd p[2] = {
			{ .fd = out_open ? out[0] : -1, .events = POLLIN },
			{ .fd = err_open ? err[0] : -1, .events = POLLIN }
		};
		int wait_ms = -1;

		if (deadline >= 0) {
			long long left = deadline - torn_now_ms();

			if (left <= 0) {
				res->timed_out = 1;
				break;
			}
			wait_ms = left > 1000000 ? 1000000 : (int)left;
		}
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			drain(out[0], &res->out, &out_open);
		if (p[1].revents)
			drain(err[0], &res->err, &err_open);
	}
	if (res->timed_out)
		kill(-pid, SIGKILL);
	close(out[0]);
	close(err[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->status = status;
	return 0;
}

void torn_capture_free(struct torn_capture *res)
{
	torn_buf_free(&res->out);
	torn_buf_free(&res->err);
}

/* "exit 0", "signal 9", "timeout" */
void torn_capture_status(const struct torn_capture *res, char *buf, size_t len)
{
	if (res->timed_out)
		snprintf(buf, len, "timeout");
	else if (WIFEXITED(res->status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(res->status));
	else if (WIFSIGNALED(res->status))
		snprintf(buf, len, "signal %d", WTERMSIG(res->status));
	else
		snprintf(buf, len, "status %d", res->status);
}
