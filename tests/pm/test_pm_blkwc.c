/* SPDX-License-Identifier: GPL-2.0-or-later */
/* blk-wc's checker: passes every cut of the rounds, fails lost and torn blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blkwc.h"
#include "pm_util.h"

#define REGION ((size_t)BLK_NBLOCKS * BLK_SIZE)

static uint8_t region[REGION];

/* The region after rounds 1..n, applied whole, in order. */
static void after(unsigned int n)
{
	memset(region, 0, sizeof(region));
	for (unsigned int r = 1; r <= n; r++)
		for (unsigned int k = 0; k < BLK_PER_ROUND; k++) {
			unsigned int b = blk_block(r, k);

			blk_record(r, b, region + (size_t)b * BLK_SIZE);
		}
}

static int verify(uint64_t acked, uint64_t begun, const char *expect)
{
	char why[512] = "";
	int r = blk_verify(region, acked, begun, why, sizeof(why));

	if (r)
		print_message("  acked %llu begun %llu: %s\n",
			      (unsigned long long)acked,
			      (unsigned long long)begun, why);
	if (expect)
		assert_non_null(strstr(why, expect));
	return r;
}

static void test_schedule(void **state)
{
	unsigned int overwritten = 0;

	(void)state;
	for (unsigned int r = 1; r <= BLK_ROUNDS; r++)
		for (unsigned int k = 0; k < BLK_PER_ROUND; k++) {
			unsigned int b = blk_block(r, k);

			assert_true(b < BLK_NBLOCKS);
			assert_true(blk_round_writes(r, b));
			for (unsigned int x = 1; x < r; x++)
				overwritten += blk_round_writes(x, b);
		}
	/* later rounds overwrite blocks acknowledged before */
	assert_true(overwritten >= 3);
}

static void test_every_cut_passes(void **state)
{
	(void)state;
	/* the state after n rounds, whatever of them was acknowledged */
	for (unsigned int n = 0; n <= BLK_ROUNDS; n++) {
		after(n);
		for (unsigned int a = 0; a <= n; a++)
			assert_int_equal(verify(a, n ? n : 0, NULL),
					 PM_CONSISTENT);
		/* a round begun, none of its blocks there yet */
		if (n < BLK_ROUNDS)
			assert_int_equal(verify(n, n + 1, NULL), PM_CONSISTENT);
	}
}

static void test_lost_round_flagged(void **state)
{
	unsigned int b;

	(void)state;
	/* round 4's first block as round 3 left it */
	after(3);
	b = blk_block(4, 0);
	{
		uint8_t old[BLK_SIZE];

		memcpy(old, region + (size_t)b * BLK_SIZE, BLK_SIZE);
		after(4);
		memcpy(region + (size_t)b * BLK_SIZE, old, BLK_SIZE);
	}
	assert_int_equal(verify(4, 4, "lost acknowledged round 4"),
			 PM_INCONSISTENT);
	/* not yet acknowledged: fine */
	assert_int_equal(verify(3, 4, NULL), PM_CONSISTENT);
	/* a block that was never written before: zeros */
	after(BLK_ROUNDS);
	for (b = 0; b < BLK_NBLOCKS; b++) {
		unsigned int first = 0;

		for (unsigned int r = BLK_ROUNDS; r >= 1; r--)
			if (blk_round_writes(r, b))
				first = r;
		if (first) {
			memset(region + (size_t)b * BLK_SIZE, 0, BLK_SIZE);
			assert_int_equal(
				verify(BLK_ROUNDS, BLK_ROUNDS, "holds zeros"),
				PM_INCONSISTENT);
			break;
		}
	}
}

static void test_torn_and_foreign_flagged(void **state)
{
	unsigned int b = blk_block(2, 1), other;

	(void)state;
	after(2);
	memset(region + (size_t)b * BLK_SIZE + 2048, 0xa5, 8); /* a granule */
	assert_int_equal(verify(0, 2, "torn or foreign"), PM_INCONSISTENT);
	/* never acknowledged, still not a state any write leaves */
	assert_int_equal(verify(0, 2, "block"), PM_INCONSISTENT);
	/* a round's record in a block that round never wrote */
	after(2);
	for (other = 0; blk_round_writes(2, other); other++)
		;
	blk_record(2, other, region + (size_t)other * BLK_SIZE);
	assert_int_equal(verify(2, 2, "which never wrote it"), PM_INCONSISTENT);
	/* a round the workload had not begun */
	after(BLK_ROUNDS);
	assert_int_equal(verify(2, 3, "which never wrote it"), PM_INCONSISTENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_every_cut_passes),
		cmocka_unit_test(test_lost_round_flagged),
		cmocka_unit_test(test_torn_and_foreign_flagged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
