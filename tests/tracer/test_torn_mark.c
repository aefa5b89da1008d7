/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the marker header: ids agree with trace.h, and a marker
 * outside the tracer is a harmless cpuid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "torn_mark.h"
#include "trace.h"

_Static_assert(TORN_MARK_ID_START == TORN_MARK_START, "START id");
_Static_assert(TORN_MARK_ID_STOP == TORN_MARK_STOP, "STOP id");
_Static_assert(TORN_MARK_ID_OP_BEGIN == TORN_MARK_OP_BEGIN, "OP_BEGIN id");
_Static_assert(TORN_MARK_ID_OP_END == TORN_MARK_OP_END, "OP_END id");
_Static_assert(TORN_MARK_ID_DURABLE == TORN_MARK_DURABLE, "DURABLE id");
_Static_assert(TORN_MARK_ID_USER == TORN_MARK_USER, "USER id");
_Static_assert(TORN_MARK_TEXT_MAX_LEN == TORN_MARK_TEXT_MAX, "text max");

static void test_magic_spells_torn(void **state)
{
	const char *s = "torn";
	uint32_t m = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
		     (uint32_t)s[2] << 8 | (uint32_t)s[3];

	assert_int_equal(m, TORN_MARK_MAGIC);
}

/* Without the tracer the magic leaf is out of range: nothing happens. */
static void test_marker_without_tracer(void **state)
{
	static const char text[] = "unit test";
	volatile uint64_t after = 0;

	torn_mark_start();
	torn_mark(TORN_MARK_ID_USER, 42, text, strlen(text));
	torn_mark(TORN_MARK_ID_USER + 1, 0, NULL, 1000);
	after = 1;
	torn_mark_stop();
	assert_int_equal(after, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magic_spells_torn),
		cmocka_unit_test(test_marker_without_tracer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
