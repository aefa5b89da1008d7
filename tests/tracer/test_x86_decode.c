/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the tracer's x86 decoder: classification and addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "x86_decode.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NONE TORN_X86_REG_NONE
#define RIP TORN_X86_REG_RIP

enum {
	OTHER = TORN_X86_OTHER,
	NT = TORN_X86_NT_STORE,
	FLUSH = TORN_X86_FLUSH,
	FENCE = TORN_X86_FENCE,
	CPUID = TORN_X86_CPUID,
	CLFLUSH = TORN_X86_FLUSH_CLFLUSH,
	CLFLUSHOPT = TORN_X86_FLUSH_CLFLUSHOPT,
	CLWB = TORN_X86_FLUSH_CLWB,
	SFENCE = TORN_X86_FENCE_SFENCE,
	MFENCE = TORN_X86_FENCE_MFENCE,
	LOCKED = TORN_X86_FENCE_LOCKED,
	SERIAL = TORN_X86_FENCE_SERIALIZING,
	WBINVD = TORN_X86_FENCE_WBINVD,
};

struct class_case {
	const char *name;
	uint8_t bytes[TORN_X86_MAX_LEN];
	uint8_t n;
	uint8_t cls;
	uint8_t kind; /* flush or fence kind */
};

#define B(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static const struct class_case class_cases[] = {
	/* flushes */
	{ "clflush [rax]", B(0x0f, 0xae, 0x38), FLUSH, CLFLUSH },
	{ "clflushopt [rax]", B(0x66, 0x0f, 0xae, 0x38), FLUSH, CLFLUSHOPT },
	{ "clwb [rax]", B(0x66, 0x0f, 0xae, 0x30), FLUSH, CLWB },
	{ "clwb [r15]", B(0x66, 0x41, 0x0f, 0xae, 0x37), FLUSH, CLWB },
	{ "clwb fs:[rax]", B(0x64, 0x66, 0x0f, 0xae, 0x30), FLUSH, CLWB },
	{ "clwb, 66 after fs", B(0x66, 0x64, 0x0f, 0xae, 0x30), FLUSH, CLWB },
	{ "clwb, rex before 66 (dropped)", B(0x48, 0x66, 0x0f, 0xae, 0x30),
	  FLUSH, CLWB },
	{ "clwb, rex.w", B(0x66, 0x48, 0x0f, 0xae, 0x30), FLUSH, CLWB },
	{ "clflushopt, ds override", B(0x3e, 0x66, 0x0f, 0xae, 0x38), FLUSH,
	  CLFLUSHOPT },
	{ "clflush [rip+disp32]", B(0x0f, 0xae, 0x3d, 0x10, 0, 0, 0), FLUSH,
	  CLFLUSH },
	{ "clflush, 67 prefix", B(0x67, 0x0f, 0xae, 0x38), FLUSH, CLFLUSH },
	{ "xsaveopt is not clwb", B(0x0f, 0xae, 0x30), OTHER, 0 },
	{ "xsaveopt64 is not clwb", B(0x48, 0x0f, 0xae, 0x30), OTHER, 0 },
	{ "clrssbsy (f3 /6) is not clwb", B(0xf3, 0x0f, 0xae, 0x30), OTHER, 0 },
	{ "f3 overrides 66", B(0xf3, 0x66, 0x0f, 0xae, 0x30), OTHER, 0 },
	{ "f2 0f ae /7 is not a flush", B(0x66, 0xf2, 0x0f, 0xae, 0x38), OTHER,
	  0 },
	{ "xsave [rax]", B(0x0f, 0xae, 0x20), OTHER, 0 },
	{ "fxsave [rax]", B(0x0f, 0xae, 0x00), OTHER, 0 },
	{ "stmxcsr [rax]", B(0x0f, 0xae, 0x18), OTHER, 0 },
	{ "prefetchnta", B(0x0f, 0x18, 0x00), OTHER, 0 },
	{ "prefetchw", B(0x0f, 0x0d, 0x08), OTHER, 0 },
	{ "clflush look-alike: 0f af (imul)", B(0x0f, 0xaf, 0x38), OTHER, 0 },
	/* fences */
	{ "sfence", B(0x0f, 0xae, 0xf8), FENCE, SFENCE },
	{ "sfence, other rm", B(0x0f, 0xae, 0xff), FENCE, SFENCE },
	{ "mfence", B(0x0f, 0xae, 0xf0), FENCE, MFENCE },
	{ "lfence is not a store fence", B(0x0f, 0xae, 0xe8), OTHER, 0 },
	{ "pcommit (66 0f ae f8) is gone", B(0x66, 0x0f, 0xae, 0xf8), OTHER,
	  0 },
	{ "umonitor (f3 0f ae /6 reg)", B(0xf3, 0x0f, 0xae, 0xf0), OTHER, 0 },
	{ "rdfsbase", B(0xf3, 0x48, 0x0f, 0xae, 0xc0), OTHER, 0 },
	{ "lock add [rax],1", B(0xf0, 0x83, 0x00, 0x01), FENCE, LOCKED },
	{ "lock cmpxchg [rdi],ecx", B(0xf0, 0x0f, 0xb1, 0x0f), FENCE, LOCKED },
	{ "lock after rex-less prefixes", B(0x66, 0xf0, 0x0f, 0xc1, 0x07),
	  FENCE, LOCKED },
	{ "cmpxchg without lock", B(0x0f, 0xb1, 0x0f), OTHER, 0 },
	{ "xchg [rax],ecx", B(0x87, 0x08), FENCE, LOCKED },
	{ "xchg [rax],cl", B(0x86, 0x08), FENCE, LOCKED },
	{ "xchg [rax],rcx", B(0x48, 0x87, 0x08), FENCE, LOCKED },
	{ "xchg ecx,eax (registers)", B(0x87, 0xc8), OTHER, 0 },
	{ "nop (90)", B(0x90), OTHER, 0 },
	{ "cpuid", B(0x0f, 0xa2), CPUID, 0 },
	{ "wbinvd", B(0x0f, 0x09), FENCE, WBINVD },
	{ "wbnoinvd", B(0xf3, 0x0f, 0x09), FENCE, WBINVD },
	{ "wrmsr", B(0x0f, 0x30), FENCE, SERIAL },
	{ "rdmsr", B(0x0f, 0x32), OTHER, 0 },
	{ "iretq", B(0x48, 0xcf), FENCE, SERIAL },
	{ "mov cr3,rax", B(0x0f, 0x22, 0xd8), FENCE, SERIAL },
	{ "mov cr8,rax is not serializing", B(0x44, 0x0f, 0x22, 0xc0), OTHER,
	  0 },
	{ "mov rax,cr3", B(0x0f, 0x20, 0xd8), OTHER, 0 },
	{ "invlpg [rax]", B(0x0f, 0x01, 0x38), FENCE, SERIAL },
	{ "lgdt [rax]", B(0x0f, 0x01, 0x10), FENCE, SERIAL },
	{ "serialize", B(0x0f, 0x01, 0xe8), FENCE, SERIAL },
	{ "xgetbv", B(0x0f, 0x01, 0xd0), OTHER, 0 },
	{ "rdtscp", B(0x0f, 0x01, 0xf9), OTHER, 0 },
	{ "swapgs", B(0x0f, 0x01, 0xf8), OTHER, 0 },
	{ "ltr ax", B(0x0f, 0x00, 0xd8), FENCE, SERIAL },
	{ "invpcid", B(0x66, 0x0f, 0x38, 0x82, 0x08), FENCE, SERIAL },
	/* non-temporal stores */
	{ "movnti [rax],eax", B(0x0f, 0xc3, 0x00), NT, 0 },
	{ "movnti [rax],rax", B(0x48, 0x0f, 0xc3, 0x00), NT, 0 },
	{ "movnti reg form is invalid", B(0x0f, 0xc3, 0xc0), OTHER, 0 },
	{ "movntq", B(0x0f, 0xe7, 0x00), NT, 0 },
	{ "movntdq", B(0x66, 0x0f, 0xe7, 0x00), NT, 0 },
	{ "movntdq [rsp+8]", B(0x66, 0x0f, 0xe7, 0x44, 0x24, 0x08), NT, 0 },
	{ "f3 0f e7 is not a store", B(0xf3, 0x0f, 0xe7, 0x00), OTHER, 0 },
	{ "movntps", B(0x0f, 0x2b, 0x00), NT, 0 },
	{ "movntpd", B(0x66, 0x0f, 0x2b, 0x00), NT, 0 },
	{ "movntss (sse4a)", B(0xf3, 0x0f, 0x2b, 0x00), NT, 0 },
	{ "maskmovq", B(0x0f, 0xf7, 0xc1), NT, 0 },
	{ "maskmovdqu", B(0x66, 0x0f, 0xf7, 0xc1), NT, 0 },
	{ "movdir64b", B(0x66, 0x0f, 0x38, 0xf8, 0x00), NT, 0 },
	{ "movdiri", B(0x0f, 0x38, 0xf9, 0x00), NT, 0 },
	{ "enqcmd is not movdir64b", B(0xf2, 0x0f, 0x38, 0xf8, 0x00), OTHER,
	  0 },
	{ "movntdqa is a load", B(0x66, 0x0f, 0x38, 0x2a, 0x00), OTHER, 0 },
	{ "vmovntdq xmm", B(0xc5, 0xf9, 0xe7, 0x00), NT, 0 },
	{ "vmovntdq ymm", B(0xc5, 0xfd, 0xe7, 0x00), NT, 0 },
	{ "vmovntdq ymm, vex3", B(0xc4, 0xe1, 0x7d, 0xe7, 0x00), NT, 0 },
	{ "vmovntps", B(0xc5, 0xf8, 0x2b, 0x00), NT, 0 },
	{ "vmovntpd", B(0xc5, 0xf9, 0x2b, 0x00), NT, 0 },
	{ "vmaskmovdqu", B(0xc5, 0xf9, 0xf7, 0xc1), NT, 0 },
	{ "vmovntdqa is a load", B(0xc4, 0xe2, 0x7d, 0x2a, 0x00), OTHER, 0 },
	{ "vmovdqa store is cached", B(0xc5, 0xfd, 0x7f, 0x00), OTHER, 0 },
	{ "evex vmovntdq zmm", B(0x62, 0xf1, 0x7d, 0x48, 0xe7, 0x00), NT, 0 },
	{ "evex vmovntps zmm", B(0x62, 0xf1, 0x7c, 0x48, 0x2b, 0x00), NT, 0 },
	{ "mov [rax],eax", B(0x89, 0x00), OTHER, 0 },
	{ "movdqa store", B(0x66, 0x0f, 0x7f, 0x00), OTHER, 0 },
	{ "rep stosb", B(0xf3, 0xaa), OTHER, 0 },
};

