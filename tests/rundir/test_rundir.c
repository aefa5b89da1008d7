/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/rundir: the run directory's files written, read back, refused. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rundir.h"

#define L(s) s, sizeof(s) - 1

/* ---- helpers ------------------------------------------------------------ */

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	char *dir = strdup("/tmp/torn-rundir-test-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state;

	if (!getenv("TORN_KEEP"))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return 0;
}

/* DIR/NAME := data[0..len) (NULL data: remove it). */
static void put_file(const char *dir, const char *name, const char *data,
		     size_t len)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	remove(path);
	if (!data)
		return;
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The whole of DIR/NAME (malloc'd, NUL-terminated). */
static char *get_file(const char *dir, const char *name, size_t *len)
{
	char path[4200], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Files in dir whose name starts with a dot (left-over temporary files). */
static int hidden_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] == '.' && strcmp(e->d_name, ".") &&
		     strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void assert_rec_equal(const struct torn_verdict_rec *a,
			     const struct torn_verdict_rec *b)
{
	int o;

	assert_string_equal(a->state, b->state);
	assert_true(a->point == b->point);
	assert_string_equal(a->engine, b->engine);
	assert_true(a->index == b->index);
	assert_string_equal(a->image_hash, b->image_hash);
	assert_string_equal(a->semantic_hash, b->semantic_hash);
	assert_int_equal(a->verdict, b->verdict);
	assert_string_equal(a->known, b->known);
	for (o = 0; o < TORN_O_COUNT; o++) {
		assert_int_equal(a->oracles[o].ran, b->oracles[o].ran);
		if (!a->oracles[o].ran)
			continue;
		assert_int_equal(a->oracles[o].ok, b->oracles[o].ok);
		assert_string_equal(a->oracles[o].detail, b->oracles[o].detail);
	}
	assert_int_equal(a->no_markers, b->no_markers);
	if (!a->no_markers) {
		assert_true(a->last_op_begin == b->last_op_begin);
		assert_true(a->last_op_end == b->last_op_end);
		assert_true(a->last_durable == b->last_durable);
	}
	assert_string_equal(a->error, b->error);
	assert_true(a->ms_restore == b->ms_restore);
	assert_true(a->ms_check == b->ms_check);
	assert_true(a->at_ms == b->at_ms);
	assert_true(a->coverage_new == b->coverage_new);
	assert_true(a->ms_coverage == b->ms_coverage);
	assert_int_equal(a->attempts, b->attempts);
	assert_int_equal(a->checker, b->checker);
}

/* ---- paths -------------------------------------------------------------- */

static void test_path(void **state)
{
	struct torn_err err = { "" };
	char buf[16];

	assert_int_equal(
		torn_run_path("run", TORN_RUN_META, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "run/meta.json");
	assert_int_equal(torn_run_path("a-longer-run", TORN_RUN_META, buf,
				       sizeof(buf), &err),
			 TORN_E_RANGE);
	assert_non_null(strstr(err.msg, "longer than 15 bytes"));
}

/* ---- meta.json ---------------------------------------------------------- */

static void full_meta(struct torn_run_meta *m)
{
	torn_run_meta_init(m);
	snprintf(m->fs, sizeof(m->fs), "ext4-dax");
	snprintf(m->flush_mode, sizeof(m->flush_mode), "clwb");
	snprintf(m->workload, sizeof(m->workload), "pmdk-btree");
	snprintf(m->kit, sizeof(m->kit), "%064d", 7);
	snprintf(m->base_image, sizeof(m->base_image),
		 "/home/u/.cache/torn/base \"quoted\"\\.img");
	snprintf(m->checker, sizeof(m->checker), "check.sh\t--deep\n");
	snprintf(m->kernel, sizeof(m->kernel), "6.1.0-torn");
	snprintf(m->cpu_flags, sizeof(m->cpu_flags), "fpu clflush clwb");
	snprintf(m->workload_status, sizeof(m->workload_status), "exit 0");
	snprintf(m->base_sha256, sizeof(m->base_sha256), "%064x", 0xab);
	snprintf(m->final_sha256, sizeof(m->final_sha256), "%064x", 0xcd);
	m->boot_ms = 1234;
	m->workload_ms = 0;
	m->pm_base = 0x100000000ULL;
	m->pm_size = UINT64_MAX;
	m->untraced = true;
}

static void assert_meta_equal(const struct torn_run_meta *a,
			      const struct torn_run_meta *b)
{
	assert_string_equal(a->fs, b->fs);
	assert_string_equal(a->flush_mode, b->flush_mode);
	assert_string_equal(a->workload, b->workload);
	assert_string_equal(a->kit, b->kit);
	assert_string_equal(a->base_image, b->base_image);
	assert_string_equal(a->checker, b->checker);
	assert_string_equal(a->kernel, b->kernel);
	assert_string_equal(a->cpu_flags, b->cpu_flags);
	assert_string_equal(a->workload_status, b->workload_status);
	assert_string_equal(a->base_sha256, b->base_sha256);
	assert_string_equal(a->final_sha256, b->final_sha256);
	assert_true(a->boot_ms == b->boot_ms);
	assert_true(a->workload_ms == b->workload_ms);
	assert_true(a->pm_base == b->pm_base);
	assert_true(a->pm_size == b->pm_size);
	assert_int_equal(a->untraced, b->untraced);
}

static void test_meta_round_trip(void **state)
{
	const char *dir = *state;
	struct torn_err err = { "" };
	struct torn_run_meta m, back;
	char *text;

	full_meta(&m);
	assert_int_equal(torn_run_meta_write(dir, &m, &err), 0);
	assert_int_equal(torn_run_meta_read(dir, &back, &err), 0);
	assert_meta_equal(&m, &back);
	assert_int_equal(hidden_files(dir), 0);
	/* one member a line, as people and bench_tracer.sh read it */
	text = get_file(dir, TORN_RUN_META, NULL);
	assert_non_null(strstr(text, "{\n  \"fs\": \"ext4-dax\",\n"));
	assert_non_null(strstr(text, "\n  \"boot_ms\": 1234,\n"));
	assert_non_null(strstr(text, "\n  \"workload_ms\": 0,\n"));
	assert_non_null(
		strstr(text, "\n  \"pm_size\": 18446744073709551615,\n"));
	assert_non_null(strstr(text, "\"check.sh\\t--deep\\n\""));
	assert_non_null(strstr(text, "\n  \"untraced\": true\n}\n"));
	free(text);

	/* nothing recorded: nothing written, and init values read back */
	torn_run_meta_init(&m);
	assert_int_equal(torn_run_meta_write(dir, &m, &err), 0);
	text = get_file(dir, TORN_RUN_META, NULL);
	assert_string_equal(text, "{}\n");
	free(text);
	full_meta(&back);
	assert_int_equal(torn_run_meta_read(dir, &back, &err), 0);
	assert_meta_equal(&m, &back);
	assert_true(back.boot_ms == -1);
}

/* What torn trace wrote by hand before this module, read as it is. */
static void test_meta_today(void **state)
{
	static const char today[] =
		"{\n  \"fs\": \"xfs-dax\",\n  \"flush_mode\": \"eadr\",\n"
		"  \"workload\": \"fsops-seq1-03\",\n  \"kit\": \"abc123\",\n"
		"  \"base_image\": \"/c/base.img\",\n  \"checker\": \"\",\n"
		"  \"kernel\": \"6.1.0\",\n  \"boot_ms\": 2100,\n"
		"  \"cpu_flags\": \"fpu clwb\",\n  \"workload_ms\": 77,\n"
		"  \"workload_status\": \"exit 0\",\n"
		"  \"base_sha256\": \"00ff\",\n  \"final_sha256\": \"ff00\",\n"
		"  \"pm_base\": 4294967296,\n  \"pm_size\": 134217728\n}\n";
	const char *dir = *state;
	struct torn_err err = { "" };
	struct torn_run_meta m;

	put_file(dir, TORN_RUN_META, L(today));
	assert_int_equal(torn_run_meta_read(dir, &m, &err), 0);
	assert_string_equal(m.fs, "xfs-dax");
	assert_string_equal(m.flush_mode, "eadr");
	assert_string_equal(m.checker, "");
	assert_true(m.boot_ms == 2100);
	assert_true(m.workload_ms == 77);
	assert_true(m.pm_base == 4294967296ULL);
	assert_true(m.pm_size == 134217728ULL);
	assert_false(m.untraced);
}

struct bad_file_case {
	const char *text; /* NULL: a directory in its place; "-": none */
	size_t len; /* 0: strlen */
	int ret;
	const char *msg;
};

static const struct bad_file_case bad_meta_cases[] = {
	{ "-", 0, -ENOENT, "meta.json: missing" },
	{ NULL, 0, TORN_E_FORMAT, "meta.json: not a regular file" },
	{ "", 0, TORN_E_FORMAT, "meta.json: byte 0: input ends" },
	{ "garbage", 0, TORN_E_FORMAT, "meta.json: byte 0: unexpected" },
	{ "{\"fs\": \"ext4-dax\",", 0, TORN_E_FORMAT,
	  "meta.json: byte 18: input ends inside an object" },
	{ "[1, 2]", 0, TORN_E_FORMAT, "meta.json: not a JSON object" },
	{ "{\"fs\": 4}", 0, TORN_E_FORMAT,
	  "meta.json: member 'fs': not a string" },
	{ "{\"boot_ms\": \"12\"}", 0, TORN_E_FORMAT,
	  "meta.json: member 'boot_ms': not an integer" },
	{ "{\"boot_ms\": 1.5}", 0, TORN_E_FORMAT,
	  "member 'boot_ms': not an integer" },
	{ "{\"workload_ms\": -3}", 0, TORN_E_FORMAT,
	  "member 'workload_ms': negative" },
	{ "{\"pm_size\": -1}", 0, TORN_E_FORMAT,
	  "member 'pm_size': not an integer from 0" },
	{ "{\"untraced\": 1}", 0, TORN_E_FORMAT,
	  "member 'untraced': not true or false" },
	{ "{\"fs\": \"0123456789012345678901234567890123\"}", 0, TORN_E_FORMAT,
	  "member 'fs': longer than 31 bytes" },
	{ "{\"kernel\": \"6.1\\u0000evil\"}", 0, TORN_E_FORMAT,
	  "member 'kernel': holds a NUL byte" },
	{ L("{\"fs\": \"a\"}\0"), TORN_E_FORMAT, "text after the value" },
};

static void test_meta_bad(void **state)
{
	const char *dir = *state;
	char path[4200];
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, TORN_RUN_META);
	for (i = 0; i < sizeof(bad_meta_cases) / sizeof(bad_meta_cases[0]);
	     i++) {
		const struct bad_file_case *c = &bad_meta_cases[i];
		struct torn_err err = { "" };
		struct torn_run_meta m;

		print_message("meta case %zu: %s\n", i,
			      c->text ? c->text : "(directory)");
		remove(path);
		if (!c->text)
			assert_int_equal(mkdir(path, 0755), 0);
		else if (strcmp(c->text, "-"))
			put_file(dir, TORN_RUN_META, c->text,
				 c->len ? c->len : strlen(c->text));
		assert_int_equal(torn_run_meta_read(dir, &m, &err), c->ret);
		print_message("  %s\n", err.msg);
		assert_non_null(strstr(err.msg, c->msg));
		assert_non_null(strstr(err.msg, dir));
		/* nothing half-read is left behind */
		assert_string_equal(m.fs, "");
		assert_true(m.boot_ms == -1);
	}
	remove(path);
}

/* ---- check.json --------------------------------------------------------- */

static void test_check_round_trip(void **state)
{
	const char *dir = *state;
	struct torn_err err = { "" };
	struct torn_run_check c, back;
	char *text;

	torn_run_check_init(&c);
	snprintf(c.model, sizeof(c.model), "eadr");
	snprintf(c.granularity, sizeof(c.granularity), "torn");
	snprintf(c.points, sizeof(c.points), "fence,store:100");
	snprintf(c.engines, sizeof(c.engines), "prefix,subsets:2,random:8:1");
	snprintf(c.oracles, sizeof(c.oracles), "mount,fsck,durability");
	c.from_op = 3;
	snprintf(c.kit, sizeof(c.kit), "c2509b53");
	assert_int_equal(torn_run_check_write(dir, &c, &err), 0);
	text = get_file(dir, TORN_RUN_CHECK, NULL);
	assert_string_equal(text,
			    "{\n"
			    "  \"model\": \"eadr\",\n"
			    "  \"granularity\": \"torn\",\n"
			    "  \"points\": \"fence,store:100\",\n"
			    "  \"from_op\": 3,\n"
			    "  \"engines\": \"prefix,subsets:2,random:8:1\",\n"
			    "  \"oracles\": \"mount,fsck,durability\",\n"
			    "  \"kit\": \"c2509b53\"\n"
			    "}\n");
	free(text);
	assert_int_equal(torn_run_check_read(dir, &back, &err), 0);
	assert_string_equal(back.kit, "c2509b53");
	assert_string_equal(back.model, c.model);
	assert_string_equal(back.granularity, c.granularity);
	assert_string_equal(back.points, c.points);
	assert_string_equal(back.engines, c.engines);
	assert_string_equal(back.oracles, c.oracles);
	assert_true(back.from_op == 3);
	assert_int_equal(hidden_files(dir), 0);
}

static const struct bad_file_case bad_check_cases[] = {
	{ "-", 0, -ENOENT, "check.json: missing" },
	{ NULL, 0, TORN_E_FORMAT, "check.json: not a regular file" },
	{ "", 0, TORN_E_FORMAT, "check.json: byte 0" },
	{ "\"adr\"", 0, TORN_E_FORMAT, "check.json: not a JSON object" },
	{ "{\"from_op\": -1}", 0, TORN_E_FORMAT,
	  "check.json: member 'from_op': not an integer from 0" },
	{ "{\"model\": [\"adr\"]}", 0, TORN_E_FORMAT,
	  "member 'model': not a string" },
	{ "{\"model\": \"adr-but-much-longer\"}", 0, TORN_E_FORMAT,
	  "member 'model': longer than 15 bytes" },
};

static void test_check_today_and_bad(void **state)
{
	static const char today[] = "{\"model\": \"adr\", \"granularity\": "
				    "\"line\", \"points\": \"fence\", "
				    "\"from_op\": 0}\n";
	const char *dir = *state;
	struct torn_err err = { "" };
	struct torn_run_check c;
	char path[4200];
	size_t i;

	put_file(dir, TORN_RUN_CHECK, L(today));
	assert_int_equal(torn_run_check_read(dir, &c, &err), 0);
	assert_string_equal(c.model, "adr");
	assert_string_equal(c.granularity, "line");
	assert_string_equal(c.points, "fence");
	assert_string_equal(c.engines, "");
	assert_string_equal(c.oracles, "");
	assert_true(c.from_op == 0);
	/* older checks wrote only some */
	put_file(dir, TORN_RUN_CHECK, L("{\"model\": \"eadr\"}"));
	assert_int_equal(torn_run_check_read(dir, &c, &err), 0);
	assert_string_equal(c.model, "eadr");
	assert_string_equal(c.points, "");

	snprintf(path, sizeof(path), "%s/%s", dir, TORN_RUN_CHECK);
	for (i = 0; i < sizeof(bad_check_cases) / sizeof(bad_check_cases[0]);
	     i++) {
		const struct bad_file_case *b = &bad_check_cases[i];

		print_message("check case %zu: %s\n", i,
			      b->text ? b->text : "(directory)");
		remove(path);
		if (!b->text)
			assert_int_equal(mkdir(path, 0755), 0);
		else if (strcmp(b->text, "-"))
			put_file(dir, TORN_RUN_CHECK, b->text, strlen(b->text));
		assert_int_equal(torn_run_check_read(dir, &c, &err), b->ret);
		print_message("  %s\n", err.msg);
		assert_non_null(strstr(err.msg, b->msg));
		assert_string_equal(c.model, "");
	}
	remove(path);
}

/* ---- one verdict line --------------------------------------------------- */

static void rec_failing(struct torn_verdict_rec *v)
{
	torn_verdict_rec_init(v);
	snprintf(v->state, sizeof(v->state), "412.subsets:2.3");
	v->point = 412;
	snprintf(v->engine, sizeof(v->engine), "subsets:2");
	v->index = 3;
	snprintf(v->image_hash, sizeof(v->image_hash),
		 "0123456789abcdef0123456789abcdef");
	memset(v->semantic_hash, 'e', 64);
	v->verdict = TORN_V_INCONSISTENT;
	v->oracles[TORN_O_MOUNT].ran = v->oracles[TORN_O_MOUNT].ok = true;
	v->oracles[TORN_O_FSCK].ran = v->oracles[TORN_O_FSCK].ok = true;
	v->oracles[TORN_O_DURABILITY].ran = true;
	snprintf(v->oracles[TORN_O_DURABILITY].detail,
		 sizeof(v->oracles[0].detail),
		 "./a: expected \"x\"\n\tgot\\ \x01");
	v->oracles[TORN_O_ATOMICITY].ran = true;
	snprintf(v->oracles[TORN_O_ATOMICITY].detail,
		 sizeof(v->oracles[0].detail), "op 2: torn");
	snprintf(v->known, sizeof(v->known), "MY-1");
	v->last_op_begin = 3;
	v->last_op_end = 2;
	v->last_durable = 1;
	v->ms_restore = 4;
	v->ms_check = 380;
	v->at_ms = 1234;
	v->checker = 0;
	v->coverage_new = 17; /* torn check --coverage */
	v->ms_coverage = 25;
}

static void rec_error(struct torn_verdict_rec *v)
{
	torn_verdict_rec_init(v);
	snprintf(v->state, sizeof(v->state), "0.prefix.0");
	snprintf(v->engine, sizeof(v->engine), "prefix");
	v->verdict = TORN_V_ERROR;
	snprintf(v->error, sizeof(v->error), "guest died: \x1b[0m");
	v->ms_restore = 0;
	v->ms_check = 0;
	v->at_ms = 0;
	v->coverage_new = 0; /* a state that reached nothing new */
	v->attempts = 2;
	v->checker = 1;
}

/* Only what must be there: no markers, no times, no checker. */
static void rec_minimal(struct torn_verdict_rec *v)
{
	torn_verdict_rec_init(v);
	snprintf(v->state, sizeof(v->state),
		 "18446744073709551615.random:8:1."
		 "18446744073709551615");
	v->point = v->index = UINT64_MAX;
	snprintf(v->engine, sizeof(v->engine), "random:8:1");
	v->verdict = TORN_V_TIMEOUT;
	v->no_markers = true;
	v->ms_check = 60000;
}

struct format_case {
	void (*make)(struct torn_verdict_rec *v);
	const char *line;
};

static const struct format_case format_cases[] = {
	/* byte for byte what torn check's record_verdict() has written */
	{ rec_failing,
	  "{\"state\":\"412.subsets:2.3\",\"point\":412,\"engine\":"
	  "\"subsets:2\",\"index\":3,\"image_hash\":"
	  "\"0123456789abcdef0123456789abcdef\",\"semantic_hash\":"
	  "\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
	  "\"verdict\":\"inconsistent\",\"known\":\"MY-1\",\"failed\":[\"durability\","
	  "\"atomicity\"],\"oracles\":{\"mount\":{\"ok\":true},\"fsck\":{"
	  "\"ok\":true},\"durability\":{\"ok\":false,\"detail\":\"./a: "
	  "expected \\\"x\\\"\\n\\tgot\\\\ \\u0001\"},\"atomicity\":{\"ok\":"
	  "false,\"detail\":\"op 2: torn\"}},\"markers\":{\"last_op_begin\":3,"
	  "\"last_op_end\":2,\"last_durable\":1},\"ms\":{\"restore\":4,"
	  "\"check\":380,\"coverage\":25},\"coverage_new\":17,\"at_ms\":1234,"
	  "\"attempts\":1,\"checker\":0}\n" },
	{ rec_error,
	  "{\"state\":\"0.prefix.0\",\"point\":0,\"engine\":\"prefix\","
	  "\"index\":0,\"image_hash\":\"\",\"semantic_hash\":\"\",\"verdict\":"
	  "\"error\",\"failed\":[],\"oracles\":{},\"markers\":{"
	  "\"last_op_begin\":0,\"last_op_end\":0,\"last_durable\":0},"
	  "\"error\":\"guest died: \\u001b[0m\",\"ms\":{\"restore\":0,"
	  "\"check\":0},\"coverage_new\":0,\"at_ms\":0,\"attempts\":2,"
	  "\"checker\":1}\n" },
	{ rec_minimal,
	  "{\"state\":\"18446744073709551615.random:8:1.18446744073709551615\","
	  "\"point\":18446744073709551615,\"engine\":\"random:8:1\","
	  "\"index\":18446744073709551615,\"image_hash\":\"\","
	  "\"semantic_hash\":\"\",\"verdict\":\"timeout\",\"failed\":[],"
	  "\"oracles\":{},\"ms\":{\"check\":60000},\"attempts\":1}\n" },
};

static void test_verdict_format(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];
		struct torn_verdict_rec v, back;
		struct torn_err err = { "" };
		size_t len;
		char *line;

		print_message("format case %zu\n", i);
		c->make(&v);
		line = torn_verdict_rec_format(&v, &len);
		assert_non_null(line);
		assert_string_equal(line, c->line);
		assert_int_equal(len, strlen(c->line));
		assert_int_equal(
			torn_verdict_rec_parse(line, len - 1, &back, &err), 0);
		assert_rec_equal(&v, &back);
		assert_true(back.line == 0);
		free(line);
	}
}

