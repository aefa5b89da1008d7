/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A user's own test (tracing.h): checked, staged and put into a workload. */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kit.h"
#include "rundir.h"
#include "tracing.h"
#include "user.h"

/* What torn_trace_user_workload gathers before it hands it over. */
struct user_build {
	GArray *items; /* struct torn_stage_item, owned host and guest */
	GHashTable *guests; /* guest path -> host path: one file a name */
	struct torn_err *err;
	int ret; /* the first error's code */
};

static void item_clear(gpointer p)
{
	struct torn_stage_item *it = p;

	g_free((char *)it->host);
	g_free((char *)it->guest);
}

/* Are a and b one file (two paths to it)? */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * Stage host at DIR/its base name; the guest path, or NULL (err set).
 * Whether it exists and runs is torn_kit_stage_build's to say.
 */
static const char *stage(struct user_build *b, const char *what,
			 const char *host, const char *dir, int kind)
{
	struct torn_stage_item it = { .kind = kind, .what = what };
	char *base = g_path_get_basename(host);
	char *guest = g_build_filename(dir, base, NULL);
	const char *other = g_hash_table_lookup(b->guests, guest);

	g_free(base);
	if (!*host || !strcmp(host, "/") || !strcmp(host, ".")) {
		b->ret = torn_err_set(b->err, TORN_E_USAGE,
				      "%s '%s': not a file name", what, host);
		g_free(guest);
		return NULL;
	}
	if (other && same_file(other, host)) {
		/* the program as its own checker: staged once */
		gpointer key = NULL;

		g_hash_table_lookup_extended(b->guests, guest, &key, NULL);
		g_free(guest);
		return key;
	}
	if (other) {
		b->ret = torn_err_set(
			b->err, TORN_E_USAGE,
			"%s '%s' and '%s' would both be %s in the guest", what,
			other, host, guest);
		g_free(guest);
		return NULL;
	}
	it.host = g_strdup(host);
	it.guest = guest;
	g_array_append_val(b->items, it);
	g_hash_table_insert(b->guests, guest, (char *)it.host);
	return guest;
}

/* err's message after "what: "; returns code. */
static int blame(struct torn_err *err, int code, const char *what)
{
	char msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	return torn_err_set(err, code, "%s: %s", what, msg);
}

/* env's words: each NAME=VALUE, TORN_FILES first. */
static int env_words(const char *env, char ***out, struct torn_err *err)
{
	char **words;
	GPtrArray *v;
	int ret = torn_user_words(env, true, "/mnt", "", &words, NULL, err);

	if (ret)
		return blame(err, ret, "env");
	v = g_ptr_array_new();
	g_ptr_array_add(v, g_strdup("TORN_FILES=" TORN_USER_FILES));
	for (char **w = words; *w; w++) {
		const char *eq = strchr(*w, '=');
		size_t n = eq ? (size_t)(eq - *w) : 0;

		if (!n ||
		    strspn(*w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "abcdefghijklmnopqrstuvwxyz"
			       "0123456789_") != n ||
		    g_ascii_isdigit(**w)) {
			ret = torn_err_set(err, TORN_E_USAGE,
					   "env: '%s' is not NAME=VALUE", *w);
			break;
		}
		g_ptr_array_add(v, g_strdup(*w));
	}
	g_strfreev(words);
	g_ptr_array_add(v, NULL);
	*out = (char **)g_ptr_array_free(v, FALSE);
	if (ret) {
		g_strfreev(*out);
		*out = NULL;
	}
	return ret;
}

/*
 * The checker's command line as the check stage reads it (shell words,
 * expanded there): env, the user's NAME=VALUE words, the program, the
 * arguments as given.
 */
static char *checker_line(char **envs, const char *prog, const char *args)
{
	GString *s = g_string_new("env");

	for (char **e = envs; *e; e++) {
		char *q = g_shell_quote(*e);

		g_string_append_printf(s, " %s", q);
		g_free(q);
	}
	g_string_append_printf(s, " %s", prog);
	if (args)
		g_string_append_printf(s, " %s", args);
	return g_string_free(s, FALSE);
}

/*
 * What runs a script: the interpreter its #! line names (with the one
 * argument a #! line may have), sh without one; into v.
 */
static void script_words(const char *script, GPtrArray *v)
{
	char interp[4096], arg[512];

	if (torn_kit_shebang(script, interp, sizeof(interp), arg,
			     sizeof(arg)) <= 0 ||
	    !*interp) {
		g_ptr_array_add(v, g_strdup("sh"));
		return;
	}
	g_ptr_array_add(v, g_strdup(interp));
	if (*arg)
		g_ptr_array_add(v, g_strdup(arg));
}

/* The program's words, with its interpreter for a script. */
static int program_words(const struct torn_user_test *t, const char *guest,
			 const char *target, const char *fs, char ***out,
			 struct torn_err *err)
{
	char **words;
	GPtrArray *v;
	int ret = torn_user_words(t->args, true, target, fs, &words, NULL, err);

