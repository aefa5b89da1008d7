/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A checker on another host's hypervisor (check_int.h, checker.store):
 * its NVDIMM is a volume there, reached through libvirt's streams.  pm
 * stays this host's copy of it, restored state by state as for a local
 * checker; what a restore changed is uploaded before the check.  After
 * it, what the guest wrote is read back: the pages the write-tracking
 * shim in the remote QEMU names (it answers a sequence number written
 * into one small volume with the ranges written since its last answer,
 * in another: wp_scan.h), or the whole volume when the shim does not
 * answer.  What each costs per state: docs/performance.md, "remote".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_int.h"
#include "torn_time.h"
#include "wp_scan.h"

/* uploads of a run closer than 16 pages to the next join it */
#define PUSH_GAP 16

struct push_ctx {
	struct checker *c;
	struct torn_err *err;
	int ret;
};

static void push_run(uint64_t off, uint64_t len, void *arg)
{
	struct push_ctx *x = arg;

	if (x->ret)
		return;
	x->ret = torn_vm_store_write(x->c->store, x->c->vol, off,
				     x->c->pm + off, len, x->err);
	if (!x->ret) {
		x->c->bytes_up += len;
		x->c->runs_up++;
	}
}

struct verify_ctx {
	const uint8_t *pm;
	uint64_t bad;
};

static void verify_piece(uint64_t off, const void *buf, size_t len, void *arg)
{
	struct verify_ctx *v = arg;

	v->bad += memcmp(v->pm + off, buf, len) != 0;
}

int checker_push(struct checker *c, struct torn_err *err)
{
	struct push_ctx x = { .c = c, .err = err };
	long long t0 = torn_now_ms();
	const char *verify = getenv("TORN_VERIFY_RESTORE");

	check_pages_runs(&c->push, PUSH_GAP, push_run, &x);
	if (x.ret)
		check_pages_mark_all(&c->push);
	c->ms_transfer += torn_now_ms() - t0;
	/* TORN_VERIFY_RESTORE (a test's): the volume is pm, byte for byte */
	if (!x.ret && verify && *verify) {
		struct verify_ctx v = { .pm = c->pm };

		x.ret = torn_vm_store_read(c->store, c->vol, 0, c->run->pm_size,
					   verify_piece, &v, err);
		c->remote_verified++;
		c->remote_wrong += v.bad != 0;
	}
	return x.ret;
}

struct pull_ctx {
	struct checker *c;
	uint64_t changed;
};

static void pull_piece(uint64_t off, const void *buf, size_t len, void *arg)
{
	struct pull_ctx *x = arg;
	struct checker *c = x->c;
	uint64_t size = c->run->pm_size;

	c->bytes_down += len;
	for (size_t at = 0; at < len && off + at < size; at += CHECK_PAGE) {
		size_t n = len - at < CHECK_PAGE ? len - at : CHECK_PAGE;

		if (off + at + n > size)
			n = (size_t)(size - off - at);
		if (!memcmp(c->pm + off + at, (const char *)buf + at, n))
			continue;
		memcpy(c->pm + off + at, (const char *)buf + at, n);
		check_pages_mark(&c->stale, off + at, n);
		x->changed++;
	}
}

/* ---- the shim's answers -------------------------------------------------- */

/* the answer volume: the header and up to 4096 ranges */
#define ANSWER_SIZE (sizeof(struct wp_answer) + 4096 * 16)
/* how long a shim may take to answer before the whole image is read */
#define ANSWER_MS 5000

static const char *const wp_suffix[3] = { "status", "ask", "wp" };

/* The volume of the shim's file i (wp_suffix) for c, into name. */
static void wp_vol(const struct checker *c, int i, char *name, size_t len)
{
	snprintf(name, len, "%s.%s", c->vol, wp_suffix[i]);
}

/* [off, off + len) of the shim's file i into buf: bytes read. */
static size_t read_small(struct checker *c, int i, uint64_t off, void *buf,
			 size_t len, struct torn_err *err)
{
	char name[200];

	wp_vol(c, i, name, sizeof(name));
	return torn_vm_store_read_small(c->store, name, off, buf, len, err);
}

int checker_remote_init(struct checker *c)
{
	struct torn_err err = { "" };
	char host[64] = "";
	int ret;

	gethostname(host, sizeof(host) - 1);
	snprintf(c->vol, sizeof(c->vol), "torn-%s-%d-%d.img", host,
		 (int)getpid(), c->idx);
	ret = check_pages_init(&c->push, c->run->pm_size);
	if (ret)
		return ret;
	ret = torn_vm_store_open(c->run->guest.libvirt_uri, &c->store, &err);
	if (!ret && !c->idx) {
		int swept = torn_vm_store_sweep(c->store, host);

		if (swept > 0)
			fprintf(stderr,
				"torn: deleted %d volume%s left there by "
				"torns of this host that are gone\n",
				swept, swept == 1 ? "" : "s");
	}
	if (!ret)
		ret = torn_vm_store_create(c->store, c->vol, c->run->pm_size,
					   &c->pm_rpath, &err);
	if (!ret) {
		check_pages_mark_all(&c->push);
		ret = checker_push(c, &err);
	}
	if (ret)
		fprintf(stderr, "torn: checker %d: %s\n", c->idx, err.msg);
	return ret ? -EIO : 0;
}

