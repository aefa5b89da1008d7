/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmemobj-kv's checker: passes the workload's pool, fails damaged maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kv_fmt.h"
#include "pm_test.h"

static char pool[512];

static void build(void)
{
	const char *argv[] = { KV_BIN, "--host",
			       pm_path(pool, sizeof(pool), KV_FILE), NULL };

	assert_int_equal(pm_run(argv, NULL, NULL, 0), 0);
}

/* The markers of a crash after DURABLE durable and OP_BEGIN begun. */
static int check(uint64_t durable, uint64_t begun, const char *expect)
{
	struct pm_markers mk = { .last_durable = durable,
				 .last_begin = begun,
				 .n_begin = (int)begun };
	char why[600] = "";
	int r = kv_check(pool, &mk, why, sizeof(why));

	if (r)
		print_message("  durable %llu begun %llu: %s\n",
			      (unsigned long long)durable,
			      (unsigned long long)begun, why);
	if (expect)
		assert_non_null(strstr(why, expect));
	return r;
}

static PMEMobjpool *open_pool(struct kv_root **r)
{
	PMEMobjpool *pop = pmemobj_open(pool, KV_LAYOUT);

	assert_non_null(pop);
	*r = pmemobj_direct(pmemobj_root(pop, sizeof(struct kv_root)));
	assert_non_null(*r);
	return pop;
}

static void test_model(void **state)
{
	struct kv_pair p[KV_MAX_ENTRIES];

	(void)state;
	assert_int_equal(kv_model(0, p), 0);
	assert_int_equal(kv_model(2, p), 2);
	assert_int_equal(kv_model(4, p), 3);
	assert_string_equal(p[1].val, "two, updated");
	assert_int_equal(kv_model(6, p), 5);
	assert_int_equal(p[4].key, 9);
}

static void test_workload_passes(void **state)
{
	(void)state;
	build();
	assert_int_equal(check(6, 6, NULL), PM_CONSISTENT);
	assert_int_equal(check(5, 6, NULL), PM_CONSISTENT);
	/* put 6 had not begun, yet key 9 is there */
	assert_int_equal(check(4, 5, "is no state from put 4"),
			 PM_INCONSISTENT);
	/* before the first OP_BEGIN anything goes */
	assert_int_equal(check(0, 0, NULL), PM_CONSISTENT);
}

static void test_lost_put(void **state)
{
	struct kv_root *r;
	PMEMobjpool *pop;
	PMEMoid e;

	(void)state;
	build();
	pop = open_pool(&r);
	/* key 3 (put 5) unlinked and freed: a lost acknowledged put */
	e = r->buckets[3];
	TX_BEGIN(pop)
	{
		pmemobj_tx_add_range_direct(&r->buckets[3], sizeof(PMEMoid));
		pmemobj_tx_add_range_direct(&r->count, sizeof(r->count));
		r->buckets[3] = OID_NULL;
		r->count--;
		pmemobj_tx_free(e);
	}
	TX_END
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "is no state from put 6"),
			 PM_INCONSISTENT);
	assert_int_equal(check(4, 4, "is no state from put 4"),
			 PM_INCONSISTENT);
}

static void test_update_lost(void **state)
{
	struct kv_root *r;
	struct kv_entry *e;
	PMEMobjpool *pop;

	(void)state;
	build();
	pop = open_pool(&r);
	e = pmemobj_direct(r->buckets[2]);
	assert_int_equal(e->key, 2);
	strcpy(e->val, "two");
	e->vlen = 3;
	pmemobj_persist(pop, e, sizeof(*e));
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "2=two 3=three"), PM_INCONSISTENT);
}

static void test_structure(void **state)
{
	struct kv_root *r;
	struct kv_entry *e;
	PMEMobjpool *pop;
	PMEMoid saved, leak;

	(void)state;
	/* a count that disagrees */
	build();
	pop = open_pool(&r);
	r->count = 7;
	pmemobj_persist(pop, &r->count, 8);
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "counts 7 entries"), PM_INCONSISTENT);

	/* a bucket pointing into the middle of nowhere */
	build();
	pop = open_pool(&r);
	saved = r->buckets[1];
	r->buckets[1].off = saved.off + 8;
	pmemobj_persist(pop, &r->buckets[1], sizeof(PMEMoid));
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "not an allocated entry"),
			 PM_INCONSISTENT);
	pop = open_pool(&r);
	r->buckets[1].off = UINT64_MAX - 8;
	pmemobj_persist(pop, &r->buckets[1], sizeof(PMEMoid));
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "not an allocated entry"),
			 PM_INCONSISTENT);

	/* a cycle */
	build();
	pop = open_pool(&r);
	e = pmemobj_direct(r->buckets[1]);
	e->next = r->buckets[1];
	pmemobj_persist(pop, &e->next, sizeof(PMEMoid));
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "linked twice"), PM_INCONSISTENT);

	/* an entry in the wrong bucket */
	build();
	pop = open_pool(&r);
	e = pmemobj_direct(r->buckets[3]);
	e->key = 4;
	pmemobj_persist(pop, &e->key, 8);
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "does not belong in bucket 3"),
			 PM_INCONSISTENT);

	/* an allocated entry nobody links: a leak */
	build();
	pop = open_pool(&r);
	assert_int_equal(pmemobj_zalloc(pop, &leak, sizeof(struct kv_entry),
					KV_TYPE_ENTRY),
			 0);
	pmemobj_close(pop);
	assert_int_equal(check(6, 6, "a leak"), PM_INCONSISTENT);
}

static void test_broken_pool(void **state)
{
	uint8_t junk[4096];

	(void)state;
	build();
	memset(junk, 0xa5, sizeof(junk));
	{
		FILE *f = fopen(pool, "r+b");

		assert_non_null(f);
		assert_int_equal(fwrite(junk, 1, sizeof(junk), f),
				 sizeof(junk));
		fclose(f);
	}
	assert_int_equal(check(1, 1, "pmemobj_open after put 1 began"),
			 PM_INCONSISTENT);
	assert_int_equal(check(0, 0, NULL), PM_CONSISTENT);
	unlink(pool);
	assert_int_equal(check(0, 1, "pmemobj_open"), PM_INCONSISTENT);
}

static void test_checker_program(void **state)
{
	char out[1024];
	const char *on_dir[] = { KV_CHECK_BIN, pm_dir, NULL };
	const char *done[] = {
		"TORN_MARKERS=3:1 4:1 5:1 3:2 4:2 5:2 3:3 4:3 5:3 "
		"3:4 4:4 5:4 3:5 4:5 5:5 3:6 4:6 5:6",
		NULL
	};
	const char *early[] = { "TORN_MARKERS=3:1 4:1 5:1 3:2", NULL };

	(void)state;
	build();
	assert_int_equal(pm_run(on_dir, done, out, sizeof(out)), 0);
	assert_int_equal(pm_run(on_dir, early, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "is no state from put 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_workload_passes),
		cmocka_unit_test(test_lost_put),
		cmocka_unit_test(test_update_lost),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_broken_pool),
		cmocka_unit_test(test_checker_program),
	};

	return cmocka_run_group_tests(tests, pm_setup, pm_teardown);
}
