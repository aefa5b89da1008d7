/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --explain: what each in-flight line is in the filesystem, read from an
 * image with the filesystem's own tools on the host (e2fsprogs' dumpe2fs
 * and debugfs, xfsprogs' xfs_db): the block, and the structure it holds.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsmap.h"

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* A tool's stdout, or NULL (with nothing printed: the caller says so). */
static char *tool(char **argv)
{
	gchar *out = NULL;
	gint status = 0;

	if (!g_spawn_sync(NULL, argv, NULL,
			  G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
			  NULL, NULL, &out, NULL, &status, NULL))
		return NULL;
	if (!g_spawn_check_wait_status(status, NULL)) {
		g_free(out);
		return NULL;
	}
	return out;
}

/* One line in flight, what it is. */
struct fs_line {
	uint64_t off, blk;
	uint32_t inode; /* of an inode table line */
	uint32_t owner, final_owner;
	char what[320];
};

/* A row of m: what; offset UINT64_MAX for a note about the whole map. */
static struct torn_fsmap_row *add_row(struct torn_fsmap *m, uint64_t offset,
				      const char *what)
{
	struct torn_fsmap_row *r;

	m->rows = g_renew(struct torn_fsmap_row, m->rows, m->n + 1);
	r = &m->rows[m->n++];
	memset(r, 0, sizeof(*r));
	r->offset = offset;
	snprintf(r->what, sizeof(r->what), "%s", what);
	return r;
}

/* A row per line (torn_fsmap_print merges them for the terminal). */
static void add_rows(const struct fs_line *v, size_t n, struct torn_fsmap *m)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct torn_fsmap_row *r =
			add_row(m, v[i].off + TORN_NS_DATA_OFFSET, v[i].what);

		r->block = v[i].blk;
		r->has_block = true;
	}
}

static char *replayed(const uint8_t *img, uint64_t size, gchar **bytes);

/* final's replayed copy, made the first time a map asks; false: none. */
static bool final_ready(struct torn_fsmap_final *f, uint64_t size)
{
	gchar *data = NULL;
	gsize len = 0;

	if (!f || !f->path)
		return false;
	if (!f->tried) {
		f->tried = true;
		if (g_file_get_contents(f->path, &data, &len, NULL) &&
		    len == size)
			f->file = replayed((const uint8_t *)data, size,
					   &f->bytes);
		g_free(data);
	}
	return f->file != NULL;
}

/* ---- ext4 ---------------------------------------------------------------- */

struct ext4_group {
	uint64_t sb, gdt_lo, gdt_hi, rsv_lo, rsv_hi, bbitmap, ibitmap,
		itable_lo, itable_hi;
	bool has_sb, has_rsv;
};

struct ext4 {
	const uint8_t *img; /* the filesystem's first byte */
	uint64_t size;
	uint32_t bs, ipg, isize, desc_size;
	GArray *groups; /* struct ext4_group */
	const char *file; /* img as it is: the journal's own view */
	/* img with its journal replayed (what recovery makes of it) */
	const char *rec_file;
	const uint8_t *rec;
};

static uint64_t after(const char *line, const char *key, uint64_t *hi)
{
	const char *p = strstr(line, key);
	char *end;
	uint64_t v;

	if (!p)
		return UINT64_MAX;
	v = strtoull(p + strlen(key), &end, 10);
	if (hi)
		*hi = *end == '-' ? strtoull(end + 1, NULL, 10) : v;
	return v;
}

