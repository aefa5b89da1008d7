/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pmemobj-kv: a libpmemobj transactional hash map, its model, its checker. */
#include "kv_fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Keys 1, 5 and 9 share bucket 1; put 4 updates key 2. */
const struct kv_put kv_puts[KV_PUTS] = {
	{ 1, "one" },	       { 2, "two" },   { 5, "five" },
	{ 2, "two, updated" }, { 3, "three" }, { 9, "nine" },
};

static int pair_cmp(const void *a, const void *b)
{
	const struct kv_pair *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

size_t kv_model(unsigned int n, struct kv_pair out[KV_MAX_ENTRIES])
{
	size_t count = 0, j;
	unsigned int i;

	for (i = 0; i < n && i < KV_PUTS; i++) {
		for (j = 0; j < count && out[j].key != kv_puts[i].key; j++)
			;
		if (j == count)
			count++;
		memset(&out[j], 0, sizeof(out[j]));
		out[j].key = kv_puts[i].key;
		out[j].vlen = strlen(kv_puts[i].val);
		memcpy(out[j].val, kv_puts[i].val, out[j].vlen);
	}
	qsort(out, count, sizeof(out[0]), pair_cmp);
	return count;
}

int kv_init_root(PMEMobjpool *pop)
{
	PMEMoid root = pmemobj_root(pop, sizeof(struct kv_root));
	struct kv_root *r = pmemobj_direct(root);
	int ret = 0;

	if (!r)
		return -1;
	TX_BEGIN(pop)
	{
		pmemobj_tx_add_range(root, 0, sizeof(*r));
		r->magic = KV_ROOT_MAGIC;
		r->nbuckets = KV_BUCKETS;
	}
	TX_ONABORT
	{
		ret = -1;
	}
	TX_END
	return ret;
}

/* The body of a put, inside its transaction (aborts it on failure). */
static void put_in_tx(struct kv_root *r, uint64_t key, const char *val,
		      size_t vlen)
{
	uint64_t b = key % KV_BUCKETS;
	PMEMoid o = r->buckets[b], n;
	struct kv_entry *e = NULL;

	while (!OID_IS_NULL(o)) {
		e = pmemobj_direct(o);
		if (e->key == key)
			break;
		o = e->next;
		e = NULL;
	}
	if (e) {
		/* an update: vlen and val are undo-logged */
		pmemobj_tx_add_range(o, offsetof(struct kv_entry, vlen),
				     sizeof(e->vlen) + sizeof(e->val));
		memset(e->val, 0, sizeof(e->val));
		memcpy(e->val, val, vlen);
		e->vlen = vlen;
		return;
	}
	/* a new entry: filled while only this transaction knows it */
	n = pmemobj_tx_zalloc(sizeof(struct kv_entry), KV_TYPE_ENTRY);
	e = pmemobj_direct(n);
	e->key = key;
	e->vlen = vlen;
	memcpy(e->val, val, vlen);
	e->next = r->buckets[b];
	pmemobj_tx_add_range_direct(&r->buckets[b], sizeof(r->buckets[b]));
	r->buckets[b] = n;
	pmemobj_tx_add_range_direct(&r->count, sizeof(r->count));
	r->count++;
}

int kv_put(PMEMobjpool *pop, uint64_t key, const char *val)
{
	struct kv_root *r =
		pmemobj_direct(pmemobj_root(pop, sizeof(struct kv_root)));
	size_t vlen = strlen(val);
	int ret = 0;

	if (!r || vlen > KV_VAL_MAX)
		return -1;
	TX_BEGIN(pop)
	{
		put_in_tx(r, key, val, vlen);
	}
	TX_ONABORT
	{
		ret = -1;
	}
	TX_END
	return ret;
}

/* The index of oid among the n allocated entries, or -1. */
static int find_entry(const PMEMoid *oids, size_t n, PMEMoid o)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (oids[i].off == o.off &&
		    oids[i].pool_uuid_lo == o.pool_uuid_lo)
			return (int)i;
	return -1;
}

