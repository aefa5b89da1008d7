/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's keys: the spec key and option name of each setting. */
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
};

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
