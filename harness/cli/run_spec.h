/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's settings: a spec file (INI, [run]), the command line over it. */
#ifndef TORN_CLI_RUN_SPEC_H
#define TORN_CLI_RUN_SPEC_H

/*
 * A spec is untrusted input: every error names the file, and the line
 * when there is one ("SPEC:4: unknown key 'bogus'").  A setting keeps
 * the spec line it came from, so that a bad value found later is blamed
 * on that line, or on the option when the command line set it.
 */

#include <stddef.h>

#include "torn_err.h"

/* The keys, in the order `torn run --help` lists them. */
enum run_key {
	RUN_FS,
	RUN_FLUSH,
	RUN_WORKLOAD,
	RUN_ENGINE,
	RUN_POINTS,
	RUN_MODEL,
	RUN_GRANULARITY,
	RUN_OUT,
	RUN_ORACLES,
	RUN_TIMEOUT,
	RUN_JOBS,
	RUN_KERNEL,
	RUN_MODULES,
	RUN_CACHE,
	RUN_LIMIT,
	RUN_FROM_OP,
	RUN_BOOT_TIMEOUT,
	RUN_ALLOW_EMPTY,
	RUN_KNOWN, /* known findings files, blank-separated; none */
	RUN_STRICT, /* known findings fail the run too: yes or no */
	RUN_PM_SIZE, /* the NVDIMM's size */
	RUN_COVERAGE, /* the checker kernel's gcov counters: yes or no */
	RUN_COVERAGE_BATCH, /* N: coverage read once every N states */
	RUN_SHARD, /* I/N: check one shard of the unique states */
	RUN_BACKEND, /* qemu, libvirt or libvirt:URI */
	/* a user's own test (docs/own-tests.md), instead of a workload */
	RUN_PROGRAM,
	RUN_SCRIPT,
	RUN_ARGS, /* shell words; --arg adds one word */
	RUN_CHECKER,
	RUN_CHECKER_ARGS, /* shell words; --checker-arg adds one */
	RUN_FILES, /* shell words; --file adds one */
	RUN_SETUP,
	RUN_ENV, /* NAME=VALUE shell words; --env adds one */
	RUN_EXPECT, /* consistent or inconsistent */
	RUN_KEYS,
};

struct run_setting {
	char *value; /* owned; NULL: not set */
	int line; /* its line in the spec; 0: the command line */
};

struct run_settings {
	const char *spec; /* the spec's path; NULL: none */
	struct run_setting set[RUN_KEYS];
};

/* "fs", ..., "from-op", "boot-timeout": the spec key and option name. */
const char *run_key_name(enum run_key k);
/* The key called name, or -1. */
int run_key_parse(const char *name);

/*
 * The key of the option --name: run_key_parse(name), or for the
 * singular of a list (arg, checker-arg, file) and env, that list's key
 * with *one_word set: the option's value is one word of it.  -1: none.
 */
int run_option_key(const char *name, int *one_word);

/*
 * A spec value without its trailing comment: from a # after a blank,
 * outside quotes, as a shell reads a line ("program = x   # a note").
 */
void run_value_cut_comment(char *v);

/*
 * Parse text, the spec at path, into s (zeroed, or holding earlier
 * settings, which it overrides).  0, or TORN_E_FORMAT with
 * "PATH[:LINE]: why" in err: not INI, a group other than [run], an
 * unknown key, a key without a value.
 */
int run_spec_parse(const char *path, const char *text, size_t len,
		   struct run_settings *s, struct torn_err *err);
/* Read and parse the spec at path; -errno / TORN_E_FORMAT with err. */
int run_spec_read(const char *path, struct run_settings *s,
		  struct torn_err *err);

/* Set k from the command line (or a default: line 0). */
void run_settings_set(struct run_settings *s, enum run_key k,
		      const char *value);
/* Set k when it is not set yet. */
void run_settings_default(struct run_settings *s, enum run_key k,
			  const char *value);
/* dst := a copy of src (dst's earlier values freed). */
void run_settings_copy(struct run_settings *dst,
		       const struct run_settings *src);

/* k's value, or NULL. */
const char *run_settings_get(const struct run_settings *s, enum run_key k);

/*
 * A bad value of k, where it came from: "SPEC:LINE: key 'K': why", or
 * "--K: why" for the command line and defaults.  Returns TORN_E_USAGE.
 */
int run_settings_blame(const struct run_settings *s, enum run_key k,
		       const char *why, struct torn_err *err);

void run_settings_free(struct run_settings *s);

#endif
