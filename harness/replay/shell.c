/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --shell: a guest on the console with the state's image on /mnt. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "replay_int.h"
#include "torn_exit.h"

int replay_shell(struct torn_replay *r)
{
	struct torn_vm_config cfg = { 0 };
	struct torn_err err = { "" };
	struct guest_opts go = r->o.guest;
	const char *const ex[] = { "exit", NULL };
	struct torn_kit kit;
	struct torn_vm *vm;
	char work[4096], pm[4200];
	int fs = r->have_meta ? torn_fs_kind_parse(r->meta.fs) : -1;

	char stage[4200];

	/* a user test's programs and checker, as the checker guests had */
	go.stage = torn_run_stage(r->o.dir, stage, sizeof(stage));
	if (guest_kit(&go, &kit))
		return TORN_EXIT_INFRA;
	if (guest_workdir("shell", work, sizeof(work))) {
		perror("torn replay: cannot create a work directory");
		return TORN_EXIT_INFRA;
	}
	snprintf(pm, sizeof(pm), "%s/pm.img", work);
	if (!g_file_set_contents(pm, (const gchar *)r->state, (gssize)r->size,
				 NULL)) {
		fprintf(stderr, "torn replay: cannot write %s\n", pm);
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	cfg.kernel = kit.kernel;
	cfg.initrd = kit.initrd;
	cfg.pm_path = pm;
	cfg.pm_size = r->size;
	cfg.workdir = work;
	cfg.console_stdio = 1;
	cfg.append = "torn.shell";
	if (torn_vm_start(&cfg, &vm, &err)) {
		fprintf(stderr, "torn replay: guest did not boot: %s\n",
			err.msg);
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	if (fs >= 0 && fs != TORN_FS_DEVDAX) {
		const char *mnt[] = {
			"mount", "/dev/pmem0",
			"/mnt",	 fs == TORN_FS_XFS_DAX ? "xfs" : "ext4",
			"dax",	 NULL
		};

		if (guest_call(vm, 120000, mnt, NULL, &err))
			fprintf(stderr,
				"torn replay: the recovery mount failed: %s\n",
				err.msg);
		else
			fprintf(stderr,
				"torn replay: recovered filesystem mounted on /mnt\n");
	}
	guest_call(vm, 10000, ex, NULL, &err);
	torn_vm_wait(vm);
	guest_workdir_remove(work);
	return 0;
}
