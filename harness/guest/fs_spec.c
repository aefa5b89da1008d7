/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Filesystem kinds of the user's own: a spec's [fs] group, read into a
 * struct torn_fs and registered (torn_fs.h), and written back into a run
 * directory (fs.spec) so that checking and replay know the kind the
 * trace ran on.
 */
#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "torn_quote.h"

static const char *const fs_keys[] = { "name",	   "namespace", "dax",
				       "modules",  "mkfs",	"mount",
				       "umount",   "fsck",	"origin",
				       "blockdev", NULL };

int guest_spec_line(const char *text, const char *group, const char *key)
{
	char **lines = g_strsplit(text, "\n", -1);
	size_t glen = strlen(group), klen = strlen(key);
	int line = 0, in = 0;

	for (int i = 0; lines[i]; i++) {
		char *l = g_strstrip(g_strdup(lines[i]));

		if (l[0] == '[') {
			in = !strncmp(l + 1, group, glen) && l[1 + glen] == ']';
		} else if (in && !strncmp(l, key, klen)) {
			const char *rest = l + klen;

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest == '=')
				line = i + 1;
		}
		g_free(l);
	}
	g_strfreev(lines);
	return line;
}

/* A value as words, the way a shell quotes them (never run by one). */
static int words(const char *v, char ***out, char *why, size_t len)
{
	GError *e = NULL;
	int argc;

	*out = NULL;
	if (!g_shell_parse_argv(v, &argc, out, &e)) {
		snprintf(why, len, "%s", e->message);
		g_error_free(e);
		return -1;
	}
	return 0;
}

/*
 * mount's mount(2) form: "mount -t TYPE [-o OPTIONS] {dev} {mnt}", which
 * the agent does as one call, the way the built-in kinds mount.
 */
static void mount2_form(struct torn_fs *fs, char **m)
{
	int n = (int)g_strv_length(m);

	if (n == 5 && !strcmp(m[0], "mount") && !strcmp(m[1], "-t") &&
	    !strcmp(m[3], "{dev}") && !strcmp(m[4], "{mnt}")) {
		fs->fstype = m[2];
		fs->mount_data = "";
	} else if (n == 7 && !strcmp(m[0], "mount") && !strcmp(m[1], "-t") &&
		   !strcmp(m[3], "-o") && !strcmp(m[5], "{dev}") &&
		   !strcmp(m[6], "{mnt}")) {
		fs->fstype = m[2];
		fs->mount_data = m[4];
	}
}

