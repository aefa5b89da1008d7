/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn run: trace, crash states, check and summary in one command. */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "cli.h"
#include "matrix.h"
#include "run_plan.h"
#include "rundir.h"
#include "verify.h"

void run_usage(FILE *f)
{
	fprintf(f,
		"usage: torn run [SPEC] [--KEY VALUE]...\n"
		"Traces a workload, enumerates its crash states, checks each one in\n"
		"checker guests and prints a summary.  With no arguments: fs %s,\n"
		"flush %s, workload %s, engines %s, points %s.\n\n"
		"  --fs KIND          filesystem kind: ext4-dax, xfs-dax, devdax,\n"
		"                     ext4-btt, xfs-btt, btrfs-pmem,\n"
		"                     dm-writecache, or the spec's [fs] kind\n"
		"                     (docs/filesystems.md)\n"
		"  --flush clwb|clflushopt|clflush|eadr|nt   flush mode\n"
		"                     (several, blank-separated: a run for each\n"
		"                     pair, into OUT/FS-FLUSH, the worst exit)\n"
		"  --workload W       a workload of torn trace --help, or fsops:PATH\n"
		"  --engine E         crash state engines, e.g. prefix,subsets:2,torn\n"
		"  --points P         crash points, e.g. fence,flush or store:100\n"
		"  --model M --granularity G   as for torn states\n"
		"  --out DIR          the run directory (default\n"
		"                     torn-runs/FS-FLUSH-WORKLOAD-DATE)\n"
		"  --oracles LIST     mount,fsck,dmesg,durability,atomicity,usability,\n"
		"                     custom (default all)\n"
		"  --timeout S        seconds for each step in a checker guest\n"
		"                     (default 60)\n"
		"  -j N, --jobs N     checker guests (default: number of cores)\n"
		"  --limit N          check at most N states (torn report then says\n"
		"                     the rest have no verdict)\n"
		"  --from-op N        only crash points from op N's begin marker on\n"
		"                     (ops are numbered from 1)\n"
		"  --kernel PATH --modules DIR   a kernel other than Debian's stock one\n"
		"  --kernel built:HASH|NAME      one torn kernel build made (docs/kernels.md)\n"
		"  --cache DIR        cache directory (default ~/.cache/torn)\n"
		"  --backend qemu|libvirt[:URI]  guests started by torn (default) or as\n"
		"                     libvirt domains, checks also on another host's\n"
		"                     (docs/ci.md)\n"
		"  --boot-timeout S   seconds to wait for a guest (default 300)\n"
		"  --pm-size SIZE     the NVDIMM's size, e.g. 512M or 1G (default 64M)\n"
		"  --allow-empty      no crash state at all is a pass, not exit 4\n"
		"                     (spec: allow-empty = yes)\n"
		"  --known FILE       known findings besides the stock kernel's\n"
		"                     (repeatable; none: not even those)\n"
		"  --strict           known findings fail the run too\n"
		"  --coverage         the checker kernel's gcov counters (a --gcov kernel;\n"
		"                     docs/coverage.md)\n"
		"  --coverage-batch N --coverage, read once every N states of a checker\n"
		"  --shard I/N        check shard I of N of the unique states\n"
		"  --cell ID          one cell of torn matrix: its spec among the SPECs\n"
		"                     and DIRs given (torn matrix's), fs, flush, engines\n"
		"                     and shard; out defaults to torn-runs/ID (docs/ci.md)\n"
		"  --trace-only       trace and self-check, no check\n"
		"With --cell or --shard, an OUT that holds a trace (torn run --trace-only,\n"
		"copied there) is checked, not traced again.\n"
		"A test of your own (docs/own-tests.md), instead of --workload:\n"
		"  --program PATH | --script PATH   what to trace, staged into the guest\n"
		"  --arg A            one argument (repeatable); {target} {mnt} {fs}\n"
		"  --checker PATH --checker-arg A   run on each recovered state\n"
		"  --file PATH        staged into /opt/torn/files (repeatable)\n"
		"  --setup PATH       run with the target before START, untraced\n"
		"  --env NAME=VALUE   for all of them (repeatable)\n"
		"  --expect consistent|inconsistent   inconsistent: a seeded bug\n\n"
		"The defaults write each cache line back whole: lines torn at 8-byte\n"
		"granules need --granularity torn (1.7x the states of the default run)\n"
		"or the torn engine (26x); docs/user-guide.md says what each covers.\n\n"
		"SPEC is an INI file with the same settings in a [run] or [test] group:\n"
		"  [run]\n  fs = xfs-dax\n  engine = prefix,subsets:2\n"
		"Command-line options override it.  Keys: fs flush workload engine\n"
		"points model granularity out oracles timeout jobs kernel modules\n"
		"cache limit from-op boot-timeout allow-empty known strict pm-size coverage\n"
		"coverage-batch shard backend "
		"program script args checker checker-args files setup env expect.\n"
		"An empty spec, one without [run], a NUL byte or a key given twice is\n"
		"an error.\n\n"
		"Exit status: 0 every state consistent or a known finding, 1 a new\n"
		"inconsistency found, 2 usage, 3 infrastructure, 4 no crash state to\n"
		"check.\n",
		RUN_DEFAULT_FS, RUN_DEFAULT_FLUSH, RUN_DEFAULT_WORKLOAD,
		RUN_DEFAULT_ENGINE, RUN_DEFAULT_POINTS);
}