static void test_classify(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(class_cases); i++) {
		const struct class_case *c = &class_cases[i];
		struct torn_x86_insn d;
		uint8_t kind;

		print_message("%s\n", c->name);
		assert_int_equal(torn_x86_decode(c->bytes, c->n, &d), 0);
		assert_int_equal(d.cls, c->cls);
		kind = d.cls == FLUSH ? d.flush : d.cls == FENCE ? d.fence : 0;
		assert_int_equal(kind, c->kind);
		assert_true(d.len <= c->n);
		if (d.cls == FLUSH)
			assert_int_equal(d.len, c->n);
	}
}

struct truncated_case {
	const char *name;
	uint8_t bytes[TORN_X86_MAX_LEN];
	uint8_t n;
};

static const struct truncated_case truncated_cases[] = {
	{ "nothing", { 0x90 }, 0 },
	{ "prefixes only", { 0x66, 0x48 }, 2 },
	{ "escape only", { 0x0f }, 1 },
	{ "no modrm", { 0x66, 0x0f, 0xae }, 3 },
	{ "no sib", { 0x0f, 0xae, 0x3c }, 3 },
	{ "short disp32", { 0x0f, 0xae, 0xbb, 0x00, 0x01 }, 5 },
	{ "short vex", { 0xc4, 0xe1 }, 2 },
	{ "15 prefixes",
	  { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66 },
	  15 },
};

