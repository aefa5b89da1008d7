/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn smoke's guest checks and flush census (smoke.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smoke.h"
#include "torn_exit.h"
#include "tracing.h"

/* Report one check; returns whether it held. */
static int check(const struct torn_smoke_ops *ops, void *ctx, int ok,
		 const char *what, const char *detail)
{
	ops->check(ctx, ok, what, detail);
	return ok;
}

/* The /proc/mounts line for dir, or NULL. */
static char *mount_line(const char *mounts, const char *dir)
{
	char pat[256];
	const char *p, *end;

	snprintf(pat, sizeof(pat), " %s ", dir);
	p = strstr(mounts, pat);
	if (!p)
		return NULL;
	while (p > mounts && p[-1] != '\n')
		p--;
	end = strchr(p, '\n');
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

static int devdax_checks(struct torn_vm *vm, const struct torn_smoke_ops *ops,
			 void *ctx)
{
	static const char *const test_dev[] = { "test", "-c", "/dev/dax0.0",
						NULL };
	static const char *const map[] = { "mapsync-check", "/dev/dax0.0",
					   NULL };
	struct torn_err err = { "" };
	const char *status, *detail;
	int ok = 1;

	if (guest_run(vm, 60000, test_dev, &status, NULL, NULL, &err))
		return check(ops, ctx, 0, "/dev/dax0.0", err.msg);
	ok &= check(ops, ctx, !strcmp(status, "exit 0"), "/dev/dax0.0 exists",
		    NULL);
	if (guest_call(vm, 60000, map, &detail, &err))
		ok &= check(ops, ctx, 0, "devdax mapping", err.msg);
	else
		ok &= check(ops, ctx, 1, "devdax mapping", detail);
	return ok;
}

static int fs_checks(struct torn_vm *vm, const struct torn_fs *fs,
		     const struct torn_smoke_ops *ops, void *ctx)
{
	static const char *const rd[] = { "read-file", "/proc/mounts", NULL };
	static const char *const map[] = { "mapsync-check", "/mnt/torn-smoke",
					   NULL };
	struct torn_err err = { "" };
	char *what = guest_fs_line(fs, fs->mount), *line;
	const char *detail;
	int ok = 1;

	if (guest_fs_mount(vm, fs, 120000, &err)) {
		ok = check(ops, ctx, 0, what, err.msg);
		g_free(what);
		return ok;
	}
	ok &= check(ops, ctx, 1, what, NULL);
	g_free(what);
	if (guest_call(vm, 60000, rd, &detail, &err))
		return check(ops, ctx, 0, "/proc/mounts", err.msg);
	line = mount_line(detail, TORN_FS_MNT);
	if (fs->dax)
		ok &= check(ops, ctx, line && strstr(line, "dax=always"),
			    "mounted with dax=always",
			    line ? line : "not mounted");
	else
		ok &= check(ops, ctx, line && !strstr(line, "dax"),
			    "mounted, no DAX", line ? line : "not mounted");
	free(line);
	if (fs->blockdev && !strncmp(fs->blockdev, "/dev/mapper/", 12)) {
		/* the device-mapper table the mount step loaded */
		const char *const table[] = { "dmsetup", "table",
					      fs->blockdev + 12, NULL };
		const char *status, *out;

		if (guest_run(vm, 60000, table, &status, &out, NULL, &err))
			ok &= check(ops, ctx, 0, "dmsetup table", err.msg);
		else
			ok &= check(ops, ctx, !strcmp(status, "exit 0"),
				    "dmsetup table", g_strstrip((char *)out));
	}
	if (fs->origin_mb) {
		int clean = !guest_origin_check(vm, fs, 60000, &err);

		ok &= check(ops, ctx, clean, "origin disk unwritten",
			    clean ? "no sector written to " TORN_FS_ORIGIN_DEV
				  : err.msg);
	}
	if (fs->dax) {
		if (guest_call(vm, 60000, map, &detail, &err))
			ok &= check(ops, ctx, 0, "MAP_SYNC file", err.msg);
		else
			ok &= check(ops, ctx, 1, "MAP_SYNC file", detail);
	}
	if (guest_fs_umount(vm, fs, 60000, &err))
		ok &= check(ops, ctx, 0, "umount", err.msg);
	return ok;
}

static int smoke_checks(struct torn_vm *vm, const struct torn_fs *fs,
			const struct torn_smoke_ops *ops, void *ctx)
{
	static const char *const list_ns[] = { "ndctl", "list", "-N", NULL };
	struct torn_err err = { "" };
	char *want =
		g_strdup_printf("\"mode\":\"%s\"", torn_fs_ns_name(fs->ns));
	char *what = g_strdup_printf("namespace0.0 is %s (%s)",
				     torn_fs_ns_name(fs->ns), torn_fs_dev(fs));
	const char *status, *out;
	int ok;

	if (guest_run(vm, 60000, list_ns, &status, &out, NULL, &err))
		ok = check(ops, ctx, 0, "ndctl list", err.msg);
	else
		ok = check(ops, ctx, strstr(out, want) != NULL, what,
			   strstr(out, want) ? NULL : out);
	g_free(want);
	g_free(what);
	if (fs->ns == TORN_NS_DEVDAX)
		return devdax_checks(vm, ops, ctx) && ok;
	return fs_checks(vm, fs, ops, ctx) && ok;
}

int torn_smoke_run(const struct guest_opts *o, const struct torn_smoke_ops *ops,
		   void *ctx)
{
	struct torn_err err = { "" };
	struct guest_pm g;
	struct torn_vm *vm;
	int ok, ret;

	ret = guest_pm_prepare(o, "smoke", &g);
	if (ret)
		return ret;
	ops->booting(ctx);
	ret = torn_vm_start(&g.cfg, &vm, &err);
	if (ret) {
		fprintf(stderr, "torn: guest did not boot: %s\n", err.msg);
		if (!o->keep)
			guest_workdir_remove(g.work);
		else
			fprintf(stderr, "torn: work directory kept: %s\n",
				g.work);
		return TORN_EXIT_INFRA;
	}
	ops->booted(ctx, torn_vm_get_boot_ms(vm),
		    torn_vm_get_kernel_release(vm));
	ok = smoke_checks(vm, torn_fs_get(o->fs_kind), ops, ctx);
	torn_vm_stop(vm, 30000);
	if (o->keep)
		fprintf(stderr, "torn: work directory kept: %s\n", g.work);
	else
		guest_workdir_remove(g.work);
	return ok ? TORN_EXIT_OK : TORN_EXIT_FAIL;
}

void torn_flush_count(const struct torn_trace *t, struct torn_flush_counts *c)
{
	const struct torn_record *r = torn_trace_get_records(t);
	size_t i, n = torn_trace_get_count(t);

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		int k = !!(r[i].flags & TORN_REC_F_KERNEL);

		if (r[i].kind == TORN_REC_FLUSH && r[i].sub <= 3)
			c->flush[k][r[i].sub]++;
		else if (r[i].kind == TORN_REC_NT_STORE)
			c->nt[k]++;
		else if (r[i].kind == TORN_REC_FENCE)
			c->fences[k]++;
	}
}