/* torn-runs/FS-FLUSH-WORKLOAD-TIME (created), as a setting of s. */
static const char *default_out(struct run_settings *s, const char *name)
{
	char stamp[64], *out, *wl = g_strdup(name);
	time_t now = time(NULL);

	/* fsops:PATH: keep the name readable and free of slashes */
	g_strdelimit(wl, ":/,", '_');
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	out = g_strdup_printf("torn-runs/%s-%s-%s-%s",
			      run_settings_get(s, RUN_FS),
			      run_settings_get(s, RUN_FLUSH), wl, stamp);
	run_settings_set(s, RUN_OUT, out);
	g_free(out);
	g_free(wl);
	mkdir("torn-runs", 0755);
	return run_settings_get(s, RUN_OUT);
}

/*
 * Trace, then the tracer's self-check; *unflushed: the workload
 * acknowledged data it had not flushed and fenced (a note until a crash
 * state fails).
 */
static int trace(struct run_plan *p, bool *unflushed)
{
	struct torn_trace_workload w;
	struct torn_err err = { "" };
	int ret;

	if (torn_trace_out_check(p->trace.out, &err) ||
	    run_plan_workload(p, &w, &err)) {
		fprintf(stderr, "torn run: %s\n", err.msg);
		return TORN_EXIT_USAGE;
	}
	torn_vm_install_signal_handlers();
	if (p->check.guest.libvirt_uri && !p->trace.guest.libvirt_uri)
		fprintf(stderr,
			"torn run: tracing on this host's QEMU, checking on "
			"libvirt:%s\n",
			p->check.guest.libvirt_uri);
	ret = torn_trace_run(&p->trace);
	torn_trace_workload_clear(&w);
	if (ret)
		return ret;
	ret = verify_run_dir(p->trace.out,
			     p->trace.guest.flush_mode == TORN_FLUSH_MODE_EADR,
			     stdout);
	if (ret < 0 || (ret & (VERIFY_REPLAY | VERIFY_UNRESOLVED))) {
		fprintf(stderr,
			"torn run: the tracer's self-check failed: the trace cannot be trusted\n");
		return TORN_EXIT_INFRA;
	}
	*unflushed = ret & VERIFY_DURABILITY;
	if (*unflushed)
		fprintf(stderr,
			"torn run: the workload acknowledged data that was not flushed and fenced (above); the crash states say whether it matters\n");
	return TORN_EXIT_OK;
}

/* --cell and --trace-only, for run_one (run_matrix calls it with s only) */
static struct run_extra run_x;

/* dir holds a finished trace: trace.torn and meta.json. */
static bool holds_trace(const char *dir)
{
	char *t = g_build_filename(dir, "trace.torn", NULL);
	char *m = g_build_filename(dir, TORN_RUN_META, NULL);
	bool yes = g_file_test(t, G_FILE_TEST_IS_REGULAR) &&
		   g_file_test(m, G_FILE_TEST_IS_REGULAR);

	g_free(t);
	g_free(m);
	return yes;
}