/* A line of a check from before this module, with its old escapes. */
static void test_verdict_today(void **state)
{
	/* record_verdict() wrote bytes >= 0x7f as \u00XX */
	static const char line[] =
		"{\"state\":\"7.prefix.0\",\"point\":7,\"engine\":\"prefix\","
		"\"index\":0,\"image_hash\":\"ffffffffffffffff0000000000000001\","
		"\"semantic_hash\":\"\",\"verdict\":\"unrecoverable\","
		"\"failed\":[\"mount\"],\"oracles\":{\"mount\":{\"ok\":false,"
		"\"detail\":\"mount: wrong fs type \\u00ff\\u007f\\n\"},"
		"\"dmesg\":{\"ok\":true}},\"markers\":{\"last_op_begin\":2,"
		"\"last_op_end\":1,\"last_durable\":0},\"ms\":{\"restore\":12,"
		"\"check\":3400},\"at_ms\":99000,\"attempts\":2,\"checker\":3}";
	struct torn_err err = { "" };
	struct torn_verdict_rec v;

	assert_int_equal(torn_verdict_rec_parse(L(line), &v, &err), 0);
	assert_string_equal(v.state, "7.prefix.0");
	assert_true(v.point == 7);
	assert_string_equal(v.engine, "prefix");
	assert_true(v.index == 0);
	assert_int_equal(v.verdict, TORN_V_UNRECOVERABLE);
	assert_true(v.oracles[TORN_O_MOUNT].ran);
	assert_false(v.oracles[TORN_O_MOUNT].ok);
	assert_string_equal(v.oracles[TORN_O_MOUNT].detail,
			    "mount: wrong fs type \xc3\xbf\x7f\n");
	assert_true(v.oracles[TORN_O_DMESG].ran);
	assert_true(v.oracles[TORN_O_DMESG].ok);
	assert_false(v.oracles[TORN_O_FSCK].ran);
	assert_false(v.no_markers);
	assert_true(v.last_op_begin == 2);
	assert_true(v.ms_restore == 12 && v.ms_check == 3400);
	assert_true(v.at_ms == 99000);
	assert_int_equal(v.attempts, 2);
	assert_int_equal(v.checker, 3);
	/* the shortest line a reader takes: the rest is not recorded */
	assert_int_equal(torn_verdict_rec_parse(
				 L("{\"state\":\"2000.prefix.1\",\"verdict\":"
				   "\"consistent\"}"),
				 &v, &err),
			 0);
	assert_true(v.point == 2000 && v.index == 1);
	assert_string_equal(v.engine, "prefix");
	assert_true(v.no_markers);
	assert_true(v.ms_restore == -1 && v.ms_check == -1 && v.at_ms == -1);
	assert_true(v.coverage_new == -1 && v.ms_coverage == -1);
	assert_int_equal(v.attempts, 1);
	assert_int_equal(v.checker, -1);
}

