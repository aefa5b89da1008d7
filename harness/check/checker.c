/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One checker guest, and one crash state recovered and judged in it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check_int.h"
#include "torn_time.h"
#include "user.h"
#include "verdict.h"

static uint8_t *map_shared(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

#ifndef TORN_WP_SHIM_PATH
#define TORN_WP_SHIM_PATH ""
#endif

const char *check_wp_shim_default(void)
{
	const char *shim = getenv("TORN_WP_SHIM");

	return shim ? shim : TORN_WP_SHIM_PATH;
}

int checker_init(struct checker *c, const struct check_run *run, int idx,
		 const char *base_path)
{
	c->run = run;
	c->idx = idx;
	c->wp.pagemap = -1;
	c->loop_fd = -1;
	if (guest_workdir("check", c->work, sizeof(c->work)))
		return -errno;
	snprintf(c->pm_path, sizeof(c->pm_path), "%s/pm.img", c->work);
	if (torn_copy_file(base_path, c->pm_path))
		return -EIO;
	c->pm = map_shared(c->pm_path, run->pm_size);
	if (!c->pm || check_pages_init(&c->stale, run->pm_size))
		return -ENOMEM;
	if (torn_vm_backend_remote(run->guest.libvirt_uri))
		return checker_remote_init(c);
	check_host_fsck_attach(c);
	return 0;
}

int checker_boot(struct checker *c, struct torn_err *err)
{
	struct torn_vm_config cfg;
	const struct check_run *run = c->run;
	struct torn_err wperr = { "" };
	char origin[4200];
	long long t0;
	bool warm;
	int ret;

	guest_vm_config(&run->guest, &run->kit, c->pm_path, run->pm_size,
			c->work, &cfg);
	/* its length was checked when the run was loaded (load.c) */
	torn_run_path(run->dir, TORN_RUN_ORIGIN, origin, sizeof(origin), NULL);
	guest_vm_origin(torn_fs_get(run->fs_kind), origin, &cfg);
	cfg.wp_shim = run->wp_shim[0] ? run->wp_shim : NULL;
	if (c->store) {
		cfg.pm_path = c->pm_rpath;
		cfg.pm_remote = 1;
		ret = checker_remote_boot(c, err);
		if (ret)
			return ret;
		if (cfg.wp_shim) {
			cfg.wp_status = c->wp_rpath[0];
			cfg.wp_ask = c->wp_rpath[1];
			cfg.wp_answer = c->wp_rpath[2];
		}
	}
	c->boots++;
	c->ns_disabled = false;
	warm = check_warm_config(c, &cfg);
	t0 = torn_now_ms();
	ret = torn_vm_start(&cfg, &c->vm, err);
	/* a signal is not the saved guest's fault */
	if (ret && warm && ret != TORN_E_INTERRUPTED && !check_interrupted()) {
		check_warm_failed(c, err);
		cfg.incoming = NULL;
		warm = false;
		t0 = torn_now_ms();
		ret = torn_vm_start(&cfg, &c->vm, err);
	}
	if (ret)
		return ret;
	check_warm_started(c, warm, torn_now_ms() - t0);
	if (c->store && cfg.wp_shim)
		checker_remote_booted(c);
	else if (c->store)
		snprintf(c->wp_why, sizeof(c->wp_why),
			 "no write-tracking shim: the remote NVDIMM is read "
			 "back after each state");
	else if (!cfg.wp_shim)
		snprintf(c->wp_why, sizeof(c->wp_why),
			 "no write-tracking shim");
	else if (torn_wp_open(&c->wp, torn_vm_pid(c->vm), c->work, &wperr))
		snprintf(c->wp_why, sizeof(c->wp_why), "%s", wperr.msg);
	else
		c->wp_why[0] = '\0';
	return 0;
}

void checker_kill(struct checker *c)
{
	check_coverage_lost(c);
	torn_vm_kill(c->vm);
	c->vm = NULL;
	torn_wp_close(&c->wp);
}

static void mark_written(uint64_t off, uint64_t len, void *ctx)
{
	struct checker *c = ctx;

	check_pages_mark(&c->stale, off, len);
	c->pages_written += len / CHECK_PAGE;
}

uint64_t checker_collect_writes(struct checker *c)
{
	struct torn_err err = { "" };
	uint64_t before = c->pages_written, changed;

	if (c->store) {
		/* the guest's writes are in the volume: read them back */
		if (!checker_pull(c, &changed, &err))
			return changed;
		fprintf(stderr, "torn: checker %d: %s\n", c->idx, err.msg);
		return c->stale.npages;
	}
	if (c->vm && torn_wp_on(&c->wp) &&
	    !torn_wp_scan(&c->wp, mark_written, c, &err))
		return c->pages_written - before;
	if (err.msg[0])
		snprintf(c->wp_why, sizeof(c->wp_why), "%s", err.msg);
	torn_wp_close(&c->wp);
	check_pages_mark_all(&c->stale);
	return c->stale.npages;
}

void checker_fini(struct checker *c)
{
	g_free(c->coverage);
	c->coverage = NULL;
	if (c->vm)
		torn_vm_stop(c->vm, 10000);
	c->vm = NULL;
	torn_wp_close(&c->wp);
	check_host_fsck_detach(c);
	if (c->pm)
		munmap(c->pm, c->run->pm_size);
	c->pm = NULL;
	check_pages_fini(&c->stale);
	checker_remote_fini(c);
	if (c->work[0] && !c->run->guest.keep)
		guest_workdir_remove(c->work);
	c->work[0] = '\0';
}

/* ---- one state ----------------------------------------------------------- */

static void set_result(struct check_result *res, enum torn_oracle o, bool ok,
		       const char *detail)
{
	res->r[o].ran = true;
	res->r[o].ok = ok;
	snprintf(res->r[o].detail, sizeof(res->r[o].detail), "%s",
		 detail ? detail : "");
}

/* The guest stopped answering or answered nonsense: not a verdict yet. */
static int infra(struct check_result *res, const struct torn_err *err)
{
	res->infra = true;
	snprintf(res->infra_detail, sizeof(res->infra_detail), "%s", err->msg);
	return -1;
}

static int is_infra_error(int ret)
{
	return ret && ret != TORN_E_GUEST;
}

/* "ID:ARG ..." of the markers before the crash point. */
static char *markers_env(const struct check_run *run, uint64_t point)
{
	GString *s = g_string_new("TORN_MARKERS=");
	size_t i;

	for (i = 0; i < run->nmarkers && run->markers[i].record < point; i++)
		g_string_append_printf(s, "%s%u:%" PRIu64, i ? " " : "",
				       run->markers[i].id, run->markers[i].arg);
	return g_string_free(s, FALSE);
}

static int run_custom(struct checker *c, struct check_result *res,
		      const char *target)
{
	const struct check_run *run = c->run;
	char *env_markers = markers_env(run, c->job.point);
	char env_state[160], env_durable[64], env_blockdev[160];
	const struct torn_fs *fs = torn_fs_get(run->fs_kind);
	const char *status, *out, *errout;
	struct torn_err err = { "" };
	GPtrArray *argv = g_ptr_array_new();
	bool named_target;
	char **words;
	int ret;

	/*
	 * The command line is shell words (a user's checker-args quoted),
	 * with {target}, {mnt} and {fs} expanded; the target goes last
	 * unless a word named it.
	 */
	if (torn_user_words(run->checker_prog, false, target,
			    torn_fs_kind_name(run->fs_kind), &words,
			    &named_target, &err)) {
		res->judge |= TORN_J_ERROR;
		set_result(res, TORN_O_CUSTOM, false, err.msg);
		g_ptr_array_unref(argv);
		g_free(env_markers);
		return 0;
	}
	snprintf(env_state, sizeof(env_state), "TORN_STATE=%s", c->job.id);
	snprintf(env_durable, sizeof(env_durable), "TORN_LAST_DURABLE=%" PRIu64,
		 res->progress.last_durable);
	g_ptr_array_add(argv, "env");
	g_ptr_array_add(argv, env_markers);
	g_ptr_array_add(argv, env_state);
	if (res->progress.last_durable)
		g_ptr_array_add(argv, env_durable);
	if (fs->blockdev) {
		snprintf(env_blockdev, sizeof(env_blockdev), "TORN_BLOCKDEV=%s",
			 fs->blockdev);
		g_ptr_array_add(argv, env_blockdev);
	}
	for (char **w = words; *w; w++)
		g_ptr_array_add(argv, *w);
	if (!named_target)
		g_ptr_array_add(argv, (char *)target);
	g_ptr_array_add(argv, NULL);
	ret = guest_run(c->vm, run->timeout_ms,
			(const char *const *)argv->pdata, &status, &out,
			&errout, &err);
	g_ptr_array_unref(argv);
	g_strfreev(words);
	g_free(env_markers);
	if (!ret && run->verbose)
		fprintf(run->verbose,
			"== custom checker %s: %s\n--- stdout\n%s--- stderr\n%s",
			run->checker_prog, status, out, errout);
	if (ret) {
		if (is_infra_error(ret))
			return infra(res, &err);
		set_result(res, TORN_O_CUSTOM, false, err.msg);
		return 0;
	}
	if (!strcmp(status, "exit 0")) {
		set_result(res, TORN_O_CUSTOM, true, NULL);
	} else if (!strcmp(status, "exit 1")) {
		char d[600];

		snprintf(d, sizeof(d), "%s%s", out, errout);
		g_strstrip(d);
		set_result(res, TORN_O_CUSTOM, false, d);
	} else if (!strcmp(status, "timeout")) {
		res->judge |= TORN_J_TIMEOUT;
		set_result(res, TORN_O_CUSTOM, false, "checker timed out");
	} else {
		char d[600];

		res->judge |= TORN_J_ERROR;
		snprintf(d, sizeof(d), "checker %s: %s", status, errout);
		set_result(res, TORN_O_CUSTOM, false, d);
	}
	return 0;
}

/* The recovered tree: its hash, the durability and atomicity oracles. */
static int judge_tree(struct checker *c, struct check_result *res)
{
	const struct check_run *run = c->run;
	const char *fields[] = { "dump", "/mnt" };
	struct torn_err err = { "" };
	struct torn_proto_msg m;
	char *dump = NULL, d[600];
	int ret;

	ret = torn_vm_call(c->vm, run->timeout_ms, 2, fields, &m, &err);
	if (ret)
		return infra(res, &err);
	if (m.nfields >= 2) {
		char *h;

		dump = torn_proto_field_dup(&m, 1);
		if (run->verbose)
			fprintf(run->verbose,
				"== recovered tree (semantic dump)\n%s",
				dump ? dump : "");
		h = g_compute_checksum_for_data(
			G_CHECKSUM_SHA256, m.fields[1].data, m.fields[1].len);
		snprintf(res->semantic, sizeof(res->semantic), "%s", h);
		g_free(h);
	}
	torn_proto_msg_clear(&m);
	if (run->expected && (run->oracles & TORN_O_BIT(TORN_O_DURABILITY))) {
		int bad = oracle_durability(run->expected, &res->progress,
					    dump ? dump : "", d, sizeof(d));

		set_result(res, TORN_O_DURABILITY, !bad, d);
		if (run->verbose)
			fprintf(run->verbose,
				"== durability (last durable op %" PRIu64
				"): %s\n",
				res->progress.last_durable, bad ? d : "ok");
	}
	if (run->expected && (run->oracles & TORN_O_BIT(TORN_O_ATOMICITY))) {
		int bad = oracle_atomicity(run->expected, &res->progress,
					   dump ? dump : "", d, sizeof(d));

		set_result(res, TORN_O_ATOMICITY, !bad, d);
		if (run->verbose)
			fprintf(run->verbose,
				"== atomicity (last op begun %" PRIu64
				"): %s\n",
				res->progress.last_begun, bad ? d : "ok");
	}
	free(dump);
	return 0;
}

static int run_fsck(struct checker *c, struct check_result *res,
		    const struct torn_fs *fs)
{
	const struct check_run *run = c->run;
	char **argv = torn_fs_argv(fs, fs->fsck);
	char *line = argv ? g_strjoinv(" ", argv) : NULL;
	struct torn_err err = { "" };
	const char *gstatus, *gout, *gerrout;
	char *status, *out, d[600];
	bool ok;
	int ret;

	if (!argv) {
		torn_err_set(&err, -ENOMEM, "out of memory");
		return infra(res, &err);
	}
	if (c->fsck_on_host) {
		ret = check_host_fsck(c, &status, &out);
		if (ret) {
			torn_err_set(&err, ret,
				     "cannot run %s's fsck on the host: %s",
				     fs->name, torn_strerror(ret));
			goto infra;
		}
	} else {
		ret = guest_run(c->vm, run->timeout_ms,
				(const char *const *)argv, &gstatus, &gout,
				&gerrout, &err);
		if (is_infra_error(ret))
			goto infra;
		if (ret) {
			set_result(res, TORN_O_FSCK, false, err.msg);
			goto out;
		}
		status = strdup(gstatus);
		/* what a failing fsck says on stderr too (btrfs check's why) */
		out = strcmp(gstatus, "exit 0") && *gerrout
			      ? g_strconcat(gout, gerrout, NULL)
			      : g_strdup(gout);
	}
	ok = status && !strcmp(status, "exit 0");
	if (run->verbose)
		fprintf(run->verbose, "== %s%s: %s\n%s", line,
			c->fsck_on_host ? " (on the host)" : "",
			status ? status : "?", out ? out : "");
	if (!ok) {
		/* the first lines that say what is wrong */
		snprintf(d, sizeof(d), "%s: %.500s", status ? status : "?",
			 out ? out : "");
		if (status && !strcmp(status, "timeout"))
			res->judge |= TORN_J_TIMEOUT;
	}
	set_result(res, TORN_O_FSCK, ok, ok ? NULL : d);
	free(status);
	g_free(out);
out:
	g_free(line);
	torn_fs_argv_free(argv);
	return 0;
infra:
	g_free(line);
	torn_fs_argv_free(argv);
	return infra(res, &err);
}

/*
 * The BTT's own check failed (bad: its status and output): the fsck
 * oracle fails, naming it before the filesystem's fsck says anything.
 */
static void btt_failed(struct check_result *res, const char *bad)
{
	const struct torn_oracle_result *r = &res->r[TORN_O_FSCK];
	char *d = g_strdup_printf("BTT: ndctl check-namespace %.400s%s%s", bad,
				  r->ran && !r->ok ? "; " : "",
				  r->ran && !r->ok ? r->detail : "");

	set_result(res, TORN_O_FSCK, false, d);
	g_free(d);
}

int check_one(struct checker *c, struct check_result *res)
{
	const struct check_run *run = c->run;
	const struct torn_fs *fs = torn_fs_get(run->fs_kind);
	const char *const dmesg_req[] = { "dmesg", NULL };
	const char *const usable_req[] = { "usable", TORN_FS_MNT, NULL };
	const char *const invalidate[] = { "invalidate", torn_fs_dev(fs),
					   NULL };
	bool devdax = !fs->mount, mounted = false;
	bool fsck = run->oracles & TORN_O_BIT(TORN_O_FSCK);
	struct torn_err err = { "" };
	const char *detail;
	char d[600], btt[600];
	int ret;

	memset(res, 0, sizeof(*res));
	res->ms_coverage = -1;
	oracle_progress_at(run->markers, run->nmarkers, c->job.point,
			   &res->progress);
	ret = guest_call(c->vm, run->timeout_ms, dmesg_req, NULL, &err);
	if (!ret)
		ret = check_coverage_reset(c, &err);
	if (ret)
		return infra(res, &err);
	/* a namespace that does not come back is a failed mount */
	ret = guest_fs_ns_recover(c->vm, fs, c->ns_disabled, run->timeout_ms,
				  &err);
	c->ns_disabled = false;
	if (is_infra_error(ret))
		return infra(res, &err);
	if (devdax) {
		res->judge |= TORN_J_NOMOUNT;
	} else {
		if (!ret)
			ret = guest_fs_mount(c->vm, fs, run->timeout_ms, &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		set_result(res, TORN_O_MOUNT, !ret, ret ? err.msg : NULL);
		mounted = !ret;
		/* what recovery ran, and nothing the oracles' own calls did */
		ret = check_coverage_read(c, res, &err);
		if (ret)
			return infra(res, &err);
		if (mounted)
			res->judge |= TORN_J_MOUNTED;
		if (run->verbose) {
			char *line = guest_fs_line(fs, fs->mount);

			fprintf(run->verbose, "== %s: %s\n", line,
				ret ? err.msg : "ok");
			g_free(line);
		}
	}
	if (mounted && judge_tree(c, res))
		return -1;
	if (run->checker_prog[0] &&
	    (run->oracles & TORN_O_BIT(TORN_O_CUSTOM)) && (mounted || devdax) &&
	    run_custom(c, res, devdax ? torn_fs_dev(fs) : TORN_FS_MNT))
		return -1;
	if (mounted && (run->oracles & TORN_O_BIT(TORN_O_USABILITY))) {
		ret = guest_call(c->vm, run->timeout_ms, usable_req, NULL,
				 &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		set_result(res, TORN_O_USABILITY, !ret, ret ? err.msg : NULL);
		if (run->verbose)
			fprintf(run->verbose, "== usability: %s\n",
				ret ? err.msg : "ok");
	}
	if (mounted) {
		ret = guest_fs_umount(c->vm, fs, run->timeout_ms, &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		if (ret) {
			snprintf(d, sizeof(d), "umount after recovery: %s",
				 err.msg);
			set_result(res, TORN_O_MOUNT, false, d);
		}
	}
	if (fs->fsck && fsck && run_fsck(c, res, fs))
		return -1;
	if (fsck && fs->ns == TORN_NS_SECTOR) {
		/* after the BTT's recovery and the filesystem's */
		ret = guest_fs_ns_check(c->vm, fs, run->timeout_ms, btt,
					sizeof(btt), &err);
		if (is_infra_error(ret))
			return infra(res, &err);
		c->ns_disabled = !ret;
		if (run->verbose)
			fprintf(run->verbose,
				"== ndctl check-namespace namespace0.0: %s\n",
				ret	 ? err.msg
				: btt[0] ? btt
					 : "ok");
		if (ret || btt[0])
			btt_failed(res, ret ? err.msg : btt);
	}
	ret = guest_call(c->vm, run->timeout_ms, dmesg_req, &detail, &err);
	if (ret)
		return infra(res, &err);
	if (run->verbose)
		fprintf(run->verbose, "== kernel log during recovery\n%s",
			detail ? detail : "");
	if (run->oracles & TORN_O_BIT(TORN_O_DMESG)) {
		int bad = oracle_dmesg(detail ? detail : "", d, sizeof(d));

		set_result(res, TORN_O_DMESG, !bad, bad ? d : NULL);
	}
	/*
	 * What the next state must not see: the block device's buffers
	 * (mount, fsck read through them); the filesystem's caches went
	 * with umount.  A device-DAX state is read through its mapping,
	 * which caches nothing; a sector namespace's device goes with the
	 * next state's reprobe.
	 */
	ret = devdax || fs->ns == TORN_NS_SECTOR
		      ? 0
		      : guest_call(c->vm, run->timeout_ms, invalidate, NULL,
				   &err);
	if (!ret)
		ret = guest_origin_check(c->vm, fs, run->timeout_ms, &err);
	if (ret)
		return infra(res, &err);
	res->verdict = torn_verdict_combine(res->r, res->judge);
	return 0;
}
