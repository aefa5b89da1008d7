/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fsops executor on the host: every promise it makes must hold on the
 * live tree, as the agent dumps it and as the oracles judge it, from the
 * moment it is made until an op touches the path; pre and post records
 * must be the live states around an atomic op.  Then the rules for what
 * each durability op promises, and errors.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "fsops.h"
#include "fsops_exec.h"
#include "oracles.h"

#ifndef TORN_FSOPS_EXAMPLES_DIR
#define TORN_FSOPS_EXAMPLES_DIR "."
#endif

struct live {
	char dir[256];
	size_t nops;
	char **before, **after; /* agent dumps around op 1.. */
};

static char *dump(const char *dir)
{
	struct torn_buf b = { 0 };
	char err[256];

	if (agent_dump_tree(dir, &b, err, sizeof(err))) {
		print_error("dump %s: %s\n", dir, err);
		return NULL;
	}
	torn_buf_append(&b, "", 1);
	return (char *)b.data;
}

static void on_op(void *arg, size_t op, int after)
{
	struct live *l = arg;
	char **slot = after ? &l->after[op] : &l->before[op];

	free(*slot);
	*slot = dump(l->dir);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void make_dir(struct live *l)
{
	const char *base =
		access("/dev/shm", W_OK) ? getenv("TMPDIR") : "/dev/shm";

	snprintf(l->dir, sizeof(l->dir), "%s/torn-fsops-test-XXXXXX",
		 base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(l->dir));
}

/* Do the durability and atomicity oracles both pass on a dump? */
static int judge(const struct oracle_expected *e,
		 const struct oracle_progress *p, const char *d, char *detail,
		 size_t len)
{
	return oracle_durability(e, p, d, detail, len) ||
	       oracle_atomicity(e, p, d, detail, len);
}

/*
 * Run src; returns the expected records (caller frees) or NULL with the
 * error in err.  Checks the oracles against the live tree around each op.
 */
static char *run_checked(const char *src, const char *name,
			 struct torn_err *err, size_t *nchecked)
{
	struct torn_fsops_exec_opts o = { .host = 1, .hook = on_op };
	struct oracle_expected *e = NULL;
	struct torn_fsops *w;
	struct live l = { 0 };
	size_t len = 0, k, durable = 0;
	char *text = NULL, detail[1024];
	int ret;

	if (torn_fsops_parse(src, strlen(src), name, &w, err))
		return NULL;
	make_dir(&l);
	l.nops = w->nops;
	l.before = calloc(w->nops + 1, sizeof(char *));
	l.after = calloc(w->nops + 1, sizeof(char *));
	o.hook_arg = &l;
	o.expected = open_memstream(&text, &len);
	ret = torn_fsops_exec(w, l.dir, &o, err);
	fclose(o.expected);
	nftw(l.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (ret) {
		free(text);
		text = NULL;
		goto out;
	}
	if (oracle_expected_parse(text, strlen(text), &e, err)) {
		print_error("%s: expected.txt does not parse: %s\n%s", name,
			    err->msg, text);
		fail();
	}
	assert_int_equal(oracle_expected_ops(e), w->nops);
	for (k = 1; k <= w->nops; k++) {
		struct oracle_progress p = { .last_begun = k };

		/* just after OP_BEGIN k: nothing of op k happened yet */
		p.last_ended = k - 1;
		p.last_durable = durable;
		assert_non_null(l.before[k]);
		if (judge(e, &p, l.before[k], detail, sizeof(detail))) {
			print_error("%s: before op %zu: %s\n%s--- dump\n%s",
				    name, k, detail, text, l.before[k]);
			fail();
		}
		/* op k done (and its DURABLE marker emitted) */
		p.last_ended = k;
		if (torn_fsops_op_is_durability(&w->ops[k - 1]))
			durable = k;
		p.last_durable = durable;
		assert_non_null(l.after[k]);
		if (judge(e, &p, l.after[k], detail, sizeof(detail))) {
			print_error("%s: after op %zu: %s\n%s--- dump\n%s",
				    name, k, detail, text, l.after[k]);
			fail();
		}
	}
	if (nchecked)
		*nchecked += 2 * w->nops;
out:
	oracle_expected_free(e);
	for (k = 0; k <= w->nops; k++) {
		free(l.before[k]);
		free(l.after[k]);
	}
	free(l.before);
	free(l.after);
	torn_fsops_free(w);
	return text;
}

/* Run src, which must succeed; returns its records. */
static char *run_ok(const char *src)
{
	struct torn_err err = { "" };
	char *t = run_checked(src, "w", &err, NULL);

	if (!t) {
		print_error("'%s' failed: %s\n", src, err.msg);
		fail();
	}
	return t;
}

static int has(const char *text, const char *line)
{
	char *l = malloc(strlen(line) + 3);
	int found;

	sprintf(l, "\n%s\n", line);
	found = strstr(text, l) != NULL;
	free(l);
	return found;
}

/* Does text have a record "KEYWORD N ..." at all? */
static int has_prefix(const char *text, const char *prefix)
{
	char *l = malloc(strlen(prefix) + 2);
	int found;

	sprintf(l, "\n%s", prefix);
	found = strstr(text, l) != NULL;
	free(l);
	return found;
}

#define EMPTY_HASH "cbf29ce484222325"

static void test_examples_hold(void **state)
{
	static const char *const names[] = { "default", "mmap", "dirs" };
	size_t i, checked = 0;

	for (i = 0; i < 3; i++) {
		char path[512], *src = NULL, *t;
		struct torn_err err = { "" };
		size_t len = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.fsops",
			 TORN_FSOPS_EXAMPLES_DIR, names[i]);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_int_equal(getdelim(&src, &len, 0, f) > 0, 1);
		fclose(f);
		t = run_checked(src, path, &err, &checked);
		if (!t) {
			print_error("%s: %s\n", path, err.msg);
			fail();
		}
		assert_true(has_prefix(t, "durable "));
		free(t);
		free(src);
	}
	assert_int_equal(checked, 2 * (21 + 10 + 17));
}

/* The default example's key promises, spelled out. */
static void test_default_promises(void **state)
{
	char path[512], *src = NULL, *t;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/default.fsops",
		 TORN_FSOPS_EXAMPLES_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&src, &len, 0, f) > 0);
	fclose(f);
	t = run_ok(src);
	/* the atomic rename over a: before and after, all of it */
	assert_true(has(t, "op 11 1 atomic rename a.tmp a"));
	assert_true(has(t, "pre 11 f 0644 * 8192 35d4f1bc8042d702 ./a"));
	assert_true(has(t, "pre 11 f 0644 * 6000 83760d1bb3e465dc ./a.tmp"));
	assert_true(has(t, "post 11 f 0644 * 6000 83760d1bb3e465dc ./a"));
	assert_true(has(t, "post 11 - ./a.tmp"));
	/* fsync of the directory: the new a, with the content fsynced before */
	assert_true(has(t, "durable 12 f 0644 * 6000 83760d1bb3e465dc ./a"));
	assert_true(has(t, "durable 12 - ./a.tmp"));
	/* fdatasync: size and content, not the mode */
	assert_true(has(t, "durable 19 f * * 5096 22d286a943462cc9 ./d/b"));
	free(t);
	free(src);
}

