/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names for traced PCs (symbols.h) through elfutils' libdwfl, which reads
 * symbol tables, separate debug files and DWARF line tables of untrusted
 * files, so that torn keeps no ELF or DWARF reader of its own.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"

#define PAGE_MASK_4K (~(uint64_t)4095)

struct elf_mod {
	uint64_t lo, hi, bias;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	char *name; /* the file's base name, for PCs without a symbol */
};

struct ksym {
	uint64_t addr;
	char *name;
};

struct torn_syms {
	char *cwd; /* "DIR/": source files under it are named relative to it */
	GArray *mods; /* struct elf_mod */
	struct ksym *k;
	size_t nk;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

struct torn_syms *torn_syms_new(void)
{
	struct torn_syms *s = g_new0(struct torn_syms, 1);

	char *cwd = g_get_current_dir();

	s->cwd = g_strconcat(cwd, "/", NULL);
	g_free(cwd);
	s->mods = g_array_new(FALSE, TRUE, sizeof(struct elf_mod));
	return s;
}

void torn_syms_free(struct torn_syms *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->mods->len; i++) {
		struct elf_mod *m = &g_array_index(s->mods, struct elf_mod, i);

		dwfl_end(m->dwfl);
		g_free(m->name);
	}
	g_array_free(s->mods, TRUE);
	g_free(s->cwd);
	for (i = 0; i < s->nk; i++)
		g_free(s->k[i].name);
	g_free(s->k);
	g_free(s);
}

/* ---- kallsyms ------------------------------------------------------------ */

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

size_t torn_syms_add_kallsyms(struct torn_syms *s, const char *path)
{
	gchar *text = NULL;
	char **lines, **l;
	size_t cap = s->nk, before = s->nk;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	lines = g_strsplit(text, "\n", -1);
	g_free(text);
	for (l = lines; *l; l++) {
		char name[256], type;
		unsigned long long addr;

		if (sscanf(*l, "%llx %c %255s", &addr, &type, name) != 3 ||
		    !addr || (type != 't' && type != 'T'))
			continue;
		if (s->nk == cap) {
			cap = cap ? 2 * cap : 4096;
			s->k = g_renew(struct ksym, s->k, cap);
		}
		s->k[s->nk].addr = addr;
		s->k[s->nk].name = g_strdup(name);
		s->nk++;
	}
	g_strfreev(lines);
	qsort(s->k, s->nk, sizeof(*s->k), by_addr);
	return s->nk - before;
}

uint64_t torn_syms_kallsyms_addr(const struct torn_syms *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nk; i++)
		if (!strcmp(s->k[i].name, name))
			return s->k[i].addr;
	return 0;
}

static const char *kallsyms_where(const struct torn_syms *s, uint64_t pc,
				  char *buf, size_t len)
{
	size_t lo = 0, hi = s->nk;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->k[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* no symbol below it, or one too far below to be its function */
	if (!lo || pc - s->k[lo - 1].addr > 0x100000)
		return NULL;
	snprintf(buf, len, "%s+0x%" PRIx64, s->k[lo - 1].name,
		 pc - s->k[lo - 1].addr);
	return buf;
}

/* ---- ELF files ----------------------------------------------------------- */

/* path's ELF header and program headers through libelf; fd >= 0 is used. */
struct elf_file {
	int fd;
	Elf *elf;
	GElf_Ehdr eh;
	size_t nph;
};

static int elf_file_open(struct elf_file *f, const char *path, int fd,
			 struct torn_err *err)
{
	memset(f, 0, sizeof(*f));
	elf_version(EV_CURRENT);
	f->fd = fd >= 0 ? dup(fd) : open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return torn_err_set(err, -errno, "%s: %s", path,
				    strerror(errno));
	f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF ||
	    !gelf_getehdr(f->elf, &f->eh) || elf_getphdrnum(f->elf, &f->nph) ||
	    (f->eh.e_type != ET_EXEC && f->eh.e_type != ET_DYN)) {
		if (f->elf)
			elf_end(f->elf);
		close(f->fd);
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s is not an ELF program or library",
				    path);
	}
	return 0;
}