struct bad_line_case {
	const char *line;
	size_t len; /* 0: strlen */
	const char *msg;
};

#define S "{\"state\":\"1.prefix.0\","
#define SV S "\"verdict\":\"consistent\","

static const struct bad_line_case bad_lines[] = {
	{ "garbage", 0, "not JSON: byte 0: unexpected character" },
	{ "", 0, "not JSON: byte 0: input ends" },
	{ "[1]", 0, "not a JSON object" },
	{ "{\"verdict\":\"consistent\"}", 0, "no member 'state'" },
	{ S "\"point\":1}", 0, "no member 'verdict'" },
	/* cut short by a killed check */
	{ S "\"verdict\":\"consis", 0,
	  "not JSON: byte 39: input ends inside a "
	  "string" },
	{ "{\"state\":1,\"verdict\":\"consistent\"}", 0,
	  "member 'state': not a string" },
	{ "{\"state\":\"1.prefix\",\"verdict\":\"consistent\"}", 0,
	  "member 'state': '1.prefix' is not <point>.<engine>.<index>" },
	{ "{\"state\":\"01.prefix.0\",\"verdict\":\"consistent\"}", 0,
	  "is not <point>" },
	{ "{\"state\":\"1..0\",\"verdict\":\"consistent\"}", 0,
	  "is not <point>" },
	{ "{\"state\":\"1.pre fix.0\",\"verdict\":\"consistent\"}", 0,
	  "is not <point>" },
	{ "{\"state\":\"1.prefix.-1\",\"verdict\":\"consistent\"}", 0,
	  "is not <point>" },
	{ "{\"state\":\"18446744073709551616.prefix.0\",\"verdict\":"
	  "\"consistent\"}",
	  0, "is not <point>" },
	{ "{\"state\":\"../../etc.prefix.0\",\"verdict\":\"consistent\"}", 0,
	  "is not <point>" },
	{ "{\"state\":\"1.prefix.0.\\u001b[2J\",\"verdict\":\"consistent\"}", 0,
	  "'1.prefix.0.\\x1b[2J' is not" },
	{ "{\"state\":\"1.p"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.0\","
	  "\"verdict\":\"consistent\"}",
	  0, "member 'state': longer than 95 bytes" },
	{ S "\"verdict\":\"fine\"}", 0,
	  "member 'verdict': unknown verdict "
	  "'fine'" },
	{ S "\"verdict\":\"consistent\\u0000\"}", 0,
	  "unknown verdict 'consistent\\x00'" },
	{ S "\"verdict\":3}", 0, "member 'verdict': not a string" },
	{ SV "\"point\":7}", 0,
	  "member 'point': 7, but the state is "
	  "1.prefix.0" },
	{ SV "\"point\":\"1\"}", 0, "member 'point': not an integer" },
	{ SV "\"index\":2}", 0, "member 'index': 2, but the state is" },
	{ SV "\"engine\":\"torn\"}", 0,
	  "member 'engine': 'torn', but the "
	  "state is" },
	{ SV "\"image_hash\":\"xyz\"}", 0, "member 'image_hash': not 32 hex" },
	{ SV "\"image_hash\":\"0123\"}", 0, "member 'image_hash': not 32 hex" },
	{ SV "\"image_hash\":\"0123456789abcdef0123456789abcdef0\"}", 0,
	  "member 'image_hash': not 32 hex" },
	{ SV "\"semantic_hash\":\"abc\"}", 0,
	  "member 'semantic_hash': not "
	  "64 hex" },
	{ SV "\"oracles\":[]}", 0, "member 'oracles': not an object" },
	{ SV "\"known\":\"F1\"}", 0,
	  "member 'known': a consistent state is no known finding" },
	{ SV "\"known\":1}", 0, "member 'known': not a string" },
	{ SV "\"oracles\":{\"bogus\":{\"ok\":true}}}", 0,
	  "member 'oracles': unknown oracle 'bogus'" },
	{ SV "\"oracles\":{\"mount\":{\"ok\":true},\"mount\":{\"ok\":true}}}",
	  0, "member 'oracles': oracle 'mount' twice" },
	{ SV "\"oracles\":{\"mount\\u0000x\":{\"ok\":true}}}", 0,
	  "member 'oracles': a key holding a NUL byte after 'mount'" },
	{ SV "\"oracles\":{\"mount\":true}}", 0,
	  "member 'oracles': 'mount' is not an object" },
	{ SV "\"oracles\":{\"mount\":{}}}", 0, "'mount': no 'ok'" },
	{ SV "\"oracles\":{\"mount\":{\"ok\":1}}}", 0,
	  "'mount': member 'ok': not true or false" },
	{ SV "\"oracles\":{\"mount\":{\"ok\":true,\"detail\":7}}}", 0,
	  "'mount': member 'detail': not a string" },
	{ SV "\"oracles\":{\"fsck\":{\"ok\":false,\"detail\":\"a\\u0000b\"}},"
	     "\"failed\":[\"fsck\"]}",
	  0, "'fsck': member 'detail': holds a NUL byte" },
	{ SV "\"failed\":\"mount\"}", 0, "member 'failed': not an array" },
	{ SV "\"failed\":[\"bogus\"]}", 0,
	  "member 'failed': unknown oracle "
	  "'bogus'" },
	{ SV "\"failed\":[7]}", 0, "member 'failed': not a string" },
	{ SV "\"oracles\":{\"mount\":{\"ok\":false}},\"failed\":[\"mount\","
	     "\"mount\"]}",
	  0, "member 'failed': 'mount' twice" },
	{ SV "\"oracles\":{\"mount\":{\"ok\":false}},\"failed\":[]}", 0,
	  "member 'failed': disagrees with the oracles" },
	{ SV "\"oracles\":{\"mount\":{\"ok\":true}},\"failed\":[\"mount\"]}", 0,
	  "member 'failed': disagrees with the oracles" },
	{ SV "\"failed\":[\"fsck\"]}", 0, "member 'failed': disagrees" },
	{ SV "\"markers\":[1,2,3]}", 0, "member 'markers': not an object" },
	{ SV "\"markers\":{\"last_op_begin\":1,\"last_op_end\":1}}", 0,
	  "member 'markers': no 'last_durable'" },
	{ SV "\"markers\":{\"last_op_begin\":-1,\"last_op_end\":1,"
	     "\"last_durable\":1}}",
	  0, "member 'markers': member 'last_op_begin': not an integer" },
	{ SV "\"ms\":{\"restore\":-4,\"check\":1}}", 0,
	  "member 'ms': member 'restore': negative" },
	{ SV "\"ms\":{\"check\":1.5}}", 0,
	  "member 'ms': member 'check': not an integer" },
	{ SV "\"ms\":{\"check\":1e999}}", 0, "not JSON: byte" },
	{ SV "\"ms\":4}", 0, "member 'ms': not an object" },
	{ SV "\"at_ms\":-1}", 0, "member 'at_ms': negative" },
	{ SV "\"attempts\":-1}", 0, "member 'attempts': negative" },
	{ SV "\"attempts\":4294967296}", 0, "member 'attempts': more than" },
	{ SV "\"checker\":\"0\"}", 0, "member 'checker': not an integer" },
	{ SV "\"error\":false}", 0, "member 'error': not a string" },
	{ SV "\"error\":\"a\\u0000b\"}", 0, "member 'error': holds a NUL" },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	  0, "nested too deeply" },
	{ L(SV "\"error\":\"x\"}\0"), "text after the value" },
};