struct rule_case {
	const char *what;
	const char *src;
	const char *present[4]; /* records that must be there */
	const char *absent[4]; /* record prefixes that must not */
};

static const struct rule_case rules[] = {
	{ "fsync of a new file promises its content and its name",
	  "creat a\npwrite a 0 10 fill:0x61\nfsync a\n",
	  { "durable 3 f 0644 * 10 ", "touch 1 ./a", "op 3 0 fsync a" },
	  { "touch 3" } },
	{ "fdatasync promises size and content, not mode",
	  "creat a\npwrite a 0 10 fill:0x61\nfdatasync a\n",
	  { "durable 3 f * * 10 " },
	  { NULL } },
	{ "fdatasync does not persist a name from a rename",
	  "creat a\nsync\nrename a b\nfdatasync b\n",
	  { "op 4 0 fdatasync b" },
	  { "durable 4" } },
	{ "fsync persists a name from a rename",
	  "creat a\nsync\nrename a b\nfsync b\n",
	  { "durable 4 f 0644 * 0 " EMPTY_HASH " ./b" },
	  { NULL } },
	{ "fsync persists a name from a link, but not the old one",
	  "creat a\nsync\nlink a b\nfsync b\n",
	  { "durable 4 f 0644 * 0 " EMPTY_HASH " ./b", "touch 3 ./a" },
	  { "durable 4 f 0644 * 0 " EMPTY_HASH " ./a" } },
	{ "fsync does not persist a name from an ancestor's rename",
	  "mkdir A\ncreat A/f\nsync\nrename A B\nfsync B/f\n",
	  { "touch 4 ./B/f", "touch 4 ./A/f" },
	  { "durable 5" } },
	{ "fsync of a directory: itself, entries exist, removed ones do not",
	  "mkdir D\ncreat D/a\ncreat D/b\nsymlink x D/s\nmkdir D/E\nunlink D/b\nfsync D\n",
	  { "durable 7 d 0755 ./D", "durable 7 f * * * * ./D/a",
	    "durable 7 - ./D/b", "durable 7 l * ./D/s" },
	  { NULL } },
	{ "fsync of a directory keeps what fsync of a child promised",
	  "creat a\npwrite a 0 3 text:abc\nfsync a\ncreat b\nfsync .\n",
	  { "durable 3 f 0644 * 3 ", "durable 5 f * * * * ./b" },
	  { "durable 5 f * * * * ./a" } },
	{ "sync promises everything, links counted",
	  "creat a\nlink a b\nmkdir D\nsymlink a s\nsync\n",
	  { "durable 5 f 0644 2 0 " EMPTY_HASH " ./a", "durable 5 d 0755 ./D",
	    "durable 5 l a ./s" },
	  { NULL } },
	{ "sync promises removed paths absent",
	  "creat a\nunlink a\nsync\n",
	  { "durable 3 - ./a" },
	  { NULL } },
	{ "a write through one link touches every name",
	  "creat a\nlink a b\nsync\npwrite b 0 1 fill:1\n",
	  { "touch 4 ./a", "touch 4 ./b" },
	  { NULL } },
	{ "a directory rename touches everything below",
	  "mkdir A\ncreat A/f\nsync\natomic rename A B\n",
	  { "touch 4 ./A/f", "touch 4 ./B/f",
	    "pre 4 f 0644 1 0 " EMPTY_HASH " ./A/f",
	    "post 4 f 0644 1 0 " EMPTY_HASH " ./B/f" },
	  { NULL } },
	{ "atomic creat: absent before, new after",
	  "atomic creat a\n",
	  { "pre 1 - ./a", "post 1 f 0644 1 0 " EMPTY_HASH " ./a" },
	  { NULL } },
	{ "pre records keep what is not durable open",
	  "creat a\npwrite a 0 4 fill:1\nfdatasync a\natomic rename a b\n",
	  { "pre 4 f * * 4 ", "post 4 f * * 4 ", "post 4 - ./a",
	    "pre 4 - ./b" },
	  { NULL } },
	{ "msync promises the file when only mapped data is pending",
	  "creat m\ntruncate m 8K\nfsync m\nmmap-write m 0 4K rand:1\nmsync m\n",
	  { "durable 5 f * * 8192 ", "touch 4 ./m" },
	  { NULL } },
	{ "msync promises nothing while write(2) data is pending",
	  "creat m\ntruncate m 8K\nfsync m\nmmap-write m 0 4K rand:1\npwrite m 5000 1 fill:1\nmsync m\n",
	  { "op 6 0 msync m" },
	  { "durable 6" } },
	{ "msync promises nothing while the size is pending",
	  "creat m\ntruncate m 8K\nmmap-write m 0 4K rand:1\nmsync m\n",
	  { "op 4 0 msync m" },
	  { "durable 4" } },
	{ "a MAP_SYNC write is durable when nothing else is pending",
	  "creat m\ntruncate m 8K\nfsync m\nmmap-write m 4K 100 fill:2 map-sync\n",
	  { "durable 4 f * * 8192 " },
	  { NULL } },
	{ "a MAP_SYNC write does not cover another mapped write",
	  "creat m\ntruncate m 8K\nfsync m\nmmap-write m 0 10 fill:1\nmmap-write m 4K 100 fill:2 map-sync\n",
	  { "op 5 0 mmap-write m 4096 100 fill:0x02 map-sync" },
	  { "durable 5" } },
	{ "fsync and fdatasync of a renamed file carry its durable content",
	  "creat a\npwrite a 0 5 text:hello\nfsync a\nrename a b\nfsync .\n",
	  { "durable 5 f 0644 * 5 " },
	  { NULL } },
	{ "a write through a symlink touches its target",
	  "creat a\nsymlink a s\nsync\npwrite s 0 3 fill:1\n",
	  { "touch 4 ./a", "touch 4 ./s" },
	  { NULL } },
	{ "fallocate zero-range and punch-hole on the host",
	  "creat a\npwrite a 0 8K fill:1\nfallocate a 1K 2K zero-range\nfallocate a 6K 1K punch-hole\nfallocate a 8K 4K keep-size\nfallocate a 8K 4K\nfsync a\n",
	  { "durable 7 f 0644 * 12288 " },
	  { NULL } },
	{ "an empty workload", "", { "# torn expected v1" }, { NULL } },
};