/* WRMSR is decoded as a fence to be decided at run time by its MSR. */
static void test_wrmsr(void **state)
{
	static const struct {
		uint32_t ecx;
		bool serializes;
	} msrs[] = {
		{ 0x10, true }, /* IA32_TIME_STAMP_COUNTER */
		{ 0x1b, true }, /* IA32_APIC_BASE */
		{ 0x6df, true },  { 0x6e0, false }, /* IA32_TSC_DEADLINE */
		{ 0x6e1, true },  { 0x801, true },  { 0x802, false },
		{ 0x80b, false }, /* x2APIC EOI */
		{ 0x830, false }, /* x2APIC ICR */
		{ 0x83f, false }, { 0x840, true },  { 0xc0000080, true },
	};
	static const uint8_t wrmsr[] = { 0x0f, 0x30 }, iret[] = { 0x48, 0xcf };
	struct torn_x86_insn d;
	size_t i;

	(void)state;
	assert_int_equal(torn_x86_decode(wrmsr, sizeof(wrmsr), &d), 0);
	assert_int_equal(d.cls, TORN_X86_FENCE);
	assert_true(d.wrmsr);
	assert_int_equal(torn_x86_decode(iret, sizeof(iret), &d), 0);
	assert_false(d.wrmsr);
	for (i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		assert_int_equal(torn_x86_wrmsr_serializes(msrs[i].ecx),
				 msrs[i].serializes);
}

/* rep movs / rep stos are tagged: their stores may go out of order. */
static void test_string(void **state)
{
	static const struct {
		const char *name;
		uint8_t code[4];
		size_t len;
		bool string;
	} cases[] = {
		{ "rep movsb", { 0xf3, 0xa4 }, 2, true },
		{ "rep movsq", { 0xf3, 0x48, 0xa5 }, 3, true },
		{ "rep stosb", { 0xf3, 0xaa }, 2, true },
		{ "rep stosd", { 0xf3, 0xab }, 2, true },
		{ "repne movsb acts as rep", { 0xf2, 0xa4 }, 2, true },
		{ "movsb without rep", { 0xa4 }, 1, false },
		{ "stosq without rep", { 0x48, 0xab }, 2, false },
		{ "rep lodsb is no store", { 0xf3, 0xac }, 2, false },
	};
	struct torn_x86_insn d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].name);
		assert_int_equal(
			torn_x86_decode(cases[i].code, cases[i].len, &d), 0);
		assert_int_equal(d.cls, TORN_X86_OTHER);
		assert_int_equal(d.string, cases[i].string);
	}
}

