/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Symbols for PCs: the guest's kallsyms, the workload's ELF symbols. */
#include <elf.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

static int by_addr(const void *a, const void *b)
{
	const struct replay_sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void symtab_add(struct replay_symtab *t, size_t *cap, uint64_t addr,
		       uint64_t size, const char *name)
{
	if (t->n == *cap) {
		*cap = *cap ? 2 * *cap : 1024;
		t->v = g_renew(struct replay_sym, t->v, *cap);
	}
	t->v[t->n].addr = addr;
	t->v[t->n].size = size;
	t->v[t->n].name = g_strdup(name);
	t->n++;
}

void replay_load_kallsyms(const char *path, struct replay_symtab *t)
{
	gchar *text = NULL;
	char **lines, **l;
	size_t cap = 0;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	for (l = lines; *l; l++) {
		char name[256], type;
		unsigned long long addr;

		if (sscanf(*l, "%llx %c %255s", &addr, &type, name) == 3 &&
		    addr && (type == 't' || type == 'T'))
			symtab_add(t, &cap, addr, 0, name);
	}
	g_strfreev(lines);
	g_free(text);
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
}

void replay_load_elf(const char *path, struct replay_symtab *t)
{
	gchar *d = NULL;
	gsize len;
	const Elf64_Ehdr *eh;
	size_t cap = 0, i;

	if (!g_file_get_contents(path, &d, &len, NULL))
		return;
	eh = (const Elf64_Ehdr *)d;
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > len ||
	    (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
		goto out;
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh =
			(const Elf64_Shdr *)(d + eh->e_shoff) + i;
		const Elf64_Shdr *str;
		size_t k, nsyms;

		if (sh->sh_type != SHT_SYMTAB || sh->sh_link >= eh->e_shnum ||
		    sh->sh_offset > len || sh->sh_size > len - sh->sh_offset)
			continue;
		str = (const Elf64_Shdr *)(d + eh->e_shoff) + sh->sh_link;
		if (str->sh_offset > len || str->sh_size > len - str->sh_offset)
			continue;
		nsyms = sh->sh_size / sizeof(Elf64_Sym);
		for (k = 0; k < nsyms; k++) {
			const Elf64_Sym *sy =
				(const Elf64_Sym *)(d + sh->sh_offset) + k;
			const char *name;

			if (ELF64_ST_TYPE(sy->st_info) != STT_FUNC ||
			    !sy->st_value || sy->st_name >= str->sh_size)
				continue;
			name = d + str->sh_offset + sy->st_name;
			if (!memchr(name, 0, str->sh_size - sy->st_name))
				continue;
			symtab_add(t, &cap, sy->st_value, sy->st_size, name);
		}
	}
	qsort(t->v, t->n, sizeof(*t->v), by_addr);
out:
	g_free(d);
}

const char *replay_symbolize(const struct replay_symtab *t, uint64_t pc,
			     char *buf, size_t len)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	lo--;
	if (t->v[lo].size && pc >= t->v[lo].addr + t->v[lo].size)
		return NULL;
	if (pc - t->v[lo].addr > 0x100000)
		return NULL;
	snprintf(buf, len, "%s+0x%" PRIx64, t->v[lo].name, pc - t->v[lo].addr);
	return buf;
}

void replay_symtab_free(struct replay_symtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		g_free(t->v[i].name);
	g_free(t->v);
}
