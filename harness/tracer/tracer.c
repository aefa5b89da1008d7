/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tracer: a QEMU plugin recording NVDIMM stores, flushes, fences, marks. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <qemu/qemu-plugin.h>

#include "torn_mark.h"
#include "trace.h"
#include "x86_decode.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

/*
 * Lifecycle.  Boot runs with only `cpuid` instrumented (markers).  The
 * START marker arms the tracer: qemu_plugin_reset() drops every
 * callback and flushes the translated code, and the reset callback
 * registers the full instrumentation (a store callback on every
 * instruction, exec callbacks on flushes, fences and cpuid).  STOP ends
 * the trace and resets again to run the rest uninstrumented.  With
 * arm=boot the full instrumentation is there from the start.
 *
 * Everything about an instruction is decided at translation time; a
 * store callback gets its PC as userdata, a flush or fence callback a
 * pointer into an arena that lives until exit (translated blocks are
 * flushed at will, so nothing handed to QEMU is ever freed).
 *
 * The guest runs one vCPU (install fails otherwise; a vCPU hotplugged
 * later discards the trace), so callbacks come from one vCPU thread;
 * the lock only orders them against the atexit callback, which runs on
 * the main thread.
 */

/* ---- configuration ---------------------------------------------------- */

#define DIRECT_MAP_DEFAULT 0xffff888000000000ull /* nokaslr, 4-level */
#define DIRECT_MAP_SPAN (64ull << 40) /* 64 TiB */
#define PAGE_SIZE_4K 4096ull
#define FEATURES_DEFAULT \
	(TORN_CPU_CLFLUSH | TORN_CPU_CLFLUSHOPT | TORN_CPU_CLWB)

enum arm_mode {
	ARM_START,
	ARM_BOOT,
};

struct tracer_config {
	const char *out;
	const char *stats; /* NULL: no stats file */
	uint64_t pm_base;
	uint64_t pm_size;
	enum arm_mode arm;
	bool pc;
	bool collapse_fences;
	bool check_walk; /* also walk direct-map flushes, count misses */
	uint32_t features;
	uint64_t direct_map;
	/* snapshots of the NVDIMM backing file at START and at STOP */
	const char *pm_file;
	const char *base_out;
	const char *final_out;
};

/* ---- types ------------------------------------------------------------ */

enum tracer_state {
	STATE_DISARMED, /* before START: only markers */
	STATE_ARMED, /* recording */
	STATE_DONE, /* after STOP or exit: the trace is closed */
};

/* What a flush or fence callback needs, computed at translation time. */
struct insn_info {
	uint64_t pc;
	uint64_t next_pc;
	uint8_t kind; /* torn flush or fence kind */
	struct torn_x86_mem mem;
};

#define ARENA_CHUNK 512

struct arena_chunk {
	struct arena_chunk *next;
	size_t used;
	struct insn_info items[ARENA_CHUNK];
};

struct tracer_stats {
	uint64_t stores;
	uint64_t nt_stores;
	uint64_t store_bytes;
	uint64_t stores_clipped; /* straddled an end of the NVDIMM */
	uint64_t stores_split; /* crossed a page inside the NVDIMM */
	uint64_t stores_lost; /* second page not translatable */
	uint64_t flushes;
	uint64_t unresolved;
	uint64_t flushes_outside; /* resolved off the NVDIMM: dropped */
	uint64_t via_direct_map;
	uint64_t page_walks;
	uint64_t walk_cache_hits;
	uint64_t walk_checks; /* check_walk=on: direct map vs walk */
	uint64_t walk_mismatches;
	uint64_t walk_large_pages; /* walks ending at a 1 GiB/2 MiB page */
	uint64_t fences;
	uint64_t fences_collapsed;
	uint64_t wrmsr_not_serializing; /* TSC deadline, x2APIC: no fence */
	uint64_t marks;
	uint64_t marks_ignored; /* before START or after STOP */
	uint64_t mark_text_unreadable;
	uint64_t append_errors;
};

/* Where the registers the callbacks read are, by gdb name. */
static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15",
};

#define GPR_RAX 0
#define GPR_RCX 1
#define GPR_RDX 2
#define GPR_RBX 3
#define GPR_RSI 6

struct reg_handles {
	struct qemu_plugin_register *gpr[16];
	struct qemu_plugin_register *fs_base;
	struct qemu_plugin_register *gs_base;
	struct qemu_plugin_register *cr0;
	struct qemu_plugin_register *cr3;
	struct qemu_plugin_register *cr4;
};

/* The last page walk: clwb loops over a page hit it 63 times in 64. */
struct walk_cache {
	bool valid;
	uint64_t pgd;
	uint64_t vpage;
	uint64_t ppage;
};

static struct tracer_config cfg;
static qemu_plugin_id_t plugin_id;
static int state; /* enum tracer_state, atomic */
static GMutex lock; /* writer, stats, pm_since_fence */
static struct torn_trace_writer *writer;
static struct tracer_stats stats;
static bool pm_since_fence = true; /* a PM record since the last fence */
static struct reg_handles regs;
static GByteArray *reg_buf; /* vCPU thread only */
static GByteArray *mem_buf; /* vCPU thread only */
static struct walk_cache walk_cache; /* vCPU thread only */
static bool direct_map_checked; /* vCPU thread only */
static struct arena_chunk *arena; /* translation only */

