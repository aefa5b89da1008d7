/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn-pm-pmlog-pmem: the pmlog format written through libpmem. */
#include <libpmem.h>
#include <stdio.h>
#include <string.h>

#include "pm_util.h"
#include "pmlog_fmt.h"

/*
 * Same log, same checker as torn-pm-pmlog, but every flush and fence is
 * libpmem's: a record is built in DRAM and copied with
 * pmem_memcpy_nodrain (non-temporal stores in flush mode nt), then
 * pmem_drain; the commit slot is stored field by field and
 * pmem_persist'ed.  libpmem decides how to flush (clwb, clflushopt,
 * clflush, nothing on an eADR platform) and PMEM_NO_FLUSH=1 makes it
 * skip the flushes everywhere: the bug-pmem-noflush seeded bug.
 *
 * Host mode (--host): the file is not pmem; pmem_msync replaces
 * pmem_persist and pmem_drain.
 */

struct plog {
	uint8_t *base;
	int host;
	uint64_t count, end;
};

static void plog_persist(struct plog *l, const void *p, size_t len)
{
	if (l->host)
		pmem_msync(p, len);
	else
		pmem_persist(p, len);
}

static void plog_create(struct plog *l)
{
	uint8_t hdr[PMLOG_HDR_SIZE];
	uint64_t *s0 = (uint64_t *)(l->base + PMLOG_SLOT0);
	uint64_t *s1 = (uint64_t *)(l->base + PMLOG_SLOT1);
	unsigned int i;

	for (i = 0; i < PMLOG_SLOT_SIZE / 8; i++) {
		s0[i] = 0;
		s1[i] = 0;
	}
	plog_persist(l, s0, PMLOG_SLOT_SIZE);
	plog_persist(l, s1, PMLOG_SLOT_SIZE);
	pmlog_hdr_build(PMLOG_FMT_DUAL, hdr);
	if (l->host) {
		memcpy(l->base, hdr, sizeof(hdr));
		pmem_msync(l->base, sizeof(hdr));
	} else {
		pmem_memcpy_persist(l->base, hdr, sizeof(hdr));
	}
}

static void plog_append(struct plog *l)
{
	uint8_t rec[PMLOG_REC_HDR + PMLOG_MAX_PAYLOAD] = { 0 };
	uint32_t seq = (uint32_t)l->count + 1, len = pmlog_payload_len(seq);
	size_t size = pmlog_rec_size(len);
	uint8_t *dst = l->base + PMLOG_DATA + l->end;
	uint64_t hdr = (uint64_t)seq << 32 | len, csum;
	volatile uint64_t *slot;

	pmlog_payload(seq, rec + PMLOG_REC_HDR);
	csum = pmlog_rec_csum(len, seq, rec + PMLOG_REC_HDR);
	memcpy(rec, &hdr, 8);
	memcpy(rec + 8, &csum, 8);
	if (l->host) {
		memcpy(dst, rec, size);
		pmem_msync(dst, size);
	} else {
		pmem_memcpy_nodrain(dst, rec, size);
		pmem_drain();
	}
	l->count++;
	l->end += size;
	slot = (volatile uint64_t *)(l->base + (l->count % 2 ? PMLOG_SLOT1
							     : PMLOG_SLOT0));
	slot[0] = l->count;
	slot[1] = l->end;
	slot[2] = pmlog_slot_csum(l->count, l->end);
	plog_persist(l, (const void *)slot, PMLOG_SLOT_SIZE);
}

int main(int argc, char **argv)
{
	struct plog l = { 0 };
	const char *target;
	char err[512];
	size_t mapped;
	int is_pmem, devdax;
	uint64_t i;

	if (pm_parse_args(argc, argv, "/mnt/" PMLOG_FILE, &target, &l.host))
		return 2;
	devdax = !strncmp(target, "/dev/", 5);
	/* a file: created as PMLOG_SIZE zeros first; device-dax: whole */
	if (!devdax && pm_create_file(target, PMLOG_SIZE, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	l.base = pmem_map_file(target, 0, 0, 0644, &mapped, &is_pmem);
	if (!l.base) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], target,
			pmem_errormsg());
		return 1;
	}
	if (!is_pmem && !l.host) {
		fprintf(stderr,
			"%s: %s is not pmem (no MAP_SYNC); --host for a plain file\n",
			argv[0], target);
		pmem_unmap(l.base, mapped);
		return 1;
	}
	plog_create(&l);
	for (i = 1; i <= PMLOG_APPENDS; i++) {
		char what[64];

		snprintf(what, sizeof(what), "append record %llu",
			 (unsigned long long)i);
		pm_op_begin(i, what);
		plog_append(&l);
		pm_op_end(i);
		pm_durable(i, what);
	}
	pmem_unmap(l.base, mapped);
	printf("%s: %llu records appended to %s with libpmem%s\n", argv[0],
	       (unsigned long long)l.count, target,
	       l.host ? " (host mode)" : "");
	return 0;
}
