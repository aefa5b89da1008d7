/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's settings checked and placed into the stages' options. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "run_plan.h"
#include "vm.h"

/* The guest settings, into both stages' guest options; the workload. */
static int guest_settings(const struct run_settings *s, struct run_plan *p,
			  struct torn_err *err)
{
	static const enum run_key keys[] = { RUN_FS,	 RUN_FLUSH,
					     RUN_KERNEL, RUN_MODULES,
					     RUN_CACHE,	 RUN_PM_SIZE,
					     RUN_BACKEND };
	struct torn_err e = { "" };
	char opt[32];
	size_t k;

	for (k = 0; k < G_N_ELEMENTS(keys); k++) {
		const char *v = run_settings_get(s, keys[k]);

		snprintf(opt, sizeof(opt), "--%s", run_key_name(keys[k]));
		if (v && guest_opts_set(&p->trace.guest, opt, v, &e))
			return run_settings_blame(s, keys[k], e.msg, err);
	}
	/* a user's fsops file or test is read and checked with the trace */
	if (!p->is_user && !torn_workload_find(p->workload) &&
	    strncmp(p->workload, "fsops:", 6))
		return run_settings_blame(
			s, RUN_WORKLOAD,
			"unknown workload; 'torn trace --help' lists them",
			err);
	return 0;
}

/* The numbers, checked before the trace rather than after it. */
static int number_settings(const struct run_settings *s, struct run_plan *p,
			   struct torn_err *err)
{
	static const struct {
		enum run_key key;
		enum cli_count count;
	} nums[] = {
		{ RUN_TIMEOUT, CLI_COUNT_TIMEOUT },
		{ RUN_JOBS, CLI_COUNT_JOBS },
		{ RUN_LIMIT, CLI_COUNT_LIMIT },
		{ RUN_FROM_OP, CLI_COUNT_FROM_OP },
		{ RUN_COVERAGE_BATCH, CLI_COUNT_COVERAGE_BATCH },
	};
	const char *v = run_settings_get(s, RUN_BOOT_TIMEOUT);
	struct torn_err e = { "" };
	uint64_t n[CLI_COUNT_N] = { 0 };
	char why[600];
	size_t k;

	for (k = 0; k < G_N_ELEMENTS(nums); k++) {
		const char *val = run_settings_get(s, nums[k].key);

		if (!val ||
		    !cli_count_parse(nums[k].count, val, &n[nums[k].count], &e))
			continue;
		snprintf(why, sizeof(why), "'%s': %s", val, e.msg);
		return run_settings_blame(s, nums[k].key, why, err);
	}
	if (v && guest_opts_set(&p->trace.guest, "--boot-timeout", v, &e)) {
		snprintf(why, sizeof(why), "'%s': %s", v, e.msg);
		return run_settings_blame(s, RUN_BOOT_TIMEOUT, why, err);
	}
	if (n[CLI_COUNT_TIMEOUT])
		p->check.timeout_ms = (int)n[CLI_COUNT_TIMEOUT] * 1000;
	if (n[CLI_COUNT_JOBS])
		p->check.jobs = (int)n[CLI_COUNT_JOBS];
	if (n[CLI_COUNT_LIMIT])
		p->check.limit = n[CLI_COUNT_LIMIT];
	p->check.from_op = n[CLI_COUNT_FROM_OP];
	p->check.coverage_batch = (unsigned int)n[CLI_COUNT_COVERAGE_BATCH];
	return 0;
}

/* yes or no; NULL: not given. */
static int yes_no(const struct run_settings *s, enum run_key k, bool *out,
		  struct torn_err *err)
{
	const char *v = run_settings_get(s, k);

	if (v && strcmp(v, "yes") && strcmp(v, "no"))
		return run_settings_blame(s, k, "expected yes or no", err);
	*out = v && !strcmp(v, "yes");
	return 0;
}

