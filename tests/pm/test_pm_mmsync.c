/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mmap-msync's checker: passes the workload's file, fails lost writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmsync.h"
#include "pm_test.h"
#include "pm_util.h"

static uint8_t img[MMS_SIZE];

static void build(const char *bin, uint8_t *out)
{
	char path[512];
	const char *argv[] = { bin, "--host",
			       pm_path(path, sizeof(path), MMS_FILE), NULL };

	assert_int_equal(pm_run(argv, NULL, NULL, 0), 0);
	assert_int_equal(pm_read(path, out, MMS_SIZE), MMS_SIZE);
}

static int verify(const uint8_t *im, size_t len, uint64_t acked,
		  const char *expect)
{
	char why[512] = "";
	int r = mms_verify(im, len, acked, why, sizeof(why));

	if (r)
		print_message("  acked %llu: %s\n", (unsigned long long)acked,
			      why);
	if (expect)
		assert_non_null(strstr(why, expect));
	return r;
}

static void test_workloads_pass(void **state)
{
	uint64_t a;

	(void)state;
	build(MMS_BIN, img);
	for (a = 0; a <= MMS_PAGES; a++)
		assert_int_equal(verify(img, MMS_SIZE, a, NULL), PM_CONSISTENT);
	assert_int_equal(
		verify(img, MMS_PAGES + 1, MMS_PAGES + 1, "beyond the file"),
		PM_INCONSISTENT);
	/* without msync the host's page cache still gets it all */
	build(BUG_NOMSYNC_BIN, img);
	assert_int_equal(verify(img, MMS_SIZE, MMS_PAGES, NULL), PM_CONSISTENT);
}

static void test_lost_and_torn(void **state)
{
	(void)state;
	build(MMS_BIN, img);
	memset(img + 2 * MMS_PAGE + MMS_REC_OFF, 0, MMS_REC_SIZE);
	assert_int_equal(
		verify(img, MMS_SIZE, 4, "write 3 (page 2) is missing"),
		PM_INCONSISTENT);
	assert_int_equal(verify(img, MMS_SIZE, 2, NULL), PM_CONSISTENT);
	build(MMS_BIN, img);
	memset(img + MMS_REC_OFF + 64, 0, 64); /* second line of write 1 */
	assert_int_equal(verify(img, MMS_SIZE, 1, "write 1 (page 0) is torn"),
			 PM_INCONSISTENT);
	assert_int_equal(verify(img, MMS_SIZE, 0, NULL), PM_CONSISTENT);
	/* a file cut short */
	build(MMS_BIN, img);
	assert_int_equal(verify(img, 2 * MMS_PAGE, 2, NULL), PM_CONSISTENT);
	assert_int_equal(verify(img, 2 * MMS_PAGE, 3, "beyond the file"),
			 PM_INCONSISTENT);
}

static void test_checker_program(void **state)
{
	char path[512], out[1024];
	const char *on_dir[] = { MMS_CHECK_BIN, pm_dir, NULL };
	const char *acked4[] = { "TORN_LAST_DURABLE=4", NULL };
	const char *acked1[] = { "TORN_MARKERS=3:1 4:1 5:1", NULL };

	(void)state;
	pm_path(path, sizeof(path), MMS_FILE);
	unlink(path);
	assert_int_equal(pm_run(on_dir, NULL, out, sizeof(out)), 0);
	assert_int_equal(pm_run(on_dir, acked1, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "1 writes acknowledged, but open"));
	build(MMS_BIN, img);
	assert_int_equal(pm_run(on_dir, acked4, out, sizeof(out)), 0);
	img[3 * MMS_PAGE + MMS_REC_OFF + 100] ^= 8;
	assert_int_equal(pm_write(path, img, sizeof(img)), 0);
	assert_int_equal(pm_run(on_dir, acked4, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "write 4 (page 3) is torn: 1 of 128"));
	assert_int_equal(pm_write(path, img, MMS_PAGE), 0);
	assert_int_equal(pm_run(on_dir, acked1, out, sizeof(out)), 0);
	assert_int_equal(pm_run(on_dir, acked4, out, sizeof(out)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workloads_pass),
		cmocka_unit_test(test_lost_and_torn),
		cmocka_unit_test(test_checker_program),
	};

	return cmocka_run_group_tests(tests, pm_setup, pm_teardown);
}
