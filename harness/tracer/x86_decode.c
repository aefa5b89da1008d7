/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Classify x86-64 instructions by what they mean for persistence. */
#include "x86_decode.h"

#include <string.h>

/* Mandatory prefix, encoded like VEX.pp. */
enum mandatory {
	MP_NONE = 0,
	MP_66 = 1,
	MP_F3 = 2,
	MP_F2 = 3,
};

/* Opcode maps, numbered like VEX.mmmmm. */
enum opmap {
	MAP_LEGACY = 0, /* one-byte opcodes */
	MAP_0F = 1,
	MAP_0F38 = 2,
	MAP_0F3A = 3,
};

/* Everything the prefixes and the opcode say, before classification. */
struct prefixes {
	bool lock;
	bool has66;
	bool addr32;
	uint8_t rep; /* last of F2/F3, or 0 */
	uint8_t seg; /* enum torn_x86_seg */
	uint8_t rex; /* 0x40..0x4f, or 0 */
	uint8_t mp; /* enum mandatory */
	uint8_t map; /* enum opmap */
	uint8_t opcode;
	bool vex; /* VEX or EVEX encoded */
	bool evex;
};

struct cursor {
	const uint8_t *code;
	size_t len; /* bytes available, at most TORN_X86_MAX_LEN */
	size_t pos;
};

static bool take(struct cursor *c, uint8_t *b)
{
	if (c->pos >= c->len)
		return false;
	*b = c->code[c->pos++];
	return true;
}

static bool rex_r(const struct prefixes *p)
{
	return p->rex & 4;
}

static bool rex_x(const struct prefixes *p)
{
	return p->rex & 2;
}

static bool rex_b(const struct prefixes *p)
{
	return p->rex & 1;
}

/* Legacy prefixes and REX; stops at the first opcode byte (not taken). */
static bool read_prefixes(struct cursor *c, struct prefixes *p)
{
	uint8_t b = 0;

	for (;;) {
		if (c->pos >= c->len)
			return false;
		b = c->code[c->pos];
		switch (b) {
		case 0xf0:
			p->lock = true;
			break;
		case 0x66:
			p->has66 = true;
			break;
		case 0x67:
			p->addr32 = true;
			break;
		case 0xf2:
		case 0xf3:
			p->rep = b;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			/* Null prefixes in 64-bit mode; the last one wins. */
			p->seg = TORN_X86_SEG_NONE;
			break;
		case 0x64:
			p->seg = TORN_X86_SEG_FS;
			break;
		case 0x65:
			p->seg = TORN_X86_SEG_GS;
			break;
		default:
			if ((b & 0xf0) == 0x40) {
				/* REX; it counts only if the opcode follows. */
				p->rex = b;
				c->pos++;
				continue;
			}
			return true;
		}
		/* A legacy prefix after REX cancels the REX. */
		p->rex = 0;
		c->pos++;
	}
}

/* VEX (C4, C5) or EVEX (62): sets map, mp, REX-equivalent bits, opcode. */
static bool read_vex(struct cursor *c, struct prefixes *p, uint8_t first)
{
	uint8_t b1 = 0, b2 = 0, b3 = 0;

	p->vex = true;
	if (!take(c, &b1))
		return false;
	if (first == 0xc5) {
		p->rex = 0x40 | (b1 & 0x80 ? 0 : 4);
		p->map = MAP_0F;
		p->mp = b1 & 3;
	} else if (first == 0xc4) {
		if (!take(c, &b2))
			return false;
		p->rex = 0x40 | (b1 & 0x80 ? 0 : 4) | (b1 & 0x40 ? 0 : 2) |
			 (b1 & 0x20 ? 0 : 1) | (b2 & 0x80 ? 8 : 0);
		p->map = b1 & 0x1f;
		p->mp = b2 & 3;
	} else {
		p->evex = true;
		if (!take(c, &b2) || !take(c, &b3))
			return false;
		p->rex = 0x40 | (b1 & 0x80 ? 0 : 4) | (b1 & 0x40 ? 0 : 2) |
			 (b1 & 0x20 ? 0 : 1) | (b2 & 0x80 ? 8 : 0);
		p->map = b1 & 7;
		p->mp = b2 & 3;
	}
	return take(c, &p->opcode);
}