/* The known findings files, read when the run starts (cli_known_load). */
static int known_settings(const struct run_settings *s, struct run_plan *p,
			  struct torn_err *err)
{
	const char *v = run_settings_get(s, RUN_KNOWN);
	struct torn_err e = { "" };

	if (v && cli_known_add_list(&p->known, v, &e))
		return run_settings_blame(s, RUN_KNOWN, e.msg, err);
	return yes_no(s, RUN_STRICT, &p->known.strict, err);
}

/* How the crash states are made and judged. */
static int state_settings(const struct run_settings *s, struct run_plan *p,
			  struct torn_err *err)
{
	static const enum run_key keys[] = { RUN_ENGINE, RUN_POINTS, RUN_MODEL,
					     RUN_GRANULARITY };
	struct cli_states_seen seen = { 0 };
	struct torn_err e = { "" };
	const char *v;
	char opt[32];
	size_t k;

	for (k = 0; k < G_N_ELEMENTS(keys); k++) {
		v = run_settings_get(s, keys[k]);
		snprintf(opt, sizeof(opt), "--%s", run_key_name(keys[k]));
		if (v && cli_states_set(opt, v, &p->check.states, &seen, &e))
			return run_settings_blame(s, keys[k], e.msg, err);
	}
	p->check.points_text = seen.points;
	if (yes_no(s, RUN_ALLOW_EMPTY, &p->check.allow_empty, err) ||
	    yes_no(s, RUN_COVERAGE, &p->check.coverage, err))
		return TORN_E_USAGE;
	v = run_settings_get(s, RUN_ORACLES);
	if (v && cli_oracles_parse(v, &p->check.oracles, &e))
		return run_settings_blame(s, RUN_ORACLES, e.msg, err);
	v = run_settings_get(s, RUN_SHARD);
	if (v && torn_check_shard_parse(v, &p->check.shard_index,
					&p->check.shard_count, &e))
		return run_settings_blame(s, RUN_SHARD, e.msg, err);
	if (v)
		p->check.given |= TORN_CHECK_GIVEN_SHARD;
	return known_settings(s, p, err);
}

int run_plan_make(const struct run_settings *s, struct run_plan *p,
		  struct torn_err *err)
{
	memset(&p->known, 0, sizeof(p->known));
	p->user_name = NULL;
	torn_trace_opts_init(&p->trace);
	torn_check_opts_init(&p->check);
	p->workload = run_settings_get(s, RUN_WORKLOAD);
	if (run_plan_user(s, p, err))
		return TORN_E_USAGE;
	if (!p->workload)
		return torn_err_set(err, TORN_E_USAGE, "no workload");
	if (guest_settings(s, p, err) || number_settings(s, p, err) ||
	    state_settings(s, p, err))
		return TORN_E_USAGE;
	p->trace.out = p->check.dir = run_settings_get(s, RUN_OUT);
	p->check.guest = p->trace.guest;
	/* another host's hypervisor checks; the trace is made here */
	if (torn_vm_backend_remote(p->trace.guest.libvirt_uri))
		p->trace.guest.libvirt_uri = NULL;
	return 0;
}

void run_plan_fini(struct run_plan *p)
{
	cli_known_fini(&p->known);
	g_free(p->user_name);
	p->user_name = NULL;
}

void run_settings_defaults(struct run_settings *s)
{
	run_settings_default(s, RUN_FS, RUN_DEFAULT_FS);
	run_settings_default(s, RUN_FLUSH, RUN_DEFAULT_FLUSH);
	if (!run_settings_get(s, RUN_PROGRAM) &&
	    !run_settings_get(s, RUN_SCRIPT))
		run_settings_default(s, RUN_WORKLOAD, RUN_DEFAULT_WORKLOAD);
	run_settings_default(s, RUN_ENGINE, RUN_DEFAULT_ENGINE);
	run_settings_default(s, RUN_POINTS, RUN_DEFAULT_POINTS);
}
