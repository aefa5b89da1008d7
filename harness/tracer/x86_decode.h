/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an x86-64 instruction means for persistence, decided from its bytes. */
#ifndef TORN_X86_DECODE_H
#define TORN_X86_DECODE_H

/*
 * The tracer sees every store through QEMU's memory callbacks, but it
 * must tell from the instruction bytes what QEMU does not report: which
 * stores are non-temporal, which instructions flush a cache line (TCG
 * turns them into no-ops) and which order stores.  This is not a
 * disassembler: it decodes prefixes, the opcode and, where the
 * classification needs it, ModRM/SIB/displacement, and calls everything
 * else "other".
 *
 * The code is assumed to run in 64-bit mode (the guest kernel and the
 * workloads are x86-64; 16/32-bit code is never traced in practice).
 * Pure: no QEMU, no I/O, no globals.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TORN_X86_MAX_LEN 15

enum torn_x86_class {
	TORN_X86_OTHER = 0,
	TORN_X86_NT_STORE, /* movnti, movnt{q,dq,ps,pd,ss,sd}, VEX/EVEX
			    * vmovnt*, maskmov*, movdiri, movdir64b */
	TORN_X86_FLUSH, /* clflush, clflushopt, clwb: flush, mem */
	TORN_X86_FENCE, /* fence says which */
	TORN_X86_CPUID, /* serializing, and the torn marker */
};

/* Same values as enum torn_flush_kind in trace.h. */
enum torn_x86_flush {
	TORN_X86_FLUSH_NONE = 0,
	TORN_X86_FLUSH_CLFLUSH = 1,
	TORN_X86_FLUSH_CLFLUSHOPT = 2,
	TORN_X86_FLUSH_CLWB = 3,
};

/* Same values as enum torn_fence_kind in trace.h. */
enum torn_x86_fence {
	TORN_X86_FENCE_NONE = 0,
	TORN_X86_FENCE_SFENCE = 1,
	TORN_X86_FENCE_MFENCE = 2,
	TORN_X86_FENCE_LOCKED = 3, /* LOCK prefix, xchg with memory */
	TORN_X86_FENCE_SERIALIZING = 4, /* iret, wrmsr, mov to CR/DR, lgdt,
					 * lidt, lldt, ltr, invlpg, invpcid,
					 * invd, serialize (cpuid has its own
					 * class) */
	TORN_X86_FENCE_WBINVD = 5, /* wbinvd, wbnoinvd */
};

/* Register numbers as in ModRM: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp,
 * 5 rbp, 6 rsi, 7 rdi, 8..15 r8..r15. */
#define TORN_X86_REG_NONE (-1)
#define TORN_X86_REG_RIP 16

enum torn_x86_seg {
	TORN_X86_SEG_NONE = 0, /* no override, or ES/CS/SS/DS: base 0 */
	TORN_X86_SEG_FS,
	TORN_X86_SEG_GS,
};

/*
 * A memory operand: seg:[base + index * scale + disp].  base is a
 * register number, TORN_X86_REG_RIP (relative to the next instruction)
 * or TORN_X86_REG_NONE; index is a register number or NONE.  addr32
 * (0x67 prefix) wraps the sum to 32 bits before the segment base is
 * added.  For EVEX instructions disp is the raw disp8, not scaled.
 */
struct torn_x86_mem {
	int8_t base;
	int8_t index;
	uint8_t scale; /* 1, 2, 4 or 8 */
	uint8_t seg; /* enum torn_x86_seg */
	bool addr32;
	int32_t disp;
};

struct torn_x86_insn {
	uint8_t cls; /* enum torn_x86_class */
	uint8_t flush; /* enum torn_x86_flush, for TORN_X86_FLUSH */
	uint8_t fence; /* enum torn_x86_fence, for TORN_X86_FENCE */
	uint8_t len; /* bytes decoded: prefixes up to the displacement
		      * when has_mem, else up to the opcode (or ModRM) */
	bool has_mem; /* mem holds the ModRM memory operand */
	bool wrmsr; /* a FENCE that serializes only for some MSRs (below) */
	bool string; /* rep movs / rep stos: stores may go out of order */
	struct torn_x86_mem mem;
};

/*
 * Whether WRMSR to MSR ecx is serializing.  WRMSR is, except to
 * IA32_TSC_DEADLINE (0x6e0) and the x2APIC MSRs 0x802..0x83f (SDM vol. 3A,
 * "Serializing Instructions"; "x2APIC Register Address Space"): the
 * kernel writes those for every timer tick and IPI, and taking them for
 * ordering points would drop crash states.
 */
bool torn_x86_wrmsr_serializes(uint32_t ecx);

/*
 * Classify the instruction in code[0..len).  Returns 0, or -1 when the
 * bytes end (or pass 15) before the classification could be made; insn
 * is then TORN_X86_OTHER.  Bytes after the instruction are ignored, so
 * len may exceed the instruction's length.
 */
int torn_x86_decode(const uint8_t *code, size_t len,
		    struct torn_x86_insn *insn);

/*
 * The linear address of mem, given the general registers before the
 * instruction executes (regs[0..15], numbered as above), the address of
 * the next instruction (for RIP-relative operands) and the FS or GS
 * base when mem->seg names one (ignored otherwise).
 */
uint64_t torn_x86_effective_address(const struct torn_x86_mem *mem,
				    const uint64_t regs[16], uint64_t next_rip,
				    uint64_t seg_base);

/* Registers the address computation reads: bit n for register n. */
unsigned int torn_x86_mem_regs(const struct torn_x86_mem *mem);

#endif
