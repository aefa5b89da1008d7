/* The workloads torn knows by name. */
#include "registry.h"

#include <string.h>

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