static void test_rules(void **state)
{
	size_t i, j;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char *t = run_ok(rules[i].src), *nl;

		nl = malloc(strlen(t) + 2);
		sprintf(nl, "\n%s", t);
		for (j = 0; j < 4 && rules[i].present[j]; j++)
			if (!strstr(nl, rules[i].present[j])) {
				print_error("%s: no '%s' in\n%s", rules[i].what,
					    rules[i].present[j], t);
				fail();
			}
		for (j = 0; j < 4 && rules[i].absent[j]; j++)
			if (has_prefix(nl, rules[i].absent[j])) {
				print_error("%s: unwanted '%s' in\n%s",
					    rules[i].what, rules[i].absent[j],
					    t);
				fail();
			}
		free(nl);
		free(t);
	}
}

struct fail_case {
	const char *src;
	const char *msg;
};

static const struct fail_case fails[] = {
	{ "unlink nothere", "w:1: unlink nothere: No such file or directory" },
	{ "creat a\nmkdir a", "w:2: mkdir a: File exists" },
	{ "mkdir A\ncreat A/f\nrmdir A", "w:3: rmdir A: Directory not empty" },
	{ "creat a\natomic rename a b",
	  "w:2: atomic rename a b: ./a changed at line 1 and was not made durable since, so its state before this op is unknown after a crash; fsync or sync before an atomic op" },
	{ "creat m\nmmap-write m 0 10 fill:1",
	  "w:2: mmap-write m 0 10 fill:0x01: the file has 0 bytes; a mapping cannot write beyond them (to 10)" },
	{ "creat m\nmsync m",
	  "w:2: msync m: no mapping of ./m (mmap-write it first)" },
	{ "creat a\nsymlink a s\nfsync s",
	  "w:3: fsync s: ./s is a symbolic link; name what it points to" },
	{ "pwrite a 0 1 fill:0",
	  "w:1: pwrite a 0 1 fill:0x00: No such file or directory" },
};