/* dumpe2fs's group table: where each group's metadata is. */
static bool ext4_groups(struct ext4 *e)
{
	char *argv[] = { "dumpe2fs", (char *)e->rec_file, NULL };
	char *out = tool(argv), **lines, **l;
	struct ext4_group *g = NULL;

	if (!out)
		return false;
	e->groups = g_array_new(FALSE, TRUE, sizeof(struct ext4_group));
	lines = g_strsplit(out, "\n", -1);
	g_free(out);
	for (l = lines; *l; l++) {
		uint64_t v, hi;
		unsigned int gno;

		/* "Group 3: (Blocks ...", never "Group descriptor size:" */
		if (sscanf(*l, "Group %u: (Blocks", &gno) == 1) {
			struct ext4_group z = { 0 };

			g_array_append_val(e->groups, z);
			g = &g_array_index(e->groups, struct ext4_group,
					   e->groups->len - 1);
			continue;
		}
		if (!g)
			continue;
		if ((v = after(*l, "superblock at ", NULL)) != UINT64_MAX) {
			g->sb = v;
			g->has_sb = true;
			g->gdt_lo =
				after(*l, "Group descriptors at ", &g->gdt_hi);
		}
		if ((v = after(*l, "Reserved GDT blocks at ", &hi)) !=
		    UINT64_MAX) {
			g->rsv_lo = v;
			g->rsv_hi = hi;
			g->has_rsv = true;
		}
		if ((v = after(*l, "Block bitmap at ", NULL)) != UINT64_MAX)
			g->bbitmap = v;
		if ((v = after(*l, "Inode bitmap at ", NULL)) != UINT64_MAX)
			g->ibitmap = v;
		if ((v = after(*l, "Inode table at ", &hi)) != UINT64_MAX) {
			g->itable_lo = v;
			g->itable_hi = hi;
		}
	}
	g_strfreev(lines);
	return e->groups->len > 0;
}

/* debugfs -R REQ FILE's stdout, or NULL. */
static char *debugfs(const char *file, const char *req)
{
	char *argv[] = { "debugfs", "-R", (char *)req, (char *)file, NULL };

	return tool(argv);
}

/* The paths of inodes (debugfs ncheck), by inode number. */
static GHashTable *ext4_paths(const char *file, GArray *inodes)
{
	GHashTable *paths = g_hash_table_new_full(g_direct_hash, g_direct_equal,
						  NULL, g_free);
	GString *req = g_string_new("ncheck -c");
	char *out, **lines, **l;
	guint i;

	for (i = 0; i < inodes->len; i++)
		g_string_append_printf(req, " %u",
				       g_array_index(inodes, uint32_t, i));
	out = inodes->len ? debugfs(file, req->str) : NULL;
	lines = g_strsplit(out ? out : "", "\n", -1);
	for (l = lines; *l; l++) {
		unsigned int ino;
		int at = 0;

		if (sscanf(*l, "%u%*[\t ]%n", &ino, &at) != 1 || !at ||
		    g_hash_table_contains(paths, GUINT_TO_POINTER(ino)))
			continue;
		/* debugfs 1.47 names a file of the root "//b" */
		while ((*l)[at] == '/' && (*l)[at + 1] == '/')
			at++;
		g_hash_table_insert(paths, GUINT_TO_POINTER(ino),
				    g_strdup(*l + at));
	}
	g_strfreev(lines);
	g_free(out);
	g_string_free(req, TRUE);
	return paths;
}

/* The inode owning each of blocks[n] (debugfs icheck); 0: none. */
static void ext4_owners(const char *file, const uint64_t *blocks, size_t n,
			uint32_t *owner)
{
	GString *req = g_string_new("icheck");
	char *out, **lines, **l;
	size_t i;

	for (i = 0; i < n; i++) {
		owner[i] = 0;
		g_string_append_printf(req, " %" PRIu64, blocks[i]);
	}
	out = n ? debugfs(file, req->str) : NULL;
	lines = g_strsplit(out ? out : "", "\n", -1);
	for (l = lines; *l; l++) {
		unsigned long long b;
		unsigned int ino;

		if (sscanf(*l, "%llu %u", &b, &ino) != 2)
			continue;
		for (i = 0; i < n; i++)
			if (blocks[i] == b)
				owner[i] = ino;
	}
	g_strfreev(lines);
	g_free(out);
	g_string_free(req, TRUE);
}

/* ---- the journal: its blocks (stat <8>) and what logdump says of each --- */

