/* torn trace and torn verify: record a workload on an NVDIMM, self-check it. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "guest.h"
#include "fsops.h"
#include "registry.h"
#include "trace.h"
#include "verify.h"
#include "torn_time.h"

#ifndef TORN_TRACER_PATH
#define TORN_TRACER_PATH ""
#endif

static void trace_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: torn trace --out DIR [--workload W] [--self-check] [--no-pc] [options]\n"
		   "Boots a guest with the tracer plugin, mounts the filesystem with\n"
		   "-o dax, arms the tracer at START, runs the workload, stops at STOP,\n"
		   "and writes DIR/trace.torn, base.img (the NVDIMM at START),\n"
		   "final.img (at STOP), kallsyms, meta.json, workload.log, console.log.\n\n"
		   "workloads:\n");
	for (i = 0; i < torn_workloads_count; i++)
		fprintf(f, "  %-16s %s%s\n", torn_workloads[i].name,
			torn_workloads[i].summary,
			torn_workloads[i].flags & TORN_WL_DEVDAX ?
				(torn_workloads[i].flags & TORN_WL_FS ? "" :
									" (devdax only)") :
				" (filesystems only)");
	fprintf(f, "\noptions:\n%s"
		   "  --self-check                   run torn verify DIR afterwards\n"
		   "  --no-pc                        do not record instruction addresses\n"
		   "  --untraced                     run the same session without the tracer\n"
		   "                                 (the benchmark's baseline; writes meta.json only)\n",
		guest_opts_usage);
}

static int write_text(const char *dir, const char *name, const char *data,
		      size_t len)
{
	char *p = g_strdup_printf("%s/%s", dir, name);
	GError *e = NULL;
	int ok = g_file_set_contents(p, data, len, &e);

	if (!ok) {
		fprintf(stderr, "torn: cannot write %s: %s\n", p, e->message);
		g_error_free(e);
	}
	g_free(p);
	return ok ? 0 : -1;
}

static char *file_sha256(const char *path)
{
	gchar *data;
	gsize len;
	char *hex;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return g_strdup("?");
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guchar *)data, len);
	g_free(data);
	return hex;
}

/* The "flags" line of /proc/cpuinfo, without its key. */
static char *cpu_flags(const char *cpuinfo)
{
	const char *p = strstr(cpuinfo, "\nflags");
	const char *colon, *end;

	if (!p)
		return g_strdup("");
	colon = strchr(p, ':');
	if (!colon)
		return g_strdup("");
	colon++;
	while (*colon == ' ')
		colon++;
	end = strchr(colon, '\n');
	return g_strndup(colon, end ? (size_t)(end - colon) : strlen(colon));
}

static int has_flag(const char *flags, const char *f)
{
	char **v = g_strsplit(flags, " ", -1), **p;
	int found = 0;

	for (p = v; *p; p++)
		found |= !strcmp(*p, f);
	g_strfreev(v);
	return found;
}

struct trace_run {
	const struct torn_workload *wl;
	struct guest_opts o;
	const char *out;
	int self_check;
	int pc;
	int untraced;	/* benchmark baseline: no plugin at all */
};