int kv_walk(PMEMobjpool *pop, struct kv_pair pairs[KV_MAX_ENTRIES], size_t *n,
	    char *why, size_t whylen)
{
	PMEMoid oids[KV_MAX_ENTRIES], root, o;
	int seen[KV_MAX_ENTRIES] = { 0 };
	size_t n_alloc = 0, count = 0, i;
	const struct kv_root *r;
	uint64_t b;

	*n = 0;
	if (pmemobj_root_size(pop) < sizeof(struct kv_root)) {
		snprintf(why, whylen, "the root object is missing (%zu bytes)",
			 pmemobj_root_size(pop));
		return PM_INCONSISTENT;
	}
	root = pmemobj_root(pop, sizeof(struct kv_root));
	r = pmemobj_direct(root);
	if (!r || r->magic != KV_ROOT_MAGIC || r->nbuckets != KV_BUCKETS) {
		snprintf(why, whylen,
			 "the root object is not set up (magic %#" PRIx64
			 ", %" PRIu64 " buckets)",
			 r ? r->magic : 0, r ? r->nbuckets : 0);
		return PM_INCONSISTENT;
	}
	/* the allocated entries: the only objects a bucket may link */
	POBJ_FOREACH(pop, o)
	{
		if (pmemobj_type_num(o) != KV_TYPE_ENTRY)
			continue;
		if (n_alloc == KV_MAX_ENTRIES) {
			snprintf(why, whylen,
				 "more than %u entry objects are allocated",
				 KV_MAX_ENTRIES);
			return PM_INCONSISTENT;
		}
		if (pmemobj_alloc_usable_size(o) < sizeof(struct kv_entry)) {
			snprintf(why, whylen,
				 "entry object at %#" PRIx64
				 " has only %zu bytes",
				 o.off, pmemobj_alloc_usable_size(o));
			return PM_INCONSISTENT;
		}
		oids[n_alloc++] = o;
	}
	for (b = 0; b < KV_BUCKETS; b++) {
		for (o = r->buckets[b]; !OID_IS_NULL(o);) {
			int k = find_entry(oids, n_alloc, o);
			const struct kv_entry *e;

			if (k < 0) {
				snprintf(why, whylen,
					 "bucket %" PRIu64
					 " links offset %#" PRIx64
					 ", not an allocated entry",
					 b, o.off);
				return PM_INCONSISTENT;
			}
			if (seen[k]) {
				snprintf(why, whylen,
					 "entry at %#" PRIx64
					 " is linked twice (a cycle?)",
					 o.off);
				return PM_INCONSISTENT;
			}
			seen[k] = 1;
			e = pmemobj_direct(o);
			if (e->key % KV_BUCKETS != b || e->vlen > KV_VAL_MAX) {
				snprintf(why, whylen,
					 "entry at %#" PRIx64 " (key %" PRIu64
					 ", value length %" PRIu64
					 ") does not belong in bucket %" PRIu64,
					 o.off, e->key, e->vlen, b);
				return PM_INCONSISTENT;
			}
			for (i = 0; i < count; i++)
				if (pairs[i].key == e->key) {
					snprintf(why, whylen,
						 "key %" PRIu64
						 " is in the map twice",
						 e->key);
					return PM_INCONSISTENT;
				}
			pairs[count].key = e->key;
			pairs[count].vlen = e->vlen;
			memcpy(pairs[count].val, e->val, KV_VAL_MAX);
			count++;
			o = e->next;
		}
	}
	for (i = 0; i < n_alloc; i++)
		if (!seen[i]) {
			const struct kv_entry *e = pmemobj_direct(oids[i]);

			snprintf(why, whylen,
				 "entry object at %#" PRIx64 " (key %" PRIu64
				 ") is allocated but not linked: a leak",
				 oids[i].off, e->key);
			return PM_INCONSISTENT;
		}
	if (r->count != count) {
		snprintf(why, whylen,
			 "the root counts %" PRIu64
			 " entries, the buckets hold %zu",
			 r->count, count);
		return PM_INCONSISTENT;
	}
	qsort(pairs, count, sizeof(pairs[0]), pair_cmp);
	*n = count;
	return PM_CONSISTENT;
}