static void elf_file_close(struct elf_file *f)
{
	elf_end(f->elf);
	close(f->fd);
}

int torn_syms_elf_bias(const char *path, int fd, const struct torn_syms_map *m,
		       uint64_t *bias, struct torn_err *err)
{
	struct elf_file f;
	size_t i;
	int ret = elf_file_open(&f, path, fd, err);

	if (ret)
		return ret;
	ret = torn_err_set(err, TORN_E_FORMAT,
			   "%s: no loadable segment at file offset 0x%" PRIx64,
			   path, m->offset);
	for (i = 0; i < f.nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f.elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (ph.p_offset & PAGE_MASK_4K) != m->offset)
			continue;
		*bias = f.eh.e_type == ET_EXEC
				? 0
				: m->lo - (ph.p_vaddr & PAGE_MASK_4K);
		ret = 0;
		break;
	}
	elf_file_close(&f);
	return ret;
}

/* The addresses f's loadable code segments cover (vmlinux has data at 0). */
static void elf_span(const struct elf_file *f, uint64_t *lo, uint64_t *hi)
{
	size_t i;

	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < f->nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(f->elf, (int)i, &ph) ||
		    ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (ph.p_vaddr < *lo)
			*lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > *hi)
			*hi = ph.p_vaddr + ph.p_memsz;
	}
	if (*lo > *hi)
		*lo = *hi = 0;
}

int torn_syms_elf_span(const char *path, uint64_t *lo, uint64_t *hi,
		       struct torn_err *err)
{
	struct elf_file f;
	int ret = elf_file_open(&f, path, -1, err);

	if (ret)
		return ret;
	elf_span(&f, lo, hi);
	elf_file_close(&f);
	return *lo < *hi ? 0
			 : torn_err_set(err, TORN_E_FORMAT,
					"%s has no loadable segment", path);
}

int torn_syms_add_elf(struct torn_syms *s, const char *path, int fd,
		      uint64_t lo, uint64_t hi, uint64_t bias,
		      struct torn_err *err)
{
	struct elf_mod m = { 0 };
	struct elf_file f;
	char fdpath[64];
	const char *open_path = path;
	int ret = elf_file_open(&f, path, fd, err);

	if (ret)
		return ret;
	if (!hi) {
		elf_span(&f, &lo, &hi);
		lo += bias;
		hi += bias;
	}
	elf_file_close(&f);
	if (lo >= hi)
		return torn_err_set(err, TORN_E_FORMAT,
				    "%s has no loadable segment", path);
	if (fd >= 0) {
		/* libdwfl opens its own descriptor: the fd stays the caller's
		 */
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		open_path = fdpath;
	}
	m.dwfl = dwfl_begin(&callbacks);
	if (!m.dwfl)
		return torn_err_set(err, -ENOMEM, "libdwfl: %s",
				    dwfl_errmsg(-1));
	dwfl_report_begin(m.dwfl);
	/* at its link addresses: a lookup subtracts the bias itself */
	m.mod = dwfl_report_elf(m.dwfl, path, open_path, -1, 0, false);
	if (!m.mod || dwfl_report_end(m.dwfl, NULL, NULL)) {
		ret = torn_err_set(err, TORN_E_FORMAT, "%s: %s", path,
				   dwfl_errmsg(-1));
		dwfl_end(m.dwfl);
		return ret;
	}
	m.lo = lo;
	m.hi = hi;
	m.bias = bias;
	m.name = g_path_get_basename(path);
	g_array_append_val(s->mods, m);
	return 0;
}

/* path relative to cwd when it is below it. */
static const char *short_path(const char *cwd, const char *path)
{
	return g_str_has_prefix(path, cwd) && path[strlen(cwd)]
		       ? path + strlen(cwd)
		       : path;
}

/* File index i of cu's line table, or NULL. */
static const char *cu_file(Dwarf_Die *cu, Dwarf_Word i)
{
	Dwarf_Files *files;
	size_t n;

	if (dwarf_getsrcfiles(cu, &files, &n) || i >= n)
		return NULL;
	return dwarf_filesrc(files, i, NULL, NULL);
}

