/* SPDX-License-Identifier: GPL-2.0-or-later */
/* torn replay: one state of a run rebuilt; the stage's entry point. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"
#include "torn_exit.h"
#include "verdict.h"

void torn_replay_opts_init(struct torn_replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 60000;
	o->model = TORN_MODEL_AUTO;
}

/* The last verdict recorded for the state. */
static int find_verdict(const struct torn_verdict_rec *v, void *ctx)
{
	struct torn_replay *r = ctx;

	if (!strcmp(v->state, r->o.state_id)) {
		r->verdict = *v;
		r->have_verdict = true;
	}
	return 0;
}

static int collect_inflight(const struct torn_inflight_write *w, void *ctx)
{
	struct torn_replay *r = ctx;

	r->inflight[r->n_inflight++] = *w;
	return 0;
}

/* The persisted and full images at the point and the writes in flight there. */
static int step_to_point(struct torn_replay *r, struct torn_err *err)
{
	struct torn_stepper *st = NULL;
	int ret;

	ret = torn_stepper_new(&st, r->trace, r->base, r->size, r->so.model,
			       err);
	if (ret)
		return ret;
	ret = torn_stepper_advance_to(st, r->point);
	if (ret) {
		torn_err_set(err, ret, "persisted image at %" PRIu64 ": %s",
			     r->point, torn_stepper_error(st));
		goto out;
	}
	r->persisted = malloc(r->size);
	r->full = malloc(r->size);
	r->inflight = calloc(torn_stepper_inflight_writes(st) + 1,
			     sizeof(*r->inflight));
	if (!r->persisted || !r->full || !r->inflight) {
		ret = torn_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r->model = torn_stepper_model(st);
	torn_stepper_persisted_image(st, r->persisted);
	torn_stepper_full_image(st, r->full);
	torn_stepper_foreach_inflight(st, collect_inflight, r);
out:
	torn_stepper_free(st);
	return ret;
}

/* meta.json and check.json: optional, but never misread. */
static void load_run_files(struct torn_replay *r)
{
	struct torn_err err = { "" };
	int ret;

	torn_run_meta_init(&r->meta);
	ret = torn_run_meta_read(r->o.dir, &r->meta, &err);
	r->have_meta = !ret;
	if (ret && ret != -ENOENT)
		fprintf(stderr, "torn replay: %s (ignored)\n", err.msg);
	torn_run_check_init(&r->check);
	ret = torn_run_check_read(r->o.dir, &r->check, &err);
	r->have_check = !ret;
	if (ret && ret != -ENOENT)
		fprintf(stderr, "torn replay: %s (ignored)\n", err.msg);
}

int torn_replay_load(struct torn_replay **out, const struct torn_replay_opts *o,
		     struct torn_err *err)
{
	struct torn_replay *r = calloc(1, sizeof(*r));
	struct torn_verdicts_stats vst;
	struct torn_err why = { "" };
	struct torn_engine e;
	struct torn_hash128 h;
	uint64_t index;
	char path[4200];
	gsize len;
	int ret;

	if (!r)
		return torn_err_set(err, -ENOMEM, "out of memory");
	r->o = *o;
	r->out = o->out ? o->out : stdout;
	snprintf(path, sizeof(path), "%s/trace.torn", o->dir);
	ret = torn_trace_load(path, &r->trace, &why);
	if (ret) {
		torn_err_set(err, ret, "cannot read trace '%s': %s", path,
			     why.msg);
		goto fail;
	}
	r->recs = torn_trace_get_records(r->trace);
	r->nrecs = torn_trace_get_count(r->trace);
	r->size = torn_trace_get_header(r->trace)->pm_size;
	snprintf(path, sizeof(path), "%s/base.img", o->dir);
	if (!g_file_get_contents(path, (gchar **)&r->base, &len, NULL) ||
	    len != r->size) {
		ret = torn_err_set(err, TORN_E_FORMAT,
				   "%s is missing or not %" PRIu64 " bytes",
				   path, r->size);
		goto fail;
	}
	load_run_files(r);

	/* the model and granularity torn check used, unless told otherwise */
	torn_states_opts_init(&r->so);
	r->so.model = o->model;
	if (o->granularity)
		r->so.granularity = o->granularity;
	if (r->have_check && o->model == TORN_MODEL_AUTO && r->check.model[0])
		torn_model_parse(r->check.model, &r->so.model, NULL);
	if (r->have_check && !o->granularity && r->check.granularity[0])
		torn_granularity_parse(r->check.granularity, &r->so.granularity,
				       NULL);

	ret = torn_state_id_parse(o->state_id, &r->point, &e, &index, err);
	if (ret)
		goto fail;
	r->state = malloc(r->size);
	if (!r->state) {
		ret = torn_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	ret = torn_state_image(r->trace, r->base, r->size, &r->so, o->state_id,
			       r->state, &h, &why);
	if (ret) {
		torn_err_set(err, ret, "%s", why.msg);
		goto fail;
	}
	torn_hash_format(&h, r->hash);
	torn_verdicts_foreach(o->dir, find_verdict, r, &vst, NULL);
	if (r->have_verdict && r->verdict.image_hash[0] &&
	    strcmp(r->verdict.image_hash, r->hash)) {
		ret = torn_err_set(
			err, TORN_E_MISMATCH,
			"the rebuilt image of %s hashes to %s, but torn check recorded %s: the run directory or the options changed",
			o->state_id, r->hash, r->verdict.image_hash);
		goto fail;
	}
	ret = step_to_point(r, err);
	if (ret)
		goto fail;
	r->syms = torn_run_syms(r->o.dir, r->have_meta ? r->meta.workload : "",
				r->have_meta ? r->meta.kernel : "");
	*out = r;
	return 0;
fail:
	torn_replay_free(r);
	return ret;
}

void torn_replay_free(struct torn_replay *r)
{
	if (!r)
		return;
	torn_trace_free(r->trace);
	g_free(r->base);
	free(r->state);
	free(r->persisted);
	free(r->full);
	free(r->inflight);
	torn_syms_free(r->syms);
	free(r);
}

const uint8_t *torn_replay_get_image(const struct torn_replay *r,
				     uint64_t *size)
{
	if (size)
		*size = r->size;
	return r->state;
}

const char *torn_replay_get_hash(const struct torn_replay *r)
{
	return r->hash;
}

int torn_replay_get_model(const struct torn_replay *r)
{
	return r->model;
}

int torn_replay_get_granularity(const struct torn_replay *r)
{
	return r->so.granularity;
}

const struct torn_run_check *torn_replay_get_check(const struct torn_replay *r)
{
	return r->have_check ? &r->check : NULL;
}

const struct torn_verdict_rec *
torn_replay_get_verdict(const struct torn_replay *r)
{
	return r->have_verdict ? &r->verdict : NULL;
}

const char *replay_where(const struct torn_replay *r,
			 const struct torn_record *rec, char *buf, size_t len)
{
	if (!rec->pc)
		return "?";
	if (!torn_syms_where(r->syms, rec->pc, buf, len))
		snprintf(buf, len, "0x%" PRIx64 " (%s)", rec->pc,
			 rec->flags & TORN_REC_F_KERNEL ? "kernel" : "user");
	return buf;
}

/*
 * s for a terminal: details come from the guest and from verdicts.jsonl,
 * so control bytes (an escape sequence) are shown as \xNN, not obeyed.
 */
static void put_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void replay_print_oracles(FILE *out, const struct torn_oracle_result *res)
{
	int o;

	for (o = 0; o < TORN_O_COUNT; o++) {
		if (!res[o].ran)
			continue;
		fprintf(out, "  %-10s %s%s", torn_oracle_name(o),
			res[o].ok ? "ok" : "FAILED",
			res[o].detail[0] && !res[o].ok ? ": " : "");
		if (!res[o].ok)
			put_text(out, res[o].detail);
		fputc('\n', out);
	}
}

/* Re-check the state in a guest and print every oracle's output. */
static int recheck(struct torn_replay *r)
{
	struct replay_guest g;
	struct check_result res;
	int ret, v;

	ret = replay_guest_setup(r, &g, r->o.minimize ? NULL : r->out);
	if (!ret && r->o.minimize) {
		ret = replay_minimize(r, &g);
	} else if (!ret) {
		v = replay_guest_check(&g, r->state, &res);
		if (v < 0) {
			ret = TORN_EXIT_INFRA;
		} else {
			fprintf(r->out, "verdict: %s\n", torn_verdict_name(v));
			replay_print_oracles(r->out, res.r);
			ret = v == TORN_V_CONSISTENT	   ? TORN_EXIT_OK
			      : torn_verdict_is_failure(v) ? TORN_EXIT_FAIL
							   : TORN_EXIT_INFRA;
		}
	}
	replay_guest_fini(&g);
	return ret;
}

int torn_replay_run(const struct torn_replay_opts *o)
{
	struct torn_replay *r = NULL;
	struct torn_err err = { "" };
	int ret;

	torn_vm_install_signal_handlers();
	ret = torn_replay_load(&r, o, &err);
	if (ret) {
		fprintf(stderr, "torn replay: %s\n", err.msg);
		return ret == TORN_E_USAGE || ret == TORN_E_NOTFOUND
			       ? TORN_EXIT_USAGE
			       : TORN_EXIT_INFRA;
	}
	if (r->have_check)
		fprintf(stderr,
			"torn: check.json: model %s, granularity %s, points %s, engines %s; rebuilding with model %s, granularity %s\n",
			r->check.model[0] ? r->check.model : "?",
			r->check.granularity[0] ? r->check.granularity : "?",
			r->check.points[0] ? r->check.points : "?",
			r->check.engines[0] ? r->check.engines : "?",
			torn_model_name(r->model),
			torn_granularity_name(r->so.granularity));
	fprintf(stderr, "torn: rebuilt state %s (image hash %s%s)\n",
		o->state_id, r->hash,
		r->have_verdict ? ", as recorded"
				: "; no verdict recorded for it");
	if (o->image) {
		if (!g_file_set_contents(o->image, (const gchar *)r->state,
					 (gssize)r->size, NULL)) {
			fprintf(stderr, "torn replay: cannot write %s\n",
				o->image);
			ret = TORN_EXIT_INFRA;
			goto out;
		}
		fprintf(r->out, "image of %s written to %s\n", o->state_id,
			o->image);
	}
	if (o->explain)
		torn_replay_explain(r, r->out);
	if (o->shell)
		ret = replay_shell(r);
	else if (!o->no_check || o->minimize)
		ret = recheck(r);
out:
	torn_replay_free(r);
	return ret;
}