/* One run of s, an fs and a flush mode: trace, check, summary. */
static int run_one(struct run_settings *s)
{
	struct torn_check_summary sum = { 0 };
	bool unflushed = false;
	struct torn_err err = { "" };
	struct run_plan p = { 0 };
	struct torn_known *known = NULL;
	int ret = TORN_EXIT_USAGE;

	if (run_plan_make(s, &p, &err)) {
		fprintf(stderr, "torn run: %s\n", err.msg);
		goto out;
	}
	if (cli_known_load("torn run", &p.known, &known))
		goto out;
	p.check.known = known;
	p.check.strict = p.known.strict;
	if (!p.trace.out)
		p.trace.out = p.check.dir = default_out(s, p.workload);
	fprintf(stderr,
		"torn run: %s on %s, flush %s, engines %s, points %s -> %s\n",
		p.workload, run_settings_get(s, RUN_FS),
		run_settings_get(s, RUN_FLUSH), run_settings_get(s, RUN_ENGINE),
		run_settings_get(s, RUN_POINTS), p.trace.out);
	{
		/* OUT's parents, as CI jobs name it (traces/ID, cells/ID) */
		char *parent = g_path_get_dirname(p.trace.out);

		g_mkdir_with_parents(parent, 0755);
		g_free(parent);
	}
	if (!run_x.trace_only && (run_x.cell || p.check.shard_count) &&
	    holds_trace(p.trace.out)) {
		/* the trace made once (--trace-only) for every shard */
		fprintf(stderr,
			"torn run: %s holds a trace: checking it, not tracing again\n",
			p.trace.out);
		/* a trace of another cell is refused, not checked */
		p.check.given |= TORN_CHECK_GIVEN_FS | TORN_CHECK_GIVEN_FLUSH;
	} else {
		ret = trace(&p, &unflushed);
		if (ret)
			goto out;
	}
	/* what the run expects travels with it: shards, torn merge, report */
	if (p.expect_inconsistent) {
		char *e = g_build_filename(p.trace.out, TORN_RUN_EXPECT, NULL);

		if (!g_file_set_contents(e, "inconsistent\n", -1, NULL))
			fprintf(stderr, "torn run: cannot write %s\n", e);
		g_free(e);
	}
	if (run_x.trace_only) {
		printf("run directory: %s (traced; torn check %s, or torn run "
		       "--cell with --out %s, checks it)\n",
		       p.trace.out, p.trace.out, p.trace.out);
		goto out;
	}
	p.check.summary = &sum;
	ret = torn_check_run(&p.check);
	printf("run directory: %s (torn report %s for the details)\n",
	       p.trace.out, p.trace.out);
	run_print_verdict(ret, &sum, p.trace.out);
	if (unflushed && ret == TORN_EXIT_OK)
		printf("note: the unflushed acknowledged lines the self-check "
		       "listed broke no crash state: run-time state the "
		       "recovery does not read\n");
	else if (unflushed && ret == TORN_EXIT_FAIL)
		printf("warning: the workload acknowledged data it had not "
		       "flushed and fenced (the self-check lists the lines): "
		       "a likely cause of the failing states\n");
	if (p.expect_inconsistent && p.check.shard_count &&
	    (ret == TORN_EXIT_OK || ret == TORN_EXIT_FAIL)) {
		/* one shard may hold none of the bug's states */
		printf("expect = inconsistent: shard %u of %u alone cannot "
		       "say whether the bug was caught; torn report of the "
		       "merged run does (exit 0)\n",
		       p.check.shard_index, p.check.shard_count);
		ret = TORN_EXIT_OK;
	} else {
		ret = run_expect(&p, ret, &sum);
	}
out:
	torn_known_free(known);
	run_plan_fini(&p);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_settings s = { 0 };
	int ret = run_read_args(argc, argv, &s, &run_x);

	if (ret)
		ret = ret > 0 ? TORN_EXIT_OK : TORN_EXIT_USAGE;
	else if (run_matrix_cells(&s) > 1)
		ret = run_matrix(&s, run_one);
	else
		ret = run_one(&s);
	run_settings_free(&s);
	return ret;
}
