/* torn run: trace, crash states, check and summary in one command. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "restore.h"
#include "cli.h"
#include "guest.h"
#include "registry.h"
#include "verify.h"

/* Built-in default: what `torn run` with no arguments does. */
#define RUN_DEFAULT_FS "ext4-dax"
#define RUN_DEFAULT_FLUSH "clwb"
#define RUN_DEFAULT_WORKLOAD "fsops-default"
#define RUN_DEFAULT_ENGINE "prefix,subsets:1"
#define RUN_DEFAULT_POINTS "fence"

/* Settings, from the spec file and then the command line. */
struct run_settings {
	char *fs, *flush, *workload, *engine, *points, *model, *granularity;
	char *out, *oracles, *timeout, *jobs, *kernel, *modules, *cache,
		*limit, *from_op, *boot_timeout;
};

/* A spec key, where it goes, and the option it becomes. */
struct spec_key {
	const char *key;
	size_t offset;
};

#define KEY(k) { #k, offsetof(struct run_settings, k) }
static const struct spec_key spec_keys[] = {
	KEY(fs), KEY(flush), KEY(workload), KEY(engine), KEY(points),
	KEY(model), KEY(granularity), KEY(out), KEY(oracles), KEY(timeout),
	KEY(jobs), KEY(kernel), KEY(modules), KEY(cache), KEY(limit),
	{ "from-op", offsetof(struct run_settings, from_op) },
	{ "boot-timeout", offsetof(struct run_settings, boot_timeout) },
};
#undef KEY

static char **slot(struct run_settings *s, const struct spec_key *k)
{
	return (char **)((char *)s + k->offset);
}

/* The line of key in group [run] of text, for error messages (0: unknown). */
static int spec_line(const char *text, const char *key)
{
	char **lines = g_strsplit(text, "\n", -1), **l;
	int n = 0, found = 0, in_run = 0;

	for (l = lines; *l && !found; l++) {
		char *t = g_strstrip(g_strdup(*l));

		n++;
		if (t[0] == '[')
			in_run = !strcmp(t, "[run]");
		else if (in_run && g_str_has_prefix(t, key)) {
			const char *rest = t + strlen(key);

			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (*rest == '=')
				found = n;
		}
		g_free(t);
	}
	g_strfreev(lines);
	return found;
}

/* Read SPEC (INI, group [run]) into s.  Prints one line and fails on error. */
static int read_spec(const char *path, struct run_settings *s, char **text)
{
	GKeyFile *kf = g_key_file_new();
	GError *e = NULL;
	gchar **keys;
	gsize n, i;
	int ret = 0;

	if (!g_file_get_contents(path, text, NULL, &e)) {
		fprintf(stderr, "torn run: cannot read spec '%s': %s\n", path,
			e->message);
		g_error_free(e);
		g_key_file_free(kf);
		return -1;
	}
	if (!g_key_file_load_from_data(kf, *text, -1, G_KEY_FILE_NONE, &e)) {
		fprintf(stderr, "torn run: %s: %s\n", path, e->message);
		g_error_free(e);
		g_key_file_free(kf);
		return -1;
	}
	gchar **groups = g_key_file_get_groups(kf, &n);
	for (i = 0; i < n && !ret; i++)
		if (strcmp(groups[i], "run")) {
			fprintf(stderr, "torn run: %s: unknown group [%s]; settings go in [run]\n",
				path, groups[i]);
			ret = -1;
		}
	g_strfreev(groups);
	keys = ret ? NULL : g_key_file_get_keys(kf, "run", &n, NULL);
	for (i = 0; keys && i < n && !ret; i++) {
		size_t k;

		for (k = 0; k < G_N_ELEMENTS(spec_keys); k++)
			if (!strcmp(keys[i], spec_keys[k].key))
				break;
		if (k == G_N_ELEMENTS(spec_keys)) {
			fprintf(stderr, "torn run: %s:%d: unknown key '%s'\n", path,
				spec_line(*text, keys[i]), keys[i]);
			ret = -1;
			break;
		}
		g_free(*slot(s, &spec_keys[k]));
		*slot(s, &spec_keys[k]) =
			g_key_file_get_string(kf, "run", keys[i], NULL);
		if (!**slot(s, &spec_keys[k])) {
			fprintf(stderr, "torn run: %s:%d: key '%s' has no value\n",
				path, spec_line(*text, keys[i]), keys[i]);
			ret = -1;
		}
	}
	g_strfreev(keys);
	g_key_file_free(kf);
	return ret;
}

