/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The libpmem side of the tracer's vm test: pmem_persist, pmem_memcpy. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libpmem.h>

#include "torn_mark.h"
#include "tracer_vm.h"

#define PAGE 4096

int main(int argc, char **argv)
{
	static unsigned char src[PAGE];
	char path[256];
	size_t len;
	int is_pmem, i;
	char *p;

	if (argc != 2) {
		fprintf(stderr, "usage: tracer-vm-pmem DAX-DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/pmem", argv[1]);
	p = pmem_map_file(path, 3 * PAGE, PMEM_FILE_CREATE, 0644, &len,
			  &is_pmem);
	if (!p) {
		fprintf(stderr, "tracer-vm-pmem: pmem_map_file: %s\n",
			strerror(errno));
		return 1;
	}
	for (i = 0; i < PAGE; i++)
		src[i] = PMEM_BYTE(i);
	memcpy(src, &(uint64_t){ PMEM_TAG(100) }, 8);
	/* Fault every page in before START. */
	pmem_memset_persist(p, 0, 3 * PAGE);

	torn_mark_start();
	for (i = 0; i < PMEM_TAGS; i++)
		*(volatile uint64_t *)(p + 64 * i) = PMEM_TAG(i);
	pmem_persist(p, 64 * PMEM_TAGS);
	pmem_memcpy_persist(p + PAGE, src, PAGE);
	torn_mark_stop();

	pmem_unmap(p, len);
	printf("tracer-vm-pmem: done, is_pmem %d\n", is_pmem);
	return 0;
}
