/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmemobj-kv: a libpmemobj transactional hash map, its model, its checker. */
#ifndef TORN_KV_FMT_H
#define TORN_KV_FMT_H

/*
 * The pool's root holds KV_BUCKETS bucket heads; an entry is a
 * libpmemobj object of type KV_TYPE_ENTRY {key, vlen, val, next}.  A put
 * is one transaction: find the key in its bucket; update its value
 * (undo-logged), or allocate an entry (pmemobj_tx_zalloc), link it at
 * the bucket's head and count it.  The workload makes KV_PUTS puts (one
 * of them an update, three keys in one bucket); put N is acknowledged
 * (DURABLE marker, arg N) when its transaction has committed.
 *
 * The checker opens the pool (libpmemobj runs recovery), walks the map
 * treating every field as untrusted, and requires:
 *  - every entry the buckets link is an allocated entry object, in the
 *    right bucket, reached once; every allocated entry object is linked
 *    (a rolled-back allocation must not leak); the root's count matches;
 *  - the map equals the model after put j for some j between the last
 *    acknowledged put and the last begun one (a transaction is atomic);
 *  - pmemobj_check (files only: it maps the pool copy-on-write, which
 *    device-dax cannot) finds the closed pool consistent.
 * Before the first OP_BEGIN the pool may be half created: anything goes.
 */

#include <libpmemobj.h>
#include <stddef.h>
#include <stdint.h>

#include "pm_util.h"

#define KV_LAYOUT "torn-pmemobj-kv"
#define KV_FILE "pmemobj-kv"
#define KV_POOL_SIZE PMEMOBJ_MIN_POOL
#define KV_BUCKETS 4u
#define KV_VAL_MAX 32u
#define KV_PUTS 6u
#define KV_MAX_ENTRIES 16u
#define KV_ROOT_MAGIC 0x5452454b4e524f54ull /* "TORNKERT" */
#define KV_TYPE_ENTRY 1u

struct kv_entry {
	uint64_t key;
	uint64_t vlen;
	char val[KV_VAL_MAX];
	PMEMoid next;
};

struct kv_root {
	uint64_t magic;
	uint64_t nbuckets;
	uint64_t count;
	uint64_t reserved;
	PMEMoid buckets[KV_BUCKETS];
};

struct kv_put {
	uint64_t key;
	const char *val;
};

/* The workload's puts, in order. */
extern const struct kv_put kv_puts[KV_PUTS];

struct kv_pair {
	uint64_t key;
	uint64_t vlen;
	char val[KV_VAL_MAX];
};

/* The map after the first n puts, sorted by key, into out; its size. */
size_t kv_model(unsigned int n, struct kv_pair out[KV_MAX_ENTRIES]);

/* Workload: set the root up (one transaction); 0 or -1. */
int kv_init_root(PMEMobjpool *pop);
/* Workload: one put, one transaction; 0 or -1. */
int kv_put(PMEMobjpool *pop, uint64_t key, const char *val);

/*
 * Walk an open pool's map into pairs (sorted by key, *n of them):
 * PM_CONSISTENT, or PM_INCONSISTENT with why.
 */
int kv_walk(PMEMobjpool *pop, struct kv_pair pairs[KV_MAX_ENTRIES], size_t *n,
	    char *why, size_t whylen);

/*
 * The checker's whole judgement of the pool at path, in a child process
 * (libpmemobj dying on a recovered pool is reported, not suffered):
 * PM_CONSISTENT, PM_INCONSISTENT or PM_ERROR, with why.
 */
int kv_check(const char *path, const struct pm_markers *mk, char *why,
	     size_t whylen);

#endif