static void test_truncated(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(truncated_cases); i++) {
		const struct truncated_case *c = &truncated_cases[i];
		struct torn_x86_insn d;

		print_message("%s\n", c->name);
		assert_int_equal(torn_x86_decode(c->bytes, c->n, &d), -1);
		assert_int_equal(d.cls, OTHER);
	}
}

/* Register values for the address cases: distinct, recognisable. */
static const uint64_t regs[16] = {
	[0] = 0x0000000100001000ull, /* rax */
	[1] = 0x10, /* rcx */
	[2] = 0x7ffff7a00000ull, /* rdx */
	[3] = 0xffff888100000000ull, /* rbx */
	[4] = 0x7ffffffde000ull, /* rsp */
	[5] = 0x555555554000ull, /* rbp */
	[6] = 0x3, /* rsi */
	[7] = 0x7f0000002000ull, /* rdi */
	[12] = 0x200, /* r12 */
	[13] = 0x300000, /* r13 */
	[15] = 0xffffc90000400000ull, /* r15 */
};

#define NEXT_RIP 0xffffffff81000010ull
#define SEG_BASE 0x7ffff7d8a740ull

struct addr_case {
	const char *name;
	uint8_t bytes[TORN_X86_MAX_LEN];
	uint8_t n;
	int8_t base;
	int8_t index;
	uint8_t scale;
	int32_t disp;
	uint8_t seg;
	bool addr32;
	uint64_t ea;
};

