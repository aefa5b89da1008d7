/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What staging a user's test costs (docs/own-tests.md): the stage archive
 * of a program (torn_trace_user_workload: ldd, the libraries read), the
 * kit's archive with the stage after it, written once (torn_kit_use_stage)
 * and then reused.  One JSON line.
 * usage: stage_bench PROGRAM KIT-INITRD [ROUNDS]
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kit.h"
#include "torn_time.h"
#include "tracing.h"

int main(int argc, char **argv)
{
	struct torn_user_test t = { 0 };
	struct torn_trace_workload w;
	struct torn_err err = { "" };
	struct torn_kit kit;
	char dir[] = "/tmp/torn-stage-bench-XXXXXX", stage[64 + sizeof(dir)];
	long long t0, build = 0, first = 0, reuse = 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	size_t len = 0;

	if (argc < 3 || rounds < 1) {
		fprintf(stderr,
			"usage: stage_bench PROGRAM KIT-INITRD [ROUNDS]\n");
		return 2;
	}
	if (!mkdtemp(dir))
		return 2;
	t.program = argv[1];
	t.checker = argv[1];
	snprintf(stage, sizeof(stage), "%s/stage.cpio", dir);
	for (int r = 0; r < rounds; r++) {
		t0 = torn_now_ms();
		if (torn_trace_user_workload(&t, TORN_FS_EXT4_DAX, &w, &err)) {
			fprintf(stderr, "stage_bench: %s\n", err.msg);
			return 1;
		}
		build += torn_now_ms() - t0;
		len = w.stage_len;
		g_file_set_contents(stage, w.stage, (gssize)w.stage_len, NULL);
		torn_trace_workload_clear(&w);
		for (int pass = 0; pass < 2; pass++) {
			char *cmd;

			memset(&kit, 0, sizeof(kit));
			snprintf(kit.dir, sizeof(kit.dir), "%s", dir);
			snprintf(kit.initrd, sizeof(kit.initrd), "%s", argv[2]);
			t0 = torn_now_ms();
			if (torn_kit_use_stage(&kit, stage, &err)) {
				fprintf(stderr, "stage_bench: %s\n", err.msg);
				return 1;
			}
			*(pass ? &reuse : &first) += torn_now_ms() - t0;
			if (!pass)
				continue;
			cmd = g_strdup_printf("rm -rf %s/staged", dir);
			if (system(cmd))
				return 1;
			g_free(cmd);
		}
	}
	printf("{\"bench\":\"stage\",\"program\":\"%s\",\"rounds\":%d,"
	       "\"stage_bytes\":%zu,\"build_ms\":%.1f,\"staged_initrd_ms\":%.1f,"
	       "\"reuse_ms\":%.1f}\n",
	       argv[1], rounds, len, (double)build / rounds,
	       (double)first / rounds, (double)reuse / rounds);
	unlink(stage);
	rmdir(dir);
	return 0;
}