/* ---- helpers: arguments ----------------------------------------------- */

/* A number with an optional K/M/G (binary) suffix. */
static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

/* "clflush+clflushopt+clwb[+eadr]": '+', since QEMU splits at commas. */
static bool parse_features(const char *s, uint32_t *out)
{
	g_auto(GStrv) parts = g_strsplit(s, "+", -1);
	uint32_t f = 0;

	if (!strcmp(s, "none")) {
		*out = 0;
		return true;
	}
	for (char **p = parts; *p; p++) {
		if (!strcmp(*p, "clflush"))
			f |= TORN_CPU_CLFLUSH;
		else if (!strcmp(*p, "clflushopt"))
			f |= TORN_CPU_CLFLUSHOPT;
		else if (!strcmp(*p, "clwb"))
			f |= TORN_CPU_CLWB;
		else if (!strcmp(*p, "eadr"))
			f |= TORN_CPU_EADR;
		else
			return false;
	}
	*out = f;
	return true;
}

/* The plugin's arguments: each key, how its value is read, where it goes. */
enum arg_kind {
	ARG_PATH, /* a non-empty string */
	ARG_U64, /* a number, as parse_u64 reads it */
	ARG_BOOL, /* as qemu_plugin_bool_parse reads it */
	ARG_FEATURES, /* flush features joined with '+' */
	ARG_ARM, /* start or boot */
	ARG_FENCES, /* collapse or all */
};

static const struct arg_spec {
	const char *key;
	enum arg_kind kind;
	void *dst;
} arg_specs[] = {
	{ "out", ARG_PATH, &cfg.out },
	{ "pm_base", ARG_U64, &cfg.pm_base },
	{ "pm_size", ARG_U64, &cfg.pm_size },
	{ "arm", ARG_ARM, &cfg.arm },
	{ "pc", ARG_BOOL, &cfg.pc },
	{ "features", ARG_FEATURES, &cfg.features },
	{ "direct_map", ARG_U64, &cfg.direct_map },
	{ "fences", ARG_FENCES, &cfg.collapse_fences },
	{ "stats", ARG_PATH, &cfg.stats },
	{ "check_walk", ARG_BOOL, &cfg.check_walk },
	{ "pm_file", ARG_PATH, &cfg.pm_file },
	{ "base_out", ARG_PATH, &cfg.base_out },
	{ "final_out", ARG_PATH, &cfg.final_out },
};

/* Store val as spec says; false when the value is not one it accepts. */
static bool arg_store(const struct arg_spec *spec, const char *val)
{
	switch (spec->kind) {
	case ARG_PATH:
		*(const char **)spec->dst = val;
		return *val;
	case ARG_U64:
		return parse_u64(val, spec->dst);
	case ARG_BOOL:
		return qemu_plugin_bool_parse(spec->key, val, spec->dst);
	case ARG_FEATURES:
		return parse_features(val, spec->dst);
	case ARG_ARM:
		*(enum arm_mode *)spec->dst =
			!strcmp(val, "boot") ? ARM_BOOT : ARM_START;
		return !strcmp(val, "start") || !strcmp(val, "boot");
	case ARG_FENCES:
		*(bool *)spec->dst = !strcmp(val, "collapse");
		return !strcmp(val, "collapse") || !strcmp(val, "all");
	}
	return false;
}

/* One key=value; fills why and returns false on a bad one. */
static bool parse_arg(const char *arg, unsigned int *seen, char *why,
		      size_t whylen)
{
	const char *eq = strchr(arg, '=');
	size_t klen, k;

	if (!eq) {
		snprintf(why, whylen, "argument '%s' is not key=value", arg);
		return false;
	}
	klen = (size_t)(eq - arg);
	for (k = 0; k < G_N_ELEMENTS(arg_specs); k++)
		if (strlen(arg_specs[k].key) == klen &&
		    !strncmp(arg, arg_specs[k].key, klen))
			break;
	if (k == G_N_ELEMENTS(arg_specs)) {
		snprintf(why, whylen, "unknown argument '%.*s'", (int)klen,
			 arg);
		return false;
	}
	if (*seen & (1u << k)) {
		snprintf(why, whylen, "argument '%s' given twice",
			 arg_specs[k].key);
		return false;
	}
	*seen |= 1u << k;
	if (arg_store(&arg_specs[k], eq + 1))
		return true;
	snprintf(why, whylen, "bad value '%s' for %s", eq + 1,
		 arg_specs[k].key);
	return false;
}

