/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The trace stage: record a workload on an NVDIMM into a run directory. */
#ifndef TORN_TRACING_H
#define TORN_TRACING_H

/*
 * torn_trace_run() is what `torn trace`, `torn run` and `torn smoke
 * --flushes` call.  It boots a guest with the tracer plugin on a copy of
 * the kit's base image, mounts the filesystem with -o dax (not on
 * devdax), arms the tracer at START, runs the workload, stops at STOP,
 * and writes into the run directory (docs/user-guide.md): trace.torn,
 * base.img (the NVDIMM at START), final.img (at STOP), kallsyms,
 * meta.json (through lib/rundir), expected.txt when the workload wrote
 * one, workload.log and console.log.
 *
 * Progress and diagnostics go to stderr, one line for what failed; the
 * result ("traced W on FS into DIR") and, with self_check, torn verify's
 * lines go to stdout.  It returns a TORN_EXIT_* code (torn_exit.h):
 * USAGE when the directory already holds a trace or the options are
 * unusable (torn_trace_out_check), INFRA when the kit, the guest, the
 * workload or a file failed, FAIL when the self-check failed.
 */

#include <stdbool.h>

#include "guest.h"
#include "registry.h"
#include "torn_err.h"

struct torn_trace_opts {
	const struct torn_workload *workload; /* torn_trace_workload() */
	struct guest_opts guest; /* fs, flush mode, kit, boot timeout, keep */
	const char *out; /* the run directory (created if missing) */
	bool self_check; /* torn verify the run directory afterwards */
	bool pc; /* record instruction addresses */
	bool untraced; /* no plugin, the benchmark's baseline */
	/*
	 * A user test's stage archive (torn_trace_user_workload), written
	 * into the run directory as stage.cpio and booted after the kit's
	 * archive; NULL for the built-in workloads.
	 */
	const void *stage;
	size_t stage_len;
};

/* ext4-dax, clwb, instruction addresses on; no workload, no out. */
void torn_trace_opts_init(struct torn_trace_opts *o);

int torn_trace_run(const struct torn_trace_opts *o);

/*
 * The run directory's name is handed to QEMU inside the plugin's
 * arguments, which QEMU splits at commas.  0, or TORN_E_USAGE with
 * "--out DIR is required" or "--out 'DIR' must not contain a comma (...)".
 */
int torn_trace_out_check(const char *out, struct torn_err *err);

/* A workload to trace: a built-in one, a user's fsops file or test. */
struct torn_trace_workload {
	const struct torn_workload *wl; /* for torn_trace_opts.workload */
	struct torn_workload user; /* wl points here for "fsops:PATH" */
	char *text; /* the user's file (owned) */
	/* a user's test (owned): what user's pointers point to */
	char *name, *program, *checker;
	char **args, **envs, **setup;
	void *stage; /* for torn_trace_opts.stage */
	size_t stage_len;
};

/*
 * A user's own test (docs/own-tests.md): host paths, relative to the
 * current directory, and shell-quoted words (user.h).  program or
 * script, not both; the others may be NULL.
 */
struct torn_user_test {
	const char *program; /* an executable, staged with its libraries */
	const char *script; /* a shell script, run by the guest's sh */
	const char *args; /* its arguments */
	const char *checker; /* run on each recovered state */
	const char *checker_args; /* its arguments; the target goes last
				     unless one names {target} */
	const char *files; /* files and directories, blank-separated */
	const char *setup; /* run with the target before START, untraced */
	const char *env; /* NAME=VALUE words for all of them */
};

/*
 * The user's test t, on fs_kind, into *w, named test:BASENAME of its
 * program or script: every path checked and staged
 * (torn_kit_stage_build), every word parsed, before anything boots.  0,
 * or with one line in err: TORN_E_USAGE (neither or both of program
 * and script, a word that is not NAME=VALUE in env, two staged files of
 * one name), TORN_E_NOTFOUND (a path missing, a library unresolved),
 * TORN_E_FORMAT (an unclosed quote, an unknown {name}).
 * torn_trace_workload_clear() frees it.
 */
int torn_trace_user_workload(const struct torn_user_test *t, int fs_kind,
			     struct torn_trace_workload *w,
			     struct torn_err *err);

/*
 * The workload called name that runs on fs_kind into *w: a built-in
 * (registry.h), or "fsops:PATH", a user's fsops file, read and parsed
 * here and then run like the built-in fsops examples (its name is name
 * itself, which must outlive *w).  NULL name: the default for fs_kind
 * (pmem on devdax, else fsops-default).  0, or with a message in err
 * ("--workload 'X': unknown; ...", a parse error naming the file and
 * line, "workload X does not run on devdax"): TORN_E_NOTFOUND unknown
 * name, TORN_E_FORMAT unreadable or bad file, TORN_E_USAGE wrong fs.
 * torn_trace_workload_clear() frees what a user's file took.
 */
int torn_trace_workload(const char *name, int fs_kind,
			struct torn_trace_workload *w, struct torn_err *err);
void torn_trace_workload_clear(struct torn_trace_workload *w);

#endif
