/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn_err_set: the message, the code, and an argument that is the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "torn_err.h"

static void test_set(void **state)
{
	struct torn_err err = { "" };

	(void)state;
	assert_int_equal(torn_err_set(&err, -5, "record %d: %s", 12, "bad"),
			 -5);
	assert_string_equal(err.msg, "record 12: bad");
	assert_int_equal(torn_err_set(NULL, 7, "ignored"), 7);
}

/* "context: %s" over its own message keeps the message, not garbage */
static void test_own_message(void **state)
{
	struct torn_err err = { "" };

	(void)state;
	torn_err_set(&err, 1, "connection closed");
	torn_err_set(&err, 1, "loading x.mig: %s", err.msg);
	assert_string_equal(err.msg, "loading x.mig: connection closed");
	torn_err_set(&err, 1, "%s; qemu: %s", err.msg, "load failed");
	assert_string_equal(
		err.msg, "loading x.mig: connection closed; qemu: load failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_own_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