/* Parse and check all arguments; fills why and returns false on error. */
static bool parse_args(int argc, char **argv, char *why, size_t whylen)
{
	unsigned int seen = 0;

	cfg.arm = ARM_START;
	cfg.pc = true;
	cfg.collapse_fences = true;
	cfg.features = FEATURES_DEFAULT;
	cfg.direct_map = DIRECT_MAP_DEFAULT;
	for (int i = 0; i < argc; i++)
		if (!parse_arg(argv[i], &seen, why, whylen))
			return false;
	if (!cfg.out) {
		snprintf(why, whylen, "missing out=PATH");
		return false;
	}
	if (!(seen & 2) || !(seen & 4)) {
		snprintf(why, whylen, "missing pm_base= or pm_size=");
		return false;
	}
	if (cfg.pm_base % PAGE_SIZE_4K || !cfg.pm_size ||
	    cfg.pm_size % TORN_LINE_SIZE ||
	    cfg.pm_base + cfg.pm_size < cfg.pm_base) {
		snprintf(why, whylen,
			 "pm_base 0x%" PRIx64 " must be 4 KiB aligned and "
			 "pm_size 0x%" PRIx64 " a non-zero multiple of %d",
			 cfg.pm_base, cfg.pm_size, TORN_LINE_SIZE);
		return false;
	}
	if ((cfg.base_out || cfg.final_out) && !cfg.pm_file) {
		snprintf(why, whylen, "base_out= and final_out= need pm_file=");
		return false;
	}
	if (cfg.direct_map % PAGE_SIZE_4K) {
		snprintf(why, whylen,
			 "direct_map 0x%" PRIx64 " is not page aligned",
			 cfg.direct_map);
		return false;
	}
	return true;
}

/* ---- helpers: guest state --------------------------------------------- */

static struct insn_info *insn_info_new(void)
{
	if (!arena || arena->used == ARENA_CHUNK) {
		struct arena_chunk *c = g_new0(struct arena_chunk, 1);

		c->next = arena;
		arena = c;
	}
	return &arena->items[arena->used++];
}

static uint64_t get_le64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* A register of the current vCPU; callers registered with R_REGS. */
static bool read_reg(struct qemu_plugin_register *h, uint64_t *val)
{
	int n;

	if (!h)
		return false;
	g_byte_array_set_size(reg_buf, 0);
	n = qemu_plugin_read_register(h, reg_buf);
	if (n < 4 || reg_buf->len < (guint)n)
		return false;
	if (n >= 8) {
		*val = get_le64(reg_buf->data);
	} else {
		*val = (uint64_t)reg_buf->data[0] |
		       (uint64_t)reg_buf->data[1] << 8 |
		       (uint64_t)reg_buf->data[2] << 16 |
		       (uint64_t)reg_buf->data[3] << 24;
	}
	return true;
}

/* A page-table entry, read through the kernel's direct map. */
static bool read_pte(uint64_t table, unsigned int idx, uint64_t *pte)
{
	if (!qemu_plugin_read_memory_vaddr(cfg.direct_map + table + idx * 8ull,
					   mem_buf, 8) ||
	    mem_buf->len < 8)
		return false;
	*pte = get_le64(mem_buf->data);
	return true;
}

#define PTE_PRESENT 0x1ull
#define PTE_LARGE 0x80ull
#define PTE_FRAME 0x000ffffffffff000ull

/* 4-level walk from cr3 (1 GiB and 2 MiB pages too). */
static bool page_walk(uint64_t cr3, uint64_t va, uint64_t *pa)
{
	uint64_t table = cr3 & PTE_FRAME;
	uint64_t pte;

	if ((uint64_t)((int64_t)(va << 16) >> 16) != va)
		return false; /* not canonical */
	for (int level = 4; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		uint64_t mask = (1ull << shift) - 1;

		if (!read_pte(table, (va >> shift) & 511, &pte) ||
		    !(pte & PTE_PRESENT))
			return false;
		if (level == 1 ||
		    ((level == 2 || level == 3) && (pte & PTE_LARGE))) {
			*pa = (pte & PTE_FRAME & ~mask) | (va & mask);
			stats.walk_large_pages += level > 1;
			return true;
		}
		table = pte & PTE_FRAME;
	}
	return false;
}

/*
 * Is the direct map where cfg says?  It is when the page tables, read
 * through it, map its first address to physical 0 and paging is 4-level.
 * Checked until it holds once (early in a boot it does not yet).
 */
static bool direct_map_ok(void)
{
	uint64_t cr3, cr4, pa;

	if (direct_map_checked)
		return true;
	if (!read_reg(regs.cr3, &cr3) || !read_reg(regs.cr4, &cr4))
		return false;
	if (cr4 & (1ull << 12)) /* LA57: 5-level paging is not handled */
		return false;
	if (!page_walk(cr3, cfg.direct_map, &pa) || pa != 0)
		return false;
	direct_map_checked = true;
	return true;
}

/* check_walk=on: does a page walk agree with the direct-map shortcut? */
static void check_direct_map(uint64_t va, uint64_t pa)
{
	uint64_t cr3, walked;

	stats.walk_checks++;
	if (!read_reg(regs.cr3, &cr3) || !page_walk(cr3, va, &walked) ||
	    walked != pa)
		stats.walk_mismatches++;
}

