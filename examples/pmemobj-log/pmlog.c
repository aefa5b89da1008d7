/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pmlog: a log of records in a libpmemobj pool, the example of
 * docs/own-tests.md.  One program is the setup step, the traced program
 * and the checker:
 *   pmlog create POOL           make the pool (torn's setup step)
 *   pmlog append POOL N [--bug] append N records, each in a transaction
 *   pmlog check POOL            open (libpmemobj recovers), check
 * A record is committed when the count that covers it is: the check
 * fails when a committed record does not hold what append wrote.  With
 * --bug, append fills each record after its transaction committed and
 * never persists it, so a crash can leave a counted record empty.
 */
#include <errno.h>
#include <inttypes.h>
#include <libpmemobj.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYOUT "pmlog"
#define POOL_SIZE (12u << 20)
#define MAX_RECORDS 64

struct record {
	uint64_t seq;
	char text[48];
	uint64_t sum; /* of seq and text */
};

struct root {
	uint64_t count; /* records committed */
	struct record rec[MAX_RECORDS];
};

static uint64_t record_sum(const struct record *r)
{
	uint64_t h = 1469598103934665603ull ^ r->seq;

	for (size_t i = 0; i < sizeof(r->text); i++)
		h = (h ^ (unsigned char)r->text[i]) * 1099511628211ull;
	return h;
}

static void fill(struct record *r, uint64_t seq)
{
	memset(r, 0, sizeof(*r));
	r->seq = seq;
	snprintf(r->text, sizeof(r->text), "record %" PRIu64, seq);
	r->sum = record_sum(r);
}

static int create(const char *path)
{
	PMEMobjpool *pop = pmemobj_create(path, LAYOUT, POOL_SIZE, 0644);

	if (!pop) {
		fprintf(stderr, "pmlog: create %s: %s\n", path,
			pmemobj_errormsg());
		return 2;
	}
	pmemobj_root(pop, sizeof(struct root));
	pmemobj_close(pop);
	return 0;
}

static int append(const char *path, unsigned n, int bug)
{
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);
	struct root *root;

	if (!pop) {
		fprintf(stderr, "pmlog: open %s: %s\n", path,
			pmemobj_errormsg());
		return 2;
	}
	root = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	for (unsigned i = 0; i < n && root->count < MAX_RECORDS; i++) {
		uint64_t k = root->count;
		struct record *r = &root->rec[k];

		TX_BEGIN(pop)
		{
			if (!bug) {
				pmemobj_tx_add_range_direct(r, sizeof(*r));
				fill(r, k + 1);
			}
			pmemobj_tx_add_range_direct(&root->count,
						    sizeof(root->count));
			root->count = k + 1;
		}
		TX_ONABORT
		{
			fprintf(stderr, "pmlog: transaction %u aborted\n", i);
			pmemobj_close(pop);
			return 2;
		}
		TX_END
		if (bug)
			fill(r, k + 1); /* the bug: after the commit,
					   unpersisted */
	}
	printf("pmlog: %" PRIu64 " records\n", root->count);
	pmemobj_close(pop);
	return 0;
}

static int check(const char *path)
{
	PMEMobjpool *pop = pmemobj_open(path, LAYOUT);
	const struct root *root;
	int bad = 0;

	if (!pop) {
		/* an unusable pool after a crash is a finding, not an error */
		printf("pmlog: cannot open %s after the crash: %s\n", path,
		       pmemobj_errormsg());
		return 1;
	}
	root = pmemobj_direct(pmemobj_root(pop, sizeof(struct root)));
	if (root->count > MAX_RECORDS) {
		printf("pmlog: count %" PRIu64 " is past the log's end\n",
		       root->count);
		bad = 1;
	}
	for (uint64_t k = 0; !bad && k < root->count; k++) {
		const struct record *r = &root->rec[k];

		if (r->seq != k + 1 || r->sum != record_sum(r)) {
			printf("pmlog: record %" PRIu64 " of %" PRIu64
			       " is committed but holds seq %" PRIu64
			       " and a wrong sum\n",
			       k + 1, root->count, r->seq);
			bad = 1;
		}
	}
	if (!bad)
		printf("pmlog: %" PRIu64 " records, all whole\n", root->count);
	pmemobj_close(pop);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "create"))
		return create(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return check(argv[2]);
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "--bug"))) &&
	    !strcmp(argv[1], "append"))
		return append(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
			      argc == 5);
	fprintf(stderr, "usage: pmlog create POOL | append POOL N [--bug] | "
			"check POOL\n");
	return 2;
}
