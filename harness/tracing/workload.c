/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What torn trace records: the workload by name or fsops file, and where. */
#include <glib.h>
#include <string.h>

#include "fsops.h"
#include "tracing.h"

int torn_trace_out_check(const char *out, struct torn_err *err)
{
	if (!out)
		return torn_err_set(err, TORN_E_USAGE, "--out DIR is required");
	if (strchr(out, ','))
		return torn_err_set(
			err, TORN_E_USAGE,
			"--out '%s' must not contain a comma (QEMU splits plugin arguments at commas)",
			out);
	return 0;
}

/* A user's fsops file, parsed here so that a bad one fails before a boot. */
static int user_workload(const char *name, struct torn_trace_workload *w,
			 struct torn_err *err)
{
	const char *path = name + strlen("fsops:");
	struct torn_fsops *ops = NULL;
	gchar *text = NULL;
	GError *ge = NULL;
	gsize len;
	int ret;

	if (!g_file_get_contents(path, &text, &len, &ge)) {
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "--workload: cannot read '%s': %s", path,
				   ge->message);
		g_error_free(ge);
		return ret;
	}
	ret = torn_fsops_parse(text, len, path, &ops, err);
	if (ret) {
		g_free(text);
		return ret;
	}
	torn_fsops_free(ops);
	w->user = *torn_workload_find("fsops-default");
	w->user.name = name;
	w->user.fsops_text = text;
	w->user.summary = "a user's fsops file";
	w->text = text;
	w->wl = &w->user;
	return 0;
}

int torn_trace_workload(const char *name, int fs_kind,
			struct torn_trace_workload *w, struct torn_err *err)
{
	const struct torn_fs *fs = torn_fs_get(fs_kind);
	unsigned int need = fs->ns == TORN_NS_DEVDAX ? TORN_WL_DEVDAX
			    : fs->dax		     ? TORN_WL_FS
						     : TORN_WL_NODAX;
	int ret;

	memset(w, 0, sizeof(*w));
	if (!name)
		name = fs->ns == TORN_NS_DEVDAX ? "pmem" : "fsops-default";
	if (!strncmp(name, "fsops:", 6)) {
		ret = user_workload(name, w, err);
		if (ret)
			return ret;
	} else {
		w->wl = torn_workload_find(name);
	}
	if (!w->wl)
		return torn_err_set(
			err, TORN_E_NOTFOUND,
			"--workload '%s': unknown; 'torn trace --help' lists them",
			name);
	if ((w->wl->flags & TORN_WL_BLOCK) && !fs->blockdev) {
		ret = torn_err_set(
			err, TORN_E_USAGE,
			"workload %s writes a block device; %s has none (dm-writecache has)",
			name, torn_fs_kind_name(fs_kind));
		torn_trace_workload_clear(w);
		return ret;
	}
	if (!(w->wl->flags & (need | TORN_WL_BLOCK))) {
		ret = torn_err_set(
			err, TORN_E_USAGE,
			need == TORN_WL_NODAX
				? "workload %s does not run on %s (it needs DAX)"
				: "workload %s does not run on %s",
			name, torn_fs_kind_name(fs_kind));
		torn_trace_workload_clear(w);
		return ret;
	}
	return 0;
}

void torn_trace_workload_clear(struct torn_trace_workload *w)
{
	g_free(w->text);
	g_free(w->name);
	g_free(w->program);
	g_free(w->checker);
	g_strfreev(w->args);
	g_strfreev(w->envs);
	g_strfreev(w->setup);
	g_free(w->stage);
	memset(w, 0, sizeof(*w));
}