/* Virtual to physical for a flush: direct map, else a page walk. */
static bool translate(uint64_t va, uint64_t *pa)
{
	uint64_t cr3, cr0;

	if (va - cfg.direct_map < DIRECT_MAP_SPAN && direct_map_ok()) {
		*pa = va - cfg.direct_map;
		stats.via_direct_map++;
		if (cfg.check_walk)
			check_direct_map(va, *pa);
		return true;
	}
	if (!read_reg(regs.cr3, &cr3))
		return false;
	if (walk_cache.valid && walk_cache.pgd == (cr3 & PTE_FRAME) &&
	    walk_cache.vpage == va >> 12) {
		*pa = walk_cache.ppage << 12 | (va & 0xfff);
		stats.walk_cache_hits++;
		return true;
	}
	stats.page_walks++;
	if (!direct_map_ok() || !page_walk(cr3, va, pa)) {
		/* Paging off (early boot with arm=boot): identity. */
		if (read_reg(regs.cr0, &cr0) && !(cr0 & (1ull << 31))) {
			*pa = va;
			return true;
		}
		return false;
	}
	walk_cache.valid = true;
	walk_cache.pgd = cr3 & PTE_FRAME;
	walk_cache.vpage = va >> 12;
	walk_cache.ppage = *pa >> 12;
	return true;
}

/* The bytes a store put in memory, in memory order. */
static unsigned int store_bytes(qemu_plugin_meminfo_t info, uint8_t *bytes)
{
	qemu_plugin_mem_value v = qemu_plugin_mem_get_value(info);
	unsigned int size = 1u << qemu_plugin_mem_size_shift(info);
	uint64_t lo = 0, hi = 0;

	switch (v.type) {
	case QEMU_PLUGIN_MEM_VALUE_U8:
		lo = v.data.u8;
		break;
	case QEMU_PLUGIN_MEM_VALUE_U16:
		lo = v.data.u16;
		break;
	case QEMU_PLUGIN_MEM_VALUE_U32:
		lo = v.data.u32;
		break;
	case QEMU_PLUGIN_MEM_VALUE_U64:
		lo = v.data.u64;
		break;
	case QEMU_PLUGIN_MEM_VALUE_U128:
		lo = v.data.u128.low;
		hi = v.data.u128.high;
		break;
	}
	if (size > 16)
		size = 16;
	for (unsigned int i = 0; i < size; i++)
		bytes[i] =
			(uint8_t)(i < 8 ? lo >> (8 * i) : hi >> (8 * (i - 8)));
	if (qemu_plugin_mem_is_big_endian(info)) { /* movbe */
		for (unsigned int i = 0; i < size / 2; i++) {
			uint8_t t = bytes[i];

			bytes[i] = bytes[size - 1 - i];
			bytes[size - 1 - i] = t;
		}
	}
	return size;
}

/* ---- helpers: records ------------------------------------------------- */

static uint8_t pc_flags(uint64_t pc)
{
	return pc >> 63 ? TORN_REC_F_KERNEL : 0; /* canonical upper half */
}

/* Append under the lock, armed only; counts what the writer refuses. */
static bool append_locked(const struct torn_record *rec)
{
	if (g_atomic_int_get(&state) != STATE_ARMED || !writer)
		return false;
	if (torn_trace_writer_append(writer, rec)) {
		stats.append_errors++;
		return false;
	}
	return true;
}

/* A store of size bytes at physical pa, clipped to the NVDIMM. */
/* emit_store's kind for a store of a rep movs/stos: STORE, flagged. */
#define KIND_STRING_STORE 0x80

static void emit_store(uint8_t kind, uint64_t pa, const uint8_t *bytes,
		       unsigned int size, uint64_t pc)
{
	uint64_t start = pa, end = pa + size;
	uint64_t pm_end = cfg.pm_base + cfg.pm_size;
	struct torn_record rec = { 0 };

	if (end <= cfg.pm_base || start >= pm_end)
		return;
	g_mutex_lock(&lock);
	if (start < cfg.pm_base) {
		bytes += cfg.pm_base - start;
		start = cfg.pm_base;
		stats.stores_clipped++;
	}
	if (end > pm_end) {
		end = pm_end;
		stats.stores_clipped++;
	}
	rec.kind = kind & ~KIND_STRING_STORE;
	rec.flags = pc_flags(pc) |
		    (kind & KIND_STRING_STORE ? TORN_REC_F_STRING : 0);
	rec.size = (uint8_t)(end - start);
	rec.offset = start - cfg.pm_base;
	rec.pc = cfg.pc ? pc : 0;
	rec.data = bytes;
	if (append_locked(&rec)) {
		if (kind == TORN_REC_NT_STORE)
			stats.nt_stores++;
		else
			stats.stores++;
		stats.store_bytes += rec.size;
		pm_since_fence = true;
	}
	g_mutex_unlock(&lock);
}

/* The slow path of a store: on the NVDIMM, or crossing a page. */
static void record_store(qemu_plugin_meminfo_t info, uint64_t vaddr,
			 uint64_t pa, uint64_t pc, uint8_t kind)
{
	uint8_t bytes[16];
	unsigned int size = store_bytes(info, bytes);
	unsigned int first = size;
	struct qemu_plugin_hwaddr *hw;

	if ((vaddr & 0xfff) + size > PAGE_SIZE_4K)
		first = (unsigned int)(PAGE_SIZE_4K - (vaddr & 0xfff));
	emit_store(kind, pa, bytes, first, pc);
	if (first == size)
		return;
	/* The rest is on the next virtual page: ask QEMU's TLB again. */
	hw = qemu_plugin_get_hwaddr(info, vaddr + first);
	if (!hw) {
		if (pa - cfg.pm_base < cfg.pm_size)
			stats.stores_lost++;
		return;
	}
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	if (pa - cfg.pm_base < cfg.pm_size)
		stats.stores_split++;
	emit_store(kind, pa, bytes + first, size - first, pc);
}

