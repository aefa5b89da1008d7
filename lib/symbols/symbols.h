/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names for traced PCs: the function, its offset and the source line,
 * from ELF files (elfutils' libdwfl: .symtab or .dynsym, DWARF lines when
 * the file or its separate debug file has them) and from a capture of
 * /proc/kallsyms.  Each ELF file is placed where it ran: [lo, hi) of the
 * traced address space, looked up at pc - bias (the load bias of a PIE or
 * a shared library, the KASLR slide of vmlinux, 0 for a fixed program).
 */
#ifndef TORN_SYMBOLS_H
#define TORN_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "torn_err.h"

struct torn_syms;

struct torn_syms *torn_syms_new(void);
void torn_syms_free(struct torn_syms *s);

/*
 * The text symbols ('t', 'T') of a /proc/kallsyms capture: the fallback
 * for kernel PCs no ELF file covers.  The number of symbols read; 0 when
 * the file is missing or holds none.
 */
size_t torn_syms_add_kallsyms(struct torn_syms *s, const char *path);
/* The runtime address of a kallsyms symbol, 0 when it is not there. */
uint64_t torn_syms_kallsyms_addr(const struct torn_syms *s, const char *name);

/*
 * An ELF file (path, or fd >= 0, which is then the syms' to close; path
 * names it either way) that ran at [lo, hi) with the given bias.  hi == 0:
 * the range its loadable code segments cover, moved by bias.  An untrusted
 * file: a bad one is an error (-errno or TORN_E_FORMAT, err filled), never
 * a crash.
 */
int torn_syms_add_elf(struct torn_syms *s, const char *path, int fd,
		      uint64_t lo, uint64_t hi, uint64_t bias,
		      struct torn_err *err);

/* The file of a traced process's memory map, as the guest saw it. */
struct torn_syms_map {
	uint64_t lo, hi, offset; /* the mapping and its file offset */
	const char *path; /* the file's path in the guest */
};

/*
 * Each line of a /proc/PID/maps text that maps a file: cb(map, arg) per
 * line, in order; stops at cb's first non-zero return, which it returns.
 * Lines that are not maps lines are skipped.
 */
int torn_syms_parse_maps(const char *text,
			 int (*cb)(const struct torn_syms_map *m, void *arg),
			 void *arg);

/*
 * The load bias of an ELF file mapped at map (the mapping of the file's
 * first loadable segment, offset 0): map->lo - that segment's page-aligned
 * address.  0 or -errno / TORN_E_FORMAT.
 */
int torn_syms_elf_bias(const char *path, int fd, const struct torn_syms_map *m,
		       uint64_t *bias, struct torn_err *err);

/* The link addresses [*lo, *hi) an ELF file's loadable code segments cover. */
int torn_syms_elf_span(const char *path, uint64_t *lo, uint64_t *hi,
		       struct torn_err *err);

/*
 * "func+0x12 at file.c:34" (no " at" part without line information) for
 * pc into buf, or NULL when nothing covers pc.
 */
const char *torn_syms_where(const struct torn_syms *s, uint64_t pc, char *buf,
			    size_t len);

/* How many ELF files and kallsyms symbols s holds (for a summary line). */
size_t torn_syms_n_files(const struct torn_syms *s);

#endif
