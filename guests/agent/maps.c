/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * torn-agent maps FILE PROGRAM [ARGS...]: run PROGRAM and, just before it
 * exits, write its /proc/PID/maps to FILE, so that the host can name the
 * code behind every user-mode PC of the trace: where the program (a PIE
 * too) and each shared library ran.  The program is stopped at its exit
 * with ptrace (PTRACE_O_TRACEEXIT), the one moment its memory map is
 * whole and final; nothing else about it changes.  Exits as PROGRAM did.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

static void save_maps(pid_t pid, const char *out)
{
	char path[64], buf[4096];
	int in, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	in = open(path, O_RDONLY | O_CLOEXEC);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (in >= 0 && fd >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
}

/* The signal to hand on at a stop: 0 for ptrace's own stops. */
static int stop_signal(pid_t pid, int status, const char *out)
{
	int sig = WSTOPSIG(status), event = status >> 16;
	siginfo_t si;

	if (event == PTRACE_EVENT_EXIT) {
		save_maps(pid, out);
		return 0;
	}
	if (event)
		return 0; /* the stop after an exec */
	/* no siginfo: a group-stop, which resuming ends */
	if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0)
		return 0;
	return sig;
}

int agent_maps_run(const char *out, char **argv)
{
	bool armed = false;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "torn-agent maps: fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		/* without ptrace the program still runs, only without maps */
		if (!ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			raise(SIGSTOP); /* for the options, before the exec */
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	for (;;) {
		if (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			return 127;
		}
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status)) {
			/* die of the same signal, for the caller's status */
			signal(WTERMSIG(status), SIG_DFL);
			kill(getpid(), WTERMSIG(status));
			return 128 + WTERMSIG(status);
		}
		if (!WIFSTOPPED(status))
			continue;
		if (!armed) {
			/* the child's own SIGSTOP: the options, then on */
			armed = true;
			ptrace(PTRACE_SETOPTIONS, pid, NULL,
			       (void *)(long)(PTRACE_O_TRACEEXIT |
					      PTRACE_O_TRACEEXEC |
					      PTRACE_O_EXITKILL));
			ptrace(PTRACE_CONT, pid, NULL, NULL);
			continue;
		}
		ptrace(PTRACE_CONT, pid, NULL,
		       (void *)(long)stop_signal(pid, status, out));
	}
}