static void emit_fence(uint8_t kind, uint64_t pc)
{
	struct torn_record rec = { 0 };

	if (g_atomic_int_get(&state) != STATE_ARMED)
		return;
	g_mutex_lock(&lock);
	/*
	 * A fence with no store or flush since the previous one cannot
	 * change any crash state; kernels execute millions of them.
	 * wbinvd persists even unflushed stores, so it always counts.
	 */
	if (cfg.collapse_fences && !pm_since_fence &&
	    kind != TORN_FENCE_WBINVD) {
		stats.fences_collapsed++;
		goto out_unlock;
	}
	rec.kind = TORN_REC_FENCE;
	rec.sub = kind;
	rec.flags = pc_flags(pc);
	rec.pc = cfg.pc ? pc : 0;
	if (append_locked(&rec)) {
		stats.fences++;
		pm_since_fence = false;
	}
out_unlock:
	g_mutex_unlock(&lock);
}

static void emit_flush(const struct insn_info *ii, bool resolved,
		       uint64_t offset, uint64_t va)
{
	struct torn_record rec = { 0 };

	g_mutex_lock(&lock);
	rec.kind = resolved ? TORN_REC_FLUSH : TORN_REC_UNRESOLVED;
	rec.sub = ii->kind;
	rec.flags = pc_flags(ii->pc);
	rec.offset = offset;
	rec.vaddr = va;
	rec.pc = cfg.pc ? ii->pc : 0;
	if (append_locked(&rec)) {
		if (resolved)
			stats.flushes++;
		else
			stats.unresolved++;
		pm_since_fence = true;
	}
	g_mutex_unlock(&lock);
}

/* ---- exit --------------------------------------------------------------- */

static void write_stats_file(int close_ret, const char *why)
{
	FILE *f;

	if (!cfg.stats)
		return;
	f = fopen(cfg.stats, "w");
	if (!f) {
		fprintf(stderr, "torn-tracer: cannot write stats '%s': %s\n",
			cfg.stats, strerror(errno));
		return;
	}
	fprintf(f,
		"{\"closed_by\":\"%s\",\"error\":%d,\"stores\":%" PRIu64
		",\"nt_stores\":%" PRIu64 ",\"store_bytes\":%" PRIu64
		",\"stores_clipped\":%" PRIu64 ",\"stores_split\":%" PRIu64
		",\"stores_lost\":%" PRIu64 ",\"flushes\":%" PRIu64
		",\"unresolved\":%" PRIu64 ",\"flushes_outside\":%" PRIu64
		",\"via_direct_map\":%" PRIu64 ",\"page_walks\":%" PRIu64
		",\"walk_cache_hits\":%" PRIu64 ",\"walk_checks\":%" PRIu64
		",\"walk_mismatches\":%" PRIu64 ",\"walk_large_pages\":%" PRIu64
		",\"fences\":%" PRIu64 ",\"fences_collapsed\":%" PRIu64
		",\"wrmsr_not_serializing\":%" PRIu64 ",\"marks\":%" PRIu64
		",\"marks_ignored\":%" PRIu64
		",\"mark_text_unreadable\":%" PRIu64
		",\"append_errors\":%" PRIu64 "}\n",
		why, close_ret, stats.stores, stats.nt_stores,
		stats.store_bytes, stats.stores_clipped, stats.stores_split,
		stats.stores_lost, stats.flushes, stats.unresolved,
		stats.flushes_outside, stats.via_direct_map, stats.page_walks,
		stats.walk_cache_hits, stats.walk_checks, stats.walk_mismatches,
		stats.walk_large_pages, stats.fences, stats.fences_collapsed,
		stats.wrmsr_not_serializing, stats.marks, stats.marks_ignored,
		stats.mark_text_unreadable, stats.append_errors);
	fclose(f);
}

/*
 * Copy the NVDIMM backing file to path.  It runs on the only vCPU's
 * thread, inside the marker's callback, so the guest is stopped and the
 * copy is the NVDIMM at exactly that instruction: QEMU maps the file
 * shared, so its page cache is the guest's memory.
 */
