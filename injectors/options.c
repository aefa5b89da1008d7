/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing and naming models, granularities, crash points, engines, ids. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "states_int.h"

#define ENGINES_ACCEPTED \
	"prefix, subsets:K, full[:CAP], random:N[:SEED] or torn"
#define POINTS_ACCEPTED "fence, flush, store:N, marker or all"

int torn_model_parse(const char *s, int *model, struct torn_err *err)
{
	if (!strcmp(s, "adr"))
		*model = TORN_MODEL_ADR;
	else if (!strcmp(s, "eadr"))
		*model = TORN_MODEL_EADR;
	else
		return torn_err_set(err, TORN_E_USAGE,
				    "unknown model '%s': expected adr or eadr",
				    s);
	return 0;
}

const char *torn_model_name(int model)
{
	switch (model) {
	case TORN_MODEL_ADR:
		return "adr";
	case TORN_MODEL_EADR:
		return "eadr";
	case TORN_MODEL_AUTO:
		return "auto";
	}
	return "?";
}

int torn_granularity_parse(const char *s, int *gran, struct torn_err *err)
{
	if (!strcmp(s, "line"))
		*gran = TORN_GRAN_LINE;
	else if (!strcmp(s, "torn"))
		*gran = TORN_GRAN_TORN;
	else
		return torn_err_set(
			err, TORN_E_USAGE,
			"unknown granularity '%s': expected line or torn", s);
	return 0;
}

const char *torn_granularity_name(int gran)
{
	switch (gran) {
	case TORN_GRAN_LINE:
		return "line";
	case TORN_GRAN_TORN:
		return "torn";
	}
	return "?";
}

/* A decimal number filling [s, end) exactly; min is the least allowed. */
static int parse_u64(const char *s, size_t len, uint64_t min, uint64_t *v)
{
	char buf[32], *end;
	unsigned long long x;

	if (!len || len >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	x = strtoull(buf, &end, 10);
	if (errno || *end || x < min)
		return -1;
	*v = x;
	return 0;
}

int torn_points_parse(const char *s, unsigned int *points,
		      uint64_t *store_every, struct torn_err *err)
{
	unsigned int bits = 0;
	uint64_t every = *store_every;
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == 5 && !strncmp(p, "fence", 5))
			bits |= TORN_POINTS_FENCE;
		else if (len == 5 && !strncmp(p, "flush", 5))
			bits |= TORN_POINTS_FLUSH;
		else if (len == 6 && !strncmp(p, "marker", 6))
			bits |= TORN_POINTS_MARKER;
		else if (len == 3 && !strncmp(p, "all", 3))
			bits |= TORN_POINTS_ALL;
		else if (len > 6 && !strncmp(p, "store:", 6) &&
			 !parse_u64(p + 6, len - 6, 1, &every))
			bits |= TORN_POINTS_STORE;
		else if (len >= 5 && !strncmp(p, "store", 5))
			return torn_err_set(
				err, TORN_E_USAGE,
				"bad crash points '%.*s': expected store:N with N >= 1",
				(int)len, p);
		else
			return torn_err_set(
				err, TORN_E_USAGE,
				"unknown crash points '%.*s': expected " POINTS_ACCEPTED,
				(int)len, p);
		if (!comma)
			break;
		p = comma + 1;
	}
	*points = bits;
	*store_every = every;
	return 0;
}

int torn_engine_parse(const char *s, struct torn_engine *e,
		      struct torn_err *err)
{
	const char *colon = strchr(s, ':');
	size_t nlen = colon ? (size_t)(colon - s) : strlen(s);
	struct torn_engine x = { 0 };