static void test_verdict_bad(void **state)
{
	char *long_detail;
	size_t i, n;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const struct bad_line_case *c = &bad_lines[i];
		struct torn_err err = { "" };
		struct torn_verdict_rec v;

		print_message("bad line %zu: %s\n", i, c->line);
		assert_int_equal(torn_verdict_rec_parse(
					 c->line,
					 c->len ? c->len : strlen(c->line), &v,
					 &err),
				 TORN_E_FORMAT);
		print_message("  %s\n", err.msg);
		assert_non_null(strstr(err.msg, c->msg));
		/* nothing half-parsed is left */
		assert_string_equal(v.state, "");
	}
	/* a detail and an error one byte too long for their buffers */
	long_detail = malloc(4096);
	assert_non_null(long_detail);
	n = (size_t)snprintf(long_detail, 4096,
			     SV "\"oracles\":{\"fsck\":{\"ok\":true,"
				"\"detail\":\"%01200d\"}}}",
			     0);
	{
		struct torn_err err = { "" };
		struct torn_verdict_rec v;

		assert_int_equal(
			torn_verdict_rec_parse(long_detail, n, &v, &err),
			TORN_E_FORMAT);
		assert_non_null(strstr(err.msg, "'fsck': member 'detail': "
						"longer than 1199 bytes"));
		n = (size_t)snprintf(long_detail, 4096,
				     SV "\"error\":\"%01199d\"}", 0);
		assert_int_equal(
			torn_verdict_rec_parse(long_detail, n, &v, &err), 0);
		assert_int_equal(strlen(v.error), 1199);
		n = (size_t)snprintf(long_detail, 4096,
				     SV "\"error\":\"%01200d\"}", 0);
		assert_int_equal(
			torn_verdict_rec_parse(long_detail, n, &v, &err),
			TORN_E_FORMAT);
		assert_non_null(strstr(err.msg, "member 'error': longer than "
						"1199 bytes"));
	}
	free(long_detail);
}

