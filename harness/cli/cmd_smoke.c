/* torn smoke: boot a guest and check the DAX stack on an emulated NVDIMM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "guest.h"
#include "trace.h"

static void smoke_usage(FILE *f)
{
	fprintf(f, "usage: torn smoke [--fs ext4-dax|xfs-dax|devdax] [options]\n"
		   "Boots the kit on a copy of the base image and checks, one line\n"
		   "each: the namespace mode, a DAX mount showing dax=always, and a\n"
		   "file written through MAP_SYNC, flushed, unmapped and read back.\n"
		   "--flushes also traces libpmem and msync and counts the flush\n"
		   "instructions the guest really used.\n\n%s",
		guest_opts_usage);
}

static int report(int ok, const char *what, const char *detail)
{
	printf("%-4s %s%s%s\n", ok ? "ok" : "FAIL", what, detail ? ": " : "",
	       detail ? detail : "");
	fflush(stdout);
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

static int smoke_checks(struct torn_vm *vm, int fs_kind)
{
	static const char *const list_ns[] = { "ndctl", "list", "-N", NULL };
	const char *status, *out, *detail;
	struct torn_err err = { "" };
	int ok = 1, devdax = fs_kind == TORN_FS_DEVDAX;
	const char *want = devdax ? "\"mode\":\"devdax\"" : "\"mode\":\"fsdax\"";

	if (guest_run(vm, 60000, list_ns, &status, &out, NULL, &err))
		return report(0, "ndctl list", err.msg);
	ok &= report(strstr(out, want) != NULL,
		     devdax ? "namespace0.0 is devdax" : "namespace0.0 is fsdax",
		     strstr(out, want) ? NULL : out);
	if (devdax) {
		static const char *const test_dev[] = { "test", "-c", "/dev/dax0.0",
							NULL };
		static const char *const check[] = { "mapsync-check",
						     "/dev/dax0.0", NULL };

		if (guest_run(vm, 60000, test_dev, &status, NULL, NULL, &err))
			return report(0, "/dev/dax0.0", err.msg);
		ok &= report(!strcmp(status, "exit 0"), "/dev/dax0.0 exists",
			     NULL);
		if (guest_call(vm, 60000, check, &detail, &err))
			ok &= report(0, "devdax mapping", err.msg);
		else
			ok &= report(1, "devdax mapping", detail);
		return ok;
	} else {
		const char *fstype = fs_kind == TORN_FS_XFS_DAX ? "xfs" : "ext4";
		const char *const mnt[] = { "mount", "/dev/pmem0", "/mnt", fstype,
					    "dax", NULL };
		static const char *const rd[] = { "read-file", "/proc/mounts",
						  NULL };
		static const char *const check[] = { "mapsync-check",
						     "/mnt/torn-smoke", NULL };
		static const char *const um[] = { "umount", "/mnt", NULL };
		char *line;

		if (guest_call(vm, 120000, mnt, NULL, &err))
			return report(0, "mount -o dax /dev/pmem0", err.msg);
		if (guest_call(vm, 60000, rd, &detail, &err))
			return report(0, "/proc/mounts", err.msg);
		line = mount_line(detail, "/mnt");
		ok &= report(line && strstr(line, "dax=always"),
			     "mounted with dax=always", line ? line : "not mounted");
		free(line);
		if (guest_call(vm, 60000, check, &detail, &err))
			ok &= report(0, "MAP_SYNC file", err.msg);
		else
			ok &= report(1, "MAP_SYNC file", detail);
		if (guest_call(vm, 60000, um, NULL, &err))
			ok &= report(0, "umount", err.msg);
	}
	return ok;
}

/*
 * Which flush instructions the guest kernel and libpmem really use in this
 * flush mode: trace the libpmem workload (and msync on a filesystem) and
 * count the flushes, fences and NT stores by kind and privilege.
 */