struct jmap {
	GArray *ext; /* uint64_t triples: logical, physical, count */
	GHashTable *what; /* logical block + 1 -> its description */
	GHashTable *logs; /* logical block + 1 -> the fs block it logs + 1 */
};

static void jmap_extents(struct jmap *j, const char *file)
{
	char *out = debugfs(file, "stat <8>");
	const char *p = out ? strstr(out, "EXTENTS:") : NULL;

	j->ext = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	while (p && (p = strchr(p, '('))) {
		unsigned long long l0, l1, p0, p1;
		uint64_t v[3];

		if (sscanf(p, "(%llu-%llu):%llu-%llu", &l0, &l1, &p0, &p1) ==
		    4) {
			v[0] = l0;
			v[1] = p0;
			v[2] = l1 - l0 + 1;
		} else if (sscanf(p, "(%llu):%llu", &l0, &p0) == 2) {
			v[0] = l0;
			v[1] = p0;
			v[2] = 1;
		} else {
			p++;
			continue;
		}
		g_array_append_vals(j->ext, v, 3);
		p++;
	}
	g_free(out);
}

/* logdump -a: descriptor, commit, revoke blocks and the blocks logged. */
static void jmap_logdump(struct jmap *j, const char *file)
{
	char *out = debugfs(file, "logdump -a"), **lines, **l;
	unsigned int seq = 0;

	j->what = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
					g_free);
	j->logs = g_hash_table_new(g_direct_hash, g_direct_equal);
	lines = g_strsplit(out ? out : "", "\n", -1);
	g_free(out);
	for (l = lines; *l; l++) {
		unsigned int s, t, at;
		unsigned long long fsb, jb;
		char type[64];

		if (sscanf(*l,
			   "Found expected sequence %u, type %u (%63[^)]) at block %u",
			   &s, &t, type, &at) == 4) {
			seq = s;
			g_hash_table_replace(
				j->what, GUINT_TO_POINTER(at + 1),
				g_strdup_printf("journal %s of transaction %u",
						type, s));
		} else if (sscanf(*l,
				  " FS block %llu logged at journal block %llu",
				  &fsb, &jb) == 2) {
			g_hash_table_replace(
				j->what, GSIZE_TO_POINTER(jb + 1),
				g_strdup_printf(
					"journal: block %llu as transaction %u logs it",
					fsb, seq));
			g_hash_table_replace(j->logs, GSIZE_TO_POINTER(jb + 1),
					     GSIZE_TO_POINTER(fsb + 1));
		}
	}
	g_strfreev(lines);
}

/* The journal's logical block at physical block phys, or -1. */
static int64_t jmap_logical(const struct jmap *j, uint64_t phys)
{
	guint i;

	for (i = 0; i + 2 < j->ext->len; i += 3) {
		uint64_t *v = &g_array_index(j->ext, uint64_t, i);

		if (phys >= v[1] && phys < v[1] + v[2])
			return (int64_t)(v[0] + phys - v[1]);
	}
	return -1;
}

/* A journal block by its jbd2 header (big-endian), when logdump has none. */
static void jbd2_block(const uint8_t *b, int64_t logical, char *buf, size_t len)
{
	static const char *const types[] = { "",
					     "descriptor block",
					     "commit block",
					     "superblock (v1)",
					     "superblock",
					     "revoke block",
					     "fast-commit block" };
	uint32_t type = be32(b + 4);

	if (be32(b) != 0xc03b3998u || !type || type >= G_N_ELEMENTS(types))
		snprintf(
			buf, len,
			"journal block %" PRId64
			": past the log logdump reads, no jbd2 header (a block being logged)",
			logical);
	else if (type == 3 || type == 4)
		snprintf(buf, len, "journal %s", types[type]);
	else
		snprintf(buf, len, "journal %s of transaction %u", types[type],
			 be32(b + 8));
}