/*
 * For code inlined into its function: " (NAME, inlined at FILE:LINE)",
 * the innermost inlined function's name and where the named function
 * calls the outermost; "" otherwise.
 */
static void inlined_at(const char *cwd, const struct elf_mod *m, GElf_Addr addr,
		       char *buf, size_t len)
{
	Dwarf_Addr cubias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &cubias);
	Dwarf_Die *scopes = NULL;
	const char *inner = NULL, *file = NULL;
	Dwarf_Word line = 0, fileno = 0;
	int n, i;

	buf[0] = 0;
	n = cu ? dwarf_getscopes(cu, addr - cubias, &scopes) : 0;
	if (n > 0) {
		/* the concrete chain around the innermost scope (as
		 * eu-addr2line -i): inlined calls out to the function */
		Dwarf_Die inner_die = scopes[0];

		free(scopes);
		scopes = NULL;
		n = dwarf_getscopes_die(&inner_die, &scopes);
	}
	for (i = 0; i < n; i++) {
		Dwarf_Attribute a;

		if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine)
			continue;
		if (!inner)
			inner = dwarf_diename(&scopes[i]);
		/* outward: the last one is the call in the named function */
		if (!dwarf_formudata(
			    dwarf_attr(&scopes[i], DW_AT_call_line, &a),
			    &line) &&
		    !dwarf_formudata(
			    dwarf_attr(&scopes[i], DW_AT_call_file, &a),
			    &fileno))
			file = cu_file(cu, fileno);
	}
	if (inner && file && line)
		snprintf(buf, len, " (%s, inlined at %s:%llu)", inner,
			 short_path(cwd, file), (unsigned long long)line);
	free(scopes);
}

static const char *elf_where(const char *cwd, const struct elf_mod *m,
			     uint64_t pc, char *buf, size_t len)
{
	char inl[512];
	GElf_Addr addr = pc - m->bias, off = 0;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL,
						NULL, NULL);
	Dwfl_Line *line = dwfl_module_getsrc(m->mod, addr);
	const char *file = NULL;
	int lineno = 0;
	int n;

	if (name)
		n = snprintf(buf, len, "%s+0x%" PRIx64, name, (uint64_t)off);
	else
		n = snprintf(buf, len, "%s+0x%" PRIx64, m->name, addr);
	if (line)
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	if (file && lineno > 0 && n >= 0 && (size_t)n < len) {
		inlined_at(cwd, m, addr, inl, sizeof(inl));
		snprintf(buf + n, len - (size_t)n, " at %s:%d%s",
			 short_path(cwd, file), lineno, inl);
	}
	return buf;
}

const char *torn_syms_where(const struct torn_syms *s, uint64_t pc, char *buf,
			    size_t len)
{
	size_t i;

	for (i = 0; i < s->mods->len; i++) {
		const struct elf_mod *m =
			&g_array_index(s->mods, struct elf_mod, i);

		if (pc >= m->lo && pc < m->hi)
			return elf_where(s->cwd, m, pc, buf, len);
	}
	return kallsyms_where(s, pc, buf, len);
}

size_t torn_syms_n_files(const struct torn_syms *s)
{
	return s->mods->len;
}

/* ---- /proc/PID/maps ------------------------------------------------------ */

int torn_syms_parse_maps(const char *text,
			 int (*cb)(const struct torn_syms_map *m, void *arg),
			 void *arg)
{
	char **lines = g_strsplit(text ? text : "", "\n", -1), **l;
	int ret = 0;

	for (l = lines; *l && !ret; l++) {
		unsigned long long lo, hi, off, inode;
		char perms[8];
		int end = 0;
		struct torn_syms_map m;

		if (sscanf(*l, "%llx-%llx %7s %llx %*s %llu %n", &lo, &hi,
			   perms, &off, &inode, &end) != 5 ||
		    !end || (*l)[end] != '/' || lo >= hi || !inode)
			continue;
		m.lo = lo;
		m.hi = hi;
		m.offset = off;
		m.path = *l + end;
		ret = cb(&m, arg);
	}
	g_strfreev(lines);
	return ret;
}