/*
 * Every prefix of a real line, and every one-byte corruption of it, is
 * parsed or refused cleanly (the sanitizer builds run this too).
 */
static void test_verdict_mutations(void **state)
{
	static const char bytes[] = "{}[]\",:\\0-.eu \x01\x80\xff";
	const char *line = format_cases[0].line;
	size_t n = strlen(line) - 1, i, j, ok = 0;
	struct torn_verdict_rec v;
	char *copy = malloc(n + 1);

	assert_non_null(copy);
	for (i = 0; i <= n; i++) {
		memcpy(copy, line, i);
		ok += !torn_verdict_rec_parse(copy, i, &v, NULL);
	}
	assert_int_equal(ok, 1); /* only the whole line */
	for (i = 0; i < n; i++)
		for (j = 0; j < sizeof(bytes) - 1; j++) {
			memcpy(copy, line, n);
			copy[i] = bytes[j];
			if (!torn_verdict_rec_parse(copy, n, &v, NULL))
				assert_int_equal(
					strnlen(v.state, sizeof(v.state)) <
						sizeof(v.state),
					1);
		}
	free(copy);
}

/* ---- verdicts.jsonl ----------------------------------------------------- */

struct seen {
	size_t n;
	char states[16][96];
	uint64_t lines[16];
	int stop_after; /* return 7 after this many; 0 never */
};