static const struct addr_case addr_cases[] = {
	{ "[rax]", B(0x0f, 0xae, 0x38), 0, NONE, 1, 0, 0, false,
	  0x0000000100001000ull },
	{ "[rdi+0x40] disp8", B(0x0f, 0xae, 0x7f, 0x40), 7, NONE, 1, 0x40, 0,
	  false, 0x7f0000002040ull },
	{ "[rdi-0x40] disp8", B(0x0f, 0xae, 0x7f, 0xc0), 7, NONE, 1, -0x40, 0,
	  false, 0x7f0000001fc0ull },
	{ "[rbx+0x100] disp32", B(0x0f, 0xae, 0xbb, 0x00, 0x01, 0x00, 0x00), 3,
	  NONE, 1, 0x100, 0, false, 0xffff888100000100ull },
	{ "[rax+rcx*4] sib", B(0x0f, 0xae, 0x3c, 0x88), 0, 1, 4, 0, 0, false,
	  0x0000000100001040ull },
	{ "[rax+r12*4] rex.x", B(0x42, 0x0f, 0xae, 0x3c, 0xa0), 0, 12, 4, 0, 0,
	  false, 0x0000000100001800ull },
	{ "[rax] sib, index 4 means none", B(0x0f, 0xae, 0x3c, 0x20), 0, NONE,
	  1, 0, 0, false, 0x0000000100001000ull },
	{ "[rbp+rsi*8+0x100]",
	  B(0x0f, 0xae, 0xbc, 0xf5, 0x00, 0x01, 0x00, 0x00), 5, 6, 8, 0x100, 0,
	  false, 0x555555554118ull },
	{ "[rdx+rsi*2] scale 2", B(0x66, 0x0f, 0xae, 0x34, 0x72), 2, 6, 2, 0, 0,
	  false, 0x7ffff7a00006ull },
	{ "[rsp+8]", B(0x66, 0x0f, 0xae, 0x74, 0x24, 0x08), 4, NONE, 1, 8, 0,
	  false, 0x7ffffffde008ull },
	{ "[r13+0] rex.b", B(0x41, 0x0f, 0xae, 0x7d, 0x00), 13, NONE, 1, 0, 0,
	  false, 0x300000 },
	{ "[r15] rex.b", B(0x66, 0x41, 0x0f, 0xae, 0x37), 15, NONE, 1, 0, 0,
	  false, 0xffffc90000400000ull },
	{ "[rip+0x10]", B(0x0f, 0xae, 0x3d, 0x10, 0x00, 0x00, 0x00), RIP, NONE,
	  1, 0x10, 0, false, NEXT_RIP + 0x10 },
	{ "[rip-0x10]", B(0x0f, 0xae, 0x3d, 0xf0, 0xff, 0xff, 0xff), RIP, NONE,
	  1, -0x10, 0, false, NEXT_RIP - 0x10 },
	{ "rex.b keeps rip-relative", B(0x41, 0x0f, 0xae, 0x3d, 0, 0, 0, 0),
	  RIP, NONE, 1, 0, 0, false, NEXT_RIP },
	{ "[disp32] sib no base",
	  B(0x0f, 0xae, 0x3c, 0x25, 0x78, 0x56, 0x34, 0x12), NONE, NONE, 1,
	  0x12345678, 0, false, 0x12345678 },
	{ "[disp32] rex.b, still no base",
	  B(0x41, 0x0f, 0xae, 0x3c, 0x25, 0x00, 0x10, 0x00, 0x00), NONE, NONE,
	  1, 0x1000, 0, false, 0x1000 },
	{ "[0xffffffff80000000] sign-extended",
	  B(0x0f, 0xae, 0x3c, 0x25, 0x00, 0x00, 0x00, 0x80), NONE, NONE, 1,
	  INT32_MIN, 0, false, 0xffffffff80000000ull },
	{ "[rcx*8+0x1000] index, no base",
	  B(0x0f, 0xae, 0x3c, 0xcd, 0x00, 0x10, 0x00, 0x00), NONE, 1, 8, 0x1000,
	  0, false, 0x1080 },
	{ "gs:[0x1000]",
	  B(0x65, 0x66, 0x0f, 0xae, 0x34, 0x25, 0x00, 0x10, 0x00, 0x00), NONE,
	  NONE, 1, 0x1000, TORN_X86_SEG_GS, false, SEG_BASE + 0x1000 },
	{ "fs:[rax]", B(0x64, 0x0f, 0xae, 0x38), 0, NONE, 1, 0, TORN_X86_SEG_FS,
	  false, SEG_BASE + 0x0000000100001000ull },
	{ "fs then ds: ds wins, no base", B(0x64, 0x3e, 0x0f, 0xae, 0x38), 0,
	  NONE, 1, 0, TORN_X86_SEG_NONE, false, 0x0000000100001000ull },
	{ "ds then gs: gs wins", B(0x3e, 0x65, 0x0f, 0xae, 0x38), 0, NONE, 1, 0,
	  TORN_X86_SEG_GS, false, SEG_BASE + 0x0000000100001000ull },
	{ "[eax] addr32 wraps", B(0x67, 0x0f, 0xae, 0x38), 0, NONE, 1, 0, 0,
	  true, 0x1000 },
	{ "[eip+0x10] addr32", B(0x67, 0x0f, 0xae, 0x3d, 0x10, 0, 0, 0), RIP,
	  NONE, 1, 0x10, 0, true, (NEXT_RIP + 0x10) & 0xffffffffu },
	{ "movnti [rdi+rcx]", B(0x48, 0x0f, 0xc3, 0x04, 0x0f), 7, 1, 1, 0, 0,
	  false, 0x7f0000002010ull },
};

