/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmlog's checker: passes the workloads' logs, fails hand-made crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pm_test.h"
#include "pm_util.h"
#include "pmlog_fmt.h"

/* Where record N (1-based) starts in the data area, and the end of all. */
static const uint64_t rec_at[] = { 0, 56, 176, 216, 304, 376, 480 };

static uint8_t img[PMLOG_SIZE];

/* Run bin --host on pm_dir/name and load the log it leaves into out. */
static void build(const char *bin, const char *name, const char *env,
		  uint8_t *out)
{
	const char *envv[] = { env, NULL };
	char path[512];
	const char *argv[] = { bin, "--host", pm_path(path, sizeof(path), name),
			       NULL };

	assert_int_equal(pm_run(argv, envv, NULL, 0), 0);
	assert_int_equal(pm_read(path, out, PMLOG_SIZE), PMLOG_SIZE);
}

static int verify(const uint8_t *im, uint64_t acked, const char *expect)
{
	char why[512] = "";
	int r = pmlog_verify(im, PMLOG_SIZE, acked, why, sizeof(why));

	if (r)
		print_message("  acked %llu: %s\n", (unsigned long long)acked,
			      why);
	if (expect)
		assert_non_null(strstr(why, expect));
	return r;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* Dual-format slot s := {count, end} with a valid checksum. */
static void put_slot(uint8_t *im, int s, uint64_t count, uint64_t end)
{
	uint8_t *p = im + (s ? PMLOG_SLOT1 : PMLOG_SLOT0);

	put64(p, count);
	put64(p + 8, end);
	put64(p + 16, pmlog_slot_csum(count, end));
}

static void test_markers(void **state)
{
	struct pm_markers mk;

	(void)state;
	assert_int_equal(pm_markers_parse("1:0 3:1 4:1 5:1 3:2", NULL, &mk), 0);
	assert_int_equal(mk.last_begin, 2);
	assert_int_equal(mk.n_begin, 2);
	assert_int_equal(mk.last_durable, 1);
	assert_int_equal(pm_markers_parse("3:1 5:1", "7", &mk), 0);
	assert_int_equal(mk.last_durable, 7);
	assert_int_equal(pm_markers_parse(NULL, NULL, &mk), 0);
	assert_int_equal(mk.n_begin + mk.last_durable + mk.last_begin, 0);
	assert_int_equal(pm_markers_parse("  ", NULL, &mk), 0);
	assert_int_equal(pm_markers_parse("5:18446744073709551615", NULL, &mk),
			 0);
	assert_true(mk.last_durable == UINT64_MAX);
	assert_int_equal(pm_markers_parse("5:18446744073709551616", NULL, &mk),
			 -1);
	assert_int_equal(pm_markers_parse("3:x", NULL, &mk), -1);
	assert_int_equal(pm_markers_parse("3", NULL, &mk), -1);
	assert_int_equal(pm_markers_parse(":1", NULL, &mk), -1);
	assert_int_equal(pm_markers_parse("3:1", "1a", &mk), -1);
	assert_int_equal(pm_markers_parse("3:1", "", &mk), -1);
}

/* Every writer's finished log passes at every acknowledgement level. */
static void test_workloads_pass(void **state)
{
	static const struct {
		const char *bin, *env;
		uint32_t fmt;
	} w[] = {
		{ PMLOG_BIN, NULL, PMLOG_FMT_DUAL },
		{ BUG_NOFLUSH_BIN, NULL, PMLOG_FMT_DUAL },
		{ BUG_NOFENCE_BIN, NULL, PMLOG_FMT_DUAL },
		{ BUG_ONEFENCE_BIN, NULL, PMLOG_FMT_DUAL },
		{ BUG_NOCSUM_BIN, NULL, PMLOG_FMT_SINGLE },
		{ BUG_STRADDLE_BIN, NULL, PMLOG_FMT_DUAL },
#ifdef PMLOG_PMEM_BIN
		{ PMLOG_PMEM_BIN, NULL, PMLOG_FMT_DUAL },
		{ PMLOG_PMEM_BIN, "PMEM_NO_FLUSH=1", PMLOG_FMT_DUAL },
#endif
	};
	struct pmlog_view v;
	uint8_t first[PMLOG_SIZE];
	size_t i;
	uint64_t a;

	(void)state;
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		print_message("%s %s\n", w[i].bin, w[i].env ? w[i].env : "");
		build(w[i].bin, "pmlog", w[i].env, img);
		pmlog_read(img, PMLOG_SIZE, &v);
		assert_true(v.created);
		assert_int_equal(v.format, w[i].fmt);
		assert_int_equal(v.count, PMLOG_APPENDS);
		assert_int_equal(v.end, rec_at[PMLOG_APPENDS]);
		for (a = 0; a <= PMLOG_APPENDS; a++)
			assert_int_equal(verify(img, a, NULL), PM_CONSISTENT);
		assert_int_equal(verify(img, PMLOG_APPENDS + 1,
					"acknowledged record 7 is missing"),
				 PM_INCONSISTENT);
		/* same records, same places, whoever wrote them */
		if (!i)
			memcpy(first, img, sizeof(first));
		else
			assert_memory_equal(img + PMLOG_DATA,
					    first + PMLOG_DATA, rec_at[6]);
	}
}