/* What metadata block blk (a line at byte off of the fs) is, or false. */
static bool ext4_meta(const struct ext4 *e, uint64_t blk, uint64_t off,
		      uint32_t *inode, char *buf, size_t len)
{
	guint g;

	*inode = 0;
	if (off >= 1024 && off < 2048) {
		snprintf(buf, len, "superblock");
		return true;
	}
	for (g = 0; g < e->groups->len; g++) {
		const struct ext4_group *x =
			&g_array_index(e->groups, struct ext4_group, g);

		if (x->has_sb && blk == x->sb && g) {
			snprintf(buf, len, "backup superblock (group %u)", g);
			return true;
		}
		if (x->has_sb && blk >= x->gdt_lo && blk <= x->gdt_hi) {
			uint64_t at = off - x->gdt_lo * e->bs;

			snprintf(buf, len,
				 "%sgroup descriptor of group %" PRIu64,
				 g ? "backup " : "", at / e->desc_size);
			return true;
		}
		if (x->has_rsv && blk >= x->rsv_lo && blk <= x->rsv_hi) {
			snprintf(buf, len, "reserved GDT block of group %u", g);
			return true;
		}
		if (blk == x->bbitmap) {
			snprintf(buf, len, "block bitmap of group %u", g);
			return true;
		}
		if (blk == x->ibitmap) {
			snprintf(buf, len, "inode bitmap of group %u", g);
			return true;
		}
		if (blk >= x->itable_lo && blk <= x->itable_hi && e->isize) {
			uint64_t at = off - x->itable_lo * e->bs;

			*inode = (uint32_t)(g * e->ipg + at / e->isize + 1);
			snprintf(buf, len, "inode table of group %u: inode %u",
				 g, *inode);
			return true;
		}
	}
	if (!blk) {
		snprintf(buf, len, "block 0 (before the superblock)");
		return true;
	}
	return false;
}

/* The mode of inode ino in the image, 0 when it cannot be read. */
static uint16_t ext4_mode(const struct ext4 *e, const uint8_t *img,
			  uint32_t ino)
{
	uint32_t g = (ino - 1) / e->ipg, i = (ino - 1) % e->ipg;
	uint64_t at;

	if (!ino || g >= e->groups->len)
		return 0;
	at = g_array_index(e->groups, struct ext4_group, g).itable_lo * e->bs +
	     (uint64_t)i * e->isize;
	return at + 2 <= e->size ? le16(img + at) : 0;
}

/* A block inode ino holds in img (the crash point's, or the final). */
static void ext4_owned(const struct ext4 *e, const uint8_t *img, uint64_t blk,
		       uint32_t ino, const char *path, char *buf, size_t len)
{
	bool extent = le16(img + blk * e->bs) == 0xf30a;
	uint16_t mode = ext4_mode(e, img, ino);

	if (ino == 7)
		snprintf(buf, len, "resize inode (reserved GDT)");
	else
		snprintf(buf, len, "%s of inode %u%s%s",
			 extent			     ? "extent tree block"
			 : (mode & 0xf000) == 0x4000 ? "directory block"
						     : "data block",
			 ino, path ? " " : "", path ? path : "");
}

/*
 * logdump's words d for a journal block; fsb1: the fs block it logs + 1;
 * in: the line's offset in the block, which is the same in the block
 * logged.
 */
static void logged(const struct ext4 *e, const char *d, size_t fsb1,
		   uint64_t in, char *buf, size_t len)
{
	char meta[256];
	uint32_t ino;

	if (!fsb1 || !ext4_meta(e, fsb1 - 1, (fsb1 - 1) * e->bs + in, &ino,
				meta, sizeof(meta)))
		snprintf(buf, len, "%s", d);
	else
		snprintf(buf, len, "%s (%s)", d, meta);
}

/* Lines no metadata range names: their owners, at the point and at the end. */
static void ext4_lines_owned(const struct ext4 *e, struct torn_fsmap_final *fin,
			     struct fs_line *v, size_t n)
{
	const uint8_t *final = NULL;
	uint64_t *ask = g_new0(uint64_t, n + 1);
	uint32_t *own = g_new0(uint32_t, n + 1);
	GArray *inodes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	GHashTable *paths, *fpaths = NULL;
	struct jmap j = { 0 };
	size_t i, k = 0, nf = 0;

