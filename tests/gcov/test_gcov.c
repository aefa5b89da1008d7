/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/gcov on dumps made here in the kernel's .gcda layout: sums, the
 * counters a dump reaches first, a merged .gcda read back, and dumps
 * that are damaged or from another build; the agent's filter of the
 * files a dump after the first sends (agent_gcda_reached), and such a
 * dump summed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "agent.h"
#include "gcov.h"

static void u32(GByteArray *b, uint32_t v)
{
	unsigned char le[4] = { v, v >> 8, v >> 16, v >> 24 };

	g_byte_array_append(b, le, 4);
}

/* A .gcda of one function (ident) with the counters given. */
static GByteArray *gcda(uint32_t ident, const uint64_t *c, size_t n)
{
	GByteArray *b = g_byte_array_new();

	u32(b, 0x67636461u);
	u32(b, 0x4232302a); /* version "B20*" */
	u32(b, 0x12345678); /* stamp */
	u32(b, 0); /* checksum */
	u32(b, 0x01000000u);
	u32(b, 12);
	u32(b, ident);
	u32(b, 0xaaaa);
	u32(b, 0xbbbb);
	u32(b, 0x01a10000u);
	u32(b, (uint32_t)(8 * n));
	for (size_t i = 0; i < n; i++) {
		u32(b, (uint32_t)c[i]);
		u32(b, (uint32_t)(c[i] >> 32));
	}
	return b;
}

static void entry(GByteArray *dump, const char *path, GByteArray *data)
{
	u32(dump, (uint32_t)strlen(path));
	g_byte_array_append(dump, (const guint8 *)path, strlen(path));
	u32(dump, data->len);
	g_byte_array_append(dump, data->data, data->len);
	g_byte_array_unref(data);
}

static GByteArray *dump2(const uint64_t *a, const uint64_t *b)
{
	GByteArray *d = g_byte_array_new();

	entry(d, "/root/tree/fs/jbd2/recovery.gcda", gcda(7, a, 3));
	entry(d, "/root/tree/fs/ext4/super.gcda", gcda(9, b, 2));
	return d;
}

static void test_sums_and_fresh(void **state)
{
	struct torn_gcov *g;
	struct torn_err err = { "" };
	uint64_t fresh = 99;
	const uint64_t a1[] = { 0, 5, 0 }, b1[] = { 1, 0 };
	const uint64_t a2[] = { 0, 1, 2 }, b2[] = { 0, 0 };
	const uint64_t big[] = { UINT64_MAX, 0, 0 };
	GByteArray *d;
	void *out;
	size_t len;

	torn_gcov_new(&g);
	d = dump2(a1, b1);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, &fresh, &err), 0);
	g_byte_array_unref(d);
	assert_int_equal(fresh, 2);
	assert_int_equal(torn_gcov_counters(g), 5);
	assert_int_equal(torn_gcov_reached(g), 2);
	d = dump2(a2, b2);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, &fresh, &err), 0);
	g_byte_array_unref(d);
	assert_int_equal(fresh, 1); /* recovery.gcda's third counter */
	assert_int_equal(torn_gcov_reached(g), 3);
	/* the same again reaches nothing new */
	d = dump2(a2, b2);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, &fresh, &err), 0);
	g_byte_array_unref(d);
	assert_int_equal(fresh, 0);

	/* files in path order; the merged .gcda has the sums */
	assert_int_equal(torn_gcov_files(g), 2);
	assert_string_equal(torn_gcov_path(g, 0),
			    "/root/tree/fs/ext4/super.gcda");
	assert_string_equal(torn_gcov_path(g, 1),
			    "/root/tree/fs/jbd2/recovery.gcda");
	assert_null(torn_gcov_path(g, 2));
	assert_int_equal(torn_gcov_gcda(g, 1, &out, &len), 0);
	{
		const uint64_t want[] = { 0, 7, 4 };
		GByteArray *w = gcda(7, want, 3);

		assert_int_equal(len, w->len);
		assert_memory_equal(out, w->data, len);
		g_byte_array_unref(w);
	}
	/* read back into a fresh set: the same sums, everything fresh */
	{
		struct torn_gcov *h;

		torn_gcov_new(&h);
		assert_int_equal(torn_gcov_add_gcda(h, "x/recovery.gcda", out,
						    len, &fresh, &err),
				 0);
		assert_int_equal(fresh, 2);
		assert_int_equal(torn_gcov_reached(h), 2);
		torn_gcov_free(h);
	}
	g_free(out);
	assert_int_equal(torn_gcov_gcda(g, 2, &out, &len), TORN_E_RANGE);

	/* a sum saturates instead of wrapping */
	d = dump2(big, b2);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, NULL, &err), 0);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, NULL, &err), 0);
	g_byte_array_unref(d);
	assert_int_equal(torn_gcov_gcda(g, 1, &out, &len), 0);
	assert_memory_equal((char *)out + 44,
			    "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	g_free(out);
	torn_gcov_free(g);
	torn_gcov_free(NULL);
}

/* A dump that must be refused, and leave the set as it was. */
struct bad {
	const char *what;
	int code;
	const char *msg;
};