static void test_torn_record(void **state)
{
	(void)state;
	build(PMLOG_BIN, "pmlog", NULL, img);
	img[PMLOG_DATA + rec_at[2] + 20] ^= 0x40; /* record 3's payload */
	assert_int_equal(verify(img, 6, "committed record 3 is torn"),
			 PM_INCONSISTENT);
	/* a committed record must verify, acknowledged yet or not */
	assert_int_equal(verify(img, 2, "committed record 3 is torn"),
			 PM_INCONSISTENT);
	/* its header torn: the length runs off, or the checksum fails */
	build(PMLOG_BIN, "pmlog", NULL, img);
	put64(img + PMLOG_DATA + rec_at[4], 0);
	assert_int_equal(verify(img, 6, "record 5"), PM_INCONSISTENT);
	/* a record that verifies but is someone else's */
	build(PMLOG_BIN, "pmlog", NULL, img);
	memcpy(img + PMLOG_DATA + rec_at[3], img + PMLOG_DATA + rec_at[2], 40);
	memcpy(img + PMLOG_DATA + rec_at[3] + 40, img + PMLOG_DATA + rec_at[2],
	       40);
	assert_int_equal(verify(img, 6, NULL), PM_INCONSISTENT);
}

static void test_missing_acknowledged(void **state)
{
	(void)state;
	build(PMLOG_BIN, "pmlog", NULL, img);
	/* commit 6 (slot 0) never reached PM: slot 0 still holds commit 4 */
	put_slot(img, 0, 4, rec_at[4]);
	assert_int_equal(verify(img, 6, "acknowledged record 6 is missing"),
			 PM_INCONSISTENT);
	assert_int_equal(verify(img, 5, NULL), PM_CONSISTENT);
	/* neither slot valid: an empty log */
	memset(img + PMLOG_SLOT0, 0, PMLOG_SLOT_SIZE);
	img[PMLOG_SLOT1 + 16] ^= 1;
	assert_int_equal(verify(img, 1, "no valid commit slot"),
			 PM_INCONSISTENT);
	assert_int_equal(verify(img, 0, NULL), PM_CONSISTENT);
}

/* A torn dual slot falls back to the other one. */
static void test_torn_commit_slot(void **state)
{
	(void)state;
	build(PMLOG_BIN, "pmlog", NULL, img);
	put64(img + PMLOG_SLOT0, 4); /* commit 6 torn: count is commit 4's */
	assert_int_equal(verify(img, 5, NULL), PM_CONSISTENT);
	assert_int_equal(verify(img, 6, "acknowledged record 6 is missing"),
			 PM_INCONSISTENT);
}