	for (i = 0; i < n; i++)
		if (!v[i].what[0])
			ask[k++] = v[i].blk;
	ext4_owners(e->rec_file, ask, k, own);
	for (i = 0, k = 0; i < n; i++) {
		if (!v[i].what[0])
			v[i].owner = own[k++];
		if (v[i].inode || (v[i].owner && v[i].owner != 8)) {
			uint32_t ino = v[i].inode ? v[i].inode : v[i].owner;

			g_array_append_val(inodes, ino);
		}
	}
	paths = ext4_paths(e->rec_file, inodes);
	/* blocks no inode holds yet: the end of the trace may say */
	for (i = 0, k = 0; i < n; i++)
		if (!v[i].what[0] && !v[i].owner)
			ask[k++] = v[i].blk;
	if (k && final_ready(fin, e->size + TORN_NS_DATA_OFFSET)) {
		final = (const uint8_t *)fin->bytes;
		ext4_owners(fin->file, ask, k, own);
		g_array_set_size(inodes, 0);
		for (i = 0, nf = 0; i < n; i++)
			if (!v[i].what[0] && !v[i].owner &&
			    (v[i].final_owner = own[nf++]))
				g_array_append_val(inodes, v[i].final_owner);
		fpaths = ext4_paths(fin->file, inodes);
	}
	for (i = 0; i < n; i++) {
		struct fs_line *x = &v[i];
		const char *p;

		if (x->inode) {
			p = g_hash_table_lookup(paths,
						GUINT_TO_POINTER(x->inode));
			if (p)
				snprintf(x->what + strlen(x->what),
					 sizeof(x->what) - strlen(x->what),
					 " %s", p);
		} else if (x->what[0]) {
			continue;
		} else if (x->owner == 8) {
			int64_t lb;
			const char *d;

			if (!j.ext) {
				jmap_extents(&j, e->file);
				jmap_logdump(&j, e->file);
			}
			lb = jmap_logical(&j, x->blk);
			d = lb < 0 ? NULL
				   : g_hash_table_lookup(
					     j.what, GSIZE_TO_POINTER(lb + 1));
			if (lb == 0)
				snprintf(x->what, sizeof(x->what),
					 "journal superblock");
			else if (d)
				logged(e, d,
				       GPOINTER_TO_SIZE(g_hash_table_lookup(
					       j.logs,
					       GSIZE_TO_POINTER(lb + 1))),
				       x->off % e->bs, x->what,
				       sizeof(x->what));
			else
				jbd2_block(e->img + x->blk * e->bs, lb, x->what,
					   sizeof(x->what));
		} else if (x->owner) {
			ext4_owned(e, e->rec, x->blk, x->owner,
				   g_hash_table_lookup(
					   paths, GUINT_TO_POINTER(x->owner)),
				   x->what, sizeof(x->what));
		} else if (x->final_owner && final) {
			char w[300];

			ext4_owned(e, final, x->blk, x->final_owner,
				   g_hash_table_lookup(
					   fpaths,
					   GUINT_TO_POINTER(x->final_owner)),
				   w, sizeof(w));
			snprintf(x->what, sizeof(x->what),
				 "no inode's yet; at the end of the trace: %s",
				 w);
		} else {
			snprintf(
				x->what, sizeof(x->what),
				"a block no inode holds, here or at the end of the trace");
		}
	}
	if (j.ext) {
		g_array_free(j.ext, TRUE);
		g_hash_table_destroy(j.what);
		g_hash_table_destroy(j.logs);
	}
	if (fpaths)
		g_hash_table_destroy(fpaths);
	g_hash_table_destroy(paths);
	g_array_free(inodes, TRUE);
	g_free(own);
	g_free(ask);
}

