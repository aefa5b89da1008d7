/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A checker guest for re-checking one state: torn check's, alone. */
#include <string.h>

#include "replay_int.h"
#include "restore.h"
#include "torn_exit.h"

int replay_guest_setup(struct torn_replay *r, struct replay_guest *g,
		       FILE *verbose)
{
	struct check_run *run = &g->run;
	struct torn_err err = { "" };
	char path[4200];

	memset(g, 0, sizeof(*g));
	run->dir = r->o.dir;
	run->guest = r->o.guest;
	run->oracles = TORN_O_ALL;
	run->timeout_ms = r->o.timeout_ms;
	run->pm_size = r->size;
	run->base = r->base;
	run->verbose = verbose;
	if (!r->have_meta || check_run_from_meta(run, &r->meta, NULL, &err)) {
		fprintf(stderr,
			"torn replay: %s/meta.json names no filesystem\n",
			r->o.dir);
		return TORN_EXIT_INFRA;
	}
	if (check_run_load_expected(run, &err)) {
		fprintf(stderr, "torn replay: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (check_run_collect_markers(run, r->trace) ||
	    guest_kit(&run->guest, &run->kit))
		return TORN_EXIT_INFRA;
	/* started from the saved guest as torn check's checkers are */
	check_warm_setup(run);
	snprintf(path, sizeof(path), "%s/base.img", r->o.dir);
	if (checker_init(&g->c, run, 0, path)) {
		fprintf(stderr, "torn replay: cannot set up a checker\n");
		return TORN_EXIT_INFRA;
	}
	snprintf(g->c.job.id, sizeof(g->c.job.id), "%s", r->o.state_id);
	g->c.job.point = r->point;
	if (checker_boot(&g->c, &err)) {
		fprintf(stderr, "torn replay: guest did not boot: %s\n",
			err.msg);
		return TORN_EXIT_INFRA;
	}
	return 0;
}

void replay_guest_fini(struct replay_guest *g)
{
	if (g->c.run)
		checker_fini(&g->c);
	check_run_fini(&g->run);
}

int replay_guest_check(struct replay_guest *g, const uint8_t *img,
		       struct check_result *res)
{
	check_restore(g->c.pm, img, g->run.pm_size);
	if (check_one(&g->c, res)) {
		fprintf(stderr, "torn replay: the guest failed: %s\n",
			res->infra_detail);
		return -1;
	}
	return res->verdict;
}
