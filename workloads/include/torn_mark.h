/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Markers: how a guest program tells the torn tracer where it is. */
#ifndef TORN_MARK_H
#define TORN_MARK_H

/*
 * A marker is a `cpuid` with a magic EAX.  The tracer plugin sees the
 * instruction before it executes and reads the registers:
 *
 *   EAX  TORN_MARK_MAGIC (0x746f726e, "torn")
 *   EBX  marker id (TORN_MARK_ID_*, or TORN_MARK_ID_USER and above)
 *   RCX  64-bit argument (cpuid itself only looks at ECX)
 *   RDX  address of an optional text, read with the guest's current
 *        page tables (so a user pointer works from user mode)
 *   RSI  text length in bytes, 0..255 (longer is cut to 255); 0 or a
 *        NULL RDX means no text
 *
 * cpuid is unprivileged, so workloads need no kernel help, and outside
 * the tracer (real hardware, KVM, QEMU without the plugin) the magic
 * leaf is simply out of range: the call is harmless and cheap enough.
 *
 * START (1) arms the tracer, STOP (2) disarms it and ends the trace.
 * The tracer does not record a marker's cpuid as a serializing fence:
 * the marker is instrumentation, and letting it order stores would
 * hide a missing sfence in the program under test.
 *
 * The `jmp` right after the cpuid ends QEMU's translation block, so an
 * arming START takes effect at the very next instruction.
 *
 * The ids are the same numbers as enum torn_mark_id in the harness's
 * trace.h (a unit test checks it); this header stands alone so guest
 * programs need nothing else.
 */

#include <stddef.h>
#include <stdint.h>

#define TORN_MARK_MAGIC 0x746f726eu
#define TORN_MARK_TEXT_MAX_LEN 255

#define TORN_MARK_ID_START 1 /* arms the tracer */
#define TORN_MARK_ID_STOP 2 /* disarms it, ends the trace */
#define TORN_MARK_ID_OP_BEGIN 3 /* arg: operation index; text: the op */
#define TORN_MARK_ID_OP_END 4 /* arg: operation index */
#define TORN_MARK_ID_DURABLE 5 /* arg: index of the fsync/msync/... */
#define TORN_MARK_ID_USER 16 /* first id free for workloads */

#if defined(__x86_64__)
/* Emit marker id with arg and len bytes of text (text may be NULL). */
static inline void torn_mark(uint32_t id, uint64_t arg, const char *text,
			     size_t len)
{
	uint32_t eax = TORN_MARK_MAGIC, ebx = id;
	uint64_t rcx = arg, rdx = (uintptr_t)text;

	if (len > TORN_MARK_TEXT_MAX_LEN)
		len = TORN_MARK_TEXT_MAX_LEN;
	/* "memory": earlier stores are issued before, later ones after. */
	__asm__ __volatile__("cpuid\n\t"
			     "jmp 1f\n"
			     "1:"
			     : "+a"(eax), "+b"(ebx), "+c"(rcx), "+d"(rdx)
			     : "S"(len)
			     : "memory");
}
#else
static inline void torn_mark(uint32_t id, uint64_t arg, const char *text,
			     size_t len)
{
	(void)id;
	(void)arg;
	(void)text;
	(void)len;
}
#endif

static inline void torn_mark_start(void)
{
	torn_mark(TORN_MARK_ID_START, 0, NULL, 0);
}

static inline void torn_mark_stop(void)
{
	torn_mark(TORN_MARK_ID_STOP, 0, NULL, 0);
}

#endif