static void map_ext4(const struct ext4 *e, struct torn_fsmap_final *final,
		     const uint64_t *offs, size_t n, struct torn_fsmap *m)
{
	struct fs_line *v = g_new0(struct fs_line, n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		v[i].off = offs[i];
		v[i].blk = offs[i] / e->bs;
		ext4_meta(e, v[i].blk, offs[i], &v[i].inode, v[i].what,
			  sizeof(v[i].what));
	}
	ext4_lines_owned(e, final, v, n);
	add_rows(v, n, m);
	g_free(v);
}

static bool ext4_open(struct ext4 *e, const uint8_t *img, uint64_t size)
{
	const uint8_t *sb = img + 1024;

	memset(e, 0, sizeof(*e));
	if (size < 4096 || le16(sb + 56) != 0xef53 || le32(sb + 24) > 6)
		return false;
	e->img = img;
	e->size = size;
	e->bs = 1024u << le32(sb + 24);
	e->ipg = le32(sb + 40);
	e->isize = le32(sb + 76) ? le16(sb + 88) : 128; /* rev 0: 128 */
	/* 64bit feature: the descriptor size the superblock names */
	e->desc_size =
		(le32(sb + 96) & 0x80) && le16(sb + 254) ? le16(sb + 254) : 32;
	return e->ipg && e->isize;
}

/* ---- XFS ----------------------------------------------------------------- */

static void map_xfs(const char *file, const uint64_t *offs, size_t n,
		    struct torn_fsmap *m)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	char *text, **lines, **l;
	struct fs_line *v;
	size_t i = 0;

	g_ptr_array_add(argv, g_strdup("xfs_db"));
	g_ptr_array_add(argv, g_strdup("-r"));
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup("blockget -n"));
	for (i = 0; i < n; i++) {
		g_ptr_array_add(argv, g_strdup("-c"));
		g_ptr_array_add(
			argv, g_strdup_printf("daddr %" PRIu64, offs[i] / 512));
		g_ptr_array_add(argv, g_strdup("-c"));
		g_ptr_array_add(argv, g_strdup("blockuse -n"));
	}
	g_ptr_array_add(argv, g_strdup(file));
	g_ptr_array_add(argv, NULL);
	text = tool((char **)argv->pdata);
	g_ptr_array_unref(argv);
	if (!text) {
		add_row(m, UINT64_MAX, "(xfs_db could not read the image)");
		return;
	}
	/* one "block N (AG/B) type T [inode I [path]]" line per daddr */
	lines = g_strsplit(text, "\n", -1);
	v = g_new0(struct fs_line, n + 1);
	for (i = 0; i < n; i++) {
		v[i].off = offs[i];
		snprintf(v[i].what, sizeof(v[i].what),
			 "(xfs_db named nothing)");
	}
	i = 0;
	for (l = lines; *l && i < n; l++) {
		unsigned long long blk;
		const char *type = strstr(*l, " type ");

		if (sscanf(*l, "block %llu", &blk) != 1 || !type)
			continue;
		v[i].blk = blk;
		if (g_str_has_prefix(type + 6, "free"))
			snprintf(
				v[i].what, sizeof(v[i].what),
				"free in place (allocated in the log only, or not at all)");
		else if (!strcmp(type + 6, "log"))
			snprintf(v[i].what, sizeof(v[i].what), "the log");
		else
			snprintf(v[i].what, sizeof(v[i].what), "%s", type + 6);
		i++;
	}
	add_rows(v, n, m);
	g_free(v);
	g_strfreev(lines);
	g_free(text);
}

/*
 * Zero the internal log of the XFS in file (a copy): xfs_db's blockget
 * refuses a filesystem whose log holds changes, and no host tool replays
 * an XFS log, so it reads the metadata in place.  false: no XFS there.
 */
