/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verdict rule: every oracle's failure counts, and what beats what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "verdict.h"

#define B(o) TORN_O_BIT(TORN_O_##o)
#define ALL TORN_O_ALL

/* Oracles that ran (and of those, the ones that failed), flags, verdict. */
static const struct verdict_case {
	const char *name;
	unsigned int ran, failed, flags;
	int verdict;
} cases[] = {
	{ "nothing ran", 0, 0, 0, TORN_V_CONSISTENT },
	{ "every oracle passed", ALL, 0, TORN_J_MOUNTED, TORN_V_CONSISTENT },
	{ "devdax, every oracle passed", ALL, 0, TORN_J_NOMOUNT,
	  TORN_V_CONSISTENT },
	/* each oracle alone: a failure nobody else saw still counts */
	{ "mount failed after mounting (umount)", ALL, B(MOUNT), TORN_J_MOUNTED,
	  TORN_V_INCONSISTENT },
	{ "fsck failed", ALL, B(FSCK), TORN_J_MOUNTED, TORN_V_INCONSISTENT },
	{ "dmesg failed", ALL, B(DMESG), TORN_J_MOUNTED, TORN_V_INCONSISTENT },
	{ "durability failed", ALL, B(DURABILITY), TORN_J_MOUNTED,
	  TORN_V_INCONSISTENT },
	{ "atomicity failed", ALL, B(ATOMICITY), TORN_J_MOUNTED,
	  TORN_V_INCONSISTENT },
	{ "usability failed", ALL, B(USABILITY), TORN_J_MOUNTED,
	  TORN_V_INCONSISTENT },
	{ "custom failed", ALL, B(CUSTOM), TORN_J_MOUNTED,
	  TORN_V_INCONSISTENT },
	{ "custom failed on devdax", B(CUSTOM) | B(DMESG), B(CUSTOM),
	  TORN_J_NOMOUNT, TORN_V_INCONSISTENT },
	{ "only the last oracle ran, and failed", B(CUSTOM), B(CUSTOM), 0,
	  TORN_V_INCONSISTENT },
	{ "only the first oracle ran, and failed, mounted", B(MOUNT), B(MOUNT),
	  TORN_J_MOUNTED, TORN_V_INCONSISTENT },
	/* a result that did not run is no failure */
	{ "failed results that did not run", 0, ALL, TORN_J_MOUNTED,
	  TORN_V_CONSISTENT },
	{ "fsck did not run, its result says failed", ALL & ~B(FSCK), B(FSCK),
	  TORN_J_MOUNTED, TORN_V_CONSISTENT },
	/* the recovery mount */
	{ "the recovery mount failed", B(MOUNT) | B(FSCK) | B(DMESG), B(MOUNT),
	  0, TORN_V_UNRECOVERABLE },
	{ "the recovery mount and fsck failed", B(MOUNT) | B(FSCK) | B(DMESG),
	  B(MOUNT) | B(FSCK), 0, TORN_V_UNRECOVERABLE },
	{ "mount failed on devdax (no mount belongs)", B(MOUNT), B(MOUNT),
	  TORN_J_NOMOUNT, TORN_V_INCONSISTENT },
	{ "fsck failed, the mount passed, no flags", ALL, B(FSCK), 0,
	  TORN_V_INCONSISTENT },
	/* what the recovery attempt said beats what the oracles said */
	{ "a timeout", ALL, 0, TORN_J_MOUNTED | TORN_J_TIMEOUT,
	  TORN_V_TIMEOUT },
	{ "a timeout beside a failure", ALL, B(CUSTOM),
	  TORN_J_MOUNTED | TORN_J_TIMEOUT, TORN_V_TIMEOUT },
	{ "a timeout beside an error", ALL, B(CUSTOM),
	  TORN_J_TIMEOUT | TORN_J_ERROR, TORN_V_TIMEOUT },
	{ "a timeout, the mount failed", B(MOUNT), B(MOUNT), TORN_J_TIMEOUT,
	  TORN_V_TIMEOUT },
	{ "an error", ALL, 0, TORN_J_MOUNTED | TORN_J_ERROR, TORN_V_ERROR },
	{ "an error beside a failure", ALL, B(CUSTOM) | B(FSCK),
	  TORN_J_MOUNTED | TORN_J_ERROR, TORN_V_ERROR },
	{ "an error, the mount failed", B(MOUNT), B(MOUNT), TORN_J_ERROR,
	  TORN_V_ERROR },
	{ "an error, nothing ran", 0, 0, TORN_J_ERROR, TORN_V_ERROR },
};

static void test_combine(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct verdict_case *c = &cases[i];
		struct torn_oracle_result r[TORN_O_COUNT];
		int o, v;

		memset(r, 0, sizeof(r));
		for (o = 0; o < TORN_O_COUNT; o++) {
			r[o].ran = c->ran & TORN_O_BIT(o);
			r[o].ok = !(c->failed & TORN_O_BIT(o));
			snprintf(r[o].detail, sizeof(r[o].detail), "%s",
				 r[o].ok ? "" : "something is wrong");
		}
		v = torn_verdict_combine(r, c->flags);
		if (v != c->verdict)
			fail_msg("%s: %s, expected %s", c->name,
				 torn_verdict_name(v),
				 torn_verdict_name(c->verdict));
	}
}

/* Each oracle alone, failed: inconsistent whatever the others did. */
static void test_every_oracle_counts(void **state)
{
	int o, other;

	for (o = 0; o < TORN_O_COUNT; o++)
		for (other = 0; other < 2; other++) {
			struct torn_oracle_result r[TORN_O_COUNT];
			int k;

			memset(r, 0, sizeof(r));
			for (k = 0; k < TORN_O_COUNT; k++) {
				r[k].ran = other || k == o;
				r[k].ok = k != o;
			}
			if (torn_verdict_combine(r, TORN_J_MOUNTED) !=
			    TORN_V_INCONSISTENT)
				fail_msg(
					"oracle %s failed alone (others %s): not inconsistent",
					torn_oracle_name(o),
					other ? "passed" : "did not run");
		}
}

static void test_is_failure(void **state)
{
	static const bool want[TORN_V_COUNT] = {
		[TORN_V_INCONSISTENT] = true,
		[TORN_V_UNRECOVERABLE] = true,
	};
	int v;

	for (v = 0; v < TORN_V_COUNT; v++)
		assert_int_equal(torn_verdict_is_failure(v), want[v]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_every_oracle_counts),
		cmocka_unit_test(test_is_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
