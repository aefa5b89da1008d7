/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared option parsing and agent helpers for guest-booting subcommands. */
#include "guest.h"

#include <dirent.h>
#include <glib.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "torn_exit.h"
#include "torn_parse.h"

#ifndef TORN_AGENT_PATH
#define TORN_AGENT_PATH "torn-agent"
#endif
#ifndef TORN_WORKLOAD_BINS
#define TORN_WORKLOAD_BINS ""
#endif
#ifndef TORN_MARK_PATH
#define TORN_MARK_PATH ""
#endif

const char guest_opts_usage[] =
	"  --fs KIND                      filesystem kind (default ext4-dax): ext4-dax,\n"
	"                                 xfs-dax, devdax, ext4-btt, xfs-btt,\n"
	"                                 btrfs-pmem, dm-writecache, or a spec's\n"
	"                                 [fs] kind\n"
	"  --flush clwb|clflushopt|clflush|eadr|nt   flush mode (default clwb)\n"
	"  --kernel PATH --modules DIR    a kernel other than Debian's stock one\n"
	"  --kernel built:HASH|NAME       one torn kernel build made (docs/kernels.md)\n"
	"  --cache DIR                    cache directory (default ~/.cache/torn)\n"
	"  --boot-timeout S               seconds to wait for the guest (default 300)\n"
	"  --pm-size SIZE                 the NVDIMM's size, e.g. 512M or 1G (default\n"
	"                                 64M; a run is checked on its own)\n"
	"  --backend qemu|libvirt[:URI]   start guests with QEMU (default), or as\n"
	"                                 libvirt domains (default URI\n"
	"                                 qemu:///system; a check also on\n"
	"                                 another host's, qemu+tcp://HOST/system:\n"
	"                                 docs/ci.md)\n"
	"  --keep                         keep the work directory\n";

int guest_pm_size_parse(const char *v, uint64_t *out, struct torn_err *err)
{
	static const char units[] = "KMG";
	char num[32];
	const char *u;
	size_t n = strlen(v);
	uint64_t x;
	unsigned int shift = 0;

	if (n && n < sizeof(num) && (u = strchr(units, v[n - 1])) && *u) {
		shift = 10 * (unsigned int)(u - units + 1);
		n--;
	}
	if (!n || n >= sizeof(num))
		return torn_err_set(err, TORN_E_USAGE,
				    "expected a size such as 512M or 1G");
	memcpy(num, v, n);
	num[n] = '\0';
	if (torn_parse_count(NULL, NULL, num, 1, GUEST_PM_SIZE_MAX >> shift,
			     &x) ||
	    (x << shift) < GUEST_PM_SIZE_MIN ||
	    (x << shift) % GUEST_PM_SIZE_ALIGN)
		return torn_err_set(err, TORN_E_USAGE,
				    "expected 16M..16G in steps of 2M");
	*out = x << shift;
	return 0;
}

uint64_t guest_pm_size(const struct guest_opts *o)
{
	return o->pm_size ? o->pm_size : TORN_KIT_PM_SIZE;
}

int guest_opts_set(struct guest_opts *o, const char *opt, const char *v,
		   struct torn_err *err)
{
	uint64_t s;

