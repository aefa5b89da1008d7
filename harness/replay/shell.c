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
	char stage[4200], origin[4200];
	int fs = -1;

	if (r->have_meta &&
	    guest_fs_load_run(r->o.dir, r->meta.fs, &fs, &err)) {
		fprintf(stderr, "torn replay: %s\n", err.msg);
		fs = -1;
	}
	go.libvirt_uri = NULL; /* the shell needs the terminal: QEMU's own */
	if (fs >= 0)
		go.fs_kind = fs; /* a kind of the user's own: its programs */
	/* a user test's programs and checker, as the checker guests had */
	go.stage = torn_run_stage(r->o.dir, stage, sizeof(stage));
	/* the kernel the run was traced on, as its checkers had */
	if (!go.kernel && r->have_meta &&
	    !strncmp(r->meta.kernel_build, "built:", 6))
		go.kernel = r->meta.kernel_build;
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
	if (fs >= 0 && !torn_run_path(r->o.dir, TORN_RUN_ORIGIN, origin,
				      sizeof(origin), NULL))
		guest_vm_origin(torn_fs_get(fs), origin, &cfg);
	cfg.append = "torn.shell";
	if (torn_vm_start(&cfg, &vm, &err)) {
		fprintf(stderr, "torn replay: guest did not boot: %s\n",
			err.msg);
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	if (fs >= 0 && torn_fs_get(fs)->mount) {
		if (guest_fs_mount(vm, torn_fs_get(fs), 120000, &err))
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