static bool xfs_zero_log(const char *file, const uint8_t *fs, uint64_t size)
{
	uint32_t bs, logblocks, agblocks;
	uint64_t logstart, at, agno, agbno;
	uint8_t agblklog;
	char *zero;
	bool ok;
	FILE *f;

	if (size < 512 || memcmp(fs, "XFSB", 4))
		return false;
	bs = be32(fs + 4);
	logstart = (uint64_t)be32(fs + 48) << 32 | be32(fs + 52);
	logblocks = be32(fs + 96);
	agblocks = be32(fs + 84);
	agblklog = fs[124];
	if (!logstart || agblklog > 31 || bs < 512 || bs > 65536)
		return true; /* an external log, or nonsense: leave it */
	agno = logstart >> agblklog;
	agbno = logstart & ((1ull << agblklog) - 1);
	at = (agno * agblocks + agbno) * bs;
	if (at > size || (uint64_t)logblocks * bs > size - at)
		return true;
	zero = g_malloc0((size_t)logblocks * bs);
	f = fopen(file, "r+");
	ok = f && !fseeko(f, (off_t)at, SEEK_SET) &&
	     fwrite(zero, bs, logblocks, f) == logblocks;
	if (f)
		ok = !fclose(f) && ok;
	g_free(zero);
	return ok;
}

/* ---- the caller ---------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The filesystem part of img in a temporary file (g_free, unlink). */
static char *fs_file(const uint8_t *img, uint64_t size)
{
	gchar *file = NULL;
	int fd = g_file_open_tmp("torn-fsmap-XXXXXX", &file, NULL);
	bool ok = fd >= 0 && write(fd, img + TORN_NS_DATA_OFFSET,
				   size - TORN_NS_DATA_OFFSET) ==
				     (ssize_t)(size - TORN_NS_DATA_OFFSET);

	if (fd >= 0)
		close(fd);
	if (!ok && file)
		g_unlink(file);
	if (!ok)
		g_clear_pointer(&file, g_free);
	return file;
}

/*
 * A copy of img's filesystem with its journal replayed (e2fsck -E
 * journal_only: nothing else checked or repaired), and its bytes.
 */
static char *replayed(const uint8_t *img, uint64_t size, gchar **bytes)
{
	char *file = fs_file(img, size);
	char *argv[] = { "e2fsck", "-y", "-E", "journal_only", file, NULL };
	gint status;
	gsize len = 0;

	*bytes = NULL;
	if (!file)
		return NULL;
	/* exit 1: the journal was replayed; either way the copy is read */
	g_spawn_sync(NULL, argv, NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
			     G_SPAWN_STDERR_TO_DEV_NULL,
		     NULL, NULL, NULL, NULL, &status, NULL);
	if (!g_file_get_contents(file, bytes, &len, NULL) ||
	    len != size - TORN_NS_DATA_OFFSET) {
		g_clear_pointer(bytes, g_free);
		g_unlink(file);
		g_clear_pointer(&file, g_free);
	}
	return file;
}

static void drop_file(char *file)
{
	if (file)
		g_unlink(file);
	g_free(file);
}