static void snapshot(const char *path)
{
	g_autofree char *tmp = NULL;
	char buf[1 << 16];
	int in, out;
	ssize_t n = 0;
	uint64_t done = 0;
	bool ok;

	if (!path)
		return;
	tmp = g_strdup_printf("%s.tmp", path);
	in = open(cfg.pm_file, O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (in >= 0 && out >= 0 && done < cfg.pm_size &&
	       (n = read(in, buf, sizeof(buf))) > 0) {
		if (n > (ssize_t)(cfg.pm_size - done))
			n = (ssize_t)(cfg.pm_size - done);
		if (write(out, buf, n) != n) {
			n = -1;
			break;
		}
		done += n;
	}
	ok = in >= 0 && out >= 0 && n >= 0 && done == cfg.pm_size;
	if (out >= 0 && close(out))
		ok = false;
	if (!ok || rename(tmp, path)) {
		fprintf(stderr,
			"torn-tracer: cannot snapshot '%s' to '%s': %s\n",
			cfg.pm_file, path, strerror(errno));
		unlink(tmp);
	}
	if (in >= 0)
		close(in);
}

/* Close the trace (END record) once, at STOP or at exit; lock held. */
static void finish_trace_locked(const char *why)
{
	g_autofree char *line = NULL;
	int ret;

	g_atomic_int_set(&state, STATE_DONE);
	if (!writer)
		return;
	ret = torn_trace_writer_close(writer);
	writer = NULL;
	if (ret)
		fprintf(stderr, "torn-tracer: cannot write trace '%s': %s\n",
			cfg.out,
			ret < 0 && ret > -4096 ? strerror(-ret)
					       : torn_strerror(ret));
	write_stats_file(ret, why);
	line = g_strdup_printf(
		"torn-tracer: trace '%s' closed at %s: %" PRIu64
		" stores, %" PRIu64 " nt stores, %" PRIu64 " flushes, %" PRIu64
		" unresolved, %" PRIu64 " fences, %" PRIu64 " marks\n",
		cfg.out, why, stats.stores, stats.nt_stores, stats.flushes,
		stats.unresolved, stats.fences, stats.marks);
	qemu_plugin_outs(line);
}

static void plugin_exit(qemu_plugin_id_t id, void *udata)
{
	g_mutex_lock(&lock);
	if (writer) {
		if (g_atomic_int_get(&state) == STATE_DISARMED)
			qemu_plugin_outs("torn-tracer: no START marker seen\n");
		finish_trace_locked("exit");
	}
	g_mutex_unlock(&lock);
}

/* ---- callbacks ---------------------------------------------------------- */

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu_index)
{
	g_autoptr(GArray) list = NULL;

	if (vcpu_index > 0) {
		/* Hotplugged (-smp 1,maxcpus=N): program order is gone. */
		g_mutex_lock(&lock);
		if (writer) {
			finish_trace_locked("second vcpu");
			unlink(cfg.out);
			fprintf(stderr,
				"torn-tracer: vCPU %u came up; trace '%s' "
				"removed, traces need one vCPU\n",
				vcpu_index, cfg.out);
		}
		g_mutex_unlock(&lock);
		return;
	}
	list = qemu_plugin_get_registers();

	for (guint i = 0; i < list->len; i++) {
		qemu_plugin_reg_descriptor *d =
			&g_array_index(list, qemu_plugin_reg_descriptor, i);

		for (int r = 0; r < 16; r++)
			if (!strcmp(d->name, gpr_names[r]))
				regs.gpr[r] = d->handle;
		if (!strcmp(d->name, "fs_base"))
			regs.fs_base = d->handle;
		else if (!strcmp(d->name, "gs_base"))
			regs.gs_base = d->handle;
		else if (!strcmp(d->name, "cr0"))
			regs.cr0 = d->handle;
		else if (!strcmp(d->name, "cr3"))
			regs.cr3 = d->handle;
		else if (!strcmp(d->name, "cr4"))
			regs.cr4 = d->handle;
	}
}

/*
 * Every store of an armed guest lands here; ~1 in 500 is on the NVDIMM.
 * Filter by physical range first; the only other case worth a look is
 * a store that may cross into the next page.
 */
/* A store of kind (emit_store's) by the instruction at udata's PC. */
static inline void mem_store(qemu_plugin_meminfo_t info, uint64_t vaddr,
			     void *udata, uint8_t kind)
{
	struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, vaddr);
	uint64_t pa = qemu_plugin_hwaddr_phys_addr(hw);

	if (__builtin_expect(pa - cfg.pm_base >= cfg.pm_size, 1) &&
	    __builtin_expect((vaddr & 0xfff) <= PAGE_SIZE_4K - 16, 1))
		return;
	if (hw)
		record_store(info, vaddr, pa, (uintptr_t)udata, kind);
}

static void vcpu_mem(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
		     uint64_t vaddr, void *udata)
{
	mem_store(info, vaddr, udata, TORN_REC_STORE);
}

static void vcpu_mem_str(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
			 uint64_t vaddr, void *udata)
{
	mem_store(info, vaddr, udata, TORN_REC_STORE | KIND_STRING_STORE);
}

static void vcpu_mem_nt(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
			uint64_t vaddr, void *udata)
{
	mem_store(info, vaddr, udata, TORN_REC_NT_STORE);
}