static int show_flushes(const struct guest_opts *o)
{
	const char *wls[] = { "pmem", "msync" };
	size_t w, nwl = o->fs_kind == TORN_FS_DEVDAX ? 1 : 2;
	char tmp[4096];
	int ok = 1;

	if (guest_workdir("smoke-flushes", tmp, sizeof(tmp)))
		return 0;
	for (w = 0; w < nwl; w++) {
		char out[4200], path[4300];
		const char *argv[] = { "trace", "--fs", torn_fs_kind_name(o->fs_kind),
				       "--flush", torn_flush_mode_name(o->flush_mode),
				       "--workload", wls[w], "--out", out, NULL };
		struct torn_trace *t = NULL;
		struct torn_err err = { "" };
		uint64_t flush[2][4] = { { 0 } }, nt[2] = { 0 }, fences[2] = { 0 };
		const struct torn_record *r;
		size_t i, n;

		snprintf(out, sizeof(out), "%s/%s", tmp, wls[w]);
		if (cmd_trace(9, (char **)argv)) {
			ok &= report(0, "flush instructions", "tracing failed");
			continue;
		}
		snprintf(path, sizeof(path), "%s/trace.torn", out);
		if (torn_trace_load(path, &t, &err)) {
			ok &= report(0, "flush instructions", err.msg);
			continue;
		}
		r = torn_trace_get_records(t);
		n = torn_trace_get_count(t);
		for (i = 0; i < n; i++) {
			int k = !!(r[i].flags & TORN_REC_F_KERNEL);

			if (r[i].kind == TORN_REC_FLUSH && r[i].sub <= 3)
				flush[k][r[i].sub]++;
			else if (r[i].kind == TORN_REC_NT_STORE)
				nt[k]++;
			else if (r[i].kind == TORN_REC_FENCE)
				fences[k]++;
		}
		for (i = 0; i < 2; i++)
			printf("%-4s %s workload, %s: clwb %llu, clflushopt %llu, clflush %llu, "
			       "NT stores %llu, fences %llu\n", "", wls[w],
			       i ? "kernel" : "user",
			       (unsigned long long)flush[i][TORN_FLUSH_CLWB],
			       (unsigned long long)flush[i][TORN_FLUSH_CLFLUSHOPT],
			       (unsigned long long)flush[i][TORN_FLUSH_CLFLUSH],
			       (unsigned long long)nt[i],
			       (unsigned long long)fences[i]);
		torn_trace_free(t);
		guest_workdir_remove(out);
	}
	guest_workdir_remove(tmp);
	return ok;
}

int cmd_smoke(int argc, char **argv)
{
	struct guest_opts o = { .fs_kind = TORN_FS_EXT4_DAX };
	struct torn_vm_config cfg = { 0 };
	struct torn_err err = { "" };
	struct torn_kit kit;
	struct torn_vm *vm;
	char base[4096], work[4096], pm[4200];
	int i, reused, ok, ret, flushes = 0;

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
	if (guest_kit(&o, &kit))
		return TORN_EXIT_INFRA;
	if (torn_kit_base_image(&kit, o.fs_kind, base, sizeof(base), &reused,
				&err)) {
		fprintf(stderr, "torn: cannot build the %s base image: %s\n",
			torn_fs_kind_name(o.fs_kind), err.msg);
		return TORN_EXIT_INFRA;
	}
	if (guest_workdir("smoke", work, sizeof(work))) {
		perror("torn: cannot create a work directory");
		return TORN_EXIT_INFRA;
	}
	snprintf(pm, sizeof(pm), "%s/pm.img", work);
	ret = torn_copy_file(base, pm);
	if (ret) {
		fprintf(stderr, "torn: cannot copy %s: %s\n", base,
			torn_strerror(ret));
		guest_workdir_remove(work);
		return TORN_EXIT_INFRA;
	}
	cfg.kernel = kit.kernel;
	cfg.initrd = kit.initrd;
	cfg.pm_path = pm;
	cfg.pm_size = TORN_KIT_PM_SIZE;
	cfg.flush_mode = o.flush_mode;
	cfg.workdir = work;
	cfg.boot_timeout_ms = (o.timeout_s ? o.timeout_s : 300) * 1000;
	printf("smoke %s, flush mode %s\n", torn_fs_kind_name(o.fs_kind),
	       torn_flush_mode_name(o.flush_mode));
	ret = torn_vm_start(&cfg, &vm, &err);
	if (ret) {
		fprintf(stderr, "torn: guest did not boot: %s\n", err.msg);
		if (!o.keep)
			guest_workdir_remove(work);
		else
			fprintf(stderr, "torn: work directory kept: %s\n", work);
		return TORN_EXIT_INFRA;
	}
	printf("boot %.1f s to the agent (kernel %s)\n",
	       torn_vm_get_boot_ms(vm) / 1000.0, torn_vm_get_kernel_release(vm));
	ok = smoke_checks(vm, o.fs_kind);
	torn_vm_stop(vm, 30000);
	if (o.keep)
		fprintf(stderr, "torn: work directory kept: %s\n", work);
	else
		guest_workdir_remove(work);
	if (flushes) {
		printf("flush instructions used in flush mode %s:\n",
		       torn_flush_mode_name(o.flush_mode));
		fflush(stdout);
		ok &= show_flushes(&o);
	}
	printf("smoke %s\n", ok ? "passed" : "FAILED");
	return ok ? TORN_EXIT_OK : TORN_EXIT_FAIL;
}
