/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the tracer's vm test guest does, for the host-side checker. */
#ifndef TORN_TRACER_VM_H
#define TORN_TRACER_VM_H

/*
 * The guest program maps a 4-page file on ext4-DAX: pages 0-1 with
 * MAP_SYNC, pages 2-3 plainly shared.  Between START and STOP it
 *   - stores TAG(i) at offset TAG_OFF of page i (the checker learns
 *     where each file page is on the NVDIMM from these user stores);
 *   - page 0: V1 at V1_OFF + clwb [reg]; 16 bytes U128_BYTES at U128_OFF
 *     + clflushopt [base+index*8]; movnti V3 at NT_OFF; V6 at GS_OFF +
 *     clwb gs:[GS_OFF] with the GS base at page 0; V7 at CLFLUSH_OFF +
 *     clflush; REP_N qwords REP_V(i) at REP_OFF with one rep movsq
 *     (stores flagged string); clwb of a stack line (not on the NVDIMM:
 *     dropped); sfence;
 *   - a user marker MARK_ID/MARK_ARG/MARK_TEXT;
 *   - page 2: V4 at 0, then msync: the kernel flushes the line through
 *     its direct map;
 *   - pwrite of "abc" at page 1 offset ABC_OFF (unaligned: the kernel
 *     copies with cached stores and flushes the line) and of 64 bytes
 *     NT_BYTES at page 3 offset NT64_OFF (aligned: kernel movnti);
 *   - fsync.
 * V0 (before START) and V5 (after STOP) go to page 0 at OUTSIDE_OFF and
 * must not be in the trace.
 */

#define TAG(i) (0x7a61677a61670000ull | (i))
#define TAG_OFF 0xf00
#define V0 0x5eed00000000a0a0ull
#define V1 0x1122334455667788ull
#define V1_OFF 0x40
#define U128_OFF 0x80
#define V3 0x0123456789abcdefull
#define NT_OFF 0x100
#define OUTSIDE_OFF 0x180
#define V4 0x4444444444444444ull
#define V5 0x5eed00000000a5a5ull
#define V6 0x6666666666666666ull
#define GS_OFF 0x1c0
#define V7 0x7777777777777777ull
#define CLFLUSH_OFF 0x200
#define REP_OFF 0x400
#define REP_N 24 /* 3 lines */
#define REP_V(i) (0x7265706d6f767300ull | (i))
#define ABC_OFF 5
#define NT64_OFF 0x200
#define NT64_BYTE(i) ((unsigned char)(0x30 + (i)))
#define MARK_ID 16
#define MARK_ARG 0x42
#define MARK_TEXT "hello-torn"

/*
 * The libpmem program (tracer_vm_pmem.c) maps a 3-page file with
 * pmem_map_file and, between START and STOP, stores PMEM_TAG(i) at line
 * i of page 0 (i < PMEM_TAGS) and pmem_persist()s them, then
 * pmem_memcpy_persist()s 4096 bytes PMEM_BYTE(i) to page 1 (libpmem's
 * non-temporal path; the first 8 bytes are PMEM_TAG(100)).
 */
#define PMEM_TAG(i) (0x706d656d74616700ull | (i))
#define PMEM_TAGS 8
#define PMEM_BYTE(i) ((unsigned char)((i)*7 + 3))

static const unsigned char U128_BYTES[16] = {
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

#endif