/* clflush/clflushopt/clwb, before it executes: which line? */
static void vcpu_flush(unsigned int vcpu_index, void *udata)
{
	const struct insn_info *ii = udata;
	uint64_t r[16] = { 0 };
	uint64_t seg_base = 0, va, pa;
	unsigned int used = torn_x86_mem_regs(&ii->mem);
	bool ok = true;

	if (g_atomic_int_get(&state) != STATE_ARMED)
		return;
	for (int n = 0; n < 16; n++)
		if (used & (1u << n))
			ok = ok && read_reg(regs.gpr[n], &r[n]);
	if (ii->mem.seg == TORN_X86_SEG_FS)
		ok = ok && read_reg(regs.fs_base, &seg_base);
	else if (ii->mem.seg == TORN_X86_SEG_GS)
		ok = ok && read_reg(regs.gs_base, &seg_base);
	if (!ok) {
		emit_flush(ii, false, 0, 0);
		return;
	}
	va = torn_x86_effective_address(&ii->mem, r, ii->next_pc, seg_base);
	if (!translate(va, &pa)) {
		emit_flush(ii, false, 0, va);
		return;
	}
	if (pa - cfg.pm_base >= cfg.pm_size) {
		g_mutex_lock(&lock);
		stats.flushes_outside++;
		g_mutex_unlock(&lock);
		return;
	}
	emit_flush(ii, true,
		   (pa - cfg.pm_base) & ~(uint64_t)(TORN_LINE_SIZE - 1), va);
}

static void vcpu_fence(unsigned int vcpu_index, void *udata)
{
	const struct insn_info *ii = udata;

	/* Page tables may change across serializing insns (mov cr3, invlpg). */
	walk_cache.valid = false;
	emit_fence(ii->kind, ii->pc);
}

/* WRMSR: an ordering point unless ECX names a non-serializing MSR. */
static void vcpu_wrmsr(unsigned int vcpu_index, void *udata)
{
	uint64_t ecx;

	if (read_reg(regs.gpr[GPR_RCX], &ecx) &&
	    !torn_x86_wrmsr_serializes((uint32_t)ecx)) {
		g_mutex_lock(&lock);
		stats.wrmsr_not_serializing++;
		g_mutex_unlock(&lock);
		return;
	}
	vcpu_fence(vcpu_index, udata);
}

static void register_callbacks(void);

/* After a reset: instrument for the state we are now in. */
static void on_reset(qemu_plugin_id_t id)
{
	register_callbacks();
}

/* A marker cpuid: record it, and arm or disarm on START and STOP. */
static void on_marker(uint64_t pc)
{
	uint64_t id = 0, arg = 0, text = 0, len = 0;
	struct torn_record rec = { 0 };
	bool reset = false;

	read_reg(regs.gpr[GPR_RBX], &id);
	read_reg(regs.gpr[GPR_RCX], &arg);
	read_reg(regs.gpr[GPR_RDX], &text);
	read_reg(regs.gpr[GPR_RSI], &len);
	if (len > TORN_MARK_TEXT_MAX)
		len = TORN_MARK_TEXT_MAX;
	rec.kind = TORN_REC_MARK;
	rec.flags = pc_flags(pc);
	rec.mark_id = (uint32_t)id;
	rec.arg = arg;
	if (text && len) {
		if (qemu_plugin_read_memory_vaddr(text, mem_buf, len) &&
		    mem_buf->len >= len) {
			rec.size = (uint8_t)len;
			rec.data = mem_buf->data;
		} else {
			stats.mark_text_unreadable++;
		}
	}

	g_mutex_lock(&lock);
	switch (g_atomic_int_get(&state)) {
	case STATE_DISARMED:
		if (rec.mark_id != TORN_MARK_START) {
			stats.marks_ignored++;
			break;
		}
		g_atomic_int_set(&state, STATE_ARMED);
		snapshot(cfg.base_out);
		walk_cache.valid = false;
		pm_since_fence = true;
		reset = true;
		/* record the START itself */
		__attribute__((fallthrough));
	case STATE_ARMED:
		if (append_locked(&rec))
			stats.marks++;
		if (rec.mark_id == TORN_MARK_STOP) {
			snapshot(cfg.final_out);
			finish_trace_locked("stop");
			reset = true;
		}
		break;
	default:
		stats.marks_ignored++;
		break;
	}
	g_mutex_unlock(&lock);
	/* Asynchronous: takes effect when this translation block ends. */
	if (reset)
		qemu_plugin_reset(plugin_id, on_reset);
}

static void vcpu_cpuid(unsigned int vcpu_index, void *udata)
{
	uint64_t pc = (uintptr_t)udata, rax;

	if (read_reg(regs.gpr[GPR_RAX], &rax) &&
	    (uint32_t)rax == TORN_MARK_MAGIC) {
		on_marker(pc);
		return;
	}
	walk_cache.valid = false;
	emit_fence(TORN_FENCE_SERIALIZING, pc);
}

/* Disarmed: only cpuid, for the START marker. */
static void vcpu_tb_trans_disarmed(qemu_plugin_id_t id,
				   struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint8_t code[TORN_X86_MAX_LEN];
		size_t len = qemu_plugin_insn_data(insn, code, sizeof(code));
		struct torn_x86_insn d;

		if (torn_x86_decode(code, len, &d) || d.cls != TORN_X86_CPUID)
			continue;
		qemu_plugin_register_vcpu_insn_exec_cb(
			insn, vcpu_cpuid, QEMU_PLUGIN_CB_R_REGS,
			(void *)(uintptr_t)qemu_plugin_insn_vaddr(insn));
	}
}