static int collect(const struct torn_verdict_rec *v, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		snprintf(s->states[s->n], sizeof(s->states[0]), "%s", v->state);
		s->lines[s->n] = v->line;
	}
	s->n++;
	return s->stop_after && (int)s->n == s->stop_after ? 7 : 0;
}

#define V(id) "{\"state\":\"" id "\",\"verdict\":\"consistent\"}"

struct file_case {
	const char *name;
	const char *text; /* NULL: a directory; "-": no file */
	size_t len; /* 0: strlen */
	int ret;
	uint64_t lines, good, unreadable, cut, first_bad_line;
	const char *first_bad; /* a piece of it */
	const char *states; /* the states read, space-separated */
	const char *line_nos; /* their line numbers */
};

static const struct file_case file_cases[] = {
	{ "missing", "-", 0, -ENOENT, 0, 0, 0, 0, 0, NULL, "", "" },
	{ "a directory", NULL, 0, TORN_E_FORMAT, 0, 0, 0, 0, 0, NULL, "", "" },
	{ "empty", "", 0, 0, 0, 0, 0, 0, 0, NULL, "", "" },
	{ "blank lines", "\n  \n\t\r\n", 0, 0, 0, 0, 0, 0, 0, NULL, "", "" },
	{ "two", V("1.prefix.0") "\n" V("2.prefix.0") "\n", 0, 0, 2, 2, 0, 0, 0,
	  NULL, "1.prefix.0 2.prefix.0", "1 2" },
	{ "no newline at the end, but whole", V("1.prefix.0"), 0, 0, 1, 1, 0, 0,
	  0, NULL, "1.prefix.0", "1" },
	{ "blanks and CRLF around lines",
	  "\n  " V("1.prefix.0") " \r\n\n" V("2.prefix.0") "\r\n", 0, 0, 2, 2,
	  0, 0, 0, NULL, "1.prefix.0 2.prefix.0", "2 4" },
	{ "a cut-short last line",
	  V("1.prefix.0") "\n{\"state\":\"2.prefix.0\",\"verd", 0, 0, 2, 1, 0,
	  1, 0, NULL, "1.prefix.0", "1" },
	{ "garbage in between",
	  V("1.prefix.0") "\nnot json\n{\"state\":\"x\"}\n" V(
		  "2.prefix.0") "\n",
	  0, 0, 4, 2, 2, 0, 2, "verdicts.jsonl line 2: not JSON: byte 0",
	  "1.prefix.0 2.prefix.0", "1 4" },
	{ "an unknown verdict",
	  "{\"state\":\"1.prefix.0\",\"verdict\":\"fine\"}\n", 0, 0, 1, 0, 1, 0,
	  1, "line 1: member 'verdict': unknown verdict 'fine'", "", "" },
	{ "a cut verdict, then a resumed check's",
	  "{\"state\":\"1.prefix.0\",\"eng" V("2.prefix.0") "\n" V(
		  "3.prefix.0") "\n",
	  0, 0, 2, 2, 1, 0, 1, "line 1: a verdict cut short, a whole one",
	  "2.prefix.0 3.prefix.0", "1 2" },
	{ "a NUL in a line", L(V("1.prefix.0") "\n" V("2.pre\0fix.0") "\n"), 0,
	  2, 1, 1, 0, 2, "line 2: not JSON", "1.prefix.0", "1" },
};