/* bug-nocsum's 16-byte commit torn at the 8-byte granule. */
static void test_nocsum_tear(void **state)
{
	uint8_t good[PMLOG_SIZE];

	(void)state;
	build(BUG_NOCSUM_BIN, "pmlog", NULL, good);
	memcpy(img, good, PMLOG_SIZE);
	put64(img + PMLOG_SLOT0 + 8, rec_at[5]); /* new count, old end */
	assert_int_equal(verify(img, 5, "past the committed end"),
			 PM_INCONSISTENT);
	memcpy(img, good, PMLOG_SIZE);
	put64(img + PMLOG_SLOT0, 5); /* old count, new end */
	assert_int_equal(verify(img, 5, "but they end at 376"),
			 PM_INCONSISTENT);
	memcpy(img, good, PMLOG_SIZE);
	put64(img + PMLOG_SLOT0, 5); /* a whole older commit is fine */
	put64(img + PMLOG_SLOT0 + 8, rec_at[5]);
	assert_int_equal(verify(img, 5, NULL), PM_CONSISTENT);
}

/* bug-straddle: record 6's last line (data line 7) never written back. */
static void test_straddle_lost_line(void **state)
{
	(void)state;
	build(BUG_STRADDLE_BIN, "pmlog", NULL, img);
	memset(img + PMLOG_DATA + 7 * 64, 0, 64);
	assert_int_equal(verify(img, 6, "committed record 6 is torn"),
			 PM_INCONSISTENT);
	build(BUG_STRADDLE_BIN, "pmlog", NULL, img);
	memset(img + PMLOG_DATA + 2 * 64, 0, 64); /* record 2's last line */
	assert_int_equal(verify(img, 6, "committed record 2 is torn"),
			 PM_INCONSISTENT);
}

static void test_no_log(void **state)
{
	(void)state;
	memset(img, 0, sizeof(img));
	assert_int_equal(verify(img, 0, NULL), PM_CONSISTENT);
	assert_int_equal(verify(img, 1, "no valid pmlog header"),
			 PM_INCONSISTENT);
	build(PMLOG_BIN, "pmlog", NULL, img);
	img[33] ^= 1; /* header checksum */
	assert_int_equal(verify(img, 0, NULL), PM_CONSISTENT);
	assert_int_equal(verify(img, 3, "no valid pmlog header"),
			 PM_INCONSISTENT);
	build(PMLOG_BIN, "pmlog", NULL, img);
	assert_int_equal(
		pmlog_verify(img, PMLOG_SIZE - 1, 1, (char[64]){ 0 }, 64),
		PM_INCONSISTENT);
}

/* Commit records that point anywhere: a verdict, never a crash. */
static void test_bounds(void **state)
{
	(void)state;
	build(PMLOG_BIN, "pmlog", NULL, img);
	put_slot(img, 0, 6, UINT64_MAX);
	assert_int_equal(verify(img, 6, "beyond the data area"),
			 PM_INCONSISTENT);
	put_slot(img, 0, UINT64_MAX, rec_at[6]);
	assert_int_equal(verify(img, 6, "past the committed end"),
			 PM_INCONSISTENT);
	put_slot(img, 0, 6, PMLOG_DATA_SIZE);
	assert_int_equal(verify(img, 6, "end at 480"), PM_INCONSISTENT);
	build(PMLOG_BIN, "pmlog", NULL, img);
	put64(img + PMLOG_DATA + rec_at[5], (uint64_t)6 << 32 | 0xffffffffu);
	assert_int_equal(verify(img, 6, "runs past"), PM_INCONSISTENT);
}