/* Armed: every store, and exec callbacks on flushes, fences, cpuid. */
static void vcpu_tb_trans_armed(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t pc = qemu_plugin_insn_vaddr(insn);
		uint8_t code[TORN_X86_MAX_LEN];
		size_t len = qemu_plugin_insn_data(insn, code, sizeof(code));
		struct torn_x86_insn d;
		struct insn_info *ii;

		if (torn_x86_decode(code, len, &d))
			d.cls = TORN_X86_OTHER;
		qemu_plugin_register_vcpu_mem_cb(
			insn,
			d.cls == TORN_X86_NT_STORE ? vcpu_mem_nt
			: d.string		   ? vcpu_mem_str
						   : vcpu_mem,
			QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_W,
			(void *)(uintptr_t)pc);
		switch (d.cls) {
		case TORN_X86_FLUSH:
			ii = insn_info_new();
			ii->pc = pc;
			ii->next_pc = pc + qemu_plugin_insn_size(insn);
			ii->kind = d.flush;
			ii->mem = d.mem;
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, vcpu_flush, QEMU_PLUGIN_CB_R_REGS, ii);
			break;
		case TORN_X86_FENCE:
			ii = insn_info_new();
			ii->pc = pc;
			ii->kind = d.fence;
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, d.wrmsr ? vcpu_wrmsr : vcpu_fence,
				d.wrmsr ? QEMU_PLUGIN_CB_R_REGS
					: QEMU_PLUGIN_CB_NO_REGS,
				ii);
			break;
		case TORN_X86_CPUID:
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, vcpu_cpuid, QEMU_PLUGIN_CB_R_REGS,
				(void *)(uintptr_t)pc);
			break;
		}
	}
}

/* The callbacks for the current state (at install, and after resets). */
static void register_callbacks(void)
{
	switch (g_atomic_int_get(&state)) {
	case STATE_DISARMED:
		qemu_plugin_register_vcpu_tb_trans_cb(plugin_id,
						      vcpu_tb_trans_disarmed);
		break;
	case STATE_ARMED:
		qemu_plugin_register_vcpu_tb_trans_cb(plugin_id,
						      vcpu_tb_trans_armed);
		break;
	default:
		break; /* done: run the rest at full speed */
	}
	qemu_plugin_register_atexit_cb(plugin_id, plugin_exit, NULL);
}

/* ---- install ------------------------------------------------------------ */

G_STATIC_ASSERT(sizeof(void *) == sizeof(uint64_t));
G_STATIC_ASSERT((int)TORN_X86_FLUSH_CLWB == (int)TORN_FLUSH_CLWB);
G_STATIC_ASSERT((int)TORN_X86_FLUSH_CLFLUSHOPT == (int)TORN_FLUSH_CLFLUSHOPT);
G_STATIC_ASSERT((int)TORN_X86_FLUSH_CLFLUSH == (int)TORN_FLUSH_CLFLUSH);
G_STATIC_ASSERT((int)TORN_X86_FENCE_SFENCE == (int)TORN_FENCE_SFENCE);
G_STATIC_ASSERT((int)TORN_X86_FENCE_MFENCE == (int)TORN_FENCE_MFENCE);
G_STATIC_ASSERT((int)TORN_X86_FENCE_LOCKED == (int)TORN_FENCE_LOCKED);
G_STATIC_ASSERT((int)TORN_X86_FENCE_SERIALIZING == (int)TORN_FENCE_SERIALIZING);
G_STATIC_ASSERT((int)TORN_X86_FENCE_WBINVD == (int)TORN_FENCE_WBINVD);
G_STATIC_ASSERT(TORN_MARK_ID_START == TORN_MARK_START);
G_STATIC_ASSERT(TORN_MARK_ID_STOP == TORN_MARK_STOP);

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	struct torn_trace_header hdr = { 0 };
	char why[256];
	int ret;

	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr,
			"torn-tracer: needs qemu-system-x86_64, not %s%s\n",
			info->target_name,
			info->system_emulation ? "" : " user mode");
		return -1;
	}
	if (info->system.smp_vcpus != 1) {
		fprintf(stderr,
			"torn-tracer: needs one vCPU (-smp 1), got %d\n",
			info->system.smp_vcpus);
		return -1;
	}
	if (!parse_args(argc, argv, why, sizeof(why))) {
		fprintf(stderr, "torn-tracer: %s\n", why);
		return -1;
	}

	hdr.version = TORN_TRACE_VERSION;
	hdr.pm_base = cfg.pm_base;
	hdr.pm_size = cfg.pm_size;
	hdr.line_size = TORN_LINE_SIZE;
	hdr.cpu_features = cfg.features;
	hdr.flags = (cfg.pc ? TORN_TRACE_F_PC : 0) |
		    (cfg.arm == ARM_BOOT ? TORN_TRACE_F_FROM_BOOT : 0);
	ret = torn_trace_writer_new(&writer, cfg.out, &hdr);
	if (ret) {
		fprintf(stderr, "torn-tracer: cannot create trace '%s': %s\n",
			cfg.out,
			ret < 0 && ret > -4096 ? strerror(-ret)
					       : torn_strerror(ret));
		return -1;
	}

	plugin_id = id;
	g_mutex_init(&lock);
	reg_buf = g_byte_array_new();
	mem_buf = g_byte_array_new();
	g_atomic_int_set(&state,
			 cfg.arm == ARM_BOOT ? STATE_ARMED : STATE_DISARMED);
	qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
	register_callbacks();
	return 0;
}
