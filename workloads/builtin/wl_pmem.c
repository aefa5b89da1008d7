/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built-in workload: records written through a MAP_SYNC mapping,
 * pmem_persist'ed. */
#include <errno.h>
#include <libpmem.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "torn_mark.h"

#define RECORDS 8
/* under libpmem's default 256-byte threshold for non-temporal copies */
#define RECORD_SIZE 128

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/mnt/pmem-log";
	char src[RECORD_SIZE];
	size_t mapped;
	int is_pmem, i;
	char *base;

	/* a device-dax path maps whole; a file is created at 1 MiB */
	base = pmem_map_file(path, strncmp(path, "/dev/", 5) ? 1 << 20 : 0,
			     strncmp(path, "/dev/", 5) ? PMEM_FILE_CREATE : 0,
			     0644, &mapped, &is_pmem);
	if (!base) {
		fprintf(stderr, "wl-pmem: %s: %s\n", path, pmem_errormsg());
		return 1;
	}
	if (!is_pmem) {
		fprintf(stderr,
			"wl-pmem: %s is not persistent memory (no MAP_SYNC)\n",
			path);
		return 1;
	}
	for (i = 0; i < RECORDS; i++) {
		char *rec = base + 4096 + (size_t)i * RECORD_SIZE;
		uint64_t *tail = (uint64_t *)base;
		char what[64];

		snprintf(what, sizeof(what), "append record %d", i);
		torn_mark(TORN_MARK_ID_OP_BEGIN, i + 1, what, strlen(what));
		memset(src, 'a' + i, RECORD_SIZE);
		/* cached stores + flush, or NT stores under flush mode nt */
		pmem_memcpy_persist(rec, src, RECORD_SIZE);
		*tail = (uint64_t)i + 1;
		pmem_persist(tail, sizeof(*tail));
		torn_mark(TORN_MARK_ID_OP_END, i + 1, NULL, 0);
		torn_mark(TORN_MARK_ID_DURABLE, i + 1, what, strlen(what));
	}
	pmem_unmap(base, mapped);
	return 0;
}