	if (nlen == 6 && !strncmp(s, "prefix", 6) && !colon) {
		x.kind = TORN_ENGINE_PREFIX;
	} else if (nlen == 4 && !strncmp(s, "torn", 4) && !colon) {
		x.kind = TORN_ENGINE_TORN;
	} else if (nlen == 7 && !strncmp(s, "subsets", 7)) {
		x.kind = TORN_ENGINE_SUBSETS;
		if (!colon || parse_u64(colon + 1, strlen(colon + 1), 1, &x.n))
			return torn_err_set(
				err, TORN_E_USAGE,
				"bad engine '%s': expected subsets:K with K >= 1",
				s);
	} else if (nlen == 4 && !strncmp(s, "full", 4)) {
		x.kind = TORN_ENGINE_FULL;
		x.n = TORN_FULL_CAP_DEFAULT;
		if (colon && parse_u64(colon + 1, strlen(colon + 1), 1, &x.n))
			return torn_err_set(
				err, TORN_E_USAGE,
				"bad engine '%s': expected full or full:CAP with CAP >= 1",
				s);
	} else if (nlen == 6 && !strncmp(s, "random", 6)) {
		const char *c2 = colon ? strchr(colon + 1, ':') : NULL;
		size_t n1 = !colon ? 0
			    : c2   ? (size_t)(c2 - colon - 1)
				   : strlen(colon + 1);

		x.kind = TORN_ENGINE_RANDOM;
		if (!colon || parse_u64(colon + 1, n1, 1, &x.n) ||
		    (c2 && parse_u64(c2 + 1, strlen(c2 + 1), 0, &x.seed)))
			return torn_err_set(
				err, TORN_E_USAGE,
				"bad engine '%s': expected random:N or random:N:SEED with N >= 1",
				s);
	} else {
		return torn_err_set(
			err, TORN_E_USAGE,
			"unknown engine '%s': expected " ENGINES_ACCEPTED, s);
	}
	*e = x;
	return 0;
}

int torn_engine_format(const struct torn_engine *e, char *buf, size_t size)
{
	switch (e->kind) {
	case TORN_ENGINE_PREFIX:
		return snprintf(buf, size, "prefix");
	case TORN_ENGINE_SUBSETS:
		return snprintf(buf, size, "subsets:%" PRIu64, e->n);
	case TORN_ENGINE_FULL:
		return snprintf(buf, size, "full:%" PRIu64, e->n);
	case TORN_ENGINE_RANDOM:
		return snprintf(buf, size, "random:%" PRIu64 ":%" PRIu64, e->n,
				e->seed);
	case TORN_ENGINE_TORN:
		return snprintf(buf, size, "torn");
	}
	return snprintf(buf, size, "?");
}

int torn_state_id_format(const struct torn_crash_state *st, char *buf,
			 size_t size)
{
	char eng[64];

	torn_engine_format(st->engine, eng, sizeof(eng));
	return snprintf(buf, size, "%" PRIu64 ".%s.%" PRIu64, st->point, eng,
			st->index);
}

int torn_state_id_parse(const char *id, uint64_t *point, struct torn_engine *e,
			uint64_t *index, struct torn_err *err)
{
	const char *dot1 = strchr(id, '.'), *dot2 = strrchr(id, '.');
	struct torn_engine x;
	char eng[64];
	size_t len;
	int ret;

	if (!dot1 || dot2 == dot1 ||
	    parse_u64(id, (size_t)(dot1 - id), 0, point) ||
	    parse_u64(dot2 + 1, strlen(dot2 + 1), 0, index))
		return torn_err_set(
			err, TORN_E_USAGE,
			"bad state id '%s': expected POINT.ENGINE.INDEX, e.g. 12.prefix.3",
			id);
	len = (size_t)(dot2 - dot1 - 1);
	if (len >= sizeof(eng))
		return torn_err_set(err, TORN_E_USAGE,
				    "bad state id '%s': unknown engine", id);
	memcpy(eng, dot1 + 1, len);
	eng[len] = '\0';
	ret = torn_engine_parse(eng, &x, err);
	if (ret)
		return ret;
	*e = x;
	return 0;
}