	if (ret)
		return blame(err, ret, "args");
	v = g_ptr_array_new();
	if (t->script) {
		script_words(t->script, v);
		g_ptr_array_add(v, g_strdup(guest));
	}
	for (char **w = words; *w; w++)
		g_ptr_array_add(v, g_strdup(*w));
	g_ptr_array_add(v, NULL);
	g_strfreev(words);
	*out = (char **)g_ptr_array_free(v, FALSE);
	return 0;
}

/* The stage and the workload's strings, once every input was checked. */
static int user_parts(const struct torn_user_test *t, int fs_kind,
		      struct user_build *b, struct torn_trace_workload *w)
{
	const struct torn_fs *kind = torn_fs_get(fs_kind);
	const char *target =
		kind->ns == TORN_NS_DEVDAX ? torn_fs_dev(kind) : TORN_FS_MNT;
	const char *fs = torn_fs_kind_name(fs_kind);
	const char *prog, *chk = NULL, *setup = NULL;
	char **files = NULL, **words = NULL;
	struct torn_err *err = b->err;
	int ret;

	prog = stage(b, t->script ? "script" : "program",
		     t->script ? t->script : t->program, TORN_USER_BIN,
		     t->script ? TORN_STAGE_SCRIPT : TORN_STAGE_PROGRAM);
	if (prog && t->checker)
		chk = stage(b, "checker", t->checker, TORN_USER_BIN,
			    TORN_STAGE_PROGRAM);
	if (prog && t->setup)
		setup = stage(b, "setup", t->setup, TORN_USER_BIN,
			      TORN_STAGE_PROGRAM);
	if (!prog || (t->checker && !chk) || (t->setup && !setup))
		return b->ret;
	ret = torn_user_words(t->files, true, target, fs, &files, NULL, err);
	if (ret)
		return blame(err, ret, "files");
	for (char **f = files; *f && !ret; f++)
		if (!stage(b, "file", *f, TORN_USER_FILES, TORN_STAGE_FILE))
			ret = b->ret;
	g_strfreev(files);
	if (!ret)
		ret = env_words(t->env, &w->envs, err);
	if (!ret)
		ret = program_words(t, prog, target, fs, &w->args, err);
	if (!ret && t->checker_args) {
		/* expanded per state; parsed now so that a typo fails now */
		ret = torn_user_words(t->checker_args, true, target, fs, &words,
				      NULL, err);
		g_strfreev(words);
		if (ret)
			return blame(err, ret, "checker-args");
	}
	if (ret)
		return ret;
	if (setup) {
		const char *v[] = { setup, target, NULL };

		w->setup = g_strdupv((char **)v);
	}
	if (chk)
		w->checker = checker_line(w->envs, chk, t->checker_args);
	if (w->checker &&
	    strlen(w->checker) >= sizeof(((struct torn_run_meta *)0)->checker))
		return torn_err_set(
			err, TORN_E_USAGE,
			"the checker's command line with env is %zu bytes; meta.json keeps %zu",
			strlen(w->checker),
			sizeof(((struct torn_run_meta *)0)->checker) - 1);
	if (t->script) {
		/* the interpreter runs: the script is its argument */
		w->program = w->args[0];
		memmove(w->args, w->args + 1,
			g_strv_length(w->args) * sizeof(*w->args));
	} else {
		w->program = g_strdup(prog);
	}
	return 0;
}

int torn_trace_user_workload(const struct torn_user_test *t, int fs_kind,
			     struct torn_trace_workload *w,
			     struct torn_err *err)
{
	struct user_build b;
	int ret;

	memset(w, 0, sizeof(*w));
	if (!t->program == !t->script)
		return torn_err_set(
			err, TORN_E_USAGE, "%s",
			t->program ? "program and script: give one of them"
				   : "a test needs a program or a script");
	b.items = g_array_new(FALSE, FALSE, sizeof(struct torn_stage_item));
	g_array_set_clear_func(b.items, item_clear);
	b.guests = g_hash_table_new(g_str_hash, g_str_equal);
	b.err = err;
	b.ret = 0;
	ret = user_parts(t, fs_kind, &b, w);
	if (!ret)
		ret = torn_kit_stage_build(
			(struct torn_stage_item *)b.items->data, b.items->len,
			&w->stage, &w->stage_len, err);
	g_hash_table_destroy(b.guests);
	g_array_unref(b.items);
	if (ret) {
		torn_trace_workload_clear(w);
		return ret;
	}
	{
		/* test:NAME, never a built-in workload's name (replay's
		 * symbols) */
		char *base =
			g_path_get_basename(t->script ? t->script : t->program);

		w->name = g_strconcat("test:", base, NULL);
		g_free(base);
	}
	w->user.name = w->name;
	w->user.program = w->program;
	w->user.checker = w->checker;
	w->user.args = (const char *const *)w->args;
	w->user.envs = (const char *const *)w->envs;
	w->user.setup = (const char *const *)w->setup;
	w->user.flags = TORN_WL_FS | TORN_WL_DEVDAX | TORN_WL_NODAX;
	w->user.summary = "a user's test";
	w->wl = &w->user;
	return 0;
}