/* Trace one workload into dir/NAME and count; 1 when that worked. */
static int trace_and_count(const struct guest_opts *o, const char *dir,
			   const char *name, const struct torn_smoke_ops *ops,
			   void *ctx)
{
	struct torn_trace_opts to;
	struct torn_flush_counts c;
	struct torn_trace *t = NULL;
	struct torn_err err = { "" };
	char out[4200], path[4300];

	snprintf(out, sizeof(out), "%s/%s", dir, name);
	torn_trace_opts_init(&to);
	to.guest = *o;
	to.workload = torn_workload_find(name);
	to.out = out;
	if (torn_trace_run(&to))
		return check(ops, ctx, 0, "flush instructions",
			     "tracing failed");
	snprintf(path, sizeof(path), "%s/trace.torn", out);
	if (torn_trace_load(path, &t, &err))
		return check(ops, ctx, 0, "flush instructions", err.msg);
	torn_flush_count(t, &c);
	ops->flushes(ctx, name, &c);
	torn_trace_free(t);
	guest_workdir_remove(out);
	return 1;
}

int torn_smoke_flushes(const struct guest_opts *o,
		       const struct torn_smoke_ops *ops, void *ctx)
{
	/* libpmem's pmem_persist on DAX, msync where a filesystem is */
	const struct torn_fs *fs = torn_fs_get(o->fs_kind);
	const char *const wls[] = {
		fs->dax || fs->ns == TORN_NS_DEVDAX ? "pmem" : "msync", "msync"
	};
	size_t w, nwl = fs->dax ? 2 : 1;
	char tmp[4096];
	int ok = 1;

	if (guest_workdir("smoke-flushes", tmp, sizeof(tmp)))
		return 0;
	for (w = 0; w < nwl; w++)
		ok &= trace_and_count(o, tmp, wls[w], ops, ctx);
	guest_workdir_remove(tmp);
	return ok;
}
