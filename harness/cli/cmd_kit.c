/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn kit: build or reuse the guest kit and the base PM images. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "guest.h"

static void kit_usage(FILE *f)
{
	fprintf(f,
		"usage: torn kit [--fs KIND|--all] [options]\n"
		"Builds the guest kit (kernel, initramfs) and base PM images,\n"
		"cached by content hash; a second run does nothing.\n\n%s"
		"  --all                          base images of every kind (default)\n",
		guest_opts_usage);
}

int cmd_kit(int argc, char **argv)
{
	struct guest_opts o = { .fs_kind = -1 };
	struct torn_kit kit;
	int i, k, all_reused = 1;

	for (i = 1; i < argc; i++) {
		int r = guest_opts_parse(&o, argc, argv, &i);

		if (r < 0)
			return TORN_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--all")) {
			o.fs_kind = -1;
		} else if (!strcmp(argv[i], "--help")) {
			kit_usage(stdout);
			return TORN_EXIT_OK;
		} else {
			fprintf(stderr, "torn kit: unknown option '%s'\n",
				argv[i]);
			kit_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	torn_vm_install_signal_handlers();
	if (guest_kit(&o, &kit))
		return TORN_EXIT_INFRA;
	all_reused = kit.reused;
	printf("kit %s\nkernel %s\ninitrd %s\n", kit.hash, kit.kernel,
	       kit.initrd);
	for (k = 0; k < TORN_FS_BUILTIN; k++) {
		struct torn_err err = { "" };
		char path[4096];
		int reused;

		if (o.fs_kind >= 0 && k != o.fs_kind)
			continue;
		if (torn_kit_base_image(&kit, k, guest_pm_size(&o), path,
					sizeof(path), &reused, &err)) {
			fprintf(stderr,
				"torn: cannot build the %s base image: %s\n",
				torn_fs_kind_name(k), err.msg);
			return TORN_EXIT_INFRA;
		}
		all_reused &= reused;
		printf("base %s %s\n", torn_fs_kind_name(k), path);
	}
	if (all_reused)
		fprintf(stderr,
			"torn: everything was cached; nothing was built\n");
	return TORN_EXIT_OK;
}
