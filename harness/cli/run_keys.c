/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's keys: the spec key and option name of each setting. */
#include <glib.h>
#include <string.h>

#include "run_spec.h"

static const char *const key_names[RUN_KEYS] = {
	[RUN_FS] = "fs",
	[RUN_FLUSH] = "flush",
	[RUN_WORKLOAD] = "workload",
	[RUN_ENGINE] = "engine",
	[RUN_POINTS] = "points",
	[RUN_MODEL] = "model",
	[RUN_GRANULARITY] = "granularity",
	[RUN_OUT] = "out",
	[RUN_ORACLES] = "oracles",
	[RUN_TIMEOUT] = "timeout",
	[RUN_JOBS] = "jobs",
	[RUN_KERNEL] = "kernel",
	[RUN_MODULES] = "modules",
	[RUN_CACHE] = "cache",
	[RUN_LIMIT] = "limit",
	[RUN_FROM_OP] = "from-op",
	[RUN_BOOT_TIMEOUT] = "boot-timeout",
	[RUN_ALLOW_EMPTY] = "allow-empty",
	[RUN_KNOWN] = "known",
	[RUN_STRICT] = "strict",
	[RUN_PM_SIZE] = "pm-size",
	[RUN_COVERAGE] = "coverage",
	[RUN_COVERAGE_BATCH] = "coverage-batch",
	[RUN_SHARD] = "shard",
	[RUN_BACKEND] = "backend",
	[RUN_PROGRAM] = "program",
	[RUN_SCRIPT] = "script",
	[RUN_ARGS] = "args",
	[RUN_CHECKER] = "checker",
	[RUN_CHECKER_ARGS] = "checker-args",
	[RUN_FILES] = "files",
	[RUN_SETUP] = "setup",
	[RUN_ENV] = "env",
	[RUN_EXPECT] = "expect",
};

int run_option_key(const char *name, int *one_word)
{
	static const struct {
		const char *option;
		enum run_key key;
	} words[] = {
		{ "arg", RUN_ARGS },
		{ "checker-arg", RUN_CHECKER_ARGS },
		{ "file", RUN_FILES },
		{ "env", RUN_ENV },
	};
	size_t i;

	*one_word = 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(name, words[i].option)) {
			*one_word = 1;
			return words[i].key;
		}
	return run_key_parse(name);
}

const char *run_key_name(enum run_key k)
{
	return k >= 0 && k < RUN_KEYS ? key_names[k] : "?";
}

int run_key_parse(const char *name)
{
	int k;

	for (k = 0; k < RUN_KEYS; k++)
		if (!strcmp(name, key_names[k]))
			return k;
	return -1;
}

/*
 * A value without its trailing comment: from a # after a blank, outside
 * quotes, as a shell reads a line ("program = x   # a note").
 */
void run_value_cut_comment(char *v)
{
	char quote = 0, *p;
	int blank = 1; /* at the start, or after an unquoted blank */

	for (p = v; *p; p++) {
		if (quote) {
			if (*p == '\\' && quote == '"' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
			blank = 0;
		} else if (*p == '\\' && p[1]) {
			p++; /* an escaped blank is no blank */
			blank = 0;
		} else if (*p == '#' && blank) {
			*p = 0;
			break;
		} else {
			if (*p == '\'' || *p == '"')
				quote = *p;
			blank = *p == ' ' || *p == '\t';
		}
	}
	g_strchomp(v);
}