static void test_failures(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		struct torn_err err = { "" };
		char *t = run_checked(fails[i].src, "w", &err, NULL);

		if (t || strcmp(err.msg, fails[i].msg)) {
			print_error("'%s': got '%s'\n", fails[i].src,
				    t ? "success" : err.msg);
			fail();
		}
	}
}

/* Every generated workload runs, and its promises hold on the live tree. */
struct gen_run {
	int n;
	size_t checked;
};

static int run_generated(void *arg, const char *name, const char *text)
{
	struct gen_run *g = arg;
	struct torn_err err = { "" };
	char *t = run_checked(text, name, &err, &g->checked);

	if (!t) {
		print_error("%s: %s\n%s", name, err.msg, text);
		fail();
	}
	if (!has_prefix(t, "durable 7 ")) { /* the setup's sync */
		print_error("%s: no promise from the setup's sync\n", name);
		fail();
	}
	free(t);
	g->n++;
	return 0;
}

static void test_generated_hold(void **state)
{
	struct torn_err err = { "" };
	struct gen_run g = { 0 };
	int n1, n2;

	n1 = torn_fsops_generate(1, NULL, run_generated, &g, &err);
	assert_true(n1 > 0);
	n2 = torn_fsops_generate(2, NULL, run_generated, &g, &err);
	assert_true(n2 > 0);
	assert_int_equal(g.n, n1 + n2);
	print_message("ran %d generated workloads, %zu live states checked\n",
		      g.n, g.checked);
}

/* The dry run cleans up after itself and reports failures. */
static void test_dry_run(void **state)
{
	struct torn_err err = { "" };
	struct torn_fsops *w;
	static const char src[] = "creat a\nrename b c\n";

	assert_int_equal(
		torn_fsops_parse(src, strlen(src), "d.fsops", &w, &err), 0);
	assert_int_equal(torn_fsops_dry_run(w, NULL, &err), -ENOENT);
	assert_string_equal(err.msg,
			    "d.fsops:2: rename b c: No such file or directory");
	torn_fsops_free(w);
}

/*
 * A workload whose files would not fit the NVDIMM's filesystem fails in
 * the dry run before the op that overflows writes anything; rewriting a
 * file and freeing space before writing more fits.
 */
static void test_dry_run_capacity(void **state)
{
	static const struct {
		const char *src;
		int ret;
	} cases[] = {
		{ "creat a\nappend a 40M fill:0x61\nappend a 40M fill:0x62\n",
		  TORN_E_RANGE },
		{ "creat a\nappend a 40M fill:0x61\npwrite a 0 40M fill:0x62\n"
		  "unlink a\ncreat b\nappend b 40M fill:0x63\n",
		  0 },
		{ "creat a\nfallocate a 0 49M\n", TORN_E_RANGE },
	};
	struct torn_err err = { "" };
	struct torn_fsops *w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(torn_fsops_parse(cases[i].src,
						  strlen(cases[i].src),
						  "c.fsops", &w, &err),
				 0);
		assert_int_equal(torn_fsops_dry_run(w, NULL, &err),
				 cases[i].ret);
		if (cases[i].ret)
			assert_non_null(strstr(err.msg,
					       "more than the 48 MiB "
					       "the filesystem holds"));
		torn_fsops_free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_hold),
		cmocka_unit_test(test_default_promises),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_dry_run_capacity),
		cmocka_unit_test(test_generated_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