static void test_effective_address(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct torn_x86_insn d;

		print_message("%s\n", c->name);
		assert_int_equal(torn_x86_decode(c->bytes, c->n, &d), 0);
		assert_true(d.has_mem);
		assert_int_equal(d.len, c->n);
		assert_int_equal(d.mem.base, c->base);
		assert_int_equal(d.mem.index, c->index);
		assert_int_equal(d.mem.scale, c->scale);
		assert_int_equal(d.mem.disp, c->disp);
		assert_int_equal(d.mem.seg, c->seg);
		assert_int_equal(d.mem.addr32, c->addr32);
		assert_int_equal(torn_x86_effective_address(&d.mem, regs,
							    NEXT_RIP, SEG_BASE),
				 c->ea);
	}
}

static void test_mem_regs(void **state)
{
	struct torn_x86_insn d;
	static const uint8_t sib[] = { 0x42, 0x0f, 0xae, 0x3c, 0xa0 };
	static const uint8_t rip[] = { 0x0f, 0xae, 0x3d, 0, 0, 0, 0 };

	assert_int_equal(torn_x86_decode(sib, sizeof(sib), &d), 0);
	assert_int_equal(torn_x86_mem_regs(&d.mem), (1u << 0) | (1u << 12));
	assert_int_equal(torn_x86_decode(rip, sizeof(rip), &d), 0);
	assert_int_equal(torn_x86_mem_regs(&d.mem), 0);
}

/* Bytes after the instruction do not change the answer. */
static void test_trailing_bytes(void **state)
{
	static const uint8_t code[] = { 0x66, 0x0f, 0xae, 0x30, 0x0f,
					0xae, 0x38, 0x90, 0x90, 0x90 };
	struct torn_x86_insn d;

	assert_int_equal(torn_x86_decode(code, sizeof(code), &d), 0);
	assert_int_equal(d.cls, FLUSH);
	assert_int_equal(d.flush, CLWB);
	assert_int_equal(d.len, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_wrmsr),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_effective_address),
		cmocka_unit_test(test_mem_regs),
		cmocka_unit_test(test_trailing_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
