/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cache-line flushing for guest programs: the best instruction the CPU has. */
#ifndef TORN_FLUSH_H
#define TORN_FLUSH_H

/*
 * One place for the flush instructions that guest programs (the agent's
 * MAP_SYNC check, the fsops executor, the PM workloads) execute by hand.
 * The choice follows CPUID, so the same binary uses clwb, clflushopt or
 * clflush according to the flush mode the guest CPU was given.
 */

#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

enum torn_flush_insn {
	TORN_FLUSH_INSN_CLFLUSH,
	TORN_FLUSH_INSN_CLFLUSHOPT,
	TORN_FLUSH_INSN_CLWB,
};

/* clwb if CPUID has it, else clflushopt, else clflush. */
static inline enum torn_flush_insn torn_flush_best(void)
{
#if defined(__x86_64__)
	unsigned int a, b, c, d;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1u << 24))
			return TORN_FLUSH_INSN_CLWB;
		if (b & (1u << 23))
			return TORN_FLUSH_INSN_CLFLUSHOPT;
	}
#endif
	return TORN_FLUSH_INSN_CLFLUSH;
}

static inline const char *torn_flush_insn_name(enum torn_flush_insn f)
{
	switch (f) {
	case TORN_FLUSH_INSN_CLWB:
		return "clwb";
	case TORN_FLUSH_INSN_CLFLUSHOPT:
		return "clflushopt";
	case TORN_FLUSH_INSN_CLFLUSH:
		return "clflush";
	}
	return "?";
}

/* Write back the 64-byte line holding p (no fence). */
static inline void torn_flush_line(enum torn_flush_insn how, const void *p)
{
#if defined(__x86_64__)
	volatile char *line = (volatile char *)((uintptr_t)p & ~(uintptr_t)63);

	switch (how) {
	case TORN_FLUSH_INSN_CLWB:
		__asm__ __volatile__("clwb %0" : "+m"(*line) : : "memory");
		break;
	case TORN_FLUSH_INSN_CLFLUSHOPT:
		__asm__ __volatile__("clflushopt %0"
				     : "+m"(*line)
				     :
				     : "memory");
		break;
	default:
		__asm__ __volatile__("clflush %0" : "+m"(*line) : : "memory");
	}
#else
	(void)how;
	(void)p;
#endif
}

static inline void torn_sfence(void)
{
#if defined(__x86_64__)
	__asm__ __volatile__("sfence" ::: "memory");
#endif
}

/* Write back every line of [p, p + len), then sfence. */
static inline void torn_flush_range(enum torn_flush_insn how, const void *p,
				    size_t len)
{
	uintptr_t line = (uintptr_t)p & ~(uintptr_t)63;
	uintptr_t end = (uintptr_t)p + len;

	for (; line < end; line += 64)
		torn_flush_line(how, (const void *)line);
	torn_sfence();
}

#endif