/* "1=one 2=two" into buf. */
static void describe(const struct kv_pair *p, size_t n, char *buf, size_t len)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < n && at < len; i++) {
		int w = snprintf(buf + at, len - at, "%s%" PRIu64 "=%.*s",
				 i ? " " : "", p[i].key, (int)p[i].vlen,
				 p[i].val);

		if (w < 0)
			break;
		at += (size_t)w;
	}
}

static int same(const struct kv_pair *a, size_t na, const struct kv_pair *b,
		size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (a[i].key != b[i].key || a[i].vlen != b[i].vlen ||
		    memcmp(a[i].val, b[i].val, a[i].vlen))
			return 0;
	return 1;
}

/* The judgement itself, in the child. */
static int check_pool(const char *path, const struct pm_markers *mk, char *why,
		      size_t whylen)
{
	struct kv_pair got[KV_MAX_ENTRIES], want[KV_MAX_ENTRIES];
	uint64_t lo = mk->last_durable, hi = mk->last_begin, j;
	char have[256], at[256];
	PMEMobjpool *pop;
	struct stat st;
	size_t n, nw;
	int ret, devdax = !stat(path, &st) && S_ISCHR(st.st_mode);

	if (hi < lo)
		hi = lo;
	if (lo > KV_PUTS || hi > KV_PUTS) {
		snprintf(why, whylen,
			 "markers name put %" PRIu64 ", the workload makes %u",
			 hi, KV_PUTS);
		return PM_ERROR;
	}
	pop = pmemobj_open(path, KV_LAYOUT);
	if (!pop) {
		snprintf(why, whylen,
			 "pmemobj_open after put %" PRIu64 " began: %s",
			 mk->last_begin, pmemobj_errormsg());
		return PM_INCONSISTENT;
	}
	ret = kv_walk(pop, got, &n, why, whylen);
	pmemobj_close(pop);
	if (ret)
		return ret;
	for (j = lo; j <= hi; j++) {
		nw = kv_model((unsigned int)j, want);
		if (same(got, n, want, nw))
			break;
	}
	if (j > hi) {
		describe(got, n, have, sizeof(have));
		nw = kv_model((unsigned int)lo, want);
		describe(want, nw, at, sizeof(at));
		snprintf(why, whylen,
			 "map {%s} is no state from put %" PRIu64
			 " (acknowledged) to put %" PRIu64
			 " (begun); after put %" PRIu64 " it is {%s}",
			 have, lo, hi, lo, at);
		return PM_INCONSISTENT;
	}
	if (!devdax) {
		ret = pmemobj_check(path, KV_LAYOUT);
		if (ret != 1) {
			snprintf(why, whylen,
				 "pmemobj_check after recovery: %s",
				 ret ? pmemobj_errormsg()
				     : "the pool is inconsistent");
			return PM_INCONSISTENT;
		}
	}
	return PM_CONSISTENT;
}

int kv_check(const char *path, const struct pm_markers *mk, char *why,
	     size_t whylen)
{
	int fds[2], status;
	size_t got = 0;
	pid_t pid;

	why[0] = '\0';
	if (!mk->n_begin)
		return PM_CONSISTENT; /* the pool may be half created */
	if (pipe(fds)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return PM_ERROR;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return PM_ERROR;
	}
	if (!pid) {
		char msg[512] = "";
		int r;

		close(fds[0]);
		r = check_pool(path, mk, msg, sizeof(msg));
		if (write(fds[1], msg, strlen(msg)) < 0)
			r = PM_ERROR;
		_exit(r);
	}
	close(fds[1]);
	while (got + 1 < whylen) {
		ssize_t r = read(fds[0], why + got, whylen - 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	why[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return PM_ERROR;
		}
	if (WIFSIGNALED(status)) {
		snprintf(
			why, whylen,
			"opening and walking the recovered pool died of signal %d (%s)",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
		return PM_INCONSISTENT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) <= PM_ERROR)
		return WEXITSTATUS(status);
	snprintf(why, whylen, "the check process ended with status %d", status);
	return PM_ERROR;
}