static void test_foreach(void **state)
{
	const char *dir = *state;
	char path[4200];
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, TORN_RUN_VERDICTS);
	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		const struct file_case *c = &file_cases[i];
		struct torn_verdicts_stats st;
		struct torn_err err = { "" };
		struct seen seen = { 0 };
		char got[512] = "", nos[128] = "";
		size_t k;

		print_message("file case %zu: %s\n", i, c->name);
		remove(path);
		rmdir(path);
		if (!c->text)
			assert_int_equal(mkdir(path, 0755), 0);
		else if (strcmp(c->text, "-"))
			put_file(dir, TORN_RUN_VERDICTS, c->text,
				 c->len ? c->len : strlen(c->text));
		assert_int_equal(
			torn_verdicts_foreach(dir, collect, &seen, &st, &err),
			c->ret);
		if (c->ret) {
			assert_non_null(strstr(err.msg, TORN_RUN_VERDICTS));
			continue;
		}
		assert_int_equal(st.lines, c->lines);
		assert_int_equal(st.good, c->good);
		assert_int_equal(st.unreadable, c->unreadable);
		assert_int_equal(st.cut, c->cut);
		assert_int_equal(st.first_bad_line, c->first_bad_line);
		if (c->first_bad) {
			print_message("  %s\n", st.first_bad);
			assert_non_null(strstr(st.first_bad, c->first_bad));
		} else {
			assert_string_equal(st.first_bad, "");
		}
		for (k = 0; k < seen.n; k++) {
			size_t o = strlen(got), p = strlen(nos);

			snprintf(got + o, sizeof(got) - o, "%s%s", k ? " " : "",
				 seen.states[k]);
			snprintf(nos + p, sizeof(nos) - p, "%s%" PRIu64,
				 k ? " " : "", seen.lines[k]);
		}
		assert_string_equal(got, c->states);
		assert_string_equal(nos, c->line_nos);
	}
	rmdir(path);
	remove(path);
}

/* fn stops the walk; a line past TORN_VERDICT_LINE_MAX is refused whole. */
static void test_foreach_stop_and_long(void **state)
{
	const char *dir = *state;
	struct torn_verdicts_stats st;
	struct torn_err err = { "" };
	struct seen seen = { .stop_after = 2 };
	static const char three[] =
		V("1.prefix.0") "\n" V("2.prefix.0") "\n" V("3.prefix.0") "\n";
	size_t n = TORN_VERDICT_LINE_MAX + 100, i;
	char *text = malloc(n + 200);

	put_file(dir, TORN_RUN_VERDICTS, L(three));
	assert_int_equal(torn_verdicts_foreach(dir, collect, &seen, NULL, &err),
			 7);
	assert_int_equal(seen.n, 2);

	/* {"state":"1.prefix.0","verdict":"consistent","pad":"xxxx..."} */
	assert_non_null(text);
	i = (size_t)snprintf(text, 200, "%s",
			     "{\"state\":\"1.prefix.0\",\"verdict\":"
			     "\"consistent\",\"pad\":\"");
	memset(text + i, 'x', n - i);
	memcpy(text + n, "\"}\n" V("2.prefix.0") "\n",
	       sizeof("\"}\n" V("2.prefix.0") "\n") - 1);
	n += sizeof("\"}\n" V("2.prefix.0") "\n") - 1;
	put_file(dir, TORN_RUN_VERDICTS, text, n);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(torn_verdicts_foreach(dir, collect, &seen, &st, &err),
			 0);
	assert_int_equal(st.lines, 2);
	assert_int_equal(st.good, 1);
	assert_int_equal(st.unreadable, 1);
	assert_non_null(strstr(st.first_bad, "line 1: longer than"));
	assert_string_equal(seen.states[0], "2.prefix.0");
	assert_true(seen.lines[0] == 2);
	free(text);
}

/* ---- the log ------------------------------------------------------------ */

static void test_log_round_trip(void **state)
{
	const char *dir = *state;
	void (*make[])(struct torn_verdict_rec *) = { rec_failing, rec_error,
						      rec_minimal };
	struct torn_verdict_rec recs[3];
	struct torn_verdict_log *log = NULL;
	struct torn_verdicts_stats st;
	struct torn_err err = { "" };
	struct seen seen = { 0 };
	char *text;
	size_t i, len;

	put_file(dir, TORN_RUN_VERDICTS, L("old junk\n"));
	assert_int_equal(
		torn_verdict_log_open(dir, TORN_VLOG_TRUNCATE, &log, &err), 0);
	for (i = 0; i < 3; i++) {
		make[i](&recs[i]);
		assert_int_equal(torn_verdict_log_append(log, &recs[i], &err),
				 0);
	}
	assert_int_equal(torn_verdict_log_close(log, &err), 0);
	assert_int_equal(torn_verdict_log_close(NULL, &err), 0);
	text = get_file(dir, TORN_RUN_VERDICTS, &len);
	assert_int_equal(len, strlen(format_cases[0].line) +
				      strlen(format_cases[1].line) +
				      strlen(format_cases[2].line));
	assert_memory_equal(text, format_cases[0].line,
			    strlen(format_cases[0].line));
	free(text);

	/* --resume keeps what is there */
	assert_int_equal(
		torn_verdict_log_open(dir, TORN_VLOG_APPEND, &log, &err), 0);
	assert_int_equal(torn_verdict_log_append(log, &recs[1], &err), 0);
	assert_int_equal(torn_verdict_log_close(log, &err), 0);
	assert_int_equal(torn_verdicts_foreach(dir, collect, &seen, &st, &err),
			 0);
	assert_int_equal(st.good, 4);
	assert_int_equal(st.unreadable + st.cut, 0);
	assert_string_equal(seen.states[0], recs[0].state);
	assert_string_equal(seen.states[3], recs[1].state);
}

struct read_back {
	struct torn_verdict_rec want;
	size_t n;
};

static int compare(const struct torn_verdict_rec *v, void *ctx)
{
	struct read_back *rb = ctx;

	assert_rec_equal(v, &rb->want);
	rb->n++;
	return 0;
}

