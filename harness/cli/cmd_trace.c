/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn trace and torn verify: record a workload on an NVDIMM, self-check it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rundir.h"
#include "tracing.h"
#include "verify.h"

static void trace_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: torn trace --out DIR [--workload W] [--self-check] [--no-pc] [options]\n"
		"Boots a guest with the tracer plugin, mounts the filesystem with\n"
		"-o dax, arms the tracer at START, runs the workload, stops at STOP,\n"
		"and writes DIR/trace.torn, base.img (the NVDIMM at START),\n"
		"final.img (at STOP), kallsyms, meta.json, workload.log, console.log.\n\n"
		"workloads:\n");
	for (i = 0; i < torn_workloads_count; i++)
		fprintf(f, "  %-16s %s%s\n", torn_workloads[i].name,
			torn_workloads[i].summary,
			torn_workloads[i].flags & TORN_WL_DEVDAX
				? (torn_workloads[i].flags & TORN_WL_FS
					   ? ""
					   : " (devdax only)")
				: " (filesystems only)");
	fprintf(f,
		"\noptions:\n%s"
		"  --self-check                   run torn verify DIR afterwards\n"
		"  --no-pc                        do not record instruction addresses\n"
		"  --untraced                     run the same session without the tracer\n"
		"                                 (the benchmark's baseline; writes meta.json only)\n",
		guest_opts_usage);
}

int cmd_trace(int argc, char **argv)
{
	struct torn_trace_workload w;
	struct torn_trace_opts o;
	struct torn_err err = { "" };
	const char *wl = NULL;
	int i, ret;

	torn_trace_opts_init(&o);
	for (i = 1; i < argc; i++) {
		int r = guest_opts_parse(&o.guest, argc, argv, &i);

		if (r < 0)
			return TORN_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--help")) {
			trace_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(argv[i], "--self-check")) {
			o.self_check = true;
		} else if (!strcmp(argv[i], "--untraced")) {
			o.untraced = true;
		} else if (!strcmp(argv[i], "--no-pc")) {
			o.pc = false;
		} else if ((!strcmp(argv[i], "--workload") ||
			    !strcmp(argv[i], "--out")) &&
			   i + 1 < argc) {
			if (!strcmp(argv[i], "--out"))
				o.out = argv[++i];
			else
				wl = argv[++i];
		} else {
			fprintf(stderr,
				"torn trace: unknown option or missing value '%s'\n",
				argv[i]);
			trace_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	if (torn_trace_out_check(o.out, &err) ||
	    torn_trace_workload(wl, o.guest.fs_kind, &w, &err)) {
		fprintf(stderr, "torn trace: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	o.workload = w.wl;
	torn_vm_install_signal_handlers();
	ret = torn_trace_run(&o);
	torn_trace_workload_clear(&w);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	int eadr = 0, i, ret;
	const char *dir = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			printf("usage: torn verify DIR [--eadr]\n"
			       "Self-checks a traced run: base.img + every store == final.img;\n"
			       "no unresolved flushes; at every durability marker every user\n"
			       "and non-temporal store was flushed and fenced.\n");
			return TORN_EXIT_OK;
		} else if (!strcmp(argv[i], "--eadr")) {
			eadr = 1;
		} else if (argv[i][0] == '-' || dir) {
			fprintf(stderr,
				"torn verify: unexpected argument '%s'\n",
				argv[i]);
			return TORN_EXIT_USAGE;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		fprintf(stderr, "usage: torn verify DIR [--eadr]\n");
		return TORN_EXIT_USAGE;
	}
	if (!eadr) {
		/* the run knows its own flush mode; without meta.json: adr */
		struct torn_run_meta m;
		struct torn_err err = { "" };

		if (!torn_run_meta_read(dir, &m, &err))
			eadr = !strcmp(m.flush_mode, "eadr");
	}
	ret = verify_run_dir(dir, eadr, stdout);
	return ret < 0 ? TORN_EXIT_INFRA : ret ? TORN_EXIT_FAIL : TORN_EXIT_OK;
}
