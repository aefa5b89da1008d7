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
#include "run_plan.h"
#include "verify.h"

/* Built-in default: what `torn run` with no arguments does. */
#define RUN_DEFAULT_FS "ext4-dax"
#define RUN_DEFAULT_FLUSH "clwb"
#define RUN_DEFAULT_WORKLOAD "fsops-default"
#define RUN_DEFAULT_ENGINE "prefix,subsets:1"
#define RUN_DEFAULT_POINTS "fence"

static void run_usage(FILE *f)
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
		"  --boot-timeout S   seconds to wait for a guest (default 300)\n"
		"  --pm-size SIZE     the NVDIMM's size, e.g. 512M or 1G (default 64M)\n"
		"  --allow-empty      no crash state at all is a pass, not exit 4\n"
		"                     (spec: allow-empty = yes)\n"
		"  --known FILE       known findings besides the stock kernel's\n"
		"                     (repeatable; none: not even those)\n"
		"  --strict           known findings fail the run too\n"
		"  --coverage         the checker kernel's gcov counters (a --gcov kernel;\n"
		"                     docs/coverage.md)\n"
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

/* The options without a value: yes for their setting. */
static bool is_flag(const char *a)
{
	return !strcmp(a, "--allow-empty") || !strcmp(a, "--strict") ||
	       !strcmp(a, "--coverage");
}

/*
 * SPEC, then the options over it, then the defaults: 0; 1 after --help;
 * -1 after one line on stderr.
 */
static int read_settings(int argc, char **argv, struct run_settings *s)
{
	struct torn_err err = { "" };
	const char *spec = NULL, *name;
	int i, k, one, seen[RUN_KEYS] = { 0 };

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			run_usage(stdout);
			return 1;
		}
		if (argv[i][0] == '-') {
			i += !is_flag(argv[i]); /* the others take a value */
			continue;
		}
		if (spec) {
			fprintf(stderr,
				"torn run: one spec file at most ('%s', '%s')\n",
				spec, argv[i]);
			return -1;
		}
		spec = argv[i];
	}
	if (spec && run_spec_read(spec, s, &err)) {
		fprintf(stderr, "torn run: %s\n", err.msg);
		return -1;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		if (is_flag(a)) {
			run_settings_set(s, run_key_parse(a + 2), "yes");
			continue;
		}
		if (!strcmp(a, "-j"))
			name = "jobs";
		else if (!strncmp(a, "--", 2))
			name = a + 2;
		else
			name = "";
		k = run_option_key(name, &one);
		if (k < 0 || i + 1 >= argc) {
			fprintf(stderr,
				"torn run: unknown option or missing value '%s'\n",
				a);
			run_usage(stderr);
			return -1;
		}
		/* --known, --arg, --file...: each adds a word to the list */
		{
			char *w = one ? g_shell_quote(argv[++i])
				      : g_strdup(argv[++i]);
			char *both =
				(one || k == RUN_KNOWN) && seen[k]++
					? g_strdup_printf(
						  "%s %s",
						  run_settings_get(s, k), w)
					: g_strdup(w);

			run_settings_set(s, k, both);
			g_free(both);
			g_free(w);
		}
	}
	run_settings_default(s, RUN_FS, RUN_DEFAULT_FS);
	run_settings_default(s, RUN_FLUSH, RUN_DEFAULT_FLUSH);
	if (!run_settings_get(s, RUN_PROGRAM) &&
	    !run_settings_get(s, RUN_SCRIPT))
		run_settings_default(s, RUN_WORKLOAD, RUN_DEFAULT_WORKLOAD);
	run_settings_default(s, RUN_ENGINE, RUN_DEFAULT_ENGINE);
	run_settings_default(s, RUN_POINTS, RUN_DEFAULT_POINTS);
	return 0;
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
	ret = trace(&p, &unflushed);
	if (ret)
		goto out;
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
	ret = run_expect(&p, ret, &sum);
out:
	torn_known_free(known);
	run_plan_fini(&p);
	return ret;
}

int cmd_run(int argc, char **argv)
{
	struct run_settings s = { 0 };
	int ret = read_settings(argc, argv, &s);

	if (ret)
		ret = ret > 0 ? TORN_EXIT_OK : TORN_EXIT_USAGE;
	else if (run_matrix_cells(&s) > 1)
		ret = run_matrix(&s, run_one);
	else
		ret = run_one(&s);
	run_settings_free(&s);
	return ret;
}