/* Every field comes back through the file as it went in. */
static void test_log_fields(void **state)
{
	const char *dir = *state;
	struct torn_verdict_log *log = NULL;
	struct torn_err err = { "" };
	struct read_back rb = { .n = 0 };

	rec_failing(&rb.want);
	assert_int_equal(
		torn_verdict_log_open(dir, TORN_VLOG_TRUNCATE, &log, &err), 0);
	assert_int_equal(torn_verdict_log_append(log, &rb.want, &err), 0);
	assert_int_equal(torn_verdict_log_close(log, &err), 0);
	assert_int_equal(torn_verdicts_foreach(dir, compare, &rb, NULL, &err),
			 0);
	assert_int_equal(rb.n, 1);
}

static void test_log_errors(void **state)
{
	const char *dir = *state;
	struct torn_verdict_log *log = NULL;
	struct torn_err err = { "" };
	struct torn_verdict_rec v;
	char path[4200];
	int fd;

	/* a directory where the log should be */
	snprintf(path, sizeof(path), "%s/%s", dir, TORN_RUN_VERDICTS);
	remove(path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(
		torn_verdict_log_open(dir, TORN_VLOG_APPEND, &log, &err),
		-EISDIR);
	assert_non_null(strstr(err.msg, "cannot open"));
	rmdir(path);
	/* no such directory */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(
		torn_verdict_log_open(path, TORN_VLOG_APPEND, &log, &err),
		-ENOENT);

	/* a full disk: the real errno, once per failed append */
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		print_message("no /dev/full: the ENOSPC path is not tested\n");
		return;
	}
	assert_int_equal(torn_verdict_log_open_fd(fd, &log, &err), 0);
	rec_failing(&v);
	assert_int_equal(torn_verdict_log_append(log, &v, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "cannot append to verdicts.jsonl"));
	assert_int_equal(torn_verdict_log_append(log, &v, &err), -ENOSPC);
	torn_verdict_log_close(log, &err);
	assert_int_equal(torn_verdict_log_open_fd(-1, &log, &err), -EBADF);
}

/*
 * A file that cannot grow (RLIMIT_FSIZE: EFBIG after a short write, as a
 * full disk does): the append fails with the real errno and the file
 * keeps its whole lines only, so --resume reads every verdict before.
 */
static void test_log_partial_line(void **state)
{
	const char *dir = *state;
	void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
	struct torn_verdict_log *log = NULL;
	struct torn_verdicts_stats st;
	struct torn_err err = { "" };
	struct torn_verdict_rec v;
	struct rlimit before, small;
	struct seen seen = { 0 };
	char *text;
	size_t len, first;

	rec_minimal(&v);
	assert_int_equal(
		torn_verdict_log_open(dir, TORN_VLOG_TRUNCATE, &log, &err), 0);
	assert_int_equal(torn_verdict_log_append(log, &v, &err), 0);
	text = get_file(dir, TORN_RUN_VERDICTS, &first);
	free(text);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &before), 0);
	small = before;
	small.rlim_cur = first + first / 2; /* half the next line fits */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(torn_verdict_log_append(log, &v, &err), -EFBIG);
	assert_string_equal(err.msg, "cannot append to verdicts.jsonl: "
				     "File too large");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &before), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_int_equal(torn_verdict_log_close(log, &err), 0);
	text = get_file(dir, TORN_RUN_VERDICTS, &len);
	free(text);
	assert_int_equal(len, first);
	assert_int_equal(torn_verdicts_foreach(dir, collect, &seen, &st, &err),
			 0);
	assert_int_equal(st.good, 1);
	assert_int_equal(st.unreadable + st.cut, 0);
}

/*
 * A check killed in the middle of a line, then resumed: the fragment is
 * cut when the log opens to append, so the file is whole lines again.
 */
static void test_log_resume_cuts_fragment(void **state)
{
	static const struct {
		const char *before;
		size_t keep; /* bytes of before left */
	} cases[] = {
		{ "", 0 },
		{ "{\"state\":\"1.pre", 0 },
		{ "A\n", 2 },
		{ "A\nB\n{\"state\":\"1.pre", 4 },
	};
	const char *dir = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct torn_verdict_log *log = NULL;
		struct torn_err err = { "" };
		size_t len;
		char *text;

		put_file(dir, TORN_RUN_VERDICTS, cases[i].before,
			 strlen(cases[i].before));
		assert_int_equal(torn_verdict_log_open(dir, TORN_VLOG_APPEND,
						       &log, &err),
				 0);
		assert_int_equal(torn_verdict_log_close(log, &err), 0);
		text = get_file(dir, TORN_RUN_VERDICTS, &len);
		assert_int_equal(len, cases[i].keep);
		assert_memory_equal(text, cases[i].before, len);
		free(text);
	}
}

/* --fresh keeps the old verdicts as verdicts.jsonl.N, N the first free. */
static void test_backup(void **state)
{
	const char *dir = *state;
	struct torn_err err = { "" };
	char backup[4200], want[4200];
	char *text;
	size_t len;

	assert_int_equal(
		torn_verdicts_backup(dir, backup, sizeof(backup), &err),
		-ENOENT);
	put_file(dir, TORN_RUN_VERDICTS, L("first\n"));
	assert_int_equal(
		torn_verdicts_backup(dir, backup, sizeof(backup), &err), 0);
	snprintf(want, sizeof(want), "%s/verdicts.jsonl.1", dir);
	assert_string_equal(backup, want);
	/* .2 is somebody's: never replaced */
	put_file(dir, "verdicts.jsonl.2", L("kept\n"));
	put_file(dir, TORN_RUN_VERDICTS, L("second\n"));
	assert_int_equal(
		torn_verdicts_backup(dir, backup, sizeof(backup), &err), 0);
	snprintf(want, sizeof(want), "%s/verdicts.jsonl.3", dir);
	assert_string_equal(backup, want);
	text = get_file(dir, "verdicts.jsonl.1", &len);
	assert_memory_equal(text, "first\n", len);
	free(text);
	text = get_file(dir, "verdicts.jsonl.2", &len);
	assert_memory_equal(text, "kept\n", len);
	free(text);
	text = get_file(dir, "verdicts.jsonl.3", &len);
	assert_memory_equal(text, "second\n", len);
	free(text);
	snprintf(want, sizeof(want), "%s/%s", dir, TORN_RUN_VERDICTS);
	assert_int_equal(access(want, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test_setup_teardown(test_meta_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_meta_today, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_meta_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_today_and_bad, setup,
						teardown),
		cmocka_unit_test(test_verdict_format),
		cmocka_unit_test(test_verdict_today),
		cmocka_unit_test(test_verdict_bad),
		cmocka_unit_test(test_verdict_mutations),
		cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreach_stop_and_long,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_resume_cuts_fragment,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_partial_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
