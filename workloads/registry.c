/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The workloads torn knows by name. */
#include "registry.h"

#include <string.h>

#include "fsops_examples.h"

/* How an fsops example runs in the guest (see fsops_text in registry.h). */
#define FSOPS(example, nodax)                         \
	.program = "torn-fsops", .fs_arg = "/mnt",    \
	.env = "TORN_FSOPS_FILE=/tmp/workload.fsops", \
	.fsops_text = torn_fsops_example_##example,   \
	.flags = TORN_WL_FS | (nodax)

const struct torn_workload torn_workloads[] = {
	{ .name = "files",
	  .program = "torn-wl-files",
	  .fs_arg = "/mnt",
	  .flags = TORN_WL_FS | TORN_WL_NODAX,
	  .summary = "create, write, fsync, rename, fsync dir, fdatasync" },
	{ .name = "pmem",
	  .program = "torn-wl-pmem",
	  .fs_arg = "/mnt/pmem-log",
	  .devdax_arg = "/dev/dax0.0",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX,
	  .summary =
		  "records through a MAP_SYNC mapping, pmem_persist (libpmem)" },
	{ .name = "msync",
	  .program = "torn-wl-msync",
	  .fs_arg = "/mnt/msync-file",
	  .flags = TORN_WL_FS | TORN_WL_NODAX,
	  .summary = "writes through a plain shared mapping, msync" },
	{ .name = "fsops-default",
	  FSOPS(default, TORN_WL_NODAX),
	  .summary =
		  "fsops: write, fsync, atomic rename over, link, unlink, fdatasync" },
	{ .name = "fsops-mmap",
	  FSOPS(mmap, 0),
	  .summary = "fsops: msync and MAP_SYNC writes beside write(2)" },
	{ .name = "fsops-dirs",
	  FSOPS(dirs, TORN_WL_NODAX),
	  .summary =
		  "fsops: nested directories, atomic directory rename, rmdir" },
	/* PM applications (workloads/pm) and seeded bugs (docs/seeded-bugs.md)
	 */
	{ .name = "pmlog",
	  .program = "torn-pm-pmlog",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX,
	  .summary =
		  "pm: checksummed record log on MAP_SYNC, raw flushes + sfence" },
	{ .name = "pmlog-pmem",
	  .program = "torn-pm-pmlog-pmem",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX,
	  .summary = "pm: the pmlog format written through libpmem" },
	{ .name = "pmemobj-kv",
	  .program = "torn-pm-kv",
	  .fs_arg = "/mnt/pmemobj-kv",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-kv-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX,
	  .summary = "pm: libpmemobj transactional hash map, 6 puts" },
	{ .name = "mmap-msync",
	  .program = "torn-pm-mmap-msync",
	  .fs_arg = "/mnt/mmap-msync",
	  .checker = "torn-pm-mmap-msync-check",
	  .flags = TORN_WL_FS | TORN_WL_NODAX,
	  .summary =
		  "pm: records through a shared mapping, acked after msync" },
	{ .name = "bug-noflush",
	  .program = "torn-bug-noflush",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,clflush,nt",
	  .detect_engines = "prefix",
	  .twin = "pmlog",
	  .summary =
		  "bug: pmlog commit record stored and fenced, never flushed" },
	{ .name = "bug-nofence",
	  .program = "torn-bug-nofence",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,nt",
	  .detect_engines = "subsets:2",
	  .twin = "pmlog",
	  .summary = "bug: no sfence between record flush and commit store" },
	{ .name = "bug-onefence",
	  .program = "torn-bug-onefence",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,clflush,nt",
	  .detect_engines = "subsets:1",
	  .twin = "pmlog",
	  .summary = "bug: record and commit stored, then both flushed" },
	{ .name = "bug-nocsum",
	  .program = "torn-bug-nocsum",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,eadr,nt",
	  .detect_engines = "torn",
	  .twin = "pmlog",
	  .summary =
		  "bug: 16-byte commit record without checksum, torn at 8 bytes" },
	{ .name = "bug-straddle",
	  .program = "torn-bug-straddle",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,clflush,nt",
	  .detect_engines = "prefix",
	  .twin = "pmlog",
	  .summary =
		  "bug: record straddling lines, only its first line flushed" },
	{ .name = "bug-pmem-noflush",
	  .program = "torn-pm-pmlog-pmem",
	  .fs_arg = "/mnt/pmlog",
	  .devdax_arg = "/dev/dax0.0",
	  .checker = "torn-pm-pmlog-check",
	  .env = "PMEM_NO_FLUSH=1",
	  .flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,clflush,nt",
	  .detect_engines = "prefix",
	  .twin = "pmlog-pmem",
	  .summary =
		  "bug: pmlog-pmem with PMEM_NO_FLUSH=1 (fine on eadr only)" },
	{ .name = "bug-nomsync",
	  .program = "torn-bug-nomsync",
	  .fs_arg = "/mnt/mmap-msync",
	  .checker = "torn-pm-mmap-msync-check",
	  .flags = TORN_WL_FS | TORN_WL_NODAX | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,clflush,eadr,nt",
	  .detect_engines = "prefix",
	  .twin = "mmap-msync",
	  .summary = "bug: mmap writes acknowledged without msync" },
	/* block-level, for a block cache on pmem (dm-writecache) */
	{ .name = "blk-wc",
	  .program = "torn-blk-wc",
	  .checker = "torn-blk-wc-check",
	  .flags = TORN_WL_BLOCK,
	  .summary = "O_DIRECT block writes, each round flushed (fdatasync)" },
	{ .name = "bug-wc-noflush",
	  .program = "torn-bug-wc-noflush",
	  .checker = "torn-blk-wc-check",
	  .flags = TORN_WL_BLOCK | TORN_WL_BUGGY,
	  .buggy_modes = "clwb,clflushopt,clflush,eadr,nt",
	  .detect_engines = "prefix",
	  .twin = "blk-wc",
	  .summary = "bug: block writes acknowledged without FLUSH" },
};

const size_t torn_workloads_count =
	sizeof(torn_workloads) / sizeof(torn_workloads[0]);

const struct torn_workload *torn_workload_find(const char *name)
{
	size_t i;

	for (i = 0; i < torn_workloads_count; i++)
		if (!strcmp(torn_workloads[i].name, name))
			return &torn_workloads[i];
	return NULL;
}