/* Everything with a guest up: mount, kallsyms, START, workload, STOP. */
static int traced_session(struct torn_vm *vm, const struct trace_run *tr,
			  GString *meta)
{
	const char *fstype = tr->o.fs_kind == TORN_FS_XFS_DAX ? "xfs" : "ext4";
	const char *const mnt[] = { "mount", "/dev/pmem0", "/mnt", fstype, "dax",
				    NULL };
	static const char *const sync_req[] = { "sync", NULL };
	static const char *const kallsyms[] = { "read-file", "/proc/kallsyms",
						NULL };
	static const char *const cpuinfo[] = { "read-file", "/proc/cpuinfo",
					       NULL };
	static const char *const start[] = { "mark", "1", "0", "START", NULL };
	static const char *const stop[] = { "mark", "2", "0", "STOP", NULL };
	static const char *const expected[] = { "read-file",
						"/tmp/torn-expected.txt", NULL };
	const char *wl_argv[8], *status, *out, *errout, *detail;
	struct torn_err err = { "" };
	long long t0;
	char *flags;
	GString *log;
	int devdax = tr->o.fs_kind == TORN_FS_DEVDAX;
	size_t n;

	if (!devdax) {
		if (guest_call(vm, 120000, mnt, NULL, &err) ||
		    guest_call(vm, 120000, sync_req, NULL, &err)) {
			fprintf(stderr, "torn: mount -o dax failed: %s\n", err.msg);
			return TORN_EXIT_INFRA;
		}
	}
	if (guest_call(vm, 60000, kallsyms, &detail, &err)) {
		fprintf(stderr, "torn: cannot read /proc/kallsyms: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (write_text(tr->out, "kallsyms", detail, strlen(detail)))
		return TORN_EXIT_INFRA;
	if (guest_call(vm, 60000, cpuinfo, &detail, &err)) {
		fprintf(stderr, "torn: cannot read /proc/cpuinfo: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	flags = cpu_flags(detail);
	g_string_append_printf(meta, "  \"cpu_flags\": \"%s\",\n", flags);
	fprintf(stderr, "torn: guest CPU flushes: clflush%s%s\n",
		has_flag(flags, "clflushopt") ? " clflushopt" : "",
		has_flag(flags, "clwb") ? " clwb" : "");
	g_free(flags);

	if (tr->wl->fsops_text) {
		const char *const put[] = { "write-file", "/tmp/workload.fsops",
					    tr->wl->fsops_text, NULL };

		if (guest_call(vm, 60000, put, NULL, &err)) {
			fprintf(stderr, "torn: cannot copy the fsops workload into the guest: %s\n",
				err.msg);
			return TORN_EXIT_INFRA;
		}
	}
	if (guest_call(vm, 60000, start, NULL, &err)) {
		fprintf(stderr, "torn: START marker failed: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	n = 0;
	wl_argv[n++] = "env";
	if (tr->wl->env)
		wl_argv[n++] = tr->wl->env;
	if (tr->o.flush_mode == TORN_FLUSH_MODE_NT)
		wl_argv[n++] = "PMEM_MOVNT_THRESHOLD=0"; /* libpmem: NT stores */
	wl_argv[n++] = tr->wl->program;
	wl_argv[n++] = devdax ? tr->wl->devdax_arg : tr->wl->fs_arg;
	wl_argv[n] = NULL;
	t0 = torn_now_ms();
	if (guest_run(vm, 600000, wl_argv, &status, &out, &errout, &err)) {
		fprintf(stderr, "torn: workload %s failed to run: %s\n",
			tr->wl->name, err.msg);
		return TORN_EXIT_INFRA;
	}
	g_string_append_printf(meta, "  \"workload_ms\": %lld,\n", torn_now_ms() - t0);
	log = g_string_new(NULL);
	g_string_append(log, "$");
	for (n = 0; wl_argv[n]; n++)
		g_string_append_printf(log, " %s", wl_argv[n]);
	g_string_append_printf(log, "\nstatus: %s\n--- stdout\n%s--- stderr\n%s",
			       status, out, errout);
	write_text(tr->out, "workload.log", log->str, log->len);
	g_string_free(log, TRUE);
	g_string_append_printf(meta, "  \"workload_status\": \"%s\",\n", status);
	if (guest_call(vm, 60000, stop, NULL, &err)) {
		fprintf(stderr, "torn: STOP marker failed: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (strcmp(status, "exit 0")) {
		fprintf(stderr, "torn: workload %s ended with %s: %s\n",
			tr->wl->name, status, errout);
		return TORN_EXIT_INFRA;
	}
	/* what the workload promised, for the durability and atomicity oracles */
	if (!guest_call(vm, 60000, expected, &detail, &err) &&
	    write_text(tr->out, "expected.txt", detail, strlen(detail)))
		return TORN_EXIT_INFRA;
	return TORN_EXIT_OK;
}

static int do_trace(struct trace_run *tr)
{
	struct torn_vm_config cfg = { 0 };
	struct torn_err err = { "" };
	struct torn_kit kit;
	struct torn_vm *vm;
	char base[4096], work[4096], pm[4200], trace[4200], base_out[4200],
		final_out[4200], plugin[16384], console[4200];
	/* what each flush mode's -cpu offers, for the trace header */
	static const char *const features[] = {
		[TORN_FLUSH_MODE_CLWB] = "clflush+clflushopt+clwb",
		[TORN_FLUSH_MODE_CLFLUSHOPT] = "clflush+clflushopt",
		[TORN_FLUSH_MODE_CLFLUSH] = "clflush",
		[TORN_FLUSH_MODE_EADR] = "clflush+clflushopt+clwb+eadr",
		[TORN_FLUSH_MODE_NT] = "clflush+clflushopt+clwb",
	};
	const char *tracer = getenv("TORN_TRACER");
	GString *meta;
	char *sum;
	int reused, ret, eadr = tr->o.flush_mode == TORN_FLUSH_MODE_EADR;

	if (!tracer || !*tracer)
		tracer = TORN_TRACER_PATH;
	if (!tr->untraced && (!*tracer || access(tracer, R_OK))) {
		fprintf(stderr, "torn: the tracer plugin was not built (no qemu-plugin.h? run scripts/setup)\n");
		return TORN_EXIT_INFRA;
	}
	if (mkdir(tr->out, 0755) && errno != EEXIST) {
		fprintf(stderr, "torn: cannot create %s: %s\n", tr->out,
			strerror(errno));
		return TORN_EXIT_INFRA;
	}
	snprintf(trace, sizeof(trace), "%s/trace.torn", tr->out);
	if (!access(trace, F_OK)) {
		fprintf(stderr, "torn: %s already holds a trace; choose another --out\n",
			tr->out);
		return TORN_EXIT_USAGE;
	}
	if (guest_kit(&tr->o, &kit))
		return TORN_EXIT_INFRA;
	if (torn_kit_base_image(&kit, tr->o.fs_kind, base, sizeof(base),
				&reused, &err)) {
		fprintf(stderr, "torn: cannot build the %s base image: %s\n",
			torn_fs_kind_name(tr->o.fs_kind), err.msg);
		return TORN_EXIT_INFRA;
	}
	if (guest_workdir("trace", work, sizeof(work))) {
		perror("torn: cannot create a work directory");
		return TORN_EXIT_INFRA;
	}
	snprintf(pm, sizeof(pm), "%s/pm.img", work);
	snprintf(base_out, sizeof(base_out), "%s/base.img", tr->out);
	snprintf(final_out, sizeof(final_out), "%s/final.img", tr->out);
	ret = torn_copy_file(base, pm);
	if (ret) {
		fprintf(stderr, "torn: cannot copy %s: %s\n", base,
			torn_strerror(ret));
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	/*
	 * The plugin snapshots the backing file at START and at STOP from the
	 * vCPU thread, so nothing the guest does before or after can leak
	 * into base.img or final.img.
	 */
	snprintf(plugin, sizeof(plugin),
		 "%s,out=%s,pm_base=0x%llx,pm_size=0x%llx,arm=start,pc=%s,"
		 "features=%s,pm_file=%s,base_out=%s,final_out=%s,stats=%s/tracer-stats.json",
		 tracer, trace, (unsigned long long)TORN_VM_PM_ADDR,
		 (unsigned long long)TORN_KIT_PM_SIZE, tr->pc ? "on" : "off",
		 features[tr->o.flush_mode], pm, base_out, final_out, tr->out);
	if (strchr(work, ',') || strchr(tracer, ',')) {
		/* --out was checked; these come from TMPDIR and the build */
		fprintf(stderr, "torn: %s contains a comma (QEMU splits plugin arguments at commas)\n",
			strchr(work, ',') ? work : tracer);
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	cfg.kernel = kit.kernel;
	cfg.initrd = kit.initrd;
	cfg.pm_path = pm;
	cfg.pm_size = TORN_KIT_PM_SIZE;
	cfg.flush_mode = tr->o.flush_mode;
	cfg.workdir = work;
	cfg.plugin = tr->untraced ? NULL : plugin;
	cfg.boot_timeout_ms = (tr->o.timeout_s ? tr->o.timeout_s : 300) * 1000;
	meta = g_string_new("{\n");
	g_string_append_printf(meta, "  \"fs\": \"%s\",\n  \"flush_mode\": \"%s\",\n"
			       "  \"workload\": \"%s\",\n  \"kit\": \"%s\",\n"
			       "  \"base_image\": \"%s\",\n  \"checker\": \"%s\",\n",
			       torn_fs_kind_name(tr->o.fs_kind),
			       torn_flush_mode_name(tr->o.flush_mode),
			       tr->wl->name, kit.hash, base,
			       tr->wl->checker ? tr->wl->checker : "");
	fprintf(stderr, "torn: tracing %s on %s (flush mode %s)\n", tr->wl->name,
		torn_fs_kind_name(tr->o.fs_kind),
		torn_flush_mode_name(tr->o.flush_mode));
	ret = torn_vm_start(&cfg, &vm, &err);
	if (ret) {
		fprintf(stderr, "torn: guest did not boot: %s\n", err.msg);
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	g_string_append_printf(meta, "  \"kernel\": \"%s\",\n  \"boot_ms\": %ld,\n",
			       torn_vm_get_kernel_release(vm),
			       torn_vm_get_boot_ms(vm));
	ret = traced_session(vm, tr, meta);
	if (ret) {
		fprintf(stderr, "torn: console tail:\n%s\n",
			torn_vm_console_tail(vm, 1500));
		torn_vm_kill(vm);
		goto out;
	}
	torn_vm_stop(vm, 30000);
	if (tr->untraced) {
		g_string_append(meta, "  \"untraced\": true\n}\n");
		write_text(tr->out, "meta.json", meta->str, meta->len);
		printf("ran %s on %s untraced into %s\n", tr->wl->name,
		       torn_fs_kind_name(tr->o.fs_kind), tr->out);
		goto out;
	}
	if (access(final_out, R_OK) || access(base_out, R_OK)) {
		fprintf(stderr, "torn: the tracer wrote no base.img/final.img snapshot\n");
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	sum = file_sha256(base_out);
	g_string_append_printf(meta, "  \"base_sha256\": \"%s\",\n", sum);
	g_free(sum);
	sum = file_sha256(final_out);
	g_string_append_printf(meta, "  \"final_sha256\": \"%s\",\n", sum);
	g_free(sum);
	g_string_append_printf(meta, "  \"pm_base\": %llu,\n  \"pm_size\": %llu\n}\n",
			       (unsigned long long)TORN_VM_PM_ADDR,
			       (unsigned long long)TORN_KIT_PM_SIZE);
	write_text(tr->out, "meta.json", meta->str, meta->len);
	printf("traced %s on %s into %s\n", tr->wl->name,
	       torn_fs_kind_name(tr->o.fs_kind), tr->out);
	if (tr->self_check) {
		int v = verify_run_dir(tr->out, eadr, stdout);

		ret = v < 0 ? TORN_EXIT_INFRA : v ? TORN_EXIT_FAIL : TORN_EXIT_OK;
	}
out:
	snprintf(console, sizeof(console), "%s/console.log", work);
	snprintf(pm, sizeof(pm), "%s/console.log", tr->out);
	torn_copy_file(console, pm);
	g_string_free(meta, TRUE);
	if (tr->o.keep)
		fprintf(stderr, "torn: work directory kept: %s\n", work);
	else
		guest_workdir_remove(work);
	return ret;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_run tr = { .o.fs_kind = TORN_FS_EXT4_DAX, .pc = 1 };
	const char *wl = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		int r = guest_opts_parse(&tr.o, argc, argv, &i);

		if (r < 0)
			return TORN_EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--help")) {
			trace_usage(stdout);
			return TORN_EXIT_OK;
		} else if (!strcmp(argv[i], "--self-check")) {
			tr.self_check = 1;
		} else if (!strcmp(argv[i], "--untraced")) {
			tr.untraced = 1;
		} else if (!strcmp(argv[i], "--no-pc")) {
			tr.pc = 0;
		} else if ((!strcmp(argv[i], "--workload") ||
			    !strcmp(argv[i], "--out")) && i + 1 < argc) {
			if (!strcmp(argv[i], "--out"))
				tr.out = argv[++i];
			else
				wl = argv[++i];
		} else {
			fprintf(stderr, "torn trace: unknown option or missing value '%s'\n",
				argv[i]);
			trace_usage(stderr);
			return TORN_EXIT_USAGE;
		}
	}
	if (!tr.out) {
		fprintf(stderr, "torn trace: --out DIR is required\n");
		return TORN_EXIT_USAGE;
	}
	if (strchr(tr.out, ',')) {
		fprintf(stderr, "torn trace: --out '%s' must not contain a comma (QEMU splits plugin arguments at commas)\n",
			tr.out);
		return TORN_EXIT_USAGE;
	}
	if (!wl)
		wl = tr.o.fs_kind == TORN_FS_DEVDAX ? "pmem" : "fsops-default";
	if (!strncmp(wl, "fsops:", 6)) {
		/* a user's own fsops file: parse it here, run it like the examples */
		static struct torn_workload user;
		struct torn_fsops *w = NULL;
		struct torn_err err = { "" };
		gchar *text = NULL;
		gsize len;
		GError *ge = NULL;

		if (!g_file_get_contents(wl + 6, &text, &len, &ge)) {
			fprintf(stderr, "torn trace: --workload: cannot read '%s': %s\n",
				wl + 6, ge->message);
			g_error_free(ge);
			return TORN_EXIT_USAGE;
		}
		if (torn_fsops_parse(text, len, wl + 6, &w, &err)) {
			fprintf(stderr, "torn trace: %s\n", err.msg);
			g_free(text);
			return TORN_EXIT_USAGE;
		}
		torn_fsops_free(w);
		user = *torn_workload_find("fsops-default");
		user.name = wl;
		user.fsops_text = text; /* lives until exit */
		user.summary = "a user's fsops file";
		tr.wl = &user;
	} else {
		tr.wl = torn_workload_find(wl);
	}
	if (!tr.wl) {
		fprintf(stderr, "torn trace: --workload '%s': unknown; 'torn trace --help' lists them\n",
			wl);
		return TORN_EXIT_USAGE;
	}
	if (tr.o.fs_kind == TORN_FS_DEVDAX ? !(tr.wl->flags & TORN_WL_DEVDAX) :
					     !(tr.wl->flags & TORN_WL_FS)) {
		fprintf(stderr, "torn trace: workload %s does not run on %s\n", wl,
			torn_fs_kind_name(tr.o.fs_kind));
		return TORN_EXIT_USAGE;
	}
	torn_vm_install_signal_handlers();
	return do_trace(&tr);
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
			fprintf(stderr, "torn verify: unexpected argument '%s'\n",
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
		/* the run knows its own flush mode */
		char *p = g_strdup_printf("%s/meta.json", dir), *m = NULL;

		if (g_file_get_contents(p, &m, NULL, NULL))
			eadr = strstr(m, "\"flush_mode\": \"eadr\"") != NULL;
		g_free(m);
		g_free(p);
	}
	ret = verify_run_dir(dir, eadr, stdout);
	return ret < 0 ? TORN_EXIT_INFRA : ret ? TORN_EXIT_FAIL : TORN_EXIT_OK;
}
