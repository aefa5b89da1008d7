/* The workloads torn knows by name. */
#include "registry.h"

#include <string.h>

#include "fsops_examples.h"

/* How an fsops example runs in the guest (see fsops_text in registry.h). */
#define FSOPS(example)                                               \
	.program = "torn-fsops", .fs_arg = "/mnt",                    \
	.env = "TORN_FSOPS_FILE=/tmp/workload.fsops",                 \
	.fsops_text = torn_fsops_example_##example, .flags = TORN_WL_FS

const struct torn_workload torn_workloads[] = {
	{ .name = "files", .program = "torn-wl-files", .fs_arg = "/mnt",
	  .flags = TORN_WL_FS,
	  .summary = "create, write, fsync, rename, fsync dir, fdatasync" },
	{ .name = "pmem", .program = "torn-wl-pmem", .fs_arg = "/mnt/pmem-log",
	  .devdax_arg = "/dev/dax0.0", .flags = TORN_WL_FS | TORN_WL_DEVDAX,
	  .summary = "records through a MAP_SYNC mapping, pmem_persist (libpmem)" },
	{ .name = "msync", .program = "torn-wl-msync", .fs_arg = "/mnt/msync-file",
	  .flags = TORN_WL_FS,
	  .summary = "writes through a plain shared mapping, msync" },
	{ .name = "fsops-default", FSOPS(default),
	  .summary = "fsops: write, fsync, atomic rename over, link, unlink, fdatasync" },
	{ .name = "fsops-mmap", FSOPS(mmap),
	  .summary = "fsops: msync and MAP_SYNC writes beside write(2)" },
	{ .name = "fsops-dirs", FSOPS(dirs),
	  .summary = "fsops: nested directories, atomic directory rename, rmdir" },
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