int checker_remote_boot(struct checker *c, struct torn_err *err)
{
	c->wp_remote = false;
	for (int i = 0; i < 3; i++) {
		char name[200];
		int ret;

		free(c->wp_rpath[i]);
		c->wp_rpath[i] = NULL;
		wp_vol(c, i, name, sizeof(name));
		ret = torn_vm_store_create(c->store, name,
					   i == 2 ? ANSWER_SIZE : 4096,
					   &c->wp_rpath[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

void checker_remote_booted(struct checker *c)
{
	struct torn_err err = { "" };
	char line[256] = "";

	if (!read_small(c, 0, 0, line, sizeof(line) - 1, &err))
		snprintf(line, sizeof(line), "no status: %s", err.msg);
	line[strcspn(line, "\n")] = '\0';
	c->wp_remote = !strncmp(line, "ok ", 3);
	if (c->wp_remote)
		c->wp_why[0] = '\0';
	else
		snprintf(
			c->wp_why, sizeof(c->wp_why),
			"the shim on the hypervisor's host: %.120s; the remote "
			"NVDIMM is read back after each state",
			line[0] ? line : "wrote no status");
}

void checker_remote_fini(struct checker *c)
{
	for (int i = 0; i < 3; i++) {
		char name[200];

		wp_vol(c, i, name, sizeof(name));
		if (c->store && c->wp_rpath[i])
			torn_vm_store_delete(c->store, name);
		free(c->wp_rpath[i]);
		c->wp_rpath[i] = NULL;
	}
	if (c->store)
		torn_vm_store_delete(c->store, c->vol);
	torn_vm_store_close(c->store);
	c->store = NULL;
	free(c->pm_rpath);
	c->pm_rpath = NULL;
	check_pages_fini(&c->push);
}

struct fetch_ctx {
	struct checker *c;
	struct pull_ctx *pull;
	struct torn_err *err;
	int ret;
};

static void fetch_run(uint64_t off, uint64_t len, void *arg)
{
	struct fetch_ctx *f = arg;

	if (!f->ret)
		f->ret = torn_vm_store_read(f->c->store, f->c->vol, off, len,
					    pull_piece, f->pull, f->err);
}

/*
 * Ask the shim what the guest wrote, and read those pages back: 0, or
 * an error (the shim did not answer, or said it cannot): then the
 * caller reads the whole volume.
 */
static int pull_tracked(struct checker *c, struct pull_ctx *x,
			struct torn_err *err)
{
	uint64_t seq = ++c->wp_seq, *ranges;
	struct wp_answer h = { 0 };
	struct check_pages runs;
	struct fetch_ctx f = { .c = c, .pull = x, .err = err };
	long long deadline = torn_now_ms() + ANSWER_MS;
	char ask[200];
	int ret;

	wp_vol(c, 1, ask, sizeof(ask));
	ret = torn_vm_store_write(c->store, ask, 0, &seq, sizeof(seq), err);
	if (ret)
		return ret;
	for (;;) {
		size_t n = read_small(c, 2, 0, &h, sizeof(h), err);

		if (n == sizeof(h) && h.magic == WP_ANSWER_MAGIC &&
		    h.seq == seq)
			break;
		if (!n && err->msg[0])
			return TORN_E_GUEST;
		if (torn_now_ms() > deadline)
			return torn_err_set(err, TORN_E_TIMEOUT,
					    "the shim did not answer in %d s",
					    ANSWER_MS / 1000);
		usleep(2000);
	}
	if (h.status != WP_ANSWER_OK)
		return torn_err_set(err, TORN_E_GUEST, "the shim %s",
				    h.status == WP_ANSWER_FULL
					    ? "saw more ranges than it can say"
					    : "could not scan");
	if (!h.nranges)
		return 0;
	ranges = malloc(h.nranges * 16);
	if (!ranges || check_pages_init(&runs, c->run->pm_size)) {
		free(ranges);
		return torn_err_set(err, -ENOMEM, "out of memory");
	}
	if (read_small(c, 2, sizeof(h), ranges, h.nranges * 16, err) !=
	    h.nranges * 16)
		f.ret = torn_err_set(err, TORN_E_GUEST,
				     "the shim's answer is short");
	for (uint64_t i = 0; !f.ret && i < h.nranges; i++) {
		check_pages_mark(&runs, ranges[2 * i], ranges[2 * i + 1]);
		c->pages_written += ranges[2 * i + 1] / CHECK_PAGE;
	}
	if (!f.ret)
		check_pages_runs(&runs, PUSH_GAP, fetch_run, &f);
	check_pages_fini(&runs);
	free(ranges);
	return f.ret;
}

int checker_pull(struct checker *c, uint64_t *changed, struct torn_err *err)
{
	struct pull_ctx x = { .c = c };
	long long t0 = torn_now_ms();
	int ret = -1;

	if (c->wp_remote && c->vm) {
		ret = pull_tracked(c, &x, err);
		if (ret) {
			fprintf(stderr,
				"torn: checker %d: %s; the remote NVDIMM is "
				"read back whole from now on\n",
				c->idx, err->msg);
			snprintf(c->wp_why, sizeof(c->wp_why), "%s", err->msg);
			c->wp_remote = false;
			err->msg[0] = '\0';
			x.changed = 0;
		}
	}
	if (ret) {
		ret = torn_vm_store_read(c->store, c->vol, 0, c->run->pm_size,
					 pull_piece, &x, err);
		c->pages_written += x.changed;
	}

	if (ret) {
		/* what the volume holds is unknown: all of it goes again */
		check_pages_mark_all(&c->stale);
		check_pages_mark_all(&c->push);
	}
	c->ms_transfer += torn_now_ms() - t0;
	*changed = x.changed;
	return ret;
}
