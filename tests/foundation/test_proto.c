/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Agent protocol: encoding, decoding, and every malformed frame rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void test_round_trip(void **state)
{
	static const char *const cases[][4] = {
		{ "ping", NULL },
		{ "run", "1000", "ls", NULL },
		{ "", NULL },
		{ "write-file", "/tmp/x", "", NULL },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct torn_buf b = { 0 };
		struct torn_proto_msg m;
		struct torn_err err;
		size_t n = 0, i;

		while (n < 4 && cases[c][n])
			n++;
		assert_int_equal(torn_proto_encode_strv(&b, TORN_PROTO_REQUEST,
							n, cases[c]),
				 0);
		assert_int_equal(torn_proto_frame_size(b.data, b.len, &err),
				 (long)b.len);
		assert_int_equal(torn_proto_decode(b.data, b.len, &m, &err), 0);
		assert_int_equal(m.kind, TORN_PROTO_REQUEST);
		assert_int_equal(m.nfields, n);
		for (i = 0; i < n; i++)
			assert_true(torn_proto_field_is(&m, i, cases[c][i]));
		assert_false(torn_proto_field_is(&m, n, ""));
		torn_proto_msg_clear(&m);
		torn_buf_free(&b);
	}
}

/* A valid frame ["run", "5"] to corrupt. */
static struct torn_buf valid(void)
{
	static const char *const f[] = { "run", "5" };
	struct torn_buf b = { 0 };

	assert_int_equal(torn_proto_encode_strv(&b, TORN_PROTO_REQUEST, 2, f),
			 0);
	return b;
}

struct corruption {
	const char *name;
	size_t offset; /* where to write value (u32) */
	uint32_t value;
	long cut; /* bytes to drop from the end (negative: add) */
	const char *msg_part;
};

static void test_malformed(void **state)
{
	static const struct corruption cases[] = {
		{ "bad magic", 0, 0x11111111, 0, "magic" },
		{ "length too small", 4, 3, 0, "outside" },
		{ "length too large", 4, TORN_PROTO_MAX_FRAME + 1, 0,
		  "outside" },
		{ "kind zero", 8, 0x00020000, 0, "kind" },
		{ "too many fields", 8, 0xffff0001, 0, "fields" },
		{ "field past end", 12, 100, 0, "past frame end" },
		{ "frame shorter than declared", 99, 0, 2, "declares" },
		{ "frame longer than declared", 99, 0, -3, "declares" },
		{ "more fields than bytes", 8, 0x00030001, 0,
		  "past frame end" },
		{ "fewer fields than bytes", 8, 0x00010001, 0, "stray" },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct torn_buf b = valid();
		struct torn_proto_msg m;
		struct torn_err err = { "" };
		size_t len = b.len;

		if (cases[c].offset != 99)
			put32(b.data + cases[c].offset, cases[c].value);
		if (cases[c].cut < 0) {
			static const uint8_t z[8];

			torn_buf_append(&b, z, -cases[c].cut);
			len = b.len;
		} else {
			len -= cases[c].cut;
		}
		assert_int_not_equal(torn_proto_decode(b.data, len, &m, &err),
				     0);
		if (!strstr(err.msg, cases[c].msg_part))
			fail_msg("%s: message '%s' lacks '%s'", cases[c].name,
				 err.msg, cases[c].msg_part);
		torn_buf_free(&b);
	}
}

/* Fixed-seed fuzzing: mutated frames never crash the decoder. */
static void test_fuzz(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned int iter, accepted = 0;

	for (iter = 0; iter < 200000; iter++) {
		struct torn_buf b = valid();
		struct torn_proto_msg m;
		struct torn_err err;
		unsigned int k, nmut;
		size_t len;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		nmut = 1 + seed % 4;
		for (k = 0; k < nmut; k++) {
			uint64_t r = seed * (k + 1) * 0x2545F4914F6CDD1Dull;

			b.data[(r >> 8) % b.len] ^= (uint8_t)(1u << (r % 8));
		}
		len = b.len - (seed >> 40) % 3;
		if (!torn_proto_decode(b.data, len, &m, &err)) {
			size_t i;

			for (i = 0; i < m.nfields; i++)
				assert_true(m.fields[i].data +
						    m.fields[i].len <=
					    b.data + len);
			accepted++;
			torn_proto_msg_clear(&m);
		}
		torn_buf_free(&b);
	}
	assert_true(accepted < 200000);
}

/* Streaming receive: frames split across writes, then EOF. */
static void test_recv_stream(void **state)
{
	struct torn_buf a = valid(), frame = { 0 };
	struct torn_proto_msg m;
	struct torn_err err;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], a.data, 5), 5);
	assert_int_equal(write(p[1], a.data + 5, a.len - 5),
			 (ssize_t)(a.len - 5));
	assert_int_equal(torn_proto_recv(p[0], 1000, &frame, &m, &err), 0);
	assert_true(torn_proto_field_is(&m, 0, "run"));
	torn_proto_msg_clear(&m);
	assert_int_equal(torn_proto_recv(p[0], 100, &frame, &m, &err),
			 TORN_E_TIMEOUT);
	close(p[1]);
	assert_int_equal(torn_proto_recv(p[0], 100, &frame, &m, &err),
			 TORN_E_TRUNCATED);
	close(p[0]);
	torn_buf_free(&a);
	torn_buf_free(&frame);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_recv_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