/* Random damage, commit slots re-sealed so the walk goes deep. */
static void test_fuzz(void **state)
{
	uint8_t good[PMLOG_SIZE];
	char why[512];
	unsigned int seed = 12345, i, j, n;
	int bad = 0;

	(void)state;
	build(PMLOG_BIN, "pmlog", NULL, good);
	for (i = 0; i < 20000; i++) {
		memcpy(img, good, sizeof(img));
		n = 1 + (unsigned int)rand_r(&seed) % 8;
		for (j = 0; j < n; j++) {
			size_t off = (size_t)rand_r(&seed) % (PMLOG_DATA + 512);

			switch (rand_r(&seed) % 3) {
			case 0:
				img[off] ^= (uint8_t)(1u << rand_r(&seed) % 8);
				break;
			case 1:
				memset(img + (off & ~(size_t)7), 0, 8);
				break;
			default:
				img[off] = (uint8_t)rand_r(&seed);
			}
		}
		if (rand_r(&seed) % 2) {
			uint64_t count = (uint64_t)rand_r(&seed);

			count = rand_r(&seed) % 2 ? count % 10 : count << 20;
			put_slot(img, rand_r(&seed) % 2, count,
				 (uint64_t)rand_r(&seed) % 4000);
		}
		j = (unsigned int)pmlog_verify(img, sizeof(img),
					       (uint64_t)(rand_r(&seed) % 7),
					       why, sizeof(why));
		assert_true(j == PM_CONSISTENT || j == PM_INCONSISTENT);
		bad += j == PM_INCONSISTENT;
	}
	print_message("  %d of 20000 damaged logs judged inconsistent\n", bad);
	assert_true(bad > 1000);
}

/* The program as torn runs it: TARGET, the environment, exit status. */
static void test_checker_program(void **state)
{
	char path[512], out[1024];
	const char *on_dir[] = { PMLOG_CHECK_BIN, pm_dir, NULL };
	const char *on_file[] = { PMLOG_CHECK_BIN, path, NULL };
	const char *acked6[] = { "TORN_LAST_DURABLE=6", NULL };
	const char *markers[] = { "TORN_MARKERS=3:1 4:1 5:1 3:2 4:2 5:2",
				  NULL };
	const char *bad_env[] = { "TORN_MARKERS=3:1 junk", NULL };
	const char *usage[] = { PMLOG_CHECK_BIN, NULL };

	(void)state;
	/* no log yet: fine until something is acknowledged */
	unlink(pm_path(path, sizeof(path), "pmlog"));
	assert_int_equal(pm_run(on_dir, NULL, out, sizeof(out)), 0);
	assert_int_equal(pm_run(on_dir, markers, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "2 appends acknowledged"));
	build(PMLOG_BIN, "pmlog", NULL, img);
	assert_int_equal(pm_run(on_dir, acked6, out, sizeof(out)), 0);
	assert_int_equal(pm_run(on_dir, markers, out, sizeof(out)), 0);
	pm_path(path, sizeof(path), "pmlog");
	assert_int_equal(pm_run(on_file, acked6, out, sizeof(out)), 0);
	img[PMLOG_DATA + rec_at[5] + 30] ^= 1;
	assert_int_equal(pm_write(path, img, sizeof(img)), 0);
	assert_int_equal(pm_run(on_file, acked6, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "committed record 6 is torn"));
	assert_non_null(strchr(out, '\n'));
	assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
	/* a short file */
	assert_int_equal(pm_write(path, img, 100), 0);
	assert_int_equal(pm_run(on_file, NULL, out, sizeof(out)), 0);
	assert_int_equal(pm_run(on_file, acked6, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "holds 100 bytes"));
	/* the harness's own mistakes are errors, not verdicts */
	assert_int_equal(pm_run(on_file, bad_env, out, sizeof(out)), 2);
	assert_int_equal(pm_run(usage, NULL, out, sizeof(out)), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_workloads_pass),
		cmocka_unit_test(test_torn_record),
		cmocka_unit_test(test_missing_acknowledged),
		cmocka_unit_test(test_torn_commit_slot),
		cmocka_unit_test(test_nocsum_tear),
		cmocka_unit_test(test_straddle_lost_line),
		cmocka_unit_test(test_no_log),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_checker_program),
	};

	return cmocka_run_group_tests(tests, pm_setup, pm_teardown);
}