/* Opcode bytes after the prefixes: escapes, VEX, EVEX. */
static bool read_opcode(struct cursor *c, struct prefixes *p)
{
	uint8_t b = 0;

	if (!take(c, &b))
		return false;
	if (b == 0xc4 || b == 0xc5 || b == 0x62)
		return read_vex(c, p, b);
	if (p->rep == 0xf3)
		p->mp = MP_F3;
	else if (p->rep == 0xf2)
		p->mp = MP_F2;
	else if (p->has66)
		p->mp = MP_66;
	if (b != 0x0f) {
		p->map = MAP_LEGACY;
		p->opcode = b;
		return true;
	}
	if (!take(c, &b))
		return false;
	if (b == 0x38 || b == 0x3a) {
		p->map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
		return take(c, &p->opcode);
	}
	p->map = MAP_0F;
	p->opcode = b;
	return true;
}

static bool peek_modrm(const struct cursor *c, uint8_t *modrm)
{
	if (c->pos >= c->len)
		return false;
	*modrm = c->code[c->pos];
	return true;
}

static int32_t get_le32(const uint8_t *b)
{
	return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 |
			 (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
}

/* ModRM, SIB and displacement of a memory operand (mod != 3). */
static bool read_mem(struct cursor *c, const struct prefixes *p,
		     struct torn_x86_mem *m)
{
	uint8_t modrm = 0, sib = 0, mod, rm, d8;
	size_t disp_len = 0;

	if (!take(c, &modrm))
		return false;
	mod = modrm >> 6;
	rm = modrm & 7;
	memset(m, 0, sizeof(*m));
	m->base = TORN_X86_REG_NONE;
	m->index = TORN_X86_REG_NONE;
	m->scale = 1;
	m->seg = p->seg;
	m->addr32 = p->addr32;
	if (rm == 4) {
		if (!take(c, &sib))
			return false;
		m->scale = 1u << (sib >> 6);
		m->index = ((sib >> 3) & 7) | (rex_x(p) ? 8 : 0);
		if (m->index == 4) /* rsp cannot be an index; r12 can */
			m->index = TORN_X86_REG_NONE;
		if ((sib & 7) == 5 && mod == 0)
			disp_len = 4; /* no base, disp32 */
		else
			m->base = (sib & 7) | (rex_b(p) ? 8 : 0);
	} else if (rm == 5 && mod == 0) {
		m->base = TORN_X86_REG_RIP;
		disp_len = 4;
	} else {
		m->base = rm | (rex_b(p) ? 8 : 0);
	}
	if (mod == 1)
		disp_len = 1;
	else if (mod == 2)
		disp_len = 4;
	if (c->pos + disp_len > c->len)
		return false;
	if (disp_len == 1) {
		d8 = c->code[c->pos];
		m->disp = (int8_t)d8;
	} else if (disp_len == 4) {
		m->disp = get_le32(c->code + c->pos);
	}
	c->pos += disp_len;
	return true;
}

static void set_fence(struct torn_x86_insn *insn, enum torn_x86_fence f)
{
	insn->cls = TORN_X86_FENCE;
	insn->fence = f;
}

/* One-byte opcodes: xchg with memory, iret. */
static int classify_legacy(struct cursor *c, const struct prefixes *p,
			   struct torn_x86_insn *insn)
{
	uint8_t modrm;

	switch (p->opcode) {
	case 0x86:
	case 0x87:
		if (!peek_modrm(c, &modrm))
			return -1;
		if (modrm >> 6 != 3)
			set_fence(insn, TORN_X86_FENCE_LOCKED);
		return 0;
	case 0xcf:
		set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		return 0;
	case 0xa4: /* movsb */
	case 0xa5: /* movsw/d/q */
	case 0xaa: /* stosb */
	case 0xab: /* stosw/d/q */
		/* with rep (F3; F2 acts as rep for these) */
		insn->string = p->rep != 0;
		return 0;
	}
	return 0;
}

/* 0F AE: flushes when mod != 3, fences when mod == 3. */
static int classify_group15(struct cursor *c, const struct prefixes *p,
			    struct torn_x86_insn *insn)
{
	uint8_t modrm, reg;

	if (!peek_modrm(c, &modrm))
		return -1;
	reg = (modrm >> 3) & 7;
	if (modrm >> 6 == 3) {
		/* F3/66/F2 forms are rd/wrfsbase, umonitor, tpause, ... */
		if (p->mp != MP_NONE)
			return 0;
		if (reg == 6)
			set_fence(insn, TORN_X86_FENCE_MFENCE);
		else if (reg == 7)
			set_fence(insn, TORN_X86_FENCE_SFENCE);
		/* reg 5 is lfence: it orders loads, not stores. */
		return 0;
	}
	if (reg == 7 && p->mp == MP_NONE)
		insn->flush = TORN_X86_FLUSH_CLFLUSH;
	else if (reg == 7 && p->mp == MP_66)
		insn->flush = TORN_X86_FLUSH_CLFLUSHOPT;
	else if (reg == 6 && p->mp == MP_66)
		insn->flush = TORN_X86_FLUSH_CLWB;
	else
		return 0; /* xsaveopt, clrssbsy, fxsave, ... */
	if (!read_mem(c, p, &insn->mem))
		return -1;
	insn->cls = TORN_X86_FLUSH;
	insn->has_mem = true;
	return 0;
}

/* A store-like opcode: NT when mod matches (memory or register form). */
static int nt_if(struct cursor *c, const struct prefixes *p,
		 struct torn_x86_insn *insn, bool want_mem)
{
	uint8_t modrm;

	if (!peek_modrm(c, &modrm))
		return -1;
	if ((modrm >> 6 != 3) != want_mem)
		return 0;
	insn->cls = TORN_X86_NT_STORE;
	if (want_mem) {
		if (!read_mem(c, p, &insn->mem))
			return -1;
		insn->has_mem = true;
	}
	return 0;
}

static int classify_0f(struct cursor *c, const struct prefixes *p,
		       struct torn_x86_insn *insn)
{
	uint8_t modrm, reg;

	switch (p->opcode) {
	case 0x00: /* group 6: lldt, ltr */
		if (!peek_modrm(c, &modrm))
			return -1;
		reg = (modrm >> 3) & 7;
		if (reg == 2 || reg == 3)
			set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		return 0;
	case 0x01: /* group 7: lgdt, lidt, invlpg, serialize */
		if (!peek_modrm(c, &modrm))
			return -1;
		reg = (modrm >> 3) & 7;
		if (modrm >> 6 != 3) {
			if (reg == 2 || reg == 3 || reg == 7)
				set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		} else if (modrm == 0xe8 && p->mp == MP_NONE) {
			set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		}
		return 0;
	case 0x30: /* wrmsr: serializing for most MSRs, decided at run time */
		insn->wrmsr = true;
		set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		return 0;
	case 0x08: /* invd */
	case 0xaa: /* rsm */
	case 0x23: /* mov to debug register */
		set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		return 0;
	case 0x22: /* mov to control register, except CR8 (TPR) */
		if (!peek_modrm(c, &modrm))
			return -1;
		reg = ((modrm >> 3) & 7) | (rex_r(p) ? 8 : 0);
		if (reg != 8)
			set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		return 0;
	case 0x09: /* wbinvd; F3: wbnoinvd */
		if (p->mp == MP_NONE || p->mp == MP_F3)
			set_fence(insn, TORN_X86_FENCE_WBINVD);
		return 0;
	case 0xa2:
		insn->cls = TORN_X86_CPUID;
		return 0;
	case 0xae:
		return classify_group15(c, p, insn);
	case 0xc3: /* movnti */
		if (p->mp == MP_NONE)
			return nt_if(c, p, insn, true);
		return 0;
	case 0xe7: /* movntq, 66: movntdq */
		if (p->mp == MP_NONE || p->mp == MP_66)
			return nt_if(c, p, insn, true);
		return 0;
	case 0x2b: /* movntps, 66: movntpd, F3/F2: movntss/sd (SSE4a) */
		return nt_if(c, p, insn, true);
	case 0xf7: /* maskmovq, 66: maskmovdqu; store to [rdi] */
		if (p->mp == MP_NONE || p->mp == MP_66)
			return nt_if(c, p, insn, false);
		return 0;
	}
	return 0;
}

static int classify_0f38(struct cursor *c, const struct prefixes *p,
			 struct torn_x86_insn *insn)
{
	switch (p->opcode) {
	case 0xf8: /* 66: movdir64b; F2/F3 are enqcmd(s) */
		if (p->mp == MP_66)
			return nt_if(c, p, insn, true);
		return 0;
	case 0xf9: /* movdiri */
		if (p->mp == MP_NONE)
			return nt_if(c, p, insn, true);
		return 0;
	case 0x82: /* 66: invpcid */
		if (p->mp == MP_66)
			set_fence(insn, TORN_X86_FENCE_SERIALIZING);
		return 0;
	}
	/* 66 0F 38 2A is movntdqa: a non-temporal load. */
	return 0;
}

/* VEX and EVEX: the vmovnt* stores and vmaskmovdqu. */
static int classify_vex(struct cursor *c, const struct prefixes *p,
			struct torn_x86_insn *insn)
{
	if (p->map != MAP_0F)
		return 0; /* map 2 holds vmovntdqa, a load */
	switch (p->opcode) {
	case 0xe7: /* vmovntdq */
		if (p->mp == MP_66)
			return nt_if(c, p, insn, true);
		return 0;
	case 0x2b: /* vmovntps, 66: vmovntpd */
		if (p->mp == MP_NONE || p->mp == MP_66)
			return nt_if(c, p, insn, true);
		return 0;
	case 0xf7: /* vmaskmovdqu (VEX only) */
		if (p->mp == MP_66 && !p->evex)
			return nt_if(c, p, insn, false);
		return 0;
	}
	return 0;
}

int torn_x86_decode(const uint8_t *code, size_t len, struct torn_x86_insn *insn)
{
	struct cursor c = { .code = code, .pos = 0 };
	struct prefixes p;
	int ret;

	memset(insn, 0, sizeof(*insn));
	memset(&p, 0, sizeof(p));
	c.len = len < TORN_X86_MAX_LEN ? len : TORN_X86_MAX_LEN;
	if (!read_prefixes(&c, &p) || !read_opcode(&c, &p))
		goto out_truncated;
	if (p.lock) {
		/* Any LOCK-prefixed instruction orders all earlier stores. */
		set_fence(insn, TORN_X86_FENCE_LOCKED);
		ret = 0;
	} else if (p.vex) {
		ret = classify_vex(&c, &p, insn);
	} else if (p.map == MAP_LEGACY) {
		ret = classify_legacy(&c, &p, insn);
	} else if (p.map == MAP_0F) {
		ret = classify_0f(&c, &p, insn);
	} else if (p.map == MAP_0F38) {
		ret = classify_0f38(&c, &p, insn);
	} else {
		ret = 0;
	}
	if (ret)
		goto out_truncated;
	insn->len = (uint8_t)c.pos;
	return 0;

out_truncated:
	memset(insn, 0, sizeof(*insn));
	return -1;
}

bool torn_x86_wrmsr_serializes(uint32_t ecx)
{
	return ecx != 0x6e0 && (ecx < 0x802 || ecx > 0x83f);
}

uint64_t torn_x86_effective_address(const struct torn_x86_mem *mem,
				    const uint64_t regs[16], uint64_t next_rip,
				    uint64_t seg_base)
{
	uint64_t ea = (uint64_t)(int64_t)mem->disp;

	if (mem->base == TORN_X86_REG_RIP)
		ea += next_rip;
	else if (mem->base >= 0 && mem->base < 16)
		ea += regs[mem->base];
	if (mem->index >= 0 && mem->index < 16)
		ea += regs[mem->index] * mem->scale;
	if (mem->addr32)
		ea &= 0xffffffffu;
	if (mem->seg == TORN_X86_SEG_FS || mem->seg == TORN_X86_SEG_GS)
		ea += seg_base;
	return ea;
}

unsigned int torn_x86_mem_regs(const struct torn_x86_mem *mem)
{
	unsigned int set = 0;

	if (mem->base >= 0 && mem->base < 16)
		set |= 1u << mem->base;
	if (mem->index >= 0 && mem->index < 16)
		set |= 1u << mem->index;
	return set;
}
