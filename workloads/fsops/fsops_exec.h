/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running an fsops workload: markers around each op, expected.txt beside. */
#ifndef TORN_FSOPS_EXEC_H
#define TORN_FSOPS_EXEC_H

/*
 * For op i (from 1) the executor emits OP_BEGIN i with the op's text,
 * does it, emits OP_END i and, once a durability op has returned,
 * DURABLE i (workloads/include/torn_mark.h).  Between ops it reads the
 * tree (no stores: O_NOATIME) and writes the records of docs/oracles.md:
 * op, touch (every path whose dump line changed, and the op's named
 * paths), pre/post for atomic ops, and durable for what Linux ext4/XFS
 * guarantee after fsync, fdatasync, msync, MAP_SYNC writes and sync.
 * docs/workloads.md states the rules for durable promises.
 */

#include <stddef.h>
#include <stdio.h>

#include "fsops.h"
#include "torn_err.h"

struct torn_fsops_exec_opts {
	FILE *expected; /* expected.txt records go here; NULL: nowhere */
	/*
	 * On a host filesystem (a dry run, tests): emulate what it lacks
	 * that DAX filesystems have (MAP_SYNC; fallocate zero-range) with
	 * plain writes that leave the same tree.
	 */
	int host;
	/*
	 * Tests: called before op i begins (after = 0) and when it is done
	 * and its records are written and flushed (after = 1).
	 */
	void (*hook)(void *arg, size_t op, int after);
	void *hook_arg;
	/*
	 * Host: an op that writes or allocates fails, before it runs, when
	 * the files' blocks plus its length pass this many bytes (the dry
	 * run: TORN_FSOPS_CAPACITY); 0: no limit.
	 */
	uint64_t capacity;
};

/*
 * Run w on the filesystem mounted at mnt (an existing directory).
 * Returns 0, or a negative code with err saying which op on which line
 * failed and why, e.g. "w.fsops:7: rename foo bar: No such file or
 * directory".  Mappings made by mmap-write are gone when it returns.
 */
int torn_fsops_exec(const struct torn_fsops *w, const char *mnt,
		    const struct torn_fsops_exec_opts *o, struct torn_err *err);

/*
 * Run w on the host in a fresh temporary directory (in /dev/shm when
 * there is one, else $TMPDIR or /tmp; removed afterwards) with host = 1:
 * finds what would fail in a guest before one boots.  expected, when
 * not NULL, gets the records.  Returns as torn_fsops_exec.
 */
int torn_fsops_dry_run(const struct torn_fsops *w, FILE *expected,
		       struct torn_err *err);

#endif