static int bad(struct torn_err *err, const char *src, int line, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
static int bad(struct torn_err *err, const char *src, int line, const char *fmt,
	       ...)
{
	char q[300], msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return torn_err_set(err, TORN_E_FORMAT, "%s:%d: [fs] %s",
			    torn_quote(src, q, sizeof(q)), line, msg);
}

int guest_fs_parse(GKeyFile *kf, const char *text, const char *src, int *kind,
		   struct torn_err *err)
{
	struct torn_fs *fs = g_new0(struct torn_fs, 1);
	char ***vecs[] = { (char ***)&fs->modules, (char ***)&fs->mkfs,
			   (char ***)&fs->mount, (char ***)&fs->umount,
			   (char ***)&fs->fsck };
	const char *vkeys[] = { "modules", "mkfs", "mount", "umount", "fsck" };
	gchar **keys = g_key_file_get_keys(kf, "fs", NULL, NULL);
	char why[300], *v;
	int ret = 0, ns;

	for (int i = 0; keys && keys[i] && !ret; i++) {
		bool known = false;

		for (int k = 0; fs_keys[k]; k++)
			known |= !strcmp(keys[i], fs_keys[k]);
		if (!known)
			ret = bad(
				err, src, guest_spec_line(text, "fs", keys[i]),
				"unknown key '%s' (name, namespace, dax, modules, mkfs, mount, umount, fsck, origin, blockdev)",
				keys[i]);
	}
	g_strfreev(keys);
	v = ret ? NULL : g_key_file_get_string(kf, "fs", "name", NULL);
	if (!ret && (!v || !*v ||
		     strspn(v, "abcdefghijklmnopqrstuvwxyz"
			       "0123456789-_") != strlen(v)))
		ret = bad(err, src, guest_spec_line(text, "fs", "name"),
			  "name '%s': expected letters, digits, - and _",
			  v ? v : "");
	fs->name = v;
	v = ret ? NULL : g_key_file_get_string(kf, "fs", "namespace", NULL);
	ns = torn_fs_ns_parse(v);
	if (!ret && ns < 0)
		ret = bad(err, src, guest_spec_line(text, "fs", "namespace"),
			  "namespace '%s': expected fsdax, sector or devdax",
			  v ? v : "");
	fs->ns = ns;
	g_free(v);
	v = ret ? NULL : g_key_file_get_string(kf, "fs", "dax", NULL);
	if (!ret && v && strcmp(v, "yes") && strcmp(v, "no"))
		ret = bad(err, src, guest_spec_line(text, "fs", "dax"),
			  "dax '%s': expected yes or no", v);
	fs->dax = v && !strcmp(v, "yes");
	g_free(v);
	v = ret ? NULL : g_key_file_get_string(kf, "fs", "origin", NULL);
	if (v) {
		char *end;
		unsigned long mb = strtoul(v, &end, 10);

		if (end == v || (*end && strcmp(end, "M")) || !mb ||
		    mb > TORN_FS_ORIGIN_MB_MAX)
			ret = bad(
				err, src, guest_spec_line(text, "fs", "origin"),
				"origin '%s': expected the origin disk's size, 1M to %uM",
				v, TORN_FS_ORIGIN_MB_MAX);
		fs->origin_mb = (unsigned int)mb;
	}
	g_free(v);
	v = ret ? NULL : g_key_file_get_string(kf, "fs", "blockdev", NULL);
	if (!ret && v && strncmp(v, "/dev/", 5))
		ret = bad(err, src, guest_spec_line(text, "fs", "blockdev"),
			  "blockdev '%s': expected a device under /dev/", v);
	fs->blockdev = v;
	for (size_t i = 0; i < G_N_ELEMENTS(vkeys) && !ret; i++) {
		v = g_key_file_get_string(kf, "fs", vkeys[i], NULL);
		if (v && words(v, vecs[i], why, sizeof(why)))
			ret = bad(err, src,
				  guest_spec_line(text, "fs", vkeys[i]),
				  "%s: %s", vkeys[i], why);
		g_free(v);
	}
	if (!ret && fs->ns == TORN_NS_DEVDAX && (fs->mount || fs->mkfs))
		ret = bad(
			err, src, guest_spec_line(text, "fs", "namespace"),
			"namespace devdax has no filesystem: no mkfs or mount");
	if (!ret && fs->ns != TORN_NS_DEVDAX && !fs->mount)
		ret = bad(err, src, guest_spec_line(text, "fs", "namespace"),
			  "mount is needed (namespace %s)",
			  torn_fs_ns_name(fs->ns));
	if (!ret && fs->dax && fs->ns == TORN_NS_SECTOR)
		ret = bad(
			err, src, guest_spec_line(text, "fs", "dax"),
			"dax = yes on a sector namespace: the BTT has no DAX");
	if (!ret && fs->mount)
		mount2_form(fs, (char **)fs->mount);
	if (!ret) {
		*kind = torn_fs_register(fs, why, sizeof(why));
		if (*kind < 0)
			ret = bad(err, src, guest_spec_line(text, "fs", "name"),
				  "%s", why);
	}
	if (ret || torn_fs_get(*kind) != fs) {
		/* an error, or the same kind registered already */
		for (size_t i = 0; i < G_N_ELEMENTS(vecs); i++)
			g_strfreev(*vecs[i]);
		g_free((char *)fs->name);
		g_free((char *)fs->blockdev);
		g_free(fs);
	}
	return ret;
}

int guest_fs_load(const char *path, int *kind, struct torn_err *err)
{
	GKeyFile *kf = g_key_file_new();
	GError *e = NULL;
	gchar *text = NULL;
	gsize len;
	int ret;

	if (!g_file_get_contents(path, &text, &len, &e) ||
	    !g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
		ret = torn_err_set(err, TORN_E_FORMAT, "%s", e->message);
		g_error_free(e);
	} else {
		ret = guest_fs_parse(kf, text, path, kind, err);
	}
	g_free(text);
	g_key_file_free(kf);
	return ret;
}

static void put_words(GKeyFile *kf, const char *key, const char *const *argv)
{
	GString *s = g_string_new(NULL);

	if (!argv)
		goto out;
	for (; *argv; argv++) {
		char *q = g_shell_quote(*argv);

		g_string_append_printf(s, "%s%s", s->len ? " " : "", q);
		g_free(q);
	}
	g_key_file_set_string(kf, "fs", key, s->str);
out:
	g_string_free(s, TRUE);
}

char *guest_fs_text(const struct torn_fs *fs)
{
	GKeyFile *kf = g_key_file_new();
	char *text;

	g_key_file_set_string(kf, "fs", "name", fs->name);
	g_key_file_set_string(kf, "fs", "namespace", torn_fs_ns_name(fs->ns));
	g_key_file_set_string(kf, "fs", "dax", fs->dax ? "yes" : "no");
	put_words(kf, "modules", fs->modules);
	put_words(kf, "mkfs", fs->mkfs);
	put_words(kf, "mount", fs->mount);
	put_words(kf, "umount", fs->umount);
	put_words(kf, "fsck", fs->fsck);
	if (fs->origin_mb) {
		char mb[32];

		snprintf(mb, sizeof(mb), "%uM", fs->origin_mb);
		g_key_file_set_string(kf, "fs", "origin", mb);
	}
	if (fs->blockdev)
		g_key_file_set_string(kf, "fs", "blockdev", fs->blockdev);
	text = g_key_file_to_data(kf, NULL, NULL);
	g_key_file_free(kf);
	return text;
}

int guest_fs_load_run(const char *dir, const char *name, int *kind,
		      struct torn_err *err)
{
	char *path;
	int ret;

	*kind = torn_fs_kind_parse(name);
	if (*kind >= 0)
		return 0;
	path = g_strdup_printf("%s/fs.spec", dir);
	if (access(path, R_OK)) {
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "meta.json: unknown fs '%s' and no %s", name,
				   path);
	} else {
		ret = guest_fs_load(path, kind, err);
		if (!ret && strcmp(torn_fs_kind_name(*kind), name))
			ret = torn_err_set(err, TORN_E_FORMAT,
					   "%s names kind '%s', not '%s'", path,
					   torn_fs_kind_name(*kind), name);
	}
	g_free(path);
	return ret;
}