/* Name the key (and line) of a bad value that came from the spec. */
static void blame(const char *spec, const char *text, const char *key,
		  const char *why)
{
	if (spec && text && spec_line(text, key))
		fprintf(stderr, "torn run: %s:%d: key '%s': %s\n", spec,
			spec_line(text, key), key, why);
	else
		fprintf(stderr, "torn run: --%s: %s\n", key, why);
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: torn run [SPEC] [--fs F] [--flush M] [--workload W] [--engine E]\n"
		"         [--points P] [-j N] [--out DIR] [--oracles LIST] [--timeout S]\n"
		"Traces a workload, enumerates its crash states, checks each one in\n"
		"checker guests and prints a summary.  With no arguments: fs %s,\n"
		"flush %s, workload %s, engines %s, points %s.\n\n"
		"SPEC is an INI file with the same settings in a [run] group, e.g.\n"
		"  [run]\n  fs = xfs-dax\n  engine = prefix,subsets:2\n"
		"Command-line options override it.  Keys: fs flush workload engine\n"
		"points model granularity out oracles timeout jobs kernel modules\n"
		"cache limit from-op boot-timeout.\n\n"
		"Exit status: 0 all consistent, 1 an inconsistency found, 2 usage,\n"
		"3 infrastructure.\n",
		RUN_DEFAULT_FS, RUN_DEFAULT_FLUSH, RUN_DEFAULT_WORKLOAD,
		RUN_DEFAULT_ENGINE, RUN_DEFAULT_POINTS);
}

static void set(char **p, const char *v)
{
	g_free(*p);
	*p = g_strdup(v);
}

/* Append "flag val" to an argument vector when val is set. */
static void opt(GPtrArray *vec, const char *flag, const char *val)
{
	if (val) {
		g_ptr_array_add(vec, (gpointer)flag);
		g_ptr_array_add(vec, (gpointer)val);
	}
}

/* The guest options both torn trace and torn check take. */
static void add_guest_options(GPtrArray *vec, const struct run_settings *s)
{
	opt(vec, "--kernel", s->kernel);
	opt(vec, "--modules", s->modules);
	opt(vec, "--cache", s->cache);
	opt(vec, "--boot-timeout", s->boot_timeout);
}

