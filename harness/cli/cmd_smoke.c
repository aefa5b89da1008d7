/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn smoke: boot a guest and check the DAX stack on an emulated NVDIMM. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "smoke.h"

static void smoke_usage(FILE *f)
{
	fprintf(f,
		"usage: torn smoke [--fs KIND] [options]\n"
		"Boots the kit on a copy of the base image and checks, one line\n"
		"each: the namespace mode, the kind's mount line, and on a DAX\n"
		"kind a mount showing dax=always and a file written through\n"
		"MAP_SYNC, flushed, unmapped and read back.\n"
		"--flushes also traces libpmem and msync and counts the flush\n"
		"instructions the guest really used.\n\n%s",
		guest_opts_usage);
}

static void smoke_check(void *ctx, bool ok, const char *what,
			const char *detail)
{
	printf("%-4s %s%s%s\n", ok ? "ok" : "FAIL", what, detail ? ": " : "",
	       detail ? detail : "");
	fflush(stdout);
}

static void smoke_booting(void *ctx)
{
	const struct guest_opts *o = ctx;

	printf("smoke %s, flush mode %s\n", torn_fs_kind_name(o->fs_kind),
	       torn_flush_mode_name(o->flush_mode));
}

static void smoke_booted(void *ctx, long boot_ms, const char *kernel)
{
	printf("boot %.1f s to the agent (kernel %s)\n", boot_ms / 1000.0,
	       kernel);
}

static void smoke_flushes(void *ctx, const char *workload,
			  const struct torn_flush_counts *c)
{
	int i;

	for (i = 0; i < 2; i++)
		printf("%-4s %s workload, %s: clwb %llu, clflushopt %llu, clflush %llu, "
		       "NT stores %llu, fences %llu\n",
		       "", workload, i ? "kernel" : "user",
		       (unsigned long long)c->flush[i][TORN_FLUSH_CLWB],
		       (unsigned long long)c->flush[i][TORN_FLUSH_CLFLUSHOPT],
		       (unsigned long long)c->flush[i][TORN_FLUSH_CLFLUSH],
		       (unsigned long long)c->nt[i],
		       (unsigned long long)c->fences[i]);
}

static const struct torn_smoke_ops smoke_ops = {
	.booting = smoke_booting,
	.booted = smoke_booted,
	.check = smoke_check,
	.flushes = smoke_flushes,
};

int cmd_smoke(int argc, char **argv)
{
	struct guest_opts o = { .fs_kind = TORN_FS_EXT4_DAX };
	int i, ret, flushes = 0;

	for (i = 1; i < argc; i++) {
		int r = guest_opts_parse(&o, argc, argv, &i);

		if (r < 0)
			return TORN_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--help")) {
			smoke_usage(stdout);
			return TORN_EXIT_OK;
		}
		if (!strcmp(argv[i], "--flushes")) {
			flushes = 1;
			continue;
		}
		fprintf(stderr, "torn smoke: unknown option '%s'\n", argv[i]);
		smoke_usage(stderr);
		return TORN_EXIT_USAGE;
	}
	torn_vm_install_signal_handlers();
	ret = torn_smoke_run(&o, &smoke_ops, &o);
	if (ret == TORN_EXIT_INFRA)
		return ret;
	if (flushes) {
		printf("flush instructions used in flush mode %s:\n",
		       torn_flush_mode_name(o.flush_mode));
		fflush(stdout);
		if (!torn_smoke_flushes(&o, &smoke_ops, &o))
			ret = TORN_EXIT_FAIL;
	}
	printf("smoke %s\n", ret == TORN_EXIT_OK ? "passed" : "FAILED");
	return ret;
}