	if (!strcmp(opt, "--fs")) {
		if (torn_fs_kind_parse(v) < 0) {
			GString *k = g_string_new(NULL);

			for (int i = 0; i < torn_fs_count(); i++)
				g_string_append_printf(k, "%s%s",
						       !i ? ""
						       : i + 1 < torn_fs_count()
							       ? ", "
							       : " or ",
						       torn_fs_kind_name(i));
			torn_err_set(err, TORN_E_USAGE,
				     "expected %s (or a spec's [fs] kind)",
				     k->str);
			g_string_free(k, TRUE);
			return TORN_E_USAGE;
		}
		o->fs_kind = torn_fs_kind_parse(v);
		o->given |= GUEST_GIVEN_FS;
	} else if (!strcmp(opt, "--flush")) {
		if (torn_flush_mode_parse(v) < 0)
			return torn_err_set(
				err, TORN_E_USAGE,
				"expected clwb, clflushopt, clflush, eadr or nt");
		o->flush_mode = torn_flush_mode_parse(v);
		o->given |= GUEST_GIVEN_FLUSH;
	} else if (!strcmp(opt, "--kernel")) {
		o->kernel = v;
	} else if (!strcmp(opt, "--modules")) {
		o->modules = v;
	} else if (!strcmp(opt, "--cache")) {
		o->cache_dir = v;
	} else if (!strcmp(opt, "--pm-size")) {
		if (guest_pm_size_parse(v, &s, err))
			return TORN_E_USAGE;
		o->pm_size = s;
		o->given |= GUEST_GIVEN_PM_SIZE;
	} else if (!strcmp(opt, "--backend")) {
		if (!strcmp(v, "qemu"))
			o->libvirt_uri = NULL;
		else if (!strcmp(v, "libvirt"))
			o->libvirt_uri = GUEST_LIBVIRT_URI;
		else if (!strncmp(v, "libvirt:", 8) && v[8])
			o->libvirt_uri = v + 8;
		else
			return torn_err_set(
				err, TORN_E_USAGE,
				"expected qemu, libvirt or libvirt:URI");
	} else if (!strcmp(opt, "--boot-timeout")) {
		if (torn_parse_count(NULL, NULL, v, 1, GUEST_BOOT_TIMEOUT_MAX,
				     &s))
			return torn_err_set(err, TORN_E_USAGE, "expected 1..%d",
					    GUEST_BOOT_TIMEOUT_MAX);
		o->timeout_s = (int)s;
	} else {
		return TORN_E_NOTFOUND;
	}
	return 0;
}

int guest_opts_parse(struct guest_opts *o, int argc, char **argv, int *i)
{
	struct torn_err err = { "" };
	const char *a = argv[*i];
	int ret;

	if (!strcmp(a, "--keep")) {
		o->keep = 1;
		return 1;
	}
	if (strcmp(a, "--fs") && strcmp(a, "--flush") &&
	    strcmp(a, "--kernel") && strcmp(a, "--modules") &&
	    strcmp(a, "--cache") && strcmp(a, "--boot-timeout") &&
	    strcmp(a, "--pm-size") && strcmp(a, "--backend"))
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "torn: option %s needs a value\n", a);
		return -1;
	}
	ret = guest_opts_set(o, a, argv[++*i], &err);
	if (ret) {
		fprintf(stderr, "torn: %s '%s': %s\n", a, argv[*i], err.msg);
		return -1;
	}
	return 1;
}

/*
 * bins with the host programs fs (a kind of the user's own) runs (the first
 * word of mkfs, mount, umount and fsck past env and NAME=VALUE), where
 * the host has them; mount, umount and env are busybox's.
 */