static GByteArray *bad_dump(size_t i)
{
	const uint64_t c[] = { 1, 2, 3 };
	GByteArray *d = g_byte_array_new(), *x;

	switch (i) {
	case 0: /* a cut entry */
		entry(d, "/t/a.gcda", gcda(7, c, 3));
		g_byte_array_set_size(d, d->len - 5);
		break;
	case 1: /* bad magic */
		x = gcda(7, c, 3);
		x->data[0] ^= 1;
		entry(d, "/t/a.gcda", x);
		break;
	case 2: /* a record longer than the file */
		x = gcda(7, c, 3);
		x->data[40] = 0xf0;
		entry(d, "/t/a.gcda", x);
		break;
	case 3: /* a counter record of 12 bytes */
		x = gcda(7, c, 3);
		g_byte_array_set_size(x, x->len - 12);
		x->data[40] = 12;
		entry(d, "/t/a.gcda", x);
		break;
	case 4: /* a path twice */
		entry(d, "/t/a.gcda", gcda(7, c, 3));
		entry(d, "/t/a.gcda", gcda(7, c, 3));
		break;
	case 5: /* another function: another build */
		entry(d, "/t/b.gcda", gcda(7, c, 2));
		entry(d, "/t/a.gcda", gcda(8, c, 3));
		break;
	case 6: /* more counters than before */
		entry(d, "/t/a.gcda", gcda(7, c, 2));
		break;
	case 7: /* a zero-length path */
		u32(d, 0);
		break;
	default: /* a path with a NUL */
		u32(d, 3);
		g_byte_array_append(d, (const guint8 *)"a\0b", 3);
		u32(d, 0);
		break;
	}
	return d;
}

static void test_bad_dumps(void **state)
{
	const struct bad cases[] = {
		{ "cut", TORN_E_FORMAT, "cut" },
		{ "magic", TORN_E_FORMAT, "not a .gcda" },
		{ "long record", TORN_E_FORMAT, "runs past the end" },
		{ "odd counters", TORN_E_FORMAT, "counter record of 12 bytes" },
		{ "twice", TORN_E_FORMAT, "twice" },
		{ "other build", TORN_E_MISMATCH,
		  "differ from an earlier dump" },
		{ "other length", TORN_E_MISMATCH,
		  "differ from an earlier dump" },
		{ "no path", TORN_E_FORMAT, "bad path" },
		{ "NUL", TORN_E_FORMAT, "cut short" },
	};
	const uint64_t c[] = { 1, 0, 3 };
	struct torn_gcov *g;
	GByteArray *good = g_byte_array_new();

	torn_gcov_new(&g);
	entry(good, "/t/a.gcda", gcda(7, c, 3));
	assert_int_equal(torn_gcov_add(g, good->data, good->len, NULL, NULL),
			 0);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct torn_err err = { "" };
		GByteArray *d = bad_dump(i);
		uint64_t fresh = 42;

		assert_int_equal(
			torn_gcov_add(g, d->data, d->len, &fresh, &err),
			cases[i].code);
		assert_non_null(strstr(err.msg, cases[i].msg));
		assert_int_equal(fresh, 42);
		/* unchanged: one file, its sums */
		assert_int_equal(torn_gcov_files(g), 1);
		assert_int_equal(torn_gcov_reached(g), 2);
		g_byte_array_unref(d);
	}
	g_byte_array_unref(good);
	torn_gcov_free(g);
}

/*
 * A file is sent when a counter is not zero, whatever its function
 * records hold; one that cannot be walked is sent (the host refuses it).
 * A dump of only the files reached adds to the full set as it would.
 */
static void test_changed_only(void **state)
{
	const uint64_t zero[] = { 0, 0, 0 }, one[] = { 0, 0, 1 };
	const uint64_t a[] = { 0, 5, 0 }, b[] = { 1, 0 };
	GByteArray *z = gcda(7, zero, 3), *r = gcda(7, one, 3), *d;
	struct torn_gcov *g;
	uint64_t fresh = 99;

	assert_int_equal(agent_gcda_reached(z->data, z->len), 0);
	assert_int_equal(agent_gcda_reached(r->data, r->len), 1);
	assert_int_equal(agent_gcda_reached(z->data, 16), 0); /* no record */
	assert_int_equal(agent_gcda_reached(z->data, z->len - 4), 1);
	assert_int_equal(agent_gcda_reached(z->data, 10), 1);
	z->data[40] = 0xf0; /* a record longer than the file */
	assert_int_equal(agent_gcda_reached(z->data, z->len), 1);
	g_byte_array_unref(z);

	torn_gcov_new(&g);
	d = dump2(a, b);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, NULL, NULL), 0);
	g_byte_array_unref(d);
	d = g_byte_array_new();
	entry(d, "/root/tree/fs/jbd2/recovery.gcda", r);
	assert_int_equal(torn_gcov_add(g, d->data, d->len, &fresh, NULL), 0);
	g_byte_array_unref(d);
	assert_int_equal(fresh, 1);
	assert_int_equal(torn_gcov_files(g), 2);
	assert_int_equal(torn_gcov_counters(g), 5);
	assert_int_equal(torn_gcov_reached(g), 3);
	torn_gcov_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sums_and_fresh),
		cmocka_unit_test(test_bad_dumps),
		cmocka_unit_test(test_changed_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
