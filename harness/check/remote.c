/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A checker on another host's hypervisor (check_int.h, checker.store):
 * its NVDIMM is a volume there, reached through libvirt's streams.  pm
 * stays this host's copy of it, restored state by state as for a local
 * checker; what a restore changed is uploaded before the check, and the
 * whole volume is read back after it: no host tracks the remote guest's
 * writes, and the read-back finds them exactly (what it costs per state:
 * docs/performance.md, "remote").
 */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "check_int.h"
#include "torn_time.h"

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

int checker_push(struct checker *c, struct torn_err *err)
{
	struct push_ctx x = { .c = c, .err = err };
	long long t0 = torn_now_ms();

	check_pages_runs(&c->push, PUSH_GAP, push_run, &x);
	if (x.ret)
		check_pages_mark_all(&c->push);
	c->ms_transfer += torn_now_ms() - t0;
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

int checker_pull(struct checker *c, uint64_t *changed, struct torn_err *err)
{
	struct pull_ctx x = { .c = c };
	long long t0 = torn_now_ms();
	int ret = torn_vm_store_read(c->store, c->vol, 0, c->run->pm_size,
				     pull_piece, &x, err);

	if (ret) {
		/* what the volume holds is unknown: all of it goes again */
		check_pages_mark_all(&c->stale);
		check_pages_mark_all(&c->push);
	}
	c->ms_transfer += torn_now_ms() - t0;
	*changed = x.changed;
	return ret;
}
