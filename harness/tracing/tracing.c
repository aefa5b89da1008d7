/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn_trace_run: the tracer plugin, the workload between START and STOP. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"
#include "torn_exit.h"
#include "torn_time.h"
#include "tracing.h"
#include "verify.h"

#ifndef TORN_TRACER_PATH
#define TORN_TRACER_PATH ""
#endif

void torn_trace_opts_init(struct torn_trace_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->guest.fs_kind = TORN_FS_EXT4_DAX;
	o->guest.flush_mode = TORN_FLUSH_MODE_CLWB;
	o->pc = true;
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

/* A meta.json member; what the guest sends is cut to what the file holds. */
static void meta_set(char *dst, size_t size, const char *val)
{
	snprintf(dst, size, "%s", val ? val : "");
}

/* A file's SHA-256, read in 1 MiB pieces: an NVDIMM image is not held. */
static void file_sha256(const char *path, char *hex, size_t size)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	FILE *f = fopen(path, "rb");
	size_t n, len = 1 << 20;
	guchar *buf = g_malloc(len);
	bool ok = f != NULL;

	while (ok && (n = fread(buf, 1, len, f)) > 0)
		g_checksum_update(sum, buf, n);
	if (f && ferror(f))
		ok = false;
	meta_set(hex, size, ok ? g_checksum_get_string(sum) : "?");
	if (f)
		fclose(f);
	g_free(buf);
	g_checksum_free(sum);
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

/* env and the workload's NAME=VALUE words, to go before a command. */
static GPtrArray *env_argv(const struct torn_workload *wl)
{
	GPtrArray *v = g_ptr_array_new();

	g_ptr_array_add(v, "env");
	if (wl->env)
		g_ptr_array_add(v, (char *)wl->env);
	for (const char *const *e = wl->envs; e && *e; e++)
		g_ptr_array_add(v, (char *)*e);
	return v;
}

/* Where the workload's memory map is kept in the guest. */
#define GUEST_MAPS "/tmp/torn-maps"

/*
 * The workload's command line in the guest: torn-agent maps, env, the
 * workload's NAME=VALUE words, the program and its arguments
 * (g_ptr_array_unref).
 */
static GPtrArray *workload_argv(const struct torn_trace_opts *o)
{
	const struct torn_workload *wl = o->workload;
	const struct torn_fs *fs = torn_fs_get(o->guest.fs_kind);
	GPtrArray *v = g_ptr_array_new();
	GPtrArray *env = env_argv(wl);

	/* its memory map as it exits: the code behind each user-mode PC */
	g_ptr_array_add(v, "/usr/bin/torn-agent");
	g_ptr_array_add(v, "maps");
	g_ptr_array_add(v, GUEST_MAPS);
	g_ptr_array_extend(v, env, NULL, NULL);
	g_ptr_array_unref(env);
	if (o->guest.flush_mode == TORN_FLUSH_MODE_NT)
		g_ptr_array_add(v, "PMEM_MOVNT_THRESHOLD=0"); /* libpmem NT */
	g_ptr_array_add(v, (char *)wl->program);
	if (wl->args)
		for (const char *const *a = wl->args; *a; a++)
			g_ptr_array_add(v, (char *)*a);
	else if (wl->flags & TORN_WL_BLOCK)
		g_ptr_array_add(v, (char *)fs->blockdev);
	else
		g_ptr_array_add(v, (char *)(fs->ns == TORN_NS_DEVDAX
						    ? wl->devdax_arg
						    : wl->fs_arg));
	g_ptr_array_add(v, NULL);
	return v;
}

/* The last bytes of a program's output, for a one-screen error. */
static const char *tail(const char *s, size_t n)
{
	size_t len = strlen(s);

	return len > n ? s + len - n : s;
}

/* A user test's setup step: before START, untraced, then synced. */
static int setup_step(struct torn_vm *vm, const struct torn_workload *wl)
{
	static const char *const sync_req[] = { "sync", NULL };
	const char *status, *out, *errout;
	struct torn_err err = { "" };
	GPtrArray *v;
	int ret;

	if (!wl->setup)
		return TORN_EXIT_OK;
	v = env_argv(wl);
	for (const char *const *a = wl->setup; *a; a++)
		g_ptr_array_add(v, (char *)*a);
	g_ptr_array_add(v, NULL);
	ret = guest_run(vm, 600000, (const char *const *)v->pdata, &status,
			&out, &errout, &err);
	g_ptr_array_unref(v);
	if (ret) {
		fprintf(stderr, "torn: the setup step failed to run: %s\n",
			err.msg);
		return TORN_EXIT_INFRA;
	}
	if (strcmp(status, "exit 0")) {
		fprintf(stderr,
			"torn: the setup step %s ended with %s\n--- stdout\n%s--- stderr\n%s",
			wl->setup[0], status, tail(out, 2000),
			tail(errout, 2000));
		return TORN_EXIT_INFRA;
	}
	if (guest_call(vm, 120000, sync_req, NULL, &err)) {
		fprintf(stderr, "torn: sync after the setup step: %s\n",
			err.msg);
		return TORN_EXIT_INFRA;
	}
	return TORN_EXIT_OK;
}

/* Everything with a guest up: mount, kallsyms, START, workload, STOP. */
static int traced_session(struct torn_vm *vm, const struct torn_trace_opts *o,
			  struct torn_run_meta *meta)
{
	const struct torn_fs *fs = torn_fs_get(o->guest.fs_kind);
	static const char *const sync_req[] = { "sync", NULL };
	static const char *const kallsyms[] = { "read-file", "/proc/kallsyms",
						NULL };
	static const char *const cpuinfo[] = { "read-file", "/proc/cpuinfo",
					       NULL };
	static const char *const start[] = { "mark", "1", "0", "START", NULL };
	static const char *const stop[] = { "mark", "2", "0", "STOP", NULL };
	static const char *const expected[] = { "read-file",
						"/tmp/torn-expected.txt",
						NULL };
	static const char *const maps[] = { "read-file", GUEST_MAPS, NULL };
	const struct torn_workload *wl = o->workload;
	const char *status, *out, *errout, *detail;
	GPtrArray *wl_argv;
	struct torn_err err = { "" };
	long long t0;
	char *flags;
	GString *log;
	size_t n;

	if (guest_fs_mount(vm, fs, 120000, &err) ||
	    guest_call(vm, 120000, sync_req, NULL, &err)) {
		char *line = guest_fs_line(fs, fs->mount);

		fprintf(stderr, "torn: %s failed: %s\n", line, err.msg);
		g_free(line);
		return TORN_EXIT_INFRA;
	}
	if (guest_call(vm, 60000, kallsyms, &detail, &err)) {
		fprintf(stderr, "torn: cannot read /proc/kallsyms: %s\n",
			err.msg);
		return TORN_EXIT_INFRA;
	}
	if (write_text(o->out, "kallsyms", detail, strlen(detail)))
		return TORN_EXIT_INFRA;
	if (guest_call(vm, 60000, cpuinfo, &detail, &err)) {
		fprintf(stderr, "torn: cannot read /proc/cpuinfo: %s\n",
			err.msg);
		return TORN_EXIT_INFRA;
	}
	flags = cpu_flags(detail);
	meta_set(meta->cpu_flags, sizeof(meta->cpu_flags), flags);
	fprintf(stderr, "torn: guest CPU flushes: clflush%s%s\n",
		has_flag(flags, "clflushopt") ? " clflushopt" : "",
		has_flag(flags, "clwb") ? " clwb" : "");
	g_free(flags);

	if (wl->fsops_text) {
		const char *const put[] = { "write-file", "/tmp/workload.fsops",
					    wl->fsops_text, NULL };

		if (guest_call(vm, 60000, put, NULL, &err)) {
			fprintf(stderr,
				"torn: cannot copy the fsops workload into the guest: %s\n",
				err.msg);
			return TORN_EXIT_INFRA;
		}
	}
	if (setup_step(vm, wl))
		return TORN_EXIT_INFRA;
	if (guest_call(vm, 60000, start, NULL, &err)) {
		fprintf(stderr, "torn: START marker failed: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	wl_argv = workload_argv(o);
	t0 = torn_now_ms();
	if (guest_run(vm, 600000, (const char *const *)wl_argv->pdata, &status,
		      &out, &errout, &err)) {
		fprintf(stderr, "torn: workload %s failed to run: %s\n",
			wl->name, err.msg);
		g_ptr_array_unref(wl_argv);
		return TORN_EXIT_INFRA;
	}
	meta->workload_ms = torn_now_ms() - t0;
	log = g_string_new(NULL);
	g_string_append(log, "$");
	for (n = 0; n + 1 < wl_argv->len; n++) {
		char *q = g_shell_quote(wl_argv->pdata[n]);

		g_string_append_printf(log, " %s", q);
		g_free(q);
	}
	g_ptr_array_unref(wl_argv);
	g_string_append_printf(log,
			       "\nstatus: %s\n--- stdout\n%s--- stderr\n%s",
			       status, out, errout);
	write_text(o->out, "workload.log", log->str, log->len);
	g_string_free(log, TRUE);
	meta_set(meta->workload_status, sizeof(meta->workload_status), status);
	if (guest_call(vm, 60000, stop, NULL, &err)) {
		fprintf(stderr, "torn: STOP marker failed: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (guest_origin_check(vm, fs, 60000, &err)) {
		fprintf(stderr, "torn: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (strcmp(status, "exit 0")) {
		/* before STOP: no trace to trust, never a silent pass */
		fprintf(stderr,
			"torn: workload %s ended with %s before STOP (its output is in %s/workload.log)\n--- stdout\n%s--- stderr\n%s",
			wl->name, status, o->out, tail(out, 2000),
			tail(errout, 2000));
		return TORN_EXIT_INFRA;
	}
	/* without it, replay names fewer PCs: nothing to fail the run for */
	if (!guest_call(vm, 60000, maps, &detail, &err) &&
	    write_text(o->out, TORN_RUN_MAPS, detail, strlen(detail)))
		return TORN_EXIT_INFRA;
	/* what the workload promised, for the durability and atomicity */
	if (!guest_call(vm, 60000, expected, &detail, &err) &&
	    write_text(o->out, "expected.txt", detail, strlen(detail)))
		return TORN_EXIT_INFRA;
	return TORN_EXIT_OK;
}

/* The plugin, or "" when neither $TORN_TRACER nor the build has one. */
static const char *tracer_path(void)
{
	const char *tracer = getenv("TORN_TRACER");

	return tracer && *tracer ? tracer : TORN_TRACER_PATH;
}

/* The run directory, created; USAGE when it already holds a trace. */
static int make_out(const struct torn_trace_opts *o)
{
	char trace[4200];

	if (mkdir(o->out, 0755) && errno != EEXIST) {
		fprintf(stderr, "torn: cannot create %s: %s\n", o->out,
			strerror(errno));
		return TORN_EXIT_INFRA;
	}
	snprintf(trace, sizeof(trace), "%s/trace.torn", o->out);
	if (!access(trace, F_OK)) {
		fprintf(stderr,
			"torn: %s already holds a trace; choose another --out\n",
			o->out);
		return TORN_EXIT_USAGE;
	}
	return TORN_EXIT_OK;
}

static int write_meta(const struct torn_trace_opts *o,
		      const struct torn_run_meta *meta)
{
	struct torn_err err = { "" };

	if (!torn_run_meta_write(o->out, meta, &err))
		return TORN_EXIT_OK;
	fprintf(stderr, "torn: cannot write %s/%s: %s\n", o->out, TORN_RUN_META,
		err.msg);
	return TORN_EXIT_INFRA;
}

/* After the guest stopped: the snapshots' hashes, meta.json, the self-check. */
static int finish(const struct torn_trace_opts *o, struct torn_run_meta *meta,
		  const char *base_out, const char *final_out)
{
	const char *fs = torn_fs_kind_name(o->guest.fs_kind);
	int v, ret;

	if (o->untraced) {
		meta->untraced = true;
		ret = write_meta(o, meta);
		if (!ret)
			printf("ran %s on %s untraced into %s\n",
			       o->workload->name, fs, o->out);
		return ret;
	}
	if (access(final_out, R_OK) || access(base_out, R_OK)) {
		fprintf(stderr,
			"torn: the tracer wrote no base.img/final.img snapshot\n");
		return TORN_EXIT_INFRA;
	}
	file_sha256(base_out, meta->base_sha256, sizeof(meta->base_sha256));
	file_sha256(final_out, meta->final_sha256, sizeof(meta->final_sha256));
	meta->pm_base = TORN_VM_PM_ADDR;
	meta->pm_size = guest_pm_size(&o->guest);
	ret = write_meta(o, meta);
	if (ret)
		return ret;
	printf("traced %s on %s into %s\n", o->workload->name, fs, o->out);
	if (!o->self_check)
		return TORN_EXIT_OK;
	v = verify_run_dir(o->out, o->guest.flush_mode == TORN_FLUSH_MODE_EADR,
			   stdout);
	return v < 0 ? TORN_EXIT_INFRA : v ? TORN_EXIT_FAIL : TORN_EXIT_OK;
}

/*
 * A user test's stage archive into the run directory, where torn check
 * and torn replay find it; *guest := o's guest options booting it.
 */
static int write_stage(const struct torn_trace_opts *o,
		       struct guest_opts *guest, char *path, size_t len)
{
	struct torn_err err = { "" };

	*guest = o->guest;
	if (!o->stage)
		return TORN_EXIT_OK;
	if (torn_run_path(o->out, TORN_RUN_STAGE, path, len, &err)) {
		fprintf(stderr, "torn: %s\n", err.msg);
		return TORN_EXIT_INFRA;
	}
	if (write_text(o->out, TORN_RUN_STAGE, o->stage, o->stage_len))
		return TORN_EXIT_INFRA;
	guest->stage = path;
	return TORN_EXIT_OK;
}

int torn_trace_run(const struct torn_trace_opts *o)
{
	struct guest_opts guest;
	char stage[4200];
	struct torn_err err = { "" };
	struct torn_run_meta meta;
	struct guest_pm g;
	struct torn_vm *vm;
	char *out_abs;
	char trace[4200], base_out[4200], final_out[4200], plugin[16384],
		console[4200], console_out[4200];
	/* what each flush mode's -cpu offers, for the trace header */
	static const char *const features[] = {
		[TORN_FLUSH_MODE_CLWB] = "clflush+clflushopt+clwb",
		[TORN_FLUSH_MODE_CLFLUSHOPT] = "clflush+clflushopt",
		[TORN_FLUSH_MODE_CLFLUSH] = "clflush",
		[TORN_FLUSH_MODE_EADR] = "clflush+clflushopt+clwb+eadr",
		[TORN_FLUSH_MODE_NT] = "clflush+clflushopt+clwb",
	};
	const char *tracer = tracer_path();
	const char *fs = torn_fs_kind_name(o->guest.fs_kind);
	int ret;

	if (!o->workload || torn_trace_out_check(o->out, &err)) {
		fprintf(stderr, "torn: %s\n",
			o->workload ? err.msg : "no workload to trace");
		return TORN_EXIT_USAGE;
	}
	if (!o->untraced && (!*tracer || access(tracer, R_OK))) {
		fprintf(stderr,
			"torn: the tracer plugin was not built (no qemu-plugin.h? run scripts/setup)\n");
		return TORN_EXIT_INFRA;
	}
	if (torn_vm_backend_remote(o->guest.libvirt_uri)) {
		fprintf(stderr,
			"torn: --backend libvirt:%s: traces are made on this "
			"host's hypervisor (the tracer writes beside QEMU); "
			"check them on another's (docs/ci.md, \"remote\")\n",
			o->guest.libvirt_uri);
		return TORN_EXIT_USAGE;
	}
	ret = make_out(o);
	if (ret)
		return ret;
	ret = write_stage(o, &guest, stage, sizeof(stage));
	if (ret)
		return ret;
	ret = torn_vm_backend_check(guest.libvirt_uri, &err);
	if (ret) {
		fprintf(stderr, "torn: %s\n", err.msg);
		return ret == TORN_E_USAGE ? TORN_EXIT_USAGE : TORN_EXIT_INFRA;
	}
	ret = guest_pm_prepare(&guest, "trace", &g);
	if (ret)
		return ret;
	/* absolute: QEMU may not run where torn does (--backend libvirt) */
	out_abs = g_canonicalize_filename(o->out, NULL);
	snprintf(trace, sizeof(trace), "%s/trace.torn", out_abs);
	snprintf(base_out, sizeof(base_out), "%s/base.img", out_abs);
	snprintf(final_out, sizeof(final_out), "%s/final.img", out_abs);
	if (g.origin[0]) {
		/* the origin as the trace saw it, for checking and replay */
		char origin_out[4200];

		ret = torn_run_path(o->out, TORN_RUN_ORIGIN, origin_out,
				    sizeof(origin_out), NULL);
		if (!ret)
			ret = torn_copy_file(g.origin, origin_out);
		if (ret) {
			fprintf(stderr, "torn: cannot copy %s: %s\n", g.origin,
				torn_strerror(ret));
			guest_workdir_remove(g.work);
			return TORN_EXIT_INFRA;
		}
	}
	/*
	 * The plugin snapshots the backing file at START and at STOP from the
	 * vCPU thread, so nothing the guest does before or after can leak
	 * into base.img or final.img.
	 */
	snprintf(
		plugin, sizeof(plugin),
		"%s,out=%s,pm_base=0x%llx,pm_size=0x%llx,arm=start,pc=%s,"
		"features=%s,pm_file=%s,base_out=%s,final_out=%s,stats=%s/tracer-stats.json",
		tracer, trace, (unsigned long long)TORN_VM_PM_ADDR,
		(unsigned long long)guest_pm_size(&o->guest),
		o->pc ? "on" : "off", features[o->guest.flush_mode], g.pm,
		base_out, final_out, out_abs);
	g_free(out_abs);
	if (strchr(g.work, ',') || strchr(tracer, ',')) {
		/* --out was checked; these come from TMPDIR and the build */
		fprintf(stderr,
			"torn: %s contains a comma (QEMU splits plugin arguments at commas)\n",
			strchr(g.work, ',') ? g.work : tracer);
		guest_workdir_remove(g.work);
		return TORN_EXIT_INFRA;
	}
	g.cfg.plugin = o->untraced ? NULL : plugin;
	torn_run_meta_init(&meta);
	meta_set(meta.fs, sizeof(meta.fs), fs);
	if (o->guest.fs_kind >= TORN_FS_BUILTIN) {
		/* the user's kind, for torn check and replay of this run */
		char *def = guest_fs_text(torn_fs_get(o->guest.fs_kind));

		ret = write_text(o->out, "fs.spec", def, strlen(def));
		g_free(def);
		if (ret) {
			guest_workdir_remove(g.work);
			return TORN_EXIT_INFRA;
		}
	}
	meta_set(meta.flush_mode, sizeof(meta.flush_mode),
		 torn_flush_mode_name(o->guest.flush_mode));
	/* a long fsops:PATH is cut: the name is for people, not for lookups */
	meta_set(meta.workload, sizeof(meta.workload), o->workload->name);
	meta_set(meta.kit, sizeof(meta.kit), g.kit.hash);
	meta_set(meta.kernel_build, sizeof(meta.kernel_build), g.kit.kernel_id);
	meta_set(meta.base_image, sizeof(meta.base_image), g.base);
	meta_set(meta.checker, sizeof(meta.checker), o->workload->checker);
	fprintf(stderr, "torn: tracing %s on %s (flush mode %s)\n",
		o->workload->name, fs,
		torn_flush_mode_name(o->guest.flush_mode));
	ret = torn_vm_start(&g.cfg, &vm, &err);
	if (ret) {
		fprintf(stderr, "torn: guest did not boot: %s\n", err.msg);
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	meta_set(meta.kernel, sizeof(meta.kernel),
		 torn_vm_get_kernel_release(vm));
	meta.boot_ms = torn_vm_get_boot_ms(vm);
	ret = traced_session(vm, o, &meta);
	if (ret) {
		fprintf(stderr, "torn: console tail:\n%s\n",
			torn_vm_console_tail(vm, 1500));
		torn_vm_kill(vm);
		goto out;
	}
	torn_vm_stop(vm, 30000);
	ret = finish(o, &meta, base_out, final_out);
out:
	snprintf(console, sizeof(console), "%s/console.log", g.work);
	snprintf(console_out, sizeof(console_out), "%s/console.log", o->out);
	torn_copy_file(console, console_out);
	if (o->guest.keep)
		fprintf(stderr, "torn: work directory kept: %s\n", g.work);
	else
		guest_workdir_remove(g.work);
	return ret;
}