void torn_fsmap_make(const struct torn_fs *fs, const uint8_t *img,
		     struct torn_fsmap_final *final, uint64_t size,
		     const uint64_t *lines, size_t n, struct torn_fsmap *m)
{
	uint64_t *offs;
	size_t i, k = 0;
	struct ext4 e;
	char *file = NULL, *rec_file = NULL;
	gchar *rec = NULL;

	memset(m, 0, sizeof(*m));
	if (!n)
		return;
	if (!fs || (fs->ns != TORN_NS_DEVDAX && !fs->host_fsck)) {
		snprintf(
			m->header, sizeof(m->header),
			"not mapped on %s (torn reads ext4 and XFS on fsdax, and devdax offsets)",
			fs ? fs->name : "an unknown kind");
		return;
	}
	offs = g_new(uint64_t, n);
	for (i = 0; i < n; i++)
		if (lines[i] * 64 >= TORN_NS_DATA_OFFSET &&
		    lines[i] * 64 < size)
			offs[k++] = lines[i] * 64 - TORN_NS_DATA_OFFSET;
	qsort(offs, k, sizeof(*offs), by_value);
	/* below the data: the namespace's own (its info block) */
	for (i = 0; i < n; i++)
		if (lines[i] * 64 < TORN_NS_DATA_OFFSET)
			add_row(m, lines[i] * 64,
				"before the namespace's data (its info block)");
	if (fs->ns == TORN_NS_DEVDAX) {
		for (i = 0; i < k; i++) {
			char what[64];

			snprintf(what, sizeof(what),
				 "/dev/dax0.0 at 0x%" PRIx64, offs[i]);
			add_row(m, offs[i] + TORN_NS_DATA_OFFSET, what);
		}
		g_free(offs);
		return;
	}
	snprintf(
		m->header, sizeof(m->header),
		"%s on the image with every store before the crash point%s",
		fs->host_fsck == TORN_HOST_FSCK_XFS ? "xfs_db" : "debugfs",
		fs->host_fsck == TORN_HOST_FSCK_XFS
			? ", metadata in place (no host tool replays an XFS log)"
			: ", its journal replayed");
	file = size > TORN_NS_DATA_OFFSET ? fs_file(img, size) : NULL;
	if (!file)
		add_row(m, UINT64_MAX, "(cannot write a temporary image)");
	else if (fs->host_fsck == TORN_HOST_FSCK_XFS &&
		 xfs_zero_log(file, img + TORN_NS_DATA_OFFSET,
			      size - TORN_NS_DATA_OFFSET))
		map_xfs(file, offs, k, m);
	else if (fs->host_fsck == TORN_HOST_FSCK_XFS)
		add_row(m, UINT64_MAX, "(no XFS filesystem xfs_db can read)");
	else if (ext4_open(&e, img + TORN_NS_DATA_OFFSET,
			   size - TORN_NS_DATA_OFFSET) &&
		 (e.file = file) &&
		 (e.rec_file = rec_file = replayed(img, size, &rec)) &&
		 (e.rec = (const uint8_t *)rec) && ext4_groups(&e)) {
		map_ext4(&e, final, offs, k, m);
		g_array_free(e.groups, TRUE);
	} else
		add_row(m, UINT64_MAX,
			"(no ext4 filesystem dumpe2fs can read)");
	drop_file(file);
	drop_file(rec_file);
	g_free(rec);
	g_free(offs);
}

void torn_fsmap_final_fini(struct torn_fsmap_final *f)
{
	drop_file(f->file);
	g_free(f->bytes);
	memset(f, 0, sizeof(*f));
}

void torn_fsmap_print(const struct torn_fsmap *m, FILE *out)
{
	size_t i = 0, k;
	char count[32];

	if (!m->n && !m->header[0])
		return;
	if (!m->n) {
		fprintf(out, "what they are: %s\n", m->header);
		return;
	}
	if (m->header[0])
		fprintf(out, "what they are (%s):\n", m->header);
	else
		fprintf(out, "what they are:\n");
	while (i < m->n) {
		const struct torn_fsmap_row *r = &m->rows[i];

		/* one line per run of lines in one block of one meaning */
		for (k = i + 1;
		     k < m->n && r->has_block && m->rows[k].has_block &&
		     m->rows[k].block == r->block &&
		     !strcmp(m->rows[k].what, r->what);
		     k++)
			;
		i = k;
		if (r->offset == UINT64_MAX) {
			fprintf(out, "  %s\n", r->what);
			continue;
		}
		snprintf(count, sizeof(count),
			 k - (size_t)(r - m->rows) > 1 ? "%zu lines" : "",
			 k - (size_t)(r - m->rows));
		if (r->has_block)
			fprintf(out,
				"  0x%08" PRIx64 " %-9s block %-6" PRIu64
				" %s\n",
				r->offset, count, r->block, r->what);
		else
			fprintf(out, "  0x%08" PRIx64 " %-9s %s\n", r->offset,
				count, r->what);
	}
}

void torn_fsmap_fini(struct torn_fsmap *m)
{
	g_free(m->rows);
	memset(m, 0, sizeof(*m));
}
