/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The settings a run directory records, against those torn check was given. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "check_int.h"

/* "--opt GIVEN: the run was WHAT RECORDED (FILE)" and what to do. */
static int conflict(struct torn_err *err, const char *opt, const char *given,
		    const char *what, const char *recorded, const char *hint)
{
	return torn_err_set(err, TORN_E_USAGE, "%s %s: the run was %s %s%s",
			    opt, given, what, recorded, hint);
}

#define CHECKED "checked with"
#define FRESH " (check.json); --fresh starts over with other settings"

/* The engines of c into o: 0, or TORN_E_FORMAT for a bad check.json. */
static int recorded_engines(const struct torn_run_check *c,
			    struct torn_states_opts *o)
{
	char buf[sizeof(c->engines)], *save = NULL, *e;
	unsigned int n = 0;

	snprintf(buf, sizeof(buf), "%s", c->engines);
	for (e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (n == TORN_ENGINES_MAX ||
		    torn_engine_parse(e, &o->engines[n], NULL))
			return TORN_E_FORMAT;
		n++;
	}
	if (!n)
		return TORN_E_FORMAT;
	o->n_engines = n;
	return 0;
}

static int resume_states(struct torn_check_opts *o,
			 const struct torn_run_check *c, char *points_buf,
			 size_t points_len, struct torn_err *err)
{
	struct torn_states_opts *so = &o->states, rec = *so;
	struct torn_run_check now_c;
	char now[32], num[32];
	unsigned int points;
	uint64_t every = 1;
	int v;

	if (c->model[0] && !torn_model_parse(c->model, &v, NULL)) {
		if ((o->given & TORN_CHECK_GIVEN_MODEL) && so->model != v)
			return conflict(err, "--model",
					torn_model_name(so->model), CHECKED,
					c->model, FRESH);
		so->model = v;
	}
	if (c->granularity[0] &&
	    !torn_granularity_parse(c->granularity, &v, NULL)) {
		if ((o->given & TORN_CHECK_GIVEN_GRAN) && so->granularity != v)
			return conflict(err, "--granularity",
					torn_granularity_name(so->granularity),
					CHECKED, c->granularity, FRESH);
		so->granularity = v;
	}
	if (c->points[0] &&
	    !torn_points_parse(c->points, &points, &every, NULL)) {
		if ((o->given & TORN_CHECK_GIVEN_POINTS) &&
		    (so->points != points || ((points & TORN_POINTS_STORE) &&
					      so->store_every != every)))
			return conflict(err, "--points",
					o->points_text ? o->points_text : "?",
					CHECKED, c->points, FRESH);
		so->points = points;
		so->store_every = every;
		snprintf(points_buf, points_len, "%s", c->points);
		o->points_text = points_buf;
	}
	if (c->engines[0] && !recorded_engines(c, &rec)) {
		/* the given engines as check.json would write them */
		check_json_fill(&now_c, o, so->model);
		if ((o->given & TORN_CHECK_GIVEN_ENGINES) &&
		    strcmp(now_c.engines, c->engines))
			return conflict(err, "--engine", now_c.engines, CHECKED,
					c->engines, FRESH);
		so->n_engines = rec.n_engines;
		memcpy(so->engines, rec.engines, sizeof(so->engines));
	}
	if ((o->given & TORN_CHECK_GIVEN_FROM_OP) && o->from_op != c->from_op) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)c->from_op);
		snprintf(now, sizeof(now), "%llu",
			 (unsigned long long)o->from_op);
		return conflict(err, "--from-op", now, "checked from op", num,
				FRESH);
	}
	o->from_op = c->from_op;
	if ((o->given & TORN_CHECK_GIVEN_SHARD) &&
	    (o->shard_index != c->shard_index ||
	     o->shard_count != c->shard_count)) {
		snprintf(num, sizeof(num), "%llu/%llu",
			 (unsigned long long)c->shard_index,
			 (unsigned long long)c->shard_count);
		snprintf(now, sizeof(now), "%u/%u", o->shard_index,
			 o->shard_count);
		return conflict(err, "--shard", now, "checked as shard",
				c->shard_count ? num : "none (all states)",
				FRESH);
	}
	o->shard_index = (uint32_t)c->shard_index;
	o->shard_count = (uint32_t)c->shard_count;
	return 0;
}

int torn_check_shard_parse(const char *s, uint32_t *i, uint32_t *n,
			   struct torn_err *err)
{
	unsigned long long a, b;
	int used = 0;

	if (strspn(s, "0123456789/") != strlen(s) ||
	    sscanf(s, "%llu/%llu%n", &a, &b, &used) != 2 || s[used] || !a ||
	    a > b || b > TORN_SHARDS_MAX)
		return torn_err_set(err, TORN_E_USAGE,
				    "expected I/N, 1 <= I <= N <= %d",
				    TORN_SHARDS_MAX);
	*i = (uint32_t)a;
	*n = (uint32_t)b;
	return 0;
}

int check_settings_reconcile(struct torn_check_opts *o,
			     const struct torn_run_meta *meta, bool resume,
			     char *points_buf, size_t points_len,
			     struct torn_err *err)
{
	struct torn_run_check c;
	const char *now;

	now = torn_fs_kind_name(o->guest.fs_kind);
	if ((o->given & TORN_CHECK_GIVEN_FS) && strcmp(now, meta->fs))
		return conflict(err, "--fs", now, "traced on", meta->fs,
				" (meta.json): a run is checked on its own");
	now = torn_flush_mode_name(o->guest.flush_mode);
	if ((o->given & TORN_CHECK_GIVEN_FLUSH) && meta->flush_mode[0] &&
	    strcmp(now, meta->flush_mode))
		return conflict(err, "--flush", now, "traced with",
				meta->flush_mode,
				" (meta.json): a run is checked on its own");
	if ((o->guest.given & GUEST_GIVEN_PM_SIZE) && meta->pm_size &&
	    o->guest.pm_size != meta->pm_size) {
		char given[32], was[32];

		snprintf(given, sizeof(given), "%llu MiB",
			 (unsigned long long)(o->guest.pm_size >> 20));
		snprintf(was, sizeof(was), "%llu MiB",
			 (unsigned long long)(meta->pm_size >> 20));
		return conflict(err, "--pm-size", given, "traced on", was,
				" (meta.json): a run is checked on its own");
	}
	if (!resume || torn_run_check_read(o->dir, &c, NULL))
		return 0; /* a new check, or one from before check.json */
	return resume_states(o, &c, points_buf, points_len, err);
}