static char **fs_programs(const struct torn_fs *fs, char **bins)
{
	const char *const *vecs[] = { fs ? fs->mkfs : NULL,
				      fs ? fs->mount : NULL,
				      fs ? fs->umount : NULL,
				      fs ? fs->fsck : NULL };
	GPtrArray *v = g_ptr_array_new();

	for (char **b = bins; *b; b++)
		g_ptr_array_add(v, *b);
	g_free(bins); /* the strings moved into v */
	for (size_t i = 0; fs && i < G_N_ELEMENTS(vecs); i++) {
		const char *const *w = vecs[i];
		char *path;

		while (w && *w && (!strcmp(*w, "env") || strchr(*w, '=')))
			w++;
		if (!w || !*w || !strcmp(*w, "mount") || !strcmp(*w, "umount"))
			continue;
		path = g_find_program_in_path(*w);
		if (path)
			g_ptr_array_add(v, path);
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

int guest_kit(const struct guest_opts *o, struct torn_kit *kit)
{
	struct torn_kit_options ko = { 0 };
	struct torn_kernel built;
	struct torn_err err = { "" };
	const char *agent = getenv("TORN_AGENT");
	const char *mark = getenv("TORN_MARK");
	const char *wl_bins = getenv("TORN_WORKLOAD_BINS");
	char **bins;
	int ret;

	ko.kernel = o->kernel;
	ko.modules = o->modules;
	ko.cache_dir = o->cache_dir;
	if (torn_kernel_is_built_spec(o->kernel) ||
	    (o->kernel && !o->modules && !strchr(o->kernel, '/'))) {
		char cache[4096];

		ret = torn_cache_dir(o->cache_dir, cache, sizeof(cache));
		if (!ret)
			ret = torn_kernel_find(cache, o->kernel, &built, &err);
		if (ret) {
			fprintf(stderr, "torn: --kernel %s: %s\n", o->kernel,
				err.msg);
			return ret;
		}
		if (o->modules)
			fprintf(stderr,
				"torn: --modules is ignored: %s brings its own\n",
				built.id);
		ko.kernel = built.vmlinuz;
		ko.modules = built.modules;
		ko.kernel_id = built.id;
	}
	ko.agent = agent && *agent ? agent : TORN_AGENT_PATH;
	ko.mark = mark && *mark ? mark : TORN_MARK_PATH;
	if (!ko.mark[0] || access(ko.mark, R_OK))
		ko.mark = NULL;
	/* the guest programs of another build: a sanitizer build's are not */
	bins = g_strsplit(wl_bins && *wl_bins ? wl_bins : TORN_WORKLOAD_BINS,
			  ":", -1);
	if (!bins[0] || !bins[0][0]) {
		g_strfreev(bins);
		bins = g_new0(char *, 1);
	}
	/* a kind of the user's own: its programs and modules too */
	bins = fs_programs(
		o->fs_kind >= TORN_FS_BUILTIN ? torn_fs_get(o->fs_kind) : NULL,
		bins);
	ko.extra_bins = (const char *const *)bins;
	if (o->fs_kind >= TORN_FS_BUILTIN)
		ko.load_modules = torn_fs_get(o->fs_kind)->modules;
	ret = torn_kit_ensure(&ko, kit, &err);
	g_strfreev(bins);
	if (ret) {
		fprintf(stderr, "torn: cannot build the guest kit: %s\n",
			err.msg);
		return ret;
	}
	fprintf(stderr, "torn: kit %.16s (kernel %s) %s\n", kit->hash,
		kit->release,
		kit->reused ? "up to date, nothing to do" : "built");
	ret = o->stage ? torn_kit_use_stage(kit, o->stage, &err) : 0;
	if (ret)
		fprintf(stderr, "torn: cannot stage the test: %s\n", err.msg);
	return ret;
}

int guest_workdir(const char *what, char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, len, "%s/torn-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp",
		 what);
	if (!mkdtemp(out))
		return -errno;
	return 0;
}

void guest_workdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[4096];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static char *dup_field(const struct torn_proto_msg *m, size_t i, char **slot)
{
	free(*slot);
	*slot = torn_proto_field_dup(m, i);
	return *slot;
}

/* What guest_run and guest_call return, per thread: checkers call at once. */
static __thread char *s_status, *s_out, *s_err, *s_detail;

void guest_thread_done(void)
{
	free(s_status);
	free(s_out);
	free(s_err);
	free(s_detail);
	s_status = s_out = s_err = s_detail = NULL;
}

int guest_run(struct torn_vm *vm, int timeout_ms, const char *const *argv,
	      const char **status, const char **out, const char **err_out,
	      struct torn_err *err)
{
	const char *req[64];
	char t[32];
	struct torn_proto_msg m;
	size_t n = 0;
	int ret;

	snprintf(t, sizeof(t), "%d", timeout_ms);
	req[n++] = "run";
	req[n++] = t;
	while (*argv && n < 63)
		req[n++] = *argv++;
	ret = torn_vm_call(vm, timeout_ms + 30000, n, req, &m, err);
	if (ret)
		return ret;
	if (m.nfields < 4) {
		torn_proto_msg_clear(&m);
		return torn_err_set(err, TORN_E_GUEST,
				    "agent reply to run has %u fields",
				    m.nfields);
	}
	*status = dup_field(&m, 1, &s_status);
	if (out)
		*out = dup_field(&m, 2, &s_out);
	if (err_out)
		*err_out = dup_field(&m, 3, &s_err);
	torn_proto_msg_clear(&m);
	return 0;
}

int guest_call(struct torn_vm *vm, int timeout_ms, const char *const *args,
	       const char **detail, struct torn_err *err)
{
	struct torn_proto_msg m;
	size_t n = 0;
	int ret;

	while (args[n])
		n++;
	ret = torn_vm_call(vm, timeout_ms, n, args, &m, err);
	if (ret)
		return ret;
	if (detail)
		*detail = dup_field(&m, 1, &s_detail);
	torn_proto_msg_clear(&m);
	return 0;
}

/* A program of fs's in the guest; TORN_E_GUEST unless it exits 0. */
static int fs_program(struct torn_vm *vm, const struct torn_fs *fs,
		      const char *const *tmpl, int timeout_ms,
		      struct torn_err *err)
{
	char **argv = torn_fs_argv(fs, tmpl);
	const char *status, *out, *errout;
	int ret;

	if (!argv)
		return torn_err_set(err, -ENOMEM, "out of memory");
	ret = guest_run(vm, timeout_ms, (const char *const *)argv, &status,
			&out, &errout, err);
	if (!ret && strcmp(status, "exit 0"))
		ret = torn_err_set(err, TORN_E_GUEST, "%s: %s: %.300s", argv[0],
				   status, *errout ? errout : out);
	torn_fs_argv_free(argv);
	return ret;
}

int guest_fs_mount(struct torn_vm *vm, const struct torn_fs *fs, int timeout_ms,
		   struct torn_err *err)
{
	const char *mnt[] = { "mount",	  torn_fs_dev(fs), TORN_FS_MNT,
			      fs->fstype, fs->mount_data,  NULL };
	int ret = torn_kit_load_modules(vm, fs, err);

	if (ret || !fs->mount)
		return ret;
	if (fs->fstype)
		return guest_call(vm, timeout_ms, mnt, NULL, err);
	return fs_program(vm, fs, fs->mount, timeout_ms, err);
}

static const char *const ns_off[] = { "ndctl", "disable-namespace",
				      "namespace0.0", NULL };

int guest_fs_ns_recover(struct torn_vm *vm, const struct torn_fs *fs,
			bool disabled, int timeout_ms, struct torn_err *err)
{
	static const char *const on[] = { "ndctl", "enable-namespace",
					  "namespace0.0", NULL };
	int ret = 0;

	if (fs->ns != TORN_NS_SECTOR)
		return 0;
	if (!disabled)
		ret = fs_program(vm, fs, ns_off, timeout_ms, err);
	return ret ? ret : fs_program(vm, fs, on, timeout_ms, err);
}

/*
 * The lines of ndctl's verbose output that say which block is wrong
 * ("internal block 0x3c is referenced by two map entries", or "two
 * map/log entries"), "; "-joined; "" if none.
 */
static char *which_blocks(const char *errout, const char *out)
{
	char *both = g_strconcat(errout, out, NULL);
	char **lines = g_strsplit(both, "\n", -1);
	GString *s = g_string_new("");

	for (char **l = lines; *l; l++)
		if (strstr(*l, " is referenced by "))
			g_string_append_printf(s, "%s%s", s->len ? "; " : "",
					       g_strstrip(*l));
	g_strfreev(lines);
	g_free(both);
	return g_string_free(s, FALSE);
}

int guest_fs_ns_check(struct torn_vm *vm, const struct torn_fs *fs,
		      int timeout_ms, char *bad, size_t len,
		      struct torn_err *err)
{
	static const char *const chk[] = { "ndctl", "check-namespace",
					   "namespace0.0", NULL };
	static const char *const verbose[] = { "ndctl", "check-namespace", "-v",
					       "namespace0.0", NULL };
	const char *status, *out, *errout;
	struct torn_err verr = { "" };
	char *st, *text;
	int ret;

	bad[0] = 0;
	if (fs->ns != TORN_NS_SECTOR)
		return 0;
	ret = fs_program(vm, fs, ns_off, timeout_ms, err);
	if (!ret)
		ret = guest_run(vm, timeout_ms, chk, &status, &out, &errout,
				err);
	if (ret || !strcmp(status, "exit 0"))
		return ret;
	/* status and output point into the vm's buffer: the next call's */
	st = g_strdup(status);
	text = g_strdup_printf("%s%s", errout, out);
	/*
	 * Which block, and shared by what (two map entries, or a map entry
	 * and the free list), only -v says.  The check left the namespace
	 * disabled; it reads, never repairs.  A -v run that fails adds
	 * nothing: the verdict is the first run's.
	 */
	if (!guest_run(vm, timeout_ms, verbose, &status, &out, &errout,
		       &verr)) {
		char *blocks = which_blocks(errout, out);

		snprintf(bad, len, "%s: %s%s%s", st, blocks,
			 blocks[0] ? ": " : "", text);
		g_free(blocks);
	} else {
		snprintf(bad, len, "%s: %s", st, text);
	}
	g_free(text);
	g_free(st);
	return 0;
}

int guest_fs_umount(struct torn_vm *vm, const struct torn_fs *fs,
		    int timeout_ms, struct torn_err *err)
{
	static const char *const umnt[] = { "umount", TORN_FS_MNT, NULL };

	if (!fs->mount)
		return 0;
	if (fs->fstype || !fs->umount)
		return guest_call(vm, timeout_ms, umnt, NULL, err);
	return fs_program(vm, fs, fs->umount, timeout_ms, err);
}

char *guest_fs_line(const struct torn_fs *fs, const char *const *argv)
{
	char **v = torn_fs_argv(fs, argv);
	char *line = v ? g_strjoinv(" ", v) : g_strdup("(none)");

	torn_fs_argv_free(v);
	return line;
}

void guest_vm_config(const struct guest_opts *o, const struct torn_kit *kit,
		     const char *pm_path, uint64_t pm_size, const char *workdir,
		     struct torn_vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kernel = kit->kernel;
	cfg->initrd = kit->initrd;
	cfg->pm_path = pm_path;
	cfg->pm_size = pm_size;
	cfg->flush_mode = o->flush_mode;
	cfg->workdir = workdir;
	cfg->boot_timeout_ms = (o->timeout_s ? o->timeout_s : 300) * 1000;
	cfg->libvirt_uri = o->libvirt_uri;
}

int guest_pm_prepare(const struct guest_opts *o, const char *what,
		     struct guest_pm *g)
{
	struct torn_err err = { "" };
	int reused, ret;

	memset(g, 0, sizeof(*g));
	if (guest_kit(o, &g->kit))
		return TORN_EXIT_INFRA;
	if (torn_kit_base_image(&g->kit, o->fs_kind, guest_pm_size(o), g->base,
				sizeof(g->base), &reused, &err)) {
		fprintf(stderr, "torn: cannot build the %s base image: %s\n",
			torn_fs_kind_name(o->fs_kind), err.msg);
		return TORN_EXIT_INFRA;
	}
	if (guest_workdir(what, g->work, sizeof(g->work))) {
		perror("torn: cannot create a work directory");
		return TORN_EXIT_INFRA;
	}
	snprintf(g->pm, sizeof(g->pm), "%s/pm.img", g->work);
	ret = torn_copy_file(g->base, g->pm);
	if (ret) {
		fprintf(stderr, "torn: cannot copy %s: %s\n", g->base,
			torn_strerror(ret));
		guest_workdir_remove(g->work);
		return TORN_EXIT_INFRA;
	}
	guest_vm_config(o, &g->kit, g->pm, guest_pm_size(o), g->work, &g->cfg);
	if (torn_fs_get(o->fs_kind)->origin_mb) {
		torn_kit_origin_path(g->base, g->origin, sizeof(g->origin));
		guest_vm_origin(torn_fs_get(o->fs_kind), g->origin, &g->cfg);
	}
	return TORN_EXIT_OK;
}

void guest_vm_origin(const struct torn_fs *fs, const char *origin,
		     struct torn_vm_config *cfg)
{
	cfg->origin_path = fs->origin_mb ? origin : NULL;
	cfg->origin_writable = 0;
}

int guest_origin_check(struct torn_vm *vm, const struct torn_fs *fs,
		       int timeout_ms, struct torn_err *err)
{
	const char *const stat[] = { "read-file",
				     "/sys/block/" TORN_FS_ORIGIN_NAME "/stat",
				     NULL };
	const char *text;
	unsigned long long f[15] = { 0 };
	int ret, n;

	if (!fs->origin_mb)
		return 0;
	ret = guest_call(vm, timeout_ms, stat, &text, err);
	if (ret)
		return ret;
	/*
	 * Documentation/block/stat.rst: reads, merged, sectors, ms, writes,
	 * merged, sectors, ms, in flight, io ms, queue ms, then (4.18 on)
	 * discards, merged, sectors, ms
	 */
	n = sscanf(
		text,
		"%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8],
		&f[9], &f[10], &f[11], &f[12], &f[13], &f[14]);
	if (n < 7)
		return torn_err_set(err, TORN_E_FORMAT,
				    "cannot read %s's I/O counts: '%.80s'",
				    TORN_FS_ORIGIN_DEV, text);
	if (f[4] || f[11])
		return torn_err_set(
			err, TORN_E_GUEST,
			"the guest %s %llu sectors of the origin disk %s (%s wrote back?): the NVDIMM alone no longer holds the crash state",
			f[4] ? "wrote" : "discarded", f[4] ? f[6] : f[13],
			TORN_FS_ORIGIN_DEV, fs->name);
	return 0;
}