/* The numeric settings, checked before the trace rather than after it. */
static int check_numbers(struct run_settings *s, const char *spec,
			 const char *text)
{
	static const struct {
		const char *key;
		size_t offset;
		uint64_t min, max;
	} nums[] = {
		{ "timeout", offsetof(struct run_settings, timeout), 1, 3600 },
		{ "jobs", offsetof(struct run_settings, jobs), 1, 64 },
		{ "limit", offsetof(struct run_settings, limit), 1, UINT64_MAX },
		{ "from-op", offsetof(struct run_settings, from_op), 1, UINT64_MAX },
		{ "boot-timeout", offsetof(struct run_settings, boot_timeout), 1,
		  86400 },
	};
	size_t k;

	for (k = 0; k < G_N_ELEMENTS(nums); k++) {
		const char *val = *(char **)((char *)s + nums[k].offset);
		char why[96];
		uint64_t v;

		if (!val || !torn_parse_count(NULL, NULL, val, nums[k].min,
					     nums[k].max, &v))
			continue;
		if (nums[k].max == UINT64_MAX)
			snprintf(why, sizeof(why), "'%s': expected a number from %" PRIu64,
				 val, nums[k].min);
		else
			snprintf(why, sizeof(why), "'%s': expected %" PRIu64 "..%" PRIu64,
				 val, nums[k].min, nums[k].max);
		blame(spec, text, nums[k].key, why);
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_settings s = { 0 };
	const char *spec = NULL;
	char *text = NULL;
	GPtrArray *tv, *cv;
	int i, ret;
	size_t k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help")) {
			run_usage(stdout);
			return TORN_EXIT_OK;
		}
		if (a[0] == '-') {
			i++; /* every option takes a value */
			continue;
		}
		{
			if (spec) {
				fprintf(stderr, "torn run: one spec file at most ('%s', '%s')\n",
					spec, a);
				return TORN_EXIT_USAGE;
			}
			spec = a;
		}
	}
	if (spec && read_spec(spec, &s, &text)) {
		g_free(text);
		return TORN_EXIT_USAGE;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name = a + 2;

		if (a[0] != '-')
			continue;
		if (!strcmp(a, "-j"))
			name = "jobs";
		for (k = 0; k < G_N_ELEMENTS(spec_keys); k++)
			if (!strcmp(name, spec_keys[k].key))
				break;
		if (k == G_N_ELEMENTS(spec_keys) || i + 1 >= argc) {
			fprintf(stderr, "torn run: unknown option or missing value '%s'\n",
				a);
			run_usage(stderr);
			g_free(text);
			return TORN_EXIT_USAGE;
		}
		set(slot(&s, &spec_keys[k]), argv[++i]);
	}
	if (!s.fs)
		set(&s.fs, RUN_DEFAULT_FS);
	if (!s.flush)
		set(&s.flush, RUN_DEFAULT_FLUSH);
	if (!s.workload)
		set(&s.workload, RUN_DEFAULT_WORKLOAD);
	if (!s.engine)
		set(&s.engine, RUN_DEFAULT_ENGINE);
	if (!s.points)
		set(&s.points, RUN_DEFAULT_POINTS);
	ret = TORN_EXIT_USAGE;
	if (torn_fs_kind_parse(s.fs) < 0) {
		blame(spec, text, "fs", "expected ext4-dax, xfs-dax or devdax");
		goto out;
	}
	if (torn_flush_mode_parse(s.flush) < 0) {
		blame(spec, text, "flush",
		      "expected clwb, clflushopt, clflush, eadr or nt");
		goto out;
	}
	if (!torn_workload_find(s.workload) &&
	    strncmp(s.workload, "fsops:", 6)) {
		blame(spec, text, "workload",
		      "unknown workload; 'torn trace --help' lists them");
		goto out;
	}
	if (check_numbers(&s, spec, text))
		goto out;
	if (!s.out) {
		char stamp[64];
		time_t now = time(NULL);

		char *wl = g_strdup(s.workload);

		/* fsops:PATH: keep the name readable and free of slashes */
		g_strdelimit(wl, ":/,", '_');
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
		s.out = g_strdup_printf("torn-runs/%s-%s-%s-%s", s.fs, s.flush,
					wl, stamp);
		g_free(wl);
		mkdir("torn-runs", 0755);
	}

	/* trace, then the tracer's self-check */
	tv = g_ptr_array_new();
	g_ptr_array_add(tv, "trace");
	opt(tv, "--fs", s.fs);
	opt(tv, "--flush", s.flush);
	opt(tv, "--workload", s.workload);
	opt(tv, "--out", s.out);
	add_guest_options(tv, &s);
	g_ptr_array_add(tv, NULL);
	fprintf(stderr, "torn run: %s on %s, flush %s, engines %s, points %s -> %s\n",
		s.workload, s.fs, s.flush, s.engine, s.points, s.out);
	ret = cmd_trace(tv->len - 1, (char **)tv->pdata);
	g_ptr_array_unref(tv);
	if (ret)
		goto out;
	ret = verify_run_dir(s.out, !strcmp(s.flush, "eadr"), stdout);
	if (ret < 0 || (ret & (VERIFY_REPLAY | VERIFY_UNRESOLVED))) {
		fprintf(stderr, "torn run: the tracer's self-check failed: the trace cannot be trusted\n");
		ret = TORN_EXIT_INFRA;
		goto out;
	}
	if (ret & VERIFY_DURABILITY)
		fprintf(stderr, "torn run: warning: the workload acknowledged data that was not flushed and fenced; checking the crash states\n");

	/* states and checking */
	cv = g_ptr_array_new();
	g_ptr_array_add(cv, "check");
	g_ptr_array_add(cv, s.out);
	opt(cv, "--engine", s.engine);
	opt(cv, "--points", s.points);
	opt(cv, "--model", s.model);
	opt(cv, "--granularity", s.granularity);
	opt(cv, "--oracles", s.oracles);
	opt(cv, "--timeout", s.timeout);
	opt(cv, "-j", s.jobs);
	opt(cv, "--limit", s.limit);
	opt(cv, "--from-op", s.from_op);
	add_guest_options(cv, &s);
	g_ptr_array_add(cv, NULL);
	ret = cmd_check(cv->len - 1, (char **)cv->pdata);
	g_ptr_array_unref(cv);
	printf("run directory: %s (torn report %s for the details)\n", s.out, s.out);
	printf("verdict: %s\n", ret == TORN_EXIT_OK ? "all crash states consistent" :
				ret == TORN_EXIT_FAIL ? "INCONSISTENT crash states found (see verdicts.jsonl)" :
				"infrastructure failure");
out:
	for (k = 0; k < G_N_ELEMENTS(spec_keys); k++)
		g_free(*slot(&s, &spec_keys[k]));
	g_free(text);
	return ret;
}
