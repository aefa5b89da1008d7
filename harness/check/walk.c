/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which crash states torn check judges, and the one loop over them. */
#include "check_int.h"

size_t check_markers_before(const struct oracle_marker *m, size_t n,
			    uint64_t point)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m[mid].record < point)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The injectors' dedup by image alone is not enough here: an image that
 * was fine before a durability marker may be a lost write after it.
 */
bool check_dedup_key(const struct check_dedup *d, uint64_t point,
		     struct torn_hash128 hash, struct torn_hash128 *key)
{
	if (point < d->from_record)
		return false;
	*key = torn_state_context_key(
		hash, check_markers_before(d->markers, d->nmarkers, point));
	return true;
}

int check_state_is_new(const struct check_dedup *d, struct torn_state_set *seen,
		       uint64_t point, struct torn_hash128 hash,
		       struct torn_hash128 *key)
{
	struct torn_hash128 k;

	if (!check_dedup_key(d, point, hash, &k))
		return 0;
	if (key)
		*key = k;
	return torn_state_set_add(seen, &k) != 0;
}

/* A new state (check_state_is_new) of the plan's shard. */
static bool in_plan(const struct check_plan *plan, struct torn_state_set *seen,
		    uint64_t point, struct torn_hash128 hash)
{
	struct torn_hash128 key;

	return check_state_is_new(&plan->dedup, seen, point, hash, &key) &&
	       (!plan->shard_count ||
		torn_state_shard(key, plan->shard_count) == plan->shard_index);
}

int check_states_new(struct torn_states **out, const struct torn_trace *t,
		     const uint8_t *base, uint64_t size,
		     const struct torn_states_opts *so, struct torn_err *err)
{
	struct torn_states_opts o = *so;

	o.dedup = NULL;
	return torn_states_new(out, t, base, size, &o, err);
}

int check_walk(const struct check_plan *plan, struct torn_states *s,
	       const struct check_visit *v)
{
	struct torn_state_set *seen = NULL;
	struct torn_crash_point pt;
	struct torn_crash_state cs;
	int r;

	r = torn_state_set_new(&seen);
	if (r)
		return r;
	while ((r = torn_states_next_point(s, &pt)) == 1) {
		if (v->point) {
			r = v->point(&pt, v->ctx);
			if (r)
				goto out;
		}
		while (torn_states_next_state(s, &cs) == 1) {
			char id[96];
			bool done;

			if (!in_plan(plan, seen, cs.point, cs.hash))
				continue;
			torn_state_id_format(&cs, id, sizeof(id));
			done = plan->done &&
			       g_hash_table_contains(plan->done, id);
			r = v->state(&cs, id, done, v->ctx);
			if (r)
				goto out;
		}
	}
out:
	torn_state_set_free(seen);
	return r;
}
