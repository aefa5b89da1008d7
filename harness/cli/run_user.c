/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run's user test (docs/own-tests.md): settings into the trace's test. */
#include <glib.h>
#include <string.h>

#include "run_plan.h"

int run_plan_user(const struct run_settings *s, struct run_plan *p,
		  struct torn_err *err)
{
	static const enum run_key needs_test[] = {
		RUN_ARGS,  RUN_CHECKER, RUN_CHECKER_ARGS,
		RUN_FILES, RUN_SETUP,	RUN_ENV,
	};
	const char *program = run_settings_get(s, RUN_PROGRAM);
	const char *script = run_settings_get(s, RUN_SCRIPT);
	const char *expect = run_settings_get(s, RUN_EXPECT);
	struct torn_user_test *t = &p->user;
	size_t i;

	memset(t, 0, sizeof(*t));
	p->is_user = program || script;
	if (program && script)
		return run_settings_blame(
			s, RUN_SCRIPT, "a test has a program or a script", err);
	if (p->is_user && run_settings_get(s, RUN_WORKLOAD))
		return run_settings_blame(
			s, RUN_WORKLOAD,
			"a test with a program or a script has no workload",
			err);
	for (i = 0; !p->is_user && i < G_N_ELEMENTS(needs_test); i++)
		if (run_settings_get(s, needs_test[i]))
			return run_settings_blame(
				s, needs_test[i],
				"belongs to a test: give program or script",
				err);
	if (expect && strcmp(expect, "consistent") &&
	    strcmp(expect, "inconsistent"))
		return run_settings_blame(s, RUN_EXPECT,
					  "expected consistent or inconsistent",
					  err);
	p->expect_inconsistent = expect && !strcmp(expect, "inconsistent");
	if (!p->is_user)
		return 0;
	t->program = program;
	t->script = script;
	t->args = run_settings_get(s, RUN_ARGS);
	t->checker = run_settings_get(s, RUN_CHECKER);
	t->checker_args = run_settings_get(s, RUN_CHECKER_ARGS);
	t->files = run_settings_get(s, RUN_FILES);
	t->setup = run_settings_get(s, RUN_SETUP);
	t->env = run_settings_get(s, RUN_ENV);
	if (t->checker_args && !t->checker)
		return run_settings_blame(s, RUN_CHECKER_ARGS,
					  "needs a checker", err);
	{
		char *base = g_path_get_basename(program ? program : script);

		p->user_name = g_strconcat("test:", base, NULL); /* as traced */
		g_free(base);
	}
	p->workload = p->user_name;
	return 0;
}

int run_plan_workload(struct run_plan *p, struct torn_trace_workload *w,
		      struct torn_err *err)
{
	int ret = p->is_user
			  ? torn_trace_user_workload(
				    &p->user, p->trace.guest.fs_kind, w, err)
			  : torn_trace_workload(p->workload,
						p->trace.guest.fs_kind, w, err);

	if (ret)
		return ret;
	p->trace.workload = w->wl;
	p->trace.stage = w->stage;
	p->trace.stage_len = w->stage_len;
	return 0;
}
